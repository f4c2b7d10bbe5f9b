/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: libvirt domain XML through the domxml edit.
 *
 * The input is a domain document.  It is parsed; if that works, its info is
 * read, then <pmu> is set to on, off and unset in turn, and after each edit
 * the document is serialized and parsed again.
 *
 * Invariants checked beyond "no crash, no leak":
 *  - errors carry a documented code and a one-line, non-empty message;
 *  - after a successful set_pmu(X), get_pmu() says X;
 *  - what format() writes parses again, says X, and formatting that again
 *    gives the same bytes (the edit is stable).
 */
#include <string.h>

#include "fuzz.h"
#include "vpmu/domxml.h"

static void
read_info(const vpmu_domxml *doc)
{
    vpmu_domain_info info;
    vpmu_error *err = NULL;

    memset(&info, 0, sizeof(info));
    if (vpmu_domxml_get_info(doc, &info, &err) < 0)
        fuzz_check_error(TAKE_ERR(err));
    else
        FUZZ_ASSERT(info.pmu == vpmu_domxml_get_pmu(doc));
    vpmu_domain_info_clear(&info);
}

static void
edit(vpmu_domxml *doc, vpmu_pmu pmu)
{
    vpmu_domxml *again = NULL;
    vpmu_error *err = NULL;
    char *out = NULL, *out2 = NULL;
    size_t len = 0, len2 = 0;

    if (vpmu_domxml_set_pmu(doc, pmu, &err) < 0) {
        fuzz_check_error(TAKE_ERR(err));
        return;
    }
    FUZZ_ASSERT(vpmu_domxml_get_pmu(doc) == pmu);
    if (vpmu_domxml_format(doc, &out, &len, &err) < 0) {
        fuzz_check_error(TAKE_ERR(err));
        return;
    }
    FUZZ_ASSERT(out && strlen(out) == len);
    again = vpmu_domxml_parse(out, len, "formatted", &err);
    if (!again) {
        /* Our own output must be readable by our own parser. */
        fprintf(stderr, "re-parse failed: %s\n", vpmu_error_get_message(err));
        FUZZ_ASSERT(again);
    }
    FUZZ_ASSERT(vpmu_domxml_get_pmu(again) == pmu);
    FUZZ_ASSERT(vpmu_domxml_format(again, &out2, &len2, &err) == 0);
    FUZZ_ASSERT(len2 == len && memcmp(out, out2, len) == 0);
    read_info(again);
    vpmu_domxml_free(again);
    free(out);
    free(out2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vpmu_domxml *doc;
    vpmu_error *err = NULL;
    char *buf = malloc(size ? size : 1); /* exact size: over-reads are caught */

    FUZZ_ASSERT(buf);
    if (size)
        memcpy(buf, data, size);
    doc = vpmu_domxml_parse(buf, size, "fuzz.xml", &err);
    free(buf);
    if (!doc) {
        fuzz_check_error(TAKE_ERR(err));
        return 0;
    }
    read_info(doc);
    edit(doc, VPMU_PMU_ON);
    edit(doc, VPMU_PMU_OFF);
    edit(doc, VPMU_PMU_UNSET);
    edit(doc, VPMU_PMU_OFF);
    vpmu_domxml_free(doc);
    return 0;
}

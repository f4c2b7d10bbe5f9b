/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: the Placement response parsers (no network).  The whole input
 * is offered as a traits body, an error body and an allocation-candidates
 * body, and (up to its first NUL) as a --resources request.
 *
 * Invariants: errors have a code and a one-line message; parsed traits are
 * non-empty strings; every candidate has a UUID; a normalised resources
 * string normalises to itself.
 */
#include <string.h>

#include "fuzz.h"
#include "vpmu/placement.h"

static void
traits(const char *buf, size_t len)
{
    char **t = NULL;
    unsigned long long gen = 0;
    vpmu_error *err = NULL;

    if (vpmu_placement_parse_traits(buf, len, &t, &gen, &err) < 0) {
        fuzz_check_error(TAKE_ERR(err));
        FUZZ_ASSERT(!t);
        return;
    }
    FUZZ_ASSERT(t);
    for (size_t i = 0; t[i]; i++)
        FUZZ_ASSERT(*t[i]);
    vpmu_placement_strv_free(t);
    /* The outputs are optional. */
    FUZZ_ASSERT(vpmu_placement_parse_traits(buf, len, NULL, NULL, &err) == 0);
}

static void
candidates(const char *buf, size_t len)
{
    vpmu_placement_candidates *c;
    vpmu_error *err = NULL;
    size_t n;

    c = vpmu_placement_parse_candidates(buf, len, &err);
    if (!c) {
        fuzz_check_error(TAKE_ERR(err));
        return;
    }
    (void)vpmu_placement_candidates_requests(c);
    n = vpmu_placement_candidates_count(c);
    for (size_t i = 0; i < n; i++) {
        const char *rc;
        unsigned long long cap, used;
        const char *const *tr;

        FUZZ_ASSERT(vpmu_placement_candidates_uuid(c, i) != NULL);
        (void)vpmu_placement_candidates_name(c, i);
        (void)vpmu_placement_candidates_root(c, i);
        tr = vpmu_placement_candidates_traits(c, i);
        for (size_t j = 0; tr && tr[j]; j++)
            FUZZ_ASSERT(tr[j] != NULL);
        for (size_t j = 0; vpmu_placement_candidates_resource(c, i, j, &rc, &cap, &used); j++)
            FUZZ_ASSERT(rc != NULL);
    }
    vpmu_placement_candidates_free(c);
}

static void
resources(const char *buf, size_t len)
{
    char *s = strndup(buf, len), *norm, *again;
    vpmu_error *err = NULL;

    FUZZ_ASSERT(s);
    norm = vpmu_placement_normalize_resources(s, &err);
    if (!norm) {
        fuzz_check_error(TAKE_ERR(err));
    } else {
        again = vpmu_placement_normalize_resources(norm, &err);
        FUZZ_ASSERT(again && strcmp(again, norm) == 0);
        free(again);
        free(norm);
    }
    free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1); /* exact size: over-reads are caught */

    FUZZ_ASSERT(buf);
    if (size)
        memcpy(buf, data, size);
    traits(buf, size);
    free(vpmu_placement_parse_error(buf, size));
    candidates(buf, size);
    resources(buf, size);
    free(buf);
    return 0;
}

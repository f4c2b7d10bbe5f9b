/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: the host-probe parsers (hostcaps), /proc/cpuinfo text and a
 * boolean sysfs module parameter.  The whole input goes to both.
 *
 * Invariants: the parsers never fail on cpuinfo, their fixed strings stay
 * NUL-terminated inside their buffers, the vendor is in range, and the
 * parameter parser answers only yes or no when it succeeds.
 */
#include <string.h>

#include "fuzz.h"
#include "vpmu/hostcaps.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1); /* exact size: over-reads are caught */
    vpmu_cpuinfo ci;
    vpmu_host_param param = VPMU_PARAM_ABSENT;

    FUZZ_ASSERT(buf);
    if (size)
        memcpy(buf, data, size);

    memset(&ci, 0x5a, sizeof(ci)); /* the parser must set every field */
    vpmu_hostcaps_parse_cpuinfo(buf, size, &ci);
    FUZZ_ASSERT(memchr(ci.vendor_id, '\0', sizeof(ci.vendor_id)));
    FUZZ_ASSERT(memchr(ci.model_name, '\0', sizeof(ci.model_name)));
    FUZZ_ASSERT((unsigned)ci.vendor < VPMU_VENDOR_LAST);
    FUZZ_ASSERT(vpmu_cpu_vendor_to_string(ci.vendor) != NULL);
    if (ci.arch_guess)
        FUZZ_ASSERT(strlen(ci.arch_guess) > 0);

    if (vpmu_hostcaps_parse_param_bool(buf, size, &param) == 0)
        FUZZ_ASSERT(param == VPMU_PARAM_YES || param == VPMU_PARAM_NO);
    free(buf);
    return 0;
}

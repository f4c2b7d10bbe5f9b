/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One table per fact: the architectures vpmu knows.  Guests are built for
 * x86_64 and aarch64, the two whose guest XML vpmu's builder knows; explain
 * also has rules for i686 (x86) and ppc64/ppc64le (the PMU cannot be turned
 * off); the rest are known so that a host or domain of that arch is named and
 * given its default machine.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "util.h"

static const vpmu_arch_info arches[] = {
        /* name      family                   machine    builds explains */
        {"x86_64", VPMU_ARCH_FAMILY_X86, "q35", true, true},
        {"aarch64", VPMU_ARCH_FAMILY_ARM64, "virt", true, true},
        {"i686", VPMU_ARCH_FAMILY_X86, "q35", false, true},
        {"ppc64", VPMU_ARCH_FAMILY_PPC64, "pseries", false, true},
        {"ppc64le", VPMU_ARCH_FAMILY_PPC64, "pseries", false, true},
        {"i386", VPMU_ARCH_FAMILY_X86, "q35", false, false},
        {"armv7l", VPMU_ARCH_FAMILY_OTHER, "virt", false, false},
        {"riscv64", VPMU_ARCH_FAMILY_OTHER, "virt", false, false},
        {"s390x", VPMU_ARCH_FAMILY_OTHER, "s390-ccw-virtio", false, false},
};

const vpmu_arch_info *
vpmu_arch_lookup(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < ELEMENTSOF(arches); i++)
        if (STREQ(name, arches[i].name))
            return &arches[i];
    return NULL;
}

vpmu_arch_family
vpmu_arch_family_of(const char *name)
{
    const vpmu_arch_info *a = vpmu_arch_lookup(name);
    return a ? a->family : VPMU_ARCH_FAMILY_OTHER;
}

bool
vpmu_arch_same_family(const char *a, const char *b)
{
    vpmu_arch_family fa;

    if (!a || !b)
        return false;
    if (STREQ(a, b))
        return true;
    fa = vpmu_arch_family_of(a);
    return fa != VPMU_ARCH_FAMILY_OTHER && fa == vpmu_arch_family_of(b);
}

static bool
accepted(const vpmu_arch_info *a, bool explain)
{
    return explain ? a->explained : a->supported;
}

bool
vpmu_arch_supported(const char *name, bool explain)
{
    const vpmu_arch_info *a = vpmu_arch_lookup(name);
    return a && accepted(a, explain);
}

char *
vpmu_arch_supported_list(bool explain)
{
    char *buf = xstrdup("");
    size_t n = 0, k = 0;

    for (size_t i = 0; i < ELEMENTSOF(arches); i++)
        n += accepted(&arches[i], explain);
    for (size_t i = 0; i < ELEMENTSOF(arches); i++) {
        char *next;
        if (!accepted(&arches[i], explain))
            continue;
        next = xasprintf("%s%s%s", buf, k == 0 ? "" : k + 1 == n ? " or " : ", ", arches[i].name);
        free(buf);
        buf = next;
        k++;
    }
    return buf;
}

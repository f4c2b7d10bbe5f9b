/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one table of guest and host architectures (arch.c): each name's
 * family, QEMU's default machine type for it, and whether vpmu builds and
 * explains guests of it.  Internal (libvpmu-util): the libraries and the CLI
 * ask it whenever an arch is computed, accepted or compared.
 */
#ifndef VPMU_ARCH_H
#define VPMU_ARCH_H

#include <stdbool.h>

typedef enum {
    VPMU_ARCH_FAMILY_OTHER = 0,
    VPMU_ARCH_FAMILY_X86,
    VPMU_ARCH_FAMILY_ARM64,
    VPMU_ARCH_FAMILY_PPC64,
} vpmu_arch_family;

typedef struct {
    const char *name; /* libvirt's name: <type arch='...'>, capabilities */
    vpmu_arch_family family;
    const char *machine; /* the default machine type for a new guest */
    bool supported;      /* vpmu builds guests of this arch (xml, boot) */
    bool explained;      /* explain has rules for guests of this arch */
} vpmu_arch_info;

/* The entry for @name (libvirt's spelling), or NULL when it is not in the table. */
const vpmu_arch_info *vpmu_arch_lookup(const char *name);
/* The family of @name; VPMU_ARCH_FAMILY_OTHER for NULL or an arch not in the table. */
vpmu_arch_family vpmu_arch_family_of(const char *name);
/* Whether @a and @b are of one family (x86_64 and i686 are), false when either is NULL. */
bool vpmu_arch_same_family(const char *a, const char *b);
/* Whether vpmu builds guests of @name (@explain false) or explains them (@explain true). */
bool vpmu_arch_supported(const char *name, bool explain);
/*
 * Those names for a message, "x86_64 or aarch64", from the table.  Free it.
 */
char *vpmu_arch_supported_list(bool explain);

#endif /* VPMU_ARCH_H */

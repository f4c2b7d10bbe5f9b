/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * explain.h: the vPMU a guest will really get (pure: no I/O, no libvirt).
 *
 * The decision says what the operator and tenant asked for; the effective
 * state is what the guest gets, given arch, virt type, CPU mode and model,
 * the host (PMU, kvm.enable_pmu, CPU vendor) and the QEMU version.  The rules
 * and their sources are in explain.c and docs/host-and-explain.md.
 */
#ifndef VPMU_EXPLAIN_H
#define VPMU_EXPLAIN_H

#include "vpmu/common.h"
#include "vpmu/hostcaps.h"
#include "vpmu/policy.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    VPMU_EFFECTIVE_UNKNOWN = 0, /* vpmu cannot tell (the reasons say what it depends on) */
    VPMU_EFFECTIVE_ON,          /* the guest has a vPMU */
    VPMU_EFFECTIVE_OFF,         /* the guest has none */
    VPMU_EFFECTIVE_PARTIAL,     /* off, but only partly (AMD, QEMU older than 11) */
    VPMU_EFFECTIVE_REFUSED,     /* libvirt rejects the setting (ppc64 off) */
    VPMU_EFFECTIVE_LAST
} vpmu_effective;

/* "unknown", "on", "off", "partial", "refused"; NULL when out of range. */
VPMU_EXPORT const char *vpmu_effective_to_string(vpmu_effective e);

/* QEMU 11.0.0 as a version number: from it on, pmu=off fully disables the AMD vPMU. */
#define VPMU_QEMU_AMD_FULL_OFF 11000000ul

/*
 * Parse "MAJOR[.MINOR[.MICRO]]" ("11", "7.2", "7.2.0"; each part a checked decimal below 1000) into
 * MAJOR*1000000+MINOR*1000+MICRO, libvirt's encoding.  Returns 0 or -1.
 */
VPMU_EXPORT int vpmu_version_parse(const char *s, unsigned long *out);
/* Format such a number as "MAJOR.MINOR.MICRO" into @buf (>= 16 bytes); returns @buf. */
VPMU_EXPORT char *vpmu_version_format(unsigned long v, char *buf, size_t size);

/* Inputs; strings are borrowed. */
typedef struct {
    vpmu_pmu decision;
    const char *arch;           /* guest arch; NULL: the host's, else unknown */
    const char *virt_type;      /* <domain type>: "kvm", "qemu", other; NULL: unknown */
    const char *cpu_mode;       /* host-passthrough, host-model, custom, maximum; NULL: no <cpu> */
    const char *cpu_model;      /* with custom */
    const vpmu_hostcaps *host;  /* NULL: the host is unknown */
    unsigned long qemu_version; /* 0: unknown */
} vpmu_explain_input;

typedef struct vpmu_explanation vpmu_explanation;

/* Explain.  Never fails (out of memory aborts); free with vpmu_explanation_free(). */
VPMU_EXPORT vpmu_explanation *vpmu_explain(const vpmu_explain_input *in);
/* Accepts NULL. */
VPMU_EXPORT void vpmu_explanation_free(vpmu_explanation *ex);

VPMU_EXPORT vpmu_effective vpmu_explanation_get_state(const vpmu_explanation *ex);
/*
 * Short stable name of the rule that decided, e.g. "x86-tcg",
 * "amd-off-old-qemu" (see docs/host-and-explain.md).  Borrowed.
 */
VPMU_EXPORT const char *vpmu_explanation_get_rule(const vpmu_explanation *ex);
/* The <pmu> element libvirt gets, or NULL when none is emitted.  Borrowed. */
VPMU_EXPORT const char *vpmu_explanation_get_element(const vpmu_explanation *ex);
/* The reasons, one phrase each, NULL-terminated; *n (optional) gets the count.  Borrowed. */
VPMU_EXPORT const char *const *vpmu_explanation_get_reasons(const vpmu_explanation *ex, size_t *n);
/*
 * Whether the guest gets what was decided: on -> on, off -> off.  An unset
 * decision asked for nothing and is always honoured; an unknown state is not
 * counted as a failure (nothing is known to be wrong).
 */
VPMU_EXPORT bool vpmu_explanation_honours_decision(const vpmu_explanation *ex);

/*
 * The kind of vPMU the guest gets: none (no vPMU), emulated (perf-event
 * backed; also TCG and arm64), mediated (x86 KVM host with
 * enable_mediated_pmu=Y), or unknown (the host or the state is unknown).
 * The reasons say what the kind means for perf inside the guest and for
 * profiling the guest from the host, with the published figures and their
 * source (docs/host-and-explain.md).  Borrowed, NULL-terminated.
 */
VPMU_EXPORT vpmu_kind vpmu_explanation_get_kind(const vpmu_explanation *ex);
VPMU_EXPORT const char *const *vpmu_explanation_get_kind_reasons(const vpmu_explanation *ex,
                                                                 size_t *n);

#ifdef __cplusplus
}
#endif
#endif /* VPMU_EXPLAIN_H */

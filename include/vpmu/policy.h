/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * policy.h: the pure decision.  No I/O, no JSON, no XML, no libvirt.
 *
 * Semantics follow Nova's get_pmu_constraint() (nova/virt/hardware.py): the
 * flavor extra spec `hw:pmu` (operator) and the image property `hw_pmu`
 * (tenant) resolve to on, off or unset, and a disagreement is refused rather
 * than resolved by precedence, so a tenant can never override the operator.
 *
 * Deliberate difference from Nova: Nova parses leniently at boot (an unknown
 * string silently becomes False); vpmu accepts only the twelve oslo
 * bool_from_string spellings and refuses anything else.  See docs/reference.md.
 */
#ifndef VPMU_POLICY_H
#define VPMU_POLICY_H

#include "vpmu/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The tristate, exactly libvirt's virTristateSwitch: absent, on, off. */
typedef enum {
    VPMU_PMU_UNSET = 0,
    VPMU_PMU_ON,
    VPMU_PMU_OFF,
    VPMU_PMU_LAST
} vpmu_pmu;

/* Which input decided. */
typedef enum {
    VPMU_SOURCE_NONE = 0, /* neither input sets it */
    VPMU_SOURCE_FLAVOR,
    VPMU_SOURCE_IMAGE,
    VPMU_SOURCE_BOTH, /* both set it, to the same value */
    VPMU_SOURCE_LAST
} vpmu_source;

/* "unset", "on", "off"; NULL for out-of-range values. */
VPMU_EXPORT const char *vpmu_pmu_to_string(vpmu_pmu pmu);
/* Inverse of vpmu_pmu_to_string(); -1 when unknown. */
VPMU_EXPORT int vpmu_pmu_from_string(const char *s);
/* "none", "flavor", "image", "flavor+image". */
VPMU_EXPORT const char *vpmu_source_to_string(vpmu_source source);

/* The two key names, as OpenStack spells them. */
#define VPMU_FLAVOR_KEY "hw:pmu"
#define VPMU_IMAGE_KEY "hw_pmu"

/*
 * Strict boolean parse: the oslo.utils bool_from_string spellings, any case,
 * surrounding ASCII whitespace ignored.  True: 1 t true on y yes; false: 0 f
 * false off n no.  Returns 0 and sets *out, or -1 for anything else.
 */
VPMU_EXPORT int vpmu_parse_bool(const char *s, bool *out);

/* The accepted spellings, for messages: "1, t, true, on, y, yes, 0, f, false, off, n, no". */
VPMU_EXPORT const char *vpmu_accepted_bool_values(void);

/*
 * Inputs: raw values as found (NULL when the key is absent) and display names
 * of the flavor and the image (may be NULL).  Strings are borrowed.
 */
typedef struct {
    const char *flavor_name;
    const char *flavor_value; /* raw hw:pmu */
    const char *image_name;
    const char *image_value; /* raw hw_pmu; a JSON boolean arrives as "true"/"false" */
} vpmu_policy_input;

typedef struct {
    vpmu_pmu pmu;       /* the result */
    vpmu_source source; /* which input decided */
    vpmu_pmu flavor;    /* what the flavor alone says */
    vpmu_pmu image;     /* what the image alone says */
} vpmu_decision;

/*
 * Decide.  Errors: VPMU_ERR_INVALID for a value that is not one of the twelve
 * spellings (the message names the key, the value, flavor or image, and the
 * accepted values); VPMU_ERR_CONFLICT when both are set and disagree (the
 * message names both inputs and values and how to resolve it).
 */
VPMU_EXPORT int vpmu_decide(const vpmu_policy_input *in, vpmu_decision *out, vpmu_error **error);

#ifdef __cplusplus
}
#endif
#endif /* VPMU_POLICY_H */

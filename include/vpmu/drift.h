/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drift.h: does a guest still carry what its flavor and image decide now?
 * (libvpmu; pure: no I/O.)
 *
 * A guest Nova booted keeps the <pmu> its flavor and image decided at boot.
 * When the operator changes the flavor (hw:pmu) or the tenant the image
 * (hw_pmu) afterwards, the guest does not follow: that difference is drift.
 * The comparison is of the setting in the domain XML (on, off, or no <pmu>
 * element), as Nova writes it, not of the effective state on the host.
 */
#ifndef VPMU_DRIFT_H
#define VPMU_DRIFT_H

#include "vpmu/common.h"
#include "vpmu/metadata.h"
#include "vpmu/policy.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    VPMU_DRIFT_IN_SYNC = 0, /* the guest has what its flavor and image decide now */
    VPMU_DRIFT_DRIFT,       /* it has something else */
    VPMU_DRIFT_UNMANAGED,   /* no Nova instance metadata: nothing to compare with */
    VPMU_DRIFT_UNKNOWN,     /* the flavor or image is gone, ambiguous or unreadable,
                               or they no longer decide (conflict, invalid value) */
    VPMU_DRIFT_LAST
} vpmu_drift_state;

/* "in-sync", "drift", "not-managed", "unknown"; NULL out of range. */
VPMU_EXPORT const char *vpmu_drift_state_to_string(vpmu_drift_state state);

typedef struct {
    vpmu_drift_state state;
    vpmu_pmu has;           /* the guest's <pmu> */
    vpmu_pmu decides;       /* what the flavor and image decide now (IN_SYNC, DRIFT) */
    vpmu_decision decision; /* the whole decision (IN_SYNC, DRIFT) */
    char *reason;           /* one phrase, owned; never NULL after vpmu_drift_compare() */
} vpmu_drift;

/*
 * Compare the guest's setting @has with what @flavor and @image decide.
 * @flavor is the guest's flavor as the cloud has it now (required);
 * @image its root image, or NULL when the guest has none (boot from volume:
 * the image side is then unset).  A decision that fails (a conflict, an
 * invalid value) gives VPMU_DRIFT_UNKNOWN with the policy's message as the
 * reason; that is not an error of this function.  The reason names the
 * input that decided and its value, e.g. "flavor 'vran.du.large' now has
 * hw:pmu=false; the guest still has the vPMU (<pmu state='on'/>)".
 * -1 (VPMU_ERR_USAGE) only for a NULL @flavor or @out.
 */
VPMU_EXPORT int vpmu_drift_compare(vpmu_pmu has, const vpmu_flavor *flavor, const vpmu_image *image,
                                   vpmu_drift *out, vpmu_error **error);

/*
 * The same outcome for a guest whose flavor or image could not be had:
 * state @state (UNMANAGED or UNKNOWN), @reason copied.
 */
VPMU_EXPORT void vpmu_drift_set(vpmu_drift *out, vpmu_drift_state state, vpmu_pmu has,
                                const char *reason);

/* Frees the reason (not the struct); accepts NULL. */
VPMU_EXPORT void vpmu_drift_clear(vpmu_drift *drift);

#ifdef __cplusplus
}
#endif
#endif /* VPMU_DRIFT_H */

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * placement.h: OpenStack Placement over libcurl (libvpmu-virt).
 *
 * Sends "OpenStack-API-Version: placement 1.39" and "X-Auth-Token" on every
 * request; every request has connect and total timeouts.  Errors carry the
 * HTTP status or libcurl's message and are VPMU_ERR_RUNTIME.
 */
#ifndef VPMU_PLACEMENT_H
#define VPMU_PLACEMENT_H

#include "vpmu/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The trait vpmu reports.  os-traits has no PMU trait, hence CUSTOM_. */
#define VPMU_TRAIT "CUSTOM_COMPUTE_VPMU"

typedef struct vpmu_placement vpmu_placement;

/* @url: Placement endpoint, e.g. http://127.0.0.1:8778; @token may be NULL. */
VPMU_EXPORT vpmu_placement *vpmu_placement_new(const char *url, const char *token,
                                               vpmu_error **error);
VPMU_EXPORT void vpmu_placement_free(vpmu_placement *pl);

/* PUT /traits/{trait}: create the custom trait if missing (201/204 both fine). */
VPMU_EXPORT int vpmu_placement_ensure_trait(vpmu_placement *pl, const char *trait,
                                            vpmu_error **error);

/*
 * Add (@present) or remove @trait on a provider, keeping every other trait:
 * GET the traits and generation, PUT the new set with that generation, and on
 * 409 (stale generation) re-read and retry a bounded number of times.
 * *changed (optional) tells whether anything was written.
 */
VPMU_EXPORT int vpmu_placement_set_provider_trait(vpmu_placement *pl, const char *provider_uuid,
                                                  const char *trait, bool present, bool *changed,
                                                  vpmu_error **error);

#ifdef __cplusplus
}
#endif
#endif /* VPMU_PLACEMENT_H */

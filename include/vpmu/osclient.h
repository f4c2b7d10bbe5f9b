/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * osclient.h: flavors from Nova and images from Glance, over an
 * authenticated session (vpmu/cloud.h), with the endpoints from its catalog
 * (libvpmu-virt).
 *
 *  - Nova: `GET /flavors/{id}` with "OpenStack-API-Version: compute 2.61",
 *    the first microversion that embeds "extra_specs" in a flavor; a name is
 *    looked up in `GET /flavors/detail?is_public=None` (every flavor the
 *    caller may see, private ones too for an admin), page by page.  An id
 *    wins over a name, as openstackclient has it.
 *  - Glance: `GET /v2/images/{id}` for an argument shaped like a UUID, else
 *    (or on a 404) `GET /v2/images?name=NAME`, page by page; names are
 *    compared exactly once more here.
 *
 * One client serves one run: what it fetched is kept, so each distinct
 * flavor or image is asked for once however many guests use it, and the
 * flavor list once for every name.  Not thread-safe (neither is the session).
 */
#ifndef VPMU_OSCLIENT_H
#define VPMU_OSCLIENT_H

#include "vpmu/cloud.h"
#include "vpmu/common.h"
#include "vpmu/metadata.h"
#include "vpmu/openstack.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The Nova microversion asked for: the first that embeds extra_specs in flavors. */
#define VPMU_NOVA_MICROVERSION "2.61"

typedef struct vpmu_osclient vpmu_osclient;

/* @cloud is borrowed and must outlive the client. */
VPMU_EXPORT vpmu_osclient *vpmu_osclient_new(vpmu_cloud *cloud);
/* Accepts NULL. */
VPMU_EXPORT void vpmu_osclient_free(vpmu_osclient *client);

/*
 * The flavor with id @id_or_name, else the one flavor named so; the image
 * likewise.  Owned by the caller.  Errors: VPMU_ERR_RUNTIME "flavor 'X' not
 * found" (none; exit 1) or a failed request; VPMU_ERR_INVALID "flavor name 'X'
 * is ambiguous: ids ...; give the id" (exit 3) or an answer that is not a
 * flavor.  Not cached: for `decide` and the other one-guest commands.
 */
VPMU_EXPORT vpmu_flavor *vpmu_osclient_get_flavor(vpmu_osclient *client, const char *id_or_name,
                                                  vpmu_error **error);
VPMU_EXPORT vpmu_image *vpmu_osclient_get_image(vpmu_osclient *client, const char *id_or_name,
                                                vpmu_error **error);

/*
 * For audits: the flavor named @name (Nova's domain metadata names flavors,
 * not ids), the image with id @id.  On FOUND *out is set (borrowed from the
 * client); otherwise *why (borrowed) says what went wrong, one phrase.  The
 * first call for a name fetches the whole flavor list, the first for an id
 * that image; every later call for it, whatever the outcome, is answered
 * from memory.
 */
VPMU_EXPORT vpmu_lookup vpmu_osclient_find_flavor(vpmu_osclient *client, const char *name,
                                                  const vpmu_flavor **out, const char **why);
VPMU_EXPORT vpmu_lookup vpmu_osclient_find_image(vpmu_osclient *client, const char *id,
                                                 const vpmu_image **out, const char **why);

/*
 * Fetch the flavor list now, for find_flavor() to answer from; a failure is
 * returned here instead of being reported per guest.  Called again, it does
 * nothing (the list is read once per client).
 */
VPMU_EXPORT int vpmu_osclient_load_flavors(vpmu_osclient *client, vpmu_error **error);

/* HTTP requests this client sent to Nova and Glance (Keystone's are the session's). */
VPMU_EXPORT unsigned long vpmu_osclient_request_count(const vpmu_osclient *client);
/* Distinct flavors and images looked up by find_*() so far. */
VPMU_EXPORT size_t vpmu_osclient_flavors_seen(const vpmu_osclient *client);
VPMU_EXPORT size_t vpmu_osclient_images_seen(const vpmu_osclient *client);

#ifdef __cplusplus
}
#endif
#endif /* VPMU_OSCLIENT_H */

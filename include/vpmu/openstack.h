/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * openstack.h: flavors from Nova's list answer and images from Glance's, and
 * the lookup of one of them by name (libvpmu: jansson only, no I/O).
 *
 * The client that asks Nova and Glance for these answers lives in
 * libvpmu-virt (vpmu/osclient.h); what it receives is parsed here, so that
 * the parsers are tested and fuzzed without a network.
 *
 * Each element of a list goes through the very parser that reads a flavor or
 * image file (vpmu_flavor_parse / vpmu_image_parse), so a flavor read from
 * Nova decides exactly as the same flavor exported to a file does.
 *
 * Lists:
 *  - Nova `GET /flavors/detail` (microversion 2.61 or later, so each flavor
 *    carries "extra_specs"): {"flavors": [...], "flavors_links": [...]};
 *    the "next" link of "flavors_links" is the next page.
 *  - Glance `GET /v2/images`: {"images": [...], "next": "/v2/images?..."}.
 */
#ifndef VPMU_OPENSTACK_H
#define VPMU_OPENSTACK_H

#include "vpmu/common.h"
#include "vpmu/metadata.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vpmu_flavor_list vpmu_flavor_list;
typedef struct vpmu_image_list vpmu_image_list;

VPMU_EXPORT vpmu_flavor_list *vpmu_flavor_list_new(void);
VPMU_EXPORT vpmu_image_list *vpmu_image_list_new(void);
VPMU_EXPORT void vpmu_flavor_list_free(vpmu_flavor_list *list);
VPMU_EXPORT void vpmu_image_list_free(vpmu_image_list *list);

/*
 * Append the flavors (images) of one page of a list answer.  @source names
 * the answer in messages ("GET /flavors/detail").  *next (optional) receives
 * the link to the next page, owned by the caller, or NULL on the last page.
 * VPMU_ERR_INVALID for an answer that is not such a list, or an element that
 * is not a flavor (image) as vpmu_flavor_parse (vpmu_image_parse) reads them;
 * on failure the list is as it was before the call.
 */
VPMU_EXPORT int vpmu_flavor_list_add_page(vpmu_flavor_list *list, const char *buf, size_t len,
                                          const char *source, char **next, vpmu_error **error);
VPMU_EXPORT int vpmu_image_list_add_page(vpmu_image_list *list, const char *buf, size_t len,
                                         const char *source, char **next, vpmu_error **error);

VPMU_EXPORT size_t vpmu_flavor_list_count(const vpmu_flavor_list *list);
VPMU_EXPORT size_t vpmu_image_list_count(const vpmu_image_list *list);
/* Borrowed; NULL past the end. */
VPMU_EXPORT const vpmu_flavor *vpmu_flavor_list_at(const vpmu_flavor_list *list, size_t i);
VPMU_EXPORT const vpmu_image *vpmu_image_list_at(const vpmu_image_list *list, size_t i);

/*
 * The one flavor (image) called @name: names are compared exactly, as Nova
 * and Glance store them.  Returns its index, or -1 with
 *  - VPMU_ERR_RUNTIME "flavor 'NAME' not found" when there is none (exit 1,
 *    as for a 404);
 *  - VPMU_ERR_INVALID "flavor name 'NAME' is ambiguous: ids 'A', 'B'; give
 *    the id" when there are several (exit 3).
 * The images' form is the same with "image".
 */
VPMU_EXPORT long vpmu_flavor_list_find(const vpmu_flavor_list *list, const char *name,
                                       vpmu_error **error);
VPMU_EXPORT long vpmu_image_list_find(const vpmu_image_list *list, const char *name,
                                      vpmu_error **error);

/* Remove element @i from the list and hand it to the caller (NULL past the end). */
VPMU_EXPORT vpmu_flavor *vpmu_flavor_list_steal(vpmu_flavor_list *list, size_t i);
VPMU_EXPORT vpmu_image *vpmu_image_list_steal(vpmu_image_list *list, size_t i);

/* How a cached lookup went. */
typedef enum {
    VPMU_LOOKUP_FOUND = 0,
    VPMU_LOOKUP_MISSING,   /* no such flavor or image (any more) */
    VPMU_LOOKUP_AMBIGUOUS, /* several flavors or images have that name */
    VPMU_LOOKUP_FAILED,    /* the service could not be asked, or answered nonsense */
    VPMU_LOOKUP_LAST
} vpmu_lookup;

/* "found", "missing", "ambiguous", "failed". */
VPMU_EXPORT const char *vpmu_lookup_to_string(vpmu_lookup lookup);

#ifdef __cplusplus
}
#endif
#endif /* VPMU_OPENSTACK_H */

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * metadata.h: OpenStack flavors and images, read from JSON (jansson).
 *
 * Accepted shapes (docs/reference.md):
 *  flavor  - Nova API, {"flavor": {...}} or bare, with "extra_specs";
 *          - `openstack flavor show -f json`, "properties" as an object or as
 *            the older "key='value', ..." string;
 *  image   - Glance v2, custom properties at top level;
 *          - `openstack image show -f json`, with a "properties" object;
 *          - hw_pmu may be a JSON boolean or a string.
 * Malformed JSON fails with VPMU_ERR_INVALID and "FILE:LINE:COLUMN: text".
 * A document of another shape (a list of flavors or images, a server, an
 * empty object, an image where a flavor is expected and so on) fails with
 * VPMU_ERR_INVALID naming what it looks like.
 * Duplicate keys, NUL characters and UTF-16 are refused; one leading UTF-8
 * byte order mark is skipped (src/lib/metadata.c explains each choice).
 */
#ifndef VPMU_METADATA_H
#define VPMU_METADATA_H

#include "vpmu/common.h"
#include "vpmu/policy.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Input size cap for one flavor or image document. */
#define VPMU_METADATA_MAX_BYTES (4u * 1024u * 1024u)

typedef struct vpmu_flavor vpmu_flavor;
typedef struct vpmu_image vpmu_image;

/* An empty flavor/image (for the inline --flavor-spec/--image-prop forms). */
VPMU_EXPORT vpmu_flavor *vpmu_flavor_new(const char *name);
VPMU_EXPORT vpmu_image *vpmu_image_new(const char *name);

/* Parse a document.  @filename is used in messages only ("<stdin>" for stdin). */
VPMU_EXPORT vpmu_flavor *vpmu_flavor_parse(const char *buf, size_t len, const char *filename,
                                           vpmu_error **error);
VPMU_EXPORT vpmu_image *vpmu_image_parse(const char *buf, size_t len, const char *filename,
                                         vpmu_error **error);
/* Read and parse a file; "-" reads stdin.  Capped at VPMU_METADATA_MAX_BYTES. */
VPMU_EXPORT vpmu_flavor *vpmu_flavor_load(const char *path, vpmu_error **error);
VPMU_EXPORT vpmu_image *vpmu_image_load(const char *path, vpmu_error **error);

VPMU_EXPORT void vpmu_flavor_free(vpmu_flavor *flavor);
VPMU_EXPORT void vpmu_image_free(vpmu_image *image);

/*
 * Name and id (NULL when absent).  Borrowed.  Getters accept a NULL flavor or
 * image (and return NULL / 0); set_name(NULL) clears the name.
 */
VPMU_EXPORT const char *vpmu_flavor_get_name(const vpmu_flavor *flavor);
VPMU_EXPORT const char *vpmu_flavor_get_id(const vpmu_flavor *flavor);
VPMU_EXPORT void vpmu_flavor_set_name(vpmu_flavor *flavor, const char *name);
VPMU_EXPORT const char *vpmu_image_get_name(const vpmu_image *image);
VPMU_EXPORT const char *vpmu_image_get_id(const vpmu_image *image);
VPMU_EXPORT void vpmu_image_set_name(vpmu_image *image, const char *name);

/* Flavor sizing: ram in MiB, vcpus; 0 when the document did not say. */
VPMU_EXPORT unsigned long long vpmu_flavor_get_ram_mib(const vpmu_flavor *flavor);
VPMU_EXPORT unsigned int vpmu_flavor_get_vcpus(const vpmu_flavor *flavor);

/* Extra specs / image properties as strings (JSON booleans as "true"/"false"). */
VPMU_EXPORT const char *vpmu_flavor_get_spec(const vpmu_flavor *flavor, const char *key);
VPMU_EXPORT const char *vpmu_image_get_prop(const vpmu_image *image, const char *key);
/*
 * Set (or replace, keeping its position) a spec/property, e.g. from
 * --flavor-spec K=V; a NULL @value removes it.  Keys are case-sensitive
 * ("HW_PMU" is not "hw_pmu").  Strings must be UTF-8.
 */
VPMU_EXPORT void vpmu_flavor_set_spec(vpmu_flavor *flavor, const char *key, const char *value);
VPMU_EXPORT void vpmu_image_set_prop(vpmu_image *image, const char *key, const char *value);
/* Iterate in document order.  Returns false past the end.  Borrowed strings. */
VPMU_EXPORT size_t vpmu_flavor_spec_count(const vpmu_flavor *flavor);
VPMU_EXPORT bool vpmu_flavor_spec_at(const vpmu_flavor *flavor, size_t i, const char **key,
                                     const char **value);
VPMU_EXPORT size_t vpmu_image_prop_count(const vpmu_image *image);
VPMU_EXPORT bool vpmu_image_prop_at(const vpmu_image *image, size_t i, const char **key,
                                    const char **value);

/*
 * Parse "KEY=VALUE" (from --flavor-spec / --image-prop) and set it.  Split at
 * the first '='; the value is kept as given (blanks included: the policy
 * ignores blanks around booleans).  VPMU_ERR_USAGE when there is no '=', the
 * key is empty or has blanks around it, or the text is not UTF-8.
 */
VPMU_EXPORT int vpmu_flavor_set_spec_kv(vpmu_flavor *flavor, const char *kv, vpmu_error **error);
VPMU_EXPORT int vpmu_image_set_prop_kv(vpmu_image *image, const char *kv, vpmu_error **error);

/*
 * Keys that are near misses of hw:pmu (flavor) / hw_pmu (image) and so are
 * ignored by the decision: another separator or case ("hw_pmu", "HW:PMU",
 * "hw-pmu"), the other side's key ("hw_pmu" in a flavor, "hw:pmu" on an
 * image), stray characters, one letter off.  One message per key, naming the
 * key and the one meant; the library never prints them.  Returns a
 * NULL-terminated array (empty when all is well); free it with
 * vpmu_metadata_warnings_free().  Either argument may be NULL.
 */
VPMU_EXPORT char **vpmu_metadata_key_warnings(const vpmu_flavor *flavor, const vpmu_image *image);
VPMU_EXPORT void vpmu_metadata_warnings_free(char **warnings);

/* Decide for a flavor and an image (either may be NULL: treated as unset). */
VPMU_EXPORT int vpmu_decide_for(const vpmu_flavor *flavor, const vpmu_image *image,
                                vpmu_decision *out, vpmu_error **error);

#ifdef __cplusplus
}
#endif
#endif /* VPMU_METADATA_H */

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * placement.h: OpenStack Placement over libcurl (libvpmu-virt).
 *
 * Every request sends "OpenStack-API-Version: placement 1.39", "Accept:
 * application/json" and, when a token is given, "X-Auth-Token"; every request
 * has a connect timeout and a total timeout.  Failures are VPMU_ERR_RUNTIME
 * and name the method, the URL, the HTTP status and Placement's own error
 * text ({"errors": [{"status", "title", "detail"}]}); a bad URL, provider
 * UUID or trait name is VPMU_ERR_USAGE.
 *
 * The vpmu_placement_parse_*() functions are pure (no network): they read the
 * JSON bodies Placement answers with, so tests and fuzzers can drive them.
 * Their errors are VPMU_ERR_INVALID.
 */
#ifndef VPMU_PLACEMENT_H
#define VPMU_PLACEMENT_H

#include "vpmu/cloud.h"
#include "vpmu/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The trait vpmu reports, VPMU_TRAIT, is defined in vpmu/common.h. */

/* The microversion sent with every request. */
#define VPMU_PLACEMENT_MICROVERSION "1.39"

/* Defaults: connect timeout, total timeout per request, PUT attempts on 409. */
#define VPMU_PLACEMENT_CONNECT_TIMEOUT_MS 5000L
#define VPMU_PLACEMENT_TIMEOUT_MS 30000L
#define VPMU_PLACEMENT_MAX_ATTEMPTS 5u
/* Default overall deadline of a handle: every request it makes ends within this from its creation.
 */
#define VPMU_PLACEMENT_DEADLINE_MS 120000L

/* Largest response body accepted. */
#define VPMU_PLACEMENT_MAX_BODY (32u * 1024u * 1024u)

typedef struct vpmu_placement vpmu_placement;

/*
 * @url: the Placement endpoint, http:// or https://, e.g.
 * http://127.0.0.1:8778 (a trailing '/' is ignored); @token may be NULL (no
 * X-Auth-Token header).  Both are copied.  Free with vpmu_placement_free().
 */
VPMU_EXPORT vpmu_placement *vpmu_placement_new(const char *url, const char *token,
                                               vpmu_error **error);
/*
 * A handle whose requests go through the Keystone session @cloud (borrowed:
 * it must outlive the handle): the token is renewed when close to expiry and
 * once on a 401.  @url NULL: the catalog's 'placement' endpoint for the
 * session's interface and region.
 */
VPMU_EXPORT vpmu_placement *vpmu_placement_new_cloud(vpmu_cloud *cloud, const char *url,
                                                     vpmu_error **error);
/* Tokens the session renewed during this handle's requests (expiry or 401). */
VPMU_EXPORT unsigned vpmu_placement_get_renewals(const vpmu_placement *pl);

/* Accepts NULL. */
VPMU_EXPORT void vpmu_placement_free(vpmu_placement *pl);

/*
 * GET /resource_providers?name=NAME: *uuid (optional, caller frees) gets the
 * UUID of the provider of that name.  No such provider is VPMU_ERR_RUNTIME
 * naming it; an empty, too long (> 200) or control-character name is
 * VPMU_ERR_USAGE.
 */
VPMU_EXPORT int vpmu_placement_find_provider(vpmu_placement *pl, const char *name, char **uuid,
                                             vpmu_error **error);

/* Override the timeouts (milliseconds, > 0) and the number of PUT attempts (>= 1). */
VPMU_EXPORT void vpmu_placement_set_timeouts(vpmu_placement *pl, long connect_ms, long total_ms);
VPMU_EXPORT void vpmu_placement_set_max_attempts(vpmu_placement *pl, unsigned attempts);
/*
 * The overall deadline: every request of @pl, retries and backoff included,
 * must end within @total_ms (> 0) from now.  Each request's own timeouts are
 * cut to what is left, and a request due after the deadline is not sent
 * (VPMU_ERR_RUNTIME).  A new handle starts with VPMU_PLACEMENT_DEADLINE_MS
 * from its creation (a handle is made for one command's work); a program
 * that keeps a handle sets a new deadline before each operation.
 */
VPMU_EXPORT void vpmu_placement_set_deadline(vpmu_placement *pl, long total_ms);

/* The endpoint, without a trailing '/'.  Borrowed. */
VPMU_EXPORT const char *vpmu_placement_get_url(const vpmu_placement *pl);

/*
 * Progress events, for logging and for tests that need to act between the
 * read and the write of a provider's traits (e.g. to provoke a 409).
 */
typedef enum {
    VPMU_PLACEMENT_EVENT_READ,     /* traits read: @generation is the one read */
    VPMU_PLACEMENT_EVENT_CONFLICT, /* a PUT got 409: @generation is the stale one */
    VPMU_PLACEMENT_EVENT_WRITTEN,  /* a PUT succeeded: @generation is the new one */
} vpmu_placement_event;

typedef void (*vpmu_placement_observer)(vpmu_placement *pl, vpmu_placement_event event,
                                        const char *provider_uuid, unsigned long long generation,
                                        void *userdata);
/* Called synchronously from the thread making the requests.  NULL removes it. */
VPMU_EXPORT void vpmu_placement_set_observer(vpmu_placement *pl, vpmu_placement_observer cb,
                                             void *userdata);

/*
 * PUT /traits/{trait}: create the custom trait if missing.  *created
 * (optional) is true for 201 (created) and false for 204 (already there).
 * @trait must match CUSTOM_[A-Z0-9_]+.
 */
VPMU_EXPORT int vpmu_placement_ensure_trait(vpmu_placement *pl, const char *trait, bool *created,
                                            vpmu_error **error);

/* What vpmu_placement_set_provider_trait() did. */
typedef struct {
    bool was_present;              /* the trait was on the provider when last read */
    bool changed;                  /* a PUT was accepted */
    unsigned attempts;             /* PUTs sent (0 when nothing needed changing) */
    unsigned conflicts;            /* 409 answers survived by re-reading */
    unsigned long long generation; /* the provider generation afterwards */
    size_t n_traits;               /* traits on the provider afterwards */
} vpmu_placement_trait_result;

/*
 * Add (@present) or remove @trait on a provider, keeping every other trait:
 * GET /resource_providers/{uuid}/traits for the set and the generation, then
 * PUT the set with our trait added or removed and that generation.  On 409
 * (someone else changed the provider in between) re-read and retry, up to the
 * configured number of attempts.  Nothing is written when the trait is
 * already as asked.  Adding needs the trait to exist (see
 * vpmu_placement_ensure_trait()).  @result is optional.
 */
VPMU_EXPORT int vpmu_placement_set_provider_trait(vpmu_placement *pl, const char *provider_uuid,
                                                  const char *trait, bool present,
                                                  vpmu_placement_trait_result *result,
                                                  vpmu_error **error);

/*
 * GET /resource_providers/{uuid}/traits.  *traits (optional) receives a
 * NULL-terminated array of owned strings, in Placement's order; free it with
 * vpmu_placement_strv_free().
 */
VPMU_EXPORT int vpmu_placement_get_provider_traits(vpmu_placement *pl, const char *provider_uuid,
                                                   char ***traits, unsigned long long *generation,
                                                   vpmu_error **error);

/* Free a NULL-terminated string array from this module.  Accepts NULL. */
VPMU_EXPORT void vpmu_placement_strv_free(char **v);

/*
 * Parse a {"traits": [...], "resource_provider_generation": N} body (the
 * answer to GET and PUT /resource_providers/{uuid}/traits).  Both keys are
 * required; every trait must be a non-empty string.  @traits and @generation
 * are optional outputs.
 */
VPMU_EXPORT int vpmu_placement_parse_traits(const char *buf, size_t len, char ***traits,
                                            unsigned long long *generation, vpmu_error **error);

/*
 * Placement's error text from an error body ({"errors": [{"status",
 * "title", "detail", ...}]}): the first error's detail (or title), with runs
 * of whitespace collapsed to one space.  NULL when the body is not of that
 * shape.  The caller frees the result.
 */
VPMU_EXPORT char *vpmu_placement_parse_error(const char *buf, size_t len);

/*
 * Allocation candidates, reduced to the providers that fit: every provider
 * that appears in some allocation request, with its summary (resources and
 * traits) and, when known, its name.  Sorted by name, then UUID.
 */
typedef struct vpmu_placement_candidates vpmu_placement_candidates;

/*
 * Validate and normalise a resources request: "CLASS=N,CLASS=N" or
 * "CLASS:N,..." with CLASS in [A-Z0-9_]+ and N a positive integer, to
 * Placement's "CLASS:N,CLASS:N".  NULL with VPMU_ERR_USAGE when malformed.
 */
VPMU_EXPORT char *vpmu_placement_normalize_resources(const char *resources, vpmu_error **error);

/*
 * GET /allocation_candidates?resources=R[&required=T], then GET
 * /resource_providers for the names.  @resources is normalised with
 * vpmu_placement_normalize_resources(); @required (may be NULL) is one trait
 * or a comma-separated list, each [A-Z0-9_]+ optionally prefixed by '!'.
 */
VPMU_EXPORT vpmu_placement_candidates *vpmu_placement_get_candidates(vpmu_placement *pl,
                                                                     const char *resources,
                                                                     const char *required,
                                                                     vpmu_error **error);

/* Parse a GET /allocation_candidates body (1.29 or later shape); names stay NULL. */
VPMU_EXPORT vpmu_placement_candidates *vpmu_placement_parse_candidates(const char *buf, size_t len,
                                                                       vpmu_error **error);
/* Accepts NULL. */
VPMU_EXPORT void vpmu_placement_candidates_free(vpmu_placement_candidates *c);

/*
 * A required trait that Placement does not know at all (so nothing can fit
 * and the answer is empty), or NULL.  Borrowed.
 */
VPMU_EXPORT const char *vpmu_placement_candidates_missing_trait(const vpmu_placement_candidates *c);
/* Number of allocation requests in the answer, and of distinct providers in them. */
VPMU_EXPORT size_t vpmu_placement_candidates_requests(const vpmu_placement_candidates *c);
VPMU_EXPORT size_t vpmu_placement_candidates_count(const vpmu_placement_candidates *c);
/* Provider @i: UUID, name (NULL when unknown), root provider UUID (NULL when absent). */
VPMU_EXPORT const char *vpmu_placement_candidates_uuid(const vpmu_placement_candidates *c,
                                                       size_t i);
VPMU_EXPORT const char *vpmu_placement_candidates_name(const vpmu_placement_candidates *c,
                                                       size_t i);
VPMU_EXPORT const char *vpmu_placement_candidates_root(const vpmu_placement_candidates *c,
                                                       size_t i);
/* Provider @i's traits, NULL-terminated, borrowed. */
VPMU_EXPORT const char *const *vpmu_placement_candidates_traits(const vpmu_placement_candidates *c,
                                                                size_t i);
/* Provider @i's resource @j (false past the end): class, capacity and used. */
VPMU_EXPORT bool vpmu_placement_candidates_resource(const vpmu_placement_candidates *c, size_t i,
                                                    size_t j, const char **resource_class,
                                                    unsigned long long *capacity,
                                                    unsigned long long *used);

#ifdef __cplusplus
}
#endif
#endif /* VPMU_PLACEMENT_H */

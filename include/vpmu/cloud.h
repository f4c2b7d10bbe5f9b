/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cloud.h: an authenticated OpenStack session (libvpmu-virt).
 *
 * Two layers:
 *
 *  - vpmu_cloud_config: where to authenticate and as whom, read the way
 *    openstacksdk and openstackclient read it.  A named cloud comes from the
 *    first clouds.yaml found (OS_CLIENT_CONFIG_FILE, ./clouds.yaml,
 *    ~/.config/openstack/clouds.yaml, /etc/openstack/clouds.yaml; .yml and
 *    .json are tried beside each .yaml), with the first secure.yaml found
 *    (OS_CLIENT_SECURE_FILE, then the same directories) merged over it.
 *    Without a name, the OS_* variables.  Parsing is done with libyaml and
 *    touches no network, so tests and fuzzers drive it directly.
 *
 *  - vpmu_cloud: a Keystone v3 session opened from such a config.  It asks
 *    POST /v3/auth/tokens for a token (password, v3applicationcredential or
 *    token method), keeps the token (X-Subject-Token), its expiry and the
 *    service catalog, renews the token when it is within
 *    VPMU_CLOUD_RENEW_MARGIN_S of expiry, and once more when a service
 *    answers 401.  vpmu_cloud_request() is the one authenticated JSON request
 *    function; it has an overall deadline and takes extra headers such as
 *    "OpenStack-API-Version: placement 1.39" or
 *    "X-OpenStack-Nova-API-Version: 2.61".
 *
 * Errors: a missing or malformed configuration is VPMU_ERR_USAGE (an unknown
 * cloud, a missing auth_url, an unknown auth_type) or VPMU_ERR_INVALID (YAML
 * that does not parse or has the wrong shape); everything that talks to a
 * server is VPMU_ERR_RUNTIME.  Messages name the auth URL, the user and the
 * project and Keystone's reason (HTTP 401 is "authentication failed"); no
 * message ever contains a password, an application-credential secret or a
 * token.
 *
 * Thread safety: one vpmu_cloud per thread (it owns one libcurl handle).
 */
#ifndef VPMU_CLOUD_H
#define VPMU_CLOUD_H

#include <jansson.h>
#include <time.h>

#include "vpmu/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Renew a token that expires within this many seconds (keystoneauth uses 120 too). */
#define VPMU_CLOUD_RENEW_MARGIN_S 120
/* Defaults: connect timeout and overall deadline of one request (including a renewal). */
#define VPMU_CLOUD_CONNECT_TIMEOUT_MS 5000L
#define VPMU_CLOUD_DEADLINE_MS 30000L
/* Largest body accepted from Keystone or a service. */
#define VPMU_CLOUD_MAX_BODY (32u * 1024u * 1024u)
/* Largest clouds.yaml / secure.yaml read. */
#define VPMU_CLOUD_MAX_CONFIG (1024u * 1024u)

typedef enum {
    VPMU_CLOUD_AUTH_PASSWORD = 0,           /* "password", "v3password" */
    VPMU_CLOUD_AUTH_APPLICATION_CREDENTIAL, /* "v3applicationcredential", "applicationcredential" */
    VPMU_CLOUD_AUTH_TOKEN,                  /* "token", "v3token" */
} vpmu_cloud_auth_type;

/* "password", "v3applicationcredential", "token". */
VPMU_EXPORT const char *vpmu_cloud_auth_type_to_string(vpmu_cloud_auth_type t);

/* ---- configuration (no network) ---------------------------------------------------------- */

typedef struct vpmu_cloud_config vpmu_cloud_config;

/*
 * Load the configuration of cloud @name from clouds.yaml (+ secure.yaml), or,
 * when @name is NULL or empty, from the OS_* variables.  Free with
 * vpmu_cloud_config_free().
 *
 * Defaults, as openstackclient has them: auth_type from the credentials
 * present (username or user_id: password; application_credential_id or _name
 * with a secret: v3applicationcredential; token: token); interface "public";
 * the user and project domain "default" (default_domain, OS_DEFAULT_DOMAIN)
 * when neither a domain name nor an id is given.
 */
VPMU_EXPORT vpmu_cloud_config *vpmu_cloud_config_load(const char *name, vpmu_error **error);

/*
 * The same from the given YAML texts instead of the files (@secure may be
 * NULL); @origin and @secure_origin name them in messages.  For tests and
 * fuzzing.
 */
VPMU_EXPORT vpmu_cloud_config *vpmu_cloud_config_parse(const char *name, const char *clouds,
                                                       size_t clouds_len, const char *origin,
                                                       const char *secure, size_t secure_len,
                                                       const char *secure_origin,
                                                       vpmu_error **error);

/* Accepts NULL.  Wipes the secrets. */
VPMU_EXPORT void vpmu_cloud_config_free(vpmu_cloud_config *cfg);

/*
 * A setting after defaults and merging, or NULL when unset.  Borrowed.  Keys
 * are clouds.yaml's: "auth_url", "username", "user_id", "password",
 * "user_domain_name", "user_domain_id", "project_name", "project_id",
 * "project_domain_name", "project_domain_id", "token",
 * "application_credential_id", "application_credential_name",
 * "application_credential_secret", "region_name", "interface", "cacert",
 * "verify" ("true"/"false"), "auth_type", and "SERVICE_endpoint_override"
 * (e.g. "placement_endpoint_override").
 */
VPMU_EXPORT const char *vpmu_cloud_config_get(const vpmu_cloud_config *cfg, const char *key);
VPMU_EXPORT vpmu_cloud_auth_type vpmu_cloud_config_get_auth_type(const vpmu_cloud_config *cfg);
/* The cloud's name ("envvars" for the OS_* variables).  Borrowed. */
VPMU_EXPORT const char *vpmu_cloud_config_get_name(const vpmu_cloud_config *cfg);
/* The clouds.yaml it came from, NULL for the OS_* variables.  Borrowed. */
VPMU_EXPORT const char *vpmu_cloud_config_get_origin(const vpmu_cloud_config *cfg);

/*
 * Whether a cloud is configured at all: @name non-empty, or $OS_AUTH_URL
 * set.  Callers use it to fall back to an unauthenticated endpoint.
 */
VPMU_EXPORT bool vpmu_cloud_configured(const char *name);

/* ---- the session ------------------------------------------------------------------------- */

typedef struct vpmu_cloud vpmu_cloud;

/*
 * vpmu_cloud_config_load(@name) and vpmu_cloud_open_config(): a session
 * with a valid token and its catalog.  Free with vpmu_cloud_free().
 */
VPMU_EXPORT vpmu_cloud *vpmu_cloud_open(const char *name, vpmu_error **error);

/* Authenticate with @cfg (copied); the first token is asked for here. */
VPMU_EXPORT vpmu_cloud *vpmu_cloud_open_config(const vpmu_cloud_config *cfg, vpmu_error **error);

/* Accepts NULL.  Wipes the token and the secrets; does not revoke the token. */
VPMU_EXPORT void vpmu_cloud_free(vpmu_cloud *cloud);

/* Connect timeout and default overall deadline (milliseconds, > 0; 0 keeps the value). */
VPMU_EXPORT void vpmu_cloud_set_timeouts(vpmu_cloud *cloud, long connect_ms, long deadline_ms);
/* Renew tokens that expire within @seconds (default VPMU_CLOUD_RENEW_MARGIN_S). */
VPMU_EXPORT void vpmu_cloud_set_renew_margin(vpmu_cloud *cloud, long seconds);

/* The configuration the session was opened with.  Borrowed. */
VPMU_EXPORT const vpmu_cloud_config *vpmu_cloud_get_config(const vpmu_cloud *cloud);

/*
 * The current token, renewed first if it is close to expiry.  Borrowed:
 * valid until the next call on @cloud.  Never print it.
 */
VPMU_EXPORT const char *vpmu_cloud_get_token(vpmu_cloud *cloud, vpmu_error **error);
/* When the current token expires (UTC), 0 if Keystone did not say. */
VPMU_EXPORT time_t vpmu_cloud_get_expiry(const vpmu_cloud *cloud);
/* Tokens obtained so far (1 after open; +1 per renewal). */
VPMU_EXPORT unsigned vpmu_cloud_get_token_count(const vpmu_cloud *cloud);
/* Ask Keystone for a new token now. */
VPMU_EXPORT int vpmu_cloud_reauthenticate(vpmu_cloud *cloud, vpmu_error **error);

/* The user and project the token is for, as Keystone named them.  Borrowed; NULL if unknown. */
VPMU_EXPORT const char *vpmu_cloud_get_user_id(const vpmu_cloud *cloud);
VPMU_EXPORT const char *vpmu_cloud_get_project_id(const vpmu_cloud *cloud);

/*
 * The endpoint URL of @service_type ("placement", "compute", "image") from
 * the catalog, for @interface ("public", "internal", "admin"; NULL: the
 * config's) in @region (NULL: the config's region_name; no region configured:
 * the first endpoint of that interface).  A configured
 * SERVICE_endpoint_override wins over the catalog.  No trailing '/'.  The
 * caller frees it.  A service or interface missing from the catalog is
 * VPMU_ERR_RUNTIME naming the service type, the interface and the region.
 */
VPMU_EXPORT char *vpmu_cloud_get_endpoint(vpmu_cloud *cloud, const char *service_type,
                                          const char *interface, const char *region,
                                          vpmu_error **error);

/* One request for vpmu_cloud_request(). */
typedef struct {
    const char *method; /* "GET", "PUT", "POST", "DELETE", ... */
    /*
     * An absolute http(s) URL, or a path ("/resource_providers?name=x") that
     * is appended to the catalog endpoint of @service_type (or to
     * @endpoint when that is set).
     */
    const char *url;
    const char *service_type;   /* for paths, and for messages ("placement") */
    const char *endpoint;       /* base URL that replaces the catalog's (e.g. --placement URL) */
    const char *body;           /* JSON text, or NULL */
    const char *const *headers; /* NULL-terminated "Name: value" lines, or NULL */
    long deadline_ms;           /* overall, renewal and retry included; 0: the session's */
    unsigned flags;             /* VPMU_CLOUD_REQUEST_* */
} vpmu_cloud_request_opts;

/* Return 0 for any HTTP status (the caller judges it); otherwise non-2xx is -1. */
#define VPMU_CLOUD_REQUEST_ANY_STATUS (1u << 0)
/* Send no token (e.g. a version document). */
#define VPMU_CLOUD_REQUEST_NO_AUTH (1u << 1)

typedef struct {
    long status; /* HTTP status, 0 if no answer */
    char *body;  /* NUL-terminated raw body ("" when empty) */
    size_t len;
    json_t *json;      /* the body parsed, when it is JSON; NULL otherwise */
    char *url;         /* the full URL requested */
    unsigned renewals; /* tokens renewed during this request (expiry or 401) */
} vpmu_cloud_response;

/* Free the members (not @resp itself); accepts an all-zero response. */
VPMU_EXPORT void vpmu_cloud_response_clear(vpmu_cloud_response *resp);

/*
 * Send one authenticated request: "Accept: application/json", the token as
 * X-Auth-Token, "Content-Type: application/json" with a body, and
 * @opts->headers.  A token close to expiry is renewed first; a 401 renews it
 * once and resends.  @resp (optional) receives the answer, also on an HTTP
 * error.  Without VPMU_CLOUD_REQUEST_ANY_STATUS a non-2xx answer is -1 with
 * "SERVICE answered METHOD 'URL' with HTTP N: reason".  A transport failure
 * or the deadline is -1 with resp->status 0.
 */
VPMU_EXPORT int vpmu_cloud_request(vpmu_cloud *cloud, const vpmu_cloud_request_opts *opts,
                                   vpmu_cloud_response *resp, vpmu_error **error);

/*
 * The reason in an OpenStack error body, or NULL: Keystone's
 * {"error": {"message"}}, Placement's {"errors": [{"detail"|"title"}]},
 * Nova's {"badRequest"|...: {"message"}}, keystonemiddleware's
 * {"error": {"message"}}; control characters escaped, whitespace collapsed.
 * The caller frees it.
 */
VPMU_EXPORT char *vpmu_cloud_parse_error(const char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* VPMU_CLOUD_H */

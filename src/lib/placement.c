/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * placement.c: one job, talking HTTP to OpenStack Placement: the handle,
 * requests with retries and deadlines, and the trait and allocation-candidate
 * operations.  A request goes through the Keystone session (keystone.c) when
 * the handle has one, else straight through http.c, the libcurl exchange
 * both share.  Parsing the answers is placement-parse.c's job.
 *
 * What it relies on (docs/facts.md §1, checked against Debian 12's placement-api
 * 8.0.0, whose maximum microversion is 1.39):
 *  - PUT /traits/{name} creates a custom trait: 201 when created, 204 when it
 *    already existed; only CUSTOM_[A-Z0-9_]+ (at most 255 characters) is valid.
 *  - GET /resource_providers/{uuid}/traits answers
 *    {"traits": [...], "resource_provider_generation": N}; PUT to the same path
 *    with both keys replaces the whole set, so every other trait must be sent
 *    back; a stale generation gets 409 (code "placement.concurrent_update").
 *  - GET /allocation_candidates?resources=RC:N,...&required=T answers
 *    {"allocation_requests": [{"allocations": {UUID: {"resources": {...}}}}],
 *     "provider_summaries": {UUID: {"resources": {RC: {"capacity", "used"}},
 *     "traits": [...], "root_provider_uuid": ...}}}; a required trait that
 *    does not exist at all is a 400 ("No such trait(s)").
 *  - Errors are {"errors": [{"status", "title", "detail", "code", ...}]}, where
 *    detail is webob's generic sentence, a blank line, then the real reason.
 *    noauth2's 401 is a different shape: {"message", "code", "title"}.
 *
 * libcurl errors are translated here, once, from CURLOPT_ERRORBUFFER (or
 * curl_easy_strerror()) and the HTTP status.
 */
#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http-private.h"
#include "util.h"
#include "vpmu/virt.h"
#include "placement-private.h"
#include "vpmu/cloud.h"
#include "vpmu/placement.h"

struct vpmu_placement {
    vpmu_cloud *cloud; /* borrowed: requests go through the Keystone session */
    CURL *curl;
    char *url; /* no trailing '/' */
    char *token;
    long connect_ms;
    long total_ms;
    unsigned max_attempts;
    double deadline; /* monotonic seconds: no request ends after it */
    vpmu_placement_observer observer;
    void *observer_data;
    unsigned renewals; /* tokens the session renewed for this handle's requests */
    char errbuf[CURL_ERROR_SIZE];
};

static void
http_answer_clear(http_answer *a)
{
    free(a->body);
    a->body = NULL;
    a->len = a->cap = 0;
}

#define _cleanup_answer_ _cleanup_(http_answer_clear)

/* ---- handle ------------------------------------------------------------------------------ */

vpmu_placement *
vpmu_placement_new(const char *url, const char *token, vpmu_error **error)
{
    vpmu_placement *pl;
    size_t n;

    if (!url || (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)) {
        _cleanup_free_ char *q = uri_for_message(url ? url : "");
        vpmu_error_set(error, VPMU_ERR_USAGE,
                       "'%s' is not a Placement URL; give http://HOST:PORT or https://...", q);
        return NULL;
    }
    for (const char *p = url; *p; p++) {
        if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '?' || *p == '#') {
            _cleanup_free_ char *q = uri_for_message(url);
            vpmu_error_set(error, VPMU_ERR_USAGE,
                           "'%s' is not a Placement URL: no blanks, control characters, query "
                           "or fragment",
                           q);
            return NULL;
        }
    }
    if (token) {
        for (const char *p = token; *p; p++) {
            if ((unsigned char)*p < 0x20 || *p == 0x7f) {
                vpmu_error_set(error, VPMU_ERR_USAGE,
                               "the Placement token contains control characters");
                return NULL;
            }
        }
    }
    /* libcurl's global set-up, once for the process (curl_global_init). */
    if (vpmu_virt_init(VPMU_VIRT_INIT_HTTP, error) < 0)
        return NULL;
    pl = xcalloc(1, sizeof(*pl));
    pl->curl = curl_easy_init();
    if (!pl->curl) {
        free(pl);
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot initialise libcurl");
        return NULL;
    }
    pl->url = xstrdup(url);
    n = strlen(pl->url);
    while (n > 0 && pl->url[n - 1] == '/')
        pl->url[--n] = '\0';
    pl->token = token && *token ? xstrdup(token) : NULL;
    pl->connect_ms = VPMU_PLACEMENT_CONNECT_TIMEOUT_MS;
    pl->total_ms = VPMU_PLACEMENT_TIMEOUT_MS;
    pl->max_attempts = VPMU_PLACEMENT_MAX_ATTEMPTS;
    vpmu_placement_set_deadline(pl, VPMU_PLACEMENT_DEADLINE_MS);
    return pl;
}

void
vpmu_placement_free(vpmu_placement *pl)
{
    if (!pl)
        return;
    curl_easy_cleanup(pl->curl);
    free(pl->url);
    if (pl->token)
        explicit_bzero(pl->token, strlen(pl->token));
    free(pl->token);
    free(pl);
}

vpmu_placement *
vpmu_placement_new_cloud(vpmu_cloud *cloud, const char *url, vpmu_error **error)
{
    _cleanup_free_ char *endpoint = NULL;
    vpmu_placement *pl;

    if (!url) {
        endpoint = vpmu_cloud_get_endpoint(cloud, "placement", NULL, NULL, error);
        if (!endpoint)
            return NULL;
        url = endpoint;
    }
    pl = vpmu_placement_new(url, NULL, error);
    if (!pl)
        return NULL;
    pl->cloud = cloud;
    return pl;
}

unsigned
vpmu_placement_get_renewals(const vpmu_placement *pl)
{
    return pl->renewals;
}

void
vpmu_placement_set_timeouts(vpmu_placement *pl, long connect_ms, long total_ms)
{
    if (connect_ms > 0)
        pl->connect_ms = connect_ms;
    if (total_ms > 0)
        pl->total_ms = total_ms;
}

static double
mono_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
vpmu_placement_set_deadline(vpmu_placement *pl, long total_ms)
{
    if (total_ms > 0)
        pl->deadline = mono_seconds() + (double)total_ms / 1000.0;
}

/*
 * The time a request may take: its own total timeout, cut to what is left
 * of the overall deadline.  0 with an error when nothing is left.
 */
static long
request_budget_ms(const vpmu_placement *pl, const char *method, const char *url, vpmu_error **error)
{
    double left = (pl->deadline - mono_seconds()) * 1000.0;

    if (left < 1.0) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME,
                       "the overall Placement deadline passed before %s '%s' could be sent", method,
                       url);
        return 0;
    }
    return left < (double)pl->total_ms ? (long)left : pl->total_ms;
}

void
vpmu_placement_set_max_attempts(vpmu_placement *pl, unsigned attempts)
{
    pl->max_attempts = attempts ? attempts : 1;
}

const char *
vpmu_placement_get_url(const vpmu_placement *pl)
{
    return pl->url;
}

void
vpmu_placement_set_observer(vpmu_placement *pl, vpmu_placement_observer cb, void *userdata)
{
    pl->observer = cb;
    pl->observer_data = userdata;
}

static void
notify(vpmu_placement *pl, vpmu_placement_event ev, const char *uuid, unsigned long long gen)
{
    if (pl->observer)
        pl->observer(pl, ev, uuid, gen, pl->observer_data);
}

/* ---- HTTP -------------------------------------------------------------------------------- */

static const char *const api_version_header[] = {
        "OpenStack-API-Version: placement " VPMU_PLACEMENT_MICROVERSION, NULL};

/*
 * One request through the Keystone session: the token is renewed when close
 * to expiry and once on a 401 (vpmu_cloud_request()); any HTTP status comes
 * back in @a, as from http_request().
 */
static int
cloud_request(vpmu_placement *pl, const char *method, char *url, const char *payload,
              http_answer *a, char **url_out, vpmu_error **error)
{
    vpmu_cloud_request_opts opts = {
            .method = method,
            .url = url,
            .service_type = "placement",
            .body = payload,
            .headers = api_version_header,
            .deadline_ms = pl->total_ms,
            .flags = VPMU_CLOUD_REQUEST_ANY_STATUS,
    };
    vpmu_cloud_response resp = {0};
    _cleanup_free_ char *shown = uri_for_message(url); /* password masked, quoted */

    if (!(opts.deadline_ms = request_budget_ms(pl, method, shown, error)))
        return -1;
    if (vpmu_cloud_request(pl->cloud, &opts, &resp, error) < 0) {
        vpmu_cloud_response_clear(&resp);
        return -1;
    }
    if (resp.len > VPMU_PLACEMENT_MAX_BODY) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME,
                       "Placement's answer to %s '%s' is larger than %u bytes", method, shown,
                       VPMU_PLACEMENT_MAX_BODY);
        vpmu_cloud_response_clear(&resp);
        return -1;
    }
    a->status = resp.status;
    a->body = TAKE_PTR(resp.body);
    a->len = resp.len;
    a->cap = resp.len + 1;
    pl->renewals += resp.renewals;
    if (url_out)
        *url_out = TAKE_PTR(shown);
    vpmu_cloud_response_clear(&resp);
    return 0;
}

/*
 * One request.  Transport failures are errors here; any HTTP status is
 * returned in @a for the caller to judge.  @url_out (optional) receives the
 * full URL for messages, as uri_for_message() shows it (password masked,
 * quoted).
 */
static int
http_request(vpmu_placement *pl, const char *method, const char *path, const char *payload,
             http_answer *a, char **url_out, vpmu_error **error)
{
    _cleanup_free_ char *url = xasprintf("%s%s", pl->url, path);
    _cleanup_free_ char *shown = uri_for_message(url);
    http_request_opts req = {
            .method = method,
            .url = url,
            .body = payload,
            .token = pl->token,
            .headers = api_version_header,
            .connect_ms = pl->connect_ms,
            .max_body = VPMU_PLACEMENT_MAX_BODY,
    };
    CURLcode rc;

    memset(a, 0, sizeof(*a));
    if (pl->cloud)
        return cloud_request(pl, method, url, payload, a, url_out, error);
    if (!(req.timeout_ms = request_budget_ms(pl, method, shown, error)))
        return -1;
    rc = http_perform(pl->curl, &req, pl->errbuf, a);
    if (rc != CURLE_OK) {
        if (a->too_big)
            vpmu_error_set(error, VPMU_ERR_RUNTIME,
                           "Placement's answer to %s '%s' is larger than %u bytes", method, shown,
                           VPMU_PLACEMENT_MAX_BODY);
        else
            vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot reach Placement: %s '%s': %s", method,
                           shown, pl->errbuf[0] ? pl->errbuf : curl_easy_strerror(rc));
        http_answer_clear(a);
        return -1;
    }
    if (url_out)
        *url_out = TAKE_PTR(shown);
    return 0;
}

static const char *
status_text(long status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 409:
        return "Conflict";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return NULL;
    }
}

/* "Placement answered GET 'URL' with HTTP 404 Not Found: <Placement's reason>". */
static void
set_http_error(vpmu_placement *pl, vpmu_error **error, const char *method, const char *url,
               const http_answer *a)
{
    _cleanup_free_ char *detail = vpmu_placement_parse_error(a->body, a->len);
    const char *st = status_text(a->status);

    if (!detail && a->len > 0) {
        _cleanup_free_ char *copy = xstrndup(a->body, a->len);
        detail = quote_for_message(strstrip(copy), 200);
    }
    if (a->status == 401 && !pl->token && !pl->cloud) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME,
                       "Placement answered %s '%s' with HTTP 401 Unauthorized: no token was sent",
                       method, url);
        return;
    }
    vpmu_error_set(error, VPMU_ERR_RUNTIME, "Placement answered %s '%s' with HTTP %ld%s%s%s%s",
                   method, url, a->status, st ? " " : "", st ? st : "",
                   detail && *detail ? ": " : "", detail && *detail ? detail : "");
}
/* ---- traits ------------------------------------------------------------------------------ */

int
vpmu_placement_ensure_trait(vpmu_placement *pl, const char *trait, bool *created,
                            vpmu_error **error)
{
    _cleanup_answer_ http_answer a = {0};
    _cleanup_free_ char *path = NULL;
    _cleanup_free_ char *url = NULL;

    if (!placement_valid_custom_trait(trait)) {
        _cleanup_free_ char *q = quote_for_message(trait ? trait : "", 80);
        vpmu_error_set(error, VPMU_ERR_USAGE,
                       "'%s' is not a custom trait name; it must match CUSTOM_[A-Z0-9_]+", q);
        return -1;
    }
    path = xasprintf("/traits/%s", trait);
    if (http_request(pl, "PUT", path, NULL, &a, &url, error) < 0)
        return -1;
    if (a.status != 201 && a.status != 204) {
        set_http_error(pl, error, "PUT", url, &a);
        return -1;
    }
    if (created)
        *created = a.status == 201;
    return 0;
}

/* GET the traits; error messages name the URL. */
static int
read_traits(vpmu_placement *pl, const char *uuid, char ***traits, unsigned long long *gen,
            vpmu_error **error)
{
    _cleanup_answer_ http_answer a = {0};
    _cleanup_free_ char *path = xasprintf("/resource_providers/%s/traits", uuid);
    _cleanup_free_ char *url = NULL;
    _cleanup_error_ vpmu_error *perr = NULL;

    if (http_request(pl, "GET", path, NULL, &a, &url, error) < 0)
        return -1;
    if (a.status != 200) {
        set_http_error(pl, error, "GET", url, &a);
        return -1;
    }
    if (placement_parse_traits_code(a.body, a.len, VPMU_ERR_RUNTIME, traits, gen, &perr) < 0) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "unexpected answer from Placement to GET '%s': %s",
                       url, vpmu_error_get_message(perr));
        return -1;
    }
    return 0;
}

int
vpmu_placement_get_provider_traits(vpmu_placement *pl, const char *provider_uuid, char ***traits,
                                   unsigned long long *generation, vpmu_error **error)
{
    if (placement_check_uuid(provider_uuid, error) < 0)
        return -1;
    return read_traits(pl, provider_uuid, traits, generation, error);
}

static void
backoff(unsigned conflicts)
{
    /* 20 ms, 40 ms, ... capped at 200 ms: enough for the other writer to finish. */
    long ms = 20L * (long)conflicts;
    struct timespec ts;

    if (ms > 200)
        ms = 200;
    ts.tv_sec = 0;
    ts.tv_nsec = ms * 1000000L;
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

int
vpmu_placement_set_provider_trait(vpmu_placement *pl, const char *provider_uuid, const char *trait,
                                  bool present, vpmu_placement_trait_result *result,
                                  vpmu_error **error)
{
    vpmu_placement_trait_result res = {0};
    _cleanup_free_ char *path = NULL;
    _cleanup_free_ char *last_conflict = NULL;

    if (placement_check_uuid(provider_uuid, error) < 0 || placement_check_trait(trait, error) < 0)
        return -1;
    path = xasprintf("/resource_providers/%s/traits", provider_uuid);

    for (;;) {
        _cleanup_(vpmu_placement_strv_freep) char **traits = NULL;
        _cleanup_json_ json_t *body = NULL;
        _cleanup_free_ char *payload = NULL;
        _cleanup_answer_ http_answer a = {0};
        _cleanup_free_ char *url = NULL;
        unsigned long long gen = 0;
        json_t *arr;

        if (read_traits(pl, provider_uuid, &traits, &gen, error) < 0)
            return -1;
        notify(pl, VPMU_PLACEMENT_EVENT_READ, provider_uuid, gen);
        res.was_present = placement_strv_contains(traits, trait);
        if (res.was_present == present) {
            /* Already as asked (perhaps thanks to whoever beat us to it). */
            res.generation = gen;
            res.n_traits = placement_strv_len(traits);
            break;
        }
        if (res.attempts >= pl->max_attempts) {
            vpmu_error_set(error, VPMU_ERR_RUNTIME,
                           "gave up changing the traits of resource provider '%s' after %u "
                           "generation conflicts (HTTP 409) in a row: %s",
                           provider_uuid, res.conflicts,
                           last_conflict ? last_conflict : "the provider keeps changing");
            return -1;
        }

        /* Every other trait, in Placement's order, plus or minus ours. */
        arr = json_array();
        for (size_t i = 0; traits[i]; i++)
            if (!STREQ(traits[i], trait))
                json_array_append_new(arr, json_string(traits[i]));
        if (present)
            json_array_append_new(arr, json_string(trait));
        body = json_pack("{s:o, s:I}", "traits", arr, "resource_provider_generation",
                         (json_int_t)gen);
        if (!body)
            abort(); /* json_pack fails only on out-of-memory here */
        payload = json_dumps(body, JSON_COMPACT);
        if (!payload)
            abort();

        res.attempts++;
        if (http_request(pl, "PUT", path, payload, &a, &url, error) < 0)
            return -1;
        if (a.status == 409) {
            res.conflicts++;
            free(last_conflict);
            last_conflict = vpmu_placement_parse_error(a.body, a.len);
            notify(pl, VPMU_PLACEMENT_EVENT_CONFLICT, provider_uuid, gen);
            backoff(res.conflicts);
            continue;
        }
        if (a.status != 200) {
            set_http_error(pl, error, "PUT", url, &a);
            return -1;
        }
        {
            _cleanup_error_ vpmu_error *perr = NULL;
            _cleanup_(vpmu_placement_strv_freep) char **after = NULL;
            if (placement_parse_traits_code(a.body, a.len, VPMU_ERR_RUNTIME, &after,
                                            &res.generation, &perr) < 0) {
                vpmu_error_set(error, VPMU_ERR_RUNTIME,
                               "unexpected answer from Placement to PUT '%s': %s", url,
                               vpmu_error_get_message(perr));
                return -1;
            }
            if (placement_strv_contains(after, trait) != present) {
                vpmu_error_set(error, VPMU_ERR_RUNTIME,
                               "Placement accepted PUT '%s' but its answer %s '%s'", url,
                               present ? "lacks" : "still has", trait);
                return -1;
            }
            res.n_traits = placement_strv_len(after);
        }
        res.changed = true;
        notify(pl, VPMU_PLACEMENT_EVENT_WRITTEN, provider_uuid, res.generation);
        break;
    }
    if (result)
        *result = res;
    return 0;
}
/* GET /traits/{name}: 204 exists, 404 not. */
static int
trait_exists(vpmu_placement *pl, const char *trait, bool *exists, vpmu_error **error)
{
    _cleanup_answer_ http_answer a = {0};
    _cleanup_free_ char *path = xasprintf("/traits/%s", trait);
    _cleanup_free_ char *url = NULL;

    if (http_request(pl, "GET", path, NULL, &a, &url, error) < 0)
        return -1;
    if (a.status == 204 || a.status == 200) {
        *exists = true;
        return 0;
    }
    if (a.status == 404) {
        *exists = false;
        return 0;
    }
    set_http_error(pl, error, "GET", url, &a);
    return -1;
}

/* ---- providers by name ------------------------------------------------------------------ */

/*
 * GET @path, whose answer is {"resource_providers": [...]}: the array,
 * borrowed from *@root, or NULL with an error.  *@url gets the URL as
 * messages show it.
 */
static const json_t *
get_providers(vpmu_placement *pl, const char *path, char **url, json_t **root, vpmu_error **error)
{
    _cleanup_answer_ http_answer a = {0};
    _cleanup_error_ vpmu_error *perr = NULL;
    const json_t *rps;

    if (http_request(pl, "GET", path, NULL, &a, url, error) < 0)
        return NULL;
    if (a.status != 200) {
        set_http_error(pl, error, "GET", *url, &a);
        return NULL;
    }
    *root = placement_load_json(a.body, a.len, VPMU_ERR_RUNTIME, &perr);
    rps = *root ? json_object_get(*root, "resource_providers") : NULL;
    if (!json_is_array(rps)) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "unexpected answer from Placement to GET '%s': %s",
                       *url, perr ? vpmu_error_get_message(perr) : "no 'resource_providers' array");
        return NULL;
    }
    return rps;
}

int
vpmu_placement_find_provider(vpmu_placement *pl, const char *name, char **uuid, vpmu_error **error)
{
    _cleanup_free_ char *url = NULL, *path = NULL, *qname = NULL;
    _cleanup_json_ json_t *root = NULL;
    const json_t *rps, *rp;
    char *esc;
    size_t n;

    qname = quote_for_message(name ? name : "", 200);
    n = name ? strlen(name) : 0;
    if (n == 0 || n > 200) {
        vpmu_error_set(error, VPMU_ERR_USAGE,
                       "'%s' is not a resource provider name; Placement takes 1 to 200 characters",
                       qname);
        return -1;
    }
    for (const char *p = name; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            vpmu_error_set(error, VPMU_ERR_USAGE,
                           "'%s' is not a resource provider name: control characters", qname);
            return -1;
        }
    }
    esc = curl_easy_escape(pl->curl, name, (int)n);
    if (!esc)
        abort(); /* out of memory */
    path = xasprintf("/resource_providers?name=%s", esc);
    curl_free(esc);
    if (!(rps = get_providers(pl, path, &url, &root, error)))
        return -1;
    if (json_array_size(rps) == 0) {
        _cleanup_free_ char *qurl = uri_for_message(pl->url);
        vpmu_error_set(error, VPMU_ERR_RUNTIME,
                       "Placement '%s' has no resource provider named '%s'", qurl, qname);
        return -1;
    }
    rp = json_array_get(rps, 0);
    if (json_array_size(rps) > 1 || !json_is_string(json_object_get(rp, "uuid")) ||
        !uuid_string_valid(json_string_value(json_object_get(rp, "uuid")))) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "unexpected answer from Placement to GET '%s': %s",
                       url,
                       json_array_size(rps) > 1 ? "several providers of one name"
                                                : "a provider without a valid 'uuid'");
        return -1;
    }
    if (uuid)
        *uuid = xstrdup(json_string_value(json_object_get(rp, "uuid")));
    return 0;
}

/* Names from GET /resource_providers. */
static int
fill_names(vpmu_placement *pl, vpmu_placement_candidates *c, vpmu_error **error)
{
    _cleanup_free_ char *url = NULL;
    _cleanup_json_ json_t *root = NULL;
    const json_t *rps;

    if (!(rps = get_providers(pl, "/resource_providers", &url, &root, error)))
        return -1;
    for (size_t i = 0; i < json_array_size(rps); i++) {
        const json_t *rp = json_array_get(rps, i);
        const char *uuid = json_string_value(json_object_get(rp, "uuid"));
        const char *name = json_string_value(json_object_get(rp, "name"));
        if (!uuid || !name)
            continue;
        for (size_t k = 0; k < c->n; k++) {
            if (STREQ(c->p[k].uuid, uuid) && !c->p[k].name) {
                c->p[k].name = xstrdup(name);
                break;
            }
        }
    }
    if (c->n > 1)
        qsort(c->p, c->n, sizeof(*c->p), placement_cmp_provider);
    return 0;
}

vpmu_placement_candidates *
vpmu_placement_get_candidates(vpmu_placement *pl, const char *resources, const char *required,
                              vpmu_error **error)
{
    _cleanup_free_ char *norm = NULL;
    _cleanup_free_ char *path = NULL;
    _cleanup_free_ char *url = NULL;
    _cleanup_answer_ http_answer a = {0};
    _cleanup_error_ vpmu_error *perr = NULL;
    _cleanup_(vpmu_placement_candidates_freep) vpmu_placement_candidates *c = NULL;

    norm = vpmu_placement_normalize_resources(resources, error);
    if (!norm)
        return NULL;
    if (required && *required && placement_check_required(required, error) < 0)
        return NULL;
    path = required && *required
                   ? xasprintf("/allocation_candidates?resources=%s&required=%s", norm, required)
                   : xasprintf("/allocation_candidates?resources=%s", norm);
    if (http_request(pl, "GET", path, NULL, &a, &url, error) < 0)
        return NULL;
    if (a.status == 400 && required && *required) {
        /*
         * Placement refuses a required trait that no provider ever had
         * ("No such trait(s)").  Then nothing can fit: say so with an empty
         * answer rather than an error, after checking that this was the cause.
         */
        _cleanup_free_ char *copy = xstrdup(required);
        char *save = NULL;
        const char *missing = NULL;
        for (char *t = strtok_r(copy, ",", &save); t && !missing; t = strtok_r(NULL, ",", &save)) {
            bool exists = true;
            if (*t == '!')
                continue;
            if (trait_exists(pl, t, &exists, error) < 0)
                return NULL;
            if (!exists)
                missing = t;
        }
        if (missing) {
            c = xcalloc(1, sizeof(*c));
            c->missing_trait = xstrdup(missing);
            return TAKE_PTR(c);
        }
    }
    if (a.status != 200) {
        set_http_error(pl, error, "GET", url, &a);
        return NULL;
    }
    c = placement_parse_candidates_code(a.body, a.len, VPMU_ERR_RUNTIME, &perr);
    if (!c) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "unexpected answer from Placement to GET '%s': %s",
                       url, vpmu_error_get_message(perr));
        return NULL;
    }
    if (c->n > 0 && fill_names(pl, c, error) < 0)
        return NULL;
    return TAKE_PTR(c);
}

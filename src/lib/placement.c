/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * OpenStack Placement adapter: the only module that calls libcurl.
 *
 * What it relies on (FACTS.md §1, checked against Debian 12's placement-api
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

#include "util.h"
#include "vpmu/placement.h"

struct vpmu_placement {
    CURL *curl;
    char *url; /* no trailing '/' */
    char *token;
    long connect_ms;
    long total_ms;
    unsigned max_attempts;
    vpmu_placement_observer observer;
    void *observer_data;
    char errbuf[CURL_ERROR_SIZE];
};

typedef struct {
    char *resource_class;
    unsigned long long capacity;
    unsigned long long used;
} cand_resource;

typedef struct {
    char *uuid;
    char *name;
    char *root;
    char **traits; /* NULL-terminated */
    cand_resource *res;
    size_t n_res;
} cand_provider;

struct vpmu_placement_candidates {
    cand_provider *p;
    size_t n;
    size_t n_requests;
    char *missing_trait; /* a required trait Placement does not know */
};

/* An HTTP answer: status and NUL-terminated body. */
typedef struct {
    long status;
    char *body;
    size_t len;
    size_t cap;
    bool too_big;
} http_answer;

static void
http_answer_clear(http_answer *a)
{
    free(a->body);
    a->body = NULL;
    a->len = a->cap = 0;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct curl_slist *, curl_slist_free_all)
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, vpmu_placement_strv_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(vpmu_placement_candidates *, vpmu_placement_candidates_free)
#define _cleanup_json_ _cleanup_(json_decrefp)
#define _cleanup_answer_ _cleanup_(http_answer_clear)

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void
init_curl(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- string arrays --------------------------------------------------------------------- */

void
vpmu_placement_strv_free(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

static size_t
strv_len(char *const *v)
{
    size_t n = 0;

    while (v && v[n])
        n++;
    return n;
}

static bool
strv_contains(char *const *v, const char *s)
{
    for (size_t i = 0; v && v[i]; i++)
        if (STREQ(v[i], s))
            return true;
    return false;
}

/* ---- validation -------------------------------------------------------------------------- */

static bool
is_trait_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Placement's rule for trait and resource class names: [A-Z0-9_]+, at most 255. */
static bool
valid_name(const char *s)
{
    size_t n = 0;

    if (!s || !*s)
        return false;
    for (; s[n]; n++)
        if (!is_trait_char(s[n]))
            return false;
    return n <= 255;
}

static bool
valid_custom_trait(const char *s)
{
    return valid_name(s) && strncmp(s, "CUSTOM_", 7) == 0 && s[7] != '\0';
}

static int
check_uuid(const char *uuid, vpmu_error **error)
{
    if (uuid_string_valid(uuid))
        return 0;
    _cleanup_free_ char *q = quote_for_message(uuid ? uuid : "", 80);
    vpmu_error_set(error, VPMU_ERR_USAGE, "'%s' is not a resource provider UUID", q);
    return -1;
}

static int
check_trait(const char *trait, vpmu_error **error)
{
    if (valid_name(trait))
        return 0;
    _cleanup_free_ char *q = quote_for_message(trait ? trait : "", 80);
    vpmu_error_set(error, VPMU_ERR_USAGE,
                   "'%s' is not a trait name; Placement accepts [A-Z0-9_], at most 255", q);
    return -1;
}

/* ---- handle ------------------------------------------------------------------------------ */

vpmu_placement *
vpmu_placement_new(const char *url, const char *token, vpmu_error **error)
{
    vpmu_placement *pl;
    size_t n;

    if (!url || (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)) {
        _cleanup_free_ char *q = quote_for_message(url ? url : "", 200);
        vpmu_error_set(error, VPMU_ERR_USAGE,
                       "'%s' is not a Placement URL; give http://HOST:PORT or https://...", q);
        return NULL;
    }
    for (const char *p = url; *p; p++) {
        if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '?' || *p == '#') {
            _cleanup_free_ char *q = quote_for_message(url, 200);
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
    pthread_once(&curl_once, init_curl);
    if (curl_init_rc != CURLE_OK) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot initialise libcurl: %s",
                       curl_easy_strerror(curl_init_rc));
        return NULL;
    }
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

void
vpmu_placement_set_timeouts(vpmu_placement *pl, long connect_ms, long total_ms)
{
    if (connect_ms > 0)
        pl->connect_ms = connect_ms;
    if (total_ms > 0)
        pl->total_ms = total_ms;
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

static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    http_answer *a = userdata;
    size_t n = size * nmemb;

    if (n > VPMU_PLACEMENT_MAX_BODY - a->len) {
        a->too_big = true;
        return 0; /* makes libcurl fail with CURLE_WRITE_ERROR */
    }
    if (a->len + n + 1 > a->cap) {
        size_t cap = a->cap ? a->cap : 4096;
        while (cap < a->len + n + 1)
            cap *= 2;
        a->body = xrealloc(a->body, cap);
        a->cap = cap;
    }
    memcpy(a->body + a->len, ptr, n);
    a->len += n;
    a->body[a->len] = '\0';
    return n;
}

/*
 * One request.  Transport failures are errors here; any HTTP status is
 * returned in @a for the caller to judge.  @url_out (optional) receives the
 * full URL for messages.
 */
static int
http_request(vpmu_placement *pl, const char *method, const char *path, const char *payload,
             http_answer *a, char **url_out, vpmu_error **error)
{
    _cleanup_free_ char *url = xasprintf("%s%s", pl->url, path);
    _cleanup_(curl_slist_free_allp) struct curl_slist *hdrs = NULL;
    _cleanup_free_ char *auth = NULL;
    CURL *c = pl->curl;
    CURLcode rc;

    memset(a, 0, sizeof(*a));
    curl_easy_reset(c); /* keeps the connection cache */
    pl->errbuf[0] = '\0';

    hdrs = curl_slist_append(hdrs, "Accept: application/json");
    hdrs = curl_slist_append(hdrs, "OpenStack-API-Version: placement " VPMU_PLACEMENT_MICROVERSION);
    if (pl->token) {
        auth = xasprintf("X-Auth-Token: %s", pl->token);
        hdrs = curl_slist_append(hdrs, auth);
    }
    if (payload)
        hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    if (!hdrs)
        abort(); /* curl_slist_append fails only on out-of-memory */

    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, pl->errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, pl->connect_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, pl->total_ms);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "vpmu/" VPMU_VERSION);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
    if (STREQ(method, "GET")) {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload ? payload : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)(payload ? strlen(payload) : 0));
    }

    rc = curl_easy_perform(c);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    if (auth)
        explicit_bzero(auth, strlen(auth));
    if (rc != CURLE_OK) {
        if (a->too_big)
            vpmu_error_set(error, VPMU_ERR_RUNTIME,
                           "Placement's answer to %s '%s' is larger than %u bytes", method, url,
                           VPMU_PLACEMENT_MAX_BODY);
        else
            vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot reach Placement: %s '%s': %s", method,
                           url, pl->errbuf[0] ? pl->errbuf : curl_easy_strerror(rc));
        http_answer_clear(a);
        return -1;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
    if (!a->body) {
        a->body = xstrdup("");
        a->cap = 1;
    }
    if (url_out)
        *url_out = TAKE_PTR(url);
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
    if (a->status == 401 && !pl->token) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME,
                       "Placement answered %s '%s' with HTTP 401 Unauthorized: no token was sent",
                       method, url);
        return;
    }
    vpmu_error_set(error, VPMU_ERR_RUNTIME, "Placement answered %s '%s' with HTTP %ld%s%s%s%s",
                   method, url, a->status, st ? " " : "", st ? st : "",
                   detail && *detail ? ": " : "", detail && *detail ? detail : "");
}

/* ---- pure parsers ------------------------------------------------------------------------ */

static json_t *
load_json(const char *buf, size_t len, vpmu_error_code code, vpmu_error **error)
{
    json_error_t jerr;
    json_t *root;

    if (!buf) {
        vpmu_error_set(error, code, "empty answer");
        return NULL;
    }
    root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        /* jansson quotes the offending token, which is the server's bytes:
         * escape control characters so a hostile body cannot forge lines. */
        _cleanup_free_ char *shown = quote_for_message(jerr.text, sizeof(jerr.text));
        vpmu_error_set(error, code, "malformed JSON at line %d, column %d: %s", jerr.line,
                       jerr.column, shown);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        vpmu_error_set(error, code, "expected a JSON object");
        return NULL;
    }
    return root;
}

/* A JSON array of non-empty strings to a NULL-terminated owned array. */
static char **
strv_from_json(const json_t *arr, const char *what, vpmu_error_code code, vpmu_error **error)
{
    size_t n = json_array_size(arr);
    _cleanup_(vpmu_placement_strv_freep) char **v = xcalloc(n + 1, sizeof(char *));

    for (size_t i = 0; i < n; i++) {
        const json_t *s = json_array_get(arr, i);
        if (!json_is_string(s) || json_string_length(s) == 0 ||
            strlen(json_string_value(s)) != json_string_length(s)) {
            vpmu_error_set(error, code, "'%s' item %zu is not a non-empty string", what, i);
            return NULL;
        }
        v[i] = xstrdup(json_string_value(s));
    }
    return TAKE_PTR(v);
}

static int
get_generation(const json_t *v, const char *key, unsigned long long *out, vpmu_error_code code,
               vpmu_error **error)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        vpmu_error_set(error, code, "'%s' is missing or not a non-negative integer", key);
        return -1;
    }
    *out = (unsigned long long)json_integer_value(v);
    return 0;
}

static int
parse_traits_code(const char *buf, size_t len, vpmu_error_code code, char ***traits,
                  unsigned long long *generation, vpmu_error **error)
{
    _cleanup_json_ json_t *root = load_json(buf, len, code, error);
    _cleanup_(vpmu_placement_strv_freep) char **v = NULL;
    const json_t *arr;
    unsigned long long gen;

    if (!root)
        return -1;
    arr = json_object_get(root, "traits");
    if (!json_is_array(arr)) {
        vpmu_error_set(error, code, "'traits' is missing or not an array");
        return -1;
    }
    if (get_generation(json_object_get(root, "resource_provider_generation"),
                       "resource_provider_generation", &gen, code, error) < 0)
        return -1;
    v = strv_from_json(arr, "traits", code, error);
    if (!v)
        return -1;
    if (traits)
        *traits = TAKE_PTR(v);
    if (generation)
        *generation = gen;
    return 0;
}

int
vpmu_placement_parse_traits(const char *buf, size_t len, char ***traits,
                            unsigned long long *generation, vpmu_error **error)
{
    return parse_traits_code(buf, len, VPMU_ERR_INVALID, traits, generation, error);
}

/* Collapse runs of whitespace (and control characters) to one space; trim both ends. */
static char *
collapse_blanks(const char *s)
{
    char *out = xmalloc(strlen(s) + 1), *o = out;
    bool blank = false;

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= 0x20 || c == 0x7f) {
            blank = true;
            continue;
        }
        if (blank && o != out)
            *o++ = ' ';
        blank = false;
        *o++ = (char)c;
    }
    *o = '\0';
    return out;
}

/* The reason in a Placement "detail": webob's generic sentence, a blank line, the reason. */
static const char *
detail_reason(const char *d)
{
    const char *sep = strstr(d, "\n\n");

    if (sep) {
        const char *rest = sep + 2;
        while (*rest == ' ' || *rest == '\n' || *rest == '\t' || *rest == '\r')
            rest++;
        if (*rest)
            return rest;
    }
    return d;
}

char *
vpmu_placement_parse_error(const char *buf, size_t len)
{
    _cleanup_json_ json_t *root = NULL;
    const json_t *errs, *first = NULL;
    const char *candidates[2] = {NULL, NULL};

    if (!buf || len == 0)
        return NULL;
    root = load_json(buf, len, VPMU_ERR_INVALID, NULL);
    if (!root)
        return NULL;
    errs = json_object_get(root, "errors");
    if (json_is_array(errs)) {
        first = json_array_get(errs, 0);
        if (!json_is_object(first))
            return NULL;
        candidates[0] = json_string_value(json_object_get(first, "detail"));
        if (candidates[0])
            candidates[0] = detail_reason(candidates[0]);
        candidates[1] = json_string_value(json_object_get(first, "title"));
    } else if (!errs) {
        /* Not Placement's own shape (e.g. the noauth2 middleware's 401): its title. */
        candidates[1] = json_string_value(json_object_get(root, "title"));
    }
    for (size_t i = 0; i < ELEMENTSOF(candidates); i++) {
        char *out;
        if (!candidates[i])
            continue;
        out = collapse_blanks(candidates[i]);
        if (!*out) {
            free(out);
            continue;
        }
        if (strlen(out) > 1000) {
            char *q = quote_for_message(out, 1000);
            free(out);
            out = q;
        }
        return out;
    }
    return NULL;
}

/* ---- traits ------------------------------------------------------------------------------ */

int
vpmu_placement_ensure_trait(vpmu_placement *pl, const char *trait, bool *created,
                            vpmu_error **error)
{
    _cleanup_answer_ http_answer a = {0};
    _cleanup_free_ char *path = NULL;
    _cleanup_free_ char *url = NULL;

    if (!valid_custom_trait(trait)) {
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
    if (parse_traits_code(a.body, a.len, VPMU_ERR_RUNTIME, traits, gen, &perr) < 0) {
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
    if (check_uuid(provider_uuid, error) < 0)
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

    if (check_uuid(provider_uuid, error) < 0 || check_trait(trait, error) < 0)
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
        res.was_present = strv_contains(traits, trait);
        if (res.was_present == present) {
            /* Already as asked (perhaps thanks to whoever beat us to it). */
            res.generation = gen;
            res.n_traits = strv_len(traits);
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
            if (parse_traits_code(a.body, a.len, VPMU_ERR_RUNTIME, &after, &res.generation, &perr) <
                0) {
                vpmu_error_set(error, VPMU_ERR_RUNTIME,
                               "unexpected answer from Placement to PUT '%s': %s", url,
                               vpmu_error_get_message(perr));
                return -1;
            }
            if (strv_contains(after, trait) != present) {
                vpmu_error_set(error, VPMU_ERR_RUNTIME,
                               "Placement accepted PUT '%s' but its answer %s '%s'", url,
                               present ? "lacks" : "still has", trait);
                return -1;
            }
            res.n_traits = strv_len(after);
        }
        res.changed = true;
        notify(pl, VPMU_PLACEMENT_EVENT_WRITTEN, provider_uuid, res.generation);
        break;
    }
    if (result)
        *result = res;
    return 0;
}

/* ---- allocation candidates --------------------------------------------------------------- */

char *
vpmu_placement_normalize_resources(const char *resources, vpmu_error **error)
{
    _cleanup_free_ char *copy = NULL;
    strv seen = {0};
    char *out = NULL, *rest, *item;
    size_t outlen = 0;

    if (!resources || !*resources) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "no resources given; e.g. VCPU=2,MEMORY_MB=2048");
        return NULL;
    }
    copy = xstrdup(resources);
    rest = copy;
    while ((item = strsep(&rest, ",")) != NULL) {
        _cleanup_free_ char *q = quote_for_message(item, 80);
        char *sep = strpbrk(item, "=:");
        unsigned long long amount = 0;
        char *end = NULL;

        if (!sep) {
            vpmu_error_set(error, VPMU_ERR_USAGE,
                           "resource '%s' is not CLASS=AMOUNT, e.g. VCPU=2,MEMORY_MB=2048", q);
            goto fail;
        }
        *sep = '\0';
        if (!valid_name(item)) {
            vpmu_error_set(error, VPMU_ERR_USAGE,
                           "resource '%s' has an invalid class; use [A-Z0-9_] as in VCPU or "
                           "MEMORY_MB",
                           q);
            goto fail;
        }
        errno = 0;
        if (sep[1] >= '0' && sep[1] <= '9')
            amount = strtoull(sep + 1, &end, 10);
        if (!end || *end != '\0' || errno != 0 || amount == 0 || amount > INT32_MAX) {
            vpmu_error_set(error, VPMU_ERR_USAGE,
                           "resource '%s' needs a positive whole amount, at most %d", q, INT32_MAX);
            goto fail;
        }
        for (size_t i = 0; i < seen.n; i++) {
            if (STREQ(seen.v[i], item)) {
                vpmu_error_set(error, VPMU_ERR_USAGE, "resource class '%s' is given twice", item);
                goto fail;
            }
        }
        strv_push(&seen, xstrdup(item));
        char *part = xasprintf("%s%s:%llu", outlen ? "," : "", item, amount);
        size_t pl = strlen(part);
        out = xrealloc(out, outlen + pl + 1);
        memcpy(out + outlen, part, pl + 1);
        outlen += pl;
        free(part);
    }
    strv_clear(&seen);
    if (!out)
        vpmu_error_set(error, VPMU_ERR_USAGE, "no resources given; e.g. VCPU=2,MEMORY_MB=2048");
    return out;

fail:
    strv_clear(&seen);
    free(out);
    return NULL;
}

/* "T", "T1,!T2": each [A-Z0-9_]+, optionally forbidden with '!'. */
static int
check_required(const char *required, vpmu_error **error)
{
    const char *p = required;

    for (;;) {
        const char *start;
        if (*p == '!')
            p++;
        start = p;
        while (is_trait_char(*p))
            p++;
        if (p == start || (*p != ',' && *p != '\0')) {
            _cleanup_free_ char *q = quote_for_message(required, 200);
            vpmu_error_set(error, VPMU_ERR_USAGE,
                           "'%s' is not a list of traits (T1,!T2 with [A-Z0-9_] names)", q);
            return -1;
        }
        if (*p == '\0')
            return 0;
        p++;
    }
}

void
vpmu_placement_candidates_free(vpmu_placement_candidates *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        cand_provider *p = &c->p[i];
        free(p->uuid);
        free(p->name);
        free(p->root);
        vpmu_placement_strv_free(p->traits);
        for (size_t j = 0; j < p->n_res; j++)
            free(p->res[j].resource_class);
        free(p->res);
    }
    free(c->p);
    free(c->missing_trait);
    free(c);
}

static int
cmp_provider(const void *a, const void *b)
{
    const cand_provider *x = a, *y = b;

    if (x->name && y->name) {
        int r = strcmp(x->name, y->name);
        if (r)
            return r;
    } else if (x->name || y->name) {
        return x->name ? -1 : 1; /* named first */
    }
    return strcmp(x->uuid, y->uuid);
}

static int
get_count(const json_t *obj, const char *key, unsigned long long *out, vpmu_error_code code,
          const char *quuid, const char *qrc, vpmu_error **error)
{
    const json_t *v = json_object_get(obj, key);

    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        vpmu_error_set(error, code,
                       "provider '%s' resource '%s': '%s' is missing or not a non-negative "
                       "integer",
                       quuid, qrc, key);
        return -1;
    }
    *out = (unsigned long long)json_integer_value(v);
    return 0;
}

/* Resources, traits and root of provider @p from 'provider_summaries'. */
static int
fill_summary(cand_provider *p, const json_t *summaries, vpmu_error_code code, vpmu_error **error)
{
    const json_t *s = json_object_get(summaries, p->uuid);
    _cleanup_free_ char *qu = quote_for_message(p->uuid, 80); /* keys are untrusted */
    const json_t *res, *traits, *root;
    const char *rc;
    json_t *v;

    if (!s) {
        p->traits = xcalloc(1, sizeof(char *));
        return 0;
    }
    if (!json_is_object(s)) {
        vpmu_error_set(error, code, "'provider_summaries' entry '%s' is not an object", qu);
        return -1;
    }
    res = json_object_get(s, "resources");
    if (res && !json_is_object(res)) {
        vpmu_error_set(error, code, "provider '%s': 'resources' is not an object", qu);
        return -1;
    }
    p->res = xcalloc(json_object_size(res) + 1, sizeof(*p->res));
    json_object_foreach((json_t *)res, rc, v)
    {
        cand_resource *r = &p->res[p->n_res];
        _cleanup_free_ char *qrc = quote_for_message(rc, 80);
        if (!json_is_object(v)) {
            vpmu_error_set(error, code, "provider '%s' resource '%s' is not an object", qu, qrc);
            return -1;
        }
        if (get_count(v, "capacity", &r->capacity, code, qu, qrc, error) < 0 ||
            get_count(v, "used", &r->used, code, qu, qrc, error) < 0)
            return -1;
        r->resource_class = xstrdup(rc);
        p->n_res++;
    }
    traits = json_object_get(s, "traits");
    if (traits && !json_is_array(traits)) {
        vpmu_error_set(error, code, "provider '%s': 'traits' is not an array", qu);
        return -1;
    }
    p->traits = traits ? strv_from_json(traits, "traits", code, error) : xcalloc(1, sizeof(char *));
    if (!p->traits)
        return -1;
    root = json_object_get(s, "root_provider_uuid");
    if (json_is_string(root))
        p->root = xstrdup(json_string_value(root));
    return 0;
}

static vpmu_placement_candidates *
parse_candidates_code(const char *buf, size_t len, vpmu_error_code code, vpmu_error **error)
{
    _cleanup_json_ json_t *root = load_json(buf, len, code, error);
    _cleanup_(vpmu_placement_candidates_freep) vpmu_placement_candidates *c = NULL;
    const json_t *reqs, *summaries;
    size_t cap = 0;

    if (!root)
        return NULL;
    reqs = json_object_get(root, "allocation_requests");
    summaries = json_object_get(root, "provider_summaries");
    if (!json_is_array(reqs)) {
        vpmu_error_set(error, code, "'allocation_requests' is missing or not an array");
        return NULL;
    }
    if (!json_is_object(summaries)) {
        vpmu_error_set(error, code, "'provider_summaries' is missing or not an object");
        return NULL;
    }
    c = xcalloc(1, sizeof(*c));
    c->n_requests = json_array_size(reqs);
    for (size_t i = 0; i < c->n_requests; i++) {
        const json_t *req = json_array_get(reqs, i);
        const json_t *allocs = json_object_get(req, "allocations");
        const char *uuid;
        json_t *v;

        if (!json_is_object(allocs)) {
            vpmu_error_set(error, code,
                           "allocation request %zu has no 'allocations' object (microversion "
                           "1.12 or later)",
                           i);
            return NULL;
        }
        json_object_foreach((json_t *)allocs, uuid, v)
        {
            bool dup = false;
            (void)v;
            for (size_t k = 0; k < c->n && !dup; k++)
                dup = STREQ(c->p[k].uuid, uuid);
            if (dup)
                continue;
            if (c->n == cap) {
                cap = cap ? cap * 2 : 8;
                c->p = xreallocarray(c->p, cap, sizeof(*c->p));
            }
            memset(&c->p[c->n], 0, sizeof(c->p[c->n]));
            c->p[c->n].uuid = xstrdup(uuid);
            c->n++;
            if (fill_summary(&c->p[c->n - 1], summaries, code, error) < 0)
                return NULL;
        }
    }
    if (c->n > 1)
        qsort(c->p, c->n, sizeof(*c->p), cmp_provider);
    return TAKE_PTR(c);
}

vpmu_placement_candidates *
vpmu_placement_parse_candidates(const char *buf, size_t len, vpmu_error **error)
{
    return parse_candidates_code(buf, len, VPMU_ERR_INVALID, error);
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

/* Names from GET /resource_providers. */
static int
fill_names(vpmu_placement *pl, vpmu_placement_candidates *c, vpmu_error **error)
{
    _cleanup_answer_ http_answer a = {0};
    _cleanup_free_ char *url = NULL;
    _cleanup_json_ json_t *root = NULL;
    _cleanup_error_ vpmu_error *perr = NULL;
    const json_t *rps;

    if (http_request(pl, "GET", "/resource_providers", NULL, &a, &url, error) < 0)
        return -1;
    if (a.status != 200) {
        set_http_error(pl, error, "GET", url, &a);
        return -1;
    }
    root = load_json(a.body, a.len, VPMU_ERR_RUNTIME, &perr);
    rps = root ? json_object_get(root, "resource_providers") : NULL;
    if (!json_is_array(rps)) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "unexpected answer from Placement to GET '%s': %s",
                       url, perr ? vpmu_error_get_message(perr) : "no 'resource_providers' array");
        return -1;
    }
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
        qsort(c->p, c->n, sizeof(*c->p), cmp_provider);
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
    if (required && *required && check_required(required, error) < 0)
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
    c = parse_candidates_code(a.body, a.len, VPMU_ERR_RUNTIME, &perr);
    if (!c) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "unexpected answer from Placement to GET '%s': %s",
                       url, vpmu_error_get_message(perr));
        return NULL;
    }
    if (c->n > 0 && fill_names(pl, c, error) < 0)
        return NULL;
    return TAKE_PTR(c);
}

size_t
vpmu_placement_candidates_requests(const vpmu_placement_candidates *c)
{
    return c ? c->n_requests : 0;
}

const char *
vpmu_placement_candidates_missing_trait(const vpmu_placement_candidates *c)
{
    return c ? c->missing_trait : NULL;
}

size_t
vpmu_placement_candidates_count(const vpmu_placement_candidates *c)
{
    return c ? c->n : 0;
}

const char *
vpmu_placement_candidates_uuid(const vpmu_placement_candidates *c, size_t i)
{
    return c && i < c->n ? c->p[i].uuid : NULL;
}

const char *
vpmu_placement_candidates_name(const vpmu_placement_candidates *c, size_t i)
{
    return c && i < c->n ? c->p[i].name : NULL;
}

const char *
vpmu_placement_candidates_root(const vpmu_placement_candidates *c, size_t i)
{
    return c && i < c->n ? c->p[i].root : NULL;
}

const char *const *
vpmu_placement_candidates_traits(const vpmu_placement_candidates *c, size_t i)
{
    return c && i < c->n ? (const char *const *)c->p[i].traits : NULL;
}

bool
vpmu_placement_candidates_resource(const vpmu_placement_candidates *c, size_t i, size_t j,
                                   const char **resource_class, unsigned long long *capacity,
                                   unsigned long long *used)
{
    if (!c || i >= c->n || j >= c->p[i].n_res)
        return false;
    if (resource_class)
        *resource_class = c->p[i].res[j].resource_class;
    if (capacity)
        *capacity = c->p[i].res[j].capacity;
    if (used)
        *used = c->p[i].res[j].used;
    return true;
}

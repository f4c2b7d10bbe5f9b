/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A Keystone v3 session over libcurl (see include/vpmu/cloud.h); each
 * request is one exchange of http.c, shared with placement.c.
 *
 * What it relies on (Keystone's v3 API, checked against Debian 12's keystone
 * 22 on this machine):
 *  - POST {auth_url}/v3/auth/tokens with {"auth": {"identity": {"methods":
 *    [M], M: {...}}, "scope": {...}}} answers 201, the token in the
 *    X-Subject-Token header and {"token": {"expires_at", "user", "project",
 *    "catalog": [{"type", "endpoints": [{"interface", "region_id", "region",
 *    "url"}]}]}} in the body;
 *  - a bad credential is 401 {"error": {"code", "title", "message"}}; an
 *    application credential carries its own scope, so no scope is sent;
 *  - services guarded by keystonemiddleware answer 401 to a token that is
 *    expired or revoked (DELETE /v3/auth/tokens).
 * keystoneauth's habits kept here: renew a token within 120 s of its expiry,
 * and re-authenticate once when a service answers 401.
 *
 * No message contains a secret: messages are built from the auth URL, user
 * and project names only, and anything quoted from a server passes through
 * redact() first, which blanks any secret of the session found in it.
 */
#include "config.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cloud-internal.h"
#include "http-private.h"
#include "util.h"
#include "vpmu/virt.h"
#include "vpmu/cloud.h"

struct vpmu_cloud {
    vpmu_cloud_config *cfg;
    CURL *curl;
    char *auth_url;   /* as configured, for messages */
    char *tokens_url; /* .../v3/auth/tokens */
    char *token;
    time_t expires;
    json_t *catalog;
    char *user_id;
    char *project_id;
    unsigned n_tokens;
    long connect_ms;
    long deadline_ms;
    long renew_margin_s;
    char errbuf[CURL_ERROR_SIZE];
};

DEFINE_TRIVIAL_CLEANUP_FUNC(vpmu_cloud_config *, vpmu_cloud_config_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(vpmu_cloud *, vpmu_cloud_free)
#define _cleanup_json_ _cleanup_(json_decrefp)

static void
wipe_free(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

/* ---- messages ------------------------------------------------------------------------------ */

/* Blank every secret of @cloud that occurs in @s (in place). */
static void
redact(const vpmu_cloud *cloud, char *s)
{
    const char *secrets[4] = {NULL};
    size_t n = 0;

    if (!s)
        return;
    if (cloud && cloud->cfg) {
        secrets[n++] = vpmu_cloud_config_get(cloud->cfg, "password");
        secrets[n++] = vpmu_cloud_config_get(cloud->cfg, "application_credential_secret");
        secrets[n++] = vpmu_cloud_config_get(cloud->cfg, "token");
    }
    if (cloud)
        secrets[n++] = cloud->token;
    for (size_t i = 0; i < n; i++) {
        const char *sec = secrets[i];
        size_t len;
        char *p;
        if (!sec || (len = strlen(sec)) < 4)
            continue;
        while ((p = strstr(s, sec)))
            memset(p, '*', len);
    }
}

/* "user 'admin' (domain 'default')", "application credential 'ID'", "token". */
static char *
who(const vpmu_cloud_config *cfg)
{
    const char *u = vpmu_cloud_config_get(cfg, "username");
    const char *uid = vpmu_cloud_config_get(cfg, "user_id");

    switch (vpmu_cloud_config_get_auth_type(cfg)) {
    case VPMU_CLOUD_AUTH_APPLICATION_CREDENTIAL: {
        const char *id = vpmu_cloud_config_get(cfg, "application_credential_id");
        const char *nm = vpmu_cloud_config_get(cfg, "application_credential_name");
        _cleanup_free_ char *q = quote_for_message(id ? id : nm, 80);
        return xasprintf("application credential '%s'", q);
    }
    case VPMU_CLOUD_AUTH_TOKEN:
        return xstrdup("the given token");
    case VPMU_CLOUD_AUTH_PASSWORD:
        break;
    }
    _cleanup_free_ char *q = quote_for_message(u ? u : uid ? uid : "", 80);
    return xasprintf("user '%s'", q);
}

static char *
which_project(const vpmu_cloud_config *cfg)
{
    const char *pn = vpmu_cloud_config_get(cfg, "project_name");
    const char *pid = vpmu_cloud_config_get(cfg, "project_id");
    const char *dn = vpmu_cloud_config_get(cfg, "domain_name");
    const char *did = vpmu_cloud_config_get(cfg, "domain_id");

    if (vpmu_cloud_config_get_auth_type(cfg) == VPMU_CLOUD_AUTH_APPLICATION_CREDENTIAL)
        return xstrdup("its own project");
    if (pn || pid) {
        _cleanup_free_ char *q = quote_for_message(pn ? pn : pid, 80);
        return xasprintf("project '%s'", q);
    }
    if (dn || did) {
        _cleanup_free_ char *q = quote_for_message(dn ? dn : did, 80);
        return xasprintf("domain '%s'", q);
    }
    return xstrdup("no project (unscoped)");
}

char *
vpmu_cloud_parse_error(const char *buf, size_t len)
{
    _cleanup_json_ json_t *root = NULL;
    const json_t *msg = NULL, *v;
    const char *key;
    char *out, *w;

    if (!buf || !len)
        return NULL;
    root = json_loadb(buf, len, 0, NULL);
    if (!json_is_object(root))
        return NULL;
    v = json_object_get(root, "errors"); /* Placement */
    if (json_is_array(v) && json_array_size(v) > 0) {
        const json_t *e = json_array_get(v, 0);
        msg = json_object_get(e, "detail");
        if (!json_is_string(msg) || !*json_string_value(msg))
            msg = json_object_get(e, "title");
    }
    if (!msg) { /* Keystone, keystonemiddleware, Nova, Glance: {"KIND": {"message": ...}} */
        json_object_foreach(root, key, v)
        {
            (void)key;
            if (json_is_object(v) && json_is_string(json_object_get(v, "message"))) {
                msg = json_object_get(v, "message");
                break;
            }
        }
    }
    if (!msg && json_is_string(json_object_get(root, "message")))
        msg = json_object_get(root, "message");
    if (!json_is_string(msg))
        return NULL;
    _cleanup_free_ char *q = quote_for_message(json_string_value(msg), 300);
    /* Collapse whitespace runs (Placement's detail has blank lines). */
    out = xstrdup(q);
    w = out;
    for (const char *r = q; *r; r++) {
        bool sp = *r == ' ' || *r == '\t';
        if (sp && (w == out || w[-1] == ' '))
            continue;
        *w++ = sp ? ' ' : *r;
    }
    while (w > out && w[-1] == ' ')
        w--;
    *w = '\0';
    if (!*out) {
        free(out);
        return NULL;
    }
    return out;
}

/* ---- HTTP ---------------------------------------------------------------------------------- */

typedef struct {
    http_answer a;
    char *subject_token; /* X-Subject-Token, when asked for */
    bool want_subject_token;
} http_buf;

static size_t
header_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    http_buf *b = userdata;
    size_t n = size * nmemb;
    static const char name[] = "x-subject-token:";

    if (b->want_subject_token && n > sizeof(name) - 1 &&
        strncasecmp(ptr, name, sizeof(name) - 1) == 0) {
        const char *v = ptr + sizeof(name) - 1, *end = ptr + n;
        while (v < end && (*v == ' ' || *v == '\t'))
            v++;
        while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
            end--;
        wipe_free(b->subject_token);
        b->subject_token = xstrndup(v, (size_t)(end - v));
    }
    return n;
}

static long
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/*
 * One HTTP exchange.  -1 on a transport failure or when @deadline (monotonic
 * ms) has passed; any HTTP status is returned in *status.
 */
static int
http_do(vpmu_cloud *cloud, const char *method, const char *url, const char *token, const char *body,
        const char *const *extra, long deadline, const char *service, http_buf *b, long *status,
        vpmu_error **error)
{
    const char *verify = vpmu_cloud_config_get(cloud->cfg, "verify");
    http_request_opts req = {
            .method = method,
            .url = url,
            .body = body,
            .token = token,
            .headers = extra,
            .connect_ms = cloud->connect_ms,
            .timeout_ms = deadline - now_ms(),
            .cacert = vpmu_cloud_config_get(cloud->cfg, "cacert"),
            .insecure = verify && STREQ(verify, "false"),
            .max_body = VPMU_CLOUD_MAX_BODY,
            .header_cb = header_cb,
            .header_data = b,
    };
    CURLcode rc;

    *status = 0;
    if (req.timeout_ms <= 0) {
        _cleanup_free_ char *qu = uri_for_message(url);
        vpmu_error_set(error, VPMU_ERR_RUNTIME,
                       "%s %s '%s': the deadline passed before it was sent", service, method, qu);
        return -1;
    }
    rc = http_perform(cloud->curl, &req, cloud->errbuf, &b->a);
    if (rc != CURLE_OK) {
        _cleanup_free_ char *qu = uri_for_message(url);
        if (b->a.too_big) {
            vpmu_error_set(error, VPMU_ERR_RUNTIME,
                           "%s's answer to %s '%s' is larger than %u bytes", service, method, qu,
                           VPMU_CLOUD_MAX_BODY);
        } else {
            _cleanup_free_ char *why =
                    xstrdup(cloud->errbuf[0] ? cloud->errbuf : curl_easy_strerror(rc));
            redact(cloud, why);
            vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot reach %s: %s '%s': %s%s", service,
                           method, qu, why,
                           rc == CURLE_OPERATION_TIMEDOUT ? " (deadline reached)" : "");
        }
        return -1;
    }
    *status = b->a.status;
    return 0;
}

static void
http_buf_clear(http_buf *b)
{
    if (b->a.body)
        explicit_bzero(b->a.body, b->a.len);
    free(b->a.body);
    wipe_free(b->subject_token);
    memset(b, 0, sizeof(*b));
}

/* ---- authentication ------------------------------------------------------------------------ */

/* {"name": N, "domain": {...}} or {"id": ID} for a user or a project. */
static json_t *
named(const vpmu_cloud_config *cfg, const char *name_key, const char *id_key,
      const char *dom_name_key, const char *dom_id_key)
{
    const char *id = vpmu_cloud_config_get(cfg, id_key);
    const char *name = vpmu_cloud_config_get(cfg, name_key);
    const char *dn = vpmu_cloud_config_get(cfg, dom_name_key);
    const char *did = vpmu_cloud_config_get(cfg, dom_id_key);
    json_t *o;

    if (id)
        return json_pack("{s:s}", "id", id);
    if (!name)
        return NULL;
    o = json_pack("{s:s}", "name", name);
    if (did)
        json_object_set_new(o, "domain", json_pack("{s:s}", "id", did));
    else if (dn)
        json_object_set_new(o, "domain", json_pack("{s:s}", "name", dn));
    return o;
}

static json_t *
scope_json(const vpmu_cloud_config *cfg)
{
    json_t *p =
            named(cfg, "project_name", "project_id", "project_domain_name", "project_domain_id");
    const char *did = vpmu_cloud_config_get(cfg, "domain_id");
    const char *dn = vpmu_cloud_config_get(cfg, "domain_name");

    if (p)
        return json_pack("{s:o}", "project", p);
    if (did)
        return json_pack("{s:{s:s}}", "domain", "id", did);
    if (dn)
        return json_pack("{s:{s:s}}", "domain", "name", dn);
    return NULL;
}

static char *
auth_body(const vpmu_cloud_config *cfg)
{
    _cleanup_json_ json_t *root = NULL;
    json_t *identity = NULL, *scope = NULL, *user;
    char *s;

    switch (vpmu_cloud_config_get_auth_type(cfg)) {
    case VPMU_CLOUD_AUTH_PASSWORD:
        user = named(cfg, "username", "user_id", "user_domain_name", "user_domain_id");
        json_object_set_new(user, "password", json_string(vpmu_cloud_config_get(cfg, "password")));
        identity = json_pack("{s:[s], s:{s:o}}", "methods", "password", "password", "user", user);
        scope = scope_json(cfg);
        break;
    case VPMU_CLOUD_AUTH_APPLICATION_CREDENTIAL: {
        const char *id = vpmu_cloud_config_get(cfg, "application_credential_id");
        json_t *ac = json_pack("{s:s}", "secret",
                               vpmu_cloud_config_get(cfg, "application_credential_secret"));
        if (id) {
            json_object_set_new(ac, "id", json_string(id));
        } else {
            json_object_set_new(
                    ac, "name",
                    json_string(vpmu_cloud_config_get(cfg, "application_credential_name")));
            json_object_set_new(
                    ac, "user",
                    named(cfg, "username", "user_id", "user_domain_name", "user_domain_id"));
        }
        identity = json_pack("{s:[s], s:o}", "methods", "application_credential",
                             "application_credential", ac);
        break;
    }
    case VPMU_CLOUD_AUTH_TOKEN:
        identity = json_pack("{s:[s], s:{s:s}}", "methods", "token", "token", "id",
                             vpmu_cloud_config_get(cfg, "token"));
        scope = scope_json(cfg);
        break;
    }
    if (!identity)
        abort(); /* json_pack fails only on out-of-memory or invalid UTF-8, checked below */
    root = json_pack("{s:{s:o}}", "auth", "identity", identity);
    if (scope)
        json_object_set_new(json_object_get(root, "auth"), "scope", scope);
    s = json_dumps(root, JSON_COMPACT);
    if (!s)
        abort();
    return s;
}

/* "2026-12-02T16:44:42.000000Z" (or +hh:mm) to time_t; 0 when malformed. */
static time_t
parse_iso8601(const char *s)
{
    struct tm tm = {0};
    int y, mo, d, h, mi, sec, n = 0;
    const char *p;
    time_t t;

    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6)
        return 0;
    p = s + n;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            ;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    t = timegm(&tm);
    if (t == (time_t)-1)
        return 0;
    if (*p == 'Z' || *p == '\0')
        return t;
    if ((*p == '+' || *p == '-') && strlen(p) >= 6 && p[3] == ':') {
        int oh = (p[1] - '0') * 10 + (p[2] - '0'), om = (p[4] - '0') * 10 + (p[5] - '0');
        long off = (long)oh * 3600 + (long)om * 60;
        return *p == '+' ? t - off : t + off;
    }
    return 0;
}

/* Ask Keystone for a token; on success replace the session's token and catalog. */
static int
authenticate(vpmu_cloud *cloud, long deadline, vpmu_error **error)
{
    _cleanup_free_ char *user = who(cloud->cfg), *project = which_project(cloud->cfg);
    _cleanup_free_ char *qurl = uri_for_message(cloud->auth_url);
    _cleanup_json_ json_t *root = NULL;
    http_buf b = {.want_subject_token = true};
    const json_t *tok, *cat;
    char *body = auth_body(cloud->cfg);
    long status = 0;
    int r;

    r = http_do(cloud, "POST", cloud->tokens_url, NULL, body, NULL, deadline, "Keystone", &b,
                &status, error);
    explicit_bzero(body, strlen(body));
    free(body);
    if (r < 0) {
        vpmu_error_prefix(error, "cannot authenticate %s in %s at '%s'", user, project, qurl);
        http_buf_clear(&b);
        return -1;
    }
    if (status != 201 && status != 200) {
        _cleanup_free_ char *reason = vpmu_cloud_parse_error(b.a.body, b.a.len);
        redact(cloud, reason);
        /* Keystone answers 404 "Failed to validate token" to a revoked or bad token. */
        if (status == 401 ||
            (status == 404 && vpmu_cloud_config_get_auth_type(cloud->cfg) == VPMU_CLOUD_AUTH_TOKEN))
            vpmu_error_set(error, VPMU_ERR_RUNTIME,
                           "authentication failed at '%s' for %s in %s (HTTP %ld)%s%s", qurl, user,
                           project, status, reason ? ": " : "", reason ? reason : "");
        else
            vpmu_error_set(error, VPMU_ERR_RUNTIME,
                           "Keystone at '%s' answered HTTP %ld to %s in %s%s%s", qurl, status, user,
                           project, reason ? ": " : "", reason ? reason : "");
        http_buf_clear(&b);
        return -1;
    }
    if (!b.subject_token || !*b.subject_token) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME,
                       "Keystone at '%s' answered HTTP %ld for %s without an X-Subject-Token "
                       "header",
                       qurl, status, user);
        http_buf_clear(&b);
        return -1;
    }
    root = json_loadb(b.a.body, b.a.len, 0, NULL);
    tok = json_object_get(root, "token");
    if (!json_is_object(tok)) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME,
                       "Keystone at '%s' answered without a 'token' object for %s", qurl, user);
        http_buf_clear(&b);
        return -1;
    }
    wipe_free(cloud->token);
    cloud->token = TAKE_PTR(b.subject_token);
    cloud->expires = parse_iso8601(json_string_value(json_object_get(tok, "expires_at")));
    cat = json_object_get(tok, "catalog");
    json_decref(cloud->catalog);
    cloud->catalog = json_is_array(cat) ? json_incref((json_t *)cat) : json_array();
    free(cloud->user_id);
    free(cloud->project_id);
    cloud->user_id = json_is_string(json_object_get(json_object_get(tok, "user"), "id"))
                             ? xstrdup(json_string_value(
                                       json_object_get(json_object_get(tok, "user"), "id")))
                             : NULL;
    cloud->project_id = json_is_string(json_object_get(json_object_get(tok, "project"), "id"))
                                ? xstrdup(json_string_value(
                                          json_object_get(json_object_get(tok, "project"), "id")))
                                : NULL;
    cloud->n_tokens++;
    http_buf_clear(&b);
    return 0;
}

static bool
expiring(const vpmu_cloud *cloud)
{
    return cloud->expires != 0 && cloud->expires - time(NULL) <= cloud->renew_margin_s;
}

/* ---- the session --------------------------------------------------------------------------- */

static char *
tokens_url(const char *auth_url)
{
    _cleanup_free_ char *u = xstrdup(auth_url);
    size_t n = strlen(u);

    while (n > 0 && u[n - 1] == '/')
        u[--n] = '\0';
    if (n >= 3 && STREQ(u + n - 3, "/v3"))
        return xasprintf("%s/auth/tokens", u);
    return xasprintf("%s/v3/auth/tokens", u);
}

vpmu_cloud *
vpmu_cloud_open_config(const vpmu_cloud_config *cfg, vpmu_error **error)
{
    _cleanup_(vpmu_cloud_freep) vpmu_cloud *cloud = NULL;
    const char *url = vpmu_cloud_config_get(cfg, "auth_url");
    _cleanup_free_ char *qurl = uri_for_message(url);

    if (!url || (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "auth_url '%s' is not an http:// or https:// URL",
                       qurl);
        return NULL;
    }
    for (const char *p = url; *p; p++) {
        if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '?' || *p == '#') {
            vpmu_error_set(error, VPMU_ERR_USAGE,
                           "auth_url '%s' has blanks, control characters, a query or a fragment",
                           qurl);
            return NULL;
        }
    }
    /* libcurl's global set-up, once for the process (curl_global_init). */
    if (vpmu_virt_init(VPMU_VIRT_INIT_HTTP, error) < 0)
        return NULL;
    cloud = xcalloc(1, sizeof(*cloud));
    cloud->curl = curl_easy_init();
    if (!cloud->curl) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot initialise libcurl");
        return NULL;
    }
    /* A private copy, so that the caller's config may go away. */
    cloud->cfg = cloud_config_copy(cfg);
    cloud->auth_url = xstrdup(url);
    cloud->tokens_url = tokens_url(url);
    cloud->connect_ms = VPMU_CLOUD_CONNECT_TIMEOUT_MS;
    cloud->deadline_ms = VPMU_CLOUD_DEADLINE_MS;
    cloud->renew_margin_s = VPMU_CLOUD_RENEW_MARGIN_S;
    if (authenticate(cloud, now_ms() + cloud->deadline_ms, error) < 0)
        return NULL;
    return TAKE_PTR(cloud);
}

vpmu_cloud *
vpmu_cloud_open(const char *name, vpmu_error **error)
{
    _cleanup_(vpmu_cloud_config_freep) vpmu_cloud_config *cfg = vpmu_cloud_config_load(name, error);

    if (!cfg)
        return NULL;
    return vpmu_cloud_open_config(cfg, error);
}

void
vpmu_cloud_free(vpmu_cloud *cloud)
{
    if (!cloud)
        return;
    if (cloud->curl)
        curl_easy_cleanup(cloud->curl);
    vpmu_cloud_config_free(cloud->cfg);
    free(cloud->auth_url);
    free(cloud->tokens_url);
    wipe_free(cloud->token);
    json_decref(cloud->catalog);
    free(cloud->user_id);
    free(cloud->project_id);
    free(cloud);
}

void
vpmu_cloud_set_timeouts(vpmu_cloud *cloud, long connect_ms, long deadline_ms)
{
    if (connect_ms > 0)
        cloud->connect_ms = connect_ms;
    if (deadline_ms > 0)
        cloud->deadline_ms = deadline_ms;
}

void
vpmu_cloud_set_renew_margin(vpmu_cloud *cloud, long seconds)
{
    cloud->renew_margin_s = seconds >= 0 ? seconds : 0;
}

const vpmu_cloud_config *
vpmu_cloud_get_config(const vpmu_cloud *cloud)
{
    return cloud->cfg;
}

const char *
vpmu_cloud_get_token(vpmu_cloud *cloud, vpmu_error **error)
{
    if (expiring(cloud) && authenticate(cloud, now_ms() + cloud->deadline_ms, error) < 0)
        return NULL;
    return cloud->token;
}

time_t
vpmu_cloud_get_expiry(const vpmu_cloud *cloud)
{
    return cloud->expires;
}

unsigned
vpmu_cloud_get_token_count(const vpmu_cloud *cloud)
{
    return cloud->n_tokens;
}

int
vpmu_cloud_reauthenticate(vpmu_cloud *cloud, vpmu_error **error)
{
    return authenticate(cloud, now_ms() + cloud->deadline_ms, error);
}

const char *
vpmu_cloud_get_user_id(const vpmu_cloud *cloud)
{
    return cloud->user_id;
}

const char *
vpmu_cloud_get_project_id(const vpmu_cloud *cloud)
{
    return cloud->project_id;
}

/* ---- the catalog --------------------------------------------------------------------------- */

static char *
strip_slashes(const char *url)
{
    char *u = xstrdup(url);
    size_t n = strlen(u);

    while (n > 0 && u[n - 1] == '/')
        u[--n] = '\0';
    return u;
}

char *
vpmu_cloud_get_endpoint(vpmu_cloud *cloud, const char *service_type, const char *interface,
                        const char *region, vpmu_error **error)
{
    _cleanup_free_ char *override_key = xasprintf("%s_endpoint_override", service_type);
    const char *override = vpmu_cloud_config_get(cloud->cfg, override_key);
    size_t i, j;
    const json_t *svc, *ep;

    if (override)
        return strip_slashes(override);
    if (!interface)
        interface = vpmu_cloud_config_get(cloud->cfg, "interface");
    if (!interface)
        interface = "public";
    if (!region)
        region = vpmu_cloud_config_get(cloud->cfg, "region_name");
    json_array_foreach(cloud->catalog, i, svc)
    {
        if (!json_is_string(json_object_get(svc, "type")) ||
            !STREQ(json_string_value(json_object_get(svc, "type")), service_type))
            continue;
        json_array_foreach(json_object_get(svc, "endpoints"), j, ep)
        {
            const char *ifc = json_string_value(json_object_get(ep, "interface"));
            const char *rid = json_string_value(json_object_get(ep, "region_id"));
            const char *rn = json_string_value(json_object_get(ep, "region"));
            const char *url = json_string_value(json_object_get(ep, "url"));
            if (!ifc || !url || !STREQ(ifc, interface))
                continue;
            if (region && !STREQ_NULLABLE(rid, region) && !STREQ_NULLABLE(rn, region))
                continue;
            return strip_slashes(url);
        }
    }
    {
        _cleanup_free_ char *qs = quote_for_message(service_type, 80);
        _cleanup_free_ char *qi = quote_for_message(interface, 80);
        _cleanup_free_ char *qr = quote_for_message(region ? region : "", 80);
        _cleanup_free_ char *qurl = uri_for_message(cloud->auth_url);
        vpmu_error_set(error, VPMU_ERR_RUNTIME,
                       "the service catalog of '%s' has no '%s' endpoint with interface '%s'%s%s%s",
                       qurl, qs, qi, region ? " in region '" : "", region ? qr : "",
                       region ? "'" : "");
    }
    return NULL;
}

/* ---- requests ------------------------------------------------------------------------------ */

void
vpmu_cloud_response_clear(vpmu_cloud_response *resp)
{
    if (!resp)
        return;
    free(resp->body);
    json_decref(resp->json);
    free(resp->url);
    memset(resp, 0, sizeof(*resp));
}

static bool
is_absolute(const char *url)
{
    return strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0;
}

int
vpmu_cloud_request(vpmu_cloud *cloud, const vpmu_cloud_request_opts *opts,
                   vpmu_cloud_response *resp, vpmu_error **error)
{
    long deadline = now_ms() + (opts->deadline_ms > 0 ? opts->deadline_ms : cloud->deadline_ms);
    const char *service = opts->service_type ? opts->service_type : "the service";
    const char *method = opts->method ? opts->method : "GET";
    bool auth = !(opts->flags & VPMU_CLOUD_REQUEST_NO_AUTH);
    _cleanup_free_ char *url = NULL, *qurl = NULL;
    vpmu_cloud_response local = {0};
    http_buf b = {0};
    long status = 0;
    unsigned renewals = 0;

    if (!resp)
        resp = &local;
    memset(resp, 0, sizeof(*resp));
    if (!opts->url) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "no URL for the %s request", service);
        return -1;
    }
    if (is_absolute(opts->url)) {
        url = xstrdup(opts->url);
    } else {
        _cleanup_free_ char *base = NULL;
        if (opts->endpoint) {
            base = strip_slashes(opts->endpoint);
        } else if (opts->service_type) {
            base = vpmu_cloud_get_endpoint(cloud, opts->service_type, NULL, NULL, error);
            if (!base)
                return -1;
        } else {
            _cleanup_free_ char *q = uri_for_message(opts->url);
            vpmu_error_set(error, VPMU_ERR_USAGE,
                           "'%s' is a path, but no service type or endpoint was given", q);
            return -1;
        }
        url = xasprintf("%s%s%s", base, opts->url[0] == '/' ? "" : "/", opts->url);
    }
    for (const char *p = url; *p; p++) {
        if ((unsigned char)*p <= 0x20 || *p == 0x7f) {
            _cleanup_free_ char *q = uri_for_message(url);
            vpmu_error_set(error, VPMU_ERR_USAGE, "'%s' is not a URL: blanks or control characters",
                           q);
            return -1;
        }
    }
    qurl = uri_for_message(url);

    if (auth && expiring(cloud)) {
        if (authenticate(cloud, deadline, error) < 0)
            goto fail;
        renewals++;
    }
    for (;;) {
        if (http_do(cloud, method, url, auth ? cloud->token : NULL, opts->body, opts->headers,
                    deadline, service, &b, &status, error) < 0)
            goto fail;
        if (status == 401 && auth && renewals == 0) {
            /*
             * Expired or revoked under us: a new token, once, as keystoneauth
             * does.  (With the token method that works only while the given
             * token is itself still valid.)
             */
            http_buf_clear(&b);
            if (authenticate(cloud, deadline, error) < 0)
                goto fail;
            renewals++;
            continue;
        }
        break;
    }
    resp->status = status;
    resp->len = b.a.len;
    resp->body = TAKE_PTR(b.a.body);
    resp->json = resp->len ? json_loadb(resp->body, resp->len, 0, NULL) : NULL;
    resp->url = TAKE_PTR(url);
    resp->renewals = renewals;
    http_buf_clear(&b);
    if ((status < 200 || status > 299) && !(opts->flags & VPMU_CLOUD_REQUEST_ANY_STATUS)) {
        _cleanup_free_ char *reason = vpmu_cloud_parse_error(resp->body, resp->len);
        redact(cloud, reason);
        if (!reason && resp->len) {
            _cleanup_free_ char *copy = xstrndup(resp->body, resp->len > 300 ? 300 : resp->len);
            reason = quote_for_message(strstrip(copy), 200);
            redact(cloud, reason);
        }
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "%s answered %s '%s' with HTTP %ld%s%s%s", service,
                       method, qurl, status, status == 401 ? " (authentication failed)" : "",
                       reason && *reason ? ": " : "", reason && *reason ? reason : "");
        if (resp == &local)
            vpmu_cloud_response_clear(&local);
        return -1;
    }
    if (resp == &local)
        vpmu_cloud_response_clear(&local);
    return 0;
fail:
    resp->status = 0;
    resp->renewals = renewals;
    http_buf_clear(&b);
    if (resp == &local)
        vpmu_cloud_response_clear(&local);
    return -1;
}

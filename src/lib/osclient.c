/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * osclient.c: flavors from Nova and images from Glance over a vpmu_cloud
 * session.  The answers are parsed by openstack.c and metadata.c; here are
 * the requests, the statuses and the per-run memory of what was fetched.
 */
#include "config.h"

#include <string.h>

#include "cleanup.h"
#include "util.h"
#include "vpmu/openstack.h"
#include "vpmu/osclient.h"

/* A bound on list pages, against a service whose "next" never ends. */
#define MAX_PAGES 10000

DEFINE_TRIVIAL_CLEANUP_FUNC(vpmu_flavor_list *, vpmu_flavor_list_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(vpmu_image_list *, vpmu_image_list_free)

/* What one find_*() call for a key gave, kept for the next call. */
typedef struct {
    char *key;
    vpmu_lookup status;
    const void *obj; /* flavor: borrowed from the client's list; image: owned */
    char *why;
} entry;

typedef struct {
    entry *v;
    size_t n, cap; /* cap is 0 or a power of two */
} map;

struct vpmu_osclient {
    vpmu_cloud *cloud;
    unsigned long requests;
    /* the flavor list, fetched once for all names */
    bool flavors_fetched;
    vpmu_flavor_list *flavors;
    char *flavors_error;
    map flavor_names;
    map images;
};

/* ---- a small string-keyed hash map (FNV-1a, linear probing) -------------------------------- */

static size_t
hash_str(const char *s)
{
    size_t h = (size_t)1469598103934665603ULL;

    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= (size_t)1099511628211ULL;
    }
    return h;
}

static entry *
map_get(const map *m, const char *key)
{
    if (m->cap == 0)
        return NULL;
    for (size_t i = hash_str(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->v[i].key)
            return NULL;
        if (STREQ(m->v[i].key, key))
            return &m->v[i];
    }
}

static entry *map_put(map *m, char *key);

static void
map_grow(map *m)
{
    map bigger = {.cap = m->cap ? m->cap * 2 : 64};

    bigger.v = xcalloc(bigger.cap, sizeof(entry));
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->v[i].key)
            continue;
        entry *e = map_put(&bigger, m->v[i].key);
        e->status = m->v[i].status;
        e->obj = m->v[i].obj;
        e->why = m->v[i].why;
    }
    free(m->v);
    *m = bigger;
}

/* Insert @key (owned, not yet present); the entry is zeroed but for the key. */
static entry *
map_put(map *m, char *key)
{
    size_t i;

    if ((m->n + 1) * 2 > m->cap)
        map_grow(m);
    for (i = hash_str(key) & (m->cap - 1); m->v[i].key; i = (i + 1) & (m->cap - 1))
        ;
    m->v[i] = (entry){.key = key};
    m->n++;
    return &m->v[i];
}

static void
map_clear(map *m, void (*free_obj)(void *))
{
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->v[i].key)
            continue;
        free(m->v[i].key);
        free(m->v[i].why);
        if (free_obj && m->v[i].obj)
            free_obj((void *)m->v[i].obj);
    }
    free(m->v);
    *m = (map){0};
}

static void
free_image(void *p)
{
    vpmu_image_free(p);
}

/* ---- the client ------------------------------------------------------------------------------ */

vpmu_osclient *
vpmu_osclient_new(vpmu_cloud *cloud)
{
    vpmu_osclient *c = xcalloc(1, sizeof(*c));

    c->cloud = cloud;
    return c;
}

void
vpmu_osclient_free(vpmu_osclient *c)
{
    if (!c)
        return;
    map_clear(&c->flavor_names, NULL);
    map_clear(&c->images, free_image);
    vpmu_flavor_list_free(c->flavors);
    free(c->flavors_error);
    free(c);
}

unsigned long
vpmu_osclient_request_count(const vpmu_osclient *c)
{
    return c ? c->requests : 0;
}

size_t
vpmu_osclient_flavors_seen(const vpmu_osclient *c)
{
    return c ? c->flavor_names.n : 0;
}

size_t
vpmu_osclient_images_seen(const vpmu_osclient *c)
{
    return c ? c->images.n : 0;
}

/* RFC 3986 percent-encoding of everything but the unreserved characters. */
static char *
url_escape(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = xmalloc(strlen(s) * 3 + 1), *o = out;

    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    return out;
}

typedef enum {
    SVC_NOVA,
    SVC_GLANCE
} service;

/*
 * GET @path (relative to the service's catalog endpoint).  Returns the HTTP
 * status (200, 404, ...) with the answer in *resp, or -1 when there was no
 * answer.  Statuses other than 200 and 404 are turned into an error here.
 */
static long
get(vpmu_osclient *c, service svc, const char *path, vpmu_cloud_response *resp, vpmu_error **error)
{
    static const char *const nova_headers[] = {
            "OpenStack-API-Version: compute " VPMU_NOVA_MICROVERSION,
            "X-OpenStack-Nova-API-Version: " VPMU_NOVA_MICROVERSION,
            NULL,
    };
    vpmu_cloud_request_opts o = {
            .method = "GET",
            .url = path,
            .service_type = svc == SVC_NOVA ? "compute" : "image",
            .headers = svc == SVC_NOVA ? nova_headers : NULL,
            .flags = VPMU_CLOUD_REQUEST_ANY_STATUS,
    };
    const char *who = svc == SVC_NOVA ? "Nova" : "Glance";
    _cleanup_free_ char *reason = NULL, *shown = NULL;

    memset(resp, 0, sizeof(*resp));
    c->requests++;
    if (vpmu_cloud_request(c->cloud, &o, resp, error) < 0)
        return -1;
    if (resp->status == 200 || resp->status == 404)
        return resp->status;
    /* The catalog's URL (password masked) or the path, whose next-page part is the server's. */
    shown = uri_for_message(resp->url ? resp->url : path);
    if (svc == SVC_NOVA && resp->status == 406) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME,
                       "Nova at '%s' does not offer microversion " VPMU_NOVA_MICROVERSION
                       " (flavors with their extra specs); vpmu needs Nova 18 (Rocky) or later",
                       shown);
        return -1;
    }
    reason = vpmu_cloud_parse_error(resp->body, resp->len);
    vpmu_error_set(error, VPMU_ERR_RUNTIME, "%s answered GET '%s' with HTTP %ld: %s", who, shown,
                   resp->status, reason ? reason : "no reason given");
    return -1;
}

/* The part of a "next" link from its '?' on, appended to @base; NULL when it has none. */
static char *
next_path(const char *base, const char *href)
{
    const char *q = strchr(href, '?');

    return q ? xasprintf("%s%s", base, q) : NULL;
}

/* "WHO GET PATH", naming an answer in parse errors: a next page's query is the server's, quoted. */
static char *
get_source(const char *who, const char *path)
{
    _cleanup_free_ char *q = quote_for_message(path, 300);

    return xasprintf("%s GET %s", who, q);
}

/*
 * GET @first_path and each page its "next" link leads to, into @flavors
 * (from Nova) or else @images (from Glance).  Takes @first_path.
 */
static int
fetch_pages(vpmu_osclient *c, char *first_path, vpmu_flavor_list *flavors, vpmu_image_list *images,
            vpmu_error **error)
{
    _cleanup_free_ char *path = first_path;
    const char *who = flavors ? "Nova" : "Glance";

    for (unsigned page = 0; path; page++) {
        vpmu_cloud_response resp;
        _cleanup_free_ char *next = NULL, *source = NULL;
        long st;
        int r;

        if (page == MAX_PAGES) {
            vpmu_error_set(error, VPMU_ERR_RUNTIME,
                           flavors ? "Nova's flavor list goes on for more than %d pages; stopped"
                                   : "Glance's image list goes on for more than %d pages; stopped",
                           MAX_PAGES);
            return -1;
        }
        st = get(c, flavors ? SVC_NOVA : SVC_GLANCE, path, &resp, error);
        if (st == 404) {
            _cleanup_free_ char *shown = uri_for_message(resp.url ? resp.url : path);
            vpmu_error_set(error, VPMU_ERR_RUNTIME,
                           flavors ? "Nova answered GET '%s' with HTTP 404"
                                   : "Glance answered GET '%s' with HTTP 404",
                           shown);
            st = -1;
        }
        if (st < 0) {
            vpmu_cloud_response_clear(&resp);
            return -1;
        }
        source = get_source(who, path);
        r = flavors ? vpmu_flavor_list_add_page(flavors, resp.body, resp.len, source, &next, error)
                    : vpmu_image_list_add_page(images, resp.body, resp.len, source, &next, error);
        vpmu_cloud_response_clear(&resp);
        if (r < 0)
            return -1;
        free(path);
        path = next ? next_path(flavors ? "/flavors/detail" : "/v2/images", next) : NULL;
    }
    return 0;
}

/* Every flavor the caller may see, all pages, into @list. */
static int
fetch_flavors(vpmu_osclient *c, vpmu_flavor_list *list, vpmu_error **error)
{
    return fetch_pages(c, xstrdup("/flavors/detail?is_public=None"), list, NULL, error);
}

/* Images named @name, all pages, into @list (Glance filters; the caller compares exactly). */
static int
fetch_images_named(vpmu_osclient *c, const char *name, vpmu_image_list *list, vpmu_error **error)
{
    _cleanup_free_ char *enc = url_escape(name);

    /*
     * Glance reads "in:a,b" in a name filter as a list of names: a name with
     * ':' or ',' is looked for in the unfiltered list instead.
     */
    if (strchr(name, ':') || strchr(name, ','))
        return fetch_pages(c, xstrdup("/v2/images?limit=1000"), NULL, list, error);
    return fetch_pages(c, xasprintf("/v2/images?name=%s", enc), NULL, list, error);
}

vpmu_flavor *
vpmu_osclient_get_flavor(vpmu_osclient *c, const char *id_or_name, vpmu_error **error)
{
    _cleanup_(vpmu_flavor_list_freep) vpmu_flavor_list *list = NULL;
    _cleanup_free_ char *enc = NULL, *path = NULL;
    vpmu_cloud_response resp;
    long st, i;

    if (!c || !id_or_name || !*id_or_name) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "no flavor id or name to look for");
        return NULL;
    }
    enc = url_escape(id_or_name);
    path = xasprintf("/flavors/%s", enc);
    st = get(c, SVC_NOVA, path, &resp, error);
    if (st == 200) {
        _cleanup_free_ char *source = get_source("Nova", path);
        vpmu_flavor *f = vpmu_flavor_parse(resp.body, resp.len, source, error);

        vpmu_cloud_response_clear(&resp);
        return f;
    }
    vpmu_cloud_response_clear(&resp);
    if (st < 0)
        return NULL;
    /* 404: not an id; a name? */
    list = vpmu_flavor_list_new();
    if (fetch_flavors(c, list, error) < 0)
        return NULL;
    i = vpmu_flavor_list_find(list, id_or_name, error);
    if (i < 0)
        return NULL;
    return vpmu_flavor_list_steal(list, (size_t)i);
}

/* GET /v2/images/ID: 0 with *out, 1 when Glance has no such image, -1 on error. */
static int
image_by_id(vpmu_osclient *c, const char *id, vpmu_image **out, vpmu_error **error)
{
    _cleanup_free_ char *enc = url_escape(id);
    _cleanup_free_ char *path = xasprintf("/v2/images/%s", enc);
    vpmu_cloud_response resp;
    long st;

    *out = NULL;
    st = get(c, SVC_GLANCE, path, &resp, error);
    if (st == 200) {
        _cleanup_free_ char *source = get_source("Glance", path);

        *out = vpmu_image_parse(resp.body, resp.len, source, error);
        st = *out ? 0 : -1;
    } else if (st == 404) {
        st = 1;
    }
    vpmu_cloud_response_clear(&resp);
    return (int)st;
}

vpmu_image *
vpmu_osclient_get_image(vpmu_osclient *c, const char *id_or_name, vpmu_error **error)
{
    _cleanup_(vpmu_image_list_freep) vpmu_image_list *list = NULL;
    long i;

    if (!c || !id_or_name || !*id_or_name) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "no image id or name to look for");
        return NULL;
    }
    /* Glance's ids are UUIDs: anything else can only be a name. */
    if (uuid_string_valid(id_or_name)) {
        vpmu_image *img = NULL;
        int r = image_by_id(c, id_or_name, &img, error);

        if (r <= 0)
            return img;
    }
    list = vpmu_image_list_new();
    if (fetch_images_named(c, id_or_name, list, error) < 0)
        return NULL;
    i = vpmu_image_list_find(list, id_or_name, error);
    if (i < 0)
        return NULL;
    return vpmu_image_list_steal(list, (size_t)i);
}

int
vpmu_osclient_load_flavors(vpmu_osclient *c, vpmu_error **error)
{
    _cleanup_error_ vpmu_error *err = NULL;

    if (c->flavors_fetched) {
        if (c->flavors_error) {
            vpmu_error_set(error, VPMU_ERR_RUNTIME, "%s", c->flavors_error);
            return -1;
        }
        return 0;
    }
    c->flavors_fetched = true;
    c->flavors = vpmu_flavor_list_new();
    if (fetch_flavors(c, c->flavors, &err) < 0) {
        c->flavors_error = xstrdup(vpmu_error_get_message(err));
        vpmu_error_set(error, vpmu_error_get_code(err), "%s", c->flavors_error);
        return -1;
    }
    return 0;
}

vpmu_lookup
vpmu_osclient_find_flavor(vpmu_osclient *c, const char *name, const vpmu_flavor **out,
                          const char **why)
{
    _cleanup_error_ vpmu_error *err = NULL;
    entry *e;
    long i;

    *out = NULL;
    *why = NULL;
    e = map_get(&c->flavor_names, name);
    if (!e) {
        vpmu_osclient_load_flavors(c, NULL);
        e = map_put(&c->flavor_names, xstrdup(name));
        if (c->flavors_error) {
            e->status = VPMU_LOOKUP_FAILED;
            e->why = xstrdup(c->flavors_error);
        } else if ((i = vpmu_flavor_list_find(c->flavors, name, &err)) < 0) {
            /* The list is in hand: the only failures are "not found" and "ambiguous". */
            e->status = vpmu_error_get_code(err) == VPMU_ERR_INVALID ? VPMU_LOOKUP_AMBIGUOUS
                                                                     : VPMU_LOOKUP_MISSING;
            e->why = xstrdup(vpmu_error_get_message(err));
        } else {
            e->status = VPMU_LOOKUP_FOUND;
            e->obj = vpmu_flavor_list_at(c->flavors, (size_t)i);
        }
    }
    *out = e->obj;
    *why = e->why;
    return e->status;
}

vpmu_lookup
vpmu_osclient_find_image(vpmu_osclient *c, const char *id, const vpmu_image **out, const char **why)
{
    _cleanup_error_ vpmu_error *err = NULL;
    entry *e;

    *out = NULL;
    *why = NULL;
    e = map_get(&c->images, id);
    if (!e) {
        vpmu_image *img = NULL;
        int r = image_by_id(c, id, &img, &err);

        e = map_put(&c->images, xstrdup(id));
        if (r == 0) {
            e->status = VPMU_LOOKUP_FOUND;
            e->obj = img;
        } else if (r == 1) {
            _cleanup_free_ char *q = quote_for_message(id, 80);

            e->status = VPMU_LOOKUP_MISSING;
            e->why = xasprintf("image '%s' not found in Glance", q);
        } else {
            e->status = VPMU_LOOKUP_FAILED;
            e->why = xstrdup(vpmu_error_get_message(err));
        }
    }
    *out = e->obj;
    *why = e->why;
    return e->status;
}

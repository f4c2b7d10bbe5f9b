/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * openstack.c: Nova's flavor list and Glance's image list answers, and the
 * lookup of one flavor or image by name.  Pure: the HTTP is in osclient.c.
 *
 * Each list element is written back out by jansson and read by the same
 * parser as a file (vpmu_flavor_parse / vpmu_image_parse): one parser, so a
 * flavor from the API and the same flavor in a file cannot decide apart.
 */
#include "config.h"

#include <jansson.h>
#include <string.h>

#include "cleanup.h"
#include "metadata-private.h"
#include "util.h"
#include "vpmu/openstack.h"

#define _cleanup_json_ _cleanup_(json_decrefp)

/* Ids named in an ambiguity message; the rest are counted. */
#define MAX_IDS_LISTED 10

/* The two lists differ only in the type of their elements and the API's words for it. */
typedef enum {
    FLAVORS,
    IMAGES,
} list_kind;

/* Owned elements, vpmu_flavor * or vpmu_image * by the list's kind, in the API's order. */
typedef struct {
    void **v;
    size_t n, cap;
} elements;

struct vpmu_flavor_list {
    elements e;
};

struct vpmu_image_list {
    elements e;
};

static const char *const lookup_names[] = {
        [VPMU_LOOKUP_FOUND] = "found",
        [VPMU_LOOKUP_MISSING] = "missing",
        [VPMU_LOOKUP_AMBIGUOUS] = "ambiguous",
        [VPMU_LOOKUP_FAILED] = "failed",
};
VPMU_DEFINE_TO_STRING(vpmu_lookup_to_string, vpmu_lookup, lookup_names, VPMU_LOOKUP_LAST);

vpmu_flavor_list *
vpmu_flavor_list_new(void)
{
    return xcalloc(1, sizeof(vpmu_flavor_list));
}

vpmu_image_list *
vpmu_image_list_new(void)
{
    return xcalloc(1, sizeof(vpmu_image_list));
}

static const char *
element_name(list_kind k, const void *el)
{
    return k == FLAVORS ? vpmu_flavor_get_name(el) : vpmu_image_get_name(el);
}

static const char *
element_id(list_kind k, const void *el)
{
    return k == FLAVORS ? vpmu_flavor_get_id(el) : vpmu_image_get_id(el);
}

static void
element_free(list_kind k, void *el)
{
    if (k == FLAVORS)
        vpmu_flavor_free(el);
    else
        vpmu_image_free(el);
}

/* Free the elements from index @from on. */
static void
elements_truncate(list_kind k, elements *e, size_t from)
{
    while (e->n > from)
        element_free(k, e->v[--e->n]);
}

void
vpmu_flavor_list_free(vpmu_flavor_list *list)
{
    if (!list)
        return;
    elements_truncate(FLAVORS, &list->e, 0);
    free(list->e.v);
    free(list);
}

void
vpmu_image_list_free(vpmu_image_list *list)
{
    if (!list)
        return;
    elements_truncate(IMAGES, &list->e, 0);
    free(list->e.v);
    free(list);
}

/*
 * Parse a list answer: the object, its array under @key.  Errors name
 * @source.  The whole body is checked (size, NUL, duplicates) by jansson with
 * the same flags the file parser uses.
 */
static json_t *
load_list(const char *buf, size_t len, const char *source, const char *key, json_t **array,
          vpmu_error **error)
{
    _cleanup_json_ json_t *root = NULL;
    json_error_t jerr;
    json_t *a;

    if (len > VPMU_METADATA_MAX_BYTES) {
        vpmu_error_set(error, VPMU_ERR_INVALID, "%s: the answer is larger than the %zu-byte limit",
                       source, (size_t)VPMU_METADATA_MAX_BYTES);
        return NULL;
    }
    if (memchr(buf, '\0', len)) {
        vpmu_error_set(error, VPMU_ERR_INVALID, "%s: the answer holds a NUL byte", source);
        return NULL;
    }
    root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        _cleanup_free_ char *text = quote_for_message(jerr.text, 200);
        vpmu_error_set(error, VPMU_ERR_INVALID, "%s:%d:%d: %s", source, jerr.line, jerr.column,
                       text);
        return NULL;
    }
    if (!json_is_object(root)) {
        vpmu_error_set(error, VPMU_ERR_INVALID, "%s: expected a JSON object, found %s", source,
                       json_type_name(root));
        return NULL;
    }
    a = json_object_get(root, key);
    if (!json_is_array(a)) {
        vpmu_error_set(error, VPMU_ERR_INVALID, "%s: expected '%s' as an array, found %s", source,
                       key, a ? json_type_name(a) : "nothing");
        return NULL;
    }
    *array = a;
    return TAKE_PTR(root);
}

/* The next page: Nova's {"flavors_links": [{"rel": "next", "href": ...}]}. */
static int
nova_next(const json_t *root, const char *source, char **next, vpmu_error **error)
{
    const json_t *links = json_object_get(root, "flavors_links");
    const json_t *link;
    size_t i;

    if (!links || json_is_null(links))
        return 0;
    if (!json_is_array(links)) {
        vpmu_error_set(error, VPMU_ERR_INVALID, "%s: 'flavors_links' must be an array, not %s",
                       source, json_type_name(links));
        return -1;
    }
    json_array_foreach(links, i, link)
    {
        const json_t *rel = json_object_get(link, "rel");
        const json_t *href = json_object_get(link, "href");

        if (json_is_string(rel) && STREQ(json_string_value(rel), "next")) {
            if (!json_is_string(href) || !*json_string_value(href)) {
                vpmu_error_set(error, VPMU_ERR_INVALID,
                               "%s: the 'next' link of 'flavors_links' has no 'href'", source);
                return -1;
            }
            *next = xstrdup(json_string_value(href));
            return 0;
        }
    }
    return 0;
}

/* The next page: Glance's {"next": "/v2/images?marker=..."}. */
static int
glance_next(const json_t *root, const char *source, char **next, vpmu_error **error)
{
    const json_t *n = json_object_get(root, "next");

    if (!n || json_is_null(n))
        return 0;
    if (!json_is_string(n) || !*json_string_value(n)) {
        vpmu_error_set(error, VPMU_ERR_INVALID, "%s: 'next' must be a non-empty string, not %s",
                       source, json_type_name(n));
        return -1;
    }
    *next = xstrdup(json_string_value(n));
    return 0;
}

/* One element written back as JSON text, for the file parser.  NULL when not an object. */
static char *
element_text(const json_t *el, const char *source, const char *key, size_t i, size_t *len,
             vpmu_error **error)
{
    char *text;

    if (!json_is_object(el)) {
        vpmu_error_set(error, VPMU_ERR_INVALID, "%s: %s[%zu] must be an object, not %s", source,
                       key, i, json_type_name(el));
        return NULL;
    }
    text = json_dumps(el, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!text)
        abort(); /* out of memory: the x*alloc policy */
    *len = strlen(text);
    return text;
}

/*
 * One page of Nova's flavor list or Glance's image list into @e (NULL: no
 * list).  Every element must parse and have an id, else the page adds
 * nothing.  *@next (optional) gets the next page's link, or NULL.
 */
static int
add_page(list_kind k, elements *e, const char *buf, size_t len, const char *source, char **next,
         vpmu_error **error)
{
    const char *key = k == FLAVORS ? "flavors" : "images";
    _cleanup_json_ json_t *root = NULL;
    _cleanup_free_ char *nx = NULL;
    json_t *array = NULL, *el;
    size_t i, first;

    if (!e || !buf) {
        vpmu_error_set(error, VPMU_ERR_USAGE,
                       k == FLAVORS ? "no flavor list to read" : "no image list to read");
        return -1;
    }
    source = source ? source : k == FLAVORS ? "<flavors>" : "<images>";
    root = load_list(buf, len, source, key, &array, error);
    if (!root || (k == FLAVORS ? nova_next : glance_next)(root, source, &nx, error) < 0)
        return -1;
    first = e->n;
    json_array_foreach(array, i, el)
    {
        _cleanup_free_ char *where = xasprintf("%s: %s[%zu]", source, key, i);
        _cleanup_free_ char *text = NULL;
        void *obj = NULL;
        size_t tlen = 0;

        text = element_text(el, source, key, i, &tlen, error);
        if (text)
            obj = k == FLAVORS ? (void *)vpmu_flavor_parse(text, tlen, where, error)
                               : (void *)vpmu_image_parse(text, tlen, where, error);
        if (!obj || !element_id(k, obj)) {
            if (obj)
                vpmu_error_set(error, VPMU_ERR_INVALID,
                               k == FLAVORS ? "%s: the flavor has no 'id'"
                                            : "%s: the image has no 'id'",
                               where);
            element_free(k, obj);
            elements_truncate(k, e, first);
            return -1;
        }
        if (e->n == e->cap) {
            e->cap = e->cap ? e->cap * 2 : 16;
            e->v = xreallocarray(e->v, e->cap, sizeof(*e->v));
        }
        e->v[e->n++] = obj;
    }
    if (next)
        *next = TAKE_PTR(nx);
    return 0;
}

int
vpmu_flavor_list_add_page(vpmu_flavor_list *list, const char *buf, size_t len, const char *source,
                          char **next, vpmu_error **error)
{
    return add_page(FLAVORS, list ? &list->e : NULL, buf, len, source, next, error);
}

int
vpmu_image_list_add_page(vpmu_image_list *list, const char *buf, size_t len, const char *source,
                         char **next, vpmu_error **error)
{
    return add_page(IMAGES, list ? &list->e : NULL, buf, len, source, next, error);
}

size_t
vpmu_flavor_list_count(const vpmu_flavor_list *list)
{
    return list ? list->e.n : 0;
}

size_t
vpmu_image_list_count(const vpmu_image_list *list)
{
    return list ? list->e.n : 0;
}

const vpmu_flavor *
vpmu_flavor_list_at(const vpmu_flavor_list *list, size_t i)
{
    return list && i < list->e.n ? list->e.v[i] : NULL;
}

const vpmu_image *
vpmu_image_list_at(const vpmu_image_list *list, size_t i)
{
    return list && i < list->e.n ? list->e.v[i] : NULL;
}

/*
 * The index of the one element called @name among @n names, or -1 with
 * "not found" (runtime) or "ambiguous" (invalid) naming @what and the ids.
 */
static long
find_unique(list_kind k, const char *name, const elements *e, vpmu_error **error)
{
    const char *what = k == FLAVORS ? "flavor" : "image";
    size_t n = e ? e->n : 0;
    _cleanup_free_ char *q = NULL;
    size_t hits = 0;
    long found = -1;
    char *ids = NULL;

    if (!name) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "no %s name to look for", what);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *nm = element_name(k, e->v[i]);

        if (!nm || !STREQ(nm, name))
            continue;
        if (hits == 0)
            found = (long)i;
        hits++;
    }
    q = quote_for_message(name, 128);
    if (hits == 0) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "%s '%s' not found", what, q);
        return -1;
    }
    if (hits == 1)
        return found;

    /* Several: list their ids, so that the caller can give one. */
    ids = xstrdup("");
    hits = 0;
    for (size_t i = 0; i < n; i++) {
        const char *nm = element_name(k, e->v[i]);
        char *more;

        if (!nm || !STREQ(nm, name))
            continue;
        if (++hits > MAX_IDS_LISTED)
            continue;
        _cleanup_free_ char *qi = quote_for_message(element_id(k, e->v[i]), 80);
        more = xasprintf("%s%s'%s'", ids, *ids ? ", " : "", qi);
        free(ids);
        ids = more;
    }
    if (hits > MAX_IDS_LISTED)
        vpmu_error_set(error, VPMU_ERR_INVALID,
                       "%s name '%s' is ambiguous: %zu %ss have it, ids %s and %zu more; give "
                       "the id",
                       what, q, hits, what, ids, hits - MAX_IDS_LISTED);
    else
        vpmu_error_set(error, VPMU_ERR_INVALID, "%s name '%s' is ambiguous: ids %s; give the id",
                       what, q, ids);
    free(ids);
    return -1;
}

long
vpmu_flavor_list_find(const vpmu_flavor_list *list, const char *name, vpmu_error **error)
{
    return find_unique(FLAVORS, name, list ? &list->e : NULL, error);
}

long
vpmu_image_list_find(const vpmu_image_list *list, const char *name, vpmu_error **error)
{
    return find_unique(IMAGES, name, list ? &list->e : NULL, error);
}

/* Take element @i out of @e (NULL: no list); NULL when there is none. */
static void *
elements_steal(elements *e, size_t i)
{
    void *el;

    if (!e || i >= e->n)
        return NULL;
    el = e->v[i];
    memmove(&e->v[i], &e->v[i + 1], (e->n - i - 1) * sizeof(*e->v));
    e->n--;
    return el;
}

vpmu_flavor *
vpmu_flavor_list_steal(vpmu_flavor_list *list, size_t i)
{
    return elements_steal(list ? &list->e : NULL, i);
}

vpmu_image *
vpmu_image_list_steal(vpmu_image_list *list, size_t i)
{
    return elements_steal(list ? &list->e : NULL, i);
}

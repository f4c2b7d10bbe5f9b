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

struct vpmu_flavor_list {
    vpmu_flavor **v;
    size_t n, cap;
};

struct vpmu_image_list {
    vpmu_image **v;
    size_t n, cap;
};

static const char *const lookup_names[] = {
        [VPMU_LOOKUP_FOUND] = "found",
        [VPMU_LOOKUP_MISSING] = "missing",
        [VPMU_LOOKUP_AMBIGUOUS] = "ambiguous",
        [VPMU_LOOKUP_FAILED] = "failed",
};
_Static_assert(ELEMENTSOF(lookup_names) == VPMU_LOOKUP_LAST, "one name per lookup outcome");

const char *
vpmu_lookup_to_string(vpmu_lookup lookup)
{
    if ((unsigned)lookup >= VPMU_LOOKUP_LAST)
        return NULL;
    return lookup_names[lookup];
}

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

void
vpmu_flavor_list_free(vpmu_flavor_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->n; i++)
        vpmu_flavor_free(list->v[i]);
    free(list->v);
    free(list);
}

void
vpmu_image_list_free(vpmu_image_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->n; i++)
        vpmu_image_free(list->v[i]);
    free(list->v);
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

int
vpmu_flavor_list_add_page(vpmu_flavor_list *list, const char *buf, size_t len, const char *source,
                          char **next, vpmu_error **error)
{
    _cleanup_json_ json_t *root = NULL;
    _cleanup_free_ char *nx = NULL;
    json_t *array = NULL, *el;
    size_t i, first;

    if (!list || !buf) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "no flavor list to read");
        return -1;
    }
    source = source ? source : "<flavors>";
    root = load_list(buf, len, source, "flavors", &array, error);
    if (!root || nova_next(root, source, &nx, error) < 0)
        return -1;
    first = list->n;
    json_array_foreach(array, i, el)
    {
        _cleanup_free_ char *where = xasprintf("%s: flavors[%zu]", source, i);
        _cleanup_free_ char *text = NULL;
        vpmu_flavor *f;
        size_t tlen = 0;

        text = element_text(el, source, "flavors", i, &tlen, error);
        f = text ? vpmu_flavor_parse(text, tlen, where, error) : NULL;
        if (!f || !vpmu_flavor_get_id(f)) {
            if (f)
                vpmu_error_set(error, VPMU_ERR_INVALID, "%s: the flavor has no 'id'", where);
            vpmu_flavor_free(f);
            while (list->n > first)
                vpmu_flavor_free(list->v[--list->n]);
            return -1;
        }
        if (list->n == list->cap) {
            list->cap = list->cap ? list->cap * 2 : 16;
            list->v = xreallocarray(list->v, list->cap, sizeof(*list->v));
        }
        list->v[list->n++] = f;
    }
    if (next)
        *next = TAKE_PTR(nx);
    return 0;
}

int
vpmu_image_list_add_page(vpmu_image_list *list, const char *buf, size_t len, const char *source,
                         char **next, vpmu_error **error)
{
    _cleanup_json_ json_t *root = NULL;
    _cleanup_free_ char *nx = NULL;
    json_t *array = NULL, *el;
    size_t i, first;

    if (!list || !buf) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "no image list to read");
        return -1;
    }
    source = source ? source : "<images>";
    root = load_list(buf, len, source, "images", &array, error);
    if (!root || glance_next(root, source, &nx, error) < 0)
        return -1;
    first = list->n;
    json_array_foreach(array, i, el)
    {
        _cleanup_free_ char *where = xasprintf("%s: images[%zu]", source, i);
        _cleanup_free_ char *text = NULL;
        vpmu_image *img;
        size_t tlen = 0;

        text = element_text(el, source, "images", i, &tlen, error);
        img = text ? vpmu_image_parse(text, tlen, where, error) : NULL;
        if (!img || !vpmu_image_get_id(img)) {
            if (img)
                vpmu_error_set(error, VPMU_ERR_INVALID, "%s: the image has no 'id'", where);
            vpmu_image_free(img);
            while (list->n > first)
                vpmu_image_free(list->v[--list->n]);
            return -1;
        }
        if (list->n == list->cap) {
            list->cap = list->cap ? list->cap * 2 : 16;
            list->v = xreallocarray(list->v, list->cap, sizeof(*list->v));
        }
        list->v[list->n++] = img;
    }
    if (next)
        *next = TAKE_PTR(nx);
    return 0;
}

size_t
vpmu_flavor_list_count(const vpmu_flavor_list *list)
{
    return list ? list->n : 0;
}

size_t
vpmu_image_list_count(const vpmu_image_list *list)
{
    return list ? list->n : 0;
}

const vpmu_flavor *
vpmu_flavor_list_at(const vpmu_flavor_list *list, size_t i)
{
    return list && i < list->n ? list->v[i] : NULL;
}

const vpmu_image *
vpmu_image_list_at(const vpmu_image_list *list, size_t i)
{
    return list && i < list->n ? list->v[i] : NULL;
}

/*
 * The index of the one element called @name among @n names, or -1 with
 * "not found" (runtime) or "ambiguous" (invalid) naming @what and the ids.
 */
static long
find_unique(const char *what, const char *name, size_t n,
            const char *(*name_at)(const void *, size_t),
            const char *(*id_at)(const void *, size_t), const void *list, vpmu_error **error)
{
    _cleanup_free_ char *q = NULL;
    size_t hits = 0;
    long found = -1;
    char *ids = NULL;

    if (!name) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "no %s name to look for", what);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *nm = name_at(list, i);

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
        const char *nm = name_at(list, i);
        char *more;

        if (!nm || !STREQ(nm, name))
            continue;
        if (++hits > MAX_IDS_LISTED)
            continue;
        _cleanup_free_ char *qi = quote_for_message(id_at(list, i), 80);
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

static const char *
flavor_name_at(const void *l, size_t i)
{
    return vpmu_flavor_get_name(((const vpmu_flavor_list *)l)->v[i]);
}

static const char *
flavor_id_at(const void *l, size_t i)
{
    return vpmu_flavor_get_id(((const vpmu_flavor_list *)l)->v[i]);
}

static const char *
image_name_at(const void *l, size_t i)
{
    return vpmu_image_get_name(((const vpmu_image_list *)l)->v[i]);
}

static const char *
image_id_at(const void *l, size_t i)
{
    return vpmu_image_get_id(((const vpmu_image_list *)l)->v[i]);
}

long
vpmu_flavor_list_find(const vpmu_flavor_list *list, const char *name, vpmu_error **error)
{
    return find_unique("flavor", name, vpmu_flavor_list_count(list), flavor_name_at, flavor_id_at,
                       list, error);
}

long
vpmu_image_list_find(const vpmu_image_list *list, const char *name, vpmu_error **error)
{
    return find_unique("image", name, vpmu_image_list_count(list), image_name_at, image_id_at, list,
                       error);
}

vpmu_flavor *
vpmu_flavor_list_steal(vpmu_flavor_list *list, size_t i)
{
    vpmu_flavor *f;

    if (!list || i >= list->n)
        return NULL;
    f = list->v[i];
    memmove(&list->v[i], &list->v[i + 1], (list->n - i - 1) * sizeof(*list->v));
    list->n--;
    return f;
}

vpmu_image *
vpmu_image_list_steal(vpmu_image_list *list, size_t i)
{
    vpmu_image *img;

    if (!list || i >= list->n)
        return NULL;
    img = list->v[i];
    memmove(&list->v[i], &list->v[i + 1], (list->n - i - 1) * sizeof(*list->v));
    list->n--;
    return img;
}

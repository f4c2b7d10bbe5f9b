/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * placement-parse.c: one job, the pure side of the Placement adapter: parse
 * and check Placement's JSON answers (provider traits, allocation candidates,
 * error bodies) and the names and resource strings vpmu sends, without any
 * I/O, so that each can be tested on a file and fuzzed.  The answer shapes
 * are described at the top of placement.c.
 */
#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "placement-private.h"
#include "util.h"
#include "vpmu/placement.h"

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

size_t
placement_strv_len(char *const *v)
{
    size_t n = 0;

    while (v && v[n])
        n++;
    return n;
}

bool
placement_strv_contains(char *const *v, const char *s)
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
placement_valid_name(const char *s)
{
    size_t n = 0;

    if (!s || !*s)
        return false;
    for (; s[n]; n++)
        if (!is_trait_char(s[n]))
            return false;
    return n <= 255;
}

bool
placement_valid_custom_trait(const char *s)
{
    return placement_valid_name(s) && strncmp(s, "CUSTOM_", 7) == 0 && s[7] != '\0';
}

int
placement_check_uuid(const char *uuid, vpmu_error **error)
{
    if (uuid_string_valid(uuid))
        return 0;
    _cleanup_free_ char *q = quote_for_message(uuid ? uuid : "", 80);
    vpmu_error_set(error, VPMU_ERR_USAGE, "'%s' is not a resource provider UUID", q);
    return -1;
}

int
placement_check_trait(const char *trait, vpmu_error **error)
{
    if (placement_valid_name(trait))
        return 0;
    _cleanup_free_ char *q = quote_for_message(trait ? trait : "", 80);
    vpmu_error_set(error, VPMU_ERR_USAGE,
                   "'%s' is not a trait name; Placement accepts [A-Z0-9_], at most 255", q);
    return -1;
}

/* ---- pure parsers ------------------------------------------------------------------------ */

json_t *
placement_load_json(const char *buf, size_t len, vpmu_error_code code, vpmu_error **error)
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
placement_strv_from_json(const json_t *arr, const char *what, vpmu_error_code code,
                         vpmu_error **error)
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
placement_get_generation(const json_t *v, const char *key, unsigned long long *out,
                         vpmu_error_code code, vpmu_error **error)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        vpmu_error_set(error, code, "'%s' is missing or not a non-negative integer", key);
        return -1;
    }
    *out = (unsigned long long)json_integer_value(v);
    return 0;
}

int
placement_parse_traits_code(const char *buf, size_t len, vpmu_error_code code, char ***traits,
                            unsigned long long *generation, vpmu_error **error)
{
    _cleanup_json_ json_t *root = placement_load_json(buf, len, code, error);
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
    if (placement_get_generation(json_object_get(root, "resource_provider_generation"),
                                 "resource_provider_generation", &gen, code, error) < 0)
        return -1;
    v = placement_strv_from_json(arr, "traits", code, error);
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
    return placement_parse_traits_code(buf, len, VPMU_ERR_INVALID, traits, generation, error);
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
    root = placement_load_json(buf, len, VPMU_ERR_INVALID, NULL);
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
        if (!placement_valid_name(item)) {
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
int
placement_check_required(const char *required, vpmu_error **error)
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

int
placement_cmp_provider(const void *a, const void *b)
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
    p->traits = traits ? placement_strv_from_json(traits, "traits", code, error)
                       : xcalloc(1, sizeof(char *));
    if (!p->traits)
        return -1;
    root = json_object_get(s, "root_provider_uuid");
    if (json_is_string(root))
        p->root = xstrdup(json_string_value(root));
    return 0;
}

vpmu_placement_candidates *
placement_parse_candidates_code(const char *buf, size_t len, vpmu_error_code code,
                                vpmu_error **error)
{
    _cleanup_json_ json_t *root = placement_load_json(buf, len, code, error);
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
        qsort(c->p, c->n, sizeof(*c->p), placement_cmp_provider);
    return TAKE_PTR(c);
}

vpmu_placement_candidates *
vpmu_placement_parse_candidates(const char *buf, size_t len, vpmu_error **error)
{
    return placement_parse_candidates_code(buf, len, VPMU_ERR_INVALID, error);
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

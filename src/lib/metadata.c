/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * OpenStack flavors and images, read from JSON with jansson.  The warnings
 * about near misses of hw:pmu / hw_pmu are metadata-keys.c; the legacy
 * properties string is metadata-props.c.
 *
 * Shapes (docs/reference.md and vpmu(1), --flavor and --image):
 *  flavor: Nova API, {"flavor": {...}} or bare, specs under "extra_specs";
 *          `openstack flavor show -f json`, specs under "properties", either
 *          an object or the older "key='value', key2='value2'" string;
 *  image:  Glance v2, custom properties at top level (the schema's own
 *          attributes are not properties); `openstack image show -f json`,
 *          properties under a "properties" object (the string form is read
 *          too).  A {"image": {...}} wrapper is unwrapped.
 *
 * Hostile input, decided here (each has a case under tests/data/metadata/):
 *  - Duplicate keys are refused, naming the key (JSON_REJECT_DUPLICATES).
 *    RFC 8259 §4 leaves duplicates to the reader and Python's json, which
 *    OpenStack uses, keeps the last one: two readers could disagree about
 *    which hw_pmu a document holds, so vpmu reads neither.  The same key in
 *    two sections of one document ("extra_specs" and "properties", or an
 *    image's top level and "properties") is accepted only with equal values.
 *  - One leading UTF-8 byte order mark is skipped: RFC 8259 §8.1 lets a
 *    parser ignore it, it cannot change the meaning of the document, and
 *    editors that write it do not count it as a column, so line and column
 *    in messages still match what the user sees.  A UTF-16/32 byte order
 *    mark is refused: the text is not UTF-8.
 *  - NUL: a raw NUL byte anywhere, and \u0000 inside a string (jansson
 *    refuses it unless JSON_ALLOW_NUL, which we never pass), are refused with
 *    their line and column.  So no key or value we keep contains NUL.
 *  - Trailing garbage after the document is refused with its line and column
 *    (jansson's end-of-input check, not disabled).
 *  - Size: at most VPMU_METADATA_MAX_BYTES, whether read from a file, stdin
 *    or a buffer.  Nesting depth is jansson's cap (2048).
 *  - Names and ids longer than 255 characters (Nova's and Glance's limit) are
 *    refused; other long strings are kept as they are, and messages never
 *    quote more than a short prefix of a value.
 *  - Keys are case-sensitive, as in Nova and Glance: "HW_PMU" is not
 *    "hw_pmu" and is kept as an unrelated property.
 *  - Value types: an image's hw_pmu is a string or a JSON boolean (stored as
 *    "true"/"false"); a flavor's hw:pmu must be a string, as Nova stores
 *    extra specs; hw_architecture and hw_machine_type must be strings.  Any
 *    other type for these keys is an error naming the owner, key and type.
 *    Other keys keep strings, booleans and numbers as text and skip null,
 *    arrays and objects, which are not properties.
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <jansson.h>
#include <limits.h>
#include <string.h>
#include <sys/types.h>

#include "cleanup.h"
#include "metadata-private.h"
#include "util.h"
#include "vpmu/metadata.h"

/* jansson's own json_decrefp() (behind json_auto_t) does the cleanup. */
#define _cleanup_json_ _cleanup_(json_decrefp)

/* Glance v2 image schema attributes: fields of the image, not custom properties. */
static const char *const glance_base_attrs[] = {
        "id",         "name",         "status",       "visibility",       "protected",
        "os_hidden",  "checksum",     "os_hash_algo", "os_hash_value",    "owner",
        "size",       "virtual_size", "min_ram",      "min_disk",         "created_at",
        "updated_at", "tags",         "disk_format",  "container_format", "direct_url",
        "locations",  "self",         "file",         "schema",           "properties",
};

/* ---- key/value lists ------------------------------------------------------------------------ */

static ssize_t
kv_find(const kv_list *l, const char *key)
{
    for (size_t i = 0; i < l->n; i++)
        if (STREQ(l->v[i].key, key))
            return (ssize_t)i;
    return -1;
}

/* Append without looking for the key: the caller knows it is new.  Takes ownership. */
static void
kv_append(kv_list *l, char *key, char *value)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
    }
    l->v[l->n].key = key;
    l->v[l->n].value = value;
    l->n++;
}

/* Replace in place (keeping the position), append, or remove when @value is NULL. */
static void
kv_set(kv_list *l, const char *key, const char *value)
{
    ssize_t i = kv_find(l, key);

    if (i >= 0) {
        if (value) {
            char *copy = xstrdup(value);
            free(l->v[i].value);
            l->v[i].value = copy;
        } else {
            free(l->v[i].key);
            free(l->v[i].value);
            memmove(&l->v[i], &l->v[i + 1], (l->n - (size_t)i - 1) * sizeof(*l->v));
            l->n--;
        }
        return;
    }
    if (value)
        kv_append(l, xstrdup(key), xstrdup(value));
}

static const char *
kv_get(const kv_list *l, const char *key)
{
    ssize_t i = kv_find(l, key);

    return i >= 0 ? l->v[i].value : NULL;
}

static void
kv_clear(kv_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].key);
        free(l->v[i].value);
    }
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

/* ---- small helpers -------------------------------------------------------------------------- */

const char *
json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "an unknown value";
}

static bool
is_valid_utf8(const char *s)
{
    /* jansson validates UTF-8 strictly (no overlongs, no surrogates). */
    json_t *t = json_string(s);
    bool ok = t != NULL;

    json_decref(t);
    return ok;
}

char *
display_name(const char *name, const char *id)
{
    if (name && *name)
        return quote_for_message(name, NAME_MAX_CHARS * 4);
    if (id && *id)
        return quote_for_message(id, NAME_MAX_CHARS * 4);
    return xstrdup("(unnamed)");
}

/*
 * A property value as text: strings as they are, booleans as "true"/"false",
 * numbers as JSON writes them; NULL for null, arrays and objects.
 */
static char *
scalar_to_text(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        return xstrndup(json_string_value(v), json_string_length(v));
    case JSON_TRUE:
        return xstrdup("true");
    case JSON_FALSE:
        return xstrdup("false");
    case JSON_INTEGER:
        return xasprintf("%lld", (long long)json_integer_value(v));
    case JSON_REAL:
        return format_double(json_real_value(v));
    default:
        return NULL;
    }
}

/* ---- JSON text ------------------------------------------------------------------------------ */

/* Line and column (1-based, in characters, as jansson counts) of byte @pos. */
static void
line_column(const char *buf, size_t pos, int *line, int *column)
{
    size_t bol = 0;
    int l = 1;

    for (size_t i = 0; i < pos; i++) {
        if (buf[i] == '\n') {
            l++;
            bol = i + 1;
        }
    }
    *line = l;
    *column = (int)utf8_chars(buf + bol, pos - bol) + 1;
}

static void
set_json_error(const json_error_t *jerr, const char *file, vpmu_error **error)
{
    static const char dup_prefix[] = "duplicate object key near '";
    size_t tlen = strnlen(jerr->text, sizeof(jerr->text));
    int line = jerr->line, column = jerr->column;

    switch (json_error_code(jerr)) {
    case json_error_null_character:
        vpmu_error_set(error, VPMU_ERR_INVALID,
                       "%s:%d:%d: a string contains \\u0000 (a NUL character), which vpmu "
                       "refuses",
                       file, line, column);
        return;
    case json_error_null_byte_in_key:
        vpmu_error_set(error, VPMU_ERR_INVALID,
                       "%s:%d:%d: a key contains \\u0000 (a NUL character), which vpmu refuses",
                       file, line, column);
        return;
    case json_error_duplicate_key:
        /* jansson: duplicate object key near '"KEY"' (the raw token, maybe truncated). */
        if (tlen > sizeof(dup_prefix) + 2 &&
            strncmp(jerr->text, dup_prefix, sizeof(dup_prefix) - 1) == 0 &&
            jerr->text[tlen - 1] == '\'' && jerr->text[sizeof(dup_prefix) - 1] == '"' &&
            jerr->text[tlen - 2] == '"') {
            const char *k = jerr->text + sizeof(dup_prefix);
            _cleanup_free_ char *key = xstrndup(k, (size_t)(jerr->text + tlen - 2 - k));
            _cleanup_free_ char *shown = quote_for_message(key, SHOW_MAX);
            vpmu_error_set(error, VPMU_ERR_INVALID,
                           "%s:%d:%d: duplicate key '%s'; vpmu refuses duplicate keys rather "
                           "than guess which one wins",
                           file, line, column, shown);
        } else {
            _cleanup_free_ char *shown = quote_for_message(jerr->text, sizeof(jerr->text));
            vpmu_error_set(error, VPMU_ERR_INVALID,
                           "%s:%d:%d: %s; vpmu refuses duplicate keys rather than guess which "
                           "one wins",
                           file, line, column, shown);
        }
        return;
    default: {
        /* jansson's own text: "invalid token near 'tru'", "end of file expected near ...". */
        _cleanup_free_ char *text = quote_for_message(jerr->text, sizeof(jerr->text));
        if (line > 0)
            vpmu_error_set(error, VPMU_ERR_INVALID, "%s:%d:%d: %s", file, line, column, text);
        else
            vpmu_error_set(error, VPMU_ERR_INVALID, "%s: %s", file, text);
        return;
    }
    }
}

/* Parse a whole document into a JSON object, or fail with FILE:LINE:COLUMN. */
static json_t *
load_object(const char *buf, size_t len, const char *file, const char *what, vpmu_error **error)
{
    const unsigned char *u = (const unsigned char *)buf;
    json_error_t jerr;
    const char *nul;
    json_t *root;

    if (len > VPMU_METADATA_MAX_BYTES) {
        vpmu_error_set(error, VPMU_ERR_INVALID,
                       "'%s' is larger than the %zu-byte limit for this input", file,
                       (size_t)VPMU_METADATA_MAX_BYTES);
        return NULL;
    }
    if (len >= 2 && ((u[0] == 0xFE && u[1] == 0xFF) || (u[0] == 0xFF && u[1] == 0xFE))) {
        vpmu_error_set(error, VPMU_ERR_INVALID,
                       "%s: starts with a UTF-16 or UTF-32 byte order mark; vpmu reads JSON as "
                       "UTF-8 (RFC 8259)",
                       file);
        return NULL;
    }
    if (len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) {
        /* A UTF-8 byte order mark: skipped (see the top of this file). */
        buf += 3;
        len -= 3;
    }
    nul = memchr(buf, '\0', len);
    if (nul) {
        int line, column;

        line_column(buf, (size_t)(nul - buf), &line, &column);
        vpmu_error_set(error, VPMU_ERR_INVALID,
                       "%s:%d:%d: NUL byte in the input; JSON must be UTF-8 text without NUL "
                       "bytes (is this UTF-16 or binary data?)",
                       file, line, column);
        return NULL;
    }
    root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        set_json_error(&jerr, file, error);
        return NULL;
    }
    if (!json_is_object(root)) {
        vpmu_error_set(error, VPMU_ERR_INVALID, "%s: expected %s as a JSON object, found %s", file,
                       what, json_type_name(root));
        json_decref(root);
        return NULL;
    }
    return root;
}

/* ---- fields -----------------------------------------------------------------------------------
 */

typedef struct {
    const char *file;
    const char *what;  /* "flavor" or "image" */
    const char *owner; /* display name */
} doc_ctx;

/* Name or id: a string (or, for ids, an integer) of at most NAME_MAX_CHARS; absent/null: NULL. */
static int
get_name_field(const json_t *doc, const char *field, bool integer_ok, const char *file,
               const char *what, char **out, vpmu_error **error)
{
    const json_t *v = json_object_get(doc, field);
    size_t chars;

    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (integer_ok && json_is_integer(v)) {
        *out = xasprintf("%lld", (long long)json_integer_value(v));
        return 0;
    }
    if (!json_is_string(v)) {
        vpmu_error_set(error, VPMU_ERR_INVALID, "%s: the %s's '%s' must be a string, not %s", file,
                       what, field, json_type_name(v));
        return -1;
    }
    chars = utf8_chars(json_string_value(v), json_string_length(v));
    if (chars > NAME_MAX_CHARS) {
        vpmu_error_set(error, VPMU_ERR_INVALID,
                       "%s: the %s's '%s' is %zu characters long; OpenStack allows at most %d",
                       file, what, field, chars, NAME_MAX_CHARS);
        return -1;
    }
    *out = xstrndup(json_string_value(v), json_string_length(v));
    return 0;
}

/* A non-negative whole number at most @max; absent/null: 0. */
static int
get_count_field(const json_t *doc, const char *field, unsigned long long max, const doc_ctx *c,
                unsigned long long *out, vpmu_error **error)
{
    const json_t *v = json_object_get(doc, field);
    unsigned long long u;

    *out = 0;
    if (!v || json_is_null(v))
        return 0;
    if (json_is_integer(v)) {
        json_int_t n = json_integer_value(v);
        if (n < 0 || (unsigned long long)n > max) {
            vpmu_error_set(error, VPMU_ERR_INVALID,
                           "%s: %s '%s': '%s' must be between 0 and %llu, not %lld", c->file,
                           c->what, c->owner, field, max, (long long)n);
            return -1;
        }
        *out = (unsigned long long)n;
        return 0;
    }
    if (json_is_string(v) && parse_ull(json_string_value(v), &u) == 0 && u <= max) {
        *out = u;
        return 0;
    }
    if (json_is_string(v)) {
        _cleanup_free_ char *shown = quote_for_message(json_string_value(v), SHOW_MAX);
        vpmu_error_set(error, VPMU_ERR_INVALID,
                       "%s: %s '%s': '%s' must be a whole number between 0 and %llu, not '%s'",
                       c->file, c->what, c->owner, field, max, shown);
        return -1;
    }
    vpmu_error_set(error, VPMU_ERR_INVALID, "%s: %s '%s': '%s' must be a whole number, not %s",
                   c->file, c->what, c->owner, field, json_type_name(v));
    return -1;
}

/*
 * Check the type of a value whose key vpmu uses.  Flavor: hw:pmu is a string.
 * Image: hw_pmu is a string or a boolean; hw_architecture and hw_machine_type
 * are strings.
 */
static int
check_used_value(const doc_ctx *c, bool is_flavor, const char *key, const json_t *v,
                 vpmu_error **error)
{
    if (is_flavor) {
        if (STREQ(key, VPMU_FLAVOR_KEY) && !json_is_string(v)) {
            vpmu_error_set(error, VPMU_ERR_INVALID,
                           "%s: flavor '%s': extra spec '%s' must be a string such as \"true\" "
                           "or \"false\", not %s",
                           c->file, c->owner, key, json_type_name(v));
            return -1;
        }
        return 0;
    }
    if (STREQ(key, VPMU_IMAGE_KEY)) {
        if (!json_is_string(v) && !json_is_boolean(v)) {
            vpmu_error_set(error, VPMU_ERR_INVALID,
                           "%s: image '%s': property '%s' must be a string or a boolean, not %s",
                           c->file, c->owner, key, json_type_name(v));
            return -1;
        }
        return 0;
    }
    if ((STREQ(key, "hw_architecture") || STREQ(key, "hw_machine_type")) && !json_is_string(v)) {
        vpmu_error_set(error, VPMU_ERR_INVALID,
                       "%s: image '%s': property '%s' must be a string, not %s", c->file, c->owner,
                       key, json_type_name(v));
        return -1;
    }
    return 0;
}

static bool
is_glance_base_attr(const char *key)
{
    for (size_t i = 0; i < ELEMENTSOF(glance_base_attrs); i++)
        if (STREQ(key, glance_base_attrs[i]))
            return true;
    return false;
}

/*
 * Add the members of @obj to @list.  @first, when set, is the section read
 * before (with @first_filter excluding its non-property keys): a key present
 * there too must carry the same text, and is not added twice.
 */
static int
add_members(kv_list *list, const json_t *obj, const char *section, const json_t *first,
            bool (*first_filter)(const char *), const char *first_section, const doc_ctx *c,
            bool is_flavor, vpmu_error **error)
{
    const char *key;
    json_t *v;

    json_object_foreach((json_t *)obj, key, v)
    {
        _cleanup_free_ char *text = NULL;
        const json_t *prev;

        if (!first && first_filter && first_filter(key))
            continue;
        if (check_used_value(c, is_flavor, key, v, error) < 0)
            return -1;
        text = scalar_to_text(v);
        if (!text)
            continue;
        prev = first ? json_object_get(first, key) : NULL;
        if (prev && first_filter && first_filter(key))
            prev = NULL;
        if (prev) {
            _cleanup_free_ char *prev_text = scalar_to_text(prev);
            if (!prev_text || !STREQ(prev_text, text)) {
                _cleanup_free_ char *shown = quote_for_message(key, SHOW_MAX);
                vpmu_error_set(error, VPMU_ERR_INVALID,
                               "%s: %s '%s': '%s' is given in both %s and '%s' with different "
                               "values; keep one",
                               c->file, c->what, c->owner, shown, first_section, section);
                return -1;
            }
            continue;
        }
        kv_append(list, xstrdup(key), TAKE_PTR(text));
    }
    return 0;
}

/* "properties": an object, the old string, or null/absent.  Returns a new reference or NULL. */
static int
get_properties(const json_t *doc, const doc_ctx *c, json_t **out, vpmu_error **error)
{
    const json_t *p = json_object_get(doc, "properties");

    *out = NULL;
    if (!p || json_is_null(p))
        return 0;
    if (json_is_object(p)) {
        *out = json_incref((json_t *)p);
        return 0;
    }
    if (json_is_string(p)) {
        *out = metadata_parse_props_string(json_string_value(p), json_string_length(p), c->file,
                                           c->what, c->owner, error);
        return *out ? 0 : -1;
    }
    vpmu_error_set(error, VPMU_ERR_INVALID,
                   "%s: %s '%s': 'properties' must be an object or a \"key='value', ...\" "
                   "string, not %s",
                   c->file, c->what, c->owner, json_type_name(p));
    return -1;
}

/* ---- document shapes --------------------------------------------------------------------------
 */

/*
 * What a JSON document that is not one flavor (or one image) looks like, for
 * the message; NULL when it may be one.  Lists and other resources are
 * recognised by their wrapper key; an object with none of the fields a
 * flavor (or image) has is refused too, since reading it would silently
 * decide "unset".
 */
static const char *
wrapper_shape(const json_t *root)
{
    if (json_is_array(json_object_get(root, "flavors")))
        return "a list of flavors ('flavors': GET /flavors; give one flavor)";
    if (json_is_array(json_object_get(root, "images")))
        return "a list of images ('images': GET /v2/images; give one image)";
    if (json_is_object(json_object_get(root, "server")))
        return "a server ('server': GET /servers/ID), not its flavor";
    if (json_is_array(json_object_get(root, "servers")))
        return "a list of servers ('servers')";
    if (json_object_size(root) == 0)
        return "an empty object";
    return NULL;
}

static bool
has_any(const json_t *doc, const char *const *keys)
{
    for (; *keys; keys++)
        if (json_object_get(doc, *keys))
            return true;
    return false;
}

static const char *const flavor_fields[] = {
        "name",
        "id",
        "extra_specs",
        "properties",
        "vcpus",
        "ram",
        "disk",
        "swap",
        "OS-FLV-EXT-DATA:ephemeral",
        "os-flavor-access:is_public",
        "rxtx_factor",
        "description",
        NULL,
};

/* An image: a Glance attribute, or a custom property (any key not a flavor's). */
static bool
image_like(const json_t *doc)
{
    const char *key;
    json_t *v;

    json_object_foreach((json_t *)doc, key, v)
    {
        (void)v;
        if (is_glance_base_attr(key) || (!STREQ(key, "vcpus") && !STREQ(key, "ram")))
            return true;
    }
    return false;
}

/* ---- flavors ----------------------------------------------------------------------------------
 */

vpmu_flavor *
vpmu_flavor_new(const char *name)
{
    vpmu_flavor *f = xcalloc(1, sizeof(*f));

    f->name = name ? xstrdup(name) : NULL;
    return f;
}

void
vpmu_flavor_free(vpmu_flavor *flavor)
{
    if (!flavor)
        return;
    free(flavor->name);
    free(flavor->id);
    kv_clear(&flavor->specs);
    free(flavor);
}

vpmu_flavor *
vpmu_flavor_parse(const char *buf, size_t len, const char *filename, vpmu_error **error)
{
    const char *file = filename ? filename : "<input>";
    _cleanup_json_ json_t *root = NULL;
    _cleanup_json_ json_t *props = NULL;
    _cleanup_(vpmu_flavor_freep) vpmu_flavor *f = NULL;
    _cleanup_free_ char *owner = NULL;
    const json_t *doc, *specs, *w;
    unsigned long long vcpus = 0;
    doc_ctx c;

    root = load_object(buf, len, file, "a flavor", error);
    if (!root)
        return NULL;
    doc = root;
    w = json_object_get(root, "flavor");
    if (json_is_object(w))
        doc = w;
    if (doc == root) {
        const char *shape = wrapper_shape(root);
        if (!shape && json_is_object(json_object_get(root, "image")))
            shape = "an image ('image')";
        if (!shape && !has_any(root, flavor_fields) && !json_object_get(root, VPMU_FLAVOR_KEY) &&
            !json_object_get(root, "disk_format") && !json_object_get(root, "container_format"))
            shape = "an object with none of a flavor's fields (name, id, extra_specs, properties, "
                    "vcpus, ram)";
        if (shape) {
            vpmu_error_set(error, VPMU_ERR_INVALID, "%s: expected a flavor, but this looks like %s",
                           file, shape);
            return NULL;
        }
    }

    if (json_object_get(doc, "disk_format") || json_object_get(doc, "container_format")) {
        vpmu_error_set(error, VPMU_ERR_INVALID,
                       "%s: expected a flavor, but this looks like an image (it has '%s')", file,
                       json_object_get(doc, "disk_format") ? "disk_format" : "container_format");
        return NULL;
    }

    f = vpmu_flavor_new(NULL);
    if (get_name_field(doc, "name", false, file, "flavor", &f->name, error) < 0 ||
        get_name_field(doc, "id", true, file, "flavor", &f->id, error) < 0)
        return NULL;
    owner = display_name(f->name, f->id);
    c = (doc_ctx){.file = file, .what = "flavor", .owner = owner};

    if (json_object_get(doc, VPMU_FLAVOR_KEY)) {
        /* A bare map of specs is not a shape we read; ignoring it would drop hw:pmu silently. */
        vpmu_error_set(error, VPMU_ERR_INVALID,
                       "%s: flavor '%s': '%s' is at the top level; extra specs belong under "
                       "'extra_specs' (Nova API) or 'properties' (openstack flavor show)",
                       file, owner, VPMU_FLAVOR_KEY);
        return NULL;
    }

    if (get_count_field(doc, "ram", ULLONG_MAX / (1024ULL * 1024ULL), &c, &f->ram_mib, error) < 0 ||
        get_count_field(doc, "vcpus", UINT_MAX, &c, &vcpus, error) < 0)
        return NULL;
    f->vcpus = (unsigned int)vcpus;

    specs = json_object_get(doc, "extra_specs");
    if (specs && !json_is_null(specs) && !json_is_object(specs)) {
        vpmu_error_set(error, VPMU_ERR_INVALID,
                       "%s: flavor '%s': 'extra_specs' must be an object, not %s", file, owner,
                       json_type_name(specs));
        return NULL;
    }
    if (json_is_object(specs) &&
        add_members(&f->specs, specs, "'extra_specs'", NULL, NULL, NULL, &c, true, error) < 0)
        return NULL;
    if (get_properties(doc, &c, &props, error) < 0)
        return NULL;
    if (props && add_members(&f->specs, props, "properties", json_is_object(specs) ? specs : NULL,
                             NULL, "'extra_specs'", &c, true, error) < 0)
        return NULL;
    return TAKE_PTR(f);
}

vpmu_flavor *
vpmu_flavor_load(const char *path, vpmu_error **error)
{
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;

    if (vpmu_read_file(path, VPMU_METADATA_MAX_BYTES, &buf, &len, error) < 0)
        return NULL;
    return vpmu_flavor_parse(buf, len, STREQ(path, "-") ? "<stdin>" : path, error);
}

const char *
vpmu_flavor_get_name(const vpmu_flavor *flavor)
{
    return flavor ? flavor->name : NULL;
}

const char *
vpmu_flavor_get_id(const vpmu_flavor *flavor)
{
    return flavor ? flavor->id : NULL;
}

void
vpmu_flavor_set_name(vpmu_flavor *flavor, const char *name)
{
    char *copy = name ? xstrdup(name) : NULL;

    free(flavor->name);
    flavor->name = copy;
}

unsigned long long
vpmu_flavor_get_ram_mib(const vpmu_flavor *flavor)
{
    return flavor ? flavor->ram_mib : 0;
}

unsigned int
vpmu_flavor_get_vcpus(const vpmu_flavor *flavor)
{
    return flavor ? flavor->vcpus : 0;
}

const char *
vpmu_flavor_get_spec(const vpmu_flavor *flavor, const char *key)
{
    return flavor ? kv_get(&flavor->specs, key) : NULL;
}

void
vpmu_flavor_set_spec(vpmu_flavor *flavor, const char *key, const char *value)
{
    kv_set(&flavor->specs, key, value);
}

size_t
vpmu_flavor_spec_count(const vpmu_flavor *flavor)
{
    return flavor ? flavor->specs.n : 0;
}

bool
vpmu_flavor_spec_at(const vpmu_flavor *flavor, size_t i, const char **key, const char **value)
{
    if (!flavor || i >= flavor->specs.n)
        return false;
    if (key)
        *key = flavor->specs.v[i].key;
    if (value)
        *value = flavor->specs.v[i].value;
    return true;
}

/* ---- images -----------------------------------------------------------------------------------
 */

vpmu_image *
vpmu_image_new(const char *name)
{
    vpmu_image *img = xcalloc(1, sizeof(*img));

    img->name = name ? xstrdup(name) : NULL;
    return img;
}

void
vpmu_image_free(vpmu_image *image)
{
    if (!image)
        return;
    free(image->name);
    free(image->id);
    kv_clear(&image->props);
    free(image);
}

vpmu_image *
vpmu_image_parse(const char *buf, size_t len, const char *filename, vpmu_error **error)
{
    const char *file = filename ? filename : "<input>";
    _cleanup_json_ json_t *root = NULL;
    _cleanup_json_ json_t *props = NULL;
    _cleanup_(vpmu_image_freep) vpmu_image *img = NULL;
    _cleanup_free_ char *owner = NULL;
    const char *flavor_field = NULL;
    const json_t *doc, *w;
    doc_ctx c;

    root = load_object(buf, len, file, "an image", error);
    if (!root)
        return NULL;
    doc = root;
    w = json_object_get(root, "image");
    if (json_is_object(w))
        doc = w;
    if (doc == root) {
        const char *shape = wrapper_shape(root);
        if (!shape && !json_is_object(json_object_get(root, "flavor")) && !image_like(root))
            shape = "an object with none of an image's fields (name, id, properties, a hw_* "
                    "property)";
        if (shape) {
            vpmu_error_set(error, VPMU_ERR_INVALID, "%s: expected an image, but this looks like %s",
                           file, shape);
            return NULL;
        }
    }

    /* Glance custom properties are strings: an integer "vcpus" means a flavor. */
    if (json_object_get(doc, "extra_specs"))
        flavor_field = "extra_specs";
    else if (json_is_integer(json_object_get(doc, "vcpus")))
        flavor_field = "vcpus";
    else if (json_is_object(json_object_get(root, "flavor")))
        flavor_field = "flavor";
    if (flavor_field) {
        vpmu_error_set(error, VPMU_ERR_INVALID,
                       "%s: expected an image, but this looks like a flavor (it has '%s')", file,
                       flavor_field);
        return NULL;
    }

    img = vpmu_image_new(NULL);
    if (get_name_field(doc, "name", false, file, "image", &img->name, error) < 0 ||
        get_name_field(doc, "id", false, file, "image", &img->id, error) < 0)
        return NULL;
    owner = display_name(img->name, img->id);
    c = (doc_ctx){.file = file, .what = "image", .owner = owner};

    /* Glance v2: custom properties at the top level, next to the schema's attributes. */
    if (add_members(&img->props, doc, "the top level", NULL, is_glance_base_attr, NULL, &c, false,
                    error) < 0)
        return NULL;
    /* openstack image show: a "properties" object. */
    if (get_properties(doc, &c, &props, error) < 0)
        return NULL;
    if (props && add_members(&img->props, props, "properties", doc, is_glance_base_attr,
                             "the top level", &c, false, error) < 0)
        return NULL;
    return TAKE_PTR(img);
}

vpmu_image *
vpmu_image_load(const char *path, vpmu_error **error)
{
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;

    if (vpmu_read_file(path, VPMU_METADATA_MAX_BYTES, &buf, &len, error) < 0)
        return NULL;
    return vpmu_image_parse(buf, len, STREQ(path, "-") ? "<stdin>" : path, error);
}

const char *
vpmu_image_get_name(const vpmu_image *image)
{
    return image ? image->name : NULL;
}

const char *
vpmu_image_get_id(const vpmu_image *image)
{
    return image ? image->id : NULL;
}

void
vpmu_image_set_name(vpmu_image *image, const char *name)
{
    char *copy = name ? xstrdup(name) : NULL;

    free(image->name);
    image->name = copy;
}

const char *
vpmu_image_get_prop(const vpmu_image *image, const char *key)
{
    return image ? kv_get(&image->props, key) : NULL;
}

void
vpmu_image_set_prop(vpmu_image *image, const char *key, const char *value)
{
    kv_set(&image->props, key, value);
}

size_t
vpmu_image_prop_count(const vpmu_image *image)
{
    return image ? image->props.n : 0;
}

bool
vpmu_image_prop_at(const vpmu_image *image, size_t i, const char **key, const char **value)
{
    if (!image || i >= image->props.n)
        return false;
    if (key)
        *key = image->props.v[i].key;
    if (value)
        *value = image->props.v[i].value;
    return true;
}

/* ---- KEY=VALUE --------------------------------------------------------------------------------
 */

static int
set_kv(kv_list *list, const char *arg, const char *what, vpmu_error **error)
{
    const char *eq = strchr(arg, '=');
    _cleanup_free_ char *shown = quote_for_message(arg, SHOW_MAX * 2);
    _cleanup_free_ char *key = NULL;
    size_t klen;

    if (!eq) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "%s '%s' is not of the form KEY=VALUE", what, shown);
        return -1;
    }
    klen = (size_t)(eq - arg);
    if (klen == 0) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "%s '%s' has an empty key; use KEY=VALUE", what,
                       shown);
        return -1;
    }
    if (is_space(arg[0]) || is_space(eq[-1])) {
        /* "hw:pmu =false" would set an unrelated key "hw:pmu " and leave hw:pmu unset. */
        vpmu_error_set(error, VPMU_ERR_USAGE,
                       "%s '%s' has blanks around its key; keys are matched exactly", what, shown);
        return -1;
    }
    if (!is_valid_utf8(arg)) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "%s '%s' is not valid UTF-8", what, shown);
        return -1;
    }
    key = xstrndup(arg, klen);
    kv_set(list, key, eq + 1);
    return 0;
}

int
vpmu_flavor_set_spec_kv(vpmu_flavor *flavor, const char *kv, vpmu_error **error)
{
    return set_kv(&flavor->specs, kv, "flavor spec", error);
}

int
vpmu_image_set_prop_kv(vpmu_image *image, const char *kv, vpmu_error **error)
{
    return set_kv(&image->props, kv, "image property", error);
}

/* ---- decide -----------------------------------------------------------------------------------
 */

int
vpmu_decide_for(const vpmu_flavor *flavor, const vpmu_image *image, vpmu_decision *out,
                vpmu_error **error)
{
    /* Names are shown quoted: an image name is tenant data and may hold control characters. */
    _cleanup_free_ char *fname = flavor ? display_name(flavor->name, flavor->id) : NULL;
    _cleanup_free_ char *iname = image ? display_name(image->name, image->id) : NULL;
    vpmu_policy_input in = {
            .flavor_name = fname,
            .flavor_value = vpmu_flavor_get_spec(flavor, VPMU_FLAVOR_KEY),
            .image_name = iname,
            .image_value = vpmu_image_get_prop(image, VPMU_IMAGE_KEY),
    };

    return vpmu_decide(&in, out, error);
}

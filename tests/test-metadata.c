/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Flavors and images from JSON (src/lib/metadata.c).
 *
 * Data-driven: every directory under tests/data/metadata/ is one case with
 * flavor.json and/or image.json, and either
 *   expected.txt        the parsed flavor, image and decision (golden file), or
 *   expected-error.txt  "code: N" and "message: TEXT" lines (each TEXT must
 *                       appear in the error message).
 * VPMU_REGEN=1 rewrites expected.txt from the current output; review the diff.
 *
 * Hostile inputs that are too big, or binary, to keep as files are built here:
 * 2 MiB strings, a file over the cap, a 100 MB (sparse) file, raw NUL bytes,
 * wide objects.  Every file in examples/ is loaded too.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "cleanup.h"
#include "util.h"
#include "vpmu/metadata.h"
#include "vpmu/policy.h"

#define CASES_DIR VPMU_TESTDATA "/metadata"
#define EXAMPLES_DIR VPMU_TESTDATA "/../../examples"

#define assert_contains(haystack, needle)                                                          \
    do {                                                                                           \
        const char *h_ = (haystack), *n_ = (needle);                                               \
        if (!h_ || !strstr(h_, n_))                                                                \
            fail_msg("expected '%s' in '%s'", n_, h_ ? h_ : "(null)");                             \
    } while (0)

#define _cleanup_flavor_ _cleanup_(vpmu_flavor_freep)
#define _cleanup_image_ _cleanup_(vpmu_image_freep)

static bool
file_exists(const char *path)
{
    return access(path, F_OK) == 0;
}

static char *
read_text(const char *path)
{
    char *buf = NULL;

    if (vpmu_read_file(path, 64u * 1024u * 1024u, &buf, NULL, NULL) < 0)
        return NULL;
    return buf;
}

static void
write_text(const char *path, const void *buf, size_t len)
{
    _cleanup_error_ vpmu_error *err = NULL;

    if (vpmu_write_file_atomic(path, buf, len, &err) < 0)
        fail_msg("%s", vpmu_error_get_message(err));
}

/* A temporary file holding @len bytes of @buf; returns its path (free() it, unlink() it). */
static char *
temp_file(const void *buf, size_t len)
{
    char *path = xstrdup("/tmp/vpmu-test-metadata-XXXXXX");
    _cleanup_close_ int fd = mkostemp(path, O_CLOEXEC);
    const char *p = buf;

    assert_true(fd >= 0);
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        assert_true(w > 0);
        p += w;
        len -= (size_t)w;
    }
    return path;
}

/* ---- the golden dump ------------------------------------------------------------------------ */

static void
put_value(FILE *m, const char *label, const char *s)
{
    _cleanup_free_ char *q = s ? quote_for_message(s, 4096) : NULL;

    fprintf(m, "%s: %s\n", label, q ? q : "<absent>");
}

static char *
dump(const vpmu_flavor *f, const vpmu_image *img, const vpmu_decision *d)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    const char *k, *v;

    assert_non_null(m);
    if (f) {
        put_value(m, "flavor.name", vpmu_flavor_get_name(f));
        put_value(m, "flavor.id", vpmu_flavor_get_id(f));
        fprintf(m, "flavor.ram_mib: %llu\n", vpmu_flavor_get_ram_mib(f));
        fprintf(m, "flavor.vcpus: %u\n", vpmu_flavor_get_vcpus(f));
        fprintf(m, "flavor.specs: %zu\n", vpmu_flavor_spec_count(f));
        for (size_t i = 0; vpmu_flavor_spec_at(f, i, &k, &v); i++) {
            _cleanup_free_ char *qk = quote_for_message(k, 200);
            _cleanup_free_ char *label = xasprintf("flavor.spec[%s]", qk);
            put_value(m, label, v);
        }
    } else {
        fprintf(m, "flavor: none\n");
    }
    if (img) {
        put_value(m, "image.name", vpmu_image_get_name(img));
        put_value(m, "image.id", vpmu_image_get_id(img));
        fprintf(m, "image.props: %zu\n", vpmu_image_prop_count(img));
        for (size_t i = 0; vpmu_image_prop_at(img, i, &k, &v); i++) {
            _cleanup_free_ char *qk = quote_for_message(k, 200);
            _cleanup_free_ char *label = xasprintf("image.prop[%s]", qk);
            put_value(m, label, v);
        }
    } else {
        fprintf(m, "image: none\n");
    }
    fprintf(m, "decision.pmu: %s\n", vpmu_pmu_to_string(d->pmu));
    fprintf(m, "decision.source: %s\n", vpmu_source_to_string(d->source));
    fprintf(m, "decision.flavor: %s\n", vpmu_pmu_to_string(d->flavor));
    fprintf(m, "decision.image: %s\n", vpmu_pmu_to_string(d->image));
    fclose(m);
    return buf;
}

/* ---- data-driven cases ---------------------------------------------------------------------- */

static void
check_expected_error(const char *name, const char *spec_path, const vpmu_error *err)
{
    _cleanup_free_ char *spec = read_text(spec_path);
    char *save = NULL;
    int messages = 0;
    bool have_code = false;

    assert_non_null(spec);
    if (!err)
        fail_msg("%s: expected an error, got success", name);
    for (char *line = strtok_r(spec, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "code: ", 6) == 0) {
            if ((int)vpmu_error_get_code(err) != atoi(line + 6))
                fail_msg("%s: expected code %s, got %d (%s)", name, line + 6,
                         (int)vpmu_error_get_code(err), vpmu_error_get_message(err));
            have_code = true;
        } else if (strncmp(line, "message: ", 9) == 0) {
            if (!strstr(vpmu_error_get_message(err), line + 9))
                fail_msg("%s: expected\n  '%s'\nin\n  '%s'", name, line + 9,
                         vpmu_error_get_message(err));
            messages++;
        } else if (*line) {
            fail_msg("%s: bad line in expected-error.txt: '%s'", name, line);
        }
    }
    /* A case that checks nothing cannot fail. */
    assert_true(have_code);
    assert_true(messages > 0);
    /* Messages are one line, without a trailing newline. */
    assert_null(strchr(vpmu_error_get_message(err), '\n'));
}

static void
run_case(void **state)
{
    const char *name = *state;
    _cleanup_free_ char *dir = xasprintf("%s/%s", CASES_DIR, name);
    _cleanup_free_ char *fpath = xasprintf("%s/flavor.json", dir);
    _cleanup_free_ char *ipath = xasprintf("%s/image.json", dir);
    _cleanup_free_ char *epath = xasprintf("%s/expected.txt", dir);
    _cleanup_free_ char *eepath = xasprintf("%s/expected-error.txt", dir);
    _cleanup_flavor_ vpmu_flavor *f = NULL;
    _cleanup_image_ vpmu_image *img = NULL;
    _cleanup_error_ vpmu_error *err = NULL;
    _cleanup_free_ char *got = NULL;
    _cleanup_free_ char *want = NULL;
    vpmu_decision d;
    bool ok = true;

    assert_true(file_exists(fpath) || file_exists(ipath));
    if (file_exists(fpath)) {
        f = vpmu_flavor_load(fpath, &err);
        ok = f != NULL;
        assert_true(ok == (err == NULL));
    }
    if (ok && file_exists(ipath)) {
        img = vpmu_image_load(ipath, &err);
        ok = img != NULL;
        assert_true(ok == (err == NULL));
    }
    if (ok) {
        ok = vpmu_decide_for(f, img, &d, &err) == 0;
        assert_true(ok == (err == NULL));
    }

    if (file_exists(eepath)) {
        check_expected_error(name, eepath, err);
        return;
    }
    if (!ok)
        fail_msg("%s: unexpected error: %s", name, vpmu_error_get_message(err));
    got = dump(f, img, &d);
    if (getenv("VPMU_REGEN")) {
        write_text(epath, got, strlen(got));
        return;
    }
    want = read_text(epath);
    if (!want)
        fail_msg("%s: no expected.txt or expected-error.txt (VPMU_REGEN=1 writes one)", name);
    if (!STREQ(got, want))
        fail_msg("%s: output differs from expected.txt\n--- expected\n%s--- got\n%s", name, want,
                 got);
}

static int
cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- hostile inputs built here -------------------------------------------------------------- */

static vpmu_error *
image_error(const char *buf, size_t len)
{
    vpmu_error *err = NULL;
    vpmu_image *img = vpmu_image_parse(buf, len, "img.json", &err);

    assert_true((img == NULL) == (err != NULL));
    vpmu_image_free(img);
    return err;
}

static vpmu_error *
flavor_error(const char *buf, size_t len)
{
    vpmu_error *err = NULL;
    vpmu_flavor *f = vpmu_flavor_parse(buf, len, "flavor.json", &err);

    assert_true((f == NULL) == (err != NULL));
    vpmu_flavor_free(f);
    return err;
}

static char *
repeat(char c, size_t n)
{
    char *s = xmalloc(n + 1);

    memset(s, c, n);
    s[n] = '\0';
    return s;
}

static void
test_huge_strings(void **state)
{
    size_t n = 2u * 1024u * 1024u;
    _cleanup_free_ char *big = repeat('x', n);
    _cleanup_free_ char *bigtrue = repeat('t', n);
    _cleanup_free_ char *doc = NULL;
    _cleanup_flavor_ vpmu_flavor *f = NULL;
    _cleanup_image_ vpmu_image *img = NULL;
    _cleanup_error_ vpmu_error *err = NULL;
    vpmu_decision d;

    (void)state;
    /* A 2 MiB value of an unrelated spec is kept whole. */
    doc = xasprintf("{\"name\": \"f\", \"extra_specs\": {\"note\": \"%s\", \"hw:pmu\": \"off\"}}",
                    big);
    f = vpmu_flavor_parse(doc, strlen(doc), "f.json", &err);
    assert_non_null(f);
    assert_int_equal(strlen(vpmu_flavor_get_spec(f, "note")), n);
    assert_string_equal(vpmu_flavor_get_spec(f, "hw:pmu"), "off");
    free(doc);

    /* A 2 MiB hw_pmu is refused, and the message quotes only its start. */
    doc = xasprintf("{\"name\": \"img\", \"hw_pmu\": \"%s\"}", bigtrue);
    img = vpmu_image_parse(doc, strlen(doc), "i.json", &err);
    assert_non_null(img);
    assert_int_equal(vpmu_decide_for(NULL, img, &d, &err), -1);
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_INVALID);
    assert_true(strlen(vpmu_error_get_message(err)) < 512);
    assert_contains(vpmu_error_get_message(err), "image 'img'");
    assert_contains(vpmu_error_get_message(err), "tttt...'");
    vpmu_error_free(TAKE_PTR(err));
    free(doc);

    /* A 2 MiB name is refused. */
    doc = xasprintf("{\"name\": \"%s\"}", big);
    err = image_error(doc, strlen(doc));
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_INVALID);
    assert_contains(vpmu_error_get_message(err),
                    "img.json: the image's 'name' is 2097152 characters long");
    assert_true(strlen(vpmu_error_get_message(err)) < 512);
    vpmu_error_free(TAKE_PTR(err));
    free(doc);

    /* A 2 MiB key. */
    doc = xasprintf("{\"%s\": \"v\", \"hw_pmu\": \"1\"}", big);
    vpmu_image_free(img);
    img = vpmu_image_parse(doc, strlen(doc), "i.json", &err);
    assert_non_null(img);
    assert_string_equal(vpmu_image_get_prop(img, big), "v");
    assert_string_equal(vpmu_image_get_prop(img, "hw_pmu"), "1");
}

/* A document of exactly @size bytes: {"name": "x", "pad": "....."} */
static char *
sized_doc(size_t size)
{
    static const char head[] = "{\"name\": \"x\", \"hw_pmu\": \"yes\", \"pad\": \"";
    static const char tail[] = "\"}";
    char *buf = xmalloc(size + 1);
    size_t pad = size - (sizeof(head) - 1) - (sizeof(tail) - 1);

    memcpy(buf, head, sizeof(head) - 1);
    memset(buf + sizeof(head) - 1, 'p', pad);
    memcpy(buf + size - (sizeof(tail) - 1), tail, sizeof(tail) - 1);
    buf[size] = '\0';
    return buf;
}

static void
test_size_cap(void **state)
{
    _cleanup_free_ char *at_cap = sized_doc(VPMU_METADATA_MAX_BYTES);
    _cleanup_free_ char *over_cap = sized_doc(VPMU_METADATA_MAX_BYTES + 1);
    _cleanup_free_ char *p1 = NULL;
    _cleanup_free_ char *p2 = NULL;
    _cleanup_image_ vpmu_image *img = NULL;
    _cleanup_error_ vpmu_error *err = NULL;

    (void)state;
    /* Exactly at the cap: read and parsed. */
    p1 = temp_file(at_cap, VPMU_METADATA_MAX_BYTES);
    img = vpmu_image_load(p1, &err);
    unlink(p1);
    if (!img)
        fail_msg("%s", vpmu_error_get_message(err));
    assert_string_equal(vpmu_image_get_prop(img, "hw_pmu"), "yes");

    /* One byte over (generated here, never committed): refused, as a file and as a buffer. */
    p2 = temp_file(over_cap, VPMU_METADATA_MAX_BYTES + 1);
    assert_null(vpmu_flavor_load(p2, &err));
    unlink(p2);
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_INVALID);
    assert_contains(vpmu_error_get_message(err), p2);
    assert_contains(vpmu_error_get_message(err), "larger than the 4194304-byte limit");
    vpmu_error_free(TAKE_PTR(err));

    err = image_error(over_cap, VPMU_METADATA_MAX_BYTES + 1);
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_INVALID);
    assert_contains(vpmu_error_get_message(err),
                    "'img.json' is larger than the 4194304-byte limit");
}

static void
test_100mb_file(void **state)
{
    /* A sparse 100 MB file: refused after reading just past the cap. */
    char path[] = "/tmp/vpmu-test-metadata-big-XXXXXX";
    _cleanup_close_ int fd = mkostemp(path, O_CLOEXEC);
    _cleanup_error_ vpmu_error *err = NULL;

    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, 100 * 1000 * 1000), 0);
    assert_null(vpmu_image_load(path, &err));
    unlink(path);
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_INVALID);
    assert_contains(vpmu_error_get_message(err), "larger than the 4194304-byte limit");
}

static void
test_nul_bytes(void **state)
{
    static const char in_string[] = "{\"name\": \"a\0b\", \"hw_pmu\": \"true\"}";
    static const char after_doc[] = "{\"hw_pmu\": \"true\"}\n\0";
    static const char in_key[] = "{\n  \"hw_pmu\0\": \"true\"}";
    static const char utf16_no_bom[] = "{\0\"\0h\0\"\0:\0 \0\"\0x\0\"\0}\0";
    _cleanup_error_ vpmu_error *err = NULL;

    (void)state;
    err = image_error(in_string, sizeof(in_string) - 1);
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_INVALID);
    assert_contains(vpmu_error_get_message(err), "img.json:1:12: NUL byte in the input");
    vpmu_error_free(TAKE_PTR(err));

    err = image_error(after_doc, sizeof(after_doc) - 1);
    assert_contains(vpmu_error_get_message(err), "img.json:2:1: NUL byte in the input");
    vpmu_error_free(TAKE_PTR(err));

    err = flavor_error(in_key, sizeof(in_key) - 1);
    assert_contains(vpmu_error_get_message(err), "flavor.json:2:10: NUL byte in the input");
    vpmu_error_free(TAKE_PTR(err));

    err = image_error(utf16_no_bom, sizeof(utf16_no_bom) - 1);
    assert_contains(vpmu_error_get_message(err), "img.json:1:2: NUL byte in the input");
    assert_contains(vpmu_error_get_message(err), "UTF-16");
}

static void
test_utf16_bom(void **state)
{
    static const char be[] = "\xfe\xff\0{\0}";
    static const char le32[] = "\xff\xfe\0\0{\0\0\0}\0\0\0";
    _cleanup_error_ vpmu_error *err = NULL;

    (void)state;
    err = image_error(be, sizeof(be) - 1);
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_INVALID);
    assert_contains(vpmu_error_get_message(err), "img.json: starts with a UTF-16 or UTF-32 byte");
    vpmu_error_free(TAKE_PTR(err));
    err = flavor_error(le32, sizeof(le32) - 1);
    assert_contains(vpmu_error_get_message(err), "byte order mark");
}

static void
test_wide_object(void **state)
{
    /* 100,000 properties: loaded in document order, in linear time. */
    const size_t n = 100000;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    _cleanup_image_ vpmu_image *img = NULL;
    _cleanup_error_ vpmu_error *err = NULL;
    const char *k, *v;

    (void)state;
    fputs("{\"name\": \"wide\"", m);
    for (size_t i = 0; i < n; i++)
        fprintf(m, ",\"p%zu\":\"%zu\"", i, i);
    fputs(",\"hw_pmu\":\"off\"}", m);
    fclose(m);
    img = vpmu_image_parse(buf, len, "wide.json", &err);
    free(buf);
    assert_non_null(img);
    assert_int_equal(vpmu_image_prop_count(img), n + 1);
    assert_true(vpmu_image_prop_at(img, 12345, &k, &v));
    assert_string_equal(k, "p12345");
    assert_string_equal(v, "12345");
    assert_string_equal(vpmu_image_get_prop(img, "hw_pmu"), "off");
}

static void
test_stdin(void **state)
{
    static const char doc[] = "{\"name\": \"from-stdin\", \"extra_specs\": {\"hw:pmu\": \"no\"}}";
    static const char bad[] = "{\"name\": }";
    _cleanup_free_ char *p1 = temp_file(doc, sizeof(doc) - 1);
    _cleanup_free_ char *p2 = temp_file(bad, sizeof(bad) - 1);
    _cleanup_flavor_ vpmu_flavor *f = NULL;
    _cleanup_error_ vpmu_error *err = NULL;
    int saved = dup(STDIN_FILENO);
    int fd;

    (void)state;
    assert_true(saved >= 0);
    fd = open(p1, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(dup2(fd, STDIN_FILENO), STDIN_FILENO);
    close(fd);
    f = vpmu_flavor_load("-", &err);
    assert_non_null(f);
    assert_string_equal(vpmu_flavor_get_name(f), "from-stdin");
    assert_string_equal(vpmu_flavor_get_spec(f, "hw:pmu"), "no");

    fd = open(p2, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(dup2(fd, STDIN_FILENO), STDIN_FILENO);
    close(fd);
    assert_null(vpmu_image_load("-", &err));
    assert_contains(vpmu_error_get_message(err), "<stdin>:1:10: unexpected token near '}'");

    assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
    close(saved);
    unlink(p1);
    unlink(p2);
}

static void
test_missing_file(void **state)
{
    _cleanup_error_ vpmu_error *err = NULL;

    (void)state;
    assert_null(vpmu_flavor_load("/nonexistent/vpmu/flavor.json", &err));
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_RUNTIME);
    assert_contains(vpmu_error_get_message(err), "'/nonexistent/vpmu/flavor.json'");
}

/* ---- the old "key='value', ..." string, table-driven ---------------------------------------- */

typedef struct {
    const char *input;
    const char *pairs[8][2]; /* expected, in order; ends at a NULL key */
    const char *error;       /* or the expected error text */
} props_case;

static const props_case props_cases[] = {
        {"", {{NULL}}, NULL},
        {"   ", {{NULL}}, NULL},
        {"a='1'", {{"a", "1"}}, NULL},
        {"a='1', b='2'", {{"a", "1"}, {"b", "2"}}, NULL},
        {"a='1',b='2'", {{"a", "1"}, {"b", "2"}}, NULL},
        {"  a = '1' ,  b='2'  ", {{"a", "1"}, {"b", "2"}}, NULL},
        {"hw:pmu='false'", {{"hw:pmu", "false"}}, NULL},
        /* commas and '=' inside quotes */
        {"site='edge, rack 4', x='a=b'", {{"site", "edge, rack 4"}, {"x", "a=b"}}, NULL},
        {"x=', '", {{"x", ", "}}, NULL},
        /* a quote inside a value that is not followed by a separator is literal */
        {"note='it's fine', b='c'", {{"note", "it's fine"}, {"b", "c"}}, NULL},
        {"q='x'y', z='1'", {{"q", "x'y"}, {"z", "1"}}, NULL},
        {"v='''", {{"v", "'"}}, NULL},
        {"v=''", {{"v", ""}}, NULL},
        /* escaped quotes and backslashes */
        {"v='say \\'hi\\', ok'", {{"v", "say 'hi', ok"}}, NULL},
        {"v='a\\\\b'", {{"v", "a\\b"}}, NULL},
        {"v='a\\nb'", {{"v", "a\\nb"}}, NULL},
        /* double quotes */
        {"v=\"it's\", w='\"'", {{"v", "it's"}, {"w", "\""}}, NULL},
        {"v=\"a \\\" b\"", {{"v", "a \" b"}}, NULL},
        /* keys with spaces, dots, dashes */
        {"owner_specified.openstack.md5='', my key='v'",
         {{"owner_specified.openstack.md5", ""}, {"my key", "v"}},
         NULL},
        /* a separator-looking sequence that is not followed by key= stays in the value */
        {"a='x', y', b='2'", {{"a", "x', y"}, {"b", "2"}}, NULL},
        {"a='1', ", {{NULL}}, "at character 3: the value of 'a' has no closing quote"},
        {"a=1", {{NULL}}, "at character 3: the value of 'a' must be in quotes"},
        {"a", {{NULL}}, "at character 2: expected '=' after 'a'"},
        {"=", {{NULL}}, "at character 1: expected a key"},
        {", a='1'", {{NULL}}, "at character 1: expected a key"},
        {"a='1", {{NULL}}, "at character 3: the value of 'a' has no closing quote"},
        /* without a comma the middle quotes are not separators: one value */
        {"a='1' b='2'", {{"a", "1' b='2"}}, NULL},
        {"a='1', a='2'", {{NULL}}, "at character 8: duplicate key 'a'"},
        {"a\x01='1'", {{NULL}}, "at character 2: expected '=' after 'a'"},
        {"é='1', b=x", {{NULL}}, "at character 10: the value of 'b' must be in quotes"},
};

static void
test_props_string(void **state)
{
    (void)state;
    for (size_t i = 0; i < ELEMENTSOF(props_cases); i++) {
        const props_case *c = &props_cases[i];
        json_t *doc = json_pack("{s:s, s:s}", "name", "f", "properties", c->input);
        _cleanup_free_ char *text = json_dumps(doc, 0);
        _cleanup_flavor_ vpmu_flavor *f = NULL;
        _cleanup_error_ vpmu_error *err = NULL;
        size_t n = 0;

        json_decref(doc);
        assert_non_null(text);
        f = vpmu_flavor_parse(text, strlen(text), "p.json", &err);
        if (c->error) {
            if (f)
                fail_msg("'%s': expected an error", c->input);
            assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_INVALID);
            assert_contains(vpmu_error_get_message(err),
                            "p.json: flavor 'f': cannot read the 'properties' string");
            assert_contains(vpmu_error_get_message(err), c->error);
            continue;
        }
        if (!f)
            fail_msg("'%s': %s", c->input, vpmu_error_get_message(err));
        while (n < ELEMENTSOF(c->pairs) && c->pairs[n][0])
            n++;
        if (vpmu_flavor_spec_count(f) != n)
            fail_msg("'%s': %zu specs, expected %zu", c->input, vpmu_flavor_spec_count(f), n);
        for (size_t j = 0; j < n; j++) {
            const char *k, *v;
            assert_true(vpmu_flavor_spec_at(f, j, &k, &v));
            if (!STREQ(k, c->pairs[j][0]) || !STREQ(v, c->pairs[j][1]))
                fail_msg("'%s': pair %zu is '%s'='%s', expected '%s'='%s'", c->input, j, k, v,
                         c->pairs[j][0], c->pairs[j][1]);
        }
    }
}

/* ---- KEY=VALUE and the setters -------------------------------------------------------------- */

static void
test_set_kv(void **state)
{
    _cleanup_flavor_ vpmu_flavor *f = vpmu_flavor_new("inline");
    _cleanup_image_ vpmu_image *img = vpmu_image_new(NULL);
    _cleanup_error_ vpmu_error *err = NULL;
    const char *k, *v;
    static const struct {
        const char *arg;
        const char *message;
    } bad[] = {
            {"=false", "flavor spec '=false' has an empty key"},
            {"=", "has an empty key"},
            {"hw:pmu", "flavor spec 'hw:pmu' is not of the form KEY=VALUE"},
            {"", "flavor spec '' is not of the form KEY=VALUE"},
            {" hw:pmu=false", "has blanks around its key"},
            {"hw:pmu =false", "has blanks around its key"},
            {"hw:pmu=\xff", "is not valid UTF-8"},
            {"\xc0\xaf=1", "is not valid UTF-8"},
    };

    (void)state;
    assert_string_equal(vpmu_flavor_get_name(f), "inline");
    assert_null(vpmu_image_get_name(img));

    assert_int_equal(vpmu_flavor_set_spec_kv(f, "hw:pmu=false", &err), 0);
    assert_int_equal(vpmu_flavor_set_spec_kv(f, "note=a=b=c", &err), 0);
    assert_int_equal(vpmu_flavor_set_spec_kv(f, "empty=", &err), 0);
    assert_int_equal(vpmu_flavor_set_spec_kv(f, "blank= true ", &err), 0);
    assert_null(err);
    assert_string_equal(vpmu_flavor_get_spec(f, "hw:pmu"), "false");
    assert_string_equal(vpmu_flavor_get_spec(f, "note"), "a=b=c");
    assert_string_equal(vpmu_flavor_get_spec(f, "empty"), "");
    assert_string_equal(vpmu_flavor_get_spec(f, "blank"), " true ");
    assert_null(vpmu_flavor_get_spec(f, "HW:PMU"));

    /* Replacing keeps the position; NULL removes. */
    assert_int_equal(vpmu_flavor_set_spec_kv(f, "hw:pmu=yes", &err), 0);
    assert_int_equal(vpmu_flavor_spec_count(f), 4);
    assert_true(vpmu_flavor_spec_at(f, 0, &k, &v));
    assert_string_equal(k, "hw:pmu");
    assert_string_equal(v, "yes");
    vpmu_flavor_set_spec(f, "note", NULL);
    assert_int_equal(vpmu_flavor_spec_count(f), 3);
    assert_true(vpmu_flavor_spec_at(f, 1, &k, &v));
    assert_string_equal(k, "empty");
    assert_false(vpmu_flavor_spec_at(f, 3, &k, &v));
    vpmu_flavor_set_spec(f, "absent", NULL);
    assert_int_equal(vpmu_flavor_spec_count(f), 3);

    for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
        assert_int_equal(vpmu_flavor_set_spec_kv(f, bad[i].arg, &err), -1);
        assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_USAGE);
        assert_contains(vpmu_error_get_message(err), bad[i].message);
        vpmu_error_free(TAKE_PTR(err));
    }
    assert_int_equal(vpmu_flavor_spec_count(f), 3);

    assert_int_equal(vpmu_image_set_prop_kv(img, "hw_pmu=true", &err), 0);
    assert_int_equal(vpmu_image_set_prop_kv(img, "=x", &err), -1);
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_USAGE);
    assert_contains(vpmu_error_get_message(err), "image property '=x' has an empty key");
    assert_string_equal(vpmu_image_get_prop(img, "hw_pmu"), "true");

    /* Names: set, replace, clear. */
    vpmu_image_set_name(img, "perf");
    assert_string_equal(vpmu_image_get_name(img), "perf");
    vpmu_flavor_set_name(f, NULL);
    assert_null(vpmu_flavor_get_name(f));

    /* NULL objects read as empty. */
    assert_null(vpmu_flavor_get_spec(NULL, "hw:pmu"));
    assert_null(vpmu_image_get_prop(NULL, "hw_pmu"));
    assert_int_equal(vpmu_flavor_spec_count(NULL), 0);
    assert_int_equal(vpmu_flavor_get_vcpus(NULL), 0);
    vpmu_flavor_free(NULL);
    vpmu_image_free(NULL);
}

/* Inline settings override the document (the CLI applies --flavor-spec after --flavor). */
static void
test_kv_overrides_document(void **state)
{
    static const char doc[] = "{\"flavor\": {\"name\": \"f\", \"extra_specs\": {\"a\": \"1\", "
                              "\"hw:pmu\": \"true\"}}}";
    _cleanup_flavor_ vpmu_flavor *f = NULL;
    vpmu_decision d;

    (void)state;
    f = vpmu_flavor_parse(doc, sizeof(doc) - 1, NULL, NULL);
    assert_non_null(f);
    assert_int_equal(vpmu_flavor_set_spec_kv(f, "hw:pmu=false", NULL), 0);
    assert_int_equal(vpmu_decide_for(f, NULL, &d, NULL), 0);
    assert_int_equal(d.pmu, VPMU_PMU_OFF);
    /* A NULL file name is shown as <input>. */
    {
        _cleanup_error_ vpmu_error *err = NULL;
        assert_null(vpmu_image_parse("{", 1, NULL, &err));
        assert_contains(vpmu_error_get_message(err), "<input>:1:1:");
    }
}

/* ---- examples/ --------------------------------------------------------------------------------
 */

static const char *const example_flavors[] = {"vran", "general"};
static const char *const example_images[] = {"profiling", "plain"};

/* Join sorted lines: shapes list keys in different orders (osc sorts them). */
static char *
sorted_join(strv *lines)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);

    if (lines->n)
        qsort(lines->v, lines->n, sizeof(char *), cmp_names);
    for (size_t i = 0; i < lines->n; i++)
        fprintf(m, "%s\n", lines->v[i]);
    fclose(m);
    strv_clear(lines);
    return buf;
}

/* What a shape must agree on: name, id, sizes, and every hw: / hw_ key. */
static char *
essentials_flavor(const vpmu_flavor *f)
{
    strv lines = {0};
    const char *k, *v;

    strv_pushf(&lines, "%s %s %llu %u", vpmu_flavor_get_name(f), vpmu_flavor_get_id(f),
               vpmu_flavor_get_ram_mib(f), vpmu_flavor_get_vcpus(f));
    for (size_t i = 0; vpmu_flavor_spec_at(f, i, &k, &v); i++)
        if (strncmp(k, "hw:", 3) == 0)
            strv_pushf(&lines, "%s=%s", k, v);
    return sorted_join(&lines);
}

static char *
essentials_image(const vpmu_image *img)
{
    strv lines = {0};
    const char *k, *v;

    strv_pushf(&lines, "%s %s", vpmu_image_get_name(img), vpmu_image_get_id(img));
    for (size_t i = 0; vpmu_image_prop_at(img, i, &k, &v); i++)
        if (strncmp(k, "hw_", 3) == 0)
            strv_pushf(&lines, "%s=%s", k, v);
    return sorted_join(&lines);
}

static void
test_examples_all_load(void **state)
{
    DIR *dir = opendir(EXAMPLES_DIR);
    struct dirent *de;
    size_t flavors = 0, images = 0;

    (void)state;
    assert_non_null(dir);
    while ((de = readdir(dir))) {
        size_t n = strlen(de->d_name);
        _cleanup_free_ char *path = NULL;
        _cleanup_error_ vpmu_error *err = NULL;

        if (n < 5 || !STREQ(de->d_name + n - 5, ".json"))
            continue;
        path = xasprintf("%s/%s", EXAMPLES_DIR, de->d_name);
        if (strncmp(de->d_name, "flavor-", 7) == 0) {
            vpmu_flavor *f = vpmu_flavor_load(path, &err);
            if (!f)
                fail_msg("%s: %s", de->d_name, vpmu_error_get_message(err));
            assert_non_null(vpmu_flavor_get_name(f));
            assert_true(vpmu_flavor_get_ram_mib(f) > 0);
            assert_true(vpmu_flavor_get_vcpus(f) > 0);
            vpmu_flavor_free(f);
            flavors++;
        } else if (strncmp(de->d_name, "image-", 6) == 0) {
            vpmu_image *img = vpmu_image_load(path, &err);
            if (!img)
                fail_msg("%s: %s", de->d_name, vpmu_error_get_message(err));
            assert_non_null(vpmu_image_get_name(img));
            vpmu_image_free(img);
            images++;
        } else {
            fail_msg("examples/%s: name it flavor-*.json or image-*.json", de->d_name);
        }
    }
    closedir(dir);
    /* Two flavors and two images, each in at least two shapes. */
    assert_true(flavors >= 4);
    assert_true(images >= 4);
}

static void
test_examples_shapes_agree(void **state)
{
    static const char *const fshapes[] = {"nova", "osc", "osc-legacy"};
    static const char *const ishapes[] = {"glance", "osc"};

    (void)state;
    for (size_t i = 0; i < ELEMENTSOF(example_flavors); i++) {
        _cleanup_free_ char *first = NULL;
        for (size_t s = 0; s < ELEMENTSOF(fshapes); s++) {
            _cleanup_free_ char *path =
                    xasprintf("%s/flavor-%s.%s.json", EXAMPLES_DIR, example_flavors[i], fshapes[s]);
            _cleanup_flavor_ vpmu_flavor *f = NULL;
            _cleanup_free_ char *e = NULL;

            if (s > 0 && !file_exists(path))
                continue;
            f = vpmu_flavor_load(path, NULL);
            if (!f)
                fail_msg("%s does not load", path);
            e = essentials_flavor(f);
            if (!first)
                first = TAKE_PTR(e);
            else if (!STREQ(first, e))
                fail_msg("%s differs from the nova shape:\n%s---\n%s", path, e, first);
        }
    }
    for (size_t i = 0; i < ELEMENTSOF(example_images); i++) {
        _cleanup_free_ char *first = NULL;
        for (size_t s = 0; s < ELEMENTSOF(ishapes); s++) {
            _cleanup_free_ char *path =
                    xasprintf("%s/image-%s.%s.json", EXAMPLES_DIR, example_images[i], ishapes[s]);
            _cleanup_image_ vpmu_image *img = vpmu_image_load(path, NULL);
            _cleanup_free_ char *e = NULL;

            if (!img)
                fail_msg("%s does not load", path);
            e = essentials_image(img);
            if (!first)
                first = TAKE_PTR(e);
            else if (!STREQ(first, e))
                fail_msg("%s differs from the glance shape:\n%s---\n%s", path, e, first);
        }
    }
}

/* The main job's four combinations, in every pair of shapes. */
static void
test_examples_decisions(void **state)
{
    static const struct {
        const char *flavor, *image;
        int code;
        vpmu_pmu pmu;
        vpmu_source source;
    } want[] = {
            {"vran", "profiling", VPMU_ERR_CONFLICT, 0, 0},
            {"vran", "plain", 0, VPMU_PMU_OFF, VPMU_SOURCE_FLAVOR},
            {"general", "profiling", 0, VPMU_PMU_ON, VPMU_SOURCE_IMAGE},
            {"general", "plain", 0, VPMU_PMU_UNSET, VPMU_SOURCE_NONE},
    };
    static const char *const fshapes[] = {"nova", "osc"};
    static const char *const ishapes[] = {"glance", "osc"};

    (void)state;
    for (size_t w = 0; w < ELEMENTSOF(want); w++) {
        for (size_t fs = 0; fs < 2; fs++) {
            for (size_t is = 0; is < 2; is++) {
                _cleanup_free_ char *fp = xasprintf("%s/flavor-%s.%s.json", EXAMPLES_DIR,
                                                    want[w].flavor, fshapes[fs]);
                _cleanup_free_ char *ip =
                        xasprintf("%s/image-%s.%s.json", EXAMPLES_DIR, want[w].image, ishapes[is]);
                _cleanup_flavor_ vpmu_flavor *f = vpmu_flavor_load(fp, NULL);
                _cleanup_image_ vpmu_image *img = vpmu_image_load(ip, NULL);
                _cleanup_error_ vpmu_error *err = NULL;
                vpmu_decision d;
                int rc;

                assert_non_null(f);
                assert_non_null(img);
                rc = vpmu_decide_for(f, img, &d, &err);
                if (want[w].code) {
                    assert_int_equal(rc, -1);
                    assert_int_equal(vpmu_error_get_code(err), want[w].code);
                    assert_contains(vpmu_error_get_message(err), "flavor 'vran.du.large'");
                    assert_contains(vpmu_error_get_message(err), "image 'debian-12-perf'");
                } else {
                    if (rc != 0)
                        fail_msg("%s + %s: %s", fp, ip, vpmu_error_get_message(err));
                    assert_int_equal(d.pmu, want[w].pmu);
                    assert_int_equal(d.source, want[w].source);
                }
            }
        }
    }
}

/* ---- main ---------------------------------------------------------------------------------------
 */

/* Issue 10 item 3: documents of another shape are refused, naming what they look like. */
static void
test_wrong_shapes(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        bool as_flavor;
        const char *looks_like;
    } rows[] = {
            {"{\"flavors\": [{\"name\": \"m1\"}]}", true, "a list of flavors"},
            {"{\"images\": []}", true, "a list of images"},
            {"{\"server\": {\"flavor\": {}}}", true, "a server"},
            {"{\"servers\": []}", true, "a list of servers"},
            {"{}", true, "an empty object"},
            {"{\"image\": {\"name\": \"i\"}}", true, "an image"},
            {"{\"foo\": 1}", true, "none of a flavor's fields"},
            {"{\"flavors\": []}", false, "a list of flavors"},
            {"{\"images\": [{\"name\": \"i\"}]}", false, "a list of images"},
            {"{\"server\": {}}", false, "a server"},
            {"{}", false, "an empty object"},
    };
    for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
        vpmu_error *err = NULL;
        void *obj = rows[i].as_flavor ? (void *)vpmu_flavor_parse(
                                                rows[i].json, strlen(rows[i].json), "f.json", &err)
                                      : (void *)vpmu_image_parse(rows[i].json, strlen(rows[i].json),
                                                                 "i.json", &err);
        if (obj)
            fail_msg("row %zu (%s) parsed", i, rows[i].json);
        assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_INVALID);
        if (!strstr(vpmu_error_get_message(err), rows[i].looks_like) ||
            !strstr(vpmu_error_get_message(err),
                    rows[i].as_flavor ? "expected a flavor" : "expected an image"))
            fail_msg("row %zu: '%s'", i, vpmu_error_get_message(err));
        vpmu_error_free(err);
    }
    /* Real shapes still parse: a bare flavor with only a name, an image with one property. */
    {
        vpmu_flavor *f = vpmu_flavor_parse("{\"name\": \"m1\"}", 14, "f.json", NULL);
        vpmu_image *img = vpmu_image_parse("{\"hw_pmu\": \"true\"}", 18, "i.json", NULL);
        assert_non_null(f);
        assert_non_null(img);
        vpmu_flavor_free(f);
        vpmu_image_free(img);
    }
}

static size_t
count_warnings(char **w)
{
    size_t n = 0;

    while (w[n])
        n++;
    return n;
}

/* Near misses of hw:pmu / hw_pmu are warnings naming the key and the one meant. */
static void
test_near_misses(void **state)
{
    (void)state;
    static const struct {
        const char *kv;
        bool flavor;
        const char *says; /* NULL: no warning */
    } rows[] = {
            {"hw_pmu=false", true, "extra spec 'hw_pmu' is ignored: that is the image property"},
            {"HW:PMU=false", true, "'HW:PMU' is ignored; did you mean 'hw:pmu'?"},
            {"hw-pmu=true", true, "did you mean 'hw:pmu'?"},
            {"hw::pmu=true", true, "did you mean 'hw:pmu'?"},
            {"hw:pmu\t=true", true, NULL}, /* refused earlier: blanks around the key */
            {"hw:pum=true", true, "did you mean 'hw:pmu'?"},
            {"hw:pmux=true", true, "did you mean 'hw:pmu'?"},
            {"hw:pmu=true", true, NULL},
            {"hw:cpu_policy=dedicated", true, NULL},
            {"trait:CUSTOM_COMPUTE_VPMU_MEDIATED=required", true, NULL},
            {"hw:pmu=false", false, "property 'hw:pmu' is ignored: that is the flavor extra spec"},
            {"HW_PMU=false", false, "'HW_PMU' is ignored; did you mean 'hw_pmu'?"},
            {"hw_pmu=true", false, NULL},
            {"hw_machine_type=q35", false, NULL},
            {"hw_vif_model=virtio", false, NULL},
    };
    for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
        vpmu_flavor *f = vpmu_flavor_new("m1");
        vpmu_image *img = vpmu_image_new("img");
        int r = rows[i].flavor ? vpmu_flavor_set_spec_kv(f, rows[i].kv, NULL)
                               : vpmu_image_set_prop_kv(img, rows[i].kv, NULL);
        char **w = vpmu_metadata_key_warnings(f, img);

        if (r < 0)
            assert_null(rows[i].says);
        else if (!rows[i].says)
            assert_int_equal(count_warnings(w), 0);
        else if (count_warnings(w) != 1 || !strstr(w[0], rows[i].says))
            fail_msg("row %zu (%s): '%s'", i, rows[i].kv, w[0] ? w[0] : "(none)");
        vpmu_metadata_warnings_free(w);
        vpmu_flavor_free(f);
        vpmu_image_free(img);
    }
    /* From a document: a flavor with properties {"hw_pmu": ...}; and NULL inputs. */
    {
        const char *doc =
                "{\"flavor\": {\"name\": \"big\", \"properties\": {\"hw_pmu\": \"true\"}}}";
        vpmu_flavor *f = vpmu_flavor_parse(doc, strlen(doc), "f.json", NULL);
        char **w = vpmu_metadata_key_warnings(f, NULL);
        assert_int_equal(count_warnings(w), 1);
        assert_non_null(strstr(w[0], "flavor 'big': extra spec 'hw_pmu' is ignored"));
        vpmu_metadata_warnings_free(w);
        vpmu_flavor_free(f);
        w = vpmu_metadata_key_warnings(NULL, NULL);
        assert_int_equal(count_warnings(w), 0);
        vpmu_metadata_warnings_free(w);
    }
}

int
main(void)
{
    static const struct CMUnitTest fixed[] = {
            cmocka_unit_test(test_huge_strings),
            cmocka_unit_test(test_wrong_shapes),
            cmocka_unit_test(test_near_misses),
            cmocka_unit_test(test_size_cap),
            cmocka_unit_test(test_100mb_file),
            cmocka_unit_test(test_nul_bytes),
            cmocka_unit_test(test_utf16_bom),
            cmocka_unit_test(test_wide_object),
            cmocka_unit_test(test_stdin),
            cmocka_unit_test(test_missing_file),
            cmocka_unit_test(test_props_string),
            cmocka_unit_test(test_set_kv),
            cmocka_unit_test(test_kv_overrides_document),
            cmocka_unit_test(test_examples_all_load),
            cmocka_unit_test(test_examples_shapes_agree),
            cmocka_unit_test(test_examples_decisions),
    };
    strv names = {0};
    struct CMUnitTest *tests = NULL;
    size_t n = 0;
    DIR *dir;
    struct dirent *de;
    int rc;

    dir = opendir(CASES_DIR);
    if (!dir) {
        fprintf(stderr, "cannot open %s: %s\n", CASES_DIR, strerror(errno));
        return 1;
    }
    while ((de = readdir(dir)))
        if (de->d_name[0] != '.')
            strv_push(&names, xstrdup(de->d_name));
    closedir(dir);
    if (names.n == 0) {
        fprintf(stderr, "no cases under %s\n", CASES_DIR);
        return 1;
    }
    qsort(names.v, names.n, sizeof(char *), cmp_names);

    tests = xcalloc(names.n + ELEMENTSOF(fixed), sizeof(*tests));
    for (size_t i = 0; i < names.n; i++) {
        tests[n].name = names.v[i];
        tests[n].test_func = run_case;
        tests[n].initial_state = names.v[i];
        n++;
    }
    for (size_t i = 0; i < ELEMENTSOF(fixed); i++)
        tests[n++] = fixed[i];
    rc = _cmocka_run_group_tests("metadata", tests, n, NULL, NULL);
    free(tests);
    strv_clear(&names);
    return rc;
}

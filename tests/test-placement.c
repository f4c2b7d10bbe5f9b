/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Placement adapter: the pure parsers on bodies of the shapes Placement sends
 * (tests/data/placement/), argument checks, and the HTTP paths a real
 * Placement cannot be made to take on demand (a provider that never stops
 * changing, a server that hangs, a 500 without JSON).  For those a small
 * scripted HTTP server runs on loopback in a thread and records what vpmu
 * sent, so the tests also check the headers and the bodies.  The happy paths
 * and the real 409 race run against a real Placement in
 * tests/integration/placement.sh.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "util.h"
#include "vpmu/placement.h"

#define UUID_A "a0000000-0000-4000-8000-000000000001"
#define UUID_C "c0000000-0000-4000-8000-000000000003"

static char *
load(const char *name, size_t *len)
{
    _cleanup_free_ char *path = xasprintf("%s/placement/%s", VPMU_TESTDATA, name);
    vpmu_error *err = NULL;
    char *buf = NULL;

    if (vpmu_read_file(path, 1 << 20, &buf, len, &err) < 0)
        fail_msg("%s", vpmu_error_get_message(err));
    return buf;
}

/* Assert an error of @code whose message contains @needle (and no newline); free it. */
static void
check_error(vpmu_error *err, vpmu_error_code code, const char *needle)
{
    assert_non_null(err);
    if (!strstr(vpmu_error_get_message(err), needle))
        fail_msg("message '%s' lacks '%s'", vpmu_error_get_message(err), needle);
    assert_null(strchr(vpmu_error_get_message(err), '\n'));
    assert_int_equal(vpmu_error_get_code(err), code);
    vpmu_error_free(err);
}
/* ... and reset the variable, so that the next failure can set it again. */
#define assert_error(err, code, needle)                                                            \
    do {                                                                                           \
        check_error((err), (code), (needle));                                                      \
        (err) = NULL;                                                                              \
    } while (0)

/* ---- traits bodies ----------------------------------------------------------------------- */

static void
test_traits_parse(void **state)
{
    (void)state;
    size_t len;
    _cleanup_free_ char *buf = load("traits-get.json", &len);
    char **t = NULL;
    unsigned long long gen = 0;
    vpmu_error *err = NULL;

    assert_int_equal(vpmu_placement_parse_traits(buf, len, &t, &gen, &err), 0);
    assert_null(err);
    assert_int_equal(gen, 7);
    assert_non_null(t);
    assert_string_equal(t[0], "HW_CPU_X86_AVX2");
    assert_string_equal(t[1], "CUSTOM_FOO");
    assert_string_equal(t[2], VPMU_TRAIT);
    assert_null(t[3]);
    vpmu_placement_strv_free(t);
    /* Both outputs are optional. */
    assert_int_equal(vpmu_placement_parse_traits(buf, len, NULL, NULL, &err), 0);
}

static void
test_traits_empty(void **state)
{
    (void)state;
    size_t len;
    _cleanup_free_ char *buf = load("traits-empty.json", &len);
    char **t = NULL;
    unsigned long long gen = 99;

    assert_int_equal(vpmu_placement_parse_traits(buf, len, &t, &gen, NULL), 0);
    assert_int_equal(gen, 0);
    assert_non_null(t);
    assert_null(t[0]);
    vpmu_placement_strv_free(t);
}

static void
test_traits_errors(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        const char *needle;
    } cases[] = {
            {"", "malformed JSON at line"},
            {"{\"traits\": [", "malformed JSON at line 1"},
            {"[]", "expected a JSON object"},
            {"{\"resource_provider_generation\": 1}", "'traits' is missing or not an array"},
            {"{\"traits\": {}, \"resource_provider_generation\": 1}", "'traits' is missing"},
            {"{\"traits\": []}", "'resource_provider_generation' is missing"},
            {"{\"traits\": [], \"resource_provider_generation\": -1}", "non-negative integer"},
            {"{\"traits\": [], \"resource_provider_generation\": \"3\"}", "non-negative integer"},
            {"{\"traits\": [], \"resource_provider_generation\": 1.5}", "non-negative integer"},
            {"{\"traits\": [\"A\", 3], \"resource_provider_generation\": 1}", "item 1 is not"},
            {"{\"traits\": [\"\"], \"resource_provider_generation\": 1}", "item 0 is not"},
            {"{\"traits\": [\"A\\u0000B\"], \"resource_provider_generation\": 1}",
             "malformed JSON"},
            {"{\"traits\": [], \"traits\": [], \"resource_provider_generation\": 1}", "duplicate"},
    };

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        vpmu_error *err = NULL;
        char **t = NULL;
        unsigned long long gen = 42;
        int r = vpmu_placement_parse_traits(cases[i].body, strlen(cases[i].body), &t, &gen, &err);
        if (r != -1)
            fail_msg("case %zu '%s' was accepted", i, cases[i].body);
        assert_null(t);
        assert_int_equal(gen, 42); /* outputs untouched on failure */
        assert_error(err, VPMU_ERR_INVALID, cases[i].needle);
    }
    /* NULL buffer: an error, not a crash. */
    vpmu_error *err = NULL;
    assert_int_equal(vpmu_placement_parse_traits(NULL, 0, NULL, NULL, &err), -1);
    assert_error(err, VPMU_ERR_INVALID, "empty answer");
}

/* ---- error bodies ------------------------------------------------------------------------ */

static void
check_error_body(const char *file, const char *expected)
{
    size_t len;
    _cleanup_free_ char *buf = load(file, &len);
    _cleanup_free_ char *msg = vpmu_placement_parse_error(buf, len);

    assert_non_null(msg);
    assert_string_equal(msg, expected);
}

static void
test_error_bodies(void **state)
{
    (void)state;
    /* Placement's reason, without webob's generic sentence, blanks collapsed. */
    check_error_body("error-409.json", "Resource provider's generation already changed. Please "
                                       "update the generation and try again.");
    check_error_body("error-404.json", "No resource provider with uuid "
                                       "5b2d7e1c-0f4a-4c39-8a0e-6d1f2b3c4d5e found");
    check_error_body("error-406.json", "Invalid microversion: Unacceptable version header: 1.99");
    /* The noauth2 middleware's own shape: its title. */
    check_error_body("error-401-noauth.json", "Unauthorized");
}

static void
test_error_bodies_odd(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        const char *expected; /* NULL: not an error body */
    } cases[] = {
            {"", NULL},
            {"<html>Bad Gateway</html>", NULL},
            {"[]", NULL},
            {"{}", NULL},
            {"{\"errors\": []}", NULL},
            {"{\"errors\": [3]}", NULL},
            {"{\"errors\": {}}", NULL},
            {"{\"errors\": [{\"status\": 500}]}", NULL},
            /* no blank line in the detail: all of it */
            {"{\"errors\": [{\"detail\": \"  short\\treason \"}]}", "short reason"},
            /* a blank detail falls back to the title */
            {"{\"errors\": [{\"title\": \"Conflict\", \"detail\": \" \\n\\n \"}]}", "Conflict"},
            {"{\"errors\": [{\"title\": \"Bad Request\"}]}", "Bad Request"},
            /* nothing after the blank line: the whole detail */
            {"{\"errors\": [{\"detail\": \"Generic.\\n\\n  \"}]}", "Generic."},
    };

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        _cleanup_free_ char *msg = vpmu_placement_parse_error(cases[i].body, strlen(cases[i].body));
        if (!cases[i].expected) {
            if (msg)
                fail_msg("case %zu: expected no message, got '%s'", i, msg);
        } else {
            if (!msg)
                fail_msg("case %zu: expected '%s', got none", i, cases[i].expected);
            assert_string_equal(msg, cases[i].expected);
        }
    }
    assert_null(vpmu_placement_parse_error(NULL, 0));
}

/* ---- allocation candidates --------------------------------------------------------------- */

static void
assert_resource(const vpmu_placement_candidates *c, size_t i, size_t j, const char *rc,
                unsigned long long cap, unsigned long long used)
{
    const char *name = NULL;
    unsigned long long a = 0, b = 0;

    assert_true(vpmu_placement_candidates_resource(c, i, j, &name, &a, &b));
    assert_string_equal(name, rc);
    assert_int_equal(a, cap);
    assert_int_equal(b, used);
}

static void
test_candidates_flat(void **state)
{
    (void)state;
    size_t len;
    _cleanup_free_ char *buf = load("candidates-flat.json", &len);
    vpmu_error *err = NULL;
    vpmu_placement_candidates *c = vpmu_placement_parse_candidates(buf, len, &err);
    const char *const *t;

    assert_null(err);
    assert_non_null(c);
    assert_int_equal(vpmu_placement_candidates_requests(c), 2);
    assert_int_equal(vpmu_placement_candidates_count(c), 2);
    assert_null(vpmu_placement_candidates_missing_trait(c));
    /* Sorted by UUID when names are unknown, whatever the answer's order. */
    assert_string_equal(vpmu_placement_candidates_uuid(c, 0), UUID_A);
    assert_string_equal(vpmu_placement_candidates_uuid(c, 1), UUID_C);
    assert_null(vpmu_placement_candidates_name(c, 0));
    assert_string_equal(vpmu_placement_candidates_root(c, 0), UUID_A);
    t = vpmu_placement_candidates_traits(c, 0);
    assert_string_equal(t[0], "HW_CPU_X86_AVX2");
    assert_string_equal(t[1], VPMU_TRAIT);
    assert_null(t[2]);
    assert_resource(c, 0, 0, "VCPU", 16, 4);
    assert_resource(c, 0, 1, "MEMORY_MB", 32768, 8192);
    assert_false(vpmu_placement_candidates_resource(c, 0, 2, NULL, NULL, NULL));
    assert_resource(c, 1, 0, "VCPU", 8, 0);
    /* Out of range: NULL / false, no crash. */
    assert_null(vpmu_placement_candidates_uuid(c, 2));
    assert_null(vpmu_placement_candidates_traits(c, 2));
    assert_false(vpmu_placement_candidates_resource(c, 2, 0, NULL, NULL, NULL));
    vpmu_placement_candidates_free(c);
    vpmu_placement_candidates_free(NULL);
}

static void
test_candidates_nested(void **state)
{
    (void)state;
    size_t len;
    _cleanup_free_ char *buf = load("candidates-nested.json", &len);
    vpmu_placement_candidates *c = vpmu_placement_parse_candidates(buf, len, NULL);

    assert_non_null(c);
    assert_int_equal(vpmu_placement_candidates_requests(c), 2);
    /* The providers in allocation requests, each once; not the root that only has traits. */
    assert_int_equal(vpmu_placement_candidates_count(c), 3);
    assert_string_equal(vpmu_placement_candidates_uuid(c, 0),
                        "d0000000-0000-4000-8000-00000000000b");
    assert_string_equal(vpmu_placement_candidates_uuid(c, 1),
                        "d0000000-0000-4000-8000-00000000000c");
    assert_string_equal(vpmu_placement_candidates_uuid(c, 2),
                        "d0000000-0000-4000-8000-00000000000d");
    for (size_t i = 0; i < 3; i++)
        assert_string_equal(vpmu_placement_candidates_root(c, i),
                            "d0000000-0000-4000-8000-00000000000a");
    assert_resource(c, 2, 0, "NET_BW_EGR_KILOBIT_PER_SEC", 20000, 500);
    assert_string_equal(vpmu_placement_candidates_traits(c, 1)[0], "CUSTOM_PHYSNET_A");
    vpmu_placement_candidates_free(c);
}

static void
test_candidates_none(void **state)
{
    (void)state;
    size_t len;
    _cleanup_free_ char *buf = load("candidates-none.json", &len);
    vpmu_placement_candidates *c = vpmu_placement_parse_candidates(buf, len, NULL);

    assert_non_null(c);
    assert_int_equal(vpmu_placement_candidates_requests(c), 0);
    assert_int_equal(vpmu_placement_candidates_count(c), 0);
    assert_null(vpmu_placement_candidates_uuid(c, 0));
    vpmu_placement_candidates_free(c);
}

static void
test_candidates_errors(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        const char *needle;
    } cases[] = {
            {"nope", "malformed JSON"},
            {"{\"provider_summaries\": {}}", "'allocation_requests' is missing"},
            {"{\"allocation_requests\": []}", "'provider_summaries' is missing"},
            {"{\"allocation_requests\": [], \"provider_summaries\": []}", "'provider_summaries'"},
            /* the pre-1.12 list form is not what 1.39 sends */
            {"{\"allocation_requests\": [{\"allocations\": [{\"resource_provider\": {\"uuid\": "
             "\"x\"}}]}], \"provider_summaries\": {}}",
             "allocation request 0 has no 'allocations' object"},
            {"{\"allocation_requests\": [{\"allocations\": {\"u\": {}}}], \"provider_summaries\": "
             "{\"u\": 3}}",
             "entry 'u' is not an object"},
            {"{\"allocation_requests\": [{\"allocations\": {\"u\": {}}}], \"provider_summaries\": "
             "{\"u\": {\"resources\": {\"VCPU\": {\"capacity\": 4}}}}}",
             "provider 'u' resource 'VCPU': 'used' is missing"},
            {"{\"allocation_requests\": [{\"allocations\": {\"u\": {}}}], \"provider_summaries\": "
             "{\"u\": {\"resources\": {\"VCPU\": {\"capacity\": -4, \"used\": 0}}}}}",
             "'capacity' is missing or not a non-negative integer"},
            {"{\"allocation_requests\": [{\"allocations\": {\"u\": {}}}], \"provider_summaries\": "
             "{\"u\": {\"traits\": \"HW\"}}}",
             "'traits' is not an array"},
            /* an untrusted key with a newline is quoted, never printed raw */
            {"{\"allocation_requests\": [{\"allocations\": {\"u\\nv\": {}}}], "
             "\"provider_summaries\": {\"u\\nv\": 1}}",
             "entry 'u\\nv' is not an object"},
    };

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        vpmu_error *err = NULL;
        vpmu_placement_candidates *c =
                vpmu_placement_parse_candidates(cases[i].body, strlen(cases[i].body), &err);
        if (c)
            fail_msg("case %zu was accepted", i);
        assert_error(err, VPMU_ERR_INVALID, cases[i].needle);
    }
}

/* ---- resources and arguments ------------------------------------------------------------- */

static void
test_resources(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *out; /* NULL: refused */
    } cases[] = {
            {"VCPU=2,MEMORY_MB=2048", "VCPU:2,MEMORY_MB:2048"},
            {"VCPU:2,MEMORY_MB:2048", "VCPU:2,MEMORY_MB:2048"},
            {"VCPU=1", "VCPU:1"},
            {"CUSTOM_FPGA=1,VCPU:4", "CUSTOM_FPGA:1,VCPU:4"},
            {"VCPU=2147483647", "VCPU:2147483647"},
            {"", NULL},
            {"VCPU", NULL},
            {"vcpu=2", NULL},
            {"VCPU=0", NULL},
            {"VCPU=-1", NULL},
            {"VCPU=+1", NULL},
            {"VCPU=2x", NULL},
            {"VCPU= 2", NULL},
            {"VCPU=2147483648", NULL},
            {"VCPU=99999999999999999999999", NULL},
            {"VCPU=2,VCPU=3", NULL},
            {"VCPU=2,", NULL},
            {",VCPU=2", NULL},
            {"VCPU=2&required=X", NULL},
            {"=2", NULL},
    };

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        vpmu_error *err = NULL;
        _cleanup_free_ char *out = vpmu_placement_normalize_resources(cases[i].in, &err);
        if (cases[i].out) {
            if (!out)
                fail_msg("'%s' refused: %s", cases[i].in, vpmu_error_get_message(err));
            assert_string_equal(out, cases[i].out);
            /* normalising is idempotent */
            _cleanup_free_ char *again = vpmu_placement_normalize_resources(out, NULL);
            assert_string_equal(again, out);
        } else {
            if (out)
                fail_msg("'%s' accepted as '%s'", cases[i].in, out);
            assert_error(err, VPMU_ERR_USAGE, "");
        }
    }
    vpmu_error *err = NULL;
    assert_null(vpmu_placement_normalize_resources("VCPU=2,VCPU=3", &err));
    assert_error(err, VPMU_ERR_USAGE, "resource class 'VCPU' is given twice");
    assert_null(vpmu_placement_normalize_resources("VCPU=0", &err));
    assert_error(err, VPMU_ERR_USAGE, "resource 'VCPU=0' needs a positive whole amount");
}

static void
test_new_and_arguments(void **state)
{
    (void)state;
    static const char *const bad_urls[] = {
            "",           "ftp://host", "host:8778", "http://host /x", "http://host?x=1",
            "http://h#f", "http://h\n",
    };
    vpmu_error *err = NULL;
    vpmu_placement *pl;

    for (size_t i = 0; i < ELEMENTSOF(bad_urls); i++) {
        assert_null(vpmu_placement_new(bad_urls[i], NULL, &err));
        assert_error(err, VPMU_ERR_USAGE, "is not a Placement URL");
    }
    assert_null(vpmu_placement_new(NULL, NULL, &err));
    assert_error(err, VPMU_ERR_USAGE, "is not a Placement URL");
    assert_null(vpmu_placement_new("http://h", "to\nken", &err));
    assert_error(err, VPMU_ERR_USAGE, "control characters");

    pl = vpmu_placement_new("HTTP://127.0.0.1:9/placement//", "admin", &err);
    assert_non_null(pl);
    assert_string_equal(vpmu_placement_get_url(pl), "HTTP://127.0.0.1:9/placement");

    /* Argument checks happen before any request. */
    assert_int_equal(vpmu_placement_ensure_trait(pl, "HW_CPU_X86_AVX2", NULL, &err), -1);
    assert_error(err, VPMU_ERR_USAGE, "'HW_CPU_X86_AVX2' is not a custom trait name");
    assert_int_equal(vpmu_placement_ensure_trait(pl, "CUSTOM_", NULL, &err), -1);
    assert_error(err, VPMU_ERR_USAGE, "is not a custom trait name");
    assert_int_equal(vpmu_placement_ensure_trait(pl, "CUSTOM_a", NULL, &err), -1);
    assert_error(err, VPMU_ERR_USAGE, "is not a custom trait name");
    assert_int_equal(
            vpmu_placement_set_provider_trait(pl, "../../traits", VPMU_TRAIT, true, NULL, &err),
            -1);
    assert_error(err, VPMU_ERR_USAGE, "'../../traits' is not a resource provider UUID");
    assert_int_equal(
            vpmu_placement_set_provider_trait(pl, UUID_A "0", VPMU_TRAIT, true, NULL, &err), -1);
    assert_error(err, VPMU_ERR_USAGE, "is not a resource provider UUID");
    assert_int_equal(vpmu_placement_set_provider_trait(pl, UUID_A, "bad trait", true, NULL, &err),
                     -1);
    assert_error(err, VPMU_ERR_USAGE, "'bad trait' is not a trait name");
    assert_null(vpmu_placement_get_candidates(pl, "VCPU=1", "CUSTOM_X&resources=Y", &err));
    assert_error(err, VPMU_ERR_USAGE, "is not a list of traits");
    assert_null(vpmu_placement_get_candidates(pl, "VCPU=1", "!", &err));
    assert_error(err, VPMU_ERR_USAGE, "is not a list of traits");
    assert_null(vpmu_placement_get_candidates(pl, "VCPU", NULL, &err));
    assert_error(err, VPMU_ERR_USAGE, "is not CLASS=AMOUNT");
    vpmu_placement_free(pl);
    vpmu_placement_free(NULL);

    /* 32 bare hex digits are a UUID too; nothing listens on port 9. */
    pl = vpmu_placement_new("http://127.0.0.1:9", NULL, &err);
    assert_non_null(pl);
    assert_int_equal(vpmu_placement_get_provider_traits(pl, "a0000000000040008000000000000001",
                                                        NULL, NULL, &err),
                     -1);
    assert_error(err, VPMU_ERR_RUNTIME,
                 "cannot reach Placement: GET "
                 "'http://127.0.0.1:9/resource_providers/a0000000000040008000000000000001/traits'");
    vpmu_placement_free(pl);
}

/* ---- a scripted HTTP server -------------------------------------------------------------- */

typedef struct {
    int status;       /* 0: read the request, then answer nothing (a hung server) */
    const char *body; /* sent as is */
} reply;

typedef struct {
    int fd;
    int port;
    const reply *script;
    size_t n_script;
    size_t served;
    strv requests; /* each: request line, headers, blank line, body */
    pthread_t thread;
} fake_server;

static char *
read_request(int fd)
{
    size_t cap = 8192, len = 0, want = 0;
    char *buf = xmalloc(cap);
    char *hdr_end = NULL;

    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        ssize_t n;
        if (poll(&p, 1, 5000) <= 0)
            break;
        if (len + 1 >= cap)
            buf = xrealloc(buf, cap *= 2);
        n = read(fd, buf + len, cap - len - 1);
        if (n <= 0)
            break;
        len += (size_t)n;
        buf[len] = '\0';
        if (!hdr_end && (hdr_end = strstr(buf, "\r\n\r\n"))) {
            const char *cl = strcasestr(buf, "\r\nContent-Length:");
            want = (size_t)(hdr_end + 4 - buf);
            if (cl && cl < hdr_end)
                want += strtoul(cl + 17, NULL, 10);
        }
        if (hdr_end && len >= want)
            break;
    }
    buf[len] = '\0';
    return buf;
}

static void *
serve(void *opaque)
{
    fake_server *s = opaque;

    for (;;) {
        int c = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
            break; /* shut down */
        strv_push(&s->requests, read_request(c));
        if (s->served < s->n_script && s->script[s->served].status != 0) {
            const reply *r = &s->script[s->served];
            _cleanup_free_ char *msg =
                    xasprintf("HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: "
                              "%zu\r\nConnection: close\r\n\r\n%s",
                              r->status, strlen(r->body), r->body);
            ssize_t off = 0, n, total = (ssize_t)strlen(msg);
            while (off < total && (n = write(c, msg + off, (size_t)(total - off))) > 0)
                off += n;
        } else if (s->served < s->n_script) {
            struct pollfd p = {.fd = c, .events = POLLIN};
            (void)poll(&p, 1, 3000); /* hang until the client gives up */
        }
        s->served++;
        close(c);
    }
    return NULL;
}

static void
fake_start(fake_server *s, const reply *script, size_t n)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);

    memset(s, 0, sizeof(*s));
    s->script = script;
    s->n_script = n;
    s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(s->fd >= 0);
    assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(s->fd, 16), 0);
    assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &alen), 0);
    s->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void
fake_stop(fake_server *s)
{
    shutdown(s->fd, SHUT_RDWR);
    pthread_join(s->thread, NULL);
    close(s->fd);
}

static vpmu_placement *
fake_client(const fake_server *s, const char *token)
{
    _cleanup_free_ char *url = xasprintf("http://127.0.0.1:%d", s->port);
    vpmu_error *err = NULL;
    vpmu_placement *pl = vpmu_placement_new(url, token, &err);

    if (!pl)
        fail_msg("%s", vpmu_error_get_message(err));
    vpmu_placement_set_timeouts(pl, 2000, 2000);
    return pl;
}

#define TRAITS_G3                                                                                  \
    "{\"traits\": [\"HW_CPU_X86_AVX2\", \"CUSTOM_FOO\"], \"resource_provider_generation\": 3}"
#define TRAITS_G4                                                                                  \
    "{\"traits\": [\"HW_CPU_X86_AVX2\", \"CUSTOM_FOO\", \"CUSTOM_COMPUTE_VPMU\"], "                \
    "\"resource_provider_generation\": 4}"
#define CONFLICT                                                                                   \
    "{\"errors\": [{\"status\": 409, \"title\": \"Conflict\", \"detail\": \"There was a "          \
    "conflict.\\n\\n Resource provider's generation already changed.  \", \"code\": "              \
    "\"placement.concurrent_update\"}]}"

typedef struct {
    unsigned reads, conflicts, written;
    unsigned long long last_gen;
} events;

static void
observe(vpmu_placement *pl, vpmu_placement_event ev, const char *uuid, unsigned long long gen,
        void *data)
{
    events *e = data;

    (void)pl;
    assert_string_equal(uuid, UUID_A);
    e->last_gen = gen;
    if (ev == VPMU_PLACEMENT_EVENT_READ)
        e->reads++;
    else if (ev == VPMU_PLACEMENT_EVENT_CONFLICT)
        e->conflicts++;
    else
        e->written++;
}

/* One conflict, then success: the PUT keeps the other traits and sends the fresh generation. */
static void
test_http_retry_once(void **state)
{
    (void)state;
    static const reply script[] = {
            {200, TRAITS_G3},
            {409, CONFLICT},
            {200, "{\"traits\": [\"HW_CPU_X86_AVX2\", \"CUSTOM_FOO\", \"CUSTOM_BAR\"], "
                  "\"resource_provider_generation\": 5}"},
            {200, "{\"traits\": [\"HW_CPU_X86_AVX2\", \"CUSTOM_FOO\", \"CUSTOM_BAR\", "
                  "\"CUSTOM_COMPUTE_VPMU\"], \"resource_provider_generation\": 6}"},
    };
    fake_server s;
    vpmu_placement *pl;
    vpmu_placement_trait_result res;
    events ev = {0};
    vpmu_error *err = NULL;

    fake_start(&s, script, ELEMENTSOF(script));
    pl = fake_client(&s, "s3cret");
    vpmu_placement_set_observer(pl, observe, &ev);
    assert_int_equal(vpmu_placement_set_provider_trait(pl, UUID_A, VPMU_TRAIT, true, &res, &err),
                     0);
    vpmu_placement_free(pl);
    fake_stop(&s);

    assert_true(res.changed);
    assert_false(res.was_present);
    assert_int_equal(res.attempts, 2);
    assert_int_equal(res.conflicts, 1);
    assert_int_equal(res.generation, 6);
    assert_int_equal(res.n_traits, 4);
    assert_int_equal(ev.reads, 2);
    assert_int_equal(ev.conflicts, 1);
    assert_int_equal(ev.written, 1);
    assert_int_equal(ev.last_gen, 6);

    assert_int_equal(s.requests.n, 4);
    const char *get = s.requests.v[0], *put1 = s.requests.v[1], *put2 = s.requests.v[3];
    assert_non_null(strstr(get, "GET /resource_providers/" UUID_A "/traits HTTP/1.1\r\n"));
    assert_non_null(strcasestr(get, "\r\nOpenStack-API-Version: placement 1.39\r\n"));
    assert_non_null(strcasestr(get, "\r\nX-Auth-Token: s3cret\r\n"));
    assert_non_null(strcasestr(get, "\r\nAccept: application/json\r\n"));
    assert_non_null(strstr(put1, "PUT /resource_providers/" UUID_A "/traits HTTP/1.1\r\n"));
    assert_non_null(strcasestr(put1, "\r\nContent-Type: application/json\r\n"));
    assert_non_null(strstr(put1, "\r\n\r\n{\"traits\":[\"HW_CPU_X86_AVX2\",\"CUSTOM_FOO\","
                                 "\"CUSTOM_COMPUTE_VPMU\"],\"resource_provider_generation\":3}"));
    /* After the 409: re-read, and the trait someone else added survives. */
    assert_non_null(strstr(put2, "\r\n\r\n{\"traits\":[\"HW_CPU_X86_AVX2\",\"CUSTOM_FOO\","
                                 "\"CUSTOM_BAR\",\"CUSTOM_COMPUTE_VPMU\"],"
                                 "\"resource_provider_generation\":5}"));
    strv_clear(&s.requests);
}

/* A provider that never stops changing: bounded, and the message says so. */
static void
test_http_retry_gives_up(void **state)
{
    (void)state;
    static const reply script[] = {
            {200, TRAITS_G3}, {409, CONFLICT}, {200, TRAITS_G3}, {409, CONFLICT},
            {200, TRAITS_G3}, {409, CONFLICT}, {200, TRAITS_G3},
    };
    fake_server s;
    vpmu_placement *pl;
    vpmu_placement_trait_result res = {0};
    vpmu_error *err = NULL;

    fake_start(&s, script, ELEMENTSOF(script));
    pl = fake_client(&s, NULL);
    vpmu_placement_set_max_attempts(pl, 3);
    assert_int_equal(vpmu_placement_set_provider_trait(pl, UUID_A, VPMU_TRAIT, true, &res, &err),
                     -1);
    vpmu_placement_free(pl);
    fake_stop(&s);
    assert_int_equal(res.attempts, 0); /* untouched on failure */
    assert_error(err, VPMU_ERR_RUNTIME,
                 "gave up changing the traits of resource provider '" UUID_A
                 "' after 3 generation conflicts (HTTP 409) in a row: Resource provider's "
                 "generation already changed.");
    assert_int_equal(s.requests.n, 7);                        /* 3 PUTs, and no fourth */
    assert_null(strcasestr(s.requests.v[0], "X-Auth-Token")); /* no token: no header */
    strv_clear(&s.requests);
}

/* Already as asked: one GET, no PUT. */
static void
test_http_unchanged(void **state)
{
    (void)state;
    static const reply script[] = {{200, TRAITS_G4}, {200, TRAITS_G4}};
    fake_server s;
    vpmu_placement *pl;
    vpmu_placement_trait_result res;

    fake_start(&s, script, ELEMENTSOF(script));
    pl = fake_client(&s, "admin");
    assert_int_equal(vpmu_placement_set_provider_trait(pl, UUID_A, VPMU_TRAIT, true, &res, NULL),
                     0);
    assert_false(res.changed);
    assert_true(res.was_present);
    assert_int_equal(res.attempts, 0);
    assert_int_equal(res.generation, 4);
    assert_int_equal(res.n_traits, 3);
    vpmu_placement_free(pl);
    fake_stop(&s);
    assert_int_equal(s.requests.n, 1);
    strv_clear(&s.requests);
}

static void
test_http_find_provider(void **state)
{
    (void)state;
    static const reply script[] = {
            {200, "{\"resource_providers\": [{\"uuid\": \"" UUID_A "\", \"name\": \"cn 1/é\", "
                  "\"generation\": 3}]}"},
            {200, "{\"resource_providers\": []}"},
            {200, "{\"resource_providers\": [{\"name\": \"x\"}]}"},
    };
    fake_server s;
    vpmu_placement *pl;
    vpmu_error *err = NULL;
    _cleanup_free_ char *uuid = NULL, *base = NULL, *msg = NULL;

    fake_start(&s, script, ELEMENTSOF(script));
    base = xasprintf("http://127.0.0.1:%d", s.port);
    pl = fake_client(&s, "admin");
    assert_int_equal(vpmu_placement_find_provider(pl, "cn 1/\xc3\xa9", &uuid, &err), 0);
    assert_string_equal(uuid, UUID_A);
    assert_int_equal(vpmu_placement_find_provider(pl, "gone", NULL, &err), -1);
    msg = xasprintf("Placement '%s' has no resource provider named 'gone'", base);
    assert_error(err, VPMU_ERR_RUNTIME, msg);
    assert_int_equal(vpmu_placement_find_provider(pl, "x", NULL, &err), -1);
    assert_error(err, VPMU_ERR_RUNTIME, "a provider without a valid 'uuid'");
    /* Refused before any request. */
    assert_int_equal(vpmu_placement_find_provider(pl, "", NULL, &err), -1);
    assert_error(err, VPMU_ERR_USAGE, "is not a resource provider name");
    assert_int_equal(vpmu_placement_find_provider(pl, "a\nb", NULL, &err), -1);
    assert_error(err, VPMU_ERR_USAGE, "'a\\nb' is not a resource provider name: control");
    vpmu_placement_free(pl);
    fake_stop(&s);
    assert_int_equal(s.requests.n, 3);
    /* The name is URL-encoded in the query. */
    assert_non_null(
            strstr(s.requests.v[0], "GET /resource_providers?name=cn%201%2F%C3%A9 HTTP/1.1"));
    strv_clear(&s.requests);
}

static void
test_http_errors(void **state)
{
    (void)state;
    static const reply script[] = {
            {404, "{\"errors\": [{\"status\": 404, \"title\": \"Not Found\", \"detail\": \"The "
                  "resource could not be found.\\n\\n No resource provider with uuid " UUID_A
                  " found  \"}]}"},
            {500, "<html>oops\n</html>"},
            {401,
             "{\"message\": \"x\", \"code\": \"401 Unauthorized\", \"title\": \"Unauthorized\"}"},
            {200, "{\"traits\": \"nope\"}"},
            {400, "{\"errors\": [{\"status\": 400, \"title\": \"Bad Request\", \"detail\": "
                  "\"Generic.\\n\\n The trait is invalid.\"}]}"},
            {201, ""},
            {204, ""},
            {0, NULL},
    };
    fake_server s;
    vpmu_placement *pl;
    vpmu_error *err = NULL;
    bool created = false;
    _cleanup_free_ char *base = NULL;

    fake_start(&s, script, ELEMENTSOF(script));
    base = xasprintf("http://127.0.0.1:%d", s.port);
    pl = fake_client(&s, "admin");
    assert_int_equal(vpmu_placement_get_provider_traits(pl, UUID_A, NULL, NULL, &err), -1);
    _cleanup_free_ char *m404 =
            xasprintf("Placement answered GET '%s/resource_providers/%s/traits' with HTTP 404 Not "
                      "Found: No resource provider with uuid %s found",
                      base, UUID_A, UUID_A);
    assert_error(err, VPMU_ERR_RUNTIME, m404);
    assert_int_equal(vpmu_placement_get_provider_traits(pl, UUID_A, NULL, NULL, &err), -1);
    assert_error(err, VPMU_ERR_RUNTIME,
                 "with HTTP 500 Internal Server Error: <html>oops\\n</html>");
    assert_int_equal(vpmu_placement_get_provider_traits(pl, UUID_A, NULL, NULL, &err), -1);
    assert_error(err, VPMU_ERR_RUNTIME, "with HTTP 401 Unauthorized: Unauthorized");
    assert_int_equal(vpmu_placement_get_provider_traits(pl, UUID_A, NULL, NULL, &err), -1);
    assert_error(err, VPMU_ERR_RUNTIME, "unexpected answer from Placement to GET");
    assert_int_equal(vpmu_placement_ensure_trait(pl, VPMU_TRAIT, &created, &err), -1);
    _cleanup_free_ char *m400 = xasprintf("Placement answered PUT '%s/traits/CUSTOM_COMPUTE_VPMU' "
                                          "with HTTP 400 Bad Request: The trait is invalid.",
                                          base);
    assert_error(err, VPMU_ERR_RUNTIME, m400);
    assert_int_equal(vpmu_placement_ensure_trait(pl, VPMU_TRAIT, &created, &err), 0);
    assert_true(created);
    assert_int_equal(vpmu_placement_ensure_trait(pl, VPMU_TRAIT, &created, &err), 0);
    assert_false(created);
    /* A server that accepts and never answers: the total timeout ends it. */
    vpmu_placement_set_timeouts(pl, 1000, 300);
    assert_int_equal(vpmu_placement_get_provider_traits(pl, UUID_A, NULL, NULL, &err), -1);
    assert_error(err, VPMU_ERR_RUNTIME, "cannot reach Placement: GET");
    vpmu_placement_free(pl);
    fake_stop(&s);
    assert_non_null(strstr(s.requests.v[4], "PUT /traits/CUSTOM_COMPUTE_VPMU HTTP/1.1\r\n"));
    assert_non_null(strcasestr(s.requests.v[4], "\r\nContent-Length: 0\r\n"));
    strv_clear(&s.requests);

    /* No token and a 401: the message says that none was sent. */
    static const reply script401[] = {{401, "{\"title\": \"Unauthorized\"}"}};
    fake_start(&s, script401, 1);
    pl = fake_client(&s, NULL);
    assert_int_equal(vpmu_placement_get_provider_traits(pl, UUID_A, NULL, NULL, &err), -1);
    assert_error(err, VPMU_ERR_RUNTIME, "with HTTP 401 Unauthorized: no token was sent");
    vpmu_placement_free(pl);
    fake_stop(&s);
    strv_clear(&s.requests);
}

/*
 * The overall deadline: a server that accepts and never answers gets the
 * first request for its full per-request timeout (1 s), the second for what
 * is left of the 1.5 s deadline, and no third request at all.
 */
static void
test_http_overall_deadline(void **state)
{
    (void)state;
    static const reply script[] = {{0, NULL}, {0, NULL}, {0, NULL}};
    fake_server s;
    vpmu_placement *pl;
    vpmu_error *err = NULL;

    fake_start(&s, script, ELEMENTSOF(script));
    pl = fake_client(&s, NULL);
    vpmu_placement_set_timeouts(pl, 1000, 1000);
    vpmu_placement_set_deadline(pl, 1500);
    assert_int_equal(vpmu_placement_get_provider_traits(pl, UUID_A, NULL, NULL, &err), -1);
    assert_error(err, VPMU_ERR_RUNTIME, "cannot reach Placement: GET");
    assert_int_equal(vpmu_placement_get_provider_traits(pl, UUID_A, NULL, NULL, &err), -1);
    assert_error(err, VPMU_ERR_RUNTIME, "cannot reach Placement: GET");
    /* The second request ended at the deadline, give or take a millisecond of
     * curl's timer: wait past it, so that the next one surely finds it gone. */
    usleep(100 * 1000);
    assert_int_equal(vpmu_placement_get_provider_traits(pl, UUID_A, NULL, NULL, &err), -1);
    assert_error(err, VPMU_ERR_RUNTIME, "the overall Placement deadline passed before GET '");
    /* A retry loop stops at the deadline too, without sending. */
    assert_int_equal(vpmu_placement_set_provider_trait(pl, UUID_A, VPMU_TRAIT, true, NULL, &err),
                     -1);
    assert_error(err, VPMU_ERR_RUNTIME, "the overall Placement deadline passed before GET '");
    /* A new deadline opens a new budget. */
    vpmu_placement_set_deadline(pl, 300);
    assert_int_equal(vpmu_placement_get_provider_traits(pl, UUID_A, NULL, NULL, &err), -1);
    assert_error(err, VPMU_ERR_RUNTIME, "cannot reach Placement: GET");
    vpmu_placement_free(pl);
    fake_stop(&s);
    assert_int_equal(s.requests.n, 3);
    strv_clear(&s.requests);
}

/* Candidates over HTTP: names from GET /resource_providers; an unknown trait means none fit. */
static void
test_http_candidates(void **state)
{
    (void)state;
    static const reply script[] = {
            {200, "{\"allocation_requests\": [{\"allocations\": {\"" UUID_C "\": {\"resources\": "
                  "{\"VCPU\": 2}}}}, {\"allocations\": {\"" UUID_A "\": {\"resources\": {\"VCPU\": "
                  "2}}}}], \"provider_summaries\": {}}"},
            {200, "{\"resource_providers\": [{\"uuid\": \"" UUID_A "\", \"name\": \"zeta\"}, "
                  "{\"uuid\": \"" UUID_C "\", \"name\": \"alpha\"}]}"},
            {400, "{\"errors\": [{\"status\": 400, \"title\": \"Bad Request\", \"detail\": "
                  "\"x\\n\\n No such trait(s): CUSTOM_COMPUTE_VPMU.\"}]}"},
            {404, "{\"errors\": [{\"status\": 404, \"title\": \"Not Found\"}]}"},
    };
    fake_server s;
    vpmu_placement *pl;
    vpmu_placement_candidates *c;
    vpmu_error *err = NULL;

    fake_start(&s, script, ELEMENTSOF(script));
    pl = fake_client(&s, "admin");
    c = vpmu_placement_get_candidates(pl, "VCPU=2,MEMORY_MB=512", VPMU_TRAIT, &err);
    assert_non_null(c);
    assert_int_equal(vpmu_placement_candidates_count(c), 2);
    /* Sorted by name. */
    assert_string_equal(vpmu_placement_candidates_name(c, 0), "alpha");
    assert_string_equal(vpmu_placement_candidates_uuid(c, 0), UUID_C);
    assert_string_equal(vpmu_placement_candidates_name(c, 1), "zeta");
    vpmu_placement_candidates_free(c);
    c = vpmu_placement_get_candidates(pl, "VCPU=2", VPMU_TRAIT, &err);
    assert_non_null(c);
    assert_int_equal(vpmu_placement_candidates_count(c), 0);
    assert_string_equal(vpmu_placement_candidates_missing_trait(c), VPMU_TRAIT);
    vpmu_placement_candidates_free(c);
    vpmu_placement_free(pl);
    fake_stop(&s);
    assert_non_null(strstr(s.requests.v[0], "GET /allocation_candidates?resources=VCPU:2,"
                                            "MEMORY_MB:512&required=CUSTOM_COMPUTE_VPMU "));
    assert_non_null(strstr(s.requests.v[1], "GET /resource_providers "));
    assert_non_null(strstr(s.requests.v[3], "GET /traits/CUSTOM_COMPUTE_VPMU "));
    strv_clear(&s.requests);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_traits_parse),       cmocka_unit_test(test_traits_empty),
            cmocka_unit_test(test_traits_errors),      cmocka_unit_test(test_error_bodies),
            cmocka_unit_test(test_error_bodies_odd),   cmocka_unit_test(test_candidates_flat),
            cmocka_unit_test(test_candidates_nested),  cmocka_unit_test(test_candidates_none),
            cmocka_unit_test(test_candidates_errors),  cmocka_unit_test(test_resources),
            cmocka_unit_test(test_new_and_arguments),  cmocka_unit_test(test_http_retry_once),
            cmocka_unit_test(test_http_find_provider), cmocka_unit_test(test_http_retry_gives_up),
            cmocka_unit_test(test_http_unchanged),     cmocka_unit_test(test_http_errors),
            cmocka_unit_test(test_http_candidates),    cmocka_unit_test(test_http_overall_deadline),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

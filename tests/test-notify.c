/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Notifications: the emitted message equals the shipped sample
 * (docs/notification_samples/) apart from the timestamp, message_id and host;
 * the JSON-lines file target appends whole lines; the AMQP publisher fails
 * clearly on a bad URL and on an unreachable broker.  (The samples are
 * checked against the schema by validate-notification-samples.sh, and a real
 * RabbitMQ + oslo.messaging listener by tests/integration/notify-amqp.sh.)
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "util.h"
#include "vpmu/metadata.h"
#include "vpmu/notify.h"

/* The values the samples carry where the system normally decides. */
#define SAMPLE_HOST "compute-1"
#define SAMPLE_ID "5f8c6a4e-2b1d-4c7a-9e3f-0a1b2c3d4e5f"
#define SAMPLE_TIME "2024-05-01 12:00:00.000000"

typedef struct {
    const char *sample; /* file in docs/notification_samples */
    const char *flavor; /* Nova API flavor JSON */
    const char *image;  /* Glance v2 image JSON */
    const char *domain_name;
    const char *domain_uuid;
    const char *effective;
} sample_case;

static const sample_case cases[] = {
        {
                "vpmu-guest-configure-on.json",
                "{\"flavor\": {\"name\": \"m1.small\", \"id\": \"2\", \"ram\": 2048, \"vcpus\": 1, "
                "\"extra_specs\": {}}}",
                "{\"id\": \"70a599e0-31e7-49b7-b260-868f441e862b\", \"name\": \"fedora-perf\", "
                "\"status\": \"active\", \"hw_pmu\": true, \"hw_architecture\": \"x86_64\", "
                "\"hw_machine_type\": \"q35\", \"os_distro\": \"fedora\"}",
                "perf-guest",
                "7b0c2e6a-3f4d-4e5a-8b9c-1d2e3f4a5b6c",
                "on",
        },
        {
                "vpmu-guest-configure-off.json",
                "{\"flavor\": {\"name\": \"vran.large\", \"id\": \"a1b2c3\", \"ram\": 8192, \"vcpus\": 4, "
                "\"extra_specs\": {\"hw:cpu_policy\": \"dedicated\", \"hw:pmu\": \"false\"}}}",
                "{\"id\": \"d3c1f0e2-5b6a-4c8d-9e7f-0a1b2c3d4e5f\", \"name\": \"ubuntu-vran\", "
                "\"hw_pmu\": \"false\", \"hw_architecture\": \"x86_64\"}",
                "vran-du-0",
                "2f6d1c3b-8a4e-4b7f-9c2d-5e6f7a8b9c0d",
                "off",
        },
        {
                /* Typed as Nova types them: "yes" is a boolean, "2" an integer; values the
                 * type cannot hold (hw_cpu_sockets=two, hw_boot_menu=maybe) are left out. */
                "vpmu-guest-configure-unset.json",
                "{\"flavor\": {\"name\": \"m1.tiny\", \"id\": \"1\", \"ram\": 512, \"vcpus\": 1, "
                "\"extra_specs\": {}}}",
                "{\"id\": \"0c4e2a9f-7d1b-4e3c-a5f6-8b9c0d1e2f3a\", \"name\": \"cirros\", "
                "\"hw_architecture\": \"x86_64\", \"hw_qemu_guest_agent\": \"yes\", "
                "\"hw_cpu_cores\": \"2\", \"hw_cpu_sockets\": \"two\", \"hw_boot_menu\": \"maybe\", "
                "\"hw_rng_model\": \"virtio\"}",
                "cirros-0",
                "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
                NULL,
        },
};

static char *
sample_path(const char *name)
{
    const char *src = getenv("VPMU_SRCDIR");

    if (src && *src)
        return xasprintf("%s/docs/notification_samples/%s", src, name);
    return xasprintf("%s/../../docs/notification_samples/%s", VPMU_TESTDATA, name);
}

static json_t *
load_sample(const char *name)
{
    _cleanup_free_ char *path = sample_path(name);
    json_error_t jerr;
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);

    if (!j)
        fail_msg("%s:%d: %s", path, jerr.line, jerr.text);
    return j;
}

static json_t *
parse(const char *s)
{
    json_error_t jerr;
    json_t *j = json_loads(s, JSON_REJECT_DUPLICATES, &jerr);

    if (!j)
        fail_msg("not JSON (%s): %s", jerr.text, s);
    return j;
}

/* Equal as JSON; on a difference, print both sides. */
static void
assert_json_equal(json_t *want, json_t *got)
{
    if (!json_equal(want, got)) {
        _cleanup_free_ char *w = json_dumps(want, JSON_INDENT(2) | JSON_SORT_KEYS);
        _cleanup_free_ char *g = json_dumps(got, JSON_INDENT(2) | JSON_SORT_KEYS);
        fail_msg("JSON differs\n--- want\n%s\n--- got\n%s", w, g);
    }
}

typedef struct {
    vpmu_flavor *flavor;
    vpmu_image *image;
    vpmu_decision decision;
} inputs;

static void
inputs_load(inputs *in, const sample_case *c)
{
    vpmu_error *err = NULL;

    in->flavor = vpmu_flavor_parse(c->flavor, strlen(c->flavor), "flavor.json", &err);
    if (!in->flavor)
        fail_msg("flavor: %s", vpmu_error_get_message(err));
    in->image = vpmu_image_parse(c->image, strlen(c->image), "image.json", &err);
    if (!in->image)
        fail_msg("image: %s", vpmu_error_get_message(err));
    if (vpmu_decide_for(in->flavor, in->image, &in->decision, &err) < 0)
        fail_msg("decide: %s", vpmu_error_get_message(err));
}

static void
inputs_clear(inputs *in)
{
    vpmu_flavor_free(in->flavor);
    vpmu_image_free(in->image);
}

static char *
build_case(const sample_case *c, inputs *in, const vpmu_notify_overrides *ov)
{
    vpmu_error *err = NULL;
    vpmu_notify_guest g = {
            .flavor = in->flavor,
            .image = in->image,
            .decision = &in->decision,
            .effective = c->effective,
            .domain_name = c->domain_name,
            .domain_uuid = c->domain_uuid,
    };
    char *s = vpmu_notification_build(&g, ov, &err);

    if (!s)
        fail_msg("build: %s", vpmu_error_get_message(err));
    return s;
}

/* With the three system values fixed, the message is the sample, byte for byte as JSON. */
static void
test_equals_sample_with_overrides(void **state)
{
    const sample_case *c = *state;
    vpmu_notify_overrides ov = {
            .host = SAMPLE_HOST, .message_id = SAMPLE_ID, .timestamp = SAMPLE_TIME};
    inputs in = {0};

    inputs_load(&in, c);
    _cleanup_free_ char *s = build_case(c, &in, &ov);
    json_t *got = parse(s);
    json_t *want = load_sample(c->sample);

    assert_json_equal(want, got);
    /* One line: the JSON-lines target depends on it. */
    assert_null(strchr(s, '\n'));
    json_decref(got);
    json_decref(want);
    inputs_clear(&in);
}

static bool
matches(const char *re, const char *s)
{
    regex_t r;
    int rc;

    assert_int_equal(regcomp(&r, re, REG_EXTENDED | REG_NOSUB), 0);
    rc = regexec(&r, s, 0, NULL, 0);
    regfree(&r);
    return rc == 0;
}

/*
 * Without overrides (the production path): the three system values are well
 * formed and true, and everything else equals the sample.
 */
static void
test_equals_sample_apart_from_system_values(void **state)
{
    const sample_case *c = *state;
    inputs in = {0};
    char host[HOST_NAME_MAX + 1] = {0};
    struct tm tm = {0};
    time_t before = time(NULL);

    inputs_load(&in, c);
    _cleanup_free_ char *s = build_case(c, &in, NULL);
    json_t *got = parse(s);
    json_t *want = load_sample(c->sample);
    const char *id = json_string_value(json_object_get(got, "message_id"));
    const char *ts = json_string_value(json_object_get(got, "timestamp"));
    const char *pub = json_string_value(json_object_get(got, "publisher_id"));

    assert_non_null(id);
    assert_non_null(ts);
    assert_non_null(pub);
    if (!matches("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", id))
        fail_msg("message_id '%s' is not a version 4 UUID", id);
    if (!matches("^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}$", ts))
        fail_msg("timestamp '%s' is not oslo's 'YYYY-MM-DD HH:MM:SS.ffffff'", ts);
    /* UTC and now: within a minute of the clock read just before. */
    assert_non_null(strptime(ts, "%Y-%m-%d %H:%M:%S", &tm));
    time_t when = timegm(&tm);
    if (when < before - 60 || when > before + 60)
        fail_msg("timestamp '%s' is not the current UTC time", ts);
    assert_int_equal(gethostname(host, sizeof(host) - 1), 0);
    _cleanup_free_ char *want_pub = xasprintf("vpmu:%s", host);
    assert_string_equal(pub, want_pub);

    /* Put the sample's values in, then it must be the sample. */
    json_object_set(got, "message_id", json_object_get(want, "message_id"));
    json_object_set(got, "timestamp", json_object_get(want, "timestamp"));
    json_object_set(got, "publisher_id", json_object_get(want, "publisher_id"));
    assert_json_equal(want, got);

    json_decref(got);
    json_decref(want);
    inputs_clear(&in);
}

static void
test_message_ids_differ(void **state)
{
    const sample_case *c = &cases[0];
    inputs in = {0};

    (void)state;
    inputs_load(&in, c);
    _cleanup_free_ char *a = build_case(c, &in, NULL);
    _cleanup_free_ char *b = build_case(c, &in, NULL);
    json_t *ja = parse(a), *jb = parse(b);
    assert_string_not_equal(json_string_value(json_object_get(ja, "message_id")),
                            json_string_value(json_object_get(jb, "message_id")));
    json_decref(ja);
    json_decref(jb);
    inputs_clear(&in);
}

/* hw_pmu follows the image alone: a flavor-only "off" leaves it null, pmu says off. */
static void
test_hw_pmu_is_the_image_side(void **state)
{
    static const char flavor[] = "{\"flavor\": {\"name\": \"rt\", \"extra_specs\": "
                                 "{\"hw:pmu\": \"off\"}}}";
    sample_case c = {.flavor = flavor, .image = "{\"name\": \"plain\"}"};
    inputs in = {0};

    (void)state;
    inputs_load(&in, &c);
    _cleanup_free_ char *s = build_case(&c, &in, NULL);
    json_t *got = parse(s);
    json_t *data = json_object_get(json_object_get(got, "payload"), "nova_object.data");
    json_t *props = json_object_get(
            json_object_get(json_object_get(json_object_get(json_object_get(data, "image"),
                                                            "nova_object.data"),
                                            "properties"),
                            "nova_object.data"),
            "hw_pmu");

    assert_non_null(props);
    assert_true(json_is_null(props));
    assert_string_equal(json_string_value(json_object_get(data, "pmu")), "off");
    assert_string_equal(json_string_value(json_object_get(data, "pmu_source")), "flavor");
    /* ram and vcpus not given: null, not 0. */
    json_t *fd = json_object_get(json_object_get(data, "flavor"), "nova_object.data");
    assert_true(json_is_null(json_object_get(fd, "memory_mb")));
    assert_true(json_is_null(json_object_get(fd, "vcpus")));
    assert_string_equal(
            json_string_value(json_object_get(json_object_get(fd, "extra_specs"), "hw:pmu")),
            "off");
    json_decref(got);
    inputs_clear(&in);
}

static void
test_no_flavor_no_image(void **state)
{
    vpmu_decision d = {.pmu = VPMU_PMU_UNSET, .source = VPMU_SOURCE_NONE};
    vpmu_notify_guest g = {.decision = &d};
    vpmu_error *err = NULL;

    (void)state;
    _cleanup_free_ char *s = vpmu_notification_build(&g, NULL, &err);
    assert_non_null(s);
    json_t *got = parse(s);
    json_t *data = json_object_get(json_object_get(got, "payload"), "nova_object.data");
    assert_true(json_is_null(json_object_get(data, "domain_name")));
    assert_true(json_is_null(json_object_get(data, "effective_pmu")));
    json_t *fd = json_object_get(json_object_get(data, "flavor"), "nova_object.data");
    assert_true(json_is_null(json_object_get(fd, "name")));
    assert_int_equal(json_object_size(json_object_get(fd, "extra_specs")), 0);
    json_decref(got);
}

static void
test_needs_a_decision(void **state)
{
    vpmu_notify_guest g = {.domain_name = "x"};
    vpmu_decision bad = {.pmu = (vpmu_pmu)42};
    vpmu_error *err = NULL;

    (void)state;
    assert_null(vpmu_notification_build(&g, NULL, &err));
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_USAGE);
    vpmu_error_free(TAKE_PTR(err));
    assert_null(vpmu_notification_build(NULL, NULL, &err));
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_USAGE);
    vpmu_error_free(TAKE_PTR(err));
    g.decision = &bad;
    assert_null(vpmu_notification_build(&g, NULL, &err));
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_USAGE);
    vpmu_error_free(err);
}

static void
test_invalid_utf8_is_an_error(void **state)
{
    vpmu_flavor *f = vpmu_flavor_new("f");
    vpmu_decision d = {0};
    vpmu_notify_guest g = {.flavor = f, .decision = &d};
    vpmu_error *err = NULL;

    (void)state;
    vpmu_flavor_set_spec(f, "note", "caf\xe9");
    assert_null(vpmu_notification_build(&g, NULL, &err));
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_INVALID);
    vpmu_error_free(err);
    vpmu_flavor_free(f);
}

static char *
read_all(const char *path)
{
    char *buf = NULL;
    size_t len = 0;
    vpmu_error *err = NULL;

    if (vpmu_read_file(path, 1 << 20, &buf, &len, &err) < 0)
        fail_msg("%s", vpmu_error_get_message(err));
    return buf;
}

/* The file target appends whole lines and keeps what was there. */
static void
test_write_appends_lines(void **state)
{
    char dir[] = "/tmp/vpmu-test-notify-XXXXXX";
    vpmu_error *err = NULL;

    (void)state;
    assert_non_null(mkdtemp(dir));
    _cleanup_free_ char *path = xasprintf("%s/n.jsonl", dir);
    FILE *f = fopen(path, "we");
    assert_non_null(f);
    fputs("{\"earlier\": true}\n", f);
    fclose(f);

    assert_int_equal(vpmu_notification_write(path, "{\"n\":1}", &err), 0);
    assert_int_equal(vpmu_notification_write(path, "{\"n\":2}", &err), 0);
    _cleanup_free_ char *got = read_all(path);
    assert_string_equal(got, "{\"earlier\": true}\n{\"n\":1}\n{\"n\":2}\n");

    /* A directory that does not exist: a runtime error naming the path. */
    _cleanup_free_ char *missing = xasprintf("%s/no/such/dir/n.jsonl", dir);
    assert_int_equal(vpmu_notification_write(missing, "{}", &err), -1);
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_RUNTIME);
    assert_non_null(strstr(vpmu_error_get_message(err), missing));
    vpmu_error_free(err);

    unlink(path);
    rmdir(dir);
}

/* "-" is standard output. */
static void
test_write_stdout(void **state)
{
    char tmpl[] = "/tmp/vpmu-test-notify-out-XXXXXX";
    vpmu_error *err = NULL;
    int fd = mkostemp(tmpl, O_CLOEXEC);
    int saved = dup(STDOUT_FILENO);

    (void)state;
    assert_true(fd >= 0 && saved >= 0);
    fflush(stdout);
    assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
    int r = vpmu_notification_write("-", "{\"to\":\"stdout\"}", &err);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    close(fd);
    assert_int_equal(r, 0);
    _cleanup_free_ char *got = read_all(tmpl);
    assert_string_equal(got, "{\"to\":\"stdout\"}\n");
    unlink(tmpl);
}

static void
test_target_kinds(void **state)
{
    (void)state;
    assert_true(vpmu_notify_target_is_amqp("amqp://guest:guest@127.0.0.1:5672/"));
    assert_true(vpmu_notify_target_is_amqp("amqps://broker/"));
    assert_false(vpmu_notify_target_is_amqp("-"));
    assert_false(vpmu_notify_target_is_amqp("amqp.jsonl"));
    assert_false(vpmu_notify_target_is_amqp("/var/log/amqp://x"));
    assert_false(vpmu_notify_target_is_amqp(NULL));
}

/*
 * The AMQP publisher (libvpmu-virt) without a broker: usage errors for URLs
 * it cannot use, never echoing a password; a runtime error, promptly, for a
 * port where nothing listens.
 */
static void
test_amqp_errors(void **state)
{
    vpmu_error *err = NULL;
    vpmu_amqp_options o = {.timeout_ms = 2000};

    (void)state;
    assert_int_equal(vpmu_notification_publish_amqp("amqp://u:s3cret@h:abc/", "{}", &o, &err), -1);
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_USAGE);
    assert_null(strstr(vpmu_error_get_message(err), "s3cret"));
    vpmu_error_free(TAKE_PTR(err));

    /* A CA file belongs to amqps:// only. */
    o.ca_file = VPMU_TESTDATA "/notify/none.pem";
    assert_int_equal(vpmu_notification_publish_amqp("amqp://u:s3cret@127.0.0.1:9/", "{}", &o, &err),
                     -1);
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_USAGE);
    assert_non_null(strstr(vpmu_error_get_message(err), "only used with amqps://"));
    vpmu_error_free(TAKE_PTR(err));
    /* amqps://: a CA file that cannot be read is said before connecting. */
    assert_int_equal(
            vpmu_notification_publish_amqp("amqps://u:s3cret@127.0.0.1:9/", "{}", &o, &err), -1);
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_RUNTIME);
    if (!strstr(vpmu_error_get_message(err), "cannot read the CA file '") ||
        !strstr(vpmu_error_get_message(err), "No such file or directory"))
        fail_msg("unclear message: %s", vpmu_error_get_message(err));
    vpmu_error_free(TAKE_PTR(err));
    o.ca_file = NULL;
    /* amqps:// with the system's CAs, nothing listening: the reason, no password. */
    assert_int_equal(
            vpmu_notification_publish_amqp("amqps://u:s3cret@127.0.0.1:9/", "{}", &o, &err), -1);
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_RUNTIME);
    assert_null(strstr(vpmu_error_get_message(err), "s3cret"));
    if (!strstr(vpmu_error_get_message(err),
                "cannot reach the AMQP broker at 'amqps://u@127.0.0.1:9/': Connection refused"))
        fail_msg("unclear message: %s", vpmu_error_get_message(err));
    vpmu_error_free(TAKE_PTR(err));

    assert_int_equal(
            vpmu_notification_publish_amqp("amqp://u:s3cret@127.0.0.1:9/", "{\"a\":1}", &o, &err),
            -1);
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_RUNTIME);
    const char *m = vpmu_error_get_message(err);
    assert_null(strstr(m, "s3cret"));
    if (!strstr(m, "cannot reach the AMQP broker at 'amqp://u@127.0.0.1:9/'"))
        fail_msg("unclear message: %s", m);
    vpmu_error_free(TAKE_PTR(err));

    /* Not JSON: refused before connecting. */
    assert_int_equal(vpmu_notification_publish_amqp("amqp://127.0.0.1:9/", "nope", &o, &err), -1);
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_INVALID);
    vpmu_error_free(err);
}

int
main(void)
{
    static char names[ELEMENTSOF(cases)][128];
    struct CMUnitTest tests[2 * ELEMENTSOF(cases) + 10];
    size_t n = 0;

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        tests[n] = (struct CMUnitTest){.name = cases[i].sample,
                                       .test_func = test_equals_sample_with_overrides,
                                       .initial_state = (void *)&cases[i]};
        n++;
        snprintf(names[i], sizeof(names[i]), "%s (system values)", cases[i].sample);
        tests[n] = (struct CMUnitTest){.name = names[i],
                                       .test_func = test_equals_sample_apart_from_system_values,
                                       .initial_state = (void *)&cases[i]};
        n++;
    }
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_message_ids_differ);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_hw_pmu_is_the_image_side);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_no_flavor_no_image);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_needs_a_decision);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_invalid_utf8_is_an_error);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_write_appends_lines);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_write_stdout);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_target_kinds);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_amqp_errors);
    return _cmocka_run_group_tests("notify", tests, n, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The libvirt adapter on libvirt's real, in-process test:///default driver.
 * Every test opens its own connection; the driver state lives as long as it.
 */
#include "config.h"

#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cmocka.h>
#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "cleanup.h"
#include "util.h"
#include "vpmu/domxml.h"
#include "vpmu/virt.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(vpmu_conn *, vpmu_conn_close)

static vpmu_conn *
open_test(void)
{
    vpmu_error *err = NULL;
    vpmu_conn *c = vpmu_conn_open("test:///default", &err);
    if (!c)
        fail_msg("%s", vpmu_error_get_message(err));
    return c;
}

static vpmu_pmu
pmu_of_xml(const char *xml)
{
    _cleanup_(vpmu_domxml_freep) vpmu_domxml *d = vpmu_domxml_parse(xml, strlen(xml), "t", NULL);
    assert_non_null(d);
    return vpmu_domxml_get_pmu(d);
}

/*
 * Canonical form of @xml with every <pmu> element removed, and <features>
 * too when that leaves it empty (libvirt formats no empty <features>).
 */
static char *
canonical_without_pmu(const char *xml)
{
    xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "t.xml", NULL, XML_PARSE_NONET);
    xmlChar *out = NULL;
    xmlNodePtr feat;
    char *r;

    assert_non_null(doc);
    for (feat = xmlDocGetRootElement(doc)->children; feat; feat = feat->next) {
        if (feat->type != XML_ELEMENT_NODE || !xmlStrEqual(feat->name, BAD_CAST "features"))
            continue;
        for (xmlNodePtr n = feat->children, next; n; n = next) {
            next = n->next;
            if (n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, BAD_CAST "pmu")) {
                /* drop the indentation before it too, so both sides compare equal */
                if (n->prev && n->prev->type == XML_TEXT_NODE) {
                    xmlNodePtr ws = n->prev;
                    xmlUnlinkNode(ws);
                    xmlFreeNode(ws);
                }
                xmlUnlinkNode(n);
                xmlFreeNode(n);
            }
        }
        bool empty = true;
        for (xmlNodePtr n = feat->children; n; n = n->next)
            if (n->type == XML_ELEMENT_NODE)
                empty = false;
        if (empty) {
            xmlNodePtr prev = feat->prev;
            if (prev && prev->type == XML_TEXT_NODE) {
                xmlUnlinkNode(prev);
                xmlFreeNode(prev);
            }
            xmlUnlinkNode(feat);
            xmlFreeNode(feat);
            break;
        }
    }
    assert_true(xmlC14NDocDumpMemory(doc, NULL, XML_C14N_1_0, NULL, 1, &out) >= 0);
    r = xstrdup((const char *)out);
    xmlFree(out);
    xmlFreeDoc(doc);
    return r;
}

static void
test_open_and_identity(void **state)
{
    (void)state;
    _cleanup_(vpmu_conn_closep) vpmu_conn *c = open_test();
    unsigned long lv = 0, hv = 0;

    assert_string_equal(vpmu_conn_get_uri(c), "test:///default");
    assert_string_equal(vpmu_conn_get_driver(c), "TEST");
    assert_int_equal(vpmu_conn_get_versions(c, &lv, &hv, NULL), 0);
    assert_true(lv >= 7000000); /* libvirt >= 7.0 is required by the build */
}

static void
test_open_failure_is_clear(void **state)
{
    (void)state;
    _cleanup_error_ vpmu_error *err = NULL;
    vpmu_conn *c = vpmu_conn_open("qemu+tcp://127.0.0.1:9/system", &err);

    assert_null(c);
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_RUNTIME);
    assert_non_null(strstr(vpmu_error_get_message(err),
                           "cannot connect to 'qemu+tcp://127.0.0.1:9/system'"));
}

/* libvirt's part of a message too: no control character, no password (issue 10 item 9). */
static void
test_open_failure_escaped_and_masked(void **state)
{
    (void)state;
    _cleanup_error_ vpmu_error *err = NULL;
    vpmu_conn *c =
            vpmu_conn_open("qemu+tcp://user:s3cret@127.0.0.1:9/sys\x1b[31mtem\nx\xc2\x9b", &err);
    const char *m;

    assert_null(c);
    m = vpmu_error_get_message(err);
    /* libvirt repeats the URI it could not parse: both copies are masked and escaped. */
    assert_null(strstr(m, "s3cret"));
    assert_non_null(
            strstr(m, "cannot connect to 'qemu+tcp://user:***@127.0.0.1:9/sys\\x1b[31mtem"));
    assert_non_null(strstr(m + 20, "user:***@"));
    for (const unsigned char *p = (const unsigned char *)m; *p; p++) {
        assert_true(*p >= 0x20 && *p != 0x7f);
        assert_false(p[0] == 0xc2 && p[1] == 0x9b);
    }
}

static void
test_defaults_from_capabilities(void **state)
{
    (void)state;
    _cleanup_(vpmu_conn_closep) vpmu_conn *c = open_test();
    _cleanup_free_ char *arch = vpmu_conn_get_host_arch(c, NULL);
    _cleanup_free_ char *vt = vpmu_conn_default_virt_type(c, "x86_64", NULL);
    _cleanup_error_ vpmu_error *err = NULL;
    struct utsname u;

    /* The test driver's host is a fake i686; vpmu means the machine it runs on. */
    assert_int_equal(uname(&u), 0);
    assert_non_null(arch);
    assert_string_equal(arch, STREQ(u.machine, "arm64") ? "aarch64" : u.machine);
    /* The test driver offers only its own 'test' domain type, never kvm. */
    assert_string_equal(vt, "qemu");
    /* Hostile arch names never reach the XPath expression. */
    assert_null(vpmu_conn_default_virt_type(c, "x86_64' or '1'='1", &err));
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_USAGE);
}

static char *
build_guest(const char *name, vpmu_pmu pmu)
{
    vpmu_guest_spec s = {
            .name = name,
            .arch = "x86_64",
            .virt_type = "qemu",
            .memory_mib = 256,
            .vcpus = 1,
            .pmu = pmu,
    };
    _cleanup_(vpmu_domxml_freep) vpmu_domxml *d = NULL;
    vpmu_error *err = NULL;
    char *xml = NULL;

    d = vpmu_domxml_build(&s, &err);
    if (!d)
        fail_msg("%s", vpmu_error_get_message(err));
    assert_int_equal(vpmu_domxml_format(d, &xml, NULL, NULL), 0);
    return xml;
}

static void
test_define_start_each_state(void **state)
{
    (void)state;
    _cleanup_(vpmu_conn_closep) vpmu_conn *c = open_test();
    static const vpmu_pmu states[] = {VPMU_PMU_ON, VPMU_PMU_OFF, VPMU_PMU_UNSET};

    for (size_t i = 0; i < ELEMENTSOF(states); i++) {
        _cleanup_free_ char *name = xasprintf("g-%s", vpmu_pmu_to_string(states[i]));
        _cleanup_free_ char *xml = build_guest(name, states[i]);
        _cleanup_free_ char *uuid = NULL;
        _cleanup_free_ char *back = NULL;
        vpmu_error *err = NULL;

        if (vpmu_guest_define(c, xml, true, &uuid, &err) < 0)
            fail_msg("%s", vpmu_error_get_message(err));
        assert_int_equal(strlen(uuid), 36);
        back = vpmu_domain_get_xml(c, name, false, NULL);
        assert_non_null(back);
        assert_non_null(strstr(back, " id=")); /* running: the live XML has an id */
        assert_int_equal(pmu_of_xml(back), states[i]);
        /* and by UUID too */
        free(back);
        back = vpmu_domain_get_xml(c, uuid, true, NULL);
        assert_non_null(back);
    }
}

static void
test_define_refuses_existing_name(void **state)
{
    (void)state;
    _cleanup_(vpmu_conn_closep) vpmu_conn *c = open_test();
    _cleanup_free_ char *xml = build_guest("test", VPMU_PMU_ON); /* 'test' ships with the driver */
    _cleanup_free_ char *before = vpmu_domain_get_xml(c, "test", true, NULL);
    _cleanup_free_ char *after = NULL;
    _cleanup_error_ vpmu_error *err = NULL;

    assert_int_equal(vpmu_guest_define(c, xml, false, NULL, &err), -1);
    assert_non_null(strstr(vpmu_error_get_message(err), "already exists"));
    after = vpmu_domain_get_xml(c, "test", true, NULL);
    assert_string_equal(before, after);
}

static void
test_define_invalid_is_not_left_behind(void **state)
{
    (void)state;
    _cleanup_(vpmu_conn_closep) vpmu_conn *c = open_test();
    /* Schema-valid for our parser, invalid for libvirt's RNG: an unknown element. */
    const char *bad = "<domain type='qemu'><name>bad</name><memory>1024</memory>"
                      "<os><type arch='x86_64'>hvm</type></os><bogus/></domain>";
    _cleanup_error_ vpmu_error *err = NULL;
    _cleanup_error_ vpmu_error *err2 = NULL;

    assert_int_equal(vpmu_guest_define(c, bad, true, NULL, &err), -1);
    assert_non_null(strstr(vpmu_error_get_message(err), "cannot define the guest"));
    assert_null(vpmu_domain_get_xml(c, "bad", true, &err2));
}

static void
test_apply_changes_only_pmu(void **state)
{
    (void)state;
    _cleanup_(vpmu_conn_closep) vpmu_conn *c = open_test();
    _cleanup_free_ char *before = vpmu_domain_get_xml(c, "test", true, NULL);
    static const vpmu_pmu seq[] = {VPMU_PMU_OFF, VPMU_PMU_ON, VPMU_PMU_UNSET};
    vpmu_pmu prev = VPMU_PMU_UNSET;

    assert_non_null(before);
    assert_int_equal(pmu_of_xml(before), VPMU_PMU_UNSET);
    for (size_t i = 0; i < ELEMENTSOF(seq); i++) {
        vpmu_apply_result res = {0};
        vpmu_error *err = NULL;
        _cleanup_free_ char *after = NULL;
        _cleanup_free_ char *ca = NULL, *cb = NULL;

        if (vpmu_domain_apply_pmu(c, "test", seq[i], &res, &err) < 0)
            fail_msg("%s", vpmu_error_get_message(err));
        assert_true(res.changed);
        assert_int_equal(res.previous, prev);
        assert_true(res.active); /* the driver's 'test' domain runs */
        after = vpmu_domain_get_xml(c, "test", true, NULL);
        assert_int_equal(pmu_of_xml(after), seq[i]);
        ca = canonical_without_pmu(before);
        cb = canonical_without_pmu(after);
        assert_string_equal(ca, cb);
        prev = seq[i];
    }
}

static void
test_apply_idempotent_and_missing(void **state)
{
    (void)state;
    _cleanup_(vpmu_conn_closep) vpmu_conn *c = open_test();
    vpmu_apply_result res = {0};
    _cleanup_error_ vpmu_error *err = NULL;

    assert_int_equal(vpmu_domain_apply_pmu(c, "test", VPMU_PMU_ON, &res, NULL), 0);
    assert_true(res.changed);
    assert_int_equal(vpmu_domain_apply_pmu(c, "test", VPMU_PMU_ON, &res, NULL), 0);
    assert_false(res.changed);
    assert_int_equal(res.previous, VPMU_PMU_ON);

    assert_int_equal(vpmu_domain_apply_pmu(c, "no-such-domain", VPMU_PMU_ON, &res, &err), -1);
    assert_non_null(strstr(vpmu_error_get_message(err), "no domain 'no-such-domain'"));
}

/*
 * A TCP server on 127.0.0.1 that accepts (the kernel completes the handshake
 * into the backlog) and never speaks: libvirt's remote driver then waits in
 * virConnectOpen() for the answer to its first call, for ever.  *port gets
 * its port; close the socket to end it (the queued connections are reset).
 */
static int
silent_listener(int *port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fd, 16), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

/*
 * A server that never answers: the bounded open returns at its deadline
 * with the documented message (URI quoted, password masked), instead of
 * blocking; the thread left inside libvirt ends when the server goes away.
 * (That it returns at all is the test: without a deadline this hangs until
 * the test's own timeout.)
 */
static void
test_bounded_open_silent_server(void **state)
{
    (void)state;
    _cleanup_error_ vpmu_error *err = NULL;
    _cleanup_error_ vpmu_error *err2 = NULL;
    _cleanup_free_ char *uri = NULL;
    _cleanup_free_ char *secret_uri = NULL;
    _cleanup_free_ char *want = NULL;
    int port, fd = silent_listener(&port);

    uri = xasprintf("qemu+tcp://127.0.0.1:%d/system", port);
    assert_null(vpmu_conn_open_bounded(uri, 0, 1, &err));
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_RUNTIME);
    want = xasprintf("cannot connect to '%s': no answer within 1 s", uri);
    assert_string_equal(vpmu_error_get_message(err), want);

    /* Read-only too, and the password never shown. */
    secret_uri = xasprintf("qemu+tcp://admin:s3cret@127.0.0.1:%d/system", port);
    assert_null(vpmu_conn_open_bounded(secret_uri, VPMU_CONN_OPEN_READ_ONLY, 1, &err2));
    free(want);
    want = xasprintf("cannot connect to 'qemu+tcp://admin:***@127.0.0.1:%d/system': no answer "
                     "within 1 s",
                     port);
    assert_string_equal(vpmu_error_get_message(err2), want);
    assert_null(strstr(vpmu_error_get_message(err2), "s3cret"));
    /* The abandoned opens fail now (connection reset) and free what they hold. */
    close(fd);
}

/* Within the deadline it is vpmu_conn_open(): the same connection, the same errors. */
static void
test_bounded_open_answers(void **state)
{
    (void)state;
    _cleanup_error_ vpmu_error *err = NULL;
    _cleanup_free_ char *xml = build_guest("bounded-ro", VPMU_PMU_ON);
    vpmu_conn *c = vpmu_conn_open_bounded("test:///default", 0, 5, &err);

    if (!c)
        fail_msg("%s", vpmu_error_get_message(err));
    assert_string_equal(vpmu_conn_get_uri(c), "test:///default");
    assert_string_equal(vpmu_conn_get_driver(c), "TEST");
    vpmu_conn_close(c);

    /* VPMU_CONN_OPEN_READ_ONLY really is read-only: libvirt refuses a definition. */
    c = vpmu_conn_open_bounded("test:///default", VPMU_CONN_OPEN_READ_ONLY, 0, &err);
    if (!c)
        fail_msg("%s", vpmu_error_get_message(err));
    assert_int_equal(vpmu_guest_define(c, xml, false, NULL, &err), -1);
    assert_non_null(strstr(vpmu_error_get_message(err), "cannot define the guest"));
    vpmu_conn_close(c);
    vpmu_error_free(TAKE_PTR(err));

    /* A refusal within the deadline is libvirt's own error, as from vpmu_conn_open(). */
    assert_null(vpmu_conn_open_bounded("qemu+tcp://127.0.0.1:9/system", 0, 5, &err));
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_RUNTIME);
    assert_non_null(strstr(vpmu_error_get_message(err),
                           "cannot connect to 'qemu+tcp://127.0.0.1:9/system': "));
    assert_null(strstr(vpmu_error_get_message(err), "no answer within"));
}

static void
test_bounded_open_refuses_bad_arguments(void **state)
{
    (void)state;
    _cleanup_error_ vpmu_error *err = NULL;
    _cleanup_error_ vpmu_error *err2 = NULL;

    assert_null(vpmu_conn_open_bounded("test:///default", 1u << 7, 5, &err));
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_USAGE);
    assert_string_equal(vpmu_error_get_message(err), "unknown vpmu_conn_open_bounded() flags 0x80");
    assert_null(vpmu_conn_open_bounded("test:///default", 0, VPMU_CONN_MAX_TIMEOUT + 1, &err2));
    assert_int_equal(vpmu_error_get_code(err2), VPMU_ERR_USAGE);
    assert_string_equal(vpmu_error_get_message(err2),
                        "a connection timeout of 86401 s is over the 86400 s maximum");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_open_and_identity),
            cmocka_unit_test(test_open_failure_is_clear),
            cmocka_unit_test(test_open_failure_escaped_and_masked),
            cmocka_unit_test(test_defaults_from_capabilities),
            cmocka_unit_test(test_define_start_each_state),
            cmocka_unit_test(test_define_refuses_existing_name),
            cmocka_unit_test(test_define_invalid_is_not_left_behind),
            cmocka_unit_test(test_apply_changes_only_pmu),
            cmocka_unit_test(test_apply_idempotent_and_missing),
            cmocka_unit_test(test_bounded_open_silent_server),
            cmocka_unit_test(test_bounded_open_answers),
            cmocka_unit_test(test_bounded_open_refuses_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The audit module on libvirt's real test driver: test:///default, a node
 * file written here (test:///ABSOLUTE/PATH.xml), and URIs that cannot open.
 * The CLI and the 10,000-domain run are tests/test-audit-cli.py.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "util.h"
#include "vpmu/audit.h"
#include "vpmu/explain.h"
#include "vpmu/hostcaps.h"
#include "vpmu/virt.h"

#define NOVA_NS "http://openstack.org/xmlns/libvirt/nova/1.1"
#define TEST_NS "http://libvirt.org/schemas/domain/test/1.0"

/* A small node: one domain per interesting case. */
static const char node_xml[] =
        "<node>\n"
        "<domain type='kvm' xmlns:test='" TEST_NS "'>\n"
        "  <name>on-hp</name><uuid>00000000-0000-4000-8000-000000000001</uuid>\n"
        "  <metadata><nova:instance xmlns:nova='" NOVA_NS "'>\n"
        "    <nova:name>web \"1\"</nova:name><nova:flavor name='m1.small'/>\n"
        "  </nova:instance></metadata>\n"
        "  <memory>524288</memory>\n"
        "  <os><type arch='x86_64' machine='q35'>hvm</type></os>\n"
        "  <features><acpi/><pmu state='on'/></features>\n"
        "  <cpu mode='host-passthrough'/>\n"
        "</domain>\n"
        "<domain type='kvm' xmlns:test='" TEST_NS "'>\n"
        "  <name>off-custom</name><uuid>00000000-0000-4000-8000-000000000002</uuid>\n"
        "  <memory>524288</memory>\n"
        "  <os><type arch='x86_64' machine='q35'>hvm</type></os>\n"
        "  <features><pmu state='off'/></features>\n"
        "  <cpu mode='custom'><model>Skylake-Client</model></cpu>\n"
        "  <test:runstate>5</test:runstate>\n"
        "</domain>\n"
        "<domain type='qemu' xmlns:test='" TEST_NS "'>\n"
        "  <name>unset-tcg</name><uuid>00000000-0000-4000-8000-000000000003</uuid>\n"
        "  <memory>524288</memory>\n"
        "  <os><type arch='x86_64' machine='q35'>hvm</type></os>\n"
        "  <test:runstate>3</test:runstate>\n"
        "</domain>\n"
        "<domain type='kvm' xmlns:test='" TEST_NS "'>\n"
        "  <name>bare-arm</name><uuid>00000000-0000-4000-8000-000000000004</uuid>\n"
        "  <memory>524288</memory>\n"
        "  <os><type arch='aarch64' machine='virt'>hvm</type></os>\n"
        "  <features><pmu/></features>\n"
        "  <cpu mode='custom'><model>cortex-a57</model></cpu>\n"
        "</domain>\n"
        "</node>\n";

static char tmpdir[64];
static char node_uri[256];

static int
setup_node(void **state)
{
    (void)state;
    char path[128];
    FILE *f;

    snprintf(tmpdir, sizeof(tmpdir), "/tmp/vpmu-test-audit-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(path, sizeof(path), "%s/node.xml", tmpdir);
    f = fopen(path, "we");
    if (!f)
        return -1;
    fputs(node_xml, f);
    if (fclose(f) != 0)
        return -1;
    snprintf(node_uri, sizeof(node_uri), "test://%s", path);
    return 0;
}

static int
teardown_node(void **state)
{
    (void)state;
    char path[128];

    snprintf(path, sizeof(path), "%s/node.xml", tmpdir);
    unlink(path);
    rmdir(tmpdir);
    return 0;
}

/* What the callback saw, copied out (event pointers are borrowed). */
typedef struct {
    char *uri, *name, *uuid, *state, *arch, *virt_type, *cpu_mode, *cpu_model;
    char *nova_name, *nova_flavor, *rule;
    vpmu_pmu pmu;
    vpmu_effective effective;
    bool pending_restart;
    vpmu_pmu pending;
} seen_domain;

typedef struct {
    char *uri;
    bool reachable, host_probed, up, timed_out;
    size_t pending_restart;
    size_t domains, skipped;
    size_t pmu[VPMU_PMU_LAST];
    size_t effective[VPMU_EFFECTIVE_LAST];
    char *error;
    char *driver;
} seen_host;

typedef struct {
    seen_domain dom[64];
    size_t n_dom;
    seen_host host[8];
    size_t n_host;
    char *skipped[64];
    size_t n_skipped;
    atomic_int inside; /* callbacks running right now */
    bool overlapped;   /* two ran at once */
    int stop_after;    /* return -1 after this many domain events (0: never) */
    size_t events_after_stop;
    virConnectPtr side; /* for the vanishing test */
} collector;

static char *
dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static int
collect(const vpmu_audit_event *ev, void *opaque)
{
    collector *c = opaque;
    int ret = 0;

    if (atomic_fetch_add(&c->inside, 1) != 0)
        c->overlapped = true;
    usleep(2000); /* widen the window a concurrent call would fall into */

    switch (ev->kind) {
    case VPMU_AUDIT_EVENT_DOMAIN: {
        const vpmu_audit_domain *d = ev->domain;
        assert_true(c->n_dom < ELEMENTSOF(c->dom));
        seen_domain *s = &c->dom[c->n_dom++];
        assert_ptr_equal(ev->uri, d->uri);
        s->uri = xstrdup(d->uri);
        s->name = dup_or_null(d->info->name);
        s->uuid = dup_or_null(d->info->uuid);
        s->state = xstrdup(d->state);
        s->arch = dup_or_null(d->info->arch);
        s->virt_type = dup_or_null(d->info->virt_type);
        s->cpu_mode = dup_or_null(d->info->cpu_mode);
        s->cpu_model = dup_or_null(d->info->cpu_model);
        s->nova_name = dup_or_null(d->info->nova_name);
        s->nova_flavor = dup_or_null(d->info->nova_flavor);
        s->rule = dup_or_null(vpmu_explanation_get_rule(d->explanation));
        s->pmu = d->info->pmu;
        s->effective = d->effective;
        s->pending_restart = d->pending_restart;
        s->pending = d->pending;
        assert_int_equal(d->effective, vpmu_explanation_get_state(d->explanation));
        if (c->stop_after && (int)c->n_dom >= c->stop_after)
            ret = -1;
        if (c->side && c->n_dom == 1) {
            /* Make every other domain disappear while the audit is on this one. */
            virDomainPtr *doms = NULL;
            int n = virConnectListAllDomains(c->side, &doms, 0);
            assert_true(n >= 0);
            for (int i = 0; i < n; i++) {
                if (!STREQ(virDomainGetName(doms[i]), d->info->name)) {
                    if (virDomainIsActive(doms[i]) == 1)
                        assert_int_equal(virDomainDestroy(doms[i]), 0);
                    assert_int_equal(virDomainUndefine(doms[i]), 0);
                }
                virDomainFree(doms[i]);
            }
            free(doms);
        }
        break;
    }
    case VPMU_AUDIT_EVENT_SKIPPED:
        assert_non_null(ev->error);
        assert_true(c->n_skipped < ELEMENTSOF(c->skipped));
        c->skipped[c->n_skipped++] = xstrdup(vpmu_error_get_message(ev->error));
        break;
    case VPMU_AUDIT_EVENT_HOST: {
        const vpmu_audit_host *h = ev->host;
        assert_true(c->n_host < ELEMENTSOF(c->host));
        seen_host *s = &c->host[c->n_host++];
        s->uri = xstrdup(h->uri);
        s->reachable = h->reachable;
        s->up = h->up;
        s->timed_out = h->timed_out;
        s->pending_restart = h->pending_restart;
        s->host_probed = h->host_probed;
        s->domains = h->domains;
        s->skipped = h->skipped;
        memcpy(s->pmu, h->pmu, sizeof(s->pmu));
        memcpy(s->effective, h->effective, sizeof(s->effective));
        s->error = h->error ? xstrdup(vpmu_error_get_message(h->error)) : NULL;
        s->driver = dup_or_null(h->driver);
        break;
    }
    }
    atomic_fetch_sub(&c->inside, 1);
    return ret;
}

static void
collector_clear(collector *c)
{
    for (size_t i = 0; i < c->n_dom; i++) {
        seen_domain *s = &c->dom[i];
        free(s->uri), free(s->name), free(s->uuid), free(s->state), free(s->arch);
        free(s->virt_type), free(s->cpu_mode), free(s->cpu_model), free(s->nova_name);
        free(s->nova_flavor), free(s->rule);
    }
    for (size_t i = 0; i < c->n_host; i++)
        free(c->host[i].uri), free(c->host[i].error), free(c->host[i].driver);
    for (size_t i = 0; i < c->n_skipped; i++)
        free(c->skipped[i]);
    c->n_dom = c->n_host = c->n_skipped = 0;
    c->overlapped = false;
}

static const seen_domain *
find_dom(const collector *c, const char *uri, const char *name)
{
    for (size_t i = 0; i < c->n_dom; i++)
        if (STREQ(c->dom[i].uri, uri) && STREQ_NULLABLE(c->dom[i].name, name))
            return &c->dom[i];
    fail_msg("domain '%s' on '%s' was not reported", name, uri);
    abort(); /* fail_msg() does not return */
}

static const seen_host *
find_host(const collector *c, const char *uri)
{
    for (size_t i = 0; i < c->n_host; i++)
        if (STREQ(c->host[i].uri, uri))
            return &c->host[i];
    fail_msg("no host event for '%s'", uri);
    abort();
}

static void
test_uri_is_local(void **state)
{
    (void)state;
    assert_true(vpmu_audit_uri_is_local("qemu:///system"));
    assert_true(vpmu_audit_uri_is_local("qemu:///session"));
    assert_true(vpmu_audit_uri_is_local("qemu+unix:///system"));
    assert_true(vpmu_audit_uri_is_local("qemu+unix:///system?socket=/run/x.sock"));
    assert_false(vpmu_audit_uri_is_local("qemu+ssh://host/system"));
    assert_false(vpmu_audit_uri_is_local("qemu+tcp://127.0.0.1:9/system"));
    assert_false(vpmu_audit_uri_is_local("qemu://host/system"));
    assert_false(vpmu_audit_uri_is_local("test:///default"));
    assert_false(vpmu_audit_uri_is_local("qemux:///system"));
    assert_false(vpmu_audit_uri_is_local("qemu"));
    assert_false(vpmu_audit_uri_is_local(NULL));
}

static void
test_bad_arguments(void **state)
{
    (void)state;
    collector c = {0};
    vpmu_error *err = NULL;
    const char *empty[] = {""};
    const char *one[] = {"test:///default"};

    assert_int_equal(vpmu_audit_run(one, 0, NULL, collect, &c, NULL, &err), -1);
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_USAGE);
    vpmu_error_free(err);
    err = NULL;
    assert_int_equal(vpmu_audit_run(empty, 1, NULL, collect, &c, NULL, &err), -1);
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_USAGE);
    vpmu_error_free(err);
    assert_int_equal(c.n_dom + c.n_host, 0);
}

static void
test_default_driver(void **state)
{
    (void)state;
    collector c = {0};
    vpmu_audit_totals t;
    vpmu_error *err = NULL;
    const char *uris[] = {"test:///default"};

    assert_int_equal(vpmu_audit_run(uris, 1, NULL, collect, &c, &t, &err), 0);
    assert_null(err);
    /* test:///default has exactly one running domain, "test", with no <pmu>. */
    assert_int_equal(c.n_dom, 1);
    assert_string_equal(c.dom[0].name, "test");
    assert_string_equal(c.dom[0].state, "running");
    assert_int_equal(c.dom[0].pmu, VPMU_PMU_UNSET);
    assert_int_equal(c.n_host, 1);
    assert_true(c.host[0].reachable);
    assert_false(c.host[0].host_probed); /* the test driver is no local host */
    assert_string_equal(c.host[0].driver, "TEST");
    assert_int_equal(c.host[0].domains, 1);
    assert_int_equal(c.host[0].pmu[VPMU_PMU_UNSET], 1);
    assert_int_equal(t.hosts, 1);
    assert_int_equal(t.domains, 1);
    assert_int_equal(t.skipped + t.hosts_unreachable + t.hosts_dropped, 0);
    collector_clear(&c);
}

/* Effective state as explain gives it for the same inputs. */
static vpmu_effective
expected_effective(vpmu_pmu pmu, const char *arch, const char *virt, const char *mode,
                   const char *model, const vpmu_hostcaps *host)
{
    vpmu_explain_input in = {.decision = pmu,
                             .arch = arch,
                             .virt_type = virt,
                             .cpu_mode = mode,
                             .cpu_model = model,
                             .host = host};
    vpmu_explanation *ex = vpmu_explain(&in);
    vpmu_effective e = vpmu_explanation_get_state(ex);
    vpmu_explanation_free(ex);
    return e;
}

static void
check_node_fields(const collector *c, const vpmu_hostcaps *host)
{
    const seen_domain *d;

    d = find_dom(c, node_uri, "on-hp");
    assert_string_equal(d->uuid, "00000000-0000-4000-8000-000000000001");
    assert_string_equal(d->state, "running");
    assert_int_equal(d->pmu, VPMU_PMU_ON);
    assert_string_equal(d->arch, "x86_64");
    assert_string_equal(d->virt_type, "kvm");
    assert_string_equal(d->cpu_mode, "host-passthrough");
    assert_null(d->cpu_model);
    assert_string_equal(d->nova_name, "web \"1\"");
    assert_string_equal(d->nova_flavor, "m1.small");
    assert_int_equal(d->effective, expected_effective(VPMU_PMU_ON, "x86_64", "kvm",
                                                      "host-passthrough", NULL, host));

    d = find_dom(c, node_uri, "off-custom");
    assert_string_equal(d->state, "shutoff");
    assert_int_equal(d->pmu, VPMU_PMU_OFF);
    assert_string_equal(d->cpu_mode, "custom");
    assert_string_equal(d->cpu_model, "Skylake-Client");
    assert_null(d->nova_name);
    assert_null(d->nova_flavor);
    assert_int_equal(d->effective, expected_effective(VPMU_PMU_OFF, "x86_64", "kvm", "custom",
                                                      "Skylake-Client", host));

    d = find_dom(c, node_uri, "unset-tcg");
    assert_string_equal(d->state, "paused");
    assert_int_equal(d->pmu, VPMU_PMU_UNSET);
    assert_string_equal(d->virt_type, "qemu");
    assert_null(d->cpu_mode);
    /* x86 TCG emulates no PMU, whatever the host (docs/facts.md §3). */
    assert_int_equal(d->effective, VPMU_EFFECTIVE_OFF);

    d = find_dom(c, node_uri, "bare-arm");
    assert_int_equal(d->pmu, VPMU_PMU_ON); /* a bare <pmu/> means on */
    assert_string_equal(d->arch, "aarch64");
    assert_string_equal(d->cpu_model, "cortex-a57");
    assert_int_equal(d->effective, expected_effective(VPMU_PMU_ON, "aarch64", "kvm", "custom",
                                                      "cortex-a57", host));
}

static void
test_node_file(void **state)
{
    (void)state;
    collector c = {0};
    vpmu_audit_totals t;
    const char *uris[] = {node_uri};

    assert_int_equal(vpmu_audit_run(uris, 1, NULL, collect, &c, &t, NULL), 0);
    assert_int_equal(c.n_dom, 4);
    check_node_fields(&c, NULL);
    const seen_host *h = find_host(&c, node_uri);
    assert_int_equal(h->domains, 4);
    assert_int_equal(h->pmu[VPMU_PMU_ON], 2);
    assert_int_equal(h->pmu[VPMU_PMU_OFF], 1);
    assert_int_equal(h->pmu[VPMU_PMU_UNSET], 1);
    size_t sum = 0;
    for (int e = 0; e < VPMU_EFFECTIVE_LAST; e++)
        sum += h->effective[e];
    assert_int_equal(sum, 4);
    assert_int_equal(h->effective[VPMU_EFFECTIVE_OFF] >= 1, 1);
    collector_clear(&c);
}

/* A fixture host feeds explain when asked to probe every connection. */
static void
test_host_probe_fixture(void **state)
{
    (void)state;
    collector c = {0};
    vpmu_audit_options o = {.probe = VPMU_AUDIT_PROBE_ALWAYS,
                            .host_root = VPMU_TESTDATA "/hosts/intel-pmu"};
    const char *uris[] = {node_uri};
    vpmu_hostcaps *host = vpmu_hostcaps_probe(o.host_root, NULL);

    assert_non_null(host);
    assert_int_equal(vpmu_audit_run(uris, 1, &o, collect, &c, NULL, NULL), 0);
    assert_true(find_host(&c, node_uri)->host_probed);
    check_node_fields(&c, host);
    /* A host with a vPMU turns "on + host-passthrough under KVM" into a known answer. */
    assert_int_not_equal(find_dom(&c, node_uri, "on-hp")->effective, VPMU_EFFECTIVE_UNKNOWN);
    collector_clear(&c);
    vpmu_hostcaps_free(host);

    /* NEVER wins over a local URI; and a root that does not exist is no host. */
    o.probe = VPMU_AUDIT_PROBE_NEVER;
    assert_int_equal(vpmu_audit_run(uris, 1, &o, collect, &c, NULL, NULL), 0);
    assert_false(c.host[0].host_probed);
    collector_clear(&c);
    o.probe = VPMU_AUDIT_PROBE_ALWAYS;
    o.host_root = "/nonexistent/vpmu-root";
    assert_int_equal(vpmu_audit_run(uris, 1, &o, collect, &c, NULL, NULL), 0);
    assert_false(c.host[0].host_probed);
    assert_int_equal(c.n_dom, 4);
    collector_clear(&c);
}

/* Two connections at once, plus two that cannot open: reported, skipped, no crash. */
static void
test_parallel_and_unreachable(void **state)
{
    (void)state;
    collector c = {0};
    vpmu_audit_totals t;
    const char *uris[] = {"test:///default", node_uri, "qemu+tcp://127.0.0.1:9/system",
                          "test:///nonexistent/vpmu-node.xml"};

    assert_int_equal(vpmu_audit_run(uris, ELEMENTSOF(uris), NULL, collect, &c, &t, NULL), 0);
    assert_false(c.overlapped);
    assert_int_equal(c.n_host, 4);
    assert_int_equal(c.n_dom, 5);
    assert_int_equal(t.hosts, 4);
    assert_int_equal(t.hosts_unreachable, 2);
    assert_int_equal(t.domains, 5);
    assert_string_equal(find_dom(&c, "test:///default", "test")->state, "running");
    check_node_fields(&c, NULL);
    for (size_t i = 2; i < 4; i++) {
        const seen_host *h = find_host(&c, uris[i]);
        assert_false(h->reachable);
        assert_non_null(h->error);
        assert_non_null(strstr(h->error, uris[i]));
        assert_null(h->driver);
        assert_int_equal(h->domains, 0);
    }
    assert_true(find_host(&c, node_uri)->reachable);
    collector_clear(&c);

    /* The same with one job and the state asked per domain: sequential, same result. */
    vpmu_audit_options o = {.jobs = 1, .per_domain_state = true};
    assert_int_equal(vpmu_audit_run(uris, ELEMENTSOF(uris), &o, collect, &c, &t, NULL), 0);
    assert_int_equal(c.n_host, 4);
    assert_int_equal(t.domains, 5);
    check_node_fields(&c, NULL);
    collector_clear(&c);
}

/* Domains that disappear mid-audit are skipped with a reason, the rest reported. */
static void
vanishing_case(bool per_domain_state, int tag)
{
    collector c = {0};
    vpmu_audit_totals t;
    vpmu_audit_options o = {.per_domain_state = per_domain_state};
    const char *uris[] = {"test:///default"};
    /* test:///default is shared by the connections of one process. */
    virConnectPtr side = virConnectOpen("test:///default");
    int total;

    assert_non_null(side);
    for (int i = 0; i < 5; i++) {
        char xml[512];
        snprintf(xml, sizeof(xml),
                 "<domain type='test'><name>gone-%d-%d</name><memory>8192</memory>"
                 "<os><type>hvm</type></os></domain>",
                 tag, i);
        virDomainPtr d = virDomainDefineXML(side, xml);
        assert_non_null(d);
        if (i % 2)
            assert_int_equal(virDomainCreate(d), 0);
        virDomainFree(d);
    }
    total = virConnectNumOfDomains(side) + virConnectNumOfDefinedDomains(side);
    assert_true(total >= 6);
    c.side = side;
    assert_int_equal(vpmu_audit_run(uris, 1, &o, collect, &c, &t, NULL), 0);
    /* Whichever domain came first is reported; all the others vanished. */
    assert_int_equal(c.n_dom, 1);
    assert_int_equal(t.domains, 1);
    assert_int_equal(t.skipped, (size_t)total - 1);
    assert_int_equal(c.n_skipped, (size_t)total - 1);
    assert_int_equal(t.hosts_dropped, 0);
    for (size_t i = 0; i < c.n_skipped; i++)
        assert_non_null(strstr(c.skipped[i], "disappeared during the audit"));
    assert_int_equal(c.host[0].skipped, (size_t)total - 1);
    assert_null(c.host[0].error);
    collector_clear(&c);
    virConnectClose(side);
}

static void
test_vanishing_domains(void **state)
{
    (void)state;
    vanishing_case(false, 0); /* states in bulk: the XML fetch finds them gone */
    vanishing_case(true, 1);  /* state per domain: virDomainGetState finds them gone */
}

/* A callback that fails stops the audit: no further event, and the run fails. */
static void
test_callback_stops(void **state)
{
    (void)state;
    collector c = {.stop_after = 2};
    vpmu_error *err = NULL;
    vpmu_audit_totals t;
    const char *uris[] = {node_uri, node_uri, node_uri};

    assert_int_equal(vpmu_audit_run(uris, ELEMENTSOF(uris), NULL, collect, &c, &t, &err), -1);
    assert_non_null(err);
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_RUNTIME);
    vpmu_error_free(err);
    assert_int_equal(c.n_dom, 2);
    assert_int_equal(c.n_host, 0);
    collector_clear(&c);
}

/* One connection: its domains come in name order (strcmp), whatever libvirt's order. */
static void
test_name_order(void **state)
{
    (void)state;
    collector c = {0};
    const char *uris[] = {node_uri};
    static const char *const want[] = {"bare-arm", "off-custom", "on-hp", "unset-tcg"};

    for (int per_domain = 0; per_domain < 2; per_domain++) {
        vpmu_audit_options o = {.per_domain_state = per_domain};
        assert_int_equal(vpmu_audit_run(uris, 1, &o, collect, &c, NULL, NULL), 0);
        assert_int_equal(c.n_dom, ELEMENTSOF(want));
        for (size_t i = 0; i < ELEMENTSOF(want); i++)
            assert_string_equal(c.dom[i].name, want[i]);
        collector_clear(&c);
    }
}

/*
 * apply on a running domain changes its persistent definition only: the
 * audit reports the live pmu and the pending one.  test:///default is shared
 * by the connections of one process, so the change made here is what the
 * audit's own connection sees.
 */
static void
test_pending_restart(void **state)
{
    (void)state;
    collector c = {0};
    vpmu_audit_totals t;
    vpmu_error *err = NULL;
    const char *uris[] = {"test:///default"};
    vpmu_apply_result res;
    vpmu_conn *conn = vpmu_conn_open("test:///default", &err);

    assert_non_null(conn);
    assert_int_equal(vpmu_domain_apply_pmu(conn, "test", VPMU_PMU_ON, &res, &err), 0);
    assert_true(res.changed && res.active);
    assert_int_equal(vpmu_audit_run(uris, 1, NULL, collect, &c, &t, &err), 0);
    const seen_domain *d = find_dom(&c, "test:///default", "test");
    assert_string_equal(d->state, "running");
    assert_int_equal(d->pmu, VPMU_PMU_UNSET); /* the live XML */
    assert_true(d->pending_restart);
    assert_int_equal(d->pending, VPMU_PMU_ON); /* the persistent definition */
    assert_int_equal(c.host[0].pending_restart, 1);
    collector_clear(&c);

    /* Back as it was: nothing pending any more. */
    assert_int_equal(vpmu_domain_apply_pmu(conn, "test", VPMU_PMU_UNSET, &res, &err), 0);
    assert_int_equal(vpmu_audit_run(uris, 1, NULL, collect, &c, &t, &err), 0);
    d = find_dom(&c, "test:///default", "test");
    assert_false(d->pending_restart);
    assert_int_equal(d->pending, VPMU_PMU_UNSET);
    assert_int_equal(c.host[0].pending_restart, 0);
    collector_clear(&c);
    vpmu_conn_close(conn);
}

static double
mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * A server that accepts and never speaks: a listening socket that is never
 * read (the kernel completes the TCP handshake from the backlog).
 * virConnectOpen blocks in libvirt's handshake; the deadline reports the host
 * down and the run returns, with the other connection audited in full.
 * Closing the socket afterwards lets the abandoned thread finish on its own,
 * after the run is over (the path ASan and valgrind must see clean).
 */
static void
test_silent_host_deadline(void **state)
{
    (void)state;
    collector c = {0};
    vpmu_audit_totals t;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    char silent[128];

    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fd, 8), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    snprintf(silent, sizeof(silent), "qemu+tcp://127.0.0.1:%u/system", ntohs(sa.sin_port));

    const char *uris[] = {silent, "test:///default", node_uri};
    for (unsigned jobs = 1; jobs <= 2; jobs++) {
        vpmu_audit_options o = {.timeout = 1, .jobs = jobs};
        double t0 = mono_now();
        assert_int_equal(vpmu_audit_run(uris, ELEMENTSOF(uris), &o, collect, &c, &t, NULL), 0);
        double took = mono_now() - t0;
        /* Bounded by the deadline, with a wide margin for a loaded machine. */
        assert_true(took >= 0.9);
        assert_true(took < 15);
        assert_false(c.overlapped);
        const seen_host *h = find_host(&c, silent);
        assert_false(h->up);
        assert_true(h->timed_out);
        assert_false(h->reachable);
        assert_non_null(strstr(h->error, "no answer within 1 s"));
        assert_true(find_host(&c, "test:///default")->up);
        assert_true(find_host(&c, node_uri)->up);
        assert_false(find_host(&c, node_uri)->timed_out);
        assert_int_equal(c.n_dom, 5); /* the others in full, with one job too */
        check_node_fields(&c, NULL);
        assert_int_equal(t.hosts, 3);
        assert_int_equal(t.hosts_timed_out, 1);
        assert_int_equal(t.hosts_unreachable, 1);
        collector_clear(&c);
    }
    close(fd);
    /* The abandoned workers' reads fail now; give them a moment to finish on their own. */
    usleep(200000);
}

static void
test_timeout_limits(void **state)
{
    (void)state;
    collector c = {0};
    vpmu_error *err = NULL;
    const char *uris[] = {"test:///default"};
    vpmu_audit_options o = {.timeout = VPMU_AUDIT_MAX_TIMEOUT + 1};

    assert_int_equal(vpmu_audit_run(uris, 1, &o, collect, &c, NULL, &err), -1);
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_USAGE);
    vpmu_error_free(err);
    assert_int_equal(c.n_dom + c.n_host, 0);
    /* 0 is the default (30 s), not "for ever". */
    o.timeout = 0;
    assert_int_equal(vpmu_audit_run(uris, 1, &o, collect, &c, NULL, NULL), 0);
    assert_true(c.host[0].up);
    collector_clear(&c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_uri_is_local),
            cmocka_unit_test(test_bad_arguments),
            cmocka_unit_test(test_default_driver),
            cmocka_unit_test(test_node_file),
            cmocka_unit_test(test_host_probe_fixture),
            cmocka_unit_test(test_parallel_and_unreachable),
            cmocka_unit_test(test_vanishing_domains),
            cmocka_unit_test(test_callback_stops),
            cmocka_unit_test(test_name_order),
            cmocka_unit_test(test_pending_restart),
            cmocka_unit_test(test_silent_host_deadline),
            cmocka_unit_test(test_timeout_limits),
    };
    return cmocka_run_group_tests(tests, setup_node, teardown_node);
}

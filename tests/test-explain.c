/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * explain: one table row per rule (docs/host-and-explain.md "The rules"; docs/facts.md §1-§3).
 * Hosts are the fixture trees under tests/data/hosts, probed for real; NULL means an unknown host.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "explain-rules.h"
#include "util.h"
#include "vpmu/explain.h"

#define ON VPMU_PMU_ON
#define OFF VPMU_PMU_OFF
#define UNSET VPMU_PMU_UNSET
#define E_ON VPMU_EFFECTIVE_ON
#define E_OFF VPMU_EFFECTIVE_OFF
#define E_PARTIAL VPMU_EFFECTIVE_PARTIAL
#define E_REFUSED VPMU_EFFECTIVE_REFUSED
#define E_UNKNOWN VPMU_EFFECTIVE_UNKNOWN

typedef struct {
    const char *name;
    vpmu_pmu decision;
    const char *arch;
    const char *virt_type;
    const char *cpu_mode;
    const char *cpu_model;
    const char *host; /* fixture under tests/data/hosts, NULL: unknown host */
    const char *qemu; /* "X.Y.Z", NULL: unknown */
    /* expected */
    vpmu_effective state;
    const char *rule;
    bool honoured;
    const char *reason; /* a substring of one reason, or NULL */
} row;

static const row rows[] = {
        /* --- x86 TCG never has a PMU (docs/facts.md §3) --- */
        {"x86 TCG, unset", UNSET, "x86_64", "qemu", "custom", "qemu64", "intel-pmu", "8.2.0", E_OFF,
         "x86-tcg", true, "emulates no x86 PMU"},
        {"x86 TCG, on", ON, "x86_64", "qemu", "custom", "Skylake-Server", "intel-pmu", NULL, E_OFF,
         "x86-tcg", false, "cannot be honoured"},
        {"x86 TCG, off", OFF, "x86_64", "qemu", NULL, NULL, NULL, NULL, E_OFF, "x86-tcg", true,
         "never sees one"},
        {"x86 TCG, on, host unknown", ON, "x86_64", "qemu", "host-model", NULL, NULL, NULL, E_OFF,
         "x86-tcg", false, NULL},

        /* --- unset: QEMU's default (docs/facts.md §2, §3) --- */
        {"unset + host-passthrough -> on", UNSET, "x86_64", "kvm", "host-passthrough", NULL,
         "intel-pmu", "7.2.0", E_ON, "x86-unset-host-passthrough", true, "-cpu host"},
        {"unset + maximum -> on", UNSET, "x86_64", "kvm", "maximum", NULL, "intel-pmu", NULL, E_ON,
         "x86-unset-maximum", true, "-cpu max"},
        {"unset + named model -> off", UNSET, "x86_64", "kvm", "custom", "Skylake-Server",
         "intel-pmu", "7.2.0", E_OFF, "x86-unset-named-model", true, "'Skylake-Server'"},
        {"unset + model without mode -> off", UNSET, "x86_64", "kvm", NULL, "EPYC", "intel-pmu",
         NULL, E_OFF, "x86-unset-named-model", true, "defaults to off"},
        {"unset + host-model -> off", UNSET, "x86_64", "kvm", "host-model", NULL, "intel-pmu",
         "7.2.0", E_OFF, "x86-unset-host-model", true, "expands it to a named model"},
        {"unset + no <cpu> -> off (qemu64)", UNSET, "x86_64", "kvm", NULL, NULL, "intel-pmu", NULL,
         E_OFF, "x86-unset-no-cpu", true, "qemu64"},

        /* --- explicit on/off on a capable Intel host --- */
        {"on, Intel KVM host", ON, "x86_64", "kvm", "host-model", NULL, "intel-pmu", "7.2.0", E_ON,
         "x86-on", true, "pmu=on"},
        {"off, Intel KVM host", OFF, "x86_64", "kvm", "host-passthrough", NULL, "intel-pmu",
         "7.2.0", E_OFF, "x86-off", true, "clears PDCM"},

        /* --- AMD + off with QEMU < 11 is only partly off (docs/facts.md §3) --- */
        {"AMD off, QEMU 7.2", OFF, "x86_64", "kvm", "host-passthrough", NULL, "amd-pmu", "7.2.0",
         E_PARTIAL, "amd-off-old-qemu", false, "7.2.0 is older than 11.0"},
        {"AMD off, QEMU 10.2.50 (dev)", OFF, "x86_64", "kvm", "host-model", NULL, "amd-pmu",
         "10.2.50", E_PARTIAL, "amd-off-old-qemu", false, "by CPU family"},
        {"AMD off, QEMU unknown", OFF, "x86_64", "kvm", "host-model", NULL, "amd-pmu", NULL,
         E_PARTIAL, "amd-off-old-qemu", false, "assuming it is older"},
        {"AMD unset + named model, QEMU 8.2", UNSET, "x86_64", "kvm", "custom", "EPYC-Genoa",
         "amd-pmu", "8.2.0", E_PARTIAL, "amd-off-old-qemu", true, "by CPU family"},
        {"AMD off, QEMU 11.0", OFF, "x86_64", "kvm", "host-passthrough", NULL, "amd-pmu", "11.0.0",
         E_OFF, "x86-off", true, "KVM_PMU_CAP_DISABLE"},
        {"AMD unset + host-passthrough", UNSET, "x86_64", "kvm", "host-passthrough", NULL,
         "amd-pmu", "7.2.0", E_ON, "x86-unset-host-passthrough", true, NULL},
        {"AMD off, host without vPMU (this VM)", OFF, "x86_64", "kvm", "host-passthrough", NULL,
         "novpmu-vm", "7.2.0", E_OFF, "x86-off", true, "gives no guest a vPMU anyway"},

        /* --- ppc64 cannot be turned off (docs/facts.md §2) --- */
        {"ppc64 off -> refused", OFF, "ppc64", "kvm", "host-passthrough", NULL, NULL, NULL,
         E_REFUSED, "ppc64-off-refused", false, "always enabled for architecture"},
        {"ppc64le off TCG -> refused", OFF, "ppc64le", "qemu", NULL, NULL, NULL, NULL, E_REFUSED,
         "ppc64-off-refused", false, NULL},
        {"ppc64 on", ON, "ppc64le", "kvm", "host-passthrough", NULL, NULL, NULL, E_ON,
         "ppc64-always-on", true, "always on"},
        {"ppc64 unset", UNSET, "ppc64", "qemu", NULL, NULL, NULL, NULL, E_ON, "ppc64-always-on",
         true, NULL},

        /* --- a host without a vPMU cannot honour on (docs/facts.md §3) --- */
        {"on, enable_pmu=N", ON, "x86_64", "kvm", "host-passthrough", NULL, "enable-pmu-n", "7.2.0",
         E_OFF, "host-cannot-honour", false, "host: kvm.enable_pmu=N"},
        {"on, this VM (no PMU, enable_pmu=N)", ON, "x86_64", "kvm", "host-passthrough", NULL,
         "novpmu-vm", "7.2.0", E_OFF, "host-cannot-honour", false, "no 'cpu' event source"},
        {"unset + host-passthrough, this VM", UNSET, "x86_64", "kvm", "host-passthrough", NULL,
         "novpmu-vm", NULL, E_OFF, "host-cannot-honour", true, "whatever the XML says"},
        {"aarch64 on, KVM host without PMUv3", ON, "aarch64", "kvm", "host-passthrough", NULL,
         "arm64-nopmu", NULL, E_OFF, "host-cannot-honour", false, "KVM guests get no vPMU"},

        /* --- virt types other than kvm/qemu: no element (docs/facts.md §1) --- */
        {"xen on: no element", ON, "x86_64", "xen", NULL, NULL, "intel-pmu", NULL, E_UNKNOWN,
         "virt-type-no-element", true, "only for qemu and kvm"},
        {"lxc off: no element", OFF, "x86_64", "lxc", NULL, NULL, NULL, NULL, E_UNKNOWN,
         "virt-type-no-element", true, "'lxc'"},
        {"virt type unknown", ON, "x86_64", NULL, NULL, NULL, "intel-pmu", NULL, E_UNKNOWN,
         "virt-type-unknown", true, "--virt-type"},

        /* --- arch --- */
        {"arch from the host", UNSET, NULL, "kvm", "host-passthrough", NULL, "intel-pmu", NULL,
         E_ON, "x86-unset-host-passthrough", true, NULL},
        {"arch unknown", ON, NULL, "kvm", NULL, NULL, NULL, NULL, E_UNKNOWN, "arch-unknown", true,
         "--arch"},
        {"arch without a rule", ON, "s390x", "kvm", NULL, NULL, NULL, NULL, E_UNKNOWN,
         "arch-unsupported", true, "'s390x'"},
        {"KVM cross-arch", ON, "aarch64", "kvm", "host-passthrough", NULL, "intel-pmu", NULL,
         E_UNKNOWN, "kvm-cross-arch", true, "host's arch"},
        {"KVM without /dev/kvm", ON, "aarch64", "kvm", "host-passthrough", NULL, "arm64-tcg", NULL,
         E_UNKNOWN, "kvm-unavailable", true, "/dev/kvm"},

        /* --- aarch64: on by default for cortex-a57, max, host (docs/facts.md §3) --- */
        {"aarch64 TCG unset cortex-a57", UNSET, "aarch64", "qemu", "custom", "cortex-a57", NULL,
         NULL, E_ON, "aarch64-tcg", true, "emulates PMUv3"},
        {"aarch64 TCG unset maximum", UNSET, "aarch64", "qemu", "maximum", NULL, "novpmu-vm", NULL,
         E_ON, "aarch64-tcg", true, "'max'"},
        {"aarch64 TCG on", ON, "aarch64", "qemu", "custom", "cortex-a57", NULL, NULL, E_ON,
         "aarch64-tcg", true, "cycle counter"},
        {"aarch64 TCG off", OFF, "aarch64", "qemu", "custom", "cortex-a57", NULL, NULL, E_OFF,
         "aarch64-off", true, "removes the PMU"},
        {"aarch64 KVM unset host", UNSET, "aarch64", "kvm", "host-passthrough", NULL, "arm64-pmuv3",
         NULL, E_ON, "aarch64-unset-default-on", true, "'host'"},
        {"aarch64 KVM unset max", UNSET, "aarch64", "kvm", "custom", "max", "arm64-pmuv3", NULL,
         E_ON, "aarch64-unset-default-on", true, "'max'"},
        {"aarch64 KVM on", ON, "aarch64", "kvm", "host-passthrough", NULL, "arm64-pmuv3", NULL,
         E_ON, "aarch64-on", true, "has PMUv3"},
        {"aarch64 KVM off", OFF, "aarch64", "kvm", "host-passthrough", NULL, "arm64-pmuv3", NULL,
         E_OFF, "aarch64-off", true, NULL},
        {"aarch64 unset, model without a known default", UNSET, "aarch64", "qemu", "custom",
         "cortex-a72", NULL, NULL, E_UNKNOWN, "aarch64-unset-model-unknown", true, "'cortex-a72'"},
        {"aarch64 without <cpu>", ON, "aarch64", "qemu", NULL, NULL, NULL, NULL, E_UNKNOWN,
         "aarch64-no-cpu", true, "needs a CPU model"},
        {"aarch64 TCG host-passthrough", UNSET, "aarch64", "qemu", "host-passthrough", NULL, NULL,
         NULL, E_UNKNOWN, "aarch64-tcg-host-cpu", true, "needs KVM"},

        /* --- unknown host: only what does not depend on it --- */
        {"x86 KVM on, host unknown", ON, "x86_64", "kvm", "host-passthrough", NULL, NULL, "7.2.0",
         E_UNKNOWN, "host-unknown", true, "the host is unknown"},
        {"x86 KVM off, host unknown, QEMU 7.2", OFF, "x86_64", "kvm", "host-model", NULL, NULL,
         "7.2.0", E_UNKNOWN, "host-unknown", true, "AMD host"},
        {"x86 KVM off, host unknown, QEMU 11.0", OFF, "x86_64", "kvm", "host-model", NULL, NULL,
         "11.0.0", E_OFF, "x86-off", true, NULL},
        {"aarch64 KVM on, host unknown", ON, "aarch64", "kvm", "host-passthrough", NULL, NULL, NULL,
         E_UNKNOWN, "host-unknown", true, "PMUv3"},
        {"aarch64 KVM off, host unknown", OFF, "aarch64", "kvm", "host-passthrough", NULL, NULL,
         NULL, E_OFF, "aarch64-off", true, NULL},
};

static const char *const fixtures[] = {"intel-pmu", "amd-pmu",   "arm64-pmuv3", "arm64-nopmu",
                                       "arm64-tcg", "novpmu-vm", "enable-pmu-n"};
static vpmu_hostcaps *hosts[ELEMENTSOF(fixtures)];

static int
setup(void **state)
{
    (void)state;
    for (size_t i = 0; i < ELEMENTSOF(fixtures); i++) {
        _cleanup_free_ char *root = xasprintf("%s/hosts/%s", VPMU_TESTDATA, fixtures[i]);
        hosts[i] = vpmu_hostcaps_probe(root, NULL);
        if (!hosts[i])
            return -1;
    }
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < ELEMENTSOF(fixtures); i++)
        vpmu_hostcaps_free(hosts[i]);
    return 0;
}

static const vpmu_hostcaps *
host_named(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < ELEMENTSOF(fixtures); i++)
        if (STREQ(fixtures[i], name))
            return hosts[i];
    fail_msg("no fixture '%s'", name);
    return NULL;
}

static void
dump(const vpmu_explanation *ex)
{
    const char *const *r = vpmu_explanation_get_reasons(ex, NULL);

    fprintf(stderr, "  state %s, rule %s\n",
            vpmu_effective_to_string(vpmu_explanation_get_state(ex)),
            vpmu_explanation_get_rule(ex));
    for (; *r; r++)
        fprintf(stderr, "  reason: %s\n", *r);
}

static void
test_table(void **state)
{
    (void)state;
    unsigned failures = 0;

    for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
        const row *t = &rows[i];
        vpmu_explain_input in = {
                .decision = t->decision,
                .arch = t->arch,
                .virt_type = t->virt_type,
                .cpu_mode = t->cpu_mode,
                .cpu_model = t->cpu_model,
                .host = host_named(t->host),
        };
        vpmu_explanation *ex;
        const char *const *r;
        bool ok = true, found = t->reason == NULL;
        const char *want_element = NULL;

        if (t->qemu && vpmu_version_parse(t->qemu, &in.qemu_version) < 0)
            fail_msg("row '%s': bad QEMU version '%s'", t->name, t->qemu);
        ex = vpmu_explain(&in);
        if (vpmu_explanation_get_state(ex) != t->state) {
            fprintf(stderr, "row '%s': state %s, expected %s\n", t->name,
                    vpmu_effective_to_string(vpmu_explanation_get_state(ex)),
                    vpmu_effective_to_string(t->state));
            ok = false;
        }
        if (!STREQ_NULLABLE(vpmu_explanation_get_rule(ex), t->rule)) {
            fprintf(stderr, "row '%s': rule %s, expected %s\n", t->name,
                    vpmu_explanation_get_rule(ex), t->rule);
            ok = false;
        }
        if (vpmu_explanation_honours_decision(ex) != t->honoured) {
            fprintf(stderr, "row '%s': honours %d, expected %d\n", t->name,
                    vpmu_explanation_honours_decision(ex), t->honoured);
            ok = false;
        }
        for (r = vpmu_explanation_get_reasons(ex, NULL); !found && *r; r++)
            found = strstr(*r, t->reason) != NULL;
        if (!found) {
            fprintf(stderr, "row '%s': no reason contains '%s'\n", t->name, t->reason);
            ok = false;
        }
        /* The element: none for unset, nor for a virt type Nova does not emit it for. */
        if (!t->virt_type || STREQ(t->virt_type, "kvm") || STREQ(t->virt_type, "qemu")) {
            if (t->decision == ON)
                want_element = "<pmu state='on'/>";
            else if (t->decision == OFF)
                want_element = "<pmu state='off'/>";
        }
        if (!STREQ_NULLABLE(vpmu_explanation_get_element(ex), want_element)) {
            fprintf(stderr, "row '%s': element %s, expected %s\n", t->name,
                    vpmu_explanation_get_element(ex), want_element);
            ok = false;
        }
        /* Every answer explains itself. */
        if (vpmu_explanation_get_reasons(ex, NULL)[0] == NULL) {
            fprintf(stderr, "row '%s': no reasons\n", t->name);
            ok = false;
        }
        if (!ok) {
            dump(ex);
            failures++;
        }
        vpmu_explanation_free(ex);
    }
    if (failures)
        fail_msg("%u of %zu rows failed", failures, ELEMENTSOF(rows));
}

/* Every rule name the library can produce appears in at least one row. */
static void
test_every_rule_has_a_row(void **state)
{
    (void)state;
    size_t n = 0;
    /* explain.c's own table: a rule added there without a row here fails. */
    const char *const *rules = vpmu_explain_rules(&n);

    assert_true(n > 0);
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (size_t j = 0; j < ELEMENTSOF(rows) && !found; j++)
            found = STREQ(rows[j].rule, rules[i]);
        if (!found)
            fail_msg("rule '%s' has no row", rules[i]);
    }
}

static void
test_versions(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int ret;
        unsigned long want;
    } v[] = {
            {"7.2.0", 0, 7002000}, {"11.0", 0, 11000000}, {"10.2.50", 0, 10002050},
            {"0.0.0", 0, 0},       {"", -1, 0},           {"7", 0, 7000000},
            {"11", 0, 11000000},   {"7.", -1, 0},         {"7.2.", -1, 0},
            {"7.2.0.1", -1, 0},    {"a.b", -1, 0},        {"-1.2", -1, 0},
            {"1000.0", -1, 0},     {"7.2.x", -1, 0},      {" 7.2", -1, 0},
            {"7.2 ", -1, 0},       {"7.+2", -1, 0},       {"99999999999999999999.1", -1, 0},
    };
    char buf[32];

    for (size_t i = 0; i < ELEMENTSOF(v); i++) {
        unsigned long out = 0;
        int r = vpmu_version_parse(v[i].in, &out);
        if (r != v[i].ret)
            fail_msg("'%s': returned %d, expected %d", v[i].in, r, v[i].ret);
        if (r == 0)
            assert_int_equal(out, v[i].want);
    }
    assert_int_equal(vpmu_version_parse(NULL, &(unsigned long){0}), -1);
    assert_string_equal(vpmu_version_format(7002000, buf, sizeof(buf)), "7.2.0");
    assert_string_equal(vpmu_version_format(10002050, buf, sizeof(buf)), "10.2.50");
    assert_true(VPMU_QEMU_AMD_FULL_OFF == 11000000ul);
}

static void
test_strings(void **state)
{
    (void)state;
    assert_string_equal(vpmu_effective_to_string(VPMU_EFFECTIVE_UNKNOWN), "unknown");
    assert_string_equal(vpmu_effective_to_string(VPMU_EFFECTIVE_ON), "on");
    assert_string_equal(vpmu_effective_to_string(VPMU_EFFECTIVE_OFF), "off");
    assert_string_equal(vpmu_effective_to_string(VPMU_EFFECTIVE_PARTIAL), "partial");
    assert_string_equal(vpmu_effective_to_string(VPMU_EFFECTIVE_REFUSED), "refused");
    assert_null(vpmu_effective_to_string(VPMU_EFFECTIVE_LAST));
    vpmu_explanation_free(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_table),
            cmocka_unit_test(test_every_rule_has_a_row),
            cmocka_unit_test(test_versions),
            cmocka_unit_test(test_strings),
    };
    return cmocka_run_group_tests_name("explain", tests, setup, teardown);
}

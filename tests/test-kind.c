/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The vPMU kind (issue 15): each fixture host gives the right kind, evidence
 * and traits, and `explain` has a row per case saying what the kind means
 * for perf in the guest and for profiling the guest from the host.
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

#include "util.h"
#include "vpmu/explain.h"
#include "vpmu/hostcaps.h"

static vpmu_hostcaps *
probe(const char *name)
{
    _cleanup_free_ char *root = xasprintf("%s/hosts/%s", VPMU_TESTDATA, name);
    vpmu_error *err = NULL;
    vpmu_hostcaps *c = vpmu_hostcaps_probe(root, &err);

    if (!c)
        fail_msg("probe '%s': %s", root, vpmu_error_get_message(err));
    return c;
}

static bool
has(const char *const *v, const char *needle)
{
    for (; *v; v++)
        if (strstr(*v, needle))
            return true;
    return false;
}

static void
want(const char *const *v, const char *needle)
{
    if (!has(v, needle)) {
        for (; *v; v++)
            fprintf(stderr, "  have: %s\n", *v);
        fail_msg("nothing contains '%s'", needle);
    }
}

/* One host row: fixture, kind, parameter, requirement, mediated trait, evidence phrase. */
typedef struct {
    const char *fixture;
    vpmu_kind kind;
    vpmu_host_param param;
    vpmu_mediated_req req;
    bool vpmu_trait, mediated_trait;
    const char *evidence;
} host_row;

static const host_row host_rows[] = {
        /* Intel: without the parameter (kernel before 7.0), with it Y, with it N. */
        {"intel-pmu", VPMU_KIND_EMULATED, VPMU_PARAM_ABSENT, VPMU_MEDIATED_REQ_UNKNOWN, true, false,
         "kvm_intel has no enable_mediated_pmu parameter: the kernel predates"},
        {"intel-mediated", VPMU_KIND_MEDIATED, VPMU_PARAM_YES, VPMU_MEDIATED_REQ_MET, true, true,
         "kvm_intel.enable_mediated_pmu=Y"},
        {"intel-mediated-off", VPMU_KIND_EMULATED, VPMU_PARAM_NO, VPMU_MEDIATED_REQ_UNKNOWN, true,
         false, "kvm_intel.enable_mediated_pmu=N"},
        /* AMD: without the parameter, with it Y, and a Zen 3 CPU without PerfMonV2. */
        {"amd-pmu", VPMU_KIND_EMULATED, VPMU_PARAM_ABSENT, VPMU_MEDIATED_REQ_MET, true, false,
         "kvm_amd has no enable_mediated_pmu parameter"},
        {"amd-mediated", VPMU_KIND_MEDIATED, VPMU_PARAM_YES, VPMU_MEDIATED_REQ_MET, true, true,
         "kvm_amd.enable_mediated_pmu=Y"},
        {"amd-zen3", VPMU_KIND_EMULATED, VPMU_PARAM_NO, VPMU_MEDIATED_REQ_NOT_MET, true, false,
         "the CPU lacks AMD PerfMonV2"},
        /* No vPMU at all; arm64 (emulated, no mediated vPMU there); TCG-only arm64. */
        {"novpmu-vm", VPMU_KIND_NONE, VPMU_PARAM_ABSENT, VPMU_MEDIATED_REQ_NOT_MET, false, false,
         "verdict no"},
        {"enable-pmu-n", VPMU_KIND_NONE, VPMU_PARAM_ABSENT, VPMU_MEDIATED_REQ_UNKNOWN, false, false,
         "verdict no"},
        {"arm64-pmuv3", VPMU_KIND_EMULATED, VPMU_PARAM_ABSENT, VPMU_MEDIATED_REQ_UNKNOWN, true,
         false, "the mediated vPMU is x86 only"},
        {"arm64-tcg", VPMU_KIND_EMULATED, VPMU_PARAM_ABSENT, VPMU_MEDIATED_REQ_UNKNOWN, false,
         false, "QEMU emulates it"},
        {"escape-symlinks", VPMU_KIND_UNKNOWN, VPMU_PARAM_ABSENT, VPMU_MEDIATED_REQ_UNKNOWN, false,
         false, "verdict is unknown"},
};

static void
test_host_kinds(void **state)
{
    (void)state;
    for (size_t i = 0; i < ELEMENTSOF(host_rows); i++) {
        const host_row *row = &host_rows[i];
        vpmu_hostcaps *c = probe(row->fixture);

        fprintf(stderr, "host %s\n", row->fixture);
        assert_int_equal(vpmu_hostcaps_get_kind(c), row->kind);
        assert_int_equal(vpmu_hostcaps_get_enable_mediated_pmu(c), row->param);
        assert_int_equal(vpmu_hostcaps_get_mediated_requirement(c, NULL), row->req);
        assert_int_equal(vpmu_hostcaps_has_trait(c), row->vpmu_trait);
        assert_int_equal(vpmu_hostcaps_has_mediated_trait(c), row->mediated_trait);
        want(vpmu_hostcaps_get_kind_reasons(c, NULL), row->evidence);
        /* CPUID describes this machine, never a fixture's. */
        assert_int_equal(vpmu_hostcaps_get_arch_pmu_version(c), 0);
        vpmu_hostcaps_free(c);
    }
}

static void
test_host_module_names(void **state)
{
    (void)state;
    vpmu_hostcaps *c = probe("intel-mediated");
    const char *text = NULL;

    assert_string_equal(vpmu_hostcaps_get_kvm_module(c), "kvm_intel");
    vpmu_hostcaps_free(c);
    c = probe("amd-zen3");
    assert_string_equal(vpmu_hostcaps_get_kvm_module(c), "kvm_amd");
    assert_int_equal(vpmu_hostcaps_get_mediated_requirement(c, &text), VPMU_MEDIATED_REQ_NOT_MET);
    assert_non_null(strstr(text, "perfmon_v2"));
    vpmu_hostcaps_free(c);
    /* A CPU that could: the note tells the operator how. */
    c = probe("amd-pmu");
    want(vpmu_hostcaps_get_notes(c, NULL), "enable_mediated_pmu=1 would give guests the mediated");
    vpmu_hostcaps_free(c);
    c = probe("arm64-pmuv3");
    assert_null(vpmu_hostcaps_get_kvm_module(c));
    vpmu_hostcaps_free(c);
}

/* One explain row: fixture (NULL: host unknown), inputs, kind, phrases in the kind reasons. */
typedef struct {
    const char *fixture;
    vpmu_pmu decision;
    const char *arch, *virt_type, *cpu_mode;
    vpmu_kind kind;
    const char *says, *says_too;
} explain_row;

static const explain_row explain_rows[] = {
        /* mediated: low overhead, and what it costs the host. */
        {"intel-mediated", VPMU_PMU_ON, NULL, "kvm", "host-passthrough", VPMU_KIND_MEDIATED,
         "4.2% (33.6% with the emulated vPMU), 7.3% with multiplexed events (79.3%)",
         "the host cannot profile this guest"},
        {"amd-mediated", VPMU_PMU_UNSET, NULL, "kvm", "host-passthrough", VPMU_KIND_MEDIATED,
         "bf2c3138ae36", "most VM exits cost more"},
        /* emulated, on kernels with and without the parameter */
        {"intel-pmu", VPMU_PMU_ON, NULL, "kvm", "host-passthrough", VPMU_KIND_EMULATED,
         "33.6% (4.2% with the mediated vPMU), 79.3% with multiplexed events (7.3%)",
         "the host can still profile the guest"},
        {"intel-mediated-off", VPMU_PMU_ON, NULL, "kvm", "host-passthrough", VPMU_KIND_EMULATED,
         "emulated vPMU", "requirement unknown on this host"},
        /* an AMD CPU that could be mediated, and one that cannot */
        {"amd-pmu", VPMU_PMU_ON, NULL, "kvm", "host-model", VPMU_KIND_EMULATED,
         "meets the mediated vPMU's requirement", "enable_mediated_pmu=1"},
        {"amd-zen3", VPMU_PMU_ON, NULL, "kvm", "host-passthrough", VPMU_KIND_EMULATED,
         "requirement not met on this host", "PerfMonV2"},
        /* no vPMU: off, TCG x86, a host without one */
        {"intel-mediated", VPMU_PMU_OFF, NULL, "kvm", "host-passthrough", VPMU_KIND_NONE, "no vPMU",
         NULL},
        {"intel-mediated", VPMU_PMU_ON, "x86_64", "qemu", NULL, VPMU_KIND_NONE, "no vPMU", NULL},
        {"novpmu-vm", VPMU_PMU_ON, NULL, "kvm", "host-passthrough", VPMU_KIND_NONE, "no vPMU",
         NULL},
        /* arm64 and TCG: emulated */
        {"arm64-pmuv3", VPMU_PMU_ON, NULL, "kvm", "host-passthrough", VPMU_KIND_EMULATED,
         "x86 only", NULL},
        {"intel-mediated", VPMU_PMU_ON, "aarch64", "qemu", "maximum", VPMU_KIND_EMULATED, "TCG",
         NULL},
        /* the host unknown: the kind is too */
        {NULL, VPMU_PMU_ON, "x86_64", "kvm", "host-passthrough", VPMU_KIND_UNKNOWN,
         "gets a vPMU at all is unknown", NULL},
        {"escape-symlinks", VPMU_PMU_ON, "x86_64", "kvm", "host-passthrough", VPMU_KIND_UNKNOWN,
         "gets a vPMU at all is unknown", NULL},
};

static void
test_explain_kinds(void **state)
{
    (void)state;
    for (size_t i = 0; i < ELEMENTSOF(explain_rows); i++) {
        const explain_row *row = &explain_rows[i];
        vpmu_hostcaps *host = row->fixture ? probe(row->fixture) : NULL;
        vpmu_explain_input in = {
                .decision = row->decision,
                .arch = row->arch,
                .virt_type = row->virt_type,
                .cpu_mode = row->cpu_mode,
                .host = host,
        };
        vpmu_explanation *ex = vpmu_explain(&in);

        fprintf(stderr, "explain row %zu (%s)\n", i, row->fixture ? row->fixture : "no host");
        assert_int_equal(vpmu_explanation_get_kind(ex), row->kind);
        want(vpmu_explanation_get_kind_reasons(ex, NULL), row->says);
        if (row->says_too)
            want(vpmu_explanation_get_kind_reasons(ex, NULL), row->says_too);
        vpmu_explanation_free(ex);
        vpmu_hostcaps_free(host);
    }
}

static void
test_strings(void **state)
{
    (void)state;
    assert_string_equal(vpmu_kind_to_string(VPMU_KIND_MEDIATED), "mediated");
    assert_string_equal(vpmu_kind_to_string(VPMU_KIND_EMULATED), "emulated");
    assert_string_equal(vpmu_kind_to_string(VPMU_KIND_NONE), "none");
    assert_string_equal(vpmu_kind_to_string(VPMU_KIND_UNKNOWN), "unknown");
    assert_null(vpmu_kind_to_string(VPMU_KIND_LAST));
    assert_string_equal(vpmu_mediated_req_to_string(VPMU_MEDIATED_REQ_NOT_MET), "not met");
    assert_null(vpmu_mediated_req_to_string(VPMU_MEDIATED_REQ_LAST));
    assert_string_equal(VPMU_HOST_TRAIT_MEDIATED, "CUSTOM_COMPUTE_VPMU_MEDIATED");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_host_kinds),
            cmocka_unit_test(test_host_module_names),
            cmocka_unit_test(test_explain_kinds),
            cmocka_unit_test(test_strings),
    };
    return cmocka_run_group_tests_name("kind", tests, NULL, NULL);
}

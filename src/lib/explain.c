/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The effective vPMU of a guest: pure, no I/O.
 *
 * docs/host-and-explain.md "The rules" lists the cases; each is
 * a rule below (one entry of the rule table), with the docs/facts.md item it
 * rests on, and a row in tests/test-explain.c.  In short:
 *
 *  virt type not qemu/kvm   no <pmu> element at all (docs/facts.md §1: Nova emits
 *                           it only for qemu and kvm)                 -> unknown
 *  ppc64 + off              libvirt: "PMU is always enabled for
 *                           architecture" (docs/facts.md §2)               -> refused
 *  ppc64 otherwise          always on (docs/facts.md §2)                   -> on
 *  x86 + TCG                TCG emulates no x86 PMU (docs/facts.md §3)     -> off
 *  x86 KVM + unset          QEMU's default: host / max turn pmu on under
 *                           KVM, every named model (and so host-model,
 *                           and libvirt's qemu64 without <cpu>) has it
 *                           off (docs/facts.md §2, §3)                     -> on / off
 *  x86 KVM + pmu off on an AMD host with a vPMU and QEMU < 11:
 *                           AMD guests find the legacy counters by CPU
 *                           family, so off is only partly off (docs/facts.md §3)
 *                                                                     -> partial
 *  aarch64 + unset          on for cortex-a57, max, host (KVM with
 *                           PMUv3); TCG emulates PMUv3 (docs/facts.md §3)  -> on
 *  aarch64 needs <cpu>      libvirt passes pmu= only with a CPU (docs/facts.md §2)
 *  host without a vPMU      enable_pmu=N or no host PMU: no guest gets
 *                           one whatever the XML says (docs/facts.md §3)   -> off
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explain-rules.h"
#include "arch.h"
#include "util.h"
#include "vpmu/explain.h"

struct vpmu_explanation {
    vpmu_effective state;
    vpmu_pmu decision;
    const char *rule;
    const char *element;
    strv reasons;
    vpmu_kind kind;
    strv kind_reasons;
};

static const char *const effective_strings[] = {
        [VPMU_EFFECTIVE_UNKNOWN] = "unknown", [VPMU_EFFECTIVE_ON] = "on",
        [VPMU_EFFECTIVE_OFF] = "off",         [VPMU_EFFECTIVE_PARTIAL] = "partial",
        [VPMU_EFFECTIVE_REFUSED] = "refused",
};
VPMU_DEFINE_TO_STRING(vpmu_effective_to_string, vpmu_effective, effective_strings,
                      VPMU_EFFECTIVE_LAST);

/* ---- versions ------------------------------------------------------------------------------ */

static int
parse_part(const char **p, unsigned long *out)
{
    char *end = NULL;
    unsigned long v;

    if (**p < '0' || **p > '9')
        return -1;
    errno = 0;
    v = strtoul(*p, &end, 10);
    if (errno != 0 || end == *p || v > 999)
        return -1;
    *p = end;
    *out = v;
    return 0;
}

int
vpmu_version_parse(const char *s, unsigned long *out)
{
    unsigned long major = 0, minor = 0, micro = 0;
    const char *p = s;

    if (!s)
        return -1;
    /* "11", "7.2" and "7.2.0" alike: QEMU's own versions drop trailing .0 parts. */
    if (parse_part(&p, &major) < 0)
        return -1;
    if (*p == '.') {
        p++;
        if (parse_part(&p, &minor) < 0)
            return -1;
        if (*p == '.') {
            p++;
            if (parse_part(&p, &micro) < 0)
                return -1;
        }
    }
    if (*p != '\0')
        return -1;
    *out = major * 1000000ul + minor * 1000ul + micro;
    return 0;
}

char *
vpmu_version_format(unsigned long v, char *buf, size_t size)
{
    snprintf(buf, size, "%lu.%lu.%lu", v / 1000000ul, (v / 1000ul) % 1000ul, v % 1000ul);
    return buf;
}

/* ---- the rule table ------------------------------------------------------------------------ */

/*
 * Every rule vpmu_explain() can name, and nothing else: the code below sets
 * a rule only by its id here, and tests/test-explain.c reads this table
 * (through vpmu_explain_rules(), explain-rules.h) and wants a row for each.
 * A new rule is one id, one name, and a row in that test.
 */
typedef enum {
    RULE_VIRT_TYPE_UNKNOWN,
    RULE_VIRT_TYPE_NO_ELEMENT,
    RULE_ARCH_UNKNOWN,
    RULE_ARCH_UNSUPPORTED,
    RULE_KVM_CROSS_ARCH,
    RULE_KVM_UNAVAILABLE,
    RULE_PPC64_OFF_REFUSED,
    RULE_PPC64_ALWAYS_ON,
    RULE_X86_TCG,
    RULE_X86_ON,
    RULE_X86_OFF,
    RULE_X86_UNSET_NO_CPU,
    RULE_X86_UNSET_HOST_PASSTHROUGH,
    RULE_X86_UNSET_MAXIMUM,
    RULE_X86_UNSET_HOST_MODEL,
    RULE_X86_UNSET_NAMED_MODEL,
    RULE_AMD_OFF_OLD_QEMU,
    RULE_HOST_CANNOT_HONOUR,
    RULE_HOST_UNKNOWN,
    RULE_AARCH64_NO_CPU,
    RULE_AARCH64_TCG_HOST_CPU,
    RULE_AARCH64_ON,
    RULE_AARCH64_OFF,
    RULE_AARCH64_UNSET_DEFAULT_ON,
    RULE_AARCH64_UNSET_MODEL_UNKNOWN,
    RULE_AARCH64_TCG,
    RULE_LAST
} rule_id;

static const char *const rule_names[] = {
        [RULE_VIRT_TYPE_UNKNOWN] = "virt-type-unknown",
        [RULE_VIRT_TYPE_NO_ELEMENT] = "virt-type-no-element",
        [RULE_ARCH_UNKNOWN] = "arch-unknown",
        [RULE_ARCH_UNSUPPORTED] = "arch-unsupported",
        [RULE_KVM_CROSS_ARCH] = "kvm-cross-arch",
        [RULE_KVM_UNAVAILABLE] = "kvm-unavailable",
        [RULE_PPC64_OFF_REFUSED] = "ppc64-off-refused",
        [RULE_PPC64_ALWAYS_ON] = "ppc64-always-on",
        [RULE_X86_TCG] = "x86-tcg",
        [RULE_X86_ON] = "x86-on",
        [RULE_X86_OFF] = "x86-off",
        [RULE_X86_UNSET_NO_CPU] = "x86-unset-no-cpu",
        [RULE_X86_UNSET_HOST_PASSTHROUGH] = "x86-unset-host-passthrough",
        [RULE_X86_UNSET_MAXIMUM] = "x86-unset-maximum",
        [RULE_X86_UNSET_HOST_MODEL] = "x86-unset-host-model",
        [RULE_X86_UNSET_NAMED_MODEL] = "x86-unset-named-model",
        [RULE_AMD_OFF_OLD_QEMU] = "amd-off-old-qemu",
        [RULE_HOST_CANNOT_HONOUR] = "host-cannot-honour",
        [RULE_HOST_UNKNOWN] = "host-unknown",
        [RULE_AARCH64_NO_CPU] = "aarch64-no-cpu",
        [RULE_AARCH64_TCG_HOST_CPU] = "aarch64-tcg-host-cpu",
        [RULE_AARCH64_ON] = "aarch64-on",
        [RULE_AARCH64_OFF] = "aarch64-off",
        [RULE_AARCH64_UNSET_DEFAULT_ON] = "aarch64-unset-default-on",
        [RULE_AARCH64_UNSET_MODEL_UNKNOWN] = "aarch64-unset-model-unknown",
        [RULE_AARCH64_TCG] = "aarch64-tcg",
};
static_assert(ELEMENTSOF(rule_names) == RULE_LAST, "rule_names must match rule_id");

const char *const *
vpmu_explain_rules(size_t *n)
{
    *n = RULE_LAST;
    return rule_names;
}

/* ---- rules --------------------------------------------------------------------------------- */

static void
set(vpmu_explanation *ex, vpmu_effective state, rule_id rule)
{
    assert(rule < RULE_LAST);
    ex->state = state;
    ex->rule = rule_names[rule];
}

static void because(vpmu_explanation *ex, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void
because(vpmu_explanation *ex, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    strv_push(&ex->reasons, xvasprintf(fmt, ap));
    va_end(ap);
}

/* Copy the host's own reasons, so that "cannot honour" says why. */
static void
add_host_reasons(vpmu_explanation *ex, const vpmu_hostcaps *host)
{
    const char *const *r = vpmu_hostcaps_get_reasons(host, NULL);

    for (; *r; r++)
        because(ex, "host: %s", *r);
}

static const char *
or_none(const char *s)
{
    return s ? s : "none";
}

/* What the QEMU pmu property ends up as, before the host has its say. */
typedef enum {
    REQ_UNKNOWN,
    REQ_ON,
    REQ_OFF
} requested;

static requested
x86_requested(vpmu_explanation *ex, const vpmu_explain_input *in, rule_id *rule)
{
    const char *mode = in->cpu_mode;

    if (!mode && in->cpu_model)
        mode = "custom";
    switch (in->decision) {
    case VPMU_PMU_ON:
        *rule = RULE_X86_ON;
        because(ex, "decided on: libvirt passes pmu=on to -cpu");
        return REQ_ON;
    case VPMU_PMU_OFF:
        *rule = RULE_X86_OFF;
        because(ex, "decided off: libvirt passes pmu=off to -cpu, which hides CPUID leaf 0xA and "
                    "clears PDCM");
        return REQ_OFF;
    default:
        break;
    }
    /* Unset: no <pmu> element, so QEMU's default for the CPU model applies (docs/facts.md §3). */
    if (!mode) {
        *rule = RULE_X86_UNSET_NO_CPU;
        because(ex, "unset with no <cpu>: libvirt picks the named model qemu64, whose pmu "
                    "property defaults to off");
        return REQ_OFF;
    }
    if (STREQ(mode, "host-passthrough")) {
        *rule = RULE_X86_UNSET_HOST_PASSTHROUGH;
        because(ex, "unset with host-passthrough: -cpu host turns pmu on under KVM");
        return REQ_ON;
    }
    if (STREQ(mode, "maximum")) {
        *rule = RULE_X86_UNSET_MAXIMUM;
        because(ex, "unset with maximum: -cpu max turns pmu on under KVM");
        return REQ_ON;
    }
    if (STREQ(mode, "host-model")) {
        *rule = RULE_X86_UNSET_HOST_MODEL;
        because(ex, "unset with host-model: libvirt expands it to a named model, whose pmu "
                    "property defaults to off");
        return REQ_OFF;
    }
    *rule = RULE_X86_UNSET_NAMED_MODEL;
    because(ex, "unset with the named model '%s': its pmu property defaults to off",
            or_none(in->cpu_model));
    return REQ_OFF;
}

static void
explain_x86_kvm(vpmu_explanation *ex, const vpmu_explain_input *in)
{
    const vpmu_hostcaps *host = in->host;
    rule_id rule = RULE_LAST;
    char vbuf[32];
    requested req = x86_requested(ex, in, &rule);
    bool host_yes = host && vpmu_hostcaps_get_verdict(host) == VPMU_HOST_YES;

    if (req == REQ_ON) {
        if (!host) {
            set(ex, VPMU_EFFECTIVE_UNKNOWN, RULE_HOST_UNKNOWN);
            because(ex, "the guest asks for a vPMU and gets one only when the host has a PMU "
                        "and kvm.enable_pmu is not N; the host is unknown");
            return;
        }
        if (!host_yes) {
            set(ex, VPMU_EFFECTIVE_OFF, RULE_HOST_CANNOT_HONOUR);
            because(ex, "this host gives no guest a vPMU, whatever the XML says");
            add_host_reasons(ex, host);
            return;
        }
        set(ex, VPMU_EFFECTIVE_ON, rule);
        because(ex, "the host has a PMU and KVM gives guests a vPMU");
        return;
    }

    /* REQ_OFF */
    if (host && !host_yes) {
        set(ex, VPMU_EFFECTIVE_OFF, rule);
        because(ex, "this host gives no guest a vPMU anyway");
        add_host_reasons(ex, host);
        return;
    }
    if (in->qemu_version >= VPMU_QEMU_AMD_FULL_OFF) {
        set(ex, VPMU_EFFECTIVE_OFF, rule);
        because(ex, "QEMU %s disables KVM's vPMU fully (KVM_PMU_CAP_DISABLE), also on AMD",
                vpmu_version_format(in->qemu_version, vbuf, sizeof(vbuf)));
        return;
    }
    if (!host) {
        set(ex, VPMU_EFFECTIVE_UNKNOWN, RULE_HOST_UNKNOWN);
        because(ex, "off, except on an AMD host with QEMU older than 11, where it is only partly "
                    "off; the host is unknown");
        return;
    }
    if (vpmu_hostcaps_get_vendor(host) == VPMU_VENDOR_AMD) {
        set(ex, VPMU_EFFECTIVE_PARTIAL, RULE_AMD_OFF_OLD_QEMU);
        because(ex, "AMD guests find the legacy counters by CPU family, not CPUID, so pmu=off "
                    "does not stop KVM's AMD vPMU; QEMU disables it fully only from 11.0");
        if (in->qemu_version)
            because(ex, "QEMU %s is older than 11.0",
                    vpmu_version_format(in->qemu_version, vbuf, sizeof(vbuf)));
        else
            because(ex, "the QEMU version is unknown: assuming it is older than 11.0");
        return;
    }
    set(ex, VPMU_EFFECTIVE_OFF, rule);
}

static void
explain_x86(vpmu_explanation *ex, const vpmu_explain_input *in)
{
    if (STREQ(in->virt_type, "qemu")) {
        /* docs/facts.md §3: TCG emulates no x86 PMU. */
        set(ex, VPMU_EFFECTIVE_OFF, RULE_X86_TCG);
        because(ex, "x86 under TCG (virt type qemu): QEMU emulates no x86 PMU, so the guest never "
                    "sees one");
        if (in->decision == VPMU_PMU_ON)
            because(ex, "the decision on cannot be honoured: use virt type kvm on a host with a "
                        "vPMU");
        return;
    }
    explain_x86_kvm(ex, in);
}

static void
explain_ppc64(vpmu_explanation *ex, const vpmu_explain_input *in)
{
    /* docs/facts.md §2: on ppc64 the PMU is always on, and libvirt rejects off. */
    if (in->decision == VPMU_PMU_OFF) {
        set(ex, VPMU_EFFECTIVE_REFUSED, RULE_PPC64_OFF_REFUSED);
        because(ex, "ppc64: the PMU is always on, and libvirt rejects <pmu state='off'/> (\"PMU "
                    "is always enabled for architecture\"); the guest will not start");
        return;
    }
    set(ex, VPMU_EFFECTIVE_ON, RULE_PPC64_ALWAYS_ON);
    because(ex, "ppc64: the PMU is always on");
}

static bool
arm_model_has_pmu(const char *model)
{
    /* The CPU types docs/facts.md §3 names as having a PMU by default. */
    return model && (STREQ(model, "cortex-a57") || STREQ(model, "max"));
}

static void
explain_arm64(vpmu_explanation *ex, const vpmu_explain_input *in)
{
    const vpmu_hostcaps *host = in->host;
    const char *mode = in->cpu_mode;
    bool tcg = STREQ(in->virt_type, "qemu");
    requested req = REQ_UNKNOWN;
    rule_id rule = RULE_LAST;

    if (!mode && in->cpu_model)
        mode = "custom";
    if (!mode) {
        /* docs/facts.md §2: on other architectures than x86 a <cpu> element is needed. */
        set(ex, VPMU_EFFECTIVE_UNKNOWN, RULE_AARCH64_NO_CPU);
        because(ex, "aarch64 guest without <cpu>: libvirt needs a CPU model to pass pmu=, and "
                    "vpmu has no rule for QEMU's default CPU");
        return;
    }
    if (tcg && STREQ(mode, "host-passthrough")) {
        set(ex, VPMU_EFFECTIVE_UNKNOWN, RULE_AARCH64_TCG_HOST_CPU);
        because(ex, "host-passthrough (-cpu host) needs KVM; under TCG the guest will not start");
        return;
    }

    switch (in->decision) {
    case VPMU_PMU_ON:
        req = REQ_ON;
        rule = RULE_AARCH64_ON;
        because(ex, "decided on: libvirt passes pmu=on to -cpu");
        break;
    case VPMU_PMU_OFF:
        req = REQ_OFF;
        rule = RULE_AARCH64_OFF;
        because(ex, "decided off: libvirt passes pmu=off to -cpu, which removes the PMU");
        break;
    default:
        if (STREQ(mode, "host-passthrough") || STREQ(mode, "maximum") ||
            (STREQ(mode, "custom") && arm_model_has_pmu(in->cpu_model))) {
            req = REQ_ON;
            rule = RULE_AARCH64_UNSET_DEFAULT_ON;
            because(ex, "unset: QEMU turns pmu on by default for CPU type '%s'",
                    STREQ(mode, "host-passthrough") ? "host"
                    : STREQ(mode, "maximum")        ? "max"
                                                    : in->cpu_model);
        } else {
            set(ex, VPMU_EFFECTIVE_UNKNOWN, RULE_AARCH64_UNSET_MODEL_UNKNOWN);
            because(ex,
                    "unset with CPU %s '%s': vpmu knows QEMU's default only for cortex-a57, "
                    "max and host",
                    STREQ(mode, "custom") ? "model" : "mode",
                    STREQ(mode, "custom") ? or_none(in->cpu_model) : mode);
            return;
        }
        break;
    }

    if (req == REQ_OFF) {
        set(ex, VPMU_EFFECTIVE_OFF, rule);
        return;
    }
    /* REQ_ON */
    if (tcg) {
        set(ex, VPMU_EFFECTIVE_ON, RULE_AARCH64_TCG);
        because(ex, "TCG emulates PMUv3 with a cycle counter and a few events (no instructions "
                    "event without -icount)");
        return;
    }
    if (!host) {
        set(ex, VPMU_EFFECTIVE_UNKNOWN, RULE_HOST_UNKNOWN);
        because(ex, "the guest asks for a vPMU and gets one under KVM only when the host has "
                    "PMUv3; the host is unknown");
        return;
    }
    if (vpmu_hostcaps_get_verdict(host) != VPMU_HOST_YES) {
        set(ex, VPMU_EFFECTIVE_OFF, RULE_HOST_CANNOT_HONOUR);
        because(ex, "this host gives KVM guests no vPMU, whatever the XML says");
        add_host_reasons(ex, host);
        return;
    }
    set(ex, VPMU_EFFECTIVE_ON, rule);
    because(ex, "the host has PMUv3 and KVM gives guests a vPMU");
}

/*
 * The kind of vPMU the guest gets, and what it means for perf.  The figures
 * are the ones the Linux merge commit of the mediated vPMU publishes
 * (bf2c3138ae36, "Merge tag 'kvm-x86-pmu-6.20'"): SPECint 2017 on a
 * single-socket 56-core Sapphire Rapids, perf record inside the guest.
 */
#define KIND_SOURCE                                                                                \
    "SPECint 2017 on a 56-core Sapphire Rapids, Linux merge commit bf2c3138ae36 "                  \
    "(kvm-x86-pmu-6.20)"

static void kind_because(vpmu_explanation *ex, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void
kind_because(vpmu_explanation *ex, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    strv_push(&ex->kind_reasons, xvasprintf(fmt, ap));
    va_end(ap);
}

static void
explain_kind(vpmu_explanation *ex, const vpmu_explain_input *in)
{
    const vpmu_hostcaps *host = in->host;
    const char *arch = in->arch ? in->arch : host ? vpmu_hostcaps_get_arch(host) : NULL;
    vpmu_arch_family fam = vpmu_arch_family_of(arch);
    const char *req_text = NULL;

    switch (ex->state) {
    case VPMU_EFFECTIVE_OFF:
    case VPMU_EFFECTIVE_REFUSED:
        ex->kind = VPMU_KIND_NONE;
        kind_because(ex, "the guest gets no vPMU");
        return;
    case VPMU_EFFECTIVE_UNKNOWN:
        ex->kind = VPMU_KIND_UNKNOWN;
        kind_because(ex, "whether the guest gets a vPMU at all is unknown");
        return;
    default:
        break;
    }
    if (in->virt_type && STREQ(in->virt_type, "qemu")) {
        ex->kind = VPMU_KIND_EMULATED;
        kind_because(ex, "TCG: QEMU emulates the PMU in software; the mediated vPMU needs KVM");
        return;
    }
    if (fam == VPMU_ARCH_FAMILY_PPC64) {
        ex->kind = VPMU_KIND_UNKNOWN;
        kind_because(ex, "vpmu tells the vPMU kind on x86 and arm64 only");
        return;
    }
    if (fam == VPMU_ARCH_FAMILY_ARM64) {
        ex->kind = VPMU_KIND_EMULATED;
        kind_because(ex, "arm64 KVM backs each guest counter with a host perf event; the "
                         "mediated vPMU is x86 only");
        return;
    }
    if (!host) {
        ex->kind = VPMU_KIND_UNKNOWN;
        kind_because(ex, "emulated or mediated depends on the host's kvm_intel / kvm_amd "
                         "enable_mediated_pmu; the host is unknown");
        return;
    }
    ex->kind = vpmu_hostcaps_get_kind(host);
    switch (ex->kind) {
    case VPMU_KIND_MEDIATED:
        kind_because(ex, "mediated vPMU: the guest owns the PMU hardware while it runs, and "
                         "counts without losing events to host perf users");
        kind_because(ex, "perf record in the guest costs 4.2%% (33.6%% with the emulated vPMU), "
                         "7.3%% with multiplexed events (79.3%%); " KIND_SOURCE);
        kind_because(ex, "the price: the host cannot profile this guest with perf, and most VM "
                         "exits cost more (KVM switches the PMU state)");
        break;
    case VPMU_KIND_EMULATED:
        kind_because(ex, "emulated vPMU: KVM programs each guest counter as a host perf event; "
                         "the host can still profile the guest");
        kind_because(ex, "perf record in the guest costs 33.6%% (4.2%% with the mediated vPMU), "
                         "79.3%% with multiplexed events (7.3%%); " KIND_SOURCE);
        if (vpmu_hostcaps_get_mediated_requirement(host, &req_text) == VPMU_MEDIATED_REQ_MET)
            kind_because(ex,
                         "this host's CPU meets the mediated vPMU's requirement (%s); a Linux "
                         "7.0 kernel with enable_mediated_pmu=1 would give it",
                         req_text);
        else if (req_text)
            kind_because(
                    ex, "mediated vPMU requirement %s on this host: %s",
                    vpmu_mediated_req_to_string(vpmu_hostcaps_get_mediated_requirement(host, NULL)),
                    req_text);
        break;
    default:
        for (const char *const *r = vpmu_hostcaps_get_kind_reasons(host, NULL); *r; r++)
            kind_because(ex, "host: %s", *r);
        break;
    }
}

static vpmu_explanation *explain_effective(const vpmu_explain_input *in_);

vpmu_explanation *
vpmu_explain(const vpmu_explain_input *in_)
{
    vpmu_explain_input local = *in_;
    vpmu_explanation *ex;

    /* A host probe without evidence tells nothing: explain as for an unknown host. */
    if (local.host && vpmu_hostcaps_get_verdict(local.host) == VPMU_HOST_UNKNOWN)
        local.host = NULL;
    ex = explain_effective(&local);
    explain_kind(ex, &local);
    return ex;
}

static vpmu_explanation *
explain_effective(const vpmu_explain_input *in)
{
    vpmu_explanation *ex = xcalloc(1, sizeof(*ex));
    const char *arch = in->arch;
    vpmu_arch_family fam, host_fam;

    ex->decision = in->decision;
    /* docs/facts.md §1/§2: unset emits no element; on/off emit <pmu state=.../>. */
    if (in->decision == VPMU_PMU_ON)
        ex->element = "<pmu state='on'/>";
    else if (in->decision == VPMU_PMU_OFF)
        ex->element = "<pmu state='off'/>";

    if (!in->virt_type) {
        set(ex, VPMU_EFFECTIVE_UNKNOWN, RULE_VIRT_TYPE_UNKNOWN);
        because(ex, "the virt type is unknown; give --virt-type kvm or qemu");
        return ex;
    }
    if (!STREQ(in->virt_type, "kvm") && !STREQ(in->virt_type, "qemu")) {
        /* docs/facts.md §1: Nova emits the element only for virt types qemu and kvm. */
        ex->element = NULL;
        set(ex, VPMU_EFFECTIVE_UNKNOWN, RULE_VIRT_TYPE_NO_ELEMENT);
        because(ex,
                "virt type '%s': like Nova, vpmu emits <pmu> only for qemu and kvm, and has "
                "no rule for this hypervisor's default",
                in->virt_type);
        return ex;
    }

    if (!arch && in->host)
        arch = vpmu_hostcaps_get_arch(in->host);
    if (!arch) {
        set(ex, VPMU_EFFECTIVE_UNKNOWN, RULE_ARCH_UNKNOWN);
        because(ex, "the guest arch is unknown; give --arch");
        return ex;
    }
    fam = vpmu_arch_family_of(arch);
    if (fam == VPMU_ARCH_FAMILY_OTHER) {
        set(ex, VPMU_EFFECTIVE_UNKNOWN, RULE_ARCH_UNSUPPORTED);
        because(ex, "vpmu has no rule for arch '%s'", arch);
        return ex;
    }

    if (STREQ(in->virt_type, "kvm") && in->host) {
        host_fam = vpmu_arch_family_of(vpmu_hostcaps_get_arch(in->host));
        if (vpmu_hostcaps_get_arch(in->host) && host_fam != fam) {
            set(ex, VPMU_EFFECTIVE_UNKNOWN, RULE_KVM_CROSS_ARCH);
            because(ex,
                    "KVM runs only guests of the host's arch: a %s guest cannot start with "
                    "virt type kvm on this %s host",
                    arch, vpmu_hostcaps_get_arch(in->host));
            return ex;
        }
        if (!vpmu_hostcaps_has_dev_kvm(in->host)) {
            set(ex, VPMU_EFFECTIVE_UNKNOWN, RULE_KVM_UNAVAILABLE);
            because(ex, "no /dev/kvm on this host: a guest with virt type kvm cannot start");
            return ex;
        }
    }

    switch (fam) {
    case VPMU_ARCH_FAMILY_X86:
        explain_x86(ex, in);
        break;
    case VPMU_ARCH_FAMILY_ARM64:
        explain_arm64(ex, in);
        break;
    case VPMU_ARCH_FAMILY_PPC64:
        explain_ppc64(ex, in);
        break;
    default:
        break;
    }
    return ex;
}

void
vpmu_explanation_free(vpmu_explanation *ex)
{
    if (!ex)
        return;
    strv_clear(&ex->reasons);
    strv_clear(&ex->kind_reasons);
    free(ex);
}

vpmu_effective
vpmu_explanation_get_state(const vpmu_explanation *ex)
{
    return ex->state;
}

vpmu_kind
vpmu_explanation_get_kind(const vpmu_explanation *ex)
{
    return ex->kind;
}

const char *const *
vpmu_explanation_get_kind_reasons(const vpmu_explanation *ex, size_t *n)
{
    static const char *const empty[] = {NULL};

    if (n)
        *n = ex->kind_reasons.n;
    return ex->kind_reasons.v ? (const char *const *)ex->kind_reasons.v : empty;
}

const char *
vpmu_explanation_get_rule(const vpmu_explanation *ex)
{
    return ex->rule;
}

const char *
vpmu_explanation_get_element(const vpmu_explanation *ex)
{
    return ex->element;
}

const char *const *
vpmu_explanation_get_reasons(const vpmu_explanation *ex, size_t *n)
{
    static const char *const empty[] = {NULL};

    if (n)
        *n = ex->reasons.n;
    return ex->reasons.v ? (const char *const *)ex->reasons.v : empty;
}

bool
vpmu_explanation_honours_decision(const vpmu_explanation *ex)
{
    switch (ex->decision) {
    case VPMU_PMU_ON:
        return ex->state == VPMU_EFFECTIVE_ON || ex->state == VPMU_EFFECTIVE_UNKNOWN;
    case VPMU_PMU_OFF:
        return ex->state == VPMU_EFFECTIVE_OFF || ex->state == VPMU_EFFECTIVE_UNKNOWN;
    default:
        return true;
    }
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Host vPMU capability, probed from /proc and /sys relative to a root
 * directory (the libvirt virhostcpu-test idea: tests point it at fixture
 * trees).  What counts as evidence, and why, is docs/facts.md §3:
 *
 *  - /sys/bus/event_source/devices/cpu exists only with a working x86 PMU
 *    driver; on arm64 the PMUv3 driver registers armv8_pmuv3* (ACPI) or
 *    armv8_<core> / armv9_<core> (device tree) instead;
 *  - cpuinfo flags arch_perfmon, pdcm (Intel) and perfctr_core, perfmon_v2
 *    (AMD) describe the counters; arm64 cpuinfo has no PMU flag;
 *  - /dev/kvm must exist for KVM;
 *  - kvm.enable_pmu (x86, Linux 5.17+, default Y) = N means no guest gets a
 *    vPMU whatever the XML says; KVM forces N when the host has no usable PMU.
 *
 * Numbers go through a checked strtoul().  Missing files are evidence,
 * never errors; a root with no evidence at all is verdict unknown, never
 * "no".  Every file is opened and read through hostcaps-read.c (confined to
 * the root, capped, regular files only).
 */
#include "config.h"

#include <assert.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "hostcaps-private.h"
#include "hostcaps-test.h"
#include "arch.h"
#include "util.h"
#include "vpmu/hostcaps.h"

static const char *const verdict_strings[] = {
        [VPMU_HOST_NO] = "no",
        [VPMU_HOST_PARTIAL] = "partial",
        [VPMU_HOST_YES] = "yes",
        [VPMU_HOST_UNKNOWN] = "unknown",
};
VPMU_DEFINE_TO_STRING(vpmu_host_verdict_to_string, vpmu_host_verdict, verdict_strings,
                      VPMU_HOST_VERDICT_LAST);

static const char *const vendor_strings[] = {
        [VPMU_VENDOR_UNKNOWN] = "unknown", [VPMU_VENDOR_INTEL] = "intel", [VPMU_VENDOR_AMD] = "amd",
        [VPMU_VENDOR_ARM] = "arm",         [VPMU_VENDOR_OTHER] = "other",
};
VPMU_DEFINE_TO_STRING(vpmu_cpu_vendor_to_string, vpmu_cpu_vendor, vendor_strings, VPMU_VENDOR_LAST);

static const char *const param_strings[] = {
        [VPMU_PARAM_ABSENT] = "absent",
        [VPMU_PARAM_YES] = "Y",
        [VPMU_PARAM_NO] = "N",
        [VPMU_PARAM_INVALID] = "invalid",
};
VPMU_DEFINE_TO_STRING(vpmu_host_param_to_string, vpmu_host_param, param_strings, VPMU_PARAM_LAST);

/* ---- parsers (pure, length-bounded, exposed for fuzzing) ------------------------------------ */

static bool
is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* A span of bytes, not NUL-terminated. */
typedef struct {
    const char *p;
    size_t n;
} span;

static span
span_trim(span s)
{
    while (s.n > 0 && is_blank(s.p[0])) {
        s.p++;
        s.n--;
    }
    while (s.n > 0 && is_blank(s.p[s.n - 1]))
        s.n--;
    return s;
}

static bool
span_eq(span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n == n && memcmp(s.p, lit, n) == 0;
}

/* Copy a span into a fixed buffer, truncating; always NUL-terminated. */
static void
span_copy(span s, char *dst, size_t dstsize)
{
    size_t n = s.n < dstsize - 1 ? s.n : dstsize - 1;

    memcpy(dst, s.p, n);
    dst[n] = '\0';
    /* A NUL inside the input would cut the string short; keep it printable instead. */
    for (size_t i = 0; i < n; i++)
        if (dst[i] == '\0')
            dst[i] = '?';
}

/* Checked strtoul() on a span: the whole (trimmed) span must be the number. */
static int
span_to_ulong(span s, int base, unsigned long *out)
{
    char tmp[32];
    char *end = NULL;
    unsigned long v;

    s = span_trim(s);
    if (s.n == 0 || s.n >= sizeof(tmp))
        return -1;
    memcpy(tmp, s.p, s.n);
    tmp[s.n] = '\0';
    /* strtoul accepts a sign and leading blanks; a count does not. */
    if (tmp[0] < '0' || tmp[0] > '9')
        return -1;
    errno = 0;
    v = strtoul(tmp, &end, base);
    if (errno != 0 || end == tmp || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

static void
parse_flags(span value, vpmu_cpuinfo *out)
{
    size_t i = 0;

    while (i < value.n) {
        size_t start;

        while (i < value.n && is_blank(value.p[i]))
            i++;
        start = i;
        while (i < value.n && !is_blank(value.p[i]))
            i++;
        span tok = {value.p + start, i - start};
        if (tok.n == 0)
            continue;
        if (span_eq(tok, "arch_perfmon"))
            out->arch_perfmon = true;
        else if (span_eq(tok, "pdcm"))
            out->pdcm = true;
        else if (span_eq(tok, "perfctr_core"))
            out->perfctr_core = true;
        else if (span_eq(tok, "perfmon_v2"))
            out->perfmon_v2 = true;
        else if (span_eq(tok, "lm"))
            out->lm = true;
    }
}

void
vpmu_hostcaps_parse_cpuinfo(const char *buf, size_t len, vpmu_cpuinfo *out)
{
    bool seen_key = false, seen_flags = false, seen_ppc = false;
    unsigned long cpu_arch = 0;
    bool has_cpu_arch = false;
    size_t pos = 0;

    memset(out, 0, sizeof(*out));
    if (!buf)
        len = 0;
    while (pos < len) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len;
        span line = {buf + pos, end - pos};
        const char *colon;

        pos = nl ? end + 1 : len;
        if (span_trim(line).n == 0) {
            /* A blank line ends the first processor block. */
            if (seen_key)
                break;
            continue;
        }
        colon = memchr(line.p, ':', line.n);
        if (!colon)
            continue;
        span key = span_trim((span){line.p, (size_t)(colon - line.p)});
        span value = span_trim((span){colon + 1, line.n - (size_t)(colon - line.p) - 1});
        seen_key = true;

        if (span_eq(key, "vendor_id")) {
            span_copy(value, out->vendor_id, sizeof(out->vendor_id));
        } else if (span_eq(key, "model name")) {
            span_copy(value, out->model_name, sizeof(out->model_name));
        } else if (span_eq(key, "cpu family")) {
            out->has_family = span_to_ulong(value, 10, &out->family) == 0;
        } else if (span_eq(key, "flags")) {
            seen_flags = true;
            parse_flags(value, out);
        } else if (span_eq(key, "CPU implementer")) {
            /* "0x41": base 0 takes the 0x prefix. */
            out->has_implementer = span_to_ulong(value, 0, &out->implementer) == 0;
        } else if (span_eq(key, "CPU architecture")) {
            has_cpu_arch = span_to_ulong(value, 10, &cpu_arch) == 0;
        } else if (span_eq(key, "cpu") || span_eq(key, "platform")) {
            /* ppc64: "cpu : POWER9 (raw), altivec supported", "platform : pSeries" */
            seen_ppc = true;
            if (span_eq(key, "cpu") && out->model_name[0] == '\0')
                span_copy(value, out->model_name, sizeof(out->model_name));
        }
    }

    if (STREQ(out->vendor_id, "GenuineIntel"))
        out->vendor = VPMU_VENDOR_INTEL;
    else if (STREQ(out->vendor_id, "AuthenticAMD") || STREQ(out->vendor_id, "HygonGenuine"))
        out->vendor = VPMU_VENDOR_AMD;
    else if (out->has_implementer)
        out->vendor = VPMU_VENDOR_ARM;
    else if (out->vendor_id[0] != '\0')
        out->vendor = VPMU_VENDOR_OTHER;
    else
        out->vendor = VPMU_VENDOR_UNKNOWN;

    if (out->vendor == VPMU_VENDOR_INTEL || out->vendor == VPMU_VENDOR_AMD ||
        (seen_flags && out->vendor_id[0] != '\0' && out->vendor == VPMU_VENDOR_OTHER &&
         strncmp(out->vendor_id, "IBM/S390", 8) != 0))
        out->arch_guess = out->lm ? "x86_64" : "i686";
    else if (out->has_implementer && (!has_cpu_arch || cpu_arch >= 8))
        out->arch_guess = "aarch64";
    else if (seen_ppc && !seen_flags)
        out->arch_guess = "ppc64";
}

int
vpmu_hostcaps_parse_param_bool(const char *buf, size_t len, vpmu_host_param *out)
{
    span s;

    if (!buf)
        return -1;
    s = span_trim((span){buf, len});
    if (span_eq(s, "Y") || span_eq(s, "1")) {
        *out = VPMU_PARAM_YES;
        return 0;
    }
    if (span_eq(s, "N") || span_eq(s, "0")) {
        *out = VPMU_PARAM_NO;
        return 0;
    }
    return -1;
}

static int
cmp_strp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
is_arm_pmu_name(const char *name)
{
    /*
     * The arm64 PMUv3 driver (drivers/perf/arm_pmuv3.c) names the PMU
     * armv8_pmuv3[_N] when probed through ACPI and armv8_<core> / armv9_<core>
     * (armv8_cortex_a57, armv8_neoverse_n1, ...) through the device tree.
     */
    return strncmp(name, "armv8_", 6) == 0 || strncmp(name, "armv9_", 6) == 0;
}

/*
 * List the event sources for display (the first EVENT_SOURCES_MAX names in
 * directory order, then sorted) and find the arm64 PMU among all of them
 * (the alphabetically first, so that the result does not depend on the
 * directory order).  Returns whether the directory could be read.
 */
static bool
list_event_sources(vpmu_hostcaps *c, int rootfd)
{
    int dfd = open_in_root(c, rootfd, EVENT_SOURCE_DIR, O_RDONLY | O_DIRECTORY);
    DIR *d;
    struct dirent *de;

    if (dfd < 0)
        return false;
    d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return false;
    }
    while ((de = readdir(d)) != NULL && c->n_event_sources < EVENT_SOURCES_SCAN_MAX) {
        if (de->d_name[0] == '.')
            continue;
        c->n_event_sources++;
        if (is_arm_pmu_name(de->d_name) && (!c->arm_pmu || strcmp(de->d_name, c->arm_pmu) < 0)) {
            free(c->arm_pmu);
            c->arm_pmu = xstrdup(de->d_name);
        }
        if (c->event_sources.n < EVENT_SOURCES_MAX)
            strv_push(&c->event_sources, xstrdup(de->d_name));
    }
    closedir(d);
    if (c->event_sources.n > 1)
        qsort(c->event_sources.v, c->event_sources.n, sizeof(char *), cmp_strp);
    return true;
}

static bool
is_real_root(int rootfd)
{
    struct stat a, b;

    return fstat(rootfd, &a) == 0 && stat("/", &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

static void
probe_arch(vpmu_hostcaps *c, int rootfd)
{
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    struct utsname u;

    /* /proc/sys/kernel/arch: uname -m as a file, Linux 6.1+. */
    if (read_at(c, rootfd, "proc/sys/kernel/arch", SMALL_FILE_CAP, &buf, &len) == 0) {
        char *a = strstrip(buf);
        c->evidence++;
        if (*a && strspn(a, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(a)) {
            c->arch = xstrdup(a);
            c->arch_source = "proc/sys/kernel/arch";
            return;
        }
    }
    /* uname(2) is not relative to a root: trust it only for the real "/". */
    if (is_real_root(rootfd) && uname(&u) == 0 && u.machine[0]) {
        c->arch = xstrdup(u.machine);
        c->arch_source = "uname";
        return;
    }
    if (c->cpu.arch_guess) {
        c->arch = xstrdup(c->cpu.arch_guess);
        c->arch_source = "cpuinfo";
    }
}

static void
verdict_x86(vpmu_hostcaps *c)
{
    const vpmu_cpuinfo *ci = &c->cpu;
    bool ok = true;

    if (!c->dev_kvm) {
        strv_pushf(&c->reasons, "no /dev/kvm: guests run under TCG, which emulates no x86 PMU");
        ok = false;
    }
    if (c->enable_pmu == VPMU_PARAM_NO) {
        strv_pushf(&c->reasons, "kvm.enable_pmu=N: KVM gives no guest a vPMU, whatever the XML "
                                "says");
        ok = false;
    } else if (c->enable_pmu == VPMU_PARAM_INVALID) {
        strv_pushf(&c->reasons, "kvm.enable_pmu cannot be read or is neither Y nor N");
        ok = false;
    }
    if (!c->cpu_event_source) {
        strv_pushf(&c->reasons, "no 'cpu' event source in /%s: the host has no working PMU",
                   EVENT_SOURCE_DIR);
        ok = false;
    }
    if (ci->vendor == VPMU_VENDOR_INTEL && !ci->arch_perfmon) {
        strv_pushf(&c->reasons, "Intel CPU without the arch_perfmon flag: KVM's Intel vPMU needs "
                                "architectural perfmon");
        ok = false;
    }
    if (!ok) {
        c->verdict = VPMU_HOST_NO;
        return;
    }

    c->verdict = VPMU_HOST_YES;
    strv_pushf(&c->reasons, "/dev/kvm present");
    strv_pushf(&c->reasons, "'cpu' event source present: the host has a working PMU");
    if (c->enable_pmu == VPMU_PARAM_YES)
        strv_pushf(&c->reasons, "kvm.enable_pmu=Y");
    else
        strv_pushf(&c->reasons, "kvm.enable_pmu absent (Linux older than 5.17): KVM's vPMU is "
                                "on");
    if (ci->vendor == VPMU_VENDOR_INTEL) {
        strv_pushf(&c->reasons, "Intel: arch_perfmon%s", ci->pdcm ? ", pdcm" : "");
    } else if (ci->vendor == VPMU_VENDOR_AMD) {
        strv_pushf(&c->reasons, "AMD: %s%s",
                   ci->perfctr_core ? "perfctr_core (core performance counter extensions)"
                                    : "legacy counters only (no perfctr_core)",
                   ci->perfmon_v2 ? ", perfmon_v2" : "");
        strv_pushf(&c->notes, "AMD: pmu=off is only partly off with QEMU older than 11, since "
                              "guests find the legacy counters by CPU family");
    } else {
        strv_pushf(&c->notes,
                   "x86 vendor '%s' is neither Intel nor AMD: vpmu has no vendor rule "
                   "for it",
                   ci->vendor_id[0] ? ci->vendor_id : "unknown");
    }
}

static void
verdict_arm64(vpmu_hostcaps *c)
{
    if (c->dev_kvm && c->arm_pmu) {
        c->verdict = VPMU_HOST_YES;
        strv_pushf(&c->reasons, "/dev/kvm present");
        strv_pushf(&c->reasons, "'%s' event source present: the host has PMUv3", c->arm_pmu);
        return;
    }
    c->verdict = VPMU_HOST_PARTIAL;
    if (!c->dev_kvm)
        strv_pushf(&c->reasons, "no /dev/kvm: guests run under TCG");
    if (!c->arm_pmu)
        strv_pushf(&c->reasons, "no armv8_pmuv3 event source in /%s: KVM guests get no vPMU",
                   EVENT_SOURCE_DIR);
    strv_pushf(&c->reasons, "TCG guests (virt type qemu) get an emulated PMUv3 with a cycle "
                            "counter and a few events");
}

static void
verdict_ppc64(vpmu_hostcaps *c)
{
    if (c->dev_kvm) {
        c->verdict = VPMU_HOST_YES;
        strv_pushf(&c->reasons, "/dev/kvm present");
        strv_pushf(&c->reasons, "ppc64: the guest PMU is always on; libvirt refuses pmu=off");
        return;
    }
    c->verdict = VPMU_HOST_NO;
    strv_pushf(&c->reasons, "no /dev/kvm; vpmu has no rule for TCG guests on ppc64");
}

static void
decide_verdict(vpmu_hostcaps *c)
{
    vpmu_arch_family fam = vpmu_arch_family_of(c->arch);

    if (c->evidence == 0) {
        /* An empty or wrong directory says nothing about a host: not "no". */
        c->verdict = VPMU_HOST_UNKNOWN;
        strv_pushf(&c->reasons,
                   "no evidence under the root: none of proc/cpuinfo, proc/sys/kernel/arch, "
                   "%s, dev/kvm, sys/module/kvm can be read",
                   EVENT_SOURCE_DIR);
        return;
    }

    /* An unknown arch with an x86 vendor is still an x86 host. */
    if (fam == VPMU_ARCH_FAMILY_OTHER && !c->arch &&
        (c->cpu.vendor == VPMU_VENDOR_INTEL || c->cpu.vendor == VPMU_VENDOR_AMD))
        fam = VPMU_ARCH_FAMILY_X86;
    switch (fam) {
    case VPMU_ARCH_FAMILY_X86:
        verdict_x86(c);
        break;
    case VPMU_ARCH_FAMILY_ARM64:
        verdict_arm64(c);
        break;
    case VPMU_ARCH_FAMILY_PPC64:
        verdict_ppc64(c);
        break;
    default:
        if (c->arch) {
            c->verdict = VPMU_HOST_NO;
            strv_pushf(&c->reasons, "vpmu has no rule for arch '%s'", c->arch);
        } else {
            c->verdict = VPMU_HOST_UNKNOWN;
            strv_pushf(&c->reasons, "the host's arch cannot be told from /proc");
        }
        break;
    }
}

/* ---- the kind of vPMU: mediated, emulated or none -------------------------------------------- */

/*
 * Linux 7.0 (the kvm-x86 PMU pull for 6.20, merge commit bf2c3138ae36)
 * added the mediated vPMU: the guest owns the PMU hardware while it runs,
 * instead of KVM creating a host perf event for each guest counter (the
 * emulated vPMU).  It is all or nothing per KVM instance, chosen by the
 * read-only module parameter enable_mediated_pmu of kvm_intel / kvm_amd
 * (default N).  kvm_init_pmu_capability() (arch/x86/kvm/pmu.c) turns the
 * parameter back to N at load time when kvm.enable_pmu is N or the CPU lacks
 * what the vendor code asks for, so a Y read back from sysfs means the
 * kernel found the CPU good enough:
 *
 *  - Intel (arch/x86/kvm/vmx/pmu_intel.c, intel_pmu_is_mediated_pmu_supported):
 *    architectural PMU version 4 or later (for GLOBAL_STATUS_SET) and
 *    full-width counter writes (PERF_CAPABILITIES.FW_WRITES, readable only
 *    with PDCM);
 *  - AMD (arch/x86/kvm/svm/pmu.c, amd_pmu_is_mediated_pmu_supported): PMU
 *    version 2, i.e. PerfMonV2 (cpuinfo flag perfmon_v2).
 */
#define MEDIATED_PARAM_INTEL "sys/module/kvm_intel/parameters/enable_mediated_pmu"
#define MEDIATED_PARAM_AMD "sys/module/kvm_amd/parameters/enable_mediated_pmu"

static const char *const kind_strings[] = {
        [VPMU_KIND_UNKNOWN] = "unknown",
        [VPMU_KIND_NONE] = "none",
        [VPMU_KIND_EMULATED] = "emulated",
        [VPMU_KIND_MEDIATED] = "mediated",
};
VPMU_DEFINE_TO_STRING(vpmu_kind_to_string, vpmu_kind, kind_strings, VPMU_KIND_LAST);

static const char *const req_strings[] = {
        [VPMU_MEDIATED_REQ_UNKNOWN] = "unknown",
        [VPMU_MEDIATED_REQ_MET] = "met",
        [VPMU_MEDIATED_REQ_NOT_MET] = "not met",
};
VPMU_DEFINE_TO_STRING(vpmu_mediated_req_to_string, vpmu_mediated_req, req_strings,
                      VPMU_MEDIATED_REQ_LAST);

/* CPUID.0AH:EAX[7:0], the Intel architectural PMU version; 0 when not known. */
static unsigned
cpuid_arch_pmu_version(void)
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;

    if (__get_cpuid_max(0, NULL) < 0xa)
        return 0;
    __cpuid(0xa, eax, ebx, ecx, edx);
    (void)ebx;
    (void)ecx;
    (void)edx;
    return eax & 0xff;
#else
    return 0;
#endif
}

/* Read enable_mediated_pmu of the vendor module; which module is read is kept in c. */
static void
probe_mediated(vpmu_hostcaps *c, int rootfd)
{
    static const struct {
        const char *module, *param, *dir;
        vpmu_cpu_vendor vendor;
    } mods[] = {
            {"kvm_intel", MEDIATED_PARAM_INTEL, "sys/module/kvm_intel", VPMU_VENDOR_INTEL},
            {"kvm_amd", MEDIATED_PARAM_AMD, "sys/module/kvm_amd", VPMU_VENDOR_AMD},
    };
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;

    c->enable_mediated_pmu = VPMU_PARAM_ABSENT;
    for (size_t i = 0; i < ELEMENTSOF(mods); i++) {
        /* The vendor's module, or for an unknown vendor whichever is loaded. */
        if (c->cpu.vendor == VPMU_VENDOR_INTEL || c->cpu.vendor == VPMU_VENDOR_AMD) {
            if (mods[i].vendor != c->cpu.vendor)
                continue;
        } else if (!exists_at(c, rootfd, mods[i].dir)) {
            continue;
        }
        c->kvm_module = mods[i].module;
        c->kvm_module_loaded = exists_at(c, rootfd, mods[i].dir);
        if (read_at(c, rootfd, mods[i].param, SMALL_FILE_CAP, &buf, &len) == 0) {
            if (vpmu_hostcaps_parse_param_bool(buf, len, &c->enable_mediated_pmu) < 0)
                c->enable_mediated_pmu = VPMU_PARAM_INVALID;
        } else if (errno != ENOENT && errno != ENOTDIR) {
            c->enable_mediated_pmu = VPMU_PARAM_INVALID;
        }
        break;
    }

    /* What the CPU offers against what the kernel asks for. */
    if (c->cpu.vendor == VPMU_VENDOR_AMD) {
        c->mediated_req = c->cpu.perfmon_v2 ? VPMU_MEDIATED_REQ_MET : VPMU_MEDIATED_REQ_NOT_MET;
        c->mediated_req_text = xstrdup(
                c->cpu.perfmon_v2 ? "AMD PerfMonV2 (cpuinfo flag perfmon_v2), which kvm_amd needs"
                                  : "the CPU lacks AMD PerfMonV2 (no cpuinfo flag perfmon_v2), "
                                    "which kvm_amd needs");
    } else if (c->cpu.vendor == VPMU_VENDOR_INTEL) {
        /* uname-like: CPUID describes the CPU this runs on, so only for the real "/". */
        if (is_real_root(rootfd))
            c->arch_pmu_version = cpuid_arch_pmu_version();
        if (!c->cpu.pdcm) {
            c->mediated_req = VPMU_MEDIATED_REQ_NOT_MET;
            c->mediated_req_text =
                    xstrdup("the CPU lacks PDCM (no cpuinfo flag pdcm), so it cannot offer the "
                            "full-width counter writes kvm_intel needs");
        } else if (c->arch_pmu_version && c->arch_pmu_version < 4) {
            c->mediated_req = VPMU_MEDIATED_REQ_NOT_MET;
            c->mediated_req_text = xasprintf(
                    "architectural PMU version %u (CPUID leaf 0xA); kvm_intel needs 4 or later",
                    c->arch_pmu_version);
        } else {
            c->mediated_req = VPMU_MEDIATED_REQ_UNKNOWN;
            c->mediated_req_text =
                    c->arch_pmu_version
                            ? xasprintf("architectural PMU version %u (CPUID leaf 0xA) and pdcm; "
                                        "whether the CPU has full-width counter writes cannot "
                                        "be read from /proc or /sys",
                                        c->arch_pmu_version)
                            : xstrdup("pdcm present; the architectural PMU version (4 or later "
                                      "needed) and full-width counter writes cannot be read "
                                      "from /proc or /sys under a host root");
        }
    }
}

static void
decide_kind(vpmu_hostcaps *c)
{
    const char *mod = c->kvm_module ? c->kvm_module : "kvm_intel / kvm_amd";

    switch (c->verdict) {
    case VPMU_HOST_UNKNOWN:
        c->kind = VPMU_KIND_UNKNOWN;
        strv_pushf(&c->kind_reasons, "the host verdict is unknown");
        return;
    case VPMU_HOST_NO:
        c->kind = VPMU_KIND_NONE;
        strv_pushf(&c->kind_reasons, "guests here get no vPMU (verdict no)");
        return;
    case VPMU_HOST_PARTIAL:
        c->kind = VPMU_KIND_EMULATED;
        strv_pushf(&c->kind_reasons, "only TCG guests get a vPMU here, and QEMU emulates it");
        return;
    default:
        break;
    }
    if (vpmu_arch_family_of(c->arch) == VPMU_ARCH_FAMILY_ARM64) {
        c->kind = VPMU_KIND_EMULATED;
        strv_pushf(&c->kind_reasons, "arm64 KVM backs each guest counter with a host perf "
                                     "event; the mediated vPMU is x86 only");
        return;
    }
    if (vpmu_arch_family_of(c->arch) != VPMU_ARCH_FAMILY_X86) {
        c->kind = VPMU_KIND_UNKNOWN;
        strv_pushf(&c->kind_reasons, "vpmu tells the vPMU kind on x86 and arm64 only");
        return;
    }
    switch (c->enable_mediated_pmu) {
    case VPMU_PARAM_YES:
        c->kind = VPMU_KIND_MEDIATED;
        strv_pushf(&c->kind_reasons,
                   "%s.enable_mediated_pmu=Y: every KVM guest with a vPMU gets the mediated one",
                   mod);
        strv_pushf(&c->kind_reasons, "the kernel keeps the parameter Y only when the CPU meets "
                                     "its requirements and kvm.enable_pmu is Y");
        if (c->mediated_req == VPMU_MEDIATED_REQ_NOT_MET)
            strv_pushf(&c->notes,
                       "%s.enable_mediated_pmu=Y although %s: the tree under the root may not be "
                       "from one host",
                       mod, c->mediated_req_text);
        else
            c->mediated_req = VPMU_MEDIATED_REQ_MET;
        if (c->mediated_req_text)
            strv_pushf(&c->kind_reasons, "CPU: %s", c->mediated_req_text);
        return;
    case VPMU_PARAM_NO:
        c->kind = VPMU_KIND_EMULATED;
        strv_pushf(&c->kind_reasons,
                   "%s.enable_mediated_pmu=N: KVM emulates the vPMU with host perf events", mod);
        break;
    case VPMU_PARAM_INVALID:
        c->kind = VPMU_KIND_UNKNOWN;
        strv_pushf(&c->kind_reasons, "%s.enable_mediated_pmu cannot be read or is neither Y nor N",
                   mod);
        return;
    default:
        c->kind = VPMU_KIND_EMULATED;
        if (c->kvm_module_loaded)
            strv_pushf(&c->kind_reasons,
                       "%s has no enable_mediated_pmu parameter: the kernel predates the "
                       "mediated vPMU (Linux 7.0), so KVM emulates the vPMU",
                       mod);
        else
            strv_pushf(&c->kind_reasons,
                       "no %s parameters under the root: assuming the emulated vPMU, the only "
                       "kind before Linux 7.0 and the default after",
                       mod);
        break;
    }
    /* Emulated: could this host give the mediated one? */
    if (c->mediated_req_text)
        strv_pushf(&c->kind_reasons, "mediated vPMU requirement %s: %s",
                   vpmu_mediated_req_to_string(c->mediated_req), c->mediated_req_text);
    if (c->mediated_req == VPMU_MEDIATED_REQ_MET)
        strv_pushf(&c->notes,
                   "the CPU meets the mediated vPMU's requirement: a Linux 7.0 or later kernel "
                   "with %s loaded as enable_mediated_pmu=1 would give guests the mediated vPMU",
                   mod);
}

vpmu_hostcaps *
vpmu_hostcaps_probe(const char *root, vpmu_error **error)
{
    _cleanup_close_ int rootfd = -1;
    _cleanup_free_ char *cpuinfo = NULL;
    _cleanup_free_ char *param = NULL;
    size_t len = 0;
    vpmu_hostcaps *c;

    if (!root || !*root)
        root = "/";
    rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot open host root '%s': %s", root,
                       strerror(errno));
        return NULL;
    }

    c = xcalloc(1, sizeof(*c));
    c->root = xstrdup(root);

    if (read_at(c, rootfd, "proc/cpuinfo", CPUINFO_CAP, &cpuinfo, &len) == 0) {
        vpmu_hostcaps_parse_cpuinfo(cpuinfo, len, &c->cpu);
        c->evidence++;
    } else {
        vpmu_hostcaps_parse_cpuinfo(NULL, 0, &c->cpu);
    }
    probe_arch(c, rootfd);

    /* By name, not from the listing: the listing may be long, and is capped. */
    c->cpu_event_source = exists_at(c, rootfd, EVENT_SOURCE_DIR "/cpu");
    if (list_event_sources(c, rootfd))
        c->evidence++;

    c->dev_kvm = exists_at(c, rootfd, "dev/kvm");
    if (c->dev_kvm)
        c->evidence++;
    if (exists_at(c, rootfd, "sys/module/kvm"))
        c->evidence++;

    if (read_at(c, rootfd, ENABLE_PMU_PATH, SMALL_FILE_CAP, &param, &len) == 0) {
        if (vpmu_hostcaps_parse_param_bool(param, len, &c->enable_pmu) < 0)
            c->enable_pmu = VPMU_PARAM_INVALID;
    } else {
        c->enable_pmu =
                errno == ENOENT || errno == ENOTDIR ? VPMU_PARAM_ABSENT : VPMU_PARAM_INVALID;
    }

    probe_mediated(c, rootfd);

    decide_verdict(c);
    decide_kind(c);
    return c;
}

void
vpmu_hostcaps_free(vpmu_hostcaps *c)
{
    if (!c)
        return;
    free(c->root);
    free(c->arch);
    free(c->arm_pmu);
    free(c->mediated_req_text);
    strv_clear(&c->kind_reasons);
    strv_clear(&c->event_sources);
    strv_clear(&c->reasons);
    strv_clear(&c->notes);
    free(c);
}

const char *
vpmu_hostcaps_get_root(const vpmu_hostcaps *c)
{
    return c->root;
}

const char *
vpmu_hostcaps_get_arch(const vpmu_hostcaps *c)
{
    return c->arch;
}

const char *
vpmu_hostcaps_get_arch_source(const vpmu_hostcaps *c)
{
    return c->arch_source;
}

const vpmu_cpuinfo *
vpmu_hostcaps_get_cpuinfo(const vpmu_hostcaps *c)
{
    return &c->cpu;
}

vpmu_cpu_vendor
vpmu_hostcaps_get_vendor(const vpmu_hostcaps *c)
{
    return c->cpu.vendor;
}

bool
vpmu_hostcaps_has_cpu_event_source(const vpmu_hostcaps *c)
{
    return c->cpu_event_source;
}

const char *
vpmu_hostcaps_get_arm_pmu(const vpmu_hostcaps *c)
{
    return c->arm_pmu;
}

static const char *const empty_strv[] = {NULL};

static const char *const *
strv_view(const strv *s, size_t *n)
{
    if (n)
        *n = s->n;
    return s->v ? (const char *const *)s->v : empty_strv;
}

const char *const *
vpmu_hostcaps_get_event_sources(const vpmu_hostcaps *c, size_t *n)
{
    return strv_view(&c->event_sources, n);
}

size_t
vpmu_hostcaps_get_event_source_total(const vpmu_hostcaps *c)
{
    return c->n_event_sources;
}

const char *
vpmu_hostcaps_get_resolver(const vpmu_hostcaps *c)
{
    return c->resolver;
}

bool
vpmu_hostcaps_has_dev_kvm(const vpmu_hostcaps *c)
{
    return c->dev_kvm;
}

vpmu_host_param
vpmu_hostcaps_get_enable_pmu(const vpmu_hostcaps *c)
{
    return c->enable_pmu;
}

vpmu_host_verdict
vpmu_hostcaps_get_verdict(const vpmu_hostcaps *c)
{
    return c->verdict;
}

const char *const *
vpmu_hostcaps_get_reasons(const vpmu_hostcaps *c, size_t *n)
{
    return strv_view(&c->reasons, n);
}

const char *const *
vpmu_hostcaps_get_notes(const vpmu_hostcaps *c, size_t *n)
{
    return strv_view(&c->notes, n);
}

bool
vpmu_hostcaps_has_trait(const vpmu_hostcaps *c)
{
    return c->verdict == VPMU_HOST_YES;
}

vpmu_kind
vpmu_hostcaps_get_kind(const vpmu_hostcaps *c)
{
    return c->kind;
}

const char *const *
vpmu_hostcaps_get_kind_reasons(const vpmu_hostcaps *c, size_t *n)
{
    return strv_view(&c->kind_reasons, n);
}

vpmu_host_param
vpmu_hostcaps_get_enable_mediated_pmu(const vpmu_hostcaps *c)
{
    return c->enable_mediated_pmu;
}

const char *
vpmu_hostcaps_get_kvm_module(const vpmu_hostcaps *c)
{
    return c->kvm_module;
}

vpmu_mediated_req
vpmu_hostcaps_get_mediated_requirement(const vpmu_hostcaps *c, const char **text)
{
    if (text)
        *text = c->mediated_req_text;
    return c->mediated_req;
}

unsigned
vpmu_hostcaps_get_arch_pmu_version(const vpmu_hostcaps *c)
{
    return c->arch_pmu_version;
}

bool
vpmu_hostcaps_has_mediated_trait(const vpmu_hostcaps *c)
{
    return c->verdict == VPMU_HOST_YES && c->kind == VPMU_KIND_MEDIATED;
}

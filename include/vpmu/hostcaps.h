/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hostcaps.h: can a guest on this host get a vPMU?  (libvpmu core: no libvirt.)
 *
 * Every /proc and /sys read is relative to a root directory, so tests point
 * the probe at fixture trees (tests/data/hosts/), and every path is resolved
 * as if that directory were "/": absolute symbolic links and ".." stay inside
 * it (openat2(2) RESOLVE_IN_ROOT, or an equivalent walk on kernels without
 * it).  Only regular files are read; a FIFO or device is refused without
 * blocking.  What is read:
 *
 *   ROOT/proc/sys/kernel/arch                     arch (Linux 6.1+; see below)
 *   ROOT/proc/cpuinfo                             vendor, model, PMU flags
 *   ROOT/sys/bus/event_source/devices/cpu         looked up by name (x86)
 *   ROOT/sys/bus/event_source/devices/            listed: armv8_* / armv9_* (arm64)
 *   ROOT/dev/kvm                                  KVM available
 *   ROOT/sys/module/kvm/parameters/enable_pmu     Y / N / absent (x86, Linux 5.17+)
 *   ROOT/sys/module/kvm_{intel,amd}/parameters/enable_mediated_pmu
 *                                                 Y / N / absent (x86, Linux 7.0+)
 *
 * The arch comes from ROOT/proc/sys/kernel/arch when present; otherwise from
 * uname(2) when ROOT is the real "/", otherwise from the shape of cpuinfo.
 *
 * Reads are size-capped; numbers are parsed with checked strtoul().
 */
#ifndef VPMU_HOSTCAPS_H
#define VPMU_HOSTCAPS_H

#include "vpmu/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The trait a capable host carries in Placement is VPMU_TRAIT (vpmu/common.h). */
/*
 * Also carried by a host whose KVM gives guests the mediated vPMU (Linux 7.0,
 * kvm_intel / kvm_amd enable_mediated_pmu=Y).  A flavor asks for it with
 * Nova's own extra spec trait:CUSTOM_COMPUTE_VPMU_MEDIATED=required.
 */
#define VPMU_HOST_TRAIT_MEDIATED "CUSTOM_COMPUTE_VPMU_MEDIATED"

/* Can a guest here get a vPMU? */
typedef enum {
    VPMU_HOST_NO = 0,
    VPMU_HOST_PARTIAL, /* only a limited one, e.g. TCG-emulated PMUv3 on arm64 */
    VPMU_HOST_YES,
    VPMU_HOST_UNKNOWN, /* no evidence (an empty root, or the arch cannot be told) */
    VPMU_HOST_VERDICT_LAST
} vpmu_host_verdict;

/* "no", "partial", "yes", "unknown"; NULL when out of range. */
VPMU_EXPORT const char *vpmu_host_verdict_to_string(vpmu_host_verdict v);

typedef enum {
    VPMU_VENDOR_UNKNOWN = 0,
    VPMU_VENDOR_INTEL, /* GenuineIntel */
    VPMU_VENDOR_AMD,   /* AuthenticAMD, and HygonGenuine (KVM drives it as AMD) */
    VPMU_VENDOR_ARM,   /* any arm64 "CPU implementer" */
    VPMU_VENDOR_OTHER, /* a vendor_id vpmu has no rule for */
    VPMU_VENDOR_LAST
} vpmu_cpu_vendor;

/* "unknown", "intel", "amd", "arm", "other". */
VPMU_EXPORT const char *vpmu_cpu_vendor_to_string(vpmu_cpu_vendor v);

/* A boolean module parameter as sysfs shows it. */
typedef enum {
    VPMU_PARAM_ABSENT = 0, /* no such file */
    VPMU_PARAM_YES,        /* "Y" (or "1") */
    VPMU_PARAM_NO,         /* "N" (or "0") */
    VPMU_PARAM_INVALID,    /* present but unreadable or unexpected content */
    VPMU_PARAM_LAST
} vpmu_host_param;

/* "absent", "Y", "N", "invalid". */
VPMU_EXPORT const char *vpmu_host_param_to_string(vpmu_host_param p);

/* What the first processor block of /proc/cpuinfo says.  Fixed buffers: no ownership. */
typedef struct {
    char vendor_id[32];   /* x86 "vendor_id", "" when absent */
    char model_name[128]; /* x86 "model name", ppc "cpu", "" when absent */
    vpmu_cpu_vendor vendor;
    bool has_implementer;
    unsigned long implementer; /* arm64 "CPU implementer", e.g. 0x41 (Arm) */
    bool has_family;
    unsigned long family; /* x86 "cpu family" */
    /* PMU flags (docs/facts.md §3): Intel arch_perfmon/pdcm, AMD perfctr_core/perfmon_v2 */
    bool arch_perfmon;
    bool pdcm;
    bool perfctr_core;
    bool perfmon_v2;
    bool lm; /* 64-bit x86 */
    /* The arch cpuinfo's shape suggests: "x86_64", "i686", "aarch64", "ppc64", or NULL. */
    const char *arch_guess;
} vpmu_cpuinfo;

/*
 * Parse cpuinfo text (not NUL-terminated; @len bytes).  Only the first
 * processor block counts.  Never fails on any input: unknown or malformed
 * lines are ignored, and fields stay zero.  Exposed for fuzzing and tests.
 */
VPMU_EXPORT void vpmu_hostcaps_parse_cpuinfo(const char *buf, size_t len, vpmu_cpuinfo *out);

/*
 * Parse a boolean sysfs module parameter ("Y\n", "N\n", "1", "0"; blanks
 * around it allowed).  Returns 0 and sets *out to VPMU_PARAM_YES/NO, or -1
 * for anything else.  Exposed for fuzzing and tests.
 */
VPMU_EXPORT int vpmu_hostcaps_parse_param_bool(const char *buf, size_t len, vpmu_host_param *out);

/*
 * The kind of vPMU KVM guests get here.  Emulated: KVM creates a host perf
 * event for each guest counter.  Mediated (x86, Linux 7.0+): the guest owns
 * the PMU hardware while it runs, context-switched by KVM; chosen per host
 * by the module parameter enable_mediated_pmu.  docs/host-and-explain.md.
 */
typedef enum {
    VPMU_KIND_UNKNOWN = 0,
    VPMU_KIND_NONE,     /* no vPMU (verdict no) */
    VPMU_KIND_EMULATED, /* perf-event backed (x86 before 7.0 or by default; arm64; TCG) */
    VPMU_KIND_MEDIATED, /* enable_mediated_pmu=Y */
    VPMU_KIND_LAST
} vpmu_kind;

/* "unknown", "none", "emulated", "mediated"; NULL when out of range. */
VPMU_EXPORT const char *vpmu_kind_to_string(vpmu_kind k);

/* Whether the CPU meets what the kernel asks of it for the mediated vPMU. */
typedef enum {
    VPMU_MEDIATED_REQ_UNKNOWN = 0, /* not visible (Intel under a host root), or not x86 */
    VPMU_MEDIATED_REQ_MET,
    VPMU_MEDIATED_REQ_NOT_MET,
    VPMU_MEDIATED_REQ_LAST
} vpmu_mediated_req;

/* "unknown", "met", "not met"; NULL when out of range. */
VPMU_EXPORT const char *vpmu_mediated_req_to_string(vpmu_mediated_req r);

typedef struct vpmu_hostcaps vpmu_hostcaps;

/*
 * Probe the host seen through @root (NULL or "" means "/").  Missing files
 * are evidence (absent), not errors.  Fails (VPMU_ERR_RUNTIME) only when
 * @root itself cannot be opened as a directory.
 */
VPMU_EXPORT vpmu_hostcaps *vpmu_hostcaps_probe(const char *root, vpmu_error **error);
/* Accepts NULL. */
VPMU_EXPORT void vpmu_hostcaps_free(vpmu_hostcaps *caps);

/* Accessors; returned strings are borrowed from @caps. */
VPMU_EXPORT const char *vpmu_hostcaps_get_root(const vpmu_hostcaps *caps);
/* "x86_64", "aarch64", ... or NULL when nothing tells. */
VPMU_EXPORT const char *vpmu_hostcaps_get_arch(const vpmu_hostcaps *caps);
/* Where the arch came from: "proc/sys/kernel/arch", "uname", "cpuinfo" or NULL. */
VPMU_EXPORT const char *vpmu_hostcaps_get_arch_source(const vpmu_hostcaps *caps);
VPMU_EXPORT const vpmu_cpuinfo *vpmu_hostcaps_get_cpuinfo(const vpmu_hostcaps *caps);
VPMU_EXPORT vpmu_cpu_vendor vpmu_hostcaps_get_vendor(const vpmu_hostcaps *caps);
/* /sys/bus/event_source/devices/cpu exists (x86 host PMU driver loaded). */
VPMU_EXPORT bool vpmu_hostcaps_has_cpu_event_source(const vpmu_hostcaps *caps);
/* The first armv8_* / armv9_* event source (arm64 PMUv3 driver), or NULL. */
VPMU_EXPORT const char *vpmu_hostcaps_get_arm_pmu(const vpmu_hostcaps *caps);
/*
 * The event source names, sorted; NULL-terminated.  *n (optional) gets the
 * count.  At most the first 1024 the directory lists; see the total below.
 */
VPMU_EXPORT const char *const *vpmu_hostcaps_get_event_sources(const vpmu_hostcaps *caps,
                                                               size_t *n);
/* How many event sources the directory holds (may exceed the list above). */
VPMU_EXPORT size_t vpmu_hostcaps_get_event_source_total(const vpmu_hostcaps *caps);
/*
 * How reads were confined to the root: "openat2" (RESOLVE_IN_ROOT) or
 * "walk" (the fallback); NULL before the first read.
 */
VPMU_EXPORT const char *vpmu_hostcaps_get_resolver(const vpmu_hostcaps *caps);
VPMU_EXPORT bool vpmu_hostcaps_has_dev_kvm(const vpmu_hostcaps *caps);
VPMU_EXPORT vpmu_host_param vpmu_hostcaps_get_enable_pmu(const vpmu_hostcaps *caps);

/* The verdict, and the reasons for it (one phrase each; NULL-terminated). */
VPMU_EXPORT vpmu_host_verdict vpmu_hostcaps_get_verdict(const vpmu_hostcaps *caps);
VPMU_EXPORT const char *const *vpmu_hostcaps_get_reasons(const vpmu_hostcaps *caps, size_t *n);
/* Caveats that do not change the verdict (e.g. AMD and pmu=off); NULL-terminated. */
VPMU_EXPORT const char *const *vpmu_hostcaps_get_notes(const vpmu_hostcaps *caps, size_t *n);

/*
 * Whether the host claims VPMU_TRAIT: only with verdict yes (never
 * with unknown, which must leave Placement as it is).  A partial
 * host (an emulated PMU with a cycle counter and a few events) is not
 * advertised, since a tenant who asks for hw:pmu=true wants working counters.
 */
VPMU_EXPORT bool vpmu_hostcaps_has_trait(const vpmu_hostcaps *caps);

/*
 * The vPMU kind and its evidence (one phrase each; NULL-terminated).  x86:
 * from enable_mediated_pmu of the vendor's module (kvm_intel / kvm_amd), which
 * the kernel leaves Y only on a CPU that meets its requirement (Intel:
 * architectural PMU version 4+ with full-width counter writes; AMD:
 * PerfMonV2).  arm64: emulated.  Other arches: unknown.
 */
VPMU_EXPORT vpmu_kind vpmu_hostcaps_get_kind(const vpmu_hostcaps *caps);
VPMU_EXPORT const char *const *vpmu_hostcaps_get_kind_reasons(const vpmu_hostcaps *caps, size_t *n);
/* enable_mediated_pmu of that module: absent before Linux 7.0 or without the module. */
VPMU_EXPORT vpmu_host_param vpmu_hostcaps_get_enable_mediated_pmu(const vpmu_hostcaps *caps);
/* "kvm_intel", "kvm_amd", or NULL when neither applies. */
VPMU_EXPORT const char *vpmu_hostcaps_get_kvm_module(const vpmu_hostcaps *caps);
/* The CPU against the requirement; *text (optional) gets the evidence, or NULL. */
VPMU_EXPORT vpmu_mediated_req vpmu_hostcaps_get_mediated_requirement(const vpmu_hostcaps *caps,
                                                                     const char **text);
/* Intel's architectural PMU version from CPUID leaf 0xA (real "/" only), 0 when not known. */
VPMU_EXPORT unsigned vpmu_hostcaps_get_arch_pmu_version(const vpmu_hostcaps *caps);
/* Whether the host claims VPMU_HOST_TRAIT_MEDIATED: verdict yes and kind mediated. */
VPMU_EXPORT bool vpmu_hostcaps_has_mediated_trait(const vpmu_hostcaps *caps);

#ifdef __cplusplus
}
#endif
#endif /* VPMU_HOSTCAPS_H */

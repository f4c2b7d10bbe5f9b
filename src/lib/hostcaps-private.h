/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hostcaps-private.h: what hostcaps.c and hostcaps-read.c share (the probe
 * state and the root-confined readers); not installed, nothing exported.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util.h"
#include "vpmu/hostcaps.h"

/* Read caps.  cpuinfo is truncated (only the first processor block matters). */
#define CPUINFO_CAP (256u * 1024u)
#define SMALL_FILE_CAP 64u
/*
 * Event source names kept for display.  A big server lists a few hundred
 * uncore PMUs, some more than 1024: the 'cpu' source is looked up by name and
 * the arm64 PMU is searched among all entries, so the cap only shortens the
 * list shown.  The scan itself stops at EVENT_SOURCES_SCAN_MAX entries.
 */
#define EVENT_SOURCES_MAX 1024u
#define EVENT_SOURCES_SCAN_MAX (1024u * 1024u)
/* Symbolic links followed while resolving one path (the kernel's own limit is 40). */
#define MAX_SYMLINKS 40
/* Directory depth the fallback walk keeps open. */
#define MAX_DEPTH 64

#define EVENT_SOURCE_DIR "sys/bus/event_source/devices"
#define ENABLE_PMU_PATH "sys/module/kvm/parameters/enable_pmu"

struct vpmu_hostcaps {
    char *root;
    char *arch;
    const char *arch_source;
    vpmu_cpuinfo cpu;
    strv event_sources;
    size_t n_event_sources; /* all entries, also past EVENT_SOURCES_MAX */
    char *arm_pmu;
    const char *resolver; /* "openat2" or "walk" */
    /* the mediated vPMU */
    const char *kvm_module; /* "kvm_intel", "kvm_amd" or NULL */
    bool kvm_module_loaded;
    vpmu_host_param enable_mediated_pmu;
    vpmu_mediated_req mediated_req;
    char *mediated_req_text;
    unsigned arch_pmu_version;
    vpmu_kind kind;
    strv kind_reasons;
    unsigned evidence; /* how many of the evidence paths were there */
    bool cpu_event_source;
    bool dev_kvm;
    vpmu_host_param enable_pmu;
    vpmu_host_verdict verdict;
    strv reasons;
    strv notes;
};

int open_in_root(vpmu_hostcaps *c, int rootfd, const char *rel, int flags);
int read_at(vpmu_hostcaps *c, int rootfd, const char *rel, size_t cap, char **out, size_t *len);
bool exists_at(vpmu_hostcaps *c, int rootfd, const char *rel);

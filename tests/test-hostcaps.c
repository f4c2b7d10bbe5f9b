/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hostcaps: each fixture tree under tests/data/hosts gives the expected
 * verdict, vendor, evidence and reasons; the parsers hold up on odd input.
 */
#include "config.h"

#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/openat2.h>

#include "hostcaps-test.h"
#include "util.h"
#include "vpmu/hostcaps.h"

static vpmu_hostcaps *
probe_fixture(const char *name)
{
    _cleanup_free_ char *root = xasprintf("%s/hosts/%s", VPMU_TESTDATA, name);
    vpmu_error *err = NULL;
    vpmu_hostcaps *c = vpmu_hostcaps_probe(root, &err);

    if (!c)
        fail_msg("probe '%s': %s", root, vpmu_error_get_message(err));
    assert_null(err);
    return c;
}

/* Does some reason (or note) contain @needle? */
static bool
list_has(const char *const *v, const char *needle)
{
    for (; *v; v++)
        if (strstr(*v, needle))
            return true;
    return false;
}

static void
assert_reason(const vpmu_hostcaps *c, const char *needle)
{
    if (!list_has(vpmu_hostcaps_get_reasons(c, NULL), needle)) {
        const char *const *r = vpmu_hostcaps_get_reasons(c, NULL);
        for (; *r; r++)
            fprintf(stderr, "  reason: %s\n", *r);
        fail_msg("no reason contains '%s'", needle);
    }
}

static void
test_intel_pmu(void **state)
{
    (void)state;
    vpmu_hostcaps *c = probe_fixture("intel-pmu");
    const vpmu_cpuinfo *ci = vpmu_hostcaps_get_cpuinfo(c);
    size_t n = 0;
    const char *const *es = vpmu_hostcaps_get_event_sources(c, &n);

    assert_string_equal(vpmu_hostcaps_get_arch(c), "x86_64");
    assert_string_equal(vpmu_hostcaps_get_arch_source(c), "proc/sys/kernel/arch");
    assert_int_equal(vpmu_hostcaps_get_vendor(c), VPMU_VENDOR_INTEL);
    assert_string_equal(ci->vendor_id, "GenuineIntel");
    assert_string_equal(ci->model_name, "Intel(R) Xeon(R) Gold 6230R CPU @ 2.10GHz");
    assert_true(ci->has_family);
    assert_int_equal(ci->family, 6);
    assert_true(ci->arch_perfmon);
    assert_true(ci->pdcm);
    assert_false(ci->perfctr_core);
    assert_false(ci->perfmon_v2);
    assert_true(vpmu_hostcaps_has_cpu_event_source(c));
    assert_null(vpmu_hostcaps_get_arm_pmu(c));
    assert_int_equal(n, 12);
    assert_string_equal(es[0], "breakpoint"); /* sorted */
    assert_string_equal(es[1], "cpu");
    assert_null(es[12]);
    assert_true(vpmu_hostcaps_has_dev_kvm(c));
    assert_int_equal(vpmu_hostcaps_get_enable_pmu(c), VPMU_PARAM_YES);
    assert_int_equal(vpmu_hostcaps_get_verdict(c), VPMU_HOST_YES);
    assert_true(vpmu_hostcaps_has_trait(c));
    assert_reason(c, "kvm.enable_pmu=Y");
    assert_reason(c, "'cpu' event source present");
    assert_reason(c, "arch_perfmon, pdcm");
    vpmu_hostcaps_get_notes(c, &n);
    assert_int_equal(n, 0);
    vpmu_hostcaps_free(c);
}

static void
test_amd_pmu(void **state)
{
    (void)state;
    vpmu_hostcaps *c = probe_fixture("amd-pmu");
    const vpmu_cpuinfo *ci = vpmu_hostcaps_get_cpuinfo(c);

    assert_string_equal(vpmu_hostcaps_get_arch(c), "x86_64");
    assert_int_equal(vpmu_hostcaps_get_vendor(c), VPMU_VENDOR_AMD);
    assert_string_equal(ci->vendor_id, "AuthenticAMD");
    assert_int_equal(ci->family, 25);
    assert_true(ci->perfctr_core);
    assert_true(ci->perfmon_v2);
    assert_false(ci->arch_perfmon);
    assert_true(vpmu_hostcaps_has_cpu_event_source(c));
    assert_int_equal(vpmu_hostcaps_get_verdict(c), VPMU_HOST_YES);
    assert_true(vpmu_hostcaps_has_trait(c));
    assert_reason(c, "perfctr_core");
    assert_reason(c, "perfmon_v2");
    /* The AMD caveat is a note: it does not change the verdict. */
    assert_true(list_has(vpmu_hostcaps_get_notes(c, NULL), "only partly off"));
    vpmu_hostcaps_free(c);
}

static void
test_arm64_pmuv3(void **state)
{
    (void)state;
    vpmu_hostcaps *c = probe_fixture("arm64-pmuv3");
    const vpmu_cpuinfo *ci = vpmu_hostcaps_get_cpuinfo(c);

    assert_string_equal(vpmu_hostcaps_get_arch(c), "aarch64");
    assert_int_equal(vpmu_hostcaps_get_vendor(c), VPMU_VENDOR_ARM);
    assert_true(ci->has_implementer);
    assert_int_equal(ci->implementer, 0x41);
    assert_string_equal(ci->vendor_id, "");
    assert_false(vpmu_hostcaps_has_cpu_event_source(c));
    assert_string_equal(vpmu_hostcaps_get_arm_pmu(c), "armv8_pmuv3_0");
    /* arm64 KVM has no enable_pmu parameter. */
    assert_int_equal(vpmu_hostcaps_get_enable_pmu(c), VPMU_PARAM_ABSENT);
    assert_int_equal(vpmu_hostcaps_get_verdict(c), VPMU_HOST_YES);
    assert_true(vpmu_hostcaps_has_trait(c));
    assert_reason(c, "'armv8_pmuv3_0' event source present");
    vpmu_hostcaps_free(c);
}

static void
test_arm64_nopmu(void **state)
{
    (void)state;
    vpmu_hostcaps *c = probe_fixture("arm64-nopmu");

    assert_null(vpmu_hostcaps_get_arm_pmu(c));
    assert_true(vpmu_hostcaps_has_dev_kvm(c));
    assert_int_equal(vpmu_hostcaps_get_verdict(c), VPMU_HOST_PARTIAL);
    assert_false(vpmu_hostcaps_has_trait(c));
    assert_reason(c, "KVM guests get no vPMU");
    assert_reason(c, "emulated PMUv3");
    vpmu_hostcaps_free(c);
}

static void
test_arm64_tcg(void **state)
{
    (void)state;
    vpmu_hostcaps *c = probe_fixture("arm64-tcg");

    /* No proc/sys/kernel/arch and not the real root: the arch comes from cpuinfo's shape. */
    assert_string_equal(vpmu_hostcaps_get_arch(c), "aarch64");
    assert_string_equal(vpmu_hostcaps_get_arch_source(c), "cpuinfo");
    assert_false(vpmu_hostcaps_has_dev_kvm(c));
    assert_int_equal(vpmu_hostcaps_get_verdict(c), VPMU_HOST_PARTIAL);
    assert_false(vpmu_hostcaps_has_trait(c));
    assert_reason(c, "no /dev/kvm");
    vpmu_hostcaps_free(c);
}

static void
test_enable_pmu_n(void **state)
{
    (void)state;
    vpmu_hostcaps *c = probe_fixture("enable-pmu-n");
    size_t n = 0;

    assert_int_equal(vpmu_hostcaps_get_vendor(c), VPMU_VENDOR_INTEL);
    assert_true(vpmu_hostcaps_has_cpu_event_source(c));
    assert_int_equal(vpmu_hostcaps_get_enable_pmu(c), VPMU_PARAM_NO);
    assert_int_equal(vpmu_hostcaps_get_verdict(c), VPMU_HOST_NO);
    assert_false(vpmu_hostcaps_has_trait(c));
    /* The one and only reason: everything else is fine. */
    vpmu_hostcaps_get_reasons(c, &n);
    assert_int_equal(n, 1);
    assert_reason(c, "kvm.enable_pmu=N");
    vpmu_hostcaps_free(c);
}

static void
test_novpmu_vm(void **state)
{
    (void)state;
    vpmu_hostcaps *c = probe_fixture("novpmu-vm");
    size_t n = 0;
    const char *const *es = vpmu_hostcaps_get_event_sources(c, &n);

    assert_string_equal(vpmu_hostcaps_get_arch(c), "x86_64");
    assert_int_equal(vpmu_hostcaps_get_vendor(c), VPMU_VENDOR_AMD);
    assert_false(vpmu_hostcaps_get_cpuinfo(c)->perfctr_core);
    assert_int_equal(n, 5);
    assert_string_equal(es[0], "breakpoint");
    assert_string_equal(es[4], "uprobe");
    assert_false(vpmu_hostcaps_has_cpu_event_source(c));
    assert_true(vpmu_hostcaps_has_dev_kvm(c));
    assert_int_equal(vpmu_hostcaps_get_enable_pmu(c), VPMU_PARAM_NO);
    assert_int_equal(vpmu_hostcaps_get_verdict(c), VPMU_HOST_NO);
    assert_false(vpmu_hostcaps_has_trait(c));
    vpmu_hostcaps_get_reasons(c, &n);
    assert_int_equal(n, 2);
    assert_reason(c, "kvm.enable_pmu=N");
    assert_reason(c, "no 'cpu' event source");
    /* No vPMU at all: the AMD pmu=off caveat does not apply. */
    vpmu_hostcaps_get_notes(c, &n);
    assert_int_equal(n, 0);
    vpmu_hostcaps_free(c);
}

static char *
make_tmp_root(void)
{
    char *dir = xstrdup("/tmp/vpmu-hostcaps-XXXXXX");

    if (!mkdtemp(dir))
        fail_msg("mkdtemp failed");
    return dir;
}

static void
write_rel(const char *root, const char *rel, const char *content)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", root, rel);
    _cleanup_free_ char *copy = xstrdup(path);
    vpmu_error *err = NULL;

    /* mkdir -p of the parent */
    for (char *p = copy + strlen(root) + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        (void)mkdir(copy, 0755);
        *p = '/';
    }
    if (vpmu_write_file_atomic(path, content, strlen(content), &err) < 0)
        fail_msg("%s", vpmu_error_get_message(err));
}

static void
rm_rf(const char *root)
{
    /* Only the few files this test creates. */
    static const char *const files[] = {
            "sys/module/kvm/parameters/enable_pmu", "proc/cpuinfo", "proc/sys/kernel/arch",
            "sys/bus/event_source/devices/cpu",     "dev/kvm",
    };
    static const char *const dirs[] = {
            "sys/module/kvm/parameters",
            "sys/module/kvm",
            "sys/module",
            "proc/sys/kernel",
            "proc/sys",
            "proc",
            "sys/bus/event_source/devices",
            "sys/bus/event_source",
            "sys/bus",
            "sys",
            "dev",
    };
    for (size_t i = 0; i < ELEMENTSOF(files); i++) {
        _cleanup_free_ char *p = xasprintf("%s/%s", root, files[i]);
        (void)unlink(p);
    }
    for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
        _cleanup_free_ char *p = xasprintf("%s/%s", root, dirs[i]);
        (void)rmdir(p);
    }
    (void)rmdir(root);
}

static void
test_empty_root(void **state)
{
    (void)state;
    _cleanup_free_ char *root = make_tmp_root();
    vpmu_error *err = NULL;
    vpmu_hostcaps *c = vpmu_hostcaps_probe(root, &err);

    assert_non_null(c);
    assert_null(vpmu_hostcaps_get_arch(c));
    assert_int_equal(vpmu_hostcaps_get_vendor(c), VPMU_VENDOR_UNKNOWN);
    assert_int_equal(vpmu_hostcaps_get_enable_pmu(c), VPMU_PARAM_ABSENT);
    /* No evidence is not evidence of no vPMU: unknown, and no trait. */
    assert_int_equal(vpmu_hostcaps_get_verdict(c), VPMU_HOST_UNKNOWN);
    assert_false(vpmu_hostcaps_has_trait(c));
    assert_reason(c, "no evidence under the root");
    vpmu_hostcaps_free(c);

    /* Some evidence, but nothing tells the arch: unknown too. */
    write_rel(root, "dev/kvm", "");
    c = vpmu_hostcaps_probe(root, NULL);
    assert_true(vpmu_hostcaps_has_dev_kvm(c));
    assert_int_equal(vpmu_hostcaps_get_verdict(c), VPMU_HOST_UNKNOWN);
    assert_reason(c, "cannot be told");
    vpmu_hostcaps_free(c);
    rm_rf(root);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* rm -rf of a root made by make_tmp_root() (never follows a link). */
static void
rm_tree(const char *root)
{
    assert_int_equal(strncmp(root, "/tmp/vpmu-hostcaps-", 19), 0);
    (void)nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
mkdir_p(const char *root, const char *rel)
{
    _cleanup_free_ char *path = xasprintf("%s/%s/", root, rel);

    for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        (void)mkdir(path, 0755);
        *p = '/';
    }
}

static void
symlink_rel(const char *root, const char *rel, const char *target)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", root, rel);
    _cleanup_free_ char *parent = xstrdup(rel);
    char *slash = strrchr(parent, '/');

    if (slash) {
        *slash = '\0';
        mkdir_p(root, parent);
    }
    if (symlink(target, path) < 0)
        fail_msg("symlink %s: %s", path, strerror(errno));
}

/* Whether this kernel (or valgrind, which lacks it) runs openat2(2) at all. */
static const char *
expected_resolver(bool walk)
{
    struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT};
    int fd;

    if (walk)
        return "walk";
    fd = (int)syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof(how));
    if (fd < 0)
        return "walk";
    close(fd);
    return "openat2";
}

static bool
notes_have(const vpmu_hostcaps *c, const char *needle)
{
    return list_has(vpmu_hostcaps_get_notes(c, NULL), needle);
}

/*
 * The committed fixture escape-symlinks: proc/cpuinfo -> /proc/cpuinfo,
 * proc/sys -> ../../(...)/proc/sys, sys -> /sys, dev -> /dev.  Resolved
 * inside the root each leads back to itself, so nothing is read; following
 * them out would read this machine's /proc and /sys and give a verdict.
 */
static void
check_escape_fixture(bool walk)
{
    vpmu_hostcaps *c;

    vpmu_hostcaps_test_force_walk(walk);
    c = probe_fixture("escape-symlinks");
    assert_string_equal(vpmu_hostcaps_get_resolver(c), expected_resolver(walk));
    assert_null(vpmu_hostcaps_get_arch(c));
    assert_int_equal(vpmu_hostcaps_get_vendor(c), VPMU_VENDOR_UNKNOWN);
    assert_false(vpmu_hostcaps_has_cpu_event_source(c));
    assert_false(vpmu_hostcaps_has_dev_kvm(c));
    assert_int_equal(vpmu_hostcaps_get_event_source_total(c), 0);
    assert_int_equal(vpmu_hostcaps_get_verdict(c), VPMU_HOST_UNKNOWN);
    assert_false(vpmu_hostcaps_has_trait(c));
    if (!notes_have(c, "proc/cpuinfo not read: a symbolic link loop"))
        fail_msg("no note on proc/cpuinfo");
    vpmu_hostcaps_free(c);
    vpmu_hostcaps_test_force_walk(false);
}

static void
test_escape_symlinks(void **state)
{
    (void)state;
    check_escape_fixture(false);
    check_escape_fixture(true);
}

/*
 * Links that stay inside: an absolute one resolves against the root, a ".."
 * past the top stops at the root (as the kernel does for "/..").  The
 * targets exist only inside the root, so reading them proves the resolution;
 * following the links on the real host would find nothing.
 */
static void
check_in_root_links(const char *root, bool walk)
{
    vpmu_hostcaps *c;

    vpmu_hostcaps_test_force_walk(walk);
    c = vpmu_hostcaps_probe(root, NULL);
    assert_non_null(c);
    assert_string_equal(vpmu_hostcaps_get_resolver(c), expected_resolver(walk));
    assert_string_equal(vpmu_hostcaps_get_arch(c), "x86_64");
    assert_string_equal(vpmu_hostcaps_get_arch_source(c), "proc/sys/kernel/arch");
    assert_int_equal(vpmu_hostcaps_get_vendor(c), VPMU_VENDOR_AMD);
    assert_true(vpmu_hostcaps_get_cpuinfo(c)->perfmon_v2);
    assert_true(vpmu_hostcaps_has_cpu_event_source(c));
    assert_true(vpmu_hostcaps_has_dev_kvm(c));
    assert_int_equal(vpmu_hostcaps_get_enable_pmu(c), VPMU_PARAM_YES);
    assert_int_equal(vpmu_hostcaps_get_verdict(c), VPMU_HOST_YES);
    vpmu_hostcaps_free(c);
    vpmu_hostcaps_test_force_walk(false);
}

static void
test_in_root_links(void **state)
{
    (void)state;
    _cleanup_free_ char *root = make_tmp_root();

    write_rel(root, "vpmu-only-here/cpuinfo",
              "vendor_id\t: AuthenticAMD\ncpu family\t: 25\n"
              "flags\t\t: lm perfctr_core perfmon_v2\n");
    write_rel(root, "vpmu-only-here/arch", "x86_64\n");
    write_rel(root, "vpmu-only-here/enable_pmu", "Y\n");
    write_rel(root, "vpmu-only-here/kvm", "");
    mkdir_p(root, "vpmu-only-here/devices/cpu");
    symlink_rel(root, "proc/cpuinfo", "/vpmu-only-here/cpuinfo");
    /* relative, through a directory link, with ".." beyond the top */
    symlink_rel(root, "proc/sys/kernel/arch", "../../../../../../../../vpmu-only-here/arch");
    symlink_rel(root, "sys/module/kvm", "/vpmu-only-here/kvm-module");
    symlink_rel(root, "vpmu-only-here/kvm-module/parameters/enable_pmu", "../../enable_pmu");
    symlink_rel(root, "sys/bus/event_source", "/vpmu-only-here/es");
    symlink_rel(root, "vpmu-only-here/es/devices", "../devices");
    symlink_rel(root, "dev", "/vpmu-only-here/dev");
    symlink_rel(root, "vpmu-only-here/dev/kvm", "../kvm");
    check_in_root_links(root, false);
    check_in_root_links(root, true);
    rm_tree(root);
}

static void
on_alarm(int sig)
{
    (void)sig;
    /* A blocking open of a FIFO without a writer would never return. */
    _exit(99);
}

/* FIFOs, directories and devices where files are expected: refused, never waited on. */
static void
test_not_regular(void **state)
{
    (void)state;
    _cleanup_free_ char *root = make_tmp_root();
    _cleanup_free_ char *fifo = NULL, *fifo2 = NULL;
    vpmu_hostcaps *c;

    write_rel(root, "proc/sys/kernel/arch", "x86_64\n");
    write_rel(root, "dev/kvm", "");
    write_rel(root, "sys/bus/event_source/devices/cpu", "");
    mkdir_p(root, "sys/module/kvm/parameters");
    fifo = xasprintf("%s/proc/cpuinfo", root);
    fifo2 = xasprintf("%s/sys/module/kvm/parameters/enable_pmu", root);
    assert_int_equal(mkfifo(fifo, 0644), 0);
    assert_int_equal(mkfifo(fifo2, 0644), 0);
    signal(SIGALRM, on_alarm);
    for (int walk = 0; walk < 2; walk++) {
        vpmu_hostcaps_test_force_walk(walk);
        alarm(10);
        c = vpmu_hostcaps_probe(root, NULL);
        alarm(0);
        assert_non_null(c);
        assert_int_equal(vpmu_hostcaps_get_vendor(c), VPMU_VENDOR_UNKNOWN);
        assert_true(notes_have(c, "proc/cpuinfo not read: it is a FIFO"));
        assert_int_equal(vpmu_hostcaps_get_enable_pmu(c), VPMU_PARAM_INVALID);
        assert_int_equal(vpmu_hostcaps_get_verdict(c), VPMU_HOST_NO);
        vpmu_hostcaps_free(c);
    }
    vpmu_hostcaps_test_force_walk(false);

    /* A directory, and a link to a character device, in place of cpuinfo. */
    assert_int_equal(unlink(fifo), 0);
    mkdir_p(root, "proc/cpuinfo");
    c = vpmu_hostcaps_probe(root, NULL);
    assert_true(notes_have(c, "proc/cpuinfo not read: it is a directory"));
    vpmu_hostcaps_free(c);
    assert_int_equal(rmdir(fifo), 0);
    mkdir_p(root, "realdev");
    assert_int_equal(symlink("/realdev/null", fifo), 0);
    {
        /* /dev/null inside the root, as a bind mount would have it: a real device node
         * cannot be made without privileges, so the link points at the host's. */
        _cleanup_free_ char *null_link = xasprintf("%s/realdev/null", root);
        assert_int_equal(symlink("/dev/null", null_link), 0);
    }
    c = vpmu_hostcaps_probe(root, NULL);
    /* realdev/null -> /dev/null resolves to ROOT/dev/null: absent, so nothing is read. */
    assert_int_equal(vpmu_hostcaps_get_vendor(c), VPMU_VENDOR_UNKNOWN);
    vpmu_hostcaps_free(c);
    rm_tree(root);
}

/* More event sources than the listing keeps: 'cpu' is found by name, the count is kept. */
static void
test_many_event_sources(void **state)
{
    (void)state;
    _cleanup_free_ char *root = make_tmp_root();
    vpmu_hostcaps *c;
    size_t n = 0;

    write_rel(root, "proc/sys/kernel/arch", "x86_64\n");
    write_rel(root, "proc/cpuinfo", "vendor_id\t: GenuineIntel\nflags\t\t: lm arch_perfmon\n");
    write_rel(root, "dev/kvm", "");
    mkdir_p(root, "sys/bus/event_source/devices");
    for (int i = 0; i < 1500; i++) {
        /* Plain creat(): the atomic writer's fsync would make this take seconds. */
        _cleanup_free_ char *p =
                xasprintf("%s/sys/bus/event_source/devices/uncore_cha_%d", root, i);
        int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        close(fd);
    }
    write_rel(root, "sys/bus/event_source/devices/cpu", "");
    c = vpmu_hostcaps_probe(root, NULL);
    vpmu_hostcaps_get_event_sources(c, &n);
    assert_int_equal(n, 1024);
    assert_int_equal(vpmu_hostcaps_get_event_source_total(c), 1501);
    assert_true(vpmu_hostcaps_has_cpu_event_source(c));
    assert_int_equal(vpmu_hostcaps_get_verdict(c), VPMU_HOST_YES);
    vpmu_hostcaps_free(c);
    rm_tree(root);
}

/* The walk and openat2 agree on every committed fixture. */
static void
test_walk_agrees(void **state)
{
    (void)state;
    static const char *const fixtures[] = {
            "intel-pmu", "amd-pmu",      "arm64-pmuv3", "arm64-nopmu",
            "arm64-tcg", "enable-pmu-n", "novpmu-vm",
    };
    for (size_t i = 0; i < ELEMENTSOF(fixtures); i++) {
        vpmu_hostcaps *a = probe_fixture(fixtures[i]), *b;
        vpmu_hostcaps_test_force_walk(true);
        b = probe_fixture(fixtures[i]);
        vpmu_hostcaps_test_force_walk(false);
        assert_int_equal(vpmu_hostcaps_get_verdict(a), vpmu_hostcaps_get_verdict(b));
        assert_int_equal(vpmu_hostcaps_get_event_source_total(a),
                         vpmu_hostcaps_get_event_source_total(b));
        assert_int_equal(vpmu_hostcaps_has_dev_kvm(a), vpmu_hostcaps_has_dev_kvm(b));
        assert_int_equal(vpmu_hostcaps_get_enable_pmu(a), vpmu_hostcaps_get_enable_pmu(b));
        assert_int_equal(vpmu_hostcaps_get_vendor(a), vpmu_hostcaps_get_vendor(b));
        vpmu_hostcaps_free(a);
        vpmu_hostcaps_free(b);
    }
}

static void
test_invalid_enable_pmu(void **state)
{
    (void)state;
    _cleanup_free_ char *root = make_tmp_root();
    vpmu_hostcaps *c;

    write_rel(root, "proc/sys/kernel/arch", "x86_64\n");
    write_rel(root, "proc/cpuinfo", "vendor_id\t: GenuineIntel\nflags\t\t: lm arch_perfmon\n");
    write_rel(root, "sys/bus/event_source/devices/cpu", "");
    write_rel(root, "dev/kvm", "");
    write_rel(root, "sys/module/kvm/parameters/enable_pmu", "maybe\n");
    c = vpmu_hostcaps_probe(root, NULL);
    assert_non_null(c);
    assert_int_equal(vpmu_hostcaps_get_enable_pmu(c), VPMU_PARAM_INVALID);
    assert_int_equal(vpmu_hostcaps_get_verdict(c), VPMU_HOST_NO);
    assert_reason(c, "neither Y nor N");
    vpmu_hostcaps_free(c);

    /* Absent enable_pmu (Linux < 5.17): KVM's vPMU is on. */
    {
        _cleanup_free_ char *p = xasprintf("%s/sys/module/kvm/parameters/enable_pmu", root);
        assert_int_equal(unlink(p), 0);
    }
    c = vpmu_hostcaps_probe(root, NULL);
    assert_int_equal(vpmu_hostcaps_get_enable_pmu(c), VPMU_PARAM_ABSENT);
    assert_int_equal(vpmu_hostcaps_get_verdict(c), VPMU_HOST_YES);
    assert_reason(c, "older than 5.17");
    vpmu_hostcaps_free(c);
    rm_rf(root);
}

static void
test_missing_root(void **state)
{
    (void)state;
    vpmu_error *err = NULL;

    assert_null(vpmu_hostcaps_probe("/nonexistent/vpmu-root", &err));
    assert_non_null(err);
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_RUNTIME);
    assert_non_null(strstr(vpmu_error_get_message(err), "'/nonexistent/vpmu-root'"));
    vpmu_error_free(err);
    /* A NULL error is fine too. */
    assert_null(vpmu_hostcaps_probe("/nonexistent/vpmu-root", NULL));
}

static void
test_real_root(void **state)
{
    (void)state;
    struct utsname u;
    vpmu_hostcaps *c = vpmu_hostcaps_probe(NULL, NULL);

    /* The real root: the arch is the running kernel's either way. */
    assert_non_null(c);
    assert_int_equal(uname(&u), 0);
    assert_string_equal(vpmu_hostcaps_get_root(c), "/");
    assert_string_equal(vpmu_hostcaps_get_arch(c), u.machine);
    vpmu_hostcaps_free(c);
}

static void
test_parse_cpuinfo_odd(void **state)
{
    (void)state;
    vpmu_cpuinfo ci;
    static const char nul_inside[] = "vendor_id\t: Genu\0neIntel\nflags\t: pdcm\n";
    char big[9000];

    vpmu_hostcaps_parse_cpuinfo(NULL, 0, &ci);
    assert_int_equal(ci.vendor, VPMU_VENDOR_UNKNOWN);
    assert_null(ci.arch_guess);

    vpmu_hostcaps_parse_cpuinfo("", 0, &ci);
    assert_int_equal(ci.vendor, VPMU_VENDOR_UNKNOWN);

    /* No trailing newline; only the first block counts. */
    {
        const char *s = "vendor_id : AuthenticAMD\nflags : lm perfctr_core\n\n"
                        "vendor_id : GenuineIntel\nflags : arch_perfmon";
        vpmu_hostcaps_parse_cpuinfo(s, strlen(s), &ci);
        assert_int_equal(ci.vendor, VPMU_VENDOR_AMD);
        assert_true(ci.perfctr_core);
        assert_false(ci.arch_perfmon);
        assert_string_equal(ci.arch_guess, "x86_64");
    }
    /* A flag is a whole word: "perfctr_core2" and "xpdcm" are not flags we know. */
    {
        const char *s = "vendor_id: GenuineIntel\nflags: perfctr_core2 xpdcm\tarch_perfmon";
        vpmu_hostcaps_parse_cpuinfo(s, strlen(s), &ci);
        assert_false(ci.perfctr_core);
        assert_false(ci.pdcm);
        assert_true(ci.arch_perfmon);
        assert_string_equal(ci.arch_guess, "i686"); /* no lm */
    }
    /* A NUL byte is data, not the end. */
    vpmu_hostcaps_parse_cpuinfo(nul_inside, sizeof(nul_inside) - 1, &ci);
    assert_string_equal(ci.vendor_id, "Genu?neIntel");
    assert_int_equal(ci.vendor, VPMU_VENDOR_OTHER);
    assert_true(ci.pdcm);

    /* Checked numbers: junk, signs and overflow are ignored, not wrapped. */
    {
        const char *s = "CPU implementer : 0x4z\ncpu family : -6\n";
        vpmu_hostcaps_parse_cpuinfo(s, strlen(s), &ci);
        assert_false(ci.has_implementer);
        assert_false(ci.has_family);
        s = "cpu family : 99999999999999999999999999\nCPU implementer : 0xc0\n";
        vpmu_hostcaps_parse_cpuinfo(s, strlen(s), &ci);
        assert_false(ci.has_family);
        assert_true(ci.has_implementer);
        assert_int_equal(ci.implementer, 0xc0);
        assert_int_equal(ci.vendor, VPMU_VENDOR_ARM);
        assert_string_equal(ci.arch_guess, "aarch64");
    }
    /* 32-bit arm is not aarch64. */
    {
        const char *s = "CPU implementer : 0x41\nCPU architecture: 7\n";
        vpmu_hostcaps_parse_cpuinfo(s, strlen(s), &ci);
        assert_null(ci.arch_guess);
    }
    /* ppc64 shape. */
    {
        const char *s = "processor : 0\ncpu : POWER9 (raw), altivec supported\n"
                        "platform : pSeries\n";
        vpmu_hostcaps_parse_cpuinfo(s, strlen(s), &ci);
        assert_string_equal(ci.arch_guess, "ppc64");
        assert_string_equal(ci.model_name, "POWER9 (raw), altivec supported");
    }
    /* Over-long values are truncated into the fixed buffers. */
    memset(big, 'A', sizeof(big));
    memcpy(big, "model name : ", 13);
    vpmu_hostcaps_parse_cpuinfo(big, sizeof(big), &ci);
    assert_int_equal(strlen(ci.model_name), sizeof(ci.model_name) - 1);
}

static void
test_parse_param_bool(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int ret;
        vpmu_host_param want;
    } rows[] = {
            {"Y\n", 0, VPMU_PARAM_YES},
            {"N\n", 0, VPMU_PARAM_NO},
            {" Y ", 0, VPMU_PARAM_YES},
            {"1", 0, VPMU_PARAM_YES},
            {"0\n", 0, VPMU_PARAM_NO},
            {"", -1, 0},
            {"\n", -1, 0},
            {"y", -1, 0},
            {"YES", -1, 0},
            {"NN", -1, 0},
            {"Y N", -1, 0},
            {"2", -1, 0},
    };

    for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
        vpmu_host_param p = VPMU_PARAM_ABSENT;
        int r = vpmu_hostcaps_parse_param_bool(rows[i].in, strlen(rows[i].in), &p);
        if (r != rows[i].ret)
            fail_msg("'%s': returned %d, expected %d", rows[i].in, r, rows[i].ret);
        if (r == 0)
            assert_int_equal(p, rows[i].want);
    }
    /* Length-bounded: the bytes past @len do not count. */
    {
        vpmu_host_param p;
        assert_int_equal(vpmu_hostcaps_parse_param_bool("Yes", 1, &p), 0);
        assert_int_equal(p, VPMU_PARAM_YES);
    }
    assert_int_equal(vpmu_hostcaps_parse_param_bool(NULL, 0, &(vpmu_host_param){0}), -1);
}

static void
test_strings(void **state)
{
    (void)state;
    assert_string_equal(vpmu_host_verdict_to_string(VPMU_HOST_NO), "no");
    assert_string_equal(vpmu_host_verdict_to_string(VPMU_HOST_PARTIAL), "partial");
    assert_string_equal(vpmu_host_verdict_to_string(VPMU_HOST_YES), "yes");
    assert_string_equal(vpmu_host_verdict_to_string(VPMU_HOST_UNKNOWN), "unknown");
    assert_null(vpmu_host_verdict_to_string(VPMU_HOST_VERDICT_LAST));
    assert_string_equal(vpmu_cpu_vendor_to_string(VPMU_VENDOR_AMD), "amd");
    assert_null(vpmu_cpu_vendor_to_string(VPMU_VENDOR_LAST));
    assert_string_equal(vpmu_host_param_to_string(VPMU_PARAM_NO), "N");
    assert_null(vpmu_host_param_to_string(VPMU_PARAM_LAST));
    assert_string_equal(VPMU_TRAIT, "CUSTOM_COMPUTE_VPMU");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_intel_pmu),          cmocka_unit_test(test_amd_pmu),
            cmocka_unit_test(test_arm64_pmuv3),        cmocka_unit_test(test_arm64_nopmu),
            cmocka_unit_test(test_arm64_tcg),          cmocka_unit_test(test_enable_pmu_n),
            cmocka_unit_test(test_novpmu_vm),          cmocka_unit_test(test_empty_root),
            cmocka_unit_test(test_invalid_enable_pmu), cmocka_unit_test(test_missing_root),
            cmocka_unit_test(test_real_root),          cmocka_unit_test(test_parse_cpuinfo_odd),
            cmocka_unit_test(test_parse_param_bool),   cmocka_unit_test(test_strings),
            cmocka_unit_test(test_escape_symlinks),    cmocka_unit_test(test_in_root_links),
            cmocka_unit_test(test_not_regular),        cmocka_unit_test(test_many_event_sources),
            cmocka_unit_test(test_walk_agrees),
    };
    return cmocka_run_group_tests_name("hostcaps", tests, NULL, NULL);
}

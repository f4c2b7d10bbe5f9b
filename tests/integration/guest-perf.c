/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * guest-perf.c: the tenant's use case, run as /init inside a real guest.
 *
 * Built static for aarch64 by the real-guest harness and packed as /init in
 * an initramfs.  It opens the hardware cycles and instructions events with
 * perf_event_open(2), counts a busy loop in user space, prints one
 * machine-readable line per event, and powers the guest off.
 *
 * Output (one line each, prefix "VPMU-PERF"):
 *   VPMU-PERF event_sources=armv8_pmuv3_0,breakpoint,software,...
 *   VPMU-PERF cycles=12345 enabled_ns=... running_ns=...
 *   VPMU-PERF instructions=unavailable errno=2 (ENOENT)
 *   VPMU-PERF summary=counting            (a hardware event counted > 0)
 *   VPMU-PERF summary=no hardware counter (no hardware event could count)
 *   VPMU-PERF done
 *
 * The harness greps these lines from the guest's serial console.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <linux/reboot.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LOOP_ITERATIONS 4000000UL

struct counter {
    const char *name;
    uint64_t config;
    int fd;
    int open_errno;
    uint64_t value;
    uint64_t enabled_ns;
    uint64_t running_ns;
    bool read_ok;
};

/* The layout perf returns for PERF_FORMAT_TOTAL_TIME_ENABLED | _RUNNING. */
struct read_format {
    uint64_t value;
    uint64_t time_enabled;
    uint64_t time_running;
};

/*
 * /init may start without fds 0-2 when the initramfs has no /dev/console;
 * mount devtmpfs and open the console ourselves in that case.
 */
static void
ensure_console(void)
{
    int fd;

    if (fcntl(STDOUT_FILENO, F_GETFD) >= 0)
        return;
    (void)mkdir("/dev", 0755);
    (void)mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    fd = open("/dev/console", O_RDWR | O_NOCTTY);
    if (fd < 0)
        return;
    (void)dup2(fd, STDIN_FILENO);
    (void)dup2(fd, STDOUT_FILENO);
    (void)dup2(fd, STDERR_FILENO);
    if (fd > STDERR_FILENO)
        close(fd);
}

/* Print the PMU event sources the kernel registered (evidence next to the counts). */
static void
print_event_sources(void)
{
    DIR *dir;
    struct dirent *de;
    bool first = true;

    (void)mkdir("/sys", 0555);
    if (mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 &&
        errno != EBUSY) {
        printf("VPMU-PERF event_sources=unknown errno=%d (%s)\n", errno, strerrorname_np(errno));
        return;
    }
    dir = opendir("/sys/bus/event_source/devices");
    if (!dir) {
        printf("VPMU-PERF event_sources=unknown errno=%d (%s)\n", errno, strerrorname_np(errno));
        return;
    }
    printf("VPMU-PERF event_sources=");
    while ((de = readdir(dir)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        printf("%s%s", first ? "" : ",", de->d_name);
        first = false;
    }
    printf("\n");
    closedir(dir);
}

static int
perf_open(uint64_t config)
{
    struct perf_event_attr attr;

    memset(&attr, 0, sizeof(attr));
    attr.size = sizeof(attr);
    attr.type = PERF_TYPE_HARDWARE;
    attr.config = config;
    attr.disabled = 1;
    attr.exclude_kernel = 1;
    attr.exclude_hv = 1;
    attr.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
    return (int)syscall(SYS_perf_event_open, &attr, 0 /* this task */, -1 /* any cpu */,
                        -1 /* no group */, PERF_FLAG_FD_CLOEXEC);
}

/* Work the counters can see: a dependent chain the compiler cannot fold away. */
static uint64_t
busy_loop(void)
{
    volatile uint64_t acc = 1;

    for (unsigned long i = 0; i < LOOP_ITERATIONS; i++)
        acc = acc * 6364136223846793005ULL + i;
    return acc;
}

int
main(void)
{
    struct counter counters[] = {
            {.name = "cycles", .config = PERF_COUNT_HW_CPU_CYCLES, .fd = -1},
            {.name = "instructions", .config = PERF_COUNT_HW_INSTRUCTIONS, .fd = -1},
    };
    const size_t n = sizeof(counters) / sizeof(counters[0]);
    bool counting = false;
    uint64_t sink;

    ensure_console();
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("VPMU-PERF start\n");
    print_event_sources();

    for (size_t i = 0; i < n; i++) {
        counters[i].fd = perf_open(counters[i].config);
        if (counters[i].fd < 0)
            counters[i].open_errno = errno;
    }
    for (size_t i = 0; i < n; i++) {
        if (counters[i].fd >= 0) {
            (void)ioctl(counters[i].fd, PERF_EVENT_IOC_RESET, 0);
            (void)ioctl(counters[i].fd, PERF_EVENT_IOC_ENABLE, 0);
        }
    }
    sink = busy_loop();
    for (size_t i = 0; i < n; i++) {
        if (counters[i].fd >= 0)
            (void)ioctl(counters[i].fd, PERF_EVENT_IOC_DISABLE, 0);
    }

    for (size_t i = 0; i < n; i++) {
        struct counter *c = &counters[i];
        struct read_format rf;

        if (c->fd < 0) {
            printf("VPMU-PERF %s=unavailable errno=%d (%s)\n", c->name, c->open_errno,
                   strerrorname_np(c->open_errno) ? strerrorname_np(c->open_errno) : "?");
            continue;
        }
        if (read(c->fd, &rf, sizeof(rf)) != (ssize_t)sizeof(rf)) {
            printf("VPMU-PERF %s=unreadable errno=%d (%s)\n", c->name, errno,
                   strerrorname_np(errno) ? strerrorname_np(errno) : "?");
            close(c->fd);
            continue;
        }
        close(c->fd);
        c->value = rf.value;
        c->enabled_ns = rf.time_enabled;
        c->running_ns = rf.time_running;
        c->read_ok = true;
        printf("VPMU-PERF %s=%llu enabled_ns=%llu running_ns=%llu\n", c->name,
               (unsigned long long)c->value, (unsigned long long)c->enabled_ns,
               (unsigned long long)c->running_ns);
        if (c->value > 0)
            counting = true;
    }
    printf("VPMU-PERF summary=%s\n", counting ? "counting" : "no hardware counter");
    printf("VPMU-PERF loop=%lu sink=%llu\n", LOOP_ITERATIONS, (unsigned long long)sink);
    printf("VPMU-PERF done\n");
    fflush(stdout);
    sync();

    /* PSCI SYSTEM_OFF: QEMU exits and libvirt marks the domain shut off. */
    reboot(RB_POWER_OFF);
    /* Not reached; if it is, returning makes the kernel panic, and panic=-1 ends the guest. */
    printf("VPMU-PERF poweroff failed errno=%d\n", errno);
    return 1;
}

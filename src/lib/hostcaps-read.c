/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hostcaps-read.c: one job, opening and reading files of the probed host
 * confined to its root (--host-root): every path resolves inside the root
 * (openat2 RESOLVE_IN_ROOT, or walk_in_root() where openat2 is missing),
 * every read is capped, and only regular files are read (O_NONBLOCK + fstat
 * before reading).  What the probe does with the bytes is hostcaps.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/openat2.h>
#endif

#include "hostcaps-private.h"
#include "hostcaps-test.h"
#include "util.h"

/* ---- reading confined to the root --------------------------------------------------------- */

/*
 * Every path is resolved as if ROOT were "/": an absolute symbolic link
 * (proc/cpuinfo -> /proc/cpuinfo) and ".." stay inside ROOT.  openat2(2)
 * with RESOLVE_IN_ROOT (Linux 5.6) does this in the kernel; where it is
 * missing (ENOSYS, or EPERM from a seccomp filter) walk_in_root() does the
 * same one component at a time.
 */
#ifdef VPMU_TEST_HOOKS
static bool force_walk;

void
vpmu_hostcaps_test_force_walk(bool on)
{
    force_walk = on;
}
#else
static const bool force_walk = false;
#endif

static int
openat2_in_root(int rootfd, const char *rel, int flags)
{
#if defined(SYS_openat2) && defined(RESOLVE_IN_ROOT)
    struct open_how how = {
            .flags = (unsigned long long)flags,
            .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    int fd, tries = 0;

    /* EAGAIN: a rename raced with a ".." lookup; the kernel asks to retry. */
    do
        fd = (int)syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
    while (fd < 0 && errno == EAGAIN && ++tries < 8);
    return fd;
#else
    (void)rootfd;
    (void)rel;
    (void)flags;
    errno = ENOSYS;
    return -1;
#endif
}

/* Close the directory fds of the walk above the root (stack[0] is borrowed). */
static void
close_stack(int *stack, size_t *depth)
{
    while (*depth > 0)
        close(stack[(*depth)--]);
}

/*
 * The fallback: resolve @rel below @rootfd component by component, never
 * following a link with the kernel (O_NOFOLLOW | O_PATH), restarting an
 * absolute target at the root and keeping ".." at the root.  The last
 * component is opened with @flags | O_NOFOLLOW from its parent's fd, so a
 * link swapped in meanwhile fails (ELOOP) instead of leading out.
 */
static int
walk_in_root(int rootfd, const char *rel, int flags)
{
    int stack[MAX_DEPTH + 1];
    size_t depth = 0;
    unsigned links = 0;
    _cleanup_free_ char *path = xstrdup(rel);
    char *p = path;
    int fd = -1, saved;

    stack[0] = rootfd;
    for (;;) {
        char *slash, *name;
        struct stat st;
        bool last;
        int cfd;

        while (*p == '/')
            p++;
        if (!*p) {
            /* The path named a directory itself ("", ".", "a/.."). */
            fd = openat(stack[depth], ".", flags);
            break;
        }
        name = p;
        slash = strchr(p, '/');
        if (slash) {
            *slash = '\0';
            p = slash + 1;
            while (*p == '/')
                p++;
        } else {
            p += strlen(p);
        }
        last = !*p;
        if (STREQ(name, ".")) {
            if (last) {
                fd = openat(stack[depth], ".", flags);
                break;
            }
            continue;
        }
        if (STREQ(name, "..")) {
            if (depth > 0)
                close(stack[depth--]);
            if (last) {
                fd = openat(stack[depth], ".", flags);
                break;
            }
            continue;
        }
        cfd = openat(stack[depth], name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (cfd < 0)
            break;
        if (fstat(cfd, &st) < 0) {
            saved = errno;
            close(cfd);
            errno = saved;
            break;
        }
        if (S_ISLNK(st.st_mode) && !(last && (flags & O_NOFOLLOW))) {
            char target[PATH_MAX];
            ssize_t n = readlinkat(cfd, "", target, sizeof(target) - 1);
            char *next;

            close(cfd);
            if (n < 0)
                break;
            if (++links > MAX_SYMLINKS) {
                errno = ELOOP;
                break;
            }
            target[n] = '\0';
            if (target[0] == '/')
                close_stack(stack, &depth);
            next = xasprintf("%s/%s", target, p);
            free(path);
            path = next;
            p = path;
            continue;
        }
        if (last) {
            close(cfd);
            fd = openat(stack[depth], name, flags | O_NOFOLLOW);
            break;
        }
        if (!S_ISDIR(st.st_mode)) {
            close(cfd);
            errno = ENOTDIR;
            break;
        }
        if (depth == MAX_DEPTH) {
            close(cfd);
            errno = ENAMETOOLONG;
            break;
        }
        stack[++depth] = cfd;
    }
    saved = errno;
    close_stack(stack, &depth);
    errno = saved;
    return fd;
}

/*
 * Open ROOT/@rel confined to the root; @flags gets O_CLOEXEC, and O_NOCTTY
 * unless it has O_PATH (openat2 refuses any other flag with O_PATH).
 */
int
open_in_root(vpmu_hostcaps *c, int rootfd, const char *rel, int flags)
{
    int fd;

    flags |= O_CLOEXEC | ((flags & O_PATH) ? 0 : O_NOCTTY);
    if (!force_walk) {
        fd = openat2_in_root(rootfd, rel, flags);
        if (fd >= 0 || (errno != ENOSYS && errno != EPERM && errno != E2BIG)) {
            c->resolver = "openat2";
            return fd;
        }
    }
    c->resolver = "walk";
    return walk_in_root(rootfd, rel, flags);
}

/* What a file that cannot be used as evidence is. */
static const char *
file_type_name(mode_t m)
{
    if (S_ISFIFO(m))
        return "a FIFO";
    if (S_ISCHR(m))
        return "a character device";
    if (S_ISBLK(m))
        return "a block device";
    if (S_ISSOCK(m))
        return "a socket";
    if (S_ISDIR(m))
        return "a directory";
    return "not a regular file";
}

/*
 * Read at most @cap bytes of ROOT/@rel (truncating, not failing, past @cap).
 * Only a regular file is read: it is opened O_NONBLOCK (a FIFO never blocks
 * the open) and checked with fstat() before the first read; anything else is
 * refused with a note.  Returns 0, or -1 with errno set (ENOENT: absent).
 */
int
read_at(vpmu_hostcaps *c, int rootfd, const char *rel, size_t cap, char **out, size_t *len)
{
    _cleanup_close_ int fd = open_in_root(c, rootfd, rel, O_RDONLY | O_NONBLOCK);
    _cleanup_free_ char *buf = NULL;
    size_t used = 0;
    struct stat st;

    if (fd < 0) {
        int saved = errno;
        if (saved != ENOENT && saved != ENOTDIR)
            strv_pushf(&c->notes, "%s not read: %s", rel,
                       saved == ELOOP || saved == EXDEV
                               ? "a symbolic link loop, or a link that leads outside the root"
                               : strerror(saved));
        errno = saved;
        return -1;
    }
    if (fstat(fd, &st) < 0)
        return -1;
    if (!S_ISREG(st.st_mode)) {
        strv_pushf(&c->notes, "%s not read: it is %s", rel, file_type_name(st.st_mode));
        errno = EINVAL;
        return -1;
    }
    buf = xmalloc(cap + 1);
    while (used < cap) {
        ssize_t r = read(fd, buf + used, cap - used);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0)
            break;
        used += (size_t)r;
    }
    buf[used] = '\0';
    *out = TAKE_PTR(buf);
    *len = used;
    return 0;
}

/* The entry exists, inside the root (a symlink counts: sysfs's event sources are symlinks). */
bool
exists_at(vpmu_hostcaps *c, int rootfd, const char *rel)
{
    _cleanup_close_ int fd = open_in_root(c, rootfd, rel, O_PATH | O_NOFOLLOW);

    return fd >= 0;
}

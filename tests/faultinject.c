/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * faultinject: an LD_PRELOAD library that makes one chosen file operation
 * fail, or kills the process around it, so that tests can show that an
 * interrupted write never damages the file it replaces.  Test-only; never
 * installed.
 *
 * Environment:
 *   VPMU_FAULT       what to do, one rule or several separated by ',':
 *                      OP:N          the Nth call of OP fails (errno below)
 *                      OP:N:ERRNO    ... with that errno (a number or EIO,
 *                                    ENOSPC, EPERM, EXDEV, EACCES, EROFS)
 *                      short-write:N the Nth write writes only half its bytes
 *                                    (a legal short write, not an error)
 *                      kill-before-OP:N  SIGKILL just before the Nth OP
 *                      kill-after-OP:N   SIGKILL just after the Nth OP
 *                      term-before-OP:N  SIGTERM to itself just before the
 *                                    Nth OP (int-before-OP:N: SIGINT)
 *                      change-after-OP:N   after the Nth OP, someone else
 *                                    appends a line to VPMU_FAULT_CHANGE
 *                      poke-after-OP:N     ... overwrites one byte of it in
 *                                    place and puts its mtime back (same
 *                                    inode, size and time: only the bytes
 *                                    tell)
 *                      swap-after-OP:N     ... replaces it by a copy with the
 *                                    same bytes (a new inode)
 *                    OP is one of: create (open/openat/creat/mkstemp family
 *                    with write access), write, fchmod, fsync, close,
 *                    rename.  N counts from 1; ":N" may be left out (1).
 *   VPMU_FAULT_PATH  only files whose path contains this string take part
 *                    (default: every file).  A file takes part when it was
 *                    opened for writing (or made by mkstemp and friends) with
 *                    such a path; rename takes part when either name matches.
 *                    Standard input, output and error never take part.
 *   VPMU_FAULT_LOG   append one line per rule that fired ("fired write:1").
 *   VPMU_FAULT_CHANGE  the file change-/poke-/swap- rules modify.
 *
 * Default errnos are what a full or failing disk gives: write ENOSPC, fsync
 * and close EIO, fchmod EPERM, create ENOSPC, rename EIO.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
/* Define open() and open64() as the separate symbols they are in libc. */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

enum op {
    OP_CREATE,
    OP_WRITE,
    OP_FCHMOD,
    OP_FSYNC,
    OP_CLOSE,
    OP_RENAME,
    OP_LAST
};
static const char *const op_names[OP_LAST] = {"create", "write", "fchmod",
                                              "fsync",  "close", "rename"};
static const int op_default_errno[OP_LAST] = {ENOSPC, ENOSPC, EPERM, EIO, EIO, EIO};

enum action {
    ACT_FAIL,
    ACT_SHORT,
    ACT_KILL_BEFORE,
    ACT_KILL_AFTER,
    ACT_TERM_BEFORE,
    ACT_INT_BEFORE,
    ACT_CHANGE_AFTER,
    ACT_POKE_AFTER,
    ACT_SWAP_AFTER
};

#define MAX_RULES 8
struct rule {
    enum op op;
    enum action action;
    unsigned long nth;
    int err;
    char text[48];
};

static struct rule rules[MAX_RULES];
static size_t nrules;
static unsigned long counts[OP_LAST];
static const char *path_filter;
static bool initialised;

#define MAX_FD 4096
static bool tracked[MAX_FD];

static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_fchmod)(int, mode_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_close)(int);
static int (*real_rename)(const char *, const char *);
static int (*real_renameat)(int, const char *, int, const char *);
static int (*real_renameat2)(int, const char *, int, const char *, unsigned int);
static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static int (*real_creat)(const char *, mode_t);
static int (*real_mkstemp)(char *);
static int (*real_mkostemp)(char *, int);
static int (*real_mkstemps)(char *, int);
static int (*real_mkostemps)(char *, int, int);
static int (*real_creat64)(const char *, mode_t);
static int (*real_mkstemp64)(char *);
static int (*real_mkostemp64)(char *, int);
static int (*real_mkstemps64)(char *, int);
static int (*real_mkostemps64)(char *, int, int);

static void *
next_symbol(const char *name)
{
    void *p = dlsym(RTLD_NEXT, name);
    if (!p) {
        static const char msg[] = "faultinject: a libc symbol is missing\n";
        (void)!write(2, msg, sizeof(msg) - 1);
        abort();
    }
    return p;
}

static int
parse_errno(const char *s)
{
    static const struct {
        const char *name;
        int value;
    } names[] = {{"EIO", EIO},     {"ENOSPC", ENOSPC}, {"EPERM", EPERM},
                 {"EXDEV", EXDEV}, {"EACCES", EACCES}, {"EROFS", EROFS}};
    char *end = NULL;
    long v;

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(s, names[i].name) == 0)
            return names[i].value;
    v = strtol(s, &end, 10);
    if (end == s || *end || v <= 0 || v > 4095)
        return -1;
    return (int)v;
}

static void __attribute__((noreturn)) bad_spec(const char *spec)
{
    char msg[256];
    int n = snprintf(msg, sizeof(msg), "faultinject: cannot parse VPMU_FAULT rule '%s'\n", spec);
    (void)!write(2, msg, n > 0 ? (size_t)n : 0);
    _exit(99);
}

static void
parse_rule(const char *text)
{
    char buf[48];
    char *fields[3] = {NULL, NULL, NULL};
    char *save = NULL, *tok, *name;
    size_t nf = 0;
    struct rule r = {0};
    bool found = false;

    if (strlen(text) >= sizeof(buf) || nrules >= MAX_RULES)
        bad_spec(text);
    memcpy(buf, text, strlen(text) + 1); /* length checked above */
    for (tok = strtok_r(buf, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
        if (nf == 3)
            bad_spec(text);
        fields[nf++] = tok;
    }
    if (nf == 0)
        bad_spec(text);
    name = fields[0];
    r.action = ACT_FAIL;
    if (strncmp(name, "kill-before-", 12) == 0) {
        r.action = ACT_KILL_BEFORE;
        name += 12;
    } else if (strncmp(name, "kill-after-", 11) == 0) {
        r.action = ACT_KILL_AFTER;
        name += 11;
    } else if (strncmp(name, "term-before-", 12) == 0) {
        r.action = ACT_TERM_BEFORE;
        name += 12;
    } else if (strncmp(name, "int-before-", 11) == 0) {
        r.action = ACT_INT_BEFORE;
        name += 11;
    } else if (strncmp(name, "change-after-", 13) == 0) {
        r.action = ACT_CHANGE_AFTER;
        name += 13;
    } else if (strncmp(name, "poke-after-", 11) == 0) {
        r.action = ACT_POKE_AFTER;
        name += 11;
    } else if (strncmp(name, "swap-after-", 11) == 0) {
        r.action = ACT_SWAP_AFTER;
        name += 11;
    } else if (strcmp(name, "short-write") == 0) {
        r.action = ACT_SHORT;
        name = "write";
    }
    for (int i = 0; i < OP_LAST; i++) {
        if (strcmp(name, op_names[i]) == 0) {
            r.op = (enum op)i;
            found = true;
        }
    }
    if (!found)
        bad_spec(text);
    r.nth = 1;
    if (nf >= 2) {
        char *end = NULL;
        r.nth = strtoul(fields[1], &end, 10);
        if (end == fields[1] || *end || r.nth == 0)
            bad_spec(text);
    }
    r.err = op_default_errno[r.op];
    if (nf == 3) {
        if (r.action != ACT_FAIL)
            bad_spec(text);
        r.err = parse_errno(fields[2]);
        if (r.err < 0)
            bad_spec(text);
    }
    snprintf(r.text, sizeof(r.text), "%s", text);
    rules[nrules++] = r;
}

static void
init(void)
{
    const char *spec;

    if (initialised)
        return;
    initialised = true;
    real_write = next_symbol("write");
    real_fchmod = next_symbol("fchmod");
    real_fsync = next_symbol("fsync");
    real_fdatasync = next_symbol("fdatasync");
    real_close = next_symbol("close");
    real_rename = next_symbol("rename");
    real_renameat = next_symbol("renameat");
    real_renameat2 = next_symbol("renameat2");
    real_open = next_symbol("open");
    real_open64 = next_symbol("open64");
    real_openat = next_symbol("openat");
    real_openat64 = next_symbol("openat64");
    real_creat = next_symbol("creat");
    real_mkstemp = next_symbol("mkstemp");
    real_mkostemp = next_symbol("mkostemp");
    real_mkstemps = next_symbol("mkstemps");
    real_mkostemps = next_symbol("mkostemps");
    real_creat64 = next_symbol("creat64");
    real_mkstemp64 = next_symbol("mkstemp64");
    real_mkostemp64 = next_symbol("mkostemp64");
    real_mkstemps64 = next_symbol("mkstemps64");
    real_mkostemps64 = next_symbol("mkostemps64");

    path_filter = getenv("VPMU_FAULT_PATH");
    if (path_filter && !*path_filter)
        path_filter = NULL;
    spec = getenv("VPMU_FAULT");
    if (spec && *spec) {
        char *copy = strdup(spec), *save = NULL;
        if (!copy)
            abort();
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
            parse_rule(t);
        free(copy);
    }
}

__attribute__((constructor)) static void
faultinject_constructor(void)
{
    init();
}

static void
log_fired(const struct rule *r)
{
    const char *path = getenv("VPMU_FAULT_LOG");
    char line[80];
    int fd, n;

    if (!path || !*path)
        return;
    n = snprintf(line, sizeof(line), "fired %s\n", r->text);
    fd = real_open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    (void)!real_write(fd, line, n > 0 ? (size_t)n : 0);
    real_close(fd);
}

/*
 * Count one call of @op and say what to do: the matching rule, or NULL to
 * just call through.  Kill-before rules act here.
 */
static const struct rule *
step(enum op op)
{
    unsigned long n = ++counts[op];

    for (size_t i = 0; i < nrules; i++) {
        const struct rule *r = &rules[i];
        if (r->op != op || r->nth != n)
            continue;
        log_fired(r);
        if (r->action == ACT_KILL_BEFORE)
            raise(SIGKILL);
        if (r->action == ACT_TERM_BEFORE)
            raise(SIGTERM);
        if (r->action == ACT_INT_BEFORE)
            raise(SIGINT);
        return r;
    }
    return NULL;
}

/* Someone else's edit of VPMU_FAULT_CHANGE, made with the real calls. */
static void
change_file(enum action action)
{
    const char *path = getenv("VPMU_FAULT_CHANGE");
    static const char line[] = "<!-- changed by someone else -->\n";
    struct stat st;
    int fd;

    if (!path || !*path)
        return;
    if (action == ACT_CHANGE_AFTER) {
        fd = real_open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
        if (fd >= 0) {
            (void)!real_write(fd, line, sizeof(line) - 1);
            real_close(fd);
        }
    } else if (action == ACT_POKE_AFTER) {
        fd = real_open(path, O_RDWR | O_CLOEXEC);
        if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 2) {
            off_t at = st.st_size / 2;
            char c = 0;
            struct timespec times[2] = {st.st_atim, st.st_mtim};

            if (pread(fd, &c, 1, at) == 1) {
                c = c == 'X' ? 'Y' : 'X';
                (void)!pwrite(fd, &c, 1, at);
            }
            futimens(fd, times);
        }
        if (fd >= 0)
            real_close(fd);
    } else if (action == ACT_SWAP_AFTER) {
        char copy[4096], buf[65536];
        int in = real_open(path, O_RDONLY | O_CLOEXEC), out;
        ssize_t n;

        snprintf(copy, sizeof(copy), "%s.someone-else", path);
        out = real_open(copy, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
            (void)!real_write(out, buf, (size_t)n);
        if (in >= 0)
            real_close(in);
        if (out >= 0)
            real_close(out);
        real_rename(copy, path);
    }
}

static void
after(const struct rule *r)
{
    if (r && r->action == ACT_KILL_AFTER)
        raise(SIGKILL);
    if (r && (r->action == ACT_CHANGE_AFTER || r->action == ACT_POKE_AFTER ||
              r->action == ACT_SWAP_AFTER))
        change_file(r->action);
}

static bool
path_matches(const char *path)
{
    return path && (!path_filter || strstr(path, path_filter));
}

static bool
fd_tracked(int fd)
{
    return fd > 2 && fd < MAX_FD && tracked[fd];
}

static bool
wants_write(int flags)
{
    return (flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC));
}

/* The result of a tracked open-like call. */
static int
opened(int fd, const struct rule *r)
{
    if (fd > 2 && fd < MAX_FD)
        tracked[fd] = true;
    after(r);
    return fd;
}

#define OPEN_LIKE(path, flags, call)                                                               \
    do {                                                                                           \
        const struct rule *r_ = NULL;                                                              \
        int fd_;                                                                                   \
        init();                                                                                    \
        if (path_matches(path) && wants_write(flags)) {                                            \
            r_ = step(OP_CREATE);                                                                  \
            if (r_ && r_->action == ACT_FAIL) {                                                    \
                errno = r_->err;                                                                   \
                return -1;                                                                         \
            }                                                                                      \
            fd_ = (call);                                                                          \
            return opened(fd_, r_);                                                                \
        }                                                                                          \
        fd_ = (call);                                                                              \
        if (fd_ > 2 && fd_ < MAX_FD)                                                               \
            tracked[fd_] = false;                                                                  \
        return fd_;                                                                                \
    } while (0)

static mode_t
mode_arg(int flags, va_list ap)
{
    if (flags & (O_CREAT | O_TMPFILE))
        return (mode_t)va_arg(ap, int);
    return 0;
}

int
open(const char *path, int flags, ...)
{
    va_list ap;
    mode_t mode;

    va_start(ap, flags);
    mode = mode_arg(flags, ap);
    va_end(ap);
    OPEN_LIKE(path, flags, real_open(path, flags, mode));
}

int
open64(const char *path, int flags, ...)
{
    va_list ap;
    mode_t mode;

    va_start(ap, flags);
    mode = mode_arg(flags, ap);
    va_end(ap);
    OPEN_LIKE(path, flags, real_open64(path, flags, mode));
}

int
openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    mode_t mode;

    va_start(ap, flags);
    mode = mode_arg(flags, ap);
    va_end(ap);
    OPEN_LIKE(path, flags, real_openat(dirfd, path, flags, mode));
}

int
openat64(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    mode_t mode;

    va_start(ap, flags);
    mode = mode_arg(flags, ap);
    va_end(ap);
    OPEN_LIKE(path, flags, real_openat64(dirfd, path, flags, mode));
}

int
creat(const char *path, mode_t mode)
{
    OPEN_LIKE(path, O_WRONLY | O_CREAT | O_TRUNC, real_creat(path, mode));
}

int
mkstemp(char *tmpl)
{
    OPEN_LIKE(tmpl, O_RDWR | O_CREAT, real_mkstemp(tmpl));
}

int
mkostemp(char *tmpl, int flags)
{
    OPEN_LIKE(tmpl, O_RDWR | O_CREAT, real_mkostemp(tmpl, flags));
}

int
mkstemps(char *tmpl, int suffixlen)
{
    OPEN_LIKE(tmpl, O_RDWR | O_CREAT, real_mkstemps(tmpl, suffixlen));
}

int
mkostemps(char *tmpl, int suffixlen, int flags)
{
    OPEN_LIKE(tmpl, O_RDWR | O_CREAT, real_mkostemps(tmpl, suffixlen, flags));
}

/* Programs built with _FILE_OFFSET_BITS=64 (meson's default) call these names. */
int
creat64(const char *path, mode_t mode)
{
    OPEN_LIKE(path, O_WRONLY | O_CREAT | O_TRUNC, real_creat64(path, mode));
}

int
mkstemp64(char *tmpl)
{
    OPEN_LIKE(tmpl, O_RDWR | O_CREAT, real_mkstemp64(tmpl));
}

int
mkostemp64(char *tmpl, int flags)
{
    OPEN_LIKE(tmpl, O_RDWR | O_CREAT, real_mkostemp64(tmpl, flags));
}

int
mkstemps64(char *tmpl, int suffixlen)
{
    OPEN_LIKE(tmpl, O_RDWR | O_CREAT, real_mkstemps64(tmpl, suffixlen));
}

int
mkostemps64(char *tmpl, int suffixlen, int flags)
{
    OPEN_LIKE(tmpl, O_RDWR | O_CREAT, real_mkostemps64(tmpl, suffixlen, flags));
}

ssize_t
write(int fd, const void *buf, size_t count)
{
    const struct rule *r;
    ssize_t ret;

    init();
    if (!fd_tracked(fd))
        return real_write(fd, buf, count);
    r = step(OP_WRITE);
    if (r && r->action == ACT_FAIL) {
        errno = r->err;
        return -1;
    }
    if (r && r->action == ACT_SHORT && count > 1)
        count /= 2;
    ret = real_write(fd, buf, count);
    after(r);
    return ret;
}

int
fchmod(int fd, mode_t mode)
{
    const struct rule *r;
    int ret;

    init();
    if (!fd_tracked(fd))
        return real_fchmod(fd, mode);
    r = step(OP_FCHMOD);
    if (r && r->action == ACT_FAIL) {
        errno = r->err;
        return -1;
    }
    ret = real_fchmod(fd, mode);
    after(r);
    return ret;
}

static int
sync_like(int fd, int (*real)(int))
{
    const struct rule *r;
    int ret;

    init();
    if (!fd_tracked(fd))
        return real(fd);
    r = step(OP_FSYNC);
    if (r && r->action == ACT_FAIL) {
        errno = r->err;
        return -1;
    }
    ret = real(fd);
    after(r);
    return ret;
}

int
fsync(int fd)
{
    init();
    return sync_like(fd, real_fsync);
}

int
fdatasync(int fd)
{
    init();
    return sync_like(fd, real_fdatasync);
}

int
close(int fd)
{
    const struct rule *r;
    int ret;

    init();
    if (!fd_tracked(fd))
        return real_close(fd);
    tracked[fd] = false;
    r = step(OP_CLOSE);
    ret = real_close(fd);
    if (r && r->action == ACT_FAIL) {
        /* Like a close that reports a deferred write error: the fd is gone. */
        errno = r->err;
        return -1;
    }
    after(r);
    return ret;
}

#define RENAME_LIKE(from, to, call)                                                                \
    do {                                                                                           \
        const struct rule *r_;                                                                     \
        int ret_;                                                                                  \
        init();                                                                                    \
        if (!path_matches(from) && !path_matches(to))                                              \
            return (call);                                                                         \
        r_ = step(OP_RENAME);                                                                      \
        if (r_ && r_->action == ACT_FAIL) {                                                        \
            errno = r_->err;                                                                       \
            return -1;                                                                             \
        }                                                                                          \
        ret_ = (call);                                                                             \
        after(r_);                                                                                 \
        return ret_;                                                                               \
    } while (0)

int
rename(const char *from, const char *to)
{
    RENAME_LIKE(from, to, real_rename(from, to));
}

int
renameat(int fromfd, const char *from, int tofd, const char *to)
{
    RENAME_LIKE(from, to, real_renameat(fromfd, from, tofd, to));
}

int
renameat2(int fromfd, const char *from, int tofd, const char *to, unsigned int flags)
{
    RENAME_LIKE(from, to, real_renameat2(fromfd, from, tofd, to, flags));
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * util-file.c: reading files whole, and replacing a file safely: atomically
 * (a temporary in the same directory, fsync, rename, fsync of the
 * directory), keeping the file's owner, group and mode, refusing to break
 * hard links unless asked, refusing to overwrite a change someone else made
 * after the file was read, and never leaving a temporary behind on an error
 * or on SIGTERM, SIGINT or SIGHUP.  Internal (util.h); never exported.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

int
vpmu_read_file(const char *path, size_t cap, char **out, size_t *len, vpmu_error **error)
{
    _cleanup_close_ int fd = -1;
    _cleanup_free_ char *buf = NULL;
    bool is_stdin = STREQ(path, "-");
    const char *shown = is_stdin ? "<stdin>" : path;
    size_t used = 0, alloc = 0;

    if (is_stdin) {
        fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
    } else {
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    }
    if (fd < 0) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot open '%s': %s", shown, strerror(errno));
        return -1;
    }
    for (;;) {
        ssize_t r;

        if (alloc - used < 4096 + 1) {
            alloc = alloc ? alloc * 2 : 16384;
            buf = xrealloc(buf, alloc);
        }
        r = read(fd, buf + used, alloc - used - 1);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot read '%s': %s", shown, strerror(errno));
            return -1;
        }
        if (r == 0)
            break;
        used += (size_t)r;
        if (used > cap) {
            vpmu_error_set(error, VPMU_ERR_INVALID,
                           "'%s' is larger than the %zu-byte limit for this input", shown, cap);
            return -1;
        }
    }
    if (!buf)
        buf = xmalloc(1);
    buf[used] = '\0';
    *out = TAKE_PTR(buf);
    if (len)
        *len = used;
    return 0;
}

void
vpmu_file_snapshot_clear(vpmu_file_snapshot *snap)
{
    if (!snap)
        return;
    free(snap->bytes);
    memset(snap, 0, sizeof(*snap));
}

int
vpmu_read_file_snapshot(const char *path, size_t cap, vpmu_file_snapshot *snap, vpmu_error **error)
{
    _cleanup_close_ int fd = -1;
    _cleanup_free_ char *buf = NULL;
    struct stat st;
    size_t used = 0;

    memset(snap, 0, sizeof(*snap));
    /* O_NONBLOCK: a FIFO must be refused, not waited on. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot open '%s': %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) < 0) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot read '%s': %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "'%s' is not a regular file", path);
        return -1;
    }
    if ((unsigned long long)st.st_size > cap) {
        vpmu_error_set(error, VPMU_ERR_INVALID,
                       "'%s' is larger than the %zu-byte limit for this input", path, cap);
        return -1;
    }
    /* One byte more than the size: a file that grew while being read is
     * read whole, and then found changed before it is replaced. */
    buf = xmalloc((size_t)st.st_size + 2);
    for (;;) {
        ssize_t r = read(fd, buf + used, (size_t)st.st_size + 1 - used);

        if (r < 0) {
            if (errno == EINTR)
                continue;
            vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot read '%s': %s", path, strerror(errno));
            return -1;
        }
        if (r == 0 || (used += (size_t)r) == (size_t)st.st_size + 1)
            break;
    }
    buf[used] = '\0';
    snap->bytes = TAKE_PTR(buf);
    snap->len = used;
    snap->dev = st.st_dev;
    snap->ino = st.st_ino;
    snap->size = st.st_size;
    snap->mtime = st.st_mtim;
    snap->valid = true;
    return 0;
}

static int
fsync_dir_of(const char *path)
{
    _cleanup_free_ char *copy = xstrdup(path);
    _cleanup_close_ int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (dfd < 0)
        return -1;
    return fsync(dfd);
}

/* Whether @path still is the file @snap was taken of: same inode, size,
 * modification time and bytes. */
static bool
unchanged_since(const char *path, const vpmu_file_snapshot *snap)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    _cleanup_free_ char *buf = NULL;
    struct stat st;
    size_t used = 0;

    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        return false;
    if (st.st_dev != snap->dev || st.st_ino != snap->ino || st.st_size != snap->size ||
        (size_t)st.st_size != snap->len || st.st_mtim.tv_sec != snap->mtime.tv_sec ||
        st.st_mtim.tv_nsec != snap->mtime.tv_nsec)
        return false;
    /* The same size and time do not prove the same bytes (a write within the
     * file system's timestamp granularity, or a restored mtime). */
    buf = xmalloc(snap->len + 1);
    for (;;) {
        ssize_t r = read(fd, buf + used, snap->len + 1 - used);

        if (r < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        if (r == 0 || (used += (size_t)r) == snap->len + 1)
            break;
    }
    return used == snap->len && memcmp(buf, snap->bytes, used) == 0;
}

/* A new name next to @path, created with O_EXCL (so never someone else's
 * file, nor a symbolic link) and @mode (the umask applies). */
static int
create_temporary(const char *path, mode_t mode, char **tmp_out)
{
    for (unsigned attempt = 0; attempt < 100; attempt++) {
        static const char chars[] =
                "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        unsigned char rnd[6];
        char suffix[7];
        _cleanup_free_ char *tmp = NULL;
        int fd;

        if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
            return -1;
        for (size_t i = 0; i < sizeof(rnd); i++)
            suffix[i] = chars[rnd[i] % (sizeof(chars) - 1)];
        suffix[6] = '\0';
        tmp = xasprintf("%s.vpmu-%s", path, suffix);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, mode);
        if (fd >= 0) {
            *tmp_out = TAKE_PTR(tmp);
            return fd;
        }
        if (errno != EEXIST)
            return -1;
    }
    errno = EEXIST;
    return -1;
}

/*
 * The signals that end a command line tool on request.  They are blocked in
 * the calling thread while the temporary exists, and looked for before each
 * step that cannot be undone: a pending one removes the temporary, and is
 * delivered (by default, ending the process) once the mask is restored.
 */
static void
termination_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGHUP);
}

/* A termination signal is pending that will not be ignored once unblocked
 * (Linux keeps a blocked signal pending even when its action is SIG_IGN). */
static bool
termination_pending(void)
{
    static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};
    sigset_t pending;

    if (sigpending(&pending) < 0)
        return false;
    for (size_t i = 0; i < ELEMENTSOF(sigs); i++) {
        struct sigaction sa;

        if (sigismember(&pending, sigs[i]) == 1 && sigaction(sigs[i], NULL, &sa) == 0 &&
            sa.sa_handler != SIG_IGN)
            return true;
    }
    return false;
}

int
vpmu_replace_file(const char *path_arg, const void *buf, size_t len, const vpmu_file_snapshot *was,
                  unsigned flags, vpmu_error **error)
{
    _cleanup_free_ char *resolved = NULL;
    _cleanup_free_ char *tmp = NULL;
    _cleanup_close_ int fd = -1;
    const char *path = path_arg, *p = buf;
    size_t left = len;
    sigset_t block, saved;
    struct stat lst, st, tst;
    bool exists;
    int saved_errno;

    /*
     * A symlink is followed: its target is replaced (atomically, next to
     * the target) and the link is kept, so an operator's link to a managed
     * copy stays a link.
     */
    if (lstat(path_arg, &lst) == 0 && S_ISLNK(lst.st_mode)) {
        resolved = realpath(path_arg, NULL);
        if (!resolved) {
            vpmu_error_set(error, VPMU_ERR_RUNTIME,
                           "cannot resolve the symbolic link '%s': %s; the file was left "
                           "unchanged",
                           path_arg, strerror(errno));
            return -1;
        }
        path = resolved;
    }
    exists = stat(path, &st) == 0;
    if (exists && !S_ISREG(st.st_mode)) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "'%s' is not a regular file", path);
        return -1;
    }
    if (exists && st.st_nlink > 1 && !(flags & VPMU_REPLACE_BREAK_HARDLINKS)) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME,
                       "'%s' has %lu hard links; replacing it would leave the other names on the "
                       "old content (--break-hardlinks allows it); the file was left unchanged",
                       path, (unsigned long)st.st_nlink);
        return -1;
    }
    if (was && was->valid && (!exists || st.st_ino != was->ino || st.st_dev != was->dev)) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME,
                       "'%s' was changed by someone else after vpmu read it; their change was "
                       "kept and nothing was written",
                       path);
        return -1;
    }

    termination_signals(&block);
    pthread_sigmask(SIG_BLOCK, &block, &saved);
    /* An existing file's content stays private until the temporary has its
     * owner and mode; a new file gets 0666 less the umask, as creat(2) gives. */
    fd = create_temporary(path, exists ? 0600 : 0666, &tmp);
    if (fd < 0) {
        saved_errno = errno;
        pthread_sigmask(SIG_SETMASK, &saved, NULL);
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot create a temporary file next to '%s': %s",
                       path, strerror(saved_errno));
        return -1;
    }
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            goto fail;
        }
        p += w;
        left -= (size_t)w;
    }
    if (exists) {
        if (fstat(fd, &tst) < 0)
            goto fail;
        /* Owner and group first: fchown clears the set-user/group-ID bits. */
        if ((tst.st_uid != st.st_uid || tst.st_gid != st.st_gid) &&
            fchown(fd, st.st_uid, st.st_gid) < 0) {
            saved_errno = errno;
            vpmu_error_set(error, VPMU_ERR_RUNTIME,
                           "cannot give the new '%s' the owner and group of the old one (%lu:%lu): "
                           "%s; the file was left unchanged",
                           path, (unsigned long)st.st_uid, (unsigned long)st.st_gid,
                           strerror(saved_errno));
            goto cleanup;
        }
        if (fchmod(fd, st.st_mode & 07777) < 0)
            goto fail;
    }
    if (fsync(fd) < 0)
        goto fail;
    if (close(TAKE_FD(fd)) < 0)
        goto fail;
    if (termination_pending())
        goto interrupted;
    /* The last look before the rename: someone else's edit since the read
     * must not be lost.  (A change in the instants between this look and
     * the rename cannot be seen; the window is as short as it can be.) */
    if (was && was->valid && !unchanged_since(path, was)) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME,
                       "'%s' was changed by someone else after vpmu read it; their change was "
                       "kept and nothing was written",
                       path);
        goto cleanup;
    }
    if (termination_pending())
        goto interrupted;
    if (rename(tmp, path) < 0)
        goto fail;
    /* The data is in place; a failed directory sync only weakens durability. */
    (void)fsync_dir_of(path);
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    return 0;

interrupted:
    vpmu_error_set(error, VPMU_ERR_RUNTIME,
                   "interrupted by a signal before '%s' was replaced; the file was left unchanged",
                   path);
    goto cleanup;
fail:
    vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot write '%s': %s; the file was left unchanged",
                   path, strerror(errno));
cleanup:
    (void)unlink(tmp);
    /* A termination signal that arrived meanwhile is delivered now. */
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    return -1;
}

int
vpmu_write_file_atomic(const char *path, const void *buf, size_t len, vpmu_error **error)
{
    return vpmu_replace_file(path, buf, len, NULL, 0, error);
}

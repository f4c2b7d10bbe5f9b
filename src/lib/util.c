/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

void
closep(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
    }
}

static void __attribute__((noreturn)) oom(void)
{
    /* The one place the code base gives up: there is nothing sane to do. */
    static const char msg[] = "vpmu: out of memory\n";
    ssize_t r _unused_ = write(STDERR_FILENO, msg, sizeof(msg) - 1);
    abort();
}

void *
xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom();
    return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
    void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
    if (!p)
        oom();
    return p;
}

void *
xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom();
    return q;
}

void *
xreallocarray(void *p, size_t nmemb, size_t size)
{
    if (size && nmemb > SIZE_MAX / size)
        oom();
    return xrealloc(p, nmemb * size);
}

char *
xstrdup(const char *s)
{
    char *p = strdup(s);
    if (!p)
        oom();
    return p;
}

char *
xstrndup(const char *s, size_t n)
{
    char *p = strndup(s, n);
    if (!p)
        oom();
    return p;
}

char *
xvasprintf(const char *fmt, va_list ap)
{
    char *p = NULL;
    if (vasprintf(&p, fmt, ap) < 0)
        oom();
    return p;
}

char *
xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *p;

    va_start(ap, fmt);
    p = xvasprintf(fmt, ap);
    va_end(ap);
    return p;
}

void
strv_push(strv *s, char *owned)
{
    if (s->n + 2 > s->cap) {
        s->cap = s->cap ? s->cap * 2 : 8;
        s->v = xreallocarray(s->v, s->cap, sizeof(char *));
    }
    s->v[s->n++] = owned;
    s->v[s->n] = NULL;
}

void
strv_pushf(strv *s, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    strv_push(s, xvasprintf(fmt, ap));
    va_end(ap);
}

void
strv_clear(strv *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

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

static int
fsync_dir_of(const char *path)
{
    _cleanup_free_ char *copy = xstrdup(path);
    _cleanup_close_ int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (dfd < 0)
        return -1;
    return fsync(dfd);
}

int
vpmu_write_file_atomic(const char *path_arg, const void *buf, size_t len, vpmu_error **error)
{
    _cleanup_free_ char *resolved = NULL;
    _cleanup_free_ char *tmp = NULL;
    struct stat lst;

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
    }
    const char *path = resolved ? resolved : path_arg;
    tmp = xasprintf("%s.vpmu-XXXXXX", path);
    _cleanup_close_ int fd = -1;
    struct stat st;
    mode_t mode;

    const char *p = buf;
    size_t left = len;

    if (stat(path, &st) == 0) {
        if (!S_ISREG(st.st_mode)) {
            vpmu_error_set(error, VPMU_ERR_RUNTIME, "'%s' is not a regular file", path);
            return -1;
        }
        mode = st.st_mode & 07777;
    } else {
        mode_t um = umask(0);
        umask(um);
        mode = 0666 & ~um;
    }

    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot create a temporary file next to '%s': %s",
                       path, strerror(errno));
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
    if (fchmod(fd, mode) < 0 || fsync(fd) < 0)
        goto fail;
    if (close(TAKE_FD(fd)) < 0)
        goto fail;
    if (rename(tmp, path) < 0)
        goto fail;
    /* The data is in place; a failed directory sync only weakens durability. */
    (void)fsync_dir_of(path);
    return 0;

fail:
    vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot write '%s': %s; the file was left unchanged",
                   path, strerror(errno));
    (void)unlink(tmp);
    return -1;
}

int
random_uuid4(unsigned char b[16], vpmu_error **error)
{
    size_t got = 0;

    while (got < 16) {
        ssize_t r = getrandom(b + got, 16 - got, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot get random bytes for a message id: %s",
                           strerror(errno));
            return -1;
        }
        got += (size_t)r;
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    return 0;
}

static bool
is_hex_digit(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool
uuid_string_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;

    if (n != 32 && n != 36)
        return false;
    for (size_t i = 0; i < n; i++) {
        bool dash = n == 36 && (i == 8 || i == 13 || i == 18 || i == 23);
        if (dash ? s[i] != '-' : !is_hex_digit(s[i]))
            return false;
    }
    return true;
}

int
parse_ull(const char *s, unsigned long long *out)
{
    char *end = NULL;
    unsigned long long v;

    if (!s)
        return -1;
    while (*s == ' ' || *s == '\t' || *s == '\n')
        s++;
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || end == s)
        return -1;
    while (*end == ' ' || *end == '\t' || *end == '\n')
        end++;
    if (*end != '\0')
        return -1;
    *out = v;
    return 0;
}

char *
strstrip(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\v' || *s == '\f')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r' ||
                     e[-1] == '\v' || e[-1] == '\f'))
        *--e = '\0';
    return s;
}

/* Length of the valid UTF-8 sequence at @p (at most @n bytes), 0 when invalid. */
static size_t
utf8_seq(const unsigned char *p, size_t n)
{
    size_t len;
    unsigned int cp;

    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xc2 && p[0] <= 0xdf)
        len = 2, cp = p[0] & 0x1f;
    else if (p[0] >= 0xe0 && p[0] <= 0xef)
        len = 3, cp = p[0] & 0x0f;
    else if (p[0] >= 0xf0 && p[0] <= 0xf4)
        len = 4, cp = p[0] & 0x07;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    /* overlong forms, UTF-16 surrogates, beyond U+10FFFF */
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || (cp >= 0xd800 && cp <= 0xdfff) ||
        cp > 0x10ffff)
        return 0;
    return len;
}

char *
quote_for_message(const char *s, size_t max)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s), shown = n > max ? max : n;
    char *out = xmalloc(shown * 4 + 4);
    char *o = out;

    for (size_t i = 0; i < shown;) {
        size_t len = utf8_seq(u + i, shown - i);

        if (u[i] == '\n') {
            o = stpcpy(o, "\\n");
            i++;
        } else if (u[i] == '\t') {
            o = stpcpy(o, "\\t");
            i++;
        } else if (len == 0 || u[i] < 0x20 || u[i] == 0x7f ||
                   (len == 2 && u[i] == 0xc2 && u[i + 1] < 0xa0)) {
            /* C0, DEL, a byte that is not UTF-8, and (two bytes) a C1 control */
            size_t k = len == 2 ? 2 : 1;
            for (size_t j = 0; j < k; j++)
                o += snprintf(o, 5, "\\x%02x", u[i + j]);
            i += k;
        } else {
            memcpy(o, u + i, len);
            o += len;
            i += len;
        }
    }
    if (shown < n) {
        memcpy(o, "...", 3);
        o += 3;
    }
    *o = '\0';
    return out;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal helpers shared by libvpmu, libvpmu-virt and the CLI (linked in as
 * a static convenience library, never exported).
 *
 *  - scoped cleanup in the systemd/crun style: every owning local starts as
 *    NULL (or -1) and ownership leaves a function only through TAKE_PTR();
 *  - the x*alloc family aborts on out-of-memory, so callers never check;
 *  - file input is size-capped, file output is atomic (tmp + fsync + rename).
 */
#ifndef VPMU_UTIL_H
#define VPMU_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <time.h>

#include "alloc.h" /* the x*alloc family */
#include "vpmu/common.h"

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))

#define TAKE_PTR(p)                                                                                \
    ({                                                                                             \
        __typeof__(p) _tp_ = (p);                                                                  \
        (p) = NULL;                                                                                \
        _tp_;                                                                                      \
    })
#define TAKE_FD(fd)                                                                                \
    ({                                                                                             \
        int _tfd_ = (fd);                                                                          \
        (fd) = -1;                                                                                 \
        _tfd_;                                                                                     \
    })

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))
#define STREQ(a, b) (strcmp((a), (b)) == 0)
#define STREQ_NULLABLE(a, b) ((a) == (b) || ((a) && (b) && strcmp((a), (b)) == 0))

/*
 * Define `const char *func(type v)`: table[v], or NULL when v is not below
 * last.  The table must hold exactly one string per value (checked at build
 * time).  Used as `VPMU_DEFINE_TO_STRING(...);` after the table.
 */
#define VPMU_DEFINE_TO_STRING(func, type, table, last)                                             \
    const char *func(type v)                                                                       \
    {                                                                                              \
        return (unsigned)v < (last) ? table[v] : NULL;                                             \
    }                                                                                              \
    _Static_assert(ELEMENTSOF(table) == (last), #table " must have one string per " #type)

/* Declare a cleanup function `name##p(type **)` that calls `func(*p)` when set. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                                                    \
    static inline void func##p(type *p)                                                            \
    {                                                                                              \
        if (*p)                                                                                    \
            func(*p);                                                                              \
    }

static inline void
freep(void *p)
{
    free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void
fclosep(FILE **f)
{
    if (*f)
        fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

void closep(int *fd);
#define _cleanup_close_ _cleanup_(closep)

DEFINE_TRIVIAL_CLEANUP_FUNC(vpmu_error *, vpmu_error_free)
#define _cleanup_error_ _cleanup_(vpmu_error_freep)

/* A NULL-terminated, growable vector of owned strings. */
typedef struct {
    char **v;
    size_t n;
    size_t cap;
} strv;
void strv_push(strv *s, char *owned);
void strv_pushf(strv *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strv_clear(strv *s);

/*
 * Append @n bytes of @s to the growing buffer *@p (*@len used, *@cap
 * allocated; all 0 and NULL to start), keeping it NUL-terminated.  The
 * capacity doubles from 256.
 */
void buf_append(char **p, size_t *len, size_t *cap, const void *s, size_t n);

/*
 * Read a whole file (or stdin for "-") into a NUL-terminated buffer, refusing
 * anything larger than @cap bytes with VPMU_ERR_INVALID.  Opens with O_CLOEXEC.
 */
int vpmu_read_file(const char *path, size_t cap, char **out, size_t *len, vpmu_error **error);

/*
 * What a file was when it was read (util-file.c): its bytes, and the inode,
 * size and modification time, so that replacing it can tell whether someone
 * else changed it meanwhile.
 */
typedef struct {
    bool valid;
    char *bytes; /* NUL-terminated */
    size_t len;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
} vpmu_file_snapshot;

/*
 * Read the regular file @path (not stdin; a FIFO or device is refused
 * without blocking) whole, at most @cap bytes, into @snap.
 */
int vpmu_read_file_snapshot(const char *path, size_t cap, vpmu_file_snapshot *snap,
                            vpmu_error **error);
void vpmu_file_snapshot_clear(vpmu_file_snapshot *snap);

/* vpmu_replace_file(): replace a file with more than one hard link anyway. */
#define VPMU_REPLACE_BREAK_HARDLINKS (1u << 0)

/*
 * Replace @path with @buf atomically: write a temporary in the same
 * directory, give it the owner, group and mode of the existing file (a new
 * file gets 0666 less the umask), fsync it, rename it over @path and fsync
 * the directory.  A symbolic link is followed and kept.  Refused, with @path
 * untouched (VPMU_ERR_RUNTIME):
 *  - a file with more than one hard link, unless VPMU_REPLACE_BREAK_HARDLINKS
 *    (the other names would keep the old content);
 *  - when the owner and group cannot be kept (fchown not permitted);
 *  - when @was is given and the file is no longer what it was (inode, size,
 *    modification time or bytes), checked once more just before the rename:
 *    the other change is kept;
 *  - when SIGTERM, SIGINT or SIGHUP arrives before the rename: they are
 *    blocked in the calling thread while the temporary exists, which is then
 *    removed, and delivered when the mask is restored.
 * On any failure the temporary is removed.
 */
int vpmu_replace_file(const char *path, const void *buf, size_t len, const vpmu_file_snapshot *was,
                      unsigned flags, vpmu_error **error);

/* vpmu_replace_file() without a snapshot or flags. */
int vpmu_write_file_atomic(const char *path, const void *buf, size_t len, vpmu_error **error);

/*
 * 16 random bytes from getrandom(2), shaped as an RFC 4122 version 4 UUID
 * (version and variant bits set).  -1 with VPMU_ERR_RUNTIME if the kernel
 * gives no randomness.
 */
int random_uuid4(unsigned char b[16], vpmu_error **error);

/* A UUID string as libvirt and Placement take it: 8-4-4-4-12 hex digits, or 32 bare ones. */
bool uuid_string_valid(const char *s);

/* Checked unsigned parse of a whole string (leading/trailing blanks allowed). */
int parse_ull(const char *s, unsigned long long *out);

/*
 * @v as "%.17g" (enough digits to read back the same double) in the C
 * locale, whatever the caller's LC_NUMERIC: always a '.' for the decimal
 * point.  Thread-safe.
 */
char *format_double(double v);

/* Trim ASCII whitespace in place, returning the trimmed start. */
char *strstrip(char *s);

/*
 * The one quoting function for user values in messages and text output:
 * newline and tab become \n and \t; other C0 controls, DEL, C1 controls
 * (U+0080..U+009F, as their two UTF-8 bytes) and bytes that are not valid
 * UTF-8 become \xNN; valid UTF-8 is kept.  At most @max input bytes are
 * shown, then "...".  The caller frees the result.
 */
char *quote_for_message(const char *s, size_t max);

/*
 * A copy of @s that is valid UTF-8: each byte that does not belong to a valid
 * sequence (as quote_for_message() judges it) becomes U+FFFD.  For JSON,
 * which cannot carry such bytes.  The caller frees it.
 */
char *utf8_sanitize(const char *s);

/*
 * A URL or libvirt URI with the password of its user information
 * (scheme://USER:PASSWORD@HOST/..., any scheme and case; also in a
 * malformed scheme:USER:PASSWORD@HOST) replaced by "***", otherwise unchanged
 * and not quoted: for output that has its own escaping
 * (JSON, Prometheus labels).  NULL gives NULL.  The caller frees it.
 */
char *uri_without_password(const char *uri);

/*
 * A URL or libvirt URI for messages and text output: uri_without_password(),
 * then quote_for_message() with at most 200 bytes shown; NULL gives "".
 * The caller frees it.
 */
char *uri_for_message(const char *uri);

/*
 * The one test of "is this URI another machine": whether a libvirt URI or a
 * URL names a host (scheme://HOST/...), as opposed to scheme:///... or
 * scheme://?... on this one.  NULL and a URI without "://" name no host.
 */
bool uri_has_host(const char *uri);

#endif /* VPMU_UTIL_H */

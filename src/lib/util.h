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

/* Out-of-memory aborts: one place, one policy. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

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
 * Read a whole file (or stdin for "-") into a NUL-terminated buffer, refusing
 * anything larger than @cap bytes with VPMU_ERR_INVALID.  Opens with O_CLOEXEC.
 */
int vpmu_read_file(const char *path, size_t cap, char **out, size_t *len, vpmu_error **error);

/*
 * Replace @path atomically: write a temporary in the same directory, fsync it,
 * give it the mode of the existing file (0644 & ~umask for a new one), rename
 * it over @path and fsync the directory.  On any failure @path is untouched
 * and the temporary is removed.
 */
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

#endif /* VPMU_UTIL_H */

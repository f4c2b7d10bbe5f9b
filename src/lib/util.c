/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * util.c: the internal helpers every module shares (strings, string
 * vectors, UUIDs, number parsing, quoting for messages).  Linked statically
 * into both libraries and the CLI, never exported.  Memory that never
 * returns NULL is alloc.c's job; reading and replacing files is util-file.c's.
 */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <pthread.h>
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
buf_append(char **p, size_t *len, size_t *cap, const void *s, size_t n)
{
    if (*cap - *len <= n) {
        size_t c = *cap ? *cap : 256;
        while (c - *len <= n)
            c *= 2;
        *p = xrealloc(*p, c);
        *cap = c;
    }
    memcpy(*p + *len, s, n);
    *len += n;
    (*p)[*len] = '\0';
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

char *
utf8_sanitize(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s);
    char *out = xmalloc(n * 3 + 1), *o = out;

    for (size_t i = 0; i < n;) {
        size_t len = utf8_seq(u + i, n - i);

        if (len == 0) {
            o = stpcpy(o, "\xef\xbf\xbd");
            i++;
        } else {
            memcpy(o, u + i, len);
            o += len;
            i += len;
        }
    }
    *o = '\0';
    return out;
}

char *
uri_without_password(const char *uri)
{
    const char *sep, *auth = NULL, *end, *at = NULL, *colon;

    if (!uri)
        return NULL;
    sep = strstr(uri, "://");
    if (sep) {
        auth = sep + 3;
    } else if ((uri[0] | 0x20) >= 'a' && (uri[0] | 0x20) <= 'z') {
        /* Not quite a URL ("amqp:u:pw@host", "amqp:/u:pw@host"): hide what looks like one. */
        const char *p = uri + 1;
        while (((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z') || (*p >= '0' && *p <= '9') ||
               *p == '+' || *p == '-' || *p == '.')
            p++;
        if (*p == ':')
            for (auth = p + 1; *auth == '/'; auth++)
                ;
    }
    if (!auth)
        return xstrdup(uri);
    end = auth + strcspn(auth, "/?#");
    /* The user information ends at the last '@' of the authority. */
    for (const char *p = auth; p < end; p++)
        if (*p == '@')
            at = p;
    if (!at)
        return xstrdup(uri);
    colon = memchr(auth, ':', (size_t)(at - auth));
    if (!colon)
        return xstrdup(uri);
    return xasprintf("%.*s***%s", (int)(colon + 1 - uri), uri, at);
}

char *
uri_for_message(const char *uri)
{
    _cleanup_free_ char *masked = uri_without_password(uri);

    return quote_for_message(masked ? masked : "", 200);
}

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void
make_c_locale(void)
{
    c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

char *
format_double(double v)
{
    locale_t old;
    char *s;

    /* uselocale() changes this thread's locale only, and only for the call:
     * the caller's setlocale() (say de_DE, with a decimal comma) stays, and
     * JSON-like text always gets a '.'. */
    pthread_once(&c_locale_once, make_c_locale);
    if (!c_locale)
        abort(); /* newlocale("C") fails only without memory */
    old = uselocale(c_locale);
    s = xasprintf("%.17g", v);
    uselocale(old);
    return s;
}

bool
uri_has_host(const char *uri)
{
    const char *p = uri ? strstr(uri, "://") : NULL;

    if (!p)
        return false;
    p += 3;
    return *p != '/' && *p != '\0' && *p != '?';
}

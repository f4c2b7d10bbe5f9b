/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Memory that never returns NULL (alloc.c): the x*alloc family aborts on
 * out-of-memory, so callers never check.  Internal, never exported; util.h
 * includes it, error.c uses it alone.
 */
#ifndef VPMU_ALLOC_H
#define VPMU_ALLOC_H

#include <stdarg.h>
#include <stddef.h>

/* Out-of-memory aborts: one place, one policy. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif /* VPMU_ALLOC_H */

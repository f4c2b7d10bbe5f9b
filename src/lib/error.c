/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "vpmu/common.h"

struct vpmu_error {
    vpmu_error_code code;
    char *message;
};

vpmu_error_code
vpmu_error_get_code(const vpmu_error *error)
{
    return error ? error->code : VPMU_ERR_RUNTIME;
}

const char *
vpmu_error_get_message(const vpmu_error *error)
{
    return error && error->message ? error->message : "unknown error";
}

void
vpmu_error_free(vpmu_error *error)
{
    if (!error)
        return;
    free(error->message);
    free(error);
}

void
vpmu_error_setv(vpmu_error **error, vpmu_error_code code, const char *fmt, va_list ap)
{
    vpmu_error *e;

    if (!error || *error)
        return;
    e = xcalloc(1, sizeof(*e));
    e->code = code;
    e->message = xvasprintf(fmt, ap);
    *error = e;
}

void
vpmu_error_set(vpmu_error **error, vpmu_error_code code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vpmu_error_setv(error, code, fmt, ap);
    va_end(ap);
}

void
vpmu_error_prefix(vpmu_error **error, const char *fmt, ...)
{
    char *ctx;
    char *msg;
    va_list ap;

    if (!error || !*error)
        return;
    va_start(ap, fmt);
    ctx = xvasprintf(fmt, ap);
    va_end(ap);
    msg = xasprintf("%s: %s", ctx, (*error)->message);
    free(ctx);
    free((*error)->message);
    (*error)->message = msg;
}

const char *
vpmu_version(void)
{
    return VPMU_VERSION;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * metadata-private.h: what metadata.c (flavor and image documents) and
 * metadata-props.c (the legacy properties string) share.  Not installed,
 * not exported.
 */
#ifndef VPMU_METADATA_PRIVATE_H
#define VPMU_METADATA_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "vpmu/common.h"

/* Characters, not bytes, in a UTF-8 string. */
static inline size_t
utf8_chars(const char *s, size_t len)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

static inline bool
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/*
 * Parse the "key='value', ..." string @s (@len bytes, valid UTF-8 without
 * NUL: it comes from a JSON string) found in the properties of @what
 * ("flavor" or "image") @owner of @file, into a new JSON object of strings.
 * NULL with VPMU_ERR_INVALID naming the character where reading stopped.
 */
json_t *metadata_parse_props_string(const char *s, size_t len, const char *file, const char *what,
                                    const char *owner, vpmu_error **error);

#endif

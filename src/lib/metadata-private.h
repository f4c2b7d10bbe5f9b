/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * metadata-private.h: what metadata.c (flavor and image documents),
 * metadata-props.c (the legacy properties string) and metadata-keys.c (near
 * misses of hw:pmu / hw_pmu) share, and openstack.c (list answers) with
 * them.  Not installed, not exported.
 */
#ifndef VPMU_METADATA_PRIVATE_H
#define VPMU_METADATA_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "vpmu/common.h"
#include "vpmu/metadata.h"

/* Nova's flavor name and id, and Glance's image name, are at most 255 characters. */
#define NAME_MAX_CHARS 255
/* How much of a user value a message quotes. */
#define SHOW_MAX 64

typedef struct {
    char *key;
    char *value;
} kv_pair;

/* Key/value pairs in document order. */
typedef struct {
    kv_pair *v;
    size_t n;
    size_t cap;
} kv_list;

struct vpmu_flavor {
    char *name;
    char *id;
    unsigned long long ram_mib;
    unsigned int vcpus;
    kv_list specs;
};

struct vpmu_image {
    char *name;
    char *id;
    kv_list props;
};

/* A name for messages: the name, else the id, else "(unnamed)"; quoted for display. */
char *display_name(const char *name, const char *id);

/* What a JSON value is, for messages: "an object", "a string", "null", ... */
const char *json_type_name(const json_t *v);

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

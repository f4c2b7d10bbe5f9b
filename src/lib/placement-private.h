/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * placement-private.h: what placement.c (the HTTP side) and
 * placement-parse.c (the pure parsers and checks) share.  Not installed,
 * not exported.
 */
#ifndef VPMU_PLACEMENT_PRIVATE_H
#define VPMU_PLACEMENT_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "util.h"
#include "vpmu/placement.h"

typedef struct {
    char *resource_class;
    unsigned long long capacity;
    unsigned long long used;
} cand_resource;

typedef struct {
    char *uuid;
    char *name;
    char *root;
    char **traits; /* NULL-terminated */
    cand_resource *res;
    size_t n_res;
} cand_provider;

struct vpmu_placement_candidates {
    cand_provider *p;
    size_t n;
    size_t n_requests;
    char *missing_trait; /* a required trait Placement does not know */
};

DEFINE_TRIVIAL_CLEANUP_FUNC(char **, vpmu_placement_strv_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(vpmu_placement_candidates *, vpmu_placement_candidates_free)
#define _cleanup_json_ _cleanup_(json_decrefp)

size_t placement_strv_len(char *const *v);
bool placement_strv_contains(char *const *v, const char *s);

/* Placement's name rules; the check_ functions set a usage error. */
bool placement_valid_custom_trait(const char *s);
int placement_check_uuid(const char *uuid, vpmu_error **error);
int placement_check_trait(const char *trait, vpmu_error **error);
int placement_check_required(const char *required, vpmu_error **error);

/* The pure parsers, with the error code to report a bad answer with
 * (VPMU_ERR_INVALID for a file, VPMU_ERR_RUNTIME for a live answer). */
json_t *placement_load_json(const char *buf, size_t len, vpmu_error_code code, vpmu_error **error);
int placement_parse_traits_code(const char *buf, size_t len, vpmu_error_code code, char ***traits,
                                unsigned long long *generation, vpmu_error **error);
vpmu_placement_candidates *placement_parse_candidates_code(const char *buf, size_t len,
                                                           vpmu_error_code code,
                                                           vpmu_error **error);
/* qsort order of candidates' providers: by name, then UUID. */
int placement_cmp_provider(const void *a, const void *b);

#endif

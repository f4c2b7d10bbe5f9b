/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: Nova flavor-list and Glance image-list answers
 * (src/lib/openstack.c), name lookup, and drift (src/lib/drift.c).
 *
 * Input: ANSWER 0xFF NAME.  The answer is read both as a Nova flavor list
 * and as a Glance image list; NAME (default "x") is looked up in each.
 *
 * Invariants checked beyond "no crash, no leak":
 *  - errors carry a documented code and a one-line, non-empty message;
 *  - a failed page leaves the list as it was (empty here);
 *  - a lookup returns an index whose element has that exact name, or fails
 *    with 1 (not found) or 3 (ambiguous);
 *  - drift against the found flavor never fails, and its reason is one line.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "vpmu/drift.h"
#include "vpmu/openstack.h"

#define SEP 0xFF

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *sep = memchr(data, SEP, size);
    size_t blen = sep ? (size_t)(sep - data) : size;
    char *body = malloc(blen ? blen : 1);
    char *name;
    vpmu_flavor_list *fl = vpmu_flavor_list_new();
    vpmu_image_list *il = vpmu_image_list_new();
    vpmu_error *err = NULL;
    char *next = NULL;
    long i;

    FUZZ_ASSERT(body);
    if (blen)
        memcpy(body, data, blen);
    if (sep) {
        size_t nlen = size - blen - 1;
        name = malloc(nlen + 1);
        FUZZ_ASSERT(name);
        memcpy(name, sep + 1, nlen);
        name[nlen] = '\0';
    } else {
        name = strdup("x");
        FUZZ_ASSERT(name);
    }

    if (vpmu_flavor_list_add_page(fl, body, blen, "fuzz", &next, &err) < 0) {
        fuzz_check_error(err);
        err = NULL;
        FUZZ_ASSERT(!next && vpmu_flavor_list_count(fl) == 0);
    } else {
        free(next);
        next = NULL;
        i = vpmu_flavor_list_find(fl, name, &err);
        if (i < 0) {
            int code = (int)vpmu_error_get_code(err);
            FUZZ_ASSERT(code == VPMU_ERR_RUNTIME || code == VPMU_ERR_INVALID);
            fuzz_check_error(err);
            err = NULL;
        } else {
            const vpmu_flavor *f = vpmu_flavor_list_at(fl, (size_t)i);
            vpmu_drift d;

            FUZZ_ASSERT(f && strcmp(vpmu_flavor_get_name(f), name) == 0);
            for (int has = 0; has < VPMU_PMU_LAST; has++) {
                FUZZ_ASSERT(vpmu_drift_compare((vpmu_pmu)has, f, NULL, &d, NULL) == 0);
                FUZZ_ASSERT(d.reason && !strchr(d.reason, '\n'));
                vpmu_drift_clear(&d);
            }
        }
    }

    if (vpmu_image_list_add_page(il, body, blen, "fuzz", &next, &err) < 0) {
        fuzz_check_error(err);
        err = NULL;
        FUZZ_ASSERT(!next && vpmu_image_list_count(il) == 0);
    } else {
        free(next);
        i = vpmu_image_list_find(il, name, &err);
        if (i < 0) {
            fuzz_check_error(err);
        } else {
            const vpmu_image *img = vpmu_image_list_at(il, (size_t)i);
            FUZZ_ASSERT(img && strcmp(vpmu_image_get_name(img), name) == 0);
        }
    }

    vpmu_flavor_list_free(fl);
    vpmu_image_list_free(il);
    free(body);
    free(name);
    return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: flavor and image JSON through metadata and policy.
 *
 * Input: up to four parts separated by the byte 0xFF (never valid in UTF-8,
 * so it cannot occur inside well-formed JSON text):
 *   FLAVOR-JSON 0xFF IMAGE-JSON 0xFF FLAVOR-SPECS 0xFF IMAGE-PROPS
 * the last two being "KEY=VALUE" lines as --flavor-spec / --image-prop take
 * them.  A missing part is an absent input.
 *
 * Invariants checked beyond "no crash, no leak":
 *  - errors carry a documented code (1..4) and a one-line, non-empty message;
 *  - a flavor whose hw:pmu is a false spelling always yields off, whatever the
 *    image says, and a true one always yields on (the tenant never overrides
 *    the operator); a disagreement is a conflict, never a decision.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "vpmu/metadata.h"
#include "vpmu/policy.h"

#define SEP 0xFF

/* An exact-size heap copy, so that a read past @len is caught by ASan. */
static char *
copy(const uint8_t *p, size_t n)
{
    char *b = malloc(n ? n : 1);
    FUZZ_ASSERT(b);
    if (n)
        memcpy(b, p, n);
    return b;
}

/* Apply "K=V" lines of @part with @set (flavor or image). */
static void
apply_lines(const uint8_t *p, size_t n, void *obj, int (*set)(void *, const char *, vpmu_error **))
{
    size_t i = 0;

    while (i < n) {
        size_t j = i;
        char *line;
        vpmu_error *err = NULL;

        while (j < n && p[j] != '\n')
            j++;
        line = malloc(j - i + 1);
        FUZZ_ASSERT(line);
        memcpy(line, p + i, j - i);
        line[j - i] = '\0';
        if (set(obj, line, &err) < 0)
            fuzz_check_error(err);
        else
            FUZZ_ASSERT(!err);
        free(line);
        i = j + 1;
    }
}

static int
set_flavor(void *obj, const char *kv, vpmu_error **err)
{
    return vpmu_flavor_set_spec_kv(obj, kv, err);
}

static int
set_image(void *obj, const char *kv, vpmu_error **err)
{
    return vpmu_image_set_prop_kv(obj, kv, err);
}

static void
walk_flavor(const vpmu_flavor *f)
{
    size_t n = vpmu_flavor_spec_count(f);
    const char *k, *v;

    (void)vpmu_flavor_get_name(f);
    (void)vpmu_flavor_get_id(f);
    (void)vpmu_flavor_get_ram_mib(f);
    (void)vpmu_flavor_get_vcpus(f);
    for (size_t i = 0; i < n; i++) {
        FUZZ_ASSERT(vpmu_flavor_spec_at(f, i, &k, &v));
        FUZZ_ASSERT(k && v);
        FUZZ_ASSERT(vpmu_flavor_get_spec(f, k) != NULL);
    }
    FUZZ_ASSERT(!vpmu_flavor_spec_at(f, n, &k, &v));
}

static void
walk_image(const vpmu_image *im)
{
    size_t n = vpmu_image_prop_count(im);
    const char *k, *v;

    (void)vpmu_image_get_name(im);
    (void)vpmu_image_get_id(im);
    for (size_t i = 0; i < n; i++) {
        FUZZ_ASSERT(vpmu_image_prop_at(im, i, &k, &v));
        FUZZ_ASSERT(k && v);
        FUZZ_ASSERT(vpmu_image_get_prop(im, k) != NULL);
    }
    FUZZ_ASSERT(!vpmu_image_prop_at(im, n, &k, &v));
}

/* What one side says on its own: unset, on, off, or -1 for an invalid value. */
static int
side(const char *value)
{
    bool b;

    if (!value)
        return VPMU_PMU_UNSET;
    if (vpmu_parse_bool(value, &b) < 0)
        return -1;
    return b ? VPMU_PMU_ON : VPMU_PMU_OFF;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *part[4] = {NULL, NULL, NULL, NULL};
    size_t plen[4] = {0, 0, 0, 0};
    size_t np = 0, start = 0;
    vpmu_flavor *flavor = NULL;
    vpmu_image *image = NULL;
    vpmu_decision d;
    vpmu_error *err = NULL;
    int fs, is;

    for (size_t i = 0; i <= size && np < 4; i++) {
        if (i == size || (data[i] == SEP && np < 3)) {
            part[np] = data + start;
            plen[np] = i - start;
            np++;
            start = i + 1;
        }
    }

    if (np >= 1) {
        char *b = copy(part[0], plen[0]);
        flavor = vpmu_flavor_parse(b, plen[0], "flavor.json", &err);
        free(b);
        if (!flavor)
            fuzz_check_error(TAKE_ERR(err));
    }
    if (np >= 2) {
        char *b = copy(part[1], plen[1]);
        image = vpmu_image_parse(b, plen[1], "image.json", &err);
        free(b);
        if (!image)
            fuzz_check_error(TAKE_ERR(err));
    }
    if (np >= 3) {
        if (!flavor)
            flavor = vpmu_flavor_new("inline");
        apply_lines(part[2], plen[2], flavor, set_flavor);
    }
    if (np >= 4) {
        if (!image)
            image = vpmu_image_new(NULL);
        apply_lines(part[3], plen[3], image, set_image);
    }
    if (flavor)
        walk_flavor(flavor);
    if (image)
        walk_image(image);
    {
        /* The near-miss check reads every key: each message names one, none is empty. */
        char **w = vpmu_metadata_key_warnings(flavor, image);
        for (char **x = w; *x; x++)
            FUZZ_ASSERT(strstr(*x, "is ignored") != NULL);
        vpmu_metadata_warnings_free(w);
    }

    fs = side(flavor ? vpmu_flavor_get_spec(flavor, VPMU_FLAVOR_KEY) : NULL);
    is = side(image ? vpmu_image_get_prop(image, VPMU_IMAGE_KEY) : NULL);
    if (vpmu_decide_for(flavor, image, &d, &err) == 0) {
        FUZZ_ASSERT(!err);
        FUZZ_ASSERT(fs >= 0 && is >= 0);
        if (fs != VPMU_PMU_UNSET) {
            /* The operator's value always stands. */
            FUZZ_ASSERT((int)d.pmu == fs);
            FUZZ_ASSERT(is == VPMU_PMU_UNSET || is == fs);
        } else {
            FUZZ_ASSERT((int)d.pmu == is);
        }
        FUZZ_ASSERT((int)d.flavor == fs && (int)d.image == is);
    } else {
        int code = (int)vpmu_error_get_code(err);
        if (code == VPMU_ERR_CONFLICT)
            FUZZ_ASSERT(fs > 0 && is > 0 && fs != is);
        else
            FUZZ_ASSERT(code == VPMU_ERR_INVALID && (fs < 0 || is < 0));
        fuzz_check_error(TAKE_ERR(err));
    }
    vpmu_flavor_free(flavor);
    vpmu_image_free(image);
    return 0;
}

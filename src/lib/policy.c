/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The decision, pure: no I/O and no foreign library.
 *
 * Mirrors Nova's get_pmu_constraint() (nova/virt/hardware.py, Train and
 * later; docs/facts.md §1): flavor hw:pmu and image hw_pmu resolve to on, off or
 * unset; when both are set and differ Nova raises FlavorImageConflict (HTTP
 * 400), and so do we.  Unlike Nova's boot path, an unrecognised string is an
 * error here, never a silent False (docs/reference.md, "Differences from Nova").
 */
#include "config.h"

#include <assert.h>
#include <string.h>
#include <strings.h>

#include "util.h"
#include "vpmu/policy.h"

static const char *const pmu_strings[] = {
        [VPMU_PMU_UNSET] = "unset",
        [VPMU_PMU_ON] = "on",
        [VPMU_PMU_OFF] = "off",
};
VPMU_DEFINE_TO_STRING(vpmu_pmu_to_string, vpmu_pmu, pmu_strings, VPMU_PMU_LAST);

static const char *const source_strings[] = {
        [VPMU_SOURCE_NONE] = "none",
        [VPMU_SOURCE_FLAVOR] = "flavor",
        [VPMU_SOURCE_IMAGE] = "image",
        [VPMU_SOURCE_BOTH] = "flavor+image",
};
VPMU_DEFINE_TO_STRING(vpmu_source_to_string, vpmu_source, source_strings, VPMU_SOURCE_LAST);

/* oslo_utils.strutils TRUE_STRINGS / FALSE_STRINGS. */
static const char *const true_strings[] = {"1", "t", "true", "on", "y", "yes"};
static const char *const false_strings[] = {"0", "f", "false", "off", "n", "no"};

/* Longest accepted spelling, so that over-long input is rejected before copying. */
#define BOOL_MAX_LEN 5

int
vpmu_pmu_from_string(const char *s)
{
    if (!s)
        return -1;
    for (size_t i = 0; i < ELEMENTSOF(pmu_strings); i++)
        if (STREQ(s, pmu_strings[i]))
            return (int)i;
    return -1;
}

const char *
vpmu_accepted_bool_values(void)
{
    return "1, t, true, on, y, yes (on) or 0, f, false, off, n, no (off), in any case";
}

static bool
is_space(char c)
{
    /* Python's str.strip() whitespace, restricted to ASCII. */
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

int
vpmu_parse_bool(const char *s, bool *out)
{
    const char *b, *e;
    size_t n;

    if (!s)
        return -1;
    b = s;
    e = s + strlen(s);
    while (b < e && is_space(*b))
        b++;
    while (e > b && is_space(e[-1]))
        e--;
    n = (size_t)(e - b);
    if (n == 0 || n > BOOL_MAX_LEN)
        return -1;
    for (size_t i = 0; i < ELEMENTSOF(true_strings); i++) {
        if (strlen(true_strings[i]) == n && strncasecmp(b, true_strings[i], n) == 0) {
            *out = true;
            return 0;
        }
    }
    for (size_t i = 0; i < ELEMENTSOF(false_strings); i++) {
        if (strlen(false_strings[i]) == n && strncasecmp(b, false_strings[i], n) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

static const char *
name_or(const char *name, const char *fallback)
{
    return name && *name ? name : fallback;
}

/* Parse one side; NULL value means absent (unset). */
static int
parse_side(const char *value, bool is_flavor, const char *owner, vpmu_pmu *out, vpmu_error **error)
{
    bool b;

    if (!value) {
        *out = VPMU_PMU_UNSET;
        return 0;
    }
    if (vpmu_parse_bool(value, &b) < 0) {
        _cleanup_free_ char *shown = quote_for_message(value, 64);
        if (is_flavor)
            vpmu_error_set(error, VPMU_ERR_INVALID,
                           "flavor '%s': invalid value '%s' for extra spec '%s'; accepted values "
                           "are %s",
                           owner, shown, VPMU_FLAVOR_KEY, vpmu_accepted_bool_values());
        else
            vpmu_error_set(error, VPMU_ERR_INVALID,
                           "image '%s': invalid value '%s' for property '%s'; accepted values are "
                           "%s",
                           owner, shown, VPMU_IMAGE_KEY, vpmu_accepted_bool_values());
        return -1;
    }
    *out = b ? VPMU_PMU_ON : VPMU_PMU_OFF;
    return 0;
}

int
vpmu_decide(const vpmu_policy_input *in, vpmu_decision *out, vpmu_error **error)
{
    const char *fname = name_or(in->flavor_name, "(unnamed)");
    const char *iname = name_or(in->image_name, "(unnamed)");
    vpmu_decision d = {0};

    if (parse_side(in->flavor_value, true, fname, &d.flavor, error) < 0)
        return -1;
    if (parse_side(in->image_value, false, iname, &d.image, error) < 0)
        return -1;

    if (d.flavor == VPMU_PMU_UNSET && d.image == VPMU_PMU_UNSET) {
        d.pmu = VPMU_PMU_UNSET;
        d.source = VPMU_SOURCE_NONE;
    } else if (d.flavor == VPMU_PMU_UNSET) {
        d.pmu = d.image;
        d.source = VPMU_SOURCE_IMAGE;
    } else if (d.image == VPMU_PMU_UNSET) {
        d.pmu = d.flavor;
        d.source = VPMU_SOURCE_FLAVOR;
    } else if (d.flavor == d.image) {
        d.pmu = d.flavor;
        d.source = VPMU_SOURCE_BOTH;
    } else {
        _cleanup_free_ char *fv = quote_for_message(in->flavor_value, 64);
        _cleanup_free_ char *iv = quote_for_message(in->image_value, 64);
        /* Same facts as Nova's FlavorImageConflict, plus the way out. */
        vpmu_error_set(error, VPMU_ERR_CONFLICT,
                       "conflict: flavor '%s' sets %s='%s' but image '%s' sets %s='%s'; the "
                       "operator's flavor is not overridden: remove %s from the image, or use a "
                       "flavor whose %s is unset or agrees",
                       fname, VPMU_FLAVOR_KEY, fv, iname, VPMU_IMAGE_KEY, iv, VPMU_IMAGE_KEY,
                       VPMU_FLAVOR_KEY);
        return -1;
    }
    *out = d;
    return 0;
}

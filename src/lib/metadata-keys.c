/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * metadata-keys.c: one job, warning about keys of a flavor or an image
 * that are near misses of hw:pmu / hw_pmu (another case, separator or one
 * edit away, or the other side's key): vpmu ignores them, so it says so.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "metadata-private.h"
#include "util.h"
#include "vpmu/metadata.h"

/* ---- near misses of hw:pmu / hw_pmu ---------------------------------------------------------
 */

/* @key without its separators, lower case ("HW:PMU", "hw_pmu", " hw-pmu" -> "hwpmu"). */
static char *
fold_key(const char *key)
{
    char *out = xmalloc(strlen(key) + 1), *o = out;

    for (const char *k = key; *k; k++) {
        char c = *k;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            *o++ = c;
    }
    *o = '\0';
    return out;
}

/* Damerau-Levenshtein distance at most 1 (one edit, or two neighbours swapped). */
static bool
within_one_edit(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), i = 0;

    if (la > lb + 1 || lb > la + 1)
        return false;
    while (i < la && i < lb && a[i] == b[i])
        i++;
    if (i == la && i == lb)
        return true;
    if (la == lb) {
        if (STREQ(a + i + 1, b + i + 1))
            return true; /* substitution */
        return i + 1 < la && a[i] == b[i + 1] && a[i + 1] == b[i] &&
               STREQ(a + i + 2, b + i + 2); /* transposition */
    }
    return la > lb ? STREQ(a + i + 1, b + i) : STREQ(a + i, b + i + 1);
}

/* Is @key a near miss of hw:pmu / hw_pmu (and not @exact itself)? */
static bool
is_near_miss(const char *key, const char *exact)
{
    _cleanup_free_ char *f = NULL;

    if (STREQ(key, exact))
        return false;
    f = fold_key(key);
    return within_one_edit(f, "hwpmu");
}

static void
near_misses(strv *out, const kv_list *l, bool is_flavor, const char *owner)
{
    const char *exact = is_flavor ? VPMU_FLAVOR_KEY : VPMU_IMAGE_KEY;
    const char *other = is_flavor ? VPMU_IMAGE_KEY : VPMU_FLAVOR_KEY;

    for (size_t i = 0; i < l->n; i++) {
        _cleanup_free_ char *shown = NULL;
        const char *key = l->v[i].key;

        if (!is_near_miss(key, exact))
            continue;
        shown = quote_for_message(key, SHOW_MAX);
        if (STREQ(key, other))
            strv_pushf(out,
                       is_flavor ? "flavor '%s': extra spec '%s' is ignored: that is the image "
                                   "property; the flavor's is '%s'"
                                 : "image '%s': property '%s' is ignored: that is the flavor "
                                   "extra spec; the image's is '%s'",
                       owner, shown, exact);
        else
            strv_pushf(out,
                       is_flavor ? "flavor '%s': extra spec '%s' is ignored; did you mean '%s'?"
                                 : "image '%s': property '%s' is ignored; did you mean '%s'?",
                       owner, shown, exact);
    }
}

char **
vpmu_metadata_key_warnings(const vpmu_flavor *flavor, const vpmu_image *image)
{
    strv out = {0};

    if (flavor) {
        _cleanup_free_ char *owner = display_name(flavor->name, flavor->id);
        near_misses(&out, &flavor->specs, true, owner);
    }
    if (image) {
        _cleanup_free_ char *owner = display_name(image->name, image->id);
        near_misses(&out, &image->props, false, owner);
    }
    return out.v ? out.v : xcalloc(1, sizeof(char *));
}

void
vpmu_metadata_warnings_free(char **warnings)
{
    if (!warnings)
        return;
    for (char **w = warnings; *w; w++)
        free(*w);
    free(warnings);
}

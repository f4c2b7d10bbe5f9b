/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* drift.c: a guest's <pmu> against what its flavor and image decide now. */
#include "config.h"

#include <string.h>

#include "util.h"
#include "vpmu/drift.h"

static const char *const state_names[] = {
        [VPMU_DRIFT_IN_SYNC] = "in-sync",
        [VPMU_DRIFT_DRIFT] = "drift",
        [VPMU_DRIFT_UNMANAGED] = "not-managed",
        [VPMU_DRIFT_UNKNOWN] = "unknown",
};
VPMU_DEFINE_TO_STRING(vpmu_drift_state_to_string, vpmu_drift_state, state_names, VPMU_DRIFT_LAST);

/* A flavor or image as the reason names it: its name, else its id, quoted. */
static char *
shown(const char *name, const char *id)
{
    return quote_for_message(name ? name : id ? id : "-", 128);
}

/* What the guest's XML says, as the reason puts it. */
static const char *
guest_text(vpmu_pmu has, bool drift)
{
    switch (has) {
    case VPMU_PMU_ON:
        return drift ? "the guest still has the vPMU (<pmu state='on'/>)"
                     : "the guest has the vPMU (<pmu state='on'/>)";
    case VPMU_PMU_OFF:
        return drift ? "the guest still has the vPMU turned off (<pmu state='off'/>)"
                     : "the guest has the vPMU turned off (<pmu state='off'/>)";
    default:
        return drift ? "the guest has no <pmu> element (the hypervisor's default)"
                     : "the guest has no <pmu> element either (the hypervisor's default)";
    }
}

/* Which input decides now, and with what value. */
static char *
decided_text(const vpmu_decision *d, const vpmu_flavor *flavor, const vpmu_image *image, bool drift)
{
    _cleanup_free_ char *fn = shown(vpmu_flavor_get_name(flavor), vpmu_flavor_get_id(flavor));
    _cleanup_free_ char *in = NULL;
    _cleanup_free_ char *fv = NULL, *iv = NULL;
    const char *now = drift ? " now" : "";
    const char *raw;

    raw = vpmu_flavor_get_spec(flavor, VPMU_FLAVOR_KEY);
    fv = raw ? quote_for_message(raw, 64) : NULL;
    raw = image ? vpmu_image_get_prop(image, VPMU_IMAGE_KEY) : NULL;
    iv = raw ? quote_for_message(raw, 64) : NULL;
    if (image)
        in = shown(vpmu_image_get_name(image), vpmu_image_get_id(image));

    switch (d->source) {
    case VPMU_SOURCE_FLAVOR:
        return xasprintf("flavor '%s'%s has hw:pmu=%s", fn, now, fv);
    case VPMU_SOURCE_IMAGE:
        return xasprintf("image '%s'%s has hw_pmu=%s (flavor '%s' leaves it to the image)", in, now,
                         iv, fn);
    case VPMU_SOURCE_BOTH:
        return xasprintf("flavor '%s'%s has hw:pmu=%s and image '%s' hw_pmu=%s", fn, now, fv, in,
                         iv);
    default:
        if (image)
            return xasprintf("neither flavor '%s' nor image '%s' sets the vPMU%s", fn, in, now);
        return xasprintf("flavor '%s' does not set hw:pmu%s, and the guest has no image", fn, now);
    }
}

int
vpmu_drift_compare(vpmu_pmu has, const vpmu_flavor *flavor, const vpmu_image *image,
                   vpmu_drift *out, vpmu_error **error)
{
    _cleanup_error_ vpmu_error *derr = NULL;
    _cleanup_free_ char *decided = NULL;
    vpmu_decision d;
    bool drift;

    if (!flavor || !out) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "no flavor to compare the guest with");
        return -1;
    }
    memset(out, 0, sizeof(*out));
    out->has = has;
    if (vpmu_decide_for(flavor, image, &d, &derr) < 0) {
        out->state = VPMU_DRIFT_UNKNOWN;
        out->reason = xasprintf("the flavor and image no longer decide: %s",
                                vpmu_error_get_message(derr));
        return 0;
    }
    drift = d.pmu != has;
    decided = decided_text(&d, flavor, image, drift);
    out->state = drift ? VPMU_DRIFT_DRIFT : VPMU_DRIFT_IN_SYNC;
    out->decides = d.pmu;
    out->decision = d;
    out->reason = xasprintf("%s; %s", decided, guest_text(has, drift));
    return 0;
}

void
vpmu_drift_set(vpmu_drift *out, vpmu_drift_state state, vpmu_pmu has, const char *reason)
{
    if (!out)
        return;
    memset(out, 0, sizeof(*out));
    out->state = state;
    out->has = has;
    out->reason = xstrdup(reason ? reason : "");
}

void
vpmu_drift_clear(vpmu_drift *drift)
{
    if (!drift)
        return;
    free(drift->reason);
    memset(drift, 0, sizeof(*drift));
}

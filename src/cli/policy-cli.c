/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A command's policy, resolved: the flavor and image from files, from Nova
 * and Glance (--flavor-id, --image-id: cloud-cli.c) and from inline keys,
 * the near misses of hw:pmu / hw_pmu, the decision, and the decision printed.
 * The options themselves are read by common.c.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cloud-cli.h"
#include "virtload.h"

int
cli_policy_resolve(cli_policy *p, vpmu_error **error)
{
    if (p->flavor_path && p->image_path && STREQ(p->flavor_path, "-") &&
        STREQ(p->image_path, "-")) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "--flavor and --image cannot both read stdin");
        return -1;
    }
    /* Files first: a bad file is found before anything is asked of the cloud. */
    p->flavor = p->flavor_path ? vpmu_flavor_load(p->flavor_path, error)
                : p->flavor_id ? NULL
                               : vpmu_flavor_new(NULL);
    if (!p->flavor && !p->flavor_id)
        return -1;
    p->image = p->image_path ? vpmu_image_load(p->image_path, error)
               : p->image_id ? NULL
                             : vpmu_image_new(NULL);
    if (!p->image && !p->image_id)
        return -1;
    if (p->flavor_id || p->image_id) {
        vpmu_osclient *client = cli_cloud_client(p->os_cloud, error);

        if (!client)
            return -1;
        if (p->flavor_id &&
            !(p->flavor = VIRT(vpmu_osclient_get_flavor)(client, p->flavor_id, error)))
            return -1;
        if (p->image_id && !(p->image = VIRT(vpmu_osclient_get_image)(client, p->image_id, error)))
            return -1;
    }
    for (size_t i = 0; i < p->flavor_specs.n; i++)
        if (vpmu_flavor_set_spec_kv(p->flavor, p->flavor_specs.v[i], error) < 0)
            return -1;
    for (size_t i = 0; i < p->image_props.n; i++)
        if (vpmu_image_set_prop_kv(p->image, p->image_props.v[i], error) < 0)
            return -1;
    if (p->flavor_name)
        vpmu_flavor_set_name(p->flavor, p->flavor_name);
    if (p->image_name)
        vpmu_image_set_name(p->image, p->image_name);
    /* Keys that look like hw:pmu / hw_pmu but are not: ignored by the decision, so say so. */
    vpmu_metadata_warnings_free(p->warnings);
    p->warnings = vpmu_metadata_key_warnings(p->flavor, p->image);
    if (p->strict && p->warnings[0]) {
        vpmu_error_set(error, VPMU_ERR_INVALID, "%s (--strict)", p->warnings[0]);
        return -1;
    }
    for (char **w = p->warnings; *w && !p->quiet; w++)
        cli_warn(NULL, "%s", *w);
    return vpmu_decide_for(p->flavor, p->image, &p->decision, error);
}

void
cli_policy_clear(cli_policy *p)
{
    strv_clear(&p->flavor_specs);
    strv_clear(&p->image_props);
    vpmu_metadata_warnings_free(p->warnings);
    p->warnings = NULL;
    vpmu_flavor_free(p->flavor);
    vpmu_image_free(p->image);
    p->flavor = NULL;
    p->image = NULL;
    cli_cloud_close();
}

json_t *
cli_decision_json(const cli_policy *p)
{
    const vpmu_decision *d = &p->decision;
    const char *fv = vpmu_flavor_get_spec(p->flavor, VPMU_FLAVOR_KEY);
    const char *iv = vpmu_image_get_prop(p->image, VPMU_IMAGE_KEY);

    json_t *o =
            json_pack("{s:s, s:s, s:{s:o, s:o, s:s}, s:{s:o, s:o, s:s}}", "pmu",
                      vpmu_pmu_to_string(d->pmu), "source", vpmu_source_to_string(d->source),
                      "flavor", "name", cli_json_string(vpmu_flavor_get_name(p->flavor)),
                      VPMU_FLAVOR_KEY, cli_json_string(fv), "says", vpmu_pmu_to_string(d->flavor),
                      "image", "name", cli_json_string(vpmu_image_get_name(p->image)),
                      VPMU_IMAGE_KEY, cli_json_string(iv), "says", vpmu_pmu_to_string(d->image));

    /* Only when there are any, so that a clean decision's JSON stays as it was. */
    if (p->warnings && p->warnings[0]) {
        json_t *warnings = json_array();
        for (char **w = p->warnings; *w; w++)
            json_array_append_new(warnings, cli_json_string(*w));
        json_object_set_new(o, "warnings", warnings);
    }
    return o;
}

static const char *
or_dash(const char *s)
{
    return s ? s : "-";
}

void
cli_decision_print_text(const cli_policy *p, FILE *out)
{
    const vpmu_decision *d = &p->decision;
    const char *fv = vpmu_flavor_get_spec(p->flavor, VPMU_FLAVOR_KEY);
    const char *iv = vpmu_image_get_prop(p->image, VPMU_IMAGE_KEY);

    fprintf(out, "pmu: %s\n", vpmu_pmu_to_string(d->pmu));
    fprintf(out, "source: %s\n", vpmu_source_to_string(d->source));
    fprintf(out, "flavor: %s (hw:pmu=%s)\n", cli_e(or_dash(vpmu_flavor_get_name(p->flavor))),
            fv ? cli_e(fv) : "unset");
    fprintf(out, "image: %s (hw_pmu=%s)\n", cli_e(or_dash(vpmu_image_get_name(p->image))),
            iv ? cli_e(iv) : "unset");
    switch (d->pmu) {
    case VPMU_PMU_ON:
        fprintf(out, "libvirt: <pmu state='on'/>\n");
        break;
    case VPMU_PMU_OFF:
        fprintf(out, "libvirt: <pmu state='off'/>\n");
        break;
    default:
        fprintf(out, "libvirt: no <pmu> element; the hypervisor's default applies\n");
        break;
    }
}

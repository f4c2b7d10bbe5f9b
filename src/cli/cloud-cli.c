/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Nova and Glance for the CLI: the session, --flavor-id / --image-id, audit --cloud. */
#include "config.h"

#include <string.h>
#include <time.h>

#include "cli.h"
#include "cloud-cli.h"
#include "virtload.h"

static vpmu_cloud *the_cloud;
static vpmu_osclient *the_client;

vpmu_osclient *
cli_cloud_client(const char *os_cloud, vpmu_error **error)
{
    if (the_client)
        return the_client;
    if (cli_virt_load(error) < 0 || VIRT(vpmu_virt_init)(VPMU_VIRT_INIT_HTTP, error) < 0)
        return NULL;
    the_cloud = VIRT(vpmu_cloud_open)(os_cloud, error);
    if (!the_cloud)
        return NULL;
    the_client = VIRT(vpmu_osclient_new)(the_cloud);
    return the_client;
}

void
cli_cloud_close(void)
{
    if (the_client)
        VIRT(vpmu_osclient_free)(the_client);
    if (the_cloud)
        VIRT(vpmu_cloud_free)(the_cloud);
    the_client = NULL;
    the_cloud = NULL;
}

unsigned
cli_cloud_token_count(void)
{
    return the_cloud ? VIRT(vpmu_cloud_get_token_count)(the_cloud) : 0;
}

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
cli_drift_open(cli_drift *d, const char *os_cloud, vpmu_error **error)
{
    double t0 = now_s();
    int r;

    memset(d, 0, sizeof(*d));
    d->client = cli_cloud_client(os_cloud, error);
    d->auth_seconds = now_s() - t0;
    if (!d->client)
        return -1;
    /* Before the audit starts: no connection's deadline waits for Nova. */
    r = VIRT(vpmu_osclient_load_flavors)(d->client, error);
    d->seconds += now_s() - t0;
    return r;
}

void
cli_drift_domain(cli_drift *d, const vpmu_domain_info *info, cli_drift_result *res)
{
    const char *why = NULL;
    double t0;

    memset(res, 0, sizeof(*res));
    if (!info->nova_managed) {
        vpmu_drift_set(&res->drift, VPMU_DRIFT_UNMANAGED, info->pmu,
                       "not managed by Nova (no <nova:instance> in its metadata)");
        goto done;
    }
    if (!info->nova_flavor) {
        vpmu_drift_set(&res->drift, VPMU_DRIFT_UNKNOWN, info->pmu,
                       "Nova's metadata names no flavor (<nova:flavor name=...>)");
        goto done;
    }
    t0 = now_s();
    res->flavor_asked = true;
    res->flavor_lookup =
            VIRT(vpmu_osclient_find_flavor)(d->client, info->nova_flavor, &res->flavor, &why);
    if (res->flavor_lookup == VPMU_LOOKUP_FOUND && info->nova_image) {
        res->image_asked = true;
        res->image_lookup =
                VIRT(vpmu_osclient_find_image)(d->client, info->nova_image, &res->image, &why);
    }
    d->seconds += now_s() - t0;
    if (res->flavor_lookup != VPMU_LOOKUP_FOUND || (res->image_asked && !res->image)) {
        if (res->flavor_lookup == VPMU_LOOKUP_FAILED ||
            (res->image_asked && res->image_lookup == VPMU_LOOKUP_FAILED))
            d->failed++;
        vpmu_drift_set(&res->drift, VPMU_DRIFT_UNKNOWN, info->pmu, why);
        goto done;
    }
    /* Only a NULL flavor fails, and it is not NULL here. */
    vpmu_drift_compare(info->pmu, res->flavor, res->image, &res->drift, NULL);
done:
    d->n[res->drift.state]++;
}

void
cli_drift_result_clear(cli_drift_result *res)
{
    vpmu_drift_clear(&res->drift);
}

json_t *
cli_drift_json(const cli_drift_result *res, const vpmu_domain_info *info)
{
    const vpmu_drift *dr = &res->drift;
    bool decided = dr->state == VPMU_DRIFT_DRIFT || dr->state == VPMU_DRIFT_IN_SYNC;
    json_t *o = json_object();

    json_object_set_new(o, "state", json_string(vpmu_drift_state_to_string(dr->state)));
    json_object_set_new(o, "has", json_string(vpmu_pmu_to_string(dr->has)));
    json_object_set_new(o, "decides",
                        decided ? json_string(vpmu_pmu_to_string(dr->decides)) : json_null());
    json_object_set_new(o, "source",
                        decided ? json_string(vpmu_source_to_string(dr->decision.source))
                                : json_null());
    json_object_set_new(o, "reason", cli_json_string(dr->reason));
    if (info->nova_managed) {
        json_object_set_new(
                o, "flavor",
                json_pack("{s:o, s:o, s:o, s:o}", "name", cli_json_string(info->nova_flavor), "id",
                          cli_json_string(vpmu_flavor_get_id(res->flavor)), "lookup",
                          res->flavor_asked ? json_string(vpmu_lookup_to_string(res->flavor_lookup))
                                            : json_null(),
                          VPMU_FLAVOR_KEY,
                          cli_json_string(vpmu_flavor_get_spec(res->flavor, VPMU_FLAVOR_KEY))));
        json_object_set_new(
                o, "image",
                json_pack("{s:o, s:o, s:o, s:o}", "id", cli_json_string(info->nova_image), "name",
                          cli_json_string(vpmu_image_get_name(res->image)), "lookup",
                          res->image_asked ? json_string(vpmu_lookup_to_string(res->image_lookup))
                                           : json_null(),
                          VPMU_IMAGE_KEY,
                          cli_json_string(vpmu_image_get_prop(res->image, VPMU_IMAGE_KEY))));
    }
    return o;
}

json_t *
cli_drift_totals_json(const cli_drift *d)
{
    json_t *by = json_object();

    for (int s = 0; s < VPMU_DRIFT_LAST; s++)
        json_object_set_new(by, vpmu_drift_state_to_string((vpmu_drift_state)s),
                            json_integer((json_int_t)d->n[s]));
    return json_pack("{s:o, s:I, s:I, s:I, s:I, s:I, s:f, s:f}", "domains", by, "unjudged",
                     (json_int_t)d->failed, "requests",
                     (json_int_t)VIRT(vpmu_osclient_request_count)(d->client), "tokens",
                     (json_int_t)cli_cloud_token_count(), "flavors",
                     (json_int_t)VIRT(vpmu_osclient_flavors_seen)(d->client), "images",
                     (json_int_t)VIRT(vpmu_osclient_images_seen)(d->client), "seconds", d->seconds,
                     "auth_seconds", d->auth_seconds);
}

void
cli_drift_print_text(FILE *out, const cli_drift_result *res)
{
    const vpmu_drift *dr = &res->drift;

    switch (dr->state) {
    case VPMU_DRIFT_DRIFT:
        fprintf(out, "  drift: %s -> %s: %s\n", vpmu_pmu_to_string(dr->has),
                vpmu_pmu_to_string(dr->decides), cli_e(dr->reason));
        break;
    case VPMU_DRIFT_UNKNOWN:
        fprintf(out, "  drift unknown: %s\n", cli_e(dr->reason));
        break;
    case VPMU_DRIFT_UNMANAGED:
        fprintf(out, "  %s\n", cli_e(dr->reason));
        break;
    default:
        break;
    }
}

/* Prometheus label value: backslash, double quote and newline escaped. */
static void
prom_label(FILE *f, const char *key, const char *v, bool first)
{
    fprintf(f, "%s%s=\"", first ? "" : ",", key);
    for (const char *p = v ? v : ""; *p; p++) {
        if (*p == '\\' || *p == '"')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

void
cli_drift_prom_add(cli_drift *d, const char *uri, const vpmu_domain_info *info,
                   const cli_drift_result *res)
{
    const vpmu_drift *dr = &res->drift;

    /* Only a domain that has a verdict gets a sample: 1 drifted, 0 in sync. */
    if (dr->state != VPMU_DRIFT_DRIFT && dr->state != VPMU_DRIFT_IN_SYNC)
        return;
    if (!d->prom_f)
        d->prom_f = open_memstream(&d->prom, &d->prom_len);
    if (!d->prom_f)
        abort(); /* out of memory: the x*alloc policy */
    fputs("vpmu_domain_drift{", d->prom_f);
    prom_label(d->prom_f, "uri", cli_uri_masked(uri), true);
    prom_label(d->prom_f, "name", info->name, false);
    prom_label(d->prom_f, "uuid", info->uuid, false);
    prom_label(d->prom_f, "nova_name", info->nova_name, false);
    prom_label(d->prom_f, "flavor", info->nova_flavor, false);
    prom_label(d->prom_f, "image", info->nova_image, false);
    prom_label(d->prom_f, "pmu", vpmu_pmu_to_string(dr->has), false);
    prom_label(d->prom_f, "decides", vpmu_pmu_to_string(dr->decides), false);
    fprintf(d->prom_f, "} %d\n", dr->state == VPMU_DRIFT_DRIFT ? 1 : 0);
}

void
cli_drift_print_tail_text(FILE *out, const cli_drift *d)
{
    fprintf(out,
            "drift: %zu drifted, %zu in sync, %zu unknown, %zu not managed by Nova; %lu "
            "requests to Nova and Glance for %zu flavors and %zu images, %.2f s\n",
            d->n[VPMU_DRIFT_DRIFT], d->n[VPMU_DRIFT_IN_SYNC], d->n[VPMU_DRIFT_UNKNOWN],
            d->n[VPMU_DRIFT_UNMANAGED], VIRT(vpmu_osclient_request_count)(d->client),
            VIRT(vpmu_osclient_flavors_seen)(d->client), VIRT(vpmu_osclient_images_seen)(d->client),
            d->seconds);
}

void
cli_drift_print_tail_prom(FILE *out, const cli_drift *d)
{
    fputs("# HELP vpmu_domain_drift Whether a Nova guest's <pmu> differs from what its flavor "
          "and image decide now: 1 drifted, 0 in sync (no sample when that is unknown).\n"
          "# TYPE vpmu_domain_drift gauge\n",
          out);
    if (d->prom_f && fflush(d->prom_f) == 0 && d->prom)
        fwrite(d->prom, 1, d->prom_len, out);
    fputs("# HELP vpmu_audit_drift_domains Domains by drift state (audit --cloud).\n"
          "# TYPE vpmu_audit_drift_domains gauge\n",
          out);
    for (int s = 0; s < VPMU_DRIFT_LAST; s++)
        fprintf(out, "vpmu_audit_drift_domains{state=\"%s\"} %zu\n",
                vpmu_drift_state_to_string((vpmu_drift_state)s), d->n[s]);
    fprintf(out,
            "# HELP vpmu_audit_cloud_requests HTTP requests sent to Nova and Glance by the "
            "audit.\n# TYPE vpmu_audit_cloud_requests gauge\nvpmu_audit_cloud_requests %lu\n",
            VIRT(vpmu_osclient_request_count)(d->client));
}

void
cli_drift_close(cli_drift *d)
{
    if (d->prom_f)
        fclose(d->prom_f);
    free(d->prom);
    d->prom_f = NULL;
    d->prom = NULL;
    cli_cloud_close();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Placement glue for `vpmu host --report` (and the older `--placement URL
 * --provider UUID`): make this compute node's provider carry
 * CUSTOM_COMPUTE_VPMU exactly when the host can give guests a vPMU, keeping
 * every other trait (docs/placement.md); and the one way `host` and
 * `schedule` reach Placement: through Keystone (--os-cloud, OS_*) with the
 * catalog's endpoint, or a given URL.  libvpmu-virt is loaded on demand
 * (virtload.h).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "virtload.h"

const char *
cli_placement_token(const char *token)
{
    const char *env;

    if (token && *token)
        return token;
    env = getenv("OS_TOKEN");
    return env && *env ? env : NULL;
}

int
cli_placement_open(const cli_global *g, const char *url, const char *token, vpmu_cloud **cloud,
                   vpmu_placement **pl, vpmu_error **error)
{
    *cloud = NULL;
    *pl = NULL;
    if (cli_virt_load(error) < 0 || VIRT(vpmu_virt_init)(VPMU_VIRT_INIT_HTTP, error) < 0)
        return -1;
    if (token && *token) {
        /* A hand-made token: no Keystone, so no catalog either. */
        if (!url) {
            vpmu_error_set(error, VPMU_ERR_USAGE, "--token needs --placement URL");
            return -1;
        }
        *pl = VIRT(vpmu_placement_new)(url, token, error);
        return *pl ? 0 : -1;
    }
    if (VIRT(vpmu_cloud_configured)(g->os_cloud)) {
        *cloud = VIRT(vpmu_cloud_open)(g->os_cloud ? g->os_cloud : "", error);
        if (!*cloud)
            return -1;
        *pl = VIRT(vpmu_placement_new_cloud)(*cloud, url, error);
        if (!*pl) {
            VIRT(vpmu_cloud_free)(*cloud);
            *cloud = NULL;
            return -1;
        }
        return 0;
    }
    if (!url) {
        vpmu_error_set(error, VPMU_ERR_USAGE,
                       "no cloud to find Placement in: name one with --os-cloud NAME (or "
                       "$OS_CLOUD), set OS_AUTH_URL and the OS_* credentials, or give "
                       "--placement URL");
        return -1;
    }
    /* Legacy: a URL with $OS_TOKEN, or none (a noauth2 Placement). */
    *pl = VIRT(vpmu_placement_new)(url, cli_placement_token(NULL), error);
    return *pl ? 0 : -1;
}

static const char *
auth_kind(const vpmu_cloud *cloud, const char *token)
{
    if (cloud)
        return "keystone";
    return cli_placement_token(token) ? "token" : "none";
}

int
cli_host_placement_json(const cli_global *g, const cli_report *rep, vpmu_conn **conn, bool capable,
                        bool mediated, json_t **out, vpmu_error **error)
{
    vpmu_placement *pl = NULL;
    vpmu_cloud *cloud = NULL;
    vpmu_placement_trait_result res = {0}, med = {0};
    _cleanup_free_ char *found = NULL, *hostname = NULL;
    const char *provider = rep->provider, *name = rep->provider_name;
    bool created = false, med_created = false;
    int r = -1;

    if (!provider && !name) {
        /* Nova names the compute node's provider after libvirt's hostname. */
        if (cli_virt_connect(g, conn, error) < 0)
            return -1;
        hostname = VIRT(vpmu_conn_get_hostname)(*conn, error);
        if (!hostname)
            return -1;
        name = hostname;
    }
    if (cli_placement_open(g, rep->url, rep->token, &cloud, &pl, error) < 0)
        return -1;
    if (!provider) {
        if (VIRT(vpmu_placement_find_provider)(pl, name, &found, error) < 0)
            goto out;
        provider = found;
    }
    /* The trait must exist before a provider can carry it; removing needs nothing. */
    if (capable && VIRT(vpmu_placement_ensure_trait)(pl, VPMU_TRAIT, &created, error) < 0)
        goto out;
    if (VIRT(vpmu_placement_set_provider_trait)(pl, provider, VPMU_TRAIT, capable, &res, error) < 0)
        goto out;
    /*
     * The trait set: CUSTOM_COMPUTE_VPMU when capable, and also
     * CUSTOM_COMPUTE_VPMU_MEDIATED when that vPMU is the mediated one (never
     * without the first); the second is set and cleared the same way.
     */
    mediated = capable && mediated;
    if (mediated &&
        VIRT(vpmu_placement_ensure_trait)(pl, VPMU_HOST_TRAIT_MEDIATED, &med_created, error) < 0)
        goto out;
    if (VIRT(vpmu_placement_set_provider_trait)(pl, provider, VPMU_HOST_TRAIT_MEDIATED, mediated,
                                                &med, error) < 0)
        goto out;
    *out = json_pack("{s:o, s:s, s:o, s:s, s:b, s:s, s:b, s:b, s:I, s:I, s:I, s:I, s:s, s:I}",
                     "url", cli_json_string(cli_uri_masked(VIRT(vpmu_placement_get_url)(pl))),
                     "provider", provider, "provider_name", cli_json_string(name), "trait",
                     VPMU_TRAIT, "capable", capable, "action",
                     !res.changed ? "unchanged"
                     : capable    ? "set"
                                  : "cleared",
                     "present", capable, "trait_created", created, "generation",
                     (json_int_t)res.generation, "other_traits",
                     (json_int_t)(res.n_traits - (capable ? 1 : 0)), "attempts",
                     (json_int_t)res.attempts, "conflicts", (json_int_t)res.conflicts, "auth",
                     auth_kind(cloud, rep->token), "token_renewals",
                     (json_int_t)VIRT(vpmu_placement_get_renewals)(pl));
    if (!*out)
        abort(); /* json_pack fails only on out-of-memory with valid UTF-8 inputs */
    json_object_set_new(*out, "mediated",
                        json_pack("{s:s, s:s, s:b, s:b, s:I, s:I, s:I}", "trait",
                                  VPMU_HOST_TRAIT_MEDIATED, "action",
                                  !med.changed ? "unchanged"
                                  : mediated   ? "set"
                                               : "cleared",
                                  "present", mediated, "trait_created", med_created, "generation",
                                  (json_int_t)med.generation, "attempts", (json_int_t)med.attempts,
                                  "conflicts", (json_int_t)med.conflicts));
    r = 0;
out:
    VIRT(vpmu_placement_free)(pl);
    VIRT(vpmu_cloud_free)(cloud);
    return r;
}

/* The lines for CUSTOM_COMPUTE_VPMU_MEDIATED, like those for the first trait. */
static void
print_mediated(const json_t *m, const char *provider)
{
    const char *action = json_string_value(json_object_get(m, "action"));
    bool present = json_is_true(json_object_get(m, "present"));
    json_int_t gen = json_integer_value(json_object_get(m, "generation"));
    json_int_t conflicts = json_integer_value(json_object_get(m, "conflicts"));

    if (!action)
        return;
    if (json_is_true(json_object_get(m, "trait_created")))
        printf("placement: created the trait %s\n", VPMU_HOST_TRAIT_MEDIATED);
    if (STREQ(action, "unchanged"))
        printf("placement: %s already %s on provider %s; unchanged (generation %" JSON_INTEGER_FORMAT
               ")\n",
               VPMU_HOST_TRAIT_MEDIATED, present ? "present" : "absent", provider, gen);
    else
        printf("placement: %s %s on provider %s (generation %" JSON_INTEGER_FORMAT ")\n",
               STREQ(action, "set") ? "set" : "cleared", VPMU_HOST_TRAIT_MEDIATED, provider, gen);
    if (conflicts > 0)
        printf("placement: retried after %" JSON_INTEGER_FORMAT
               " generation conflict%s (HTTP 409)\n",
               conflicts, conflicts == 1 ? "" : "s");
}

int
cli_host_report_placement(const cli_global *g, const cli_report *r, vpmu_conn **conn, bool capable,
                          bool mediated)
{
    _cleanup_(json_decrefp) json_t *rep = NULL;
    vpmu_error *err = NULL;
    const char *action;
    const char *name;
    _cleanup_free_ char *provider = NULL; /* the UUID, given or from Placement: quoted */
    json_int_t gen, others, conflicts;

    if (cli_host_placement_json(g, r, conn, capable, mediated, &rep, &err) < 0)
        return cli_fail(err);
    if (g->output == CLI_OUTPUT_JSON)
        return cli_print_json(json_pack("{s:O}", "placement", rep));

    action = json_string_value(json_object_get(rep, "action"));
    gen = json_integer_value(json_object_get(rep, "generation"));
    others = json_integer_value(json_object_get(rep, "other_traits"));
    conflicts = json_integer_value(json_object_get(rep, "conflicts"));
    provider =
            quote_for_message(json_string_value(json_object_get(rep, "provider")) ?: "", SIZE_MAX);
    name = json_string_value(json_object_get(rep, "provider_name"));
    if (name)
        printf("placement: provider %s is '%s' at %s\n", provider, cli_e(name),
               cli_e_uri(json_string_value(json_object_get(rep, "url"))));
    if (json_is_true(json_object_get(rep, "trait_created")))
        printf("placement: created the trait %s\n", VPMU_TRAIT);
    if (STREQ(action, "unchanged"))
        printf("placement: %s already %s on provider %s; unchanged (generation %" JSON_INTEGER_FORMAT
               ")\n",
               VPMU_TRAIT, capable ? "present" : "absent", provider, gen);
    else
        printf("placement: %s %s on provider %s (generation %" JSON_INTEGER_FORMAT
               "; %" JSON_INTEGER_FORMAT " other trait%s kept)\n",
               STREQ(action, "set") ? "set" : "cleared", VPMU_TRAIT, provider, gen, others,
               others == 1 ? "" : "s");
    if (conflicts > 0)
        printf("placement: retried after %" JSON_INTEGER_FORMAT
               " generation conflict%s (HTTP 409)\n",
               conflicts, conflicts == 1 ? "" : "s");
    print_mediated(json_object_get(rep, "mediated"), provider);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "vpmu: cannot write to standard output\n");
        return CLI_EXIT_RUNTIME;
    }
    return CLI_EXIT_OK;
}

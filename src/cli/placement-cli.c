/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Placement glue for `vpmu host --placement URL --provider UUID`: make the
 * provider carry CUSTOM_COMPUTE_VPMU exactly when the host can give guests a
 * vPMU, keeping every other trait (docs/placement.md).  libvpmu-virt is
 * loaded on demand (virtload.h).
 */
#include "config.h"

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
cli_host_placement_json(const char *url, const char *provider, const char *token, bool capable,
                        json_t **out, vpmu_error **error)
{
    vpmu_placement *pl = NULL;
    vpmu_placement_trait_result res = {0};
    bool created = false;
    int r = -1;

    if (cli_virt_load(error) < 0)
        return -1;
    pl = VIRT(vpmu_placement_new)(url, cli_placement_token(token), error);
    if (!pl)
        return -1;
    /* The trait must exist before a provider can carry it; removing needs nothing. */
    if (capable && VIRT(vpmu_placement_ensure_trait)(pl, VPMU_TRAIT, &created, error) < 0)
        goto out;
    if (VIRT(vpmu_placement_set_provider_trait)(pl, provider, VPMU_TRAIT, capable, &res, error) < 0)
        goto out;
    *out = json_pack("{s:s, s:s, s:s, s:b, s:s, s:b, s:b, s:I, s:I, s:I, s:I}", "url", url,
                     "provider", provider, "trait", VPMU_TRAIT, "capable", capable, "action",
                     !res.changed ? "unchanged"
                     : capable    ? "set"
                                  : "cleared",
                     "present", capable, "trait_created", created, "generation",
                     (json_int_t)res.generation, "other_traits",
                     (json_int_t)(res.n_traits - (capable ? 1 : 0)), "attempts",
                     (json_int_t)res.attempts, "conflicts", (json_int_t)res.conflicts);
    if (!*out)
        abort(); /* json_pack fails only on out-of-memory with valid UTF-8 inputs */
    r = 0;
out:
    VIRT(vpmu_placement_free)(pl);
    return r;
}

int
cli_host_report_placement(const cli_global *g, const char *url, const char *provider,
                          const char *token, bool capable)
{
    _cleanup_(json_decrefp) json_t *rep = NULL;
    vpmu_error *err = NULL;
    const char *action;
    json_int_t gen, others, conflicts;

    if (cli_host_placement_json(url, provider, token, capable, &rep, &err) < 0)
        return cli_fail(err);
    if (g->output == CLI_OUTPUT_JSON)
        return cli_print_json(json_pack("{s:O}", "placement", rep));

    action = json_string_value(json_object_get(rep, "action"));
    gen = json_integer_value(json_object_get(rep, "generation"));
    others = json_integer_value(json_object_get(rep, "other_traits"));
    conflicts = json_integer_value(json_object_get(rep, "conflicts"));
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
    if (fflush(stdout) != 0) {
        fprintf(stderr, "vpmu: cannot write to standard output\n");
        return CLI_EXIT_RUNTIME;
    }
    return CLI_EXIT_OK;
}

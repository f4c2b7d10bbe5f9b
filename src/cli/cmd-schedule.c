/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vpmu schedule: the Placement query a flavor + image needs, and with
 * --placement the providers that fit.
 *
 * A guest decided `on` needs a host that can give it a vPMU, which is what
 * CUSTOM_COMPUTE_VPMU says (docs/placement.md), so the fragment is
 * required=CUSTOM_COMPUTE_VPMU.  `off` and `unset` can run on any host, so
 * they add nothing: text output is then empty, so that
 * `q=$(vpmu schedule ...)` is the empty string.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "virtload.h"

/* Nova's own way for a flavor to require (or forbid) a trait. */
#define MEDIATED_SPEC "trait:" VPMU_HOST_TRAIT_MEDIATED

enum {
    OPT_PLACEMENT = CLI_OPT_COMMAND_BASE,
    OPT_TOKEN,
    OPT_RESOURCES,
    OPT_CANDIDATES,
};

static void
help(void)
{
    printf("Usage: vpmu schedule [POLICY OPTIONS]\n"
           "                 [--candidates [--placement URL] [--token T] [--resources R]]\n"
           "\n"
           "Print the Placement query fragment for a flavor and an image:\n"
           "'required=%s' when the decision is on, nothing otherwise (a guest\n"
           "decided off or unset can run on any host).  A flavor with the extra spec\n"
           "trait:%s=required (Nova's own mechanism) adds that trait,\n"
           "=forbidden adds '!%s'.  With -o json: the decision plus\n"
           "\"required\" (a list) and \"query\".\n"
           "\n"
           "With --candidates, ask Placement's GET /allocation_candidates for those\n"
           "resources and that trait and list the resource providers that fit, one per\n"
           "line: UUID NAME.  Placement is found in the service catalog of the cloud\n"
           "(--os-cloud NAME or $OS_CLOUD from clouds.yaml, else the OS_* variables),\n"
           "authenticated through Keystone.\n"
           "\n"
           "%s"
           "Placement:\n"
           "  --candidates           list the providers that fit (see above)\n"
           "  --placement URL        Placement's endpoint instead of the catalog's, e.g.\n"
           "                         http://127.0.0.1:8778; implies --candidates\n"
           "  --token T              a token for Placement, without Keystone (needs\n"
           "                         --placement; default with --placement and no cloud:\n"
           "                         $OS_TOKEN)\n"
           "  --resources R          e.g. VCPU=2,MEMORY_MB=2048 (default: the flavor's vcpus\n"
           "                         and ram)\n"
           "  -h, --help             show this help\n"
           "\n"
           "Exit status: 0 (also when no provider fits), 1 Placement unreachable, an\n"
           "authentication failure or an error from Placement, 2 usage, 3 invalid input,\n"
           "4 flavor/image conflict.\n",
           VPMU_TRAIT, VPMU_HOST_TRAIT_MEDIATED, VPMU_HOST_TRAIT_MEDIATED, cli_policy_help);
}

/* The default resources: the flavor's vcpus and ram (MiB); NULL when it has neither. */
static char *
flavor_resources(const vpmu_flavor *flavor)
{
    unsigned int vcpus = vpmu_flavor_get_vcpus(flavor);
    unsigned long long ram = vpmu_flavor_get_ram_mib(flavor);

    if (vcpus && ram)
        return xasprintf("VCPU:%u,MEMORY_MB:%llu", vcpus, ram);
    if (vcpus)
        return xasprintf("VCPU:%u", vcpus);
    if (ram)
        return xasprintf("MEMORY_MB:%llu", ram);
    return NULL;
}

static json_t *
provider_json(const vpmu_placement_candidates *c, size_t i)
{
    const char *name = VIRT(vpmu_placement_candidates_name)(c, i);
    const char *root = VIRT(vpmu_placement_candidates_root)(c, i);
    const char *const *traits = VIRT(vpmu_placement_candidates_traits)(c, i);
    json_t *tr = json_array(), *res = json_object();
    const char *rc;
    unsigned long long cap, used;

    for (size_t j = 0; traits && traits[j]; j++)
        json_array_append_new(tr, json_string(traits[j]));
    for (size_t j = 0; VIRT(vpmu_placement_candidates_resource)(c, i, j, &rc, &cap, &used); j++)
        json_object_set_new(
                res, rc,
                json_pack("{s:I, s:I}", "capacity", (json_int_t)cap, "used", (json_int_t)used));
    return json_pack("{s:s, s:o, s:o, s:o, s:o}", "uuid",
                     VIRT(vpmu_placement_candidates_uuid)(c, i), "name", cli_json_string(name),
                     "root_provider_uuid", root ? json_string(root) : json_null(), "traits", tr,
                     "resources", res);
}

/*
 * The traits to ask Placement for: CUSTOM_COMPUTE_VPMU when the decision is
 * on, and the flavor's own trait:CUSTOM_COMPUTE_VPMU_MEDIATED extra spec as
 * Nova reads it (required: the trait; forbidden: !trait).
 */
static int
schedule_required(const cli_policy *p, bool on, strv *out, vpmu_error **error)
{
    const char *v = vpmu_flavor_get_spec(p->flavor, MEDIATED_SPEC);

    if (on)
        strv_push(out, xstrdup(VPMU_TRAIT));
    if (!v)
        return 0;
    if (STREQ(v, "required")) {
        strv_push(out, xstrdup(VPMU_HOST_TRAIT_MEDIATED));
        return 0;
    }
    if (STREQ(v, "forbidden")) {
        strv_push(out, xstrdup("!" VPMU_HOST_TRAIT_MEDIATED));
        return 0;
    }
    {
        _cleanup_free_ char *q = quote_for_message(v, 200);
        vpmu_error_set(error, VPMU_ERR_INVALID,
                       "flavor extra spec '%s' is '%s'; Nova accepts only 'required' or "
                       "'forbidden'",
                       MEDIATED_SPEC, q);
    }
    return -1;
}

/* "T1,!T2", or "" when there is none. */
static char *
join_traits(const strv *v)
{
    char *s = xstrdup("");

    for (size_t i = 0; i < v->n; i++) {
        char *next = xasprintf("%s%s%s", s, i ? "," : "", v->v[i]);
        free(s);
        s = next;
    }
    return s;
}

int
cmd_schedule(cli_global *g, int argc, char **argv)
{
    static const struct option longopts[] = {
            {"placement", required_argument, NULL, OPT_PLACEMENT},
            {"token", required_argument, NULL, OPT_TOKEN},
            {"resources", required_argument, NULL, OPT_RESOURCES},
            {"candidates", no_argument, NULL, OPT_CANDIDATES},
            {NULL, 0, NULL, 0},
    };
    _cleanup_(cli_policy_clear) cli_policy p = {0};
    _cleanup_(cli_parser_clear) cli_parser ps = {
            .g = g, .cmd = "schedule", .help = help, .options = longopts, .policy = &p};
    _cleanup_free_ char *resources = NULL, *placement_url = NULL;
    const char *url = NULL, *token = NULL, *resources_arg = NULL;
    vpmu_placement *pl = NULL;
    vpmu_cloud *cloud = NULL;
    vpmu_placement_candidates *cands = NULL;
    bool ask = false;
    vpmu_error *err = NULL;
    json_t *out = NULL;
    _cleanup_(strv_clear) strv required = {0};
    _cleanup_free_ char *query = NULL;
    bool on;
    int c, r;

    while ((c = cli_next_option(&ps, argc, argv)) > 0) {
        switch (c) {
        case OPT_PLACEMENT:
            url = optarg;
            ask = true; /* the older spelling of --candidates --placement URL */
            break;
        case OPT_CANDIDATES:
            ask = true;
            break;
        case OPT_TOKEN:
            token = optarg;
            break;
        case OPT_RESOURCES:
            resources_arg = optarg;
            break;
        }
    }
    if (c == CLI_OPTS_EXIT)
        return ps.status;
    if (token && !url)
        return cli_usage("schedule", "--token needs --placement URL");
    if (resources_arg && !ask)
        return cli_usage("schedule", "--resources needs --candidates");

    if (cli_policy_resolve(&p, &err) < 0)
        return cli_fail(err);
    on = p.decision.pmu == VPMU_PMU_ON;
    if (schedule_required(&p, on, &required, &err) < 0)
        return cli_fail(err);
    if (required.n && !on && p.decision.pmu == VPMU_PMU_OFF && required.v[0][0] != '!')
        cli_warn(g, "the flavor requires %s, but the guest is decided off and gets no vPMU there",
                 required.v[0]);
    query = join_traits(&required);

    if (ask) {
        if (cli_virt_load(&err) < 0)
            return cli_fail(err);
        if (resources_arg) {
            resources = VIRT(vpmu_placement_normalize_resources)(resources_arg, &err);
            if (!resources) {
                int code = (int)vpmu_error_get_code(err);
                if (code == VPMU_ERR_USAGE) {
                    r = cli_usage("schedule", "%s", vpmu_error_get_message(err));
                    vpmu_error_free(err);
                    return r;
                }
                return cli_fail(err);
            }
        } else {
            resources = flavor_resources(p.flavor);
            if (!resources)
                return cli_usage("schedule",
                                 "--candidates needs --resources, or a flavor with vcpus and ram");
        }
        if (cli_placement_open(g, url, token, &cloud, &pl, &err) < 0) {
            if (vpmu_error_get_code(err) == VPMU_ERR_USAGE) {
                r = cli_usage("schedule", "%s", vpmu_error_get_message(err));
                vpmu_error_free(err);
                return r;
            }
            return cli_fail(err);
        }
        cands = VIRT(vpmu_placement_get_candidates)(pl, resources, *query ? query : NULL, &err);
        placement_url = uri_without_password(VIRT(vpmu_placement_get_url)(pl));
        VIRT(vpmu_placement_free)(pl);
        VIRT(vpmu_cloud_free)(cloud);
        if (!cands)
            return cli_fail(err);
    }

    if (g->output == CLI_OUTPUT_JSON) {
        out = cli_decision_json(&p);
        {
            json_t *req = json_array();
            for (size_t i = 0; i < required.n; i++)
                json_array_append_new(req, json_string(required.v[i]));
            json_object_set_new(out, "required", req);
        }
        json_object_set_new(out, "query",
                            *query ? json_sprintf("required=%s", query) : json_string(""));
        if (cands) {
            const char *missing = VIRT(vpmu_placement_candidates_missing_trait)(cands);
            json_t *arr = json_array();
            size_t n = VIRT(vpmu_placement_candidates_count)(cands);
            for (size_t i = 0; i < n; i++)
                json_array_append_new(arr, provider_json(cands, i));
            json_object_set_new(out, "placement", cli_json_string(placement_url));
            json_object_set_new(out, "resources", json_string(resources));
            json_object_set_new(
                    out, "allocation_requests",
                    json_integer((json_int_t)VIRT(vpmu_placement_candidates_requests)(cands)));
            json_object_set_new(out, "missing_trait", missing ? json_string(missing) : json_null());
            json_object_set_new(out, "providers", arr);
            VIRT(vpmu_placement_candidates_free)(cands);
        }
        return cli_print_json(out);
    }

    if (!cands) {
        if (*query)
            printf("required=%s\n", query);
    } else {
        size_t n = VIRT(vpmu_placement_candidates_count)(cands);
        const char *missing = VIRT(vpmu_placement_candidates_missing_trait)(cands);
        for (size_t i = 0; i < n; i++) {
            const char *name = VIRT(vpmu_placement_candidates_name)(cands, i);
            printf("%s %s\n", cli_e(VIRT(vpmu_placement_candidates_uuid)(cands, i)),
                   name ? cli_e(name) : "-");
        }
        if (missing)
            cli_warn(g,
                     "no resource provider fits: Placement does not know the trait '%s'; no "
                     "host has reported it yet (vpmu host --report)",
                     cli_e(missing));
        else if (n == 0)
            cli_warn(g, "no resource provider fits resources=%s%s%s", cli_e(resources),
                     *query ? "&required=" : "", query);
        VIRT(vpmu_placement_candidates_free)(cands);
    }
    if (fflush(stdout) != 0) {
        fprintf(stderr, "vpmu: cannot write to standard output\n");
        return CLI_EXIT_RUNTIME;
    }
    return CLI_EXIT_OK;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vpmu apply DOMAIN: redefine an existing domain with the decision applied,
 * changing nothing else.  On any error the domain keeps its definition.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "virtload.h"
#include "vpmu/explain.h"

/*
 * What the domain will really get with the decision applied, through the
 * same rules as 'explain'; warns when the decision cannot be honoured.
 * NULL when the domain's XML cannot be read (the apply itself succeeded).
 */
static vpmu_explanation *
explain_applied(cli_global *g, vpmu_conn *conn, const char *domain, vpmu_pmu pmu)
{
    _cleanup_free_ char *xml = VIRT(vpmu_domain_get_xml)(conn, domain, true, NULL);
    _cleanup_(vpmu_domxml_freep) vpmu_domxml *doc = NULL;
    vpmu_domain_info info = {0};
    vpmu_explanation *ex = NULL;

    if (!xml)
        return NULL;
    doc = vpmu_domxml_parse_flags(xml, strlen(xml), domain, 0, NULL);
    if (!doc || vpmu_domxml_get_info(doc, &info, NULL) < 0)
        return NULL;
    vpmu_guest_spec spec = {
            .name = info.name,
            .arch = info.arch,
            .virt_type = info.virt_type,
            .cpu_mode = info.cpu_mode,
            .cpu_model = info.cpu_model,
            .pmu = pmu,
    };
    (void)cli_explain_guest(g, conn, &spec, &ex);
    vpmu_domain_info_clear(&info);
    return ex;
}

/*
 * --dry-run: the persistent definition as it is and as apply would write it,
 * as a unified diff (text) or {"name","uri","dry_run","changed","pmu",
 * "decision","diff"} (JSON).  The XML is read without secrets.
 */
static int
dry_run_diff(const cli_global *g, vpmu_conn *conn, const char *domain, const cli_policy *p)
{
    _cleanup_free_ char *xml = NULL, *edited = NULL, *diff = NULL, *a = NULL, *b = NULL;
    _cleanup_(vpmu_domxml_freep) vpmu_domxml *doc = NULL;
    vpmu_error *err = NULL;
    size_t len = 0, dlen = 0;
    bool changed;
    FILE *f;

    xml = VIRT(vpmu_domain_get_xml)(conn, domain, true, &err);
    if (!xml)
        return cli_fail(err);
    doc = vpmu_domxml_parse(xml, strlen(xml), domain, &err);
    if (!doc || vpmu_domxml_set_pmu(doc, p->decision.pmu, &err) < 0 ||
        vpmu_domxml_format(doc, &edited, &len, &err) < 0)
        return cli_fail(err);
    a = xasprintf("%s (persistent definition)", cli_e(domain));
    b = xasprintf("%s (with pmu %s)", cli_e(domain), vpmu_pmu_to_string(p->decision.pmu));
    f = open_memstream(&diff, &dlen);
    if (!f)
        abort(); /* out of memory, as xmalloc() */
    changed = cli_unified_diff(f, a, xml, strlen(xml), b, edited, len);
    fclose(f);

    if (g->output == CLI_OUTPUT_JSON)
        return cli_print_json(
                json_pack("{s:s, s:s, s:b, s:b, s:s, s:o, s:o}", "name", domain, "uri",
                          cli_uri_masked(VIRT(vpmu_conn_get_uri)(conn)), "dry_run", 1, "changed",
                          changed, "pmu", vpmu_pmu_to_string(p->decision.pmu), "decision",
                          cli_decision_json(p), "diff", changed ? json_string(diff) : json_null()));
    if (changed)
        fwrite(diff, 1, dlen, stdout);
    else
        printf("%s: pmu already %s; nothing to change\n", cli_e(domain),
               vpmu_pmu_to_string(p->decision.pmu));
    return CLI_EXIT_OK;
}

enum {
    OPT_UNSET = CLI_OPT_COMMAND_BASE,
    OPT_DRY_RUN,
};

static void
help(void)
{
    printf("Usage: vpmu [-c URI] apply DOMAIN {POLICY OPTIONS | --unset} [--dry-run]\n"
           "                 [NOTIFICATION OPTIONS]\n"
           "\n"
           "Redefine DOMAIN (a name or UUID) with the decision applied: only\n"
           "<features><pmu/></features> changes.  Nothing is written when the domain\n"
           "already carries the decision.  A running guest keeps its current vPMU until it\n"
           "is next started.  On any error the domain keeps its definition.\n"
           "Without any policy input, apply is refused unless --unset says to remove the\n"
           "<pmu> element.\n"
           "\n"
           "  --unset                remove <pmu> (the hypervisor's default applies); given\n"
           "                         instead of policy inputs\n"
           "  --dry-run              print the unified diff of the persistent definition\n"
           "                         and change nothing\n"
           "\n"
           "%s\n%s"
           "%s"
           "  -h, --help             show this help\n",
           cli_policy_help, cli_notify_help, cli_timeout_help);
}

int
cmd_apply(cli_global *g, int argc, char **argv)
{
    static const struct option longopts[] = {
            CLI_NOTIFY_LONGOPTS,
            {"unset", no_argument, NULL, OPT_UNSET},
            {"dry-run", no_argument, NULL, OPT_DRY_RUN},
            {NULL, 0, NULL, 0},
    };
    _cleanup_(cli_policy_clear) cli_policy p = {0};
    _cleanup_(cli_notify_opts_clear) cli_notify_opts nopt = {0};
    _cleanup_(cli_parser_clear) cli_parser ps = {.g = g,
                                                 .cmd = "apply",
                                                 .help = help,
                                                 .options = longopts,
                                                 .policy = &p,
                                                 .max_operands = 1};
    vpmu_apply_result res = {0};
    _cleanup_(vpmu_explanation_freep) vpmu_explanation *ex = NULL;
    vpmu_conn *conn = NULL;
    const char *domain;
    bool unset = false, dry_run = false;
    vpmu_error *err = NULL;
    int c, r, rc = CLI_EXIT_OK;

    while ((c = cli_next_option(&ps, argc, argv)) > 0) {
        switch (c) {
        default:
            (void)cli_notify_opt(&nopt, c, optarg);
            break;
        case OPT_UNSET:
            unset = true;
            break;
        case OPT_DRY_RUN:
            dry_run = true;
            break;
        }
    }
    if (c == CLI_OPTS_EXIT)
        return ps.status;
    if (optind >= argc)
        return cli_usage("apply", "no DOMAIN given");
    domain = argv[optind];
    if (!unset && !cli_policy_given(&p))
        return cli_usage("apply",
                         "no flavor or image input: give --flavor, --image, --flavor-spec, "
                         "--image-prop, --flavor-id or --image-id, or --unset to remove <pmu>");
    if (unset && cli_policy_given(&p))
        return cli_usage("apply", "--unset goes without flavor or image inputs");
    if (dry_run && (nopt.target || nopt.url_file))
        return cli_usage("apply", "--dry-run changes nothing, so it sends no --notify");
    /* Every input is checked before the domain is touched. */
    if ((r = cli_notify_resolve(&nopt, "apply")) != CLI_EXIT_OK)
        return r;

    if (cli_policy_resolve(&p, &err) < 0)
        return cli_fail(err);
    if (cli_virt_connect(g, &conn, &err) < 0)
        return cli_fail(err);
    if (dry_run) {
        rc = dry_run_diff(g, conn, domain, &p);
        VIRT(vpmu_conn_close)(conn);
        return rc;
    }
    if (VIRT(vpmu_domain_apply_pmu)(conn, domain, p.decision.pmu, &res, &err) < 0) {
        VIRT(vpmu_conn_close)(conn);
        return cli_fail(err);
    }

    ex = explain_applied(g, conn, domain, p.decision.pmu);

    if (g->output == CLI_OUTPUT_JSON) {
        rc = cli_print_json(json_pack(
                "{s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:o, s:o}", "name", domain, "uuid", res.uuid,
                "uri", cli_uri_masked(VIRT(vpmu_conn_get_uri)(conn)), "previous",
                vpmu_pmu_to_string(res.previous), "pmu", vpmu_pmu_to_string(p.decision.pmu),
                "changed", res.changed, "active", res.active, "decision", cli_decision_json(&p),
                "effective", ex ? cli_explanation_json(ex) : json_null()));
    } else {
        if (res.changed)
            printf("%s: pmu %s -> %s (source: %s)\n", cli_e(domain),
                   vpmu_pmu_to_string(res.previous), vpmu_pmu_to_string(p.decision.pmu),
                   vpmu_source_to_string(p.decision.source));
        else
            printf("%s: pmu already %s; nothing to change\n", cli_e(domain),
                   vpmu_pmu_to_string(p.decision.pmu));
        if (ex)
            printf("effective: %s\n", vpmu_effective_to_string(vpmu_explanation_get_state(ex)));
        fflush(stdout);
    }
    if (res.changed && res.active)
        cli_warn(g, "'%s' is running: its vPMU changes when it is next started", cli_e(domain));
    if (nopt.resolved) {
        r = cli_notify(g, &nopt, &p, domain, res.uuid,
                       ex ? vpmu_effective_to_string(vpmu_explanation_get_state(ex)) : NULL);
        if (r != CLI_EXIT_OK)
            rc = r;
    }
    VIRT(vpmu_conn_close)(conn);
    return rc;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vpmu boot: decide, build the guest, define it and start it.  The decision
 * comes first, so a conflicting flavor and image never reach libvirt.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "virtload.h"
#include "vpmu/explain.h"

enum {
    OPT_NAME = CLI_OPT_COMMAND_BASE,
    OPT_NO_START,
    OPT_NO_REBOOT,
};

static void
help(void)
{
    printf("Usage: vpmu [-c URI] boot [--name NAME] [--no-start] [POLICY OPTIONS] [GUEST OPTIONS]\n"
           "                         [NOTIFICATION OPTIONS]\n"
           "\n"
           "Decide, build the guest, define it on the connection and start it.  Prints\n"
           "its name, UUID and the decision.  Nothing is defined when the decision fails.\n"
           "\n"
           "  --name NAME            the guest's name (default: vpmu-guest); it must not exist\n"
           "  --no-start             define the guest but do not start it\n"
           "  --no-reboot            a reboot or crash ends the guest (on_reboot/on_crash\n"
           "                         destroy)\n"
           "\n"
           "%s\n%s\n%s"
           "%s"
           "  -h, --help             show this help\n",
           cli_policy_help, cli_guest_help, cli_notify_help, cli_timeout_help);
}

int
cmd_boot(cli_global *g, int argc, char **argv)
{
    static const struct option longopts[] = {
            {"name", required_argument, NULL, OPT_NAME},
            {"no-start", no_argument, NULL, OPT_NO_START},
            {"no-reboot", no_argument, NULL, OPT_NO_REBOOT},
            CLI_NOTIFY_LONGOPTS,
            {NULL, 0, NULL, 0},
    };
    _cleanup_(cli_policy_clear) cli_policy p = {0};
    _cleanup_(cli_notify_opts_clear) cli_notify_opts nopt = {0};
    cli_guest gopt = {0};
    _cleanup_(cli_parser_clear) cli_parser ps = {
            .g = g, .cmd = "boot", .help = help, .options = longopts, .policy = &p, .guest = &gopt};
    _cleanup_(cli_guest_plan_clear) cli_guest_plan plan = {0};
    _cleanup_(vpmu_domxml_freep) vpmu_domxml *doc = NULL;
    _cleanup_free_ char *xml = NULL;
    _cleanup_free_ char *uuid = NULL;
    _cleanup_(vpmu_explanation_freep) vpmu_explanation *ex = NULL;
    vpmu_conn *conn = NULL;
    const char *name = NULL;
    bool start = true, no_reboot = false;
    vpmu_error *err = NULL;
    int c, r, rc = CLI_EXIT_OK;

    while ((c = cli_next_option(&ps, argc, argv)) > 0) {
        switch (c) {
        case OPT_NAME:
            name = optarg;
            break;
        case OPT_NO_START:
            start = false;
            break;
        case OPT_NO_REBOOT:
            no_reboot = true;
            break;
        default:
            (void)cli_notify_opt(&nopt, c, optarg);
            break;
        }
    }
    if (c == CLI_OPTS_EXIT)
        return ps.status;
    if ((r = cli_guest_check(&gopt, "boot")) != CLI_EXIT_OK)
        return r;
    /* Every input is checked before anything is defined or started. */
    if ((r = cli_notify_resolve(&nopt, "boot")) != CLI_EXIT_OK)
        return r;

    /* The decision first: a conflict exits 4 before any connection is made. */
    if (cli_policy_resolve(&p, &err) < 0)
        return cli_fail(err);

    if (cli_virt_connect(g, &conn, &err) < 0)
        return cli_fail(err);
    if (cli_guest_plan_make(g, &gopt, &p, name, no_reboot, &conn, &plan, &err) < 0)
        goto fail;
    doc = vpmu_domxml_build(&plan.spec, &err);
    if (!doc || vpmu_domxml_format(doc, &xml, NULL, &err) < 0)
        goto fail;
    /* Warns (once, on stderr) when the guest will not get what was decided. */
    (void)cli_explain_guest(g, conn, &plan.spec, &ex);
    if (VIRT(vpmu_guest_define)(conn, xml, start, &uuid, &err) < 0)
        goto fail;

    if (g->output == CLI_OUTPUT_JSON) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o}", "name", plan.spec.name, "uuid", uuid,
                              "uri", cli_uri_masked(VIRT(vpmu_conn_get_uri)(conn)), "state",
                              start ? "running" : "defined", "decision", cli_decision_json(&p));
        json_t *notes = json_array();
        for (size_t i = 0; i < plan.notes.n; i++)
            json_array_append_new(notes, json_string(plan.notes.v[i]));
        json_object_set_new(o, "defaults", notes);
        json_object_set_new(o, "effective", ex ? cli_explanation_json(ex) : json_null());
        rc = cli_print_json(o);
    } else {
        printf("name: %s\n", cli_e(plan.spec.name));
        printf("uuid: %s\n", uuid);
        printf("uri: %s\n", cli_e_uri(VIRT(vpmu_conn_get_uri)(conn)));
        printf("state: %s\n", start ? "running" : "defined");
        cli_decision_print_text(&p, stdout);
        if (ex)
            printf("effective: %s\n", vpmu_effective_to_string(vpmu_explanation_get_state(ex)));
        for (size_t i = 0; i < plan.notes.n; i++)
            printf("default: %s\n", cli_e(plan.notes.v[i]));
        fflush(stdout);
    }
    if (nopt.resolved) {
        r = cli_notify(g, &nopt, &p, plan.spec.name, uuid,
                       ex ? vpmu_effective_to_string(vpmu_explanation_get_state(ex)) : NULL);
        if (r != CLI_EXIT_OK)
            rc = r;
    }
    VIRT(vpmu_conn_close)(conn);
    return rc;

fail:
    VIRT(vpmu_conn_close)(conn);
    return cli_fail(err);
}

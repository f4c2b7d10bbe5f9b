/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vpmu decide: the decision and which input decided it.  Never connects. */
#include "config.h"

#include <stdio.h>

#include "cli.h"

static void
help(void)
{
    printf("Usage: vpmu decide [POLICY OPTIONS]\n"
           "\n"
           "Print the vPMU decision for a flavor and an image: on, off or unset, and\n"
           "which input decided it (flavor, image, flavor+image or none).\n"
           "A flavor/image disagreement is refused (exit 4); an invalid value exits 3.\n"
           "\n"
           "%s"
           "  -h, --help             show this help\n",
           cli_policy_help);
}

int
cmd_decide(cli_global *g, int argc, char **argv)
{
    _cleanup_(cli_policy_clear) cli_policy p = {0};
    _cleanup_(cli_parser_clear)
            cli_parser ps = {.g = g, .cmd = "decide", .help = help, .policy = &p};
    vpmu_error *err = NULL;
    int c;

    while ((c = cli_next_option(&ps, argc, argv)) > 0)
        return cli_bad_option("decide", '?', argv); /* no options of its own */
    if (c == CLI_OPTS_EXIT)
        return ps.status;

    if (cli_policy_resolve(&p, &err) < 0)
        return cli_fail(err);
    if (g->output == CLI_OUTPUT_JSON)
        return cli_print_json(cli_decision_json(&p));
    cli_decision_print_text(&p, stdout);
    return CLI_EXIT_OK;
}

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
    static const struct option longopts[] = {
            CLI_POLICY_LONGOPTS,
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
    };
    _cleanup_(cli_policy_clear) cli_policy p = {0};
    vpmu_error *err = NULL;
    int c, r;

    if ((r = cli_check_output(g, "decide", false)) != CLI_EXIT_OK)
        return r;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        if (c == 'h') {
            help();
            return CLI_EXIT_OK;
        }
        r = cli_policy_opt(&p, "decide", c, optarg);
        if (r < 0)
            return CLI_EXIT_USAGE;
        if (r == 0)
            return cli_bad_option("decide", c, argv);
    }
    if (optind < argc)
        return cli_usage("decide", "unexpected argument '%s'", argv[optind]);

    if (cli_policy_resolve(&p, &err) < 0)
        return cli_fail(err);
    if (g->output == CLI_OUTPUT_JSON)
        return cli_print_json(cli_decision_json(&p));
    cli_decision_print_text(&p, stdout);
    return CLI_EXIT_OK;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* placeholder: the owner of 'vpmu explain' replaces this file. */
#include "config.h"
#include "cli.h"

int
cmd_explain(cli_global *g, int argc, char **argv)
{
    (void)g;
    (void)argc;
    (void)argv;
    return cli_usage(NULL, "'%s' is not implemented yet", "explain");
}

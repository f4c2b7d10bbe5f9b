/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one option parser of the CLI.  Every command calls cli_next_option()
 * in its loop; it merges into one getopt_long() table:
 *
 *  - the global options (-c, -o, -q, --os-cloud, --timeout), so that they may also
 *    follow the command name, as git's and the openstack client's do;
 *  - the policy options (when the command gives a cli_policy);
 *  - the guest options (when it gives a cli_guest);
 *  - -h/--help;
 *  - the command's own options, which are the only ones handed back.
 *
 * A command that defines one of the global names itself (audit's repeatable
 * -c) gets it as its own.  Options and operands may come in any order (GNU
 * permutation); "--" ends the options.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "vpmu/virt.h" /* VPMU_CONN_MAX_TIMEOUT; nothing is called */

enum {
    OPT_HELP = CLI_OPT_COMMAND_BASE - 1,
};

static const struct option global_longopts[] = {
        {"connect", required_argument, NULL, 'c'},
        {"output", required_argument, NULL, 'o'},
        {"quiet", no_argument, NULL, 'q'},
        {"os-cloud", required_argument, NULL, CLI_OPT_OS_CLOUD},
        {"timeout", required_argument, NULL, CLI_OPT_TIMEOUT},
};

/* The numbers below are these: */
_Static_assert(VPMU_CONN_DEFAULT_TIMEOUT == 30 && VPMU_CONN_MAX_TIMEOUT == 86400,
               "cli_timeout_help[] states the default and the maximum");
const char cli_timeout_help[] =
        "  --timeout SECONDS      (global) give up on a libvirt connection that does not\n"
        "                         answer within SECONDS (1 to 86400, default 30): exit 1\n";

static const struct option policy_longopts[] = {CLI_POLICY_LONGOPTS};
static const struct option guest_longopts[] = {CLI_GUEST_LONGOPTS};

void
cli_global_init(cli_global *g)
{
    const char *cloud = getenv("OS_CLOUD");

    memset(g, 0, sizeof(*g));
    g->os_cloud = cloud && *cloud ? cloud : NULL;
}

int
cli_global_opt(cli_global *g, const char *cmd, int opt, const char *arg)
{
    switch (opt) {
    case 'c':
        if (!*arg)
            return cli_usage(cmd, "-c needs a URI"), -1;
        g->uri = arg;
        return 1;
    case 'o':
        if (STREQ(arg, "text")) {
            g->output = CLI_OUTPUT_TEXT;
        } else if (STREQ(arg, "json")) {
            g->output = CLI_OUTPUT_JSON;
        } else if (STREQ(arg, "prometheus")) {
            g->output = CLI_OUTPUT_PROMETHEUS;
        } else {
            return cli_usage(cmd, "unknown output format '%s'; use text, json or prometheus",
                             cli_e(arg)),
                   -1;
        }
        g->output_set = true;
        return 1;
    case 'q':
        g->quiet = true;
        return 1;
    case CLI_OPT_OS_CLOUD:
        if (!*arg)
            return cli_usage(cmd, "--os-cloud needs a cloud name"), -1;
        g->os_cloud = arg;
        return 1;
    case CLI_OPT_TIMEOUT: {
        unsigned long long t;
        /* There is no "wait for ever": 0 is refused, as any other non-number of seconds. */
        if (parse_ull(arg, &t) < 0 || t < 1 || t > VPMU_CONN_MAX_TIMEOUT)
            return cli_usage(cmd, "invalid --timeout '%s'; use 1 to %u seconds", cli_e(arg),
                             VPMU_CONN_MAX_TIMEOUT),
                   -1;
        g->timeout = (unsigned int)t;
        return 1;
    }
    default:
        return 0;
    }
}

const char *
cli_uri(const cli_global *g)
{
    return g->uri;
}

const char *
cli_uri_named(const cli_global *g)
{
    const char *env = getenv("LIBVIRT_DEFAULT_URI");

    if (g->uri)
        return g->uri;
    return env && *env ? env : NULL;
}

static bool
command_has_long(const cli_parser *ps, const char *name)
{
    for (const struct option *o = ps->options; o && o->name; o++)
        if (STREQ(o->name, name))
            return true;
    return false;
}

static bool
command_has_short(const cli_parser *ps, int c)
{
    return ps->shortopts && c > 0 && c < 128 && strchr(ps->shortopts, c);
}

static void
add(cli_parser *ps, size_t *n, const struct option *o)
{
    ps->table_[(*n)++] = *o;
}

static void
build(cli_parser *ps)
{
    size_t n = 0, cap = ELEMENTSOF(global_longopts) + ELEMENTSOF(policy_longopts) +
                        ELEMENTSOF(guest_longopts) + 2;
    char *s;

    for (const struct option *o = ps->options; o && o->name; o++)
        cap++;
    ps->table_ = xcalloc(cap, sizeof(*ps->table_));
    for (const struct option *o = ps->options; o && o->name; o++)
        add(ps, &n, o);
    for (size_t i = 0; i < ELEMENTSOF(global_longopts); i++)
        if (!command_has_long(ps, global_longopts[i].name) &&
            !command_has_short(ps, global_longopts[i].val))
            add(ps, &n, &global_longopts[i]);
    if (ps->policy)
        for (size_t i = 0; i < ELEMENTSOF(policy_longopts); i++)
            add(ps, &n, &policy_longopts[i]);
    if (ps->guest)
        for (size_t i = 0; i < ELEMENTSOF(guest_longopts); i++)
            add(ps, &n, &guest_longopts[i]);
    add(ps, &n, &(struct option){"help", no_argument, NULL, OPT_HELP});

    /* ':' first: a missing argument is told apart from an unknown option. */
    ps->short_ = s = xmalloc(16 + (ps->shortopts ? strlen(ps->shortopts) : 0));
    *s++ = ':';
    if (ps->shortopts) {
        strcpy(s, ps->shortopts);
        s += strlen(ps->shortopts);
    }
    if (!command_has_short(ps, 'c'))
        s = stpcpy(s, "c:");
    if (!command_has_short(ps, 'o'))
        s = stpcpy(s, "o:");
    if (!command_has_short(ps, 'q'))
        s = stpcpy(s, "q");
    s = stpcpy(s, "h");
}

void
cli_parser_clear(cli_parser *ps)
{
    free(ps->table_);
    free(ps->short_);
    ps->table_ = NULL;
    ps->short_ = NULL;
}

static bool
is_command_code(const cli_parser *ps, int c)
{
    if (command_has_short(ps, c))
        return true;
    for (const struct option *o = ps->options; o && o->name; o++)
        if (!o->flag && o->val == c)
            return true;
    return false;
}

int
cli_next_option(cli_parser *ps, int argc, char **argv)
{
    int c, r;

    if (!ps->table_)
        build(ps);
    for (;;) {
        c = getopt_long(argc, argv, ps->short_, ps->table_, NULL);
        if (c == -1)
            break;
        if (c == '?' || c == ':') {
            ps->status = cli_bad_option(ps->cmd, c, argv);
            return CLI_OPTS_EXIT;
        }
        if (is_command_code(ps, c))
            return c;
        if (c == 'h' || c == OPT_HELP) {
            ps->help();
            ps->status = cli_stdout_check();
            return CLI_OPTS_EXIT;
        }
        r = cli_global_opt(ps->g, ps->cmd, c, optarg);
        if (r == 0 && ps->policy)
            r = cli_policy_opt(ps->policy, ps->cmd, c, optarg);
        if (r == 0 && ps->guest) {
            r = cli_guest_opt(ps->guest, ps->cmd, c, optarg);
            ps->guest_given |= r > 0;
        }
        if (r < 0) {
            ps->status = CLI_EXIT_USAGE;
            return CLI_OPTS_EXIT;
        }
        if (r == 0) {
            /* A code in the table that nobody claims: a programming error. */
            ps->status = cli_bad_option(ps->cmd, '?', argv);
            return CLI_OPTS_EXIT;
        }
    }
    /* The options are all read: -o may have come after the command name. */
    if (ps->g->output == CLI_OUTPUT_PROMETHEUS && !ps->prometheus_ok) {
        ps->status = cli_usage(ps->cmd, "'%s' does not support -o prometheus; use text or json",
                               ps->cmd);
        return CLI_OPTS_EXIT;
    }
    /* --flavor-id / --image-id authenticate as --os-cloud says, wherever it came. */
    if (ps->policy) {
        ps->policy->os_cloud = ps->g->os_cloud;
        ps->policy->quiet = ps->g->quiet;
    }
    if (ps->max_operands >= 0 && argc - optind > ps->max_operands) {
        ps->status = cli_usage(ps->cmd, "unexpected argument '%s'",
                               cli_e(argv[optind + ps->max_operands]));
        return CLI_OPTS_EXIT;
    }
    return CLI_OPTS_END;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vpmu: the command table, the global options before the command name, and
 * the checks every run ends with (stdout reached its destination).
 *
 *   vpmu [-c URI] [-o text|json] [-q] [--os-cloud NAME] [--timeout SECONDS] [-h] [-V]
 *        COMMAND [OPTIONS]
 *   vpmu help [COMMAND]
 */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "vpmu/virt.h" /* VPMU_CONN_*_TIMEOUT for the help; nothing is called */

static const cli_command commands[] = {
        {"decide", "print the vPMU decision for a flavor and an image", cmd_decide},
        {"xml", "print guest XML: a new guest, or an existing domain edited", cmd_xml},
        {"boot", "define and start the guest on a libvirt connection", cmd_boot},
        {"apply", "redefine an existing domain with the decision applied", cmd_apply},
        {"explain", "the vPMU a guest will really get on this host, with reasons", cmd_explain},
        {"host", "the host's vPMU capability and traits; report to Placement", cmd_host},
        {"schedule", "the Placement query for a flavor and image; matching providers",
         cmd_schedule},
        {"audit", "the vPMU state of every domain on one or more connections", cmd_audit},
        {"help", "show this help, or a command's: vpmu help COMMAND", NULL},
};

static void
print_help(FILE *out)
{
    fprintf(out,
            "Usage: vpmu [-c URI] [-o text|json] [-q] [--os-cloud NAME] [--timeout SECONDS]\n"
            "            [-h] [-V] COMMAND [OPTIONS]\n"
            "\n"
            "Control the QEMU/KVM virtual PMU of libvirt guests with OpenStack's semantics:\n"
            "the flavor's hw:pmu (operator) and the image's hw_pmu (tenant) decide on, off\n"
            "or unset; a disagreement is refused.\n"
            "\n"
            "Global options (also accepted after the command name):\n"
            "  -c, --connect URI   libvirt URI (default: libvirt's own, as virsh has it:\n"
            "                      $LIBVIRT_DEFAULT_URI, then libvirt's configuration)\n"
            "  -o, --output FMT    output format: text or json (audit also: prometheus)\n"
            "  -q, --quiet         no warnings on stderr\n"
            "  --os-cloud NAME     the cloud in clouds.yaml (default: $OS_CLOUD)\n"
            "  --timeout SECONDS   the longest a libvirt connection may take to answer\n"
            "                      (1 to %u, default %u); then exit 1 (boot, apply,\n"
            "                      explain, host) or report the host down (audit)\n"
            "  -h, --help          show this help and exit\n"
            "  -V, --version       show the version and what it was built with, and exit\n"
            "\n"
            "Commands:\n",
            VPMU_CONN_MAX_TIMEOUT, VPMU_CONN_DEFAULT_TIMEOUT);
    for (size_t i = 0; i < ELEMENTSOF(commands); i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n"
                 "Run 'vpmu COMMAND --help' or 'vpmu help COMMAND' for a command's options;\n"
                 "see vpmu(1).\n"
                 "\n"
                 "Exit status:\n"
                 "  0  success\n"
                 "  1  runtime failure (I/O, libvirt, HTTP; no answer within --timeout)\n"
                 "  2  usage error\n"
                 "  3  invalid input (malformed JSON or XML, a bad hw:pmu/hw_pmu value)\n"
                 "  4  flavor/image conflict\n"
                 "  5  audit: a host or domain could not be audited (skipped)\n"
                 "  6  audit: a domain matched its fail-if condition\n"
                 "  7  audit: both 5 and 6\n");
}

static void
print_version(void)
{
    printf("vpmu %s\n", vpmu_version());
    printf("libvpmu %s\n", vpmu_version());
    printf("built against libvirt %s\n", VPMU_LIBVIRT_BUILT_VERSION);
    printf("AMQP notifications: %s\n", WITH_AMQP ? "built in (librabbitmq)" : "not built in");
}

static const cli_command *
find_command(const char *name)
{
    for (size_t i = 0; i < ELEMENTSOF(commands); i++)
        if (STREQ(name, commands[i].name))
            return &commands[i];
    return NULL;
}

/* Optimal string alignment distance, for did-you-mean; names are short. */
static size_t
edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t d[34][34];

    if (la > 32 || lb > 32)
        return SIZE_MAX;
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    }
    return d[la][lb];
}

static int
unknown_command(const char *name)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;

    for (size_t i = 0; i < ELEMENTSOF(commands); i++) {
        size_t d = edit_distance(name, commands[i].name);
        /* A prefix counts too: "sched" means schedule. */
        if (strlen(name) >= 2 && strncmp(name, commands[i].name, strlen(name)) == 0)
            d = 1;
        if (d < best_d) {
            best_d = d;
            best = commands[i].name;
        }
    }
    if (best && best_d <= 2)
        return cli_usage(NULL, "unknown command '%s'; did you mean '%s'?", cli_e(name), best);
    return cli_usage(NULL, "unknown command '%s'", cli_e(name));
}

static int
run_command(cli_global *g, const cli_command *cmd, int argc, char **argv)
{
    /* The command sees argv[0] == its own name and parses from 1. */
    optind = 0; /* full getopt reset (GNU) */
    cli_command_name = cmd->name;
    return cmd->run(g, argc, argv);
}

/* vpmu help [COMMAND]: the same as vpmu --help / vpmu COMMAND --help. */
static int
cmd_help(cli_global *g, int argc, char **argv)
{
    const cli_command *cmd;
    char *hargv[] = {NULL, (char *)"--help", NULL};

    if (argc < 2) {
        print_help(stdout);
        return CLI_EXIT_OK;
    }
    if (argc > 2)
        return cli_usage("help", "unexpected argument '%s'", cli_e(argv[2]));
    cmd = find_command(argv[1]);
    if (!cmd)
        return unknown_command(argv[1]);
    if (!cmd->run) {
        print_help(stdout);
        return CLI_EXIT_OK;
    }
    hargv[0] = argv[1];
    return run_command(g, cmd, 2, hargv);
}

static int
run(int argc, char **argv)
{
    static const struct option longopts[] = {
            {"connect", required_argument, NULL, 'c'},
            {"output", required_argument, NULL, 'o'},
            {"quiet", no_argument, NULL, 'q'},
            {"os-cloud", required_argument, NULL, CLI_OPT_OS_CLOUD},
            {"timeout", required_argument, NULL, CLI_OPT_TIMEOUT},
            {"help", no_argument, NULL, 'h'},
            {"version", no_argument, NULL, 'V'},
            {NULL, 0, NULL, 0},
    };
    const cli_command *cmd;
    cli_global g;
    int c, r;

    cli_global_init(&g);
    /* vpmu prints its own usage errors (cli_bad_option), once. */
    opterr = 0;
    /* '+': stop at the command name; what follows is the command's to parse. */
    while ((c = getopt_long(argc, argv, "+:c:o:qhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            print_help(stdout);
            return CLI_EXIT_OK;
        case 'V':
            print_version();
            return CLI_EXIT_OK;
        case '?':
        case ':':
            return cli_bad_option(NULL, c, argv);
        default:
            r = cli_global_opt(&g, NULL, c, optarg);
            if (r < 0)
                return CLI_EXIT_USAGE;
            if (r == 0)
                return cli_bad_option(NULL, '?', argv);
        }
    }
    if (optind >= argc)
        return cli_usage(NULL, "no command given");

    cmd = find_command(argv[optind]);
    if (!cmd)
        return unknown_command(argv[optind]);
    if (!cmd->run)
        return cmd_help(&g, argc - optind, argv + optind);
    return run_command(&g, cmd, argc - optind, argv + optind);
}

int
main(int argc, char **argv)
{
    int rc, out;

    /*
     * A closed stdout is an error to report (EPIPE), never a signal that
     * stops vpmu half-way, e.g. between apply's redefinition and its
     * notification.
     */
    signal(SIGPIPE, SIG_IGN);
    rc = run(argc, argv);
    out = cli_stdout_check();
    if (out == CLI_EXIT_OK && fclose(stdout) != 0)
        out = cli_stdout_check();
    cli_e_release();
    /* Output that was lost is a runtime failure, whatever the command found. */
    if (out != CLI_EXIT_OK && (rc == CLI_EXIT_OK || rc > CLI_EXIT_CONFLICT))
        rc = out;
    return rc;
}

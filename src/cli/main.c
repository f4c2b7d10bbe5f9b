/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vpmu: the command table and global options.
 *
 *   vpmu [-c URI] [-o text|json] [-q] [-h] [-V] COMMAND [OPTIONS]
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "vpmu/virt.h"

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
};

static void
print_help(FILE *out)
{
    fprintf(out,
            "Usage: vpmu [-c URI] [-o text|json] [-q] [-h] [-V] COMMAND [OPTIONS]\n"
            "\n"
            "Control the QEMU/KVM virtual PMU of libvirt guests with OpenStack's semantics:\n"
            "the flavor's hw:pmu (operator) and the image's hw_pmu (tenant) decide on, off\n"
            "or unset; a disagreement is refused.\n"
            "\n"
            "Global options:\n"
            "  -c, --connect URI   libvirt URI (default: $LIBVIRT_DEFAULT_URI, else %s)\n"
            "  -o, --output FMT    output format: text or json (audit also: prometheus)\n"
            "  -q, --quiet         no warnings on stderr\n"
            "  -h, --help          show this help and exit\n"
            "  -V, --version       show the version and exit\n"
            "\n"
            "Commands:\n",
            VPMU_DEFAULT_URI);
    for (size_t i = 0; i < ELEMENTSOF(commands); i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n"
                 "Run 'vpmu COMMAND --help' for a command's options; see vpmu(1).\n"
                 "Exit status: 0 success, 1 runtime failure, 2 usage error, 3 invalid input,\n"
                 "4 flavor/image conflict.\n");
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
            {"connect", required_argument, NULL, 'c'}, {"output", required_argument, NULL, 'o'},
            {"quiet", no_argument, NULL, 'q'},         {"help", no_argument, NULL, 'h'},
            {"version", no_argument, NULL, 'V'},       {NULL, 0, NULL, 0},
    };
    cli_global g = {0};
    int c;

    /* vpmu prints its own usage errors (cli_bad_option), once. */
    opterr = 0;
    /* '+': stop at the command name; its options belong to the command. */
    while ((c = getopt_long(argc, argv, "+:c:o:qhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            g.uri = optarg;
            break;
        case 'o':
            if (STREQ(optarg, "text")) {
                g.output = CLI_OUTPUT_TEXT;
            } else if (STREQ(optarg, "json")) {
                g.output = CLI_OUTPUT_JSON;
            } else if (STREQ(optarg, "prometheus")) {
                g.output = CLI_OUTPUT_PROMETHEUS;
            } else {
                return cli_usage(NULL, "unknown output format '%s'; use text, json or prometheus",
                                 optarg);
            }
            g.output_set = true;
            break;
        case 'q':
            g.quiet = true;
            break;
        case 'h':
            print_help(stdout);
            return CLI_EXIT_OK;
        case 'V':
            printf("vpmu %s\n", vpmu_version());
            return CLI_EXIT_OK;
        default:
            return cli_bad_option(NULL, c, argv);
        }
    }
    if (optind >= argc)
        return cli_usage(NULL, "no command given");

    for (size_t i = 0; i < ELEMENTSOF(commands); i++) {
        if (STREQ(argv[optind], commands[i].name)) {
            /* The command sees argv[0] == its own name and parses from 1. */
            int cargc = argc - optind;
            char **cargv = argv + optind;
            optind = 0; /* full getopt reset (GNU) */
            return commands[i].run(&g, cargc, cargv);
        }
    }
    return cli_usage(NULL, "unknown command '%s'", argv[optind]);
}

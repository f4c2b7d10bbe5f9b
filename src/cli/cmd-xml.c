/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vpmu xml: with --domain, the given domain XML with only <pmu> changed (an
 * unset decision removes it); without, a complete guest built from the
 * flavor and the image.  The edit path never loads libvirt.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "virtload.h"

enum {
    OPT_DOMAIN = CLI_OPT_COMMAND_BASE,
    OPT_IN_PLACE,
    OPT_BREAK_HARDLINKS,
    OPT_DRY_RUN,
    OPT_NAME,
    OPT_NO_REBOOT,
};

static void
help(void)
{
    printf("Usage: vpmu xml [--domain FILE|- [--in-place [--dry-run] [--break-hardlinks]]]\n"
           "                [POLICY OPTIONS]\n"
           "                [GUEST OPTIONS]\n"
           "\n"
           "With --domain, print that libvirt domain XML with the decision applied: only\n"
           "<features><pmu/></features> changes, and an unset decision removes it.\n"
           "Without --domain, print a complete guest built from the flavor and the image.\n"
           "\n"
           "  --domain FILE|-        edit this domain XML ('-' reads stdin)\n"
           "  --in-place             rewrite FILE atomically instead of printing it, keeping\n"
           "                         its owner, group and mode; refused when someone else\n"
           "                         changed FILE meanwhile; a FILE whose bytes would not\n"
           "                         change is left alone ('FILE: unchanged')\n"
           "  --dry-run              with --in-place, print the unified diff of FILE\n"
           "                         instead of rewriting it; nothing changes\n"
           "  --break-hardlinks      with --in-place, rewrite a FILE that has other hard\n"
           "                         links (they keep the old content)\n"
           "  --name NAME            the new guest's name (default: vpmu-guest)\n"
           "  --no-reboot            a reboot or crash ends the guest (on_reboot/on_crash\n"
           "                         destroy)\n"
           "\n"
           "%s\n%s"
           "  -h, --help             show this help\n",
           cli_policy_help, cli_guest_help);
}

static int
write_out(const char *buf, size_t len)
{
    if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0) {
        fprintf(stderr, "vpmu: cannot write to standard output\n");
        return CLI_EXIT_RUNTIME;
    }
    return CLI_EXIT_OK;
}

static int
edit(const char *path, bool in_place, bool dry_run, unsigned replace_flags, vpmu_pmu pmu)
{
    _cleanup_(vpmu_domxml_freep) vpmu_domxml *doc = NULL;
    _cleanup_(vpmu_file_snapshot_clear) vpmu_file_snapshot was = {0};
    _cleanup_free_ char *out = NULL;
    vpmu_error *err = NULL;
    size_t len = 0;

    /* In place, the bytes parsed are kept: the file is replaced only if it
     * still holds them just before the rename. */
    if (in_place && vpmu_read_file_snapshot(path, VPMU_DOMXML_MAX_BYTES, &was, &err) < 0)
        return cli_fail(err);
    doc = in_place ? vpmu_domxml_parse(was.bytes, was.len, path, &err)
                   : vpmu_domxml_load(path, &err);
    if (!doc)
        return cli_fail(err);
    if (vpmu_domxml_set_pmu(doc, pmu, &err) < 0 || vpmu_domxml_format(doc, &out, &len, &err) < 0)
        return cli_fail(err);
    if (in_place && len == was.len && memcmp(out, was.bytes, len) == 0) {
        /* Nothing to write: the file, its inode and its mtime stay as they are. */
        printf("%s: unchanged\n", cli_e(path));
        return CLI_EXIT_OK;
    }
    if (in_place && dry_run) {
        cli_unified_diff(stdout, cli_e(path), was.bytes, was.len, cli_e(path), out, len);
        return CLI_EXIT_OK;
    }
    if (in_place) {
        if (vpmu_replace_file(path, out, len, &was, replace_flags, &err) < 0)
            return cli_fail(err);
        return CLI_EXIT_OK;
    }
    return write_out(out, len);
}

int
cmd_xml(cli_global *g, int argc, char **argv)
{
    static const struct option longopts[] = {
            {"domain", required_argument, NULL, OPT_DOMAIN},
            {"in-place", no_argument, NULL, OPT_IN_PLACE},
            {"break-hardlinks", no_argument, NULL, OPT_BREAK_HARDLINKS},
            {"dry-run", no_argument, NULL, OPT_DRY_RUN},
            {"name", required_argument, NULL, OPT_NAME},
            {"no-reboot", no_argument, NULL, OPT_NO_REBOOT},
            {NULL, 0, NULL, 0},
    };
    _cleanup_(cli_policy_clear) cli_policy p = {0};
    cli_guest gopt = {0};
    _cleanup_(cli_parser_clear) cli_parser ps = {
            .g = g, .cmd = "xml", .help = help, .options = longopts, .policy = &p, .guest = &gopt};
    _cleanup_(cli_guest_plan_clear) cli_guest_plan plan = {0};
    _cleanup_(vpmu_domxml_freep) vpmu_domxml *doc = NULL;
    _cleanup_free_ char *out = NULL;
    vpmu_conn *conn = NULL;
    const char *domain = NULL, *name = NULL;
    bool in_place = false, no_reboot = false, dry_run = false;
    unsigned replace_flags = 0;
    vpmu_error *err = NULL;
    size_t len = 0;
    int c, r;

    while ((c = cli_next_option(&ps, argc, argv)) > 0) {
        switch (c) {
        case OPT_DOMAIN:
            domain = optarg;
            break;
        case OPT_IN_PLACE:
            in_place = true;
            break;
        case OPT_BREAK_HARDLINKS:
            replace_flags |= VPMU_REPLACE_BREAK_HARDLINKS;
            break;
        case OPT_DRY_RUN:
            dry_run = true;
            break;
        case OPT_NAME:
            name = optarg;
            break;
        case OPT_NO_REBOOT:
            no_reboot = true;
            break;
        }
    }
    if (c == CLI_OPTS_EXIT)
        return ps.status;
    if (in_place && (!domain || STREQ(domain, "-")))
        return cli_usage("xml", "--in-place needs --domain FILE (not stdin)");
    if (dry_run && !in_place)
        return cli_usage("xml", "--dry-run goes with --in-place (without it, xml changes nothing)");
    if (replace_flags && !in_place)
        return cli_usage("xml", "--break-hardlinks goes only with --in-place");
    if (domain && (ps.guest_given || name || no_reboot))
        return cli_usage("xml", "guest options build a new guest; they do not go with --domain");
    if (g->output == CLI_OUTPUT_JSON)
        return cli_usage("xml", "'xml' prints XML; -o json is not supported");
    if ((r = cli_guest_check(&gopt, "xml")) != CLI_EXIT_OK)
        return r;
    if (domain && p.image_path && STREQ(domain, "-") && STREQ(p.image_path, "-"))
        return cli_usage("xml", "--domain and --image cannot both read stdin");
    if (domain && p.flavor_path && STREQ(domain, "-") && STREQ(p.flavor_path, "-"))
        return cli_usage("xml", "--domain and --flavor cannot both read stdin");

    /* Decide first: a conflict or a bad value never gets as far as XML. */
    if (cli_policy_resolve(&p, &err) < 0)
        return cli_fail(err);
    if (domain)
        return edit(domain, in_place, dry_run, replace_flags, p.decision.pmu);

    /* Connection-free unless -c or $LIBVIRT_DEFAULT_URI names a connection for the defaults. */
    if (cli_guest_plan_make(g, &gopt, &p, name, no_reboot, cli_uri_named(g) ? &conn : NULL, &plan,
                            &err) < 0)
        goto fail;
    doc = vpmu_domxml_build(&plan.spec, &err);
    if (!doc || vpmu_domxml_format(doc, &out, &len, &err) < 0)
        goto fail;
    if (conn)
        VIRT(vpmu_conn_close)(conn);
    return write_out(out, len);

fail:
    if (conn)
        VIRT(vpmu_conn_close)(conn);
    return cli_fail(err);
}

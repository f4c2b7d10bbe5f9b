/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vpmu explain: the vPMU a guest will really get on this host, with the
 * reasons.  The rules are explain.c's (docs/host-and-explain.md "The
 * rules"); this file only gathers the inputs:
 *
 *  - decision: the policy inputs; with --domain and no policy input, the
 *    domain's own <pmu> setting;
 *  - guest: --arch/--virt-type/--cpu-mode/--cpu-model, else the domain's,
 *    else defaults (below);
 *  - host: probed under --host-root (default /); unknown when -c names a
 *    remote machine and no --host-root is given;
 *  - QEMU version: --qemu-version, else the connection's when -c or --domain
 *    opened one and its driver is QEMU, else unknown.
 *
 * Defaults without --domain: arch from --arch, the image's hw_architecture,
 * then the host; virt type from the connection when -c is given (kvm when it
 * offers it for the arch), else kvm when the probed host has /dev/kvm and the
 * same arch, else qemu; aarch64 without a CPU gets host-passthrough under kvm
 * and maximum under qemu, as `xml` and `boot` build it.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "arch.h"
#include "cli.h"
#include "virtload.h"
#include "vpmu/explain.h"
#include "vpmu/hostcaps.h"

enum {
    OPT_HOST_ROOT = CLI_OPT_COMMAND_BASE,
    OPT_QEMU_VERSION,
    OPT_DOMAIN,
};

static void
help(void)
{
    printf("Usage: vpmu [-c URI] explain [POLICY OPTIONS] [GUEST OPTIONS] [--domain NAME]\n"
           "                          [--host-root DIR] [--qemu-version X.Y.Z]\n"
           "\n"
           "Tell the vPMU a guest will really get: on, off, partial (AMD: off is only\n"
           "partly off with QEMU older than 11), refused (ppc64 cannot be turned off) or\n"
           "unknown, with the rule and the reasons.  It depends on the decision, arch,\n"
           "virt type, CPU mode and model, the host's PMU, kvm.enable_pmu, CPU vendor and\n"
           "QEMU version.\n"
           "\n"
           "  --domain NAME          explain an existing domain of the connection; its <pmu>\n"
           "                         is the decision unless policy inputs are given\n"
           "  --host-root DIR        probe the host under DIR (default: /)\n"
           "  --qemu-version X.Y.Z   the QEMU version: 11, 7.2 or 7.2.0 (default: the connection's with -c or\n"
           "                         --domain, else unknown)\n"
           "\n"
           "%s\n%s"
           "%s"
           "  -h, --help             show this help\n"
           "\n"
           "Defaults: arch from the image's hw_architecture, else the host's; virt type kvm\n"
           "when the connection (-c) offers it, or without -c when the host has /dev/kvm,\n"
           "else qemu.  Exit status: 0 whatever the effective state; 1 runtime failure,\n"
           "2 usage, 3 invalid input, 4 flavor/image conflict.\n",
           cli_policy_help, cli_guest_help, cli_timeout_help);
}

typedef struct {
    vpmu_conn *conn;
    vpmu_domain_info info;
    char *owned[4];
    size_t n_owned;
    strv notes;
} explain_ctx;

static void
explain_ctx_clear(explain_ctx *x)
{
    if (x->conn)
        VIRT(vpmu_conn_close)(x->conn);
    vpmu_domain_info_clear(&x->info);
    for (size_t i = 0; i < x->n_owned; i++)
        free(x->owned[i]);
    strv_clear(&x->notes);
}

static const char *
keep(explain_ctx *x, char *s)
{
    if (s && x->n_owned < ELEMENTSOF(x->owned))
        x->owned[x->n_owned++] = s;
    return s;
}

static int
load_domain(const cli_global *g, explain_ctx *x, const char *name, vpmu_error **error)
{
    _cleanup_free_ char *xml = NULL;
    _cleanup_(vpmu_domxml_freep) vpmu_domxml *doc = NULL;

    if (cli_virt_connect(g, &x->conn, error) < 0)
        return -1;
    /* The live definition when it runs: that is what the guest has now. */
    xml = VIRT(vpmu_domain_get_xml)(x->conn, name, false, error);
    if (!xml)
        return -1;
    doc = vpmu_domxml_parse_flags(xml, strlen(xml), name, 0, error);
    if (!doc)
        return -1;
    return vpmu_domxml_get_info(doc, &x->info, error);
}

int
cmd_explain(cli_global *g, int argc, char **argv)
{
    static const struct option longopts[] = {
            {"host-root", required_argument, NULL, OPT_HOST_ROOT},
            {"qemu-version", required_argument, NULL, OPT_QEMU_VERSION},
            {"domain", required_argument, NULL, OPT_DOMAIN},
            {NULL, 0, NULL, 0},
    };
    _cleanup_(cli_policy_clear) cli_policy p = {0};
    cli_guest gopt = {0};
    _cleanup_(cli_parser_clear) cli_parser ps = {.g = g,
                                                 .cmd = "explain",
                                                 .help = help,
                                                 .options = longopts,
                                                 .policy = &p,
                                                 .guest = &gopt};
    _cleanup_(explain_ctx_clear) explain_ctx x = {0};
    _cleanup_(vpmu_hostcaps_freep) vpmu_hostcaps *host = NULL;
    _cleanup_(vpmu_explanation_freep) vpmu_explanation *ex = NULL;
    const char *root = NULL, *qemu = NULL, *domain = NULL;
    const char *arch, *virt_type, *cpu_mode, *cpu_model;
    const char *decision_from;
    const char *named; /* -c or $LIBVIRT_DEFAULT_URI */
    char vbuf[32];
    vpmu_explain_input in = {0};
    vpmu_error *err = NULL;
    bool from_policy;
    int c;

    while ((c = cli_next_option(&ps, argc, argv)) > 0) {
        switch (c) {
        case OPT_HOST_ROOT:
            root = optarg;
            break;
        case OPT_QEMU_VERSION:
            qemu = optarg;
            break;
        case OPT_DOMAIN:
            domain = optarg;
            break;
        }
    }
    if (c == CLI_OPTS_EXIT)
        return ps.status;
    /* Once every option is read: -c may follow the command name. */
    named = cli_uri_named(g);
    if (qemu && vpmu_version_parse(qemu, &in.qemu_version) < 0)
        return cli_usage("explain", "invalid --qemu-version '%s'; use X[.Y[.Z]], e.g. 7.2.0 or 11",
                         cli_e(qemu));
    if (root && !*root)
        return cli_usage("explain", "--host-root needs a directory");
    if (gopt.cpu_model && gopt.cpu_mode && !STREQ(gopt.cpu_mode, "custom"))
        return cli_usage("explain", "--cpu-model implies --cpu-mode custom, not '%s'",
                         cli_e(gopt.cpu_mode));

    /* The decision. */
    from_policy = !domain || cli_policy_given(&p);
    if (from_policy && cli_policy_resolve(&p, &err) < 0)
        return cli_fail(err);
    if (domain && load_domain(g, &x, domain, &err) < 0)
        return cli_fail(err);
    in.decision = from_policy ? p.decision.pmu : x.info.pmu;
    decision_from = from_policy ? vpmu_source_to_string(p.decision.source) : "the domain's <pmu>";

    /* The host: --host-root, else / unless the connection is another machine. */
    if (root || !(named && cli_uri_is_remote(named))) {
        host = vpmu_hostcaps_probe(root, &err);
        if (!host)
            return cli_fail(err);
    } else {
        strv_pushf(&x.notes,
                   "host: unknown (the connection '%s' is another machine; use "
                   "--host-root to give its tree)",
                   cli_e_uri(named));
    }

    /* The guest. */
    arch = gopt.arch ? gopt.arch : x.info.arch;
    if (!arch && from_policy && vpmu_image_get_prop(p.image, "hw_architecture")) {
        arch = vpmu_image_get_prop(p.image, "hw_architecture");
        strv_pushf(&x.notes, "arch: %s (the image's hw_architecture)", arch);
    }
    if (!arch && host && vpmu_hostcaps_get_arch(host)) {
        arch = vpmu_hostcaps_get_arch(host);
        strv_pushf(&x.notes, "arch: %s (the host's)", arch);
    }
    if (!arch && named) {
        if (cli_virt_connect(g, &x.conn, &err) < 0)
            return cli_fail(err);
        arch = keep(&x, VIRT(vpmu_conn_get_host_arch)(x.conn, &err));
        if (!arch)
            return cli_fail(err);
        strv_pushf(&x.notes, "arch: %s (the connection's host)", arch);
    }

    virt_type = gopt.virt_type ? gopt.virt_type : x.info.virt_type;
    if (!virt_type && arch && named) {
        if (cli_virt_connect(g, &x.conn, &err) < 0)
            return cli_fail(err);
        virt_type = keep(&x, VIRT(vpmu_conn_default_virt_type)(x.conn, arch, &err));
        if (!virt_type)
            return cli_fail(err);
        strv_pushf(&x.notes, "virt type: %s (what the connection offers for %s)", virt_type, arch);
    } else if (!virt_type && arch && host) {
        bool kvm = vpmu_hostcaps_has_dev_kvm(host) &&
                   vpmu_arch_same_family(arch, vpmu_hostcaps_get_arch(host));
        virt_type = kvm ? "kvm" : "qemu";
        strv_pushf(&x.notes, "virt type: %s (%s)", virt_type,
                   kvm ? "the host has /dev/kvm for this arch"
                       : "the host has no /dev/kvm for this arch");
    }

    cpu_mode = gopt.cpu_mode;
    cpu_model = gopt.cpu_model;
    if (!cpu_mode && !cpu_model && domain) {
        cpu_mode = x.info.cpu_mode;
        cpu_model = x.info.cpu_model;
    }
    if (!cpu_mode && cpu_model)
        cpu_mode = "custom";
    if (!domain && !cpu_mode && (cpu_mode = cli_guest_default_cpu_mode(arch, virt_type)))
        strv_pushf(&x.notes, "cpu mode: %s (as 'xml' and 'boot' build an aarch64 guest)", cpu_mode);

    /* The QEMU version: given, else from a connection that is open anyway or was named. */
    if (!qemu && (named || x.conn)) {
        unsigned long hv = 0;
        const char *driver;
        if (cli_virt_connect(g, &x.conn, &err) < 0)
            return cli_fail(err);
        driver = VIRT(vpmu_conn_get_driver)(x.conn);
        if (driver && STREQ(driver, "QEMU") &&
            VIRT(vpmu_conn_get_versions)(x.conn, NULL, &hv, &err) < 0)
            return cli_fail(err);
        in.qemu_version = hv;
    }

    in.arch = arch;
    in.virt_type = virt_type;
    in.cpu_mode = cpu_mode;
    in.cpu_model = cpu_model;
    in.host = host;
    ex = vpmu_explain(&in);

    if (g->output == CLI_OUTPUT_JSON) {
        json_t *o = json_object();
        json_t *e = cli_explanation_json(ex);
        json_t *notes = json_array();

        if (from_policy) {
            json_object_set_new(o, "decision", cli_decision_json(&p));
        } else {
            json_object_set_new(o, "decision",
                                json_pack("{s:s, s:s}", "pmu", vpmu_pmu_to_string(in.decision),
                                          "source", "domain"));
        }
        json_object_set_new(o, "domain", cli_json_string(domain));
        json_object_set_new(o, "guest",
                            json_pack("{s:o, s:o, s:o, s:o}", "arch", cli_json_string(arch),
                                      "virt_type", cli_json_string(virt_type), "cpu_mode",
                                      cli_json_string(cpu_mode), "cpu_model",
                                      cli_json_string(cpu_model)));
        json_object_set_new(
                o, "host",
                host ? json_pack("{s:o, s:o, s:s, s:s}", "root",
                                 cli_json_string(vpmu_hostcaps_get_root(host)), "arch",
                                 cli_json_string(vpmu_hostcaps_get_arch(host)), "vendor",
                                 vpmu_cpu_vendor_to_string(vpmu_hostcaps_get_vendor(host)),
                                 "verdict",
                                 vpmu_host_verdict_to_string(vpmu_hostcaps_get_verdict(host)))
                     : json_null());
        json_object_set_new(o, "qemu_version",
                            in.qemu_version ? json_string(vpmu_version_format(in.qemu_version, vbuf,
                                                                              sizeof(vbuf)))
                                            : json_null());
        json_object_update(o, e);
        json_decref(e);
        for (size_t i = 0; i < x.notes.n; i++)
            json_array_append_new(notes, cli_json_string(x.notes.v[i]));
        json_object_set_new(o, "notes", notes);
        return cli_print_json(o);
    }

    /* Names and values from the user, the domain's XML and the host's files: quoted. */
    if (domain)
        printf("domain: %s\n", cli_e(domain));
    printf("decision: %s (%s)\n", vpmu_pmu_to_string(in.decision), decision_from);
    printf("guest: arch %s, virt type %s, cpu %s%s%s\n", arch ? cli_e(arch) : "unknown",
           virt_type ? cli_e(virt_type) : "unknown", cpu_mode ? cli_e(cpu_mode) : "none (no <cpu>)",
           cpu_model ? " " : "", cpu_model ? cli_e(cpu_model) : "");
    if (host)
        printf("host: %s (%s, %s, vPMU verdict %s)\n", cli_e(vpmu_hostcaps_get_root(host)),
               vpmu_hostcaps_get_arch(host) ? cli_e(vpmu_hostcaps_get_arch(host)) : "arch unknown",
               vpmu_cpu_vendor_to_string(vpmu_hostcaps_get_vendor(host)),
               vpmu_host_verdict_to_string(vpmu_hostcaps_get_verdict(host)));
    else
        printf("host: unknown\n");
    printf("qemu: %s\n",
           in.qemu_version ? vpmu_version_format(in.qemu_version, vbuf, sizeof(vbuf)) : "unknown");
    for (size_t i = 0; i < x.notes.n; i++)
        printf("note: %s\n", cli_e(x.notes.v[i]));
    cli_explanation_print_text(ex, stdout);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "vpmu: cannot write to standard output\n");
        return CLI_EXIT_RUNTIME;
    }
    return CLI_EXIT_OK;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vpmu host: can a guest on this host get a vPMU?  Probes /proc and /sys
 * (relative to --host-root), prints the evidence, the verdict with its
 * reasons and the trait; with -c also the libvirt and hypervisor versions;
 * with --placement reports the trait (placement-cli.c).
 *
 * The exit status does not depend on a verdict yes, no or partial: 0
 * whenever the probe ran.  Verdict unknown (no evidence under the root) is
 * exit 1, and Placement is then left as it is.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "virtload.h"
#include "vpmu/explain.h"
#include "vpmu/hostcaps.h"

enum {
    OPT_HOST_ROOT = CLI_OPT_COMMAND_BASE,
    OPT_PLACEMENT,
    OPT_PROVIDER,
    OPT_TOKEN,
    OPT_REPORT,
    OPT_PROVIDER_NAME,
};

static void
help(void)
{
    printf("Usage: vpmu [-c URI] host [--host-root DIR]\n"
           "                 [--report [--placement URL] [--provider UUID | --provider-name NAME]\n"
           "                  [--token T]]\n"
           "\n"
           "Probe whether guests on this host can get a vPMU: arch and CPU vendor, host PMU\n"
           "evidence (the 'cpu' or armv8_pmuv3 event source, cpuinfo flags arch_perfmon,\n"
           "pdcm, perfctr_core, perfmon_v2), /dev/kvm and kvm.enable_pmu.  Ends with a\n"
           "verdict (yes, no, partial, or unknown when DIR holds no evidence) and its\n"
           "reasons, the vPMU kind (mediated, emulated, none, unknown: x86 reads\n"
           "kvm_intel/kvm_amd enable_mediated_pmu, Linux 7.0+, and the CPU requirement the\n"
           "kernel states), and the traits the host carries: %s (only\n"
           "with yes) and %s (kind mediated).\n"
           "With -c, also the libvirt and hypervisor versions of that connection.\n"
           "Every read stays inside DIR (symbolic links resolve as if DIR were /); only\n"
           "regular files are read.\n"
           "\n"
           "With --report, report the traits to Placement: set CUSTOM_COMPUTE_VPMU on this\n"
           "compute node's resource provider when the verdict is yes, remove it when no or\n"
           "partial, and CUSTOM_COMPUTE_VPMU_MEDIATED the same way for kind mediated; other\n"
           "traits are kept; with verdict unknown Placement is not contacted.  Placement is\n"
           "found in the service catalog of the cloud (--os-cloud NAME or $OS_CLOUD from\n"
           "clouds.yaml, else the OS_* variables), authenticated through Keystone.  The\n"
           "provider is the one named after libvirt's hostname of the -c connection (as\n"
           "Nova names it), found with GET /resource_providers?name=.\n"
           "\n"
           "  --host-root DIR        read /proc, /sys and /dev under DIR (default: /)\n"
           "  --report               report the trait to Placement (see above)\n"
           "  --placement URL        Placement's endpoint instead of the catalog's (e.g.\n"
           "                         http://127.0.0.1:8778); implies --report\n"
           "  --provider UUID        the resource provider, instead of the one by name\n"
           "  --provider-name NAME   the provider's name (default: libvirt's hostname)\n"
           "  --token T              a token for Placement, without Keystone (needs\n"
           "                         --placement; default with --placement and no cloud:\n"
           "                         $OS_TOKEN)\n"
           "%s"
           "  -h, --help             show this help\n"
           "\n"
           "Exit status: 0 with verdict yes, no or partial; 1 with verdict unknown, when DIR\n"
           "cannot be read, the connection fails or does not answer within --timeout,\n"
           "authentication fails, no provider has the name, or Placement fails; 2 usage\n"
           "error.\n",
           VPMU_TRAIT, VPMU_HOST_TRAIT_MEDIATED, cli_timeout_help);
}

static json_t *
strv_json(const char *const *v)
{
    json_t *a = json_array();

    for (; *v; v++)
        json_array_append_new(a, cli_json_string(*v));
    return a;
}

static json_t *
string_or_null(const char *s)
{
    return s && *s ? cli_json_string(s) : json_null();
}

typedef struct {
    bool have; /* -c was given and the versions were read */
    const char *uri;
    const char *driver;
    char libvirt[32];
    char hypervisor[32]; /* "" when unknown */
} conn_versions;

static int
read_versions(const cli_global *g, vpmu_conn **conn, conn_versions *cv, vpmu_error **error)
{
    unsigned long lv = 0, hv = 0;

    if (cli_virt_connect(g, conn, error) < 0)
        return -1;
    if (VIRT(vpmu_conn_get_versions)(*conn, &lv, &hv, error) < 0)
        return -1;
    cv->have = true;
    cv->uri = VIRT(vpmu_conn_get_uri)(*conn);
    cv->driver = VIRT(vpmu_conn_get_driver)(*conn);
    vpmu_version_format(lv, cv->libvirt, sizeof(cv->libvirt));
    if (hv)
        vpmu_version_format(hv, cv->hypervisor, sizeof(cv->hypervisor));
    return 0;
}

/* {"kind","reasons","kvm_module","enable_mediated_pmu","mediated_requirement",...} */
static json_t *
kind_json(const vpmu_hostcaps *c)
{
    const char *req_text = NULL;
    vpmu_mediated_req req = vpmu_hostcaps_get_mediated_requirement(c, &req_text);
    vpmu_host_param mp = vpmu_hostcaps_get_enable_mediated_pmu(c);
    unsigned ver = vpmu_hostcaps_get_arch_pmu_version(c);

    return json_pack(
            "{s:s, s:o, s:o, s:o, s:{s:s, s:o}, s:o}", "kind",
            vpmu_kind_to_string(vpmu_hostcaps_get_kind(c)), "reasons",
            strv_json(vpmu_hostcaps_get_kind_reasons(c, NULL)), "kvm_module",
            string_or_null(vpmu_hostcaps_get_kvm_module(c)), "enable_mediated_pmu",
            mp == VPMU_PARAM_ABSENT ? json_null() : json_string(vpmu_host_param_to_string(mp)),
            "mediated_requirement", "state", vpmu_mediated_req_to_string(req), "evidence",
            string_or_null(req_text), "arch_pmu_version", ver ? json_integer(ver) : json_null());
}

static json_t *
host_json(const vpmu_hostcaps *c, const conn_versions *cv)
{
    const vpmu_cpuinfo *ci = vpmu_hostcaps_get_cpuinfo(c);
    json_t *cpu, *evidence, *kvm, *traits, *o;
    vpmu_host_param ep = vpmu_hostcaps_get_enable_pmu(c);

    cpu = json_pack("{s:s, s:o, s:o, s:o}", "vendor",
                    vpmu_cpu_vendor_to_string(vpmu_hostcaps_get_vendor(c)), "vendor_id",
                    string_or_null(ci->vendor_id), "model_name", string_or_null(ci->model_name),
                    "implementer",
                    ci->has_implementer ? json_integer((json_int_t)ci->implementer) : json_null());
    evidence = json_pack("{s:b, s:o, s:{s:b, s:b, s:b, s:b}, s:o}", "cpu_event_source",
                         vpmu_hostcaps_has_cpu_event_source(c), "arm_pmu",
                         string_or_null(vpmu_hostcaps_get_arm_pmu(c)), "cpuinfo_flags",
                         "arch_perfmon", ci->arch_perfmon, "pdcm", ci->pdcm, "perfctr_core",
                         ci->perfctr_core, "perfmon_v2", ci->perfmon_v2, "event_sources",
                         strv_json(vpmu_hostcaps_get_event_sources(c, NULL)));
    json_object_set_new(evidence, "event_source_total",
                        json_integer((json_int_t)vpmu_hostcaps_get_event_source_total(c)));
    json_object_set_new(evidence, "confinement", string_or_null(vpmu_hostcaps_get_resolver(c)));
    kvm = json_pack("{s:b, s:o}", "dev_kvm", vpmu_hostcaps_has_dev_kvm(c), "enable_pmu",
                    ep == VPMU_PARAM_ABSENT ? json_null()
                                            : json_string(vpmu_host_param_to_string(ep)));
    traits = json_array();
    if (vpmu_hostcaps_has_trait(c))
        json_array_append_new(traits, json_string(VPMU_TRAIT));
    if (vpmu_hostcaps_has_mediated_trait(c))
        json_array_append_new(traits, json_string(VPMU_HOST_TRAIT_MEDIATED));

    o = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "root",
                  cli_json_string(vpmu_hostcaps_get_root(c)), "arch",
                  string_or_null(vpmu_hostcaps_get_arch(c)), "arch_source",
                  string_or_null(vpmu_hostcaps_get_arch_source(c)), "cpu", cpu, "pmu_evidence",
                  evidence, "kvm", kvm);
    if (cv->have)
        json_object_set_new(o, "connection",
                            json_pack("{s:o, s:o, s:s, s:o}", "uri",
                                      cli_json_string(cli_uri_masked(cv->uri)), "driver",
                                      string_or_null(cv->driver), "libvirt_version", cv->libvirt,
                                      "hypervisor_version", string_or_null(cv->hypervisor)));
    json_object_set_new(o, "verdict",
                        json_string(vpmu_host_verdict_to_string(vpmu_hostcaps_get_verdict(c))));
    json_object_set_new(o, "reasons", strv_json(vpmu_hostcaps_get_reasons(c, NULL)));
    json_object_set_new(o, "notes", strv_json(vpmu_hostcaps_get_notes(c, NULL)));
    json_object_set_new(o, "vpmu", kind_json(c));
    json_object_set_new(o, "traits", traits);
    return o;
}

static const char *
yes_no(bool b)
{
    return b ? "yes" : "no";
}

static void
host_text(const vpmu_hostcaps *c, const conn_versions *cv, FILE *out)
{
    const vpmu_cpuinfo *ci = vpmu_hostcaps_get_cpuinfo(c);
    const char *arch = vpmu_hostcaps_get_arch(c);
    const char *arm_pmu = vpmu_hostcaps_get_arm_pmu(c);
    const char *const *v;
    size_t n = 0;
    vpmu_host_param ep = vpmu_hostcaps_get_enable_pmu(c);

    /* The root is the user's; the rest is read from files under it: all quoted. */
    fprintf(out, "host root: %s\n", cli_e(vpmu_hostcaps_get_root(c)));
    if (arch)
        fprintf(out, "arch: %s (from %s)\n", cli_e(arch), cli_e(vpmu_hostcaps_get_arch_source(c)));
    else
        fprintf(out, "arch: unknown\n");
    fprintf(out, "cpu vendor: %s", vpmu_cpu_vendor_to_string(vpmu_hostcaps_get_vendor(c)));
    if (ci->vendor_id[0])
        fprintf(out, " (%s)", cli_e(ci->vendor_id));
    else if (ci->has_implementer)
        fprintf(out, " (implementer 0x%02lx)", ci->implementer);
    fputc('\n', out);
    if (ci->model_name[0])
        fprintf(out, "cpu model: %s\n", cli_e(ci->model_name));
    fprintf(out, "pmu evidence:\n");
    fprintf(out, "  cpu event source: %s\n", yes_no(vpmu_hostcaps_has_cpu_event_source(c)));
    fprintf(out, "  arm pmu event source: %s\n", arm_pmu ? cli_e(arm_pmu) : "none");
    fprintf(out, "  cpuinfo flags: arch_perfmon=%s pdcm=%s perfctr_core=%s perfmon_v2=%s\n",
            yes_no(ci->arch_perfmon), yes_no(ci->pdcm), yes_no(ci->perfctr_core),
            yes_no(ci->perfmon_v2));
    fprintf(out, "  event sources:");
    v = vpmu_hostcaps_get_event_sources(c, &n);
    if (!*v)
        fprintf(out, " none");
    for (; *v; v++) {
        _cleanup_free_ char *q = quote_for_message(*v, 256);
        fprintf(out, " %s", q);
    }
    if (vpmu_hostcaps_get_event_source_total(c) > n)
        fprintf(out, " (and %zu more)", vpmu_hostcaps_get_event_source_total(c) - n);
    fputc('\n', out);
    fprintf(out, "kvm:\n");
    fprintf(out, "  /dev/kvm: %s\n", yes_no(vpmu_hostcaps_has_dev_kvm(c)));
    fprintf(out, "  kvm.enable_pmu: %s\n", vpmu_host_param_to_string(ep));
    if (vpmu_hostcaps_get_kvm_module(c))
        fprintf(out, "  %s.enable_mediated_pmu: %s\n", cli_e(vpmu_hostcaps_get_kvm_module(c)),
                vpmu_host_param_to_string(vpmu_hostcaps_get_enable_mediated_pmu(c)));
    if (cv->have) {
        fprintf(out, "connection: %s (driver %s)\n", cli_e_uri(cv->uri),
                cv->driver ? cli_e(cv->driver) : "?");
        fprintf(out, "  libvirt: %s\n", cv->libvirt);
        fprintf(out, "  %s: %s\n", cv->driver && STREQ(cv->driver, "QEMU") ? "qemu" : "hypervisor",
                cv->hypervisor[0] ? cv->hypervisor : "unknown");
    }
    fprintf(out, "verdict: %s\n", vpmu_host_verdict_to_string(vpmu_hostcaps_get_verdict(c)));
    for (v = vpmu_hostcaps_get_reasons(c, NULL); *v; v++)
        fprintf(out, "reason: %s\n", cli_e(*v));
    for (v = vpmu_hostcaps_get_notes(c, NULL); *v; v++) {
        _cleanup_free_ char *q = quote_for_message(*v, 1024);
        fprintf(out, "note: %s\n", q);
    }
    fprintf(out, "vpmu kind: %s\n", vpmu_kind_to_string(vpmu_hostcaps_get_kind(c)));
    for (v = vpmu_hostcaps_get_kind_reasons(c, NULL); *v; v++)
        fprintf(out, "kind reason: %s\n", cli_e(*v));
    fprintf(out, "trait %s: %s\n", VPMU_TRAIT, vpmu_hostcaps_has_trait(c) ? "set" : "not set");
    fprintf(out, "trait %s: %s\n", VPMU_HOST_TRAIT_MEDIATED,
            vpmu_hostcaps_has_mediated_trait(c) ? "set" : "not set");
}

/* Verdict unknown: say why on stderr, touch nothing, exit 1. */
static int
host_unknown(const vpmu_hostcaps *c, bool report)
{
    _cleanup_free_ char *root = quote_for_message(vpmu_hostcaps_get_root(c), 256);
    const char *const *r = vpmu_hostcaps_get_reasons(c, NULL);

    fprintf(stderr, "vpmu: host verdict unknown under '%s': %s\n", root,
            *r ? cli_e(*r) : "no evidence");
    if (report)
        fprintf(stderr, "vpmu: Placement left unchanged (verdict unknown)\n");
    return CLI_EXIT_RUNTIME;
}

int
cmd_host(cli_global *g, int argc, char **argv)
{
    static const struct option longopts[] = {
            {"host-root", required_argument, NULL, OPT_HOST_ROOT},
            {"placement", required_argument, NULL, OPT_PLACEMENT},
            {"provider", required_argument, NULL, OPT_PROVIDER},
            {"token", required_argument, NULL, OPT_TOKEN},
            {"report", no_argument, NULL, OPT_REPORT},
            {"provider-name", required_argument, NULL, OPT_PROVIDER_NAME},
            {NULL, 0, NULL, 0},
    };
    _cleanup_(cli_parser_clear)
            cli_parser ps = {.g = g, .cmd = "host", .help = help, .options = longopts};
    _cleanup_(vpmu_hostcaps_freep) vpmu_hostcaps *caps = NULL;
    const char *root = NULL;
    cli_report rep = {0};
    bool report = false;
    conn_versions cv = {0};
    vpmu_conn *conn = NULL;
    vpmu_error *err = NULL;
    bool unknown;
    int c, r;

    while ((c = cli_next_option(&ps, argc, argv)) > 0) {
        switch (c) {
        case OPT_HOST_ROOT:
            root = optarg;
            break;
        case OPT_PLACEMENT:
            rep.url = optarg;
            report = true; /* the older spelling of --report --placement URL */
            break;
        case OPT_PROVIDER:
            rep.provider = optarg;
            break;
        case OPT_PROVIDER_NAME:
            rep.provider_name = optarg;
            break;
        case OPT_TOKEN:
            rep.token = optarg;
            break;
        case OPT_REPORT:
            report = true;
            break;
        }
    }
    if (c == CLI_OPTS_EXIT)
        return ps.status;
    if (rep.provider && rep.provider_name)
        return cli_usage("host", "--provider and --provider-name exclude each other");
    if ((rep.provider || rep.provider_name) && !report)
        return cli_usage("host", "--%s needs --report",
                         rep.provider ? "provider" : "provider-name");
    if (rep.token && !rep.url)
        return cli_usage("host", "--token needs --placement URL");
    if (rep.provider_name && !*rep.provider_name)
        return cli_usage("host", "--provider-name needs a name");
    if (root && !*root)
        return cli_usage("host", "--host-root needs a directory");

    caps = vpmu_hostcaps_probe(root, &err);
    if (!caps)
        return cli_fail(err);

    /* Versions only when the user named a connection: the default is the test driver. */
    if (g->uri) {
        r = read_versions(g, &conn, &cv, &err);
        if (r < 0) {
            if (conn)
                VIRT(vpmu_conn_close)(conn);
            return cli_fail(err);
        }
    }

    unknown = vpmu_hostcaps_get_verdict(caps) == VPMU_HOST_UNKNOWN;
    if (g->output == CLI_OUTPUT_JSON) {
        json_t *o = host_json(caps, &cv);
        if (unknown) {
            if (conn)
                VIRT(vpmu_conn_close)(conn);
            r = cli_print_json(o);
            return r != CLI_EXIT_OK ? r : host_unknown(caps, report);
        }
        if (report) {
            json_t *pj = NULL;
            r = cli_host_placement_json(g, &rep, &conn, vpmu_hostcaps_has_trait(caps),
                                        vpmu_hostcaps_has_mediated_trait(caps), &pj, &err);
            if (conn)
                VIRT(vpmu_conn_close)(conn);
            if (r < 0) {
                json_decref(o);
                return cli_fail(err);
            }
            json_object_set_new(o, "placement", pj);
        } else if (conn) {
            VIRT(vpmu_conn_close)(conn);
        }
        return cli_print_json(o);
    }

    host_text(caps, &cv, stdout);
    if (fflush(stdout) != 0) {
        if (conn)
            VIRT(vpmu_conn_close)(conn);
        fprintf(stderr, "vpmu: cannot write to standard output\n");
        return CLI_EXIT_RUNTIME;
    }
    r = CLI_EXIT_OK;
    if (unknown)
        r = host_unknown(caps, report);
    else if (report)
        r = cli_host_report_placement(g, &rep, &conn, vpmu_hostcaps_has_trait(caps),
                                      vpmu_hostcaps_has_mediated_trait(caps));
    if (conn)
        VIRT(vpmu_conn_close)(conn);
    return r;
}

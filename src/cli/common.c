/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared CLI plumbing: error printing, the policy and guest option groups. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "cli.h"
#include "cloud-cli.h"
#include "virtload.h"
#include "vpmu/virt.h"

const char cli_policy_help[] =
        "Policy inputs:\n"
        "  --flavor FILE|-        flavor JSON (Nova API or 'openstack flavor show -f json')\n"
        "  --image FILE|-         image JSON (Glance v2 or 'openstack image show -f json')\n"
        "  --flavor-spec KEY=VAL  a flavor extra spec, e.g. hw:pmu=false (repeatable)\n"
        "  --image-prop KEY=VAL   an image property, e.g. hw_pmu=true (repeatable)\n"
        "  --flavor-name NAME     the flavor's name (for messages and the guest)\n"
        "  --image-name NAME      the image's name\n"
        "  --flavor-id ID|NAME    read the flavor from Nova (clouds.yaml --os-cloud or OS_*)\n"
        "  --image-id ID|NAME     read the image from Glance\n"
        "  --strict               a key that is a near miss of hw:pmu / hw_pmu (hw_pmu in a\n"
        "                         flavor, HW:PMU, hw-pmu, ...) is an error (exit 3), not a\n"
        "                         warning\n";

const char cli_guest_help[] =
        "Guest options:\n"
        "  --arch ARCH            x86_64 or aarch64 (default: image hw_architecture, else host)\n"
        "  --virt-type TYPE       kvm or qemu (default: kvm when the connection offers it;\n"
        "                         xml without -c: when /dev/kvm can be opened)\n"
        "  --cpu-mode MODE        host-passthrough, host-model, maximum (QEMU's -cpu max) or\n"
        "                         custom\n"
        "  --cpu-model NAME       a named CPU model (implies --cpu-mode custom)\n"
        "  --disk FILE            boot from this disk image\n"
        "  --kernel FILE          direct kernel boot (with --initrd, --cmdline)\n"
        "  --initrd FILE          initramfs for --kernel\n"
        "  --cmdline STR          kernel command line for --kernel\n"
        "  --serial-log FILE      write the serial console to FILE\n"
        "  --emulator PATH        the QEMU binary (default: the connection's for the arch)\n";

const char *cli_command_name;

/*
 * "vpmu: PREFIX" and the message on one line of stderr.  Each value in a
 * message is quoted where it is put in; the whole line goes through
 * quote_for_message() once more, so that no control byte reaches the
 * terminal even from a value that was missed (quoting twice changes nothing:
 * its output has no byte it would quote).
 */
static void print_message(const char *prefix, const char *fmt, va_list ap)
        __attribute__((format(printf, 2, 0)));
static void
print_message(const char *prefix, const char *fmt, va_list ap)
{
    _cleanup_free_ char *msg = xvasprintf(fmt, ap);
    _cleanup_free_ char *q = quote_for_message(msg, SIZE_MAX);

    fprintf(stderr, "vpmu: %s%s\n", prefix, q);
}

static void print_messagef(const char *prefix, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static void
print_messagef(const char *prefix, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    print_message(prefix, fmt, ap);
    va_end(ap);
}

int
cli_fail(vpmu_error *err)
{
    int code = (int)vpmu_error_get_code(err);

    print_messagef("", "%s", vpmu_error_get_message(err));
    vpmu_error_free(err);
    /* Every usage error, the library's too, ends with the same hint. */
    if (code == CLI_EXIT_USAGE) {
        if (cli_command_name)
            fprintf(stderr, "Try 'vpmu %s --help'.\n", cli_command_name);
        else
            fputs("Try 'vpmu --help'.\n", stderr);
    }
    if (code < CLI_EXIT_RUNTIME || code > CLI_EXIT_CONFLICT)
        code = CLI_EXIT_RUNTIME;
    return code;
}

int
cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    print_message("", fmt, ap);
    va_end(ap);
    if (cmd)
        fprintf(stderr, "Try 'vpmu %s --help'.\n", cmd);
    else
        fputs("Try 'vpmu --help'.\n", stderr);
    return CLI_EXIT_USAGE;
}

int
cli_bad_option(const char *cmd, int c, char **argv)
{
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    bool is_long = arg[0] == '-' && arg[1] == '-';

    /* A short option may sit in a cluster ("-qx"): name the letter. */
    if (!is_long && optopt > 0 && optopt < 128) {
        if (c == ':')
            return cli_usage(cmd, "option '-%c' needs an argument", optopt);
        return cli_usage(cmd, "unknown option '-%c'", optopt);
    }
    if (c == ':')
        return cli_usage(cmd, "option '%s' needs an argument", arg);
    return cli_usage(cmd, "unknown option '%s'", arg);
}

void
cli_warn(const cli_global *g, const char *fmt, ...)
{
    va_list ap;

    if (g && g->quiet)
        return;
    va_start(ap, fmt);
    print_message("warning: ", fmt, ap);
    va_end(ap);
}

int
cli_stdout_check(void)
{
    static bool reported;
    int e = 0;

    if (fflush(stdout) != 0)
        e = errno;
    if (!e && !ferror(stdout))
        return CLI_EXIT_OK;
    if (!reported) {
        reported = true;
        if (e)
            fprintf(stderr, "vpmu: cannot write to standard output: %s\n", strerror(e));
        else
            fprintf(stderr, "vpmu: cannot write to standard output\n");
    }
    return CLI_EXIT_RUNTIME;
}

int
cli_print_json(json_t *v)
{
    int r = json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

    json_decref(v);
    fputc('\n', stdout);
    if (cli_stdout_check() != CLI_EXIT_OK || r < 0)
        return CLI_EXIT_RUNTIME;
    return CLI_EXIT_OK;
}

static char *e_ring[16];
static size_t e_next;

static const char *
ring_keep(char *q)
{
    free(e_ring[e_next]);
    e_ring[e_next] = q;
    e_next = (e_next + 1) % ELEMENTSOF(e_ring);
    return q;
}

const char *
cli_e(const char *s)
{
    return s ? ring_keep(quote_for_message(s, SIZE_MAX)) : NULL;
}

const char *
cli_e_uri(const char *uri)
{
    return uri ? ring_keep(uri_for_message(uri)) : NULL;
}

json_t *
cli_json_string(const char *s)
{
    json_t *v;

    if (!s)
        return json_null();
    v = json_string(s);
    if (!v) {
        _cleanup_free_ char *valid = utf8_sanitize(s);
        v = json_string(valid);
    }
    return v;
}

const char *
cli_uri_masked(const char *uri)
{
    return uri ? ring_keep(uri_without_password(uri)) : NULL;
}

void
cli_e_release(void)
{
    for (size_t i = 0; i < ELEMENTSOF(e_ring); i++) {
        free(e_ring[i]);
        e_ring[i] = NULL;
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

bool
cli_policy_given(const cli_policy *p)
{
    return p->flavor_path || p->image_path || p->flavor_specs.n || p->image_props.n ||
           p->flavor_id || p->image_id || p->flavor_name || p->image_name;
}

int
cli_policy_opt(cli_policy *p, const char *cmd, int opt, const char *arg)
{
    switch (opt) {
    case CLI_OPT_FLAVOR:
        if (p->flavor_path)
            return cli_usage(cmd, "--flavor given twice"), -1;
        if (p->flavor_id)
            return cli_usage(cmd, "--flavor and --flavor-id are alternatives; give one"), -1;
        p->flavor_path = arg;
        return 1;
    case CLI_OPT_IMAGE:
        if (p->image_path)
            return cli_usage(cmd, "--image given twice"), -1;
        if (p->image_id)
            return cli_usage(cmd, "--image and --image-id are alternatives; give one"), -1;
        p->image_path = arg;
        return 1;
    case CLI_OPT_FLAVOR_ID:
        if (p->flavor_id)
            return cli_usage(cmd, "--flavor-id given twice"), -1;
        if (p->flavor_path)
            return cli_usage(cmd, "--flavor and --flavor-id are alternatives; give one"), -1;
        if (!*arg)
            return cli_usage(cmd, "--flavor-id needs a flavor id or name"), -1;
        p->flavor_id = arg;
        return 1;
    case CLI_OPT_IMAGE_ID:
        if (p->image_id)
            return cli_usage(cmd, "--image-id given twice"), -1;
        if (p->image_path)
            return cli_usage(cmd, "--image and --image-id are alternatives; give one"), -1;
        if (!*arg)
            return cli_usage(cmd, "--image-id needs an image id or name"), -1;
        p->image_id = arg;
        return 1;
    case CLI_OPT_FLAVOR_SPEC:
        strv_push(&p->flavor_specs, xstrdup(arg));
        return 1;
    case CLI_OPT_IMAGE_PROP:
        strv_push(&p->image_props, xstrdup(arg));
        return 1;
    case CLI_OPT_FLAVOR_NAME:
        p->flavor_name = arg;
        return 1;
    case CLI_OPT_IMAGE_NAME:
        p->image_name = arg;
        return 1;
    case CLI_OPT_STRICT:
        p->strict = true;
        return 1;
    default:
        return 0;
    }
}

int
cli_policy_resolve(cli_policy *p, vpmu_error **error)
{
    if (p->flavor_path && p->image_path && STREQ(p->flavor_path, "-") &&
        STREQ(p->image_path, "-")) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "--flavor and --image cannot both read stdin");
        return -1;
    }
    /* Files first: a bad file is found before anything is asked of the cloud. */
    p->flavor = p->flavor_path ? vpmu_flavor_load(p->flavor_path, error)
                : p->flavor_id ? NULL
                               : vpmu_flavor_new(NULL);
    if (!p->flavor && !p->flavor_id)
        return -1;
    p->image = p->image_path ? vpmu_image_load(p->image_path, error)
               : p->image_id ? NULL
                             : vpmu_image_new(NULL);
    if (!p->image && !p->image_id)
        return -1;
    if (p->flavor_id || p->image_id) {
        vpmu_osclient *client = cli_cloud_client(p->os_cloud, error);

        if (!client)
            return -1;
        if (p->flavor_id &&
            !(p->flavor = VIRT(vpmu_osclient_get_flavor)(client, p->flavor_id, error)))
            return -1;
        if (p->image_id && !(p->image = VIRT(vpmu_osclient_get_image)(client, p->image_id, error)))
            return -1;
    }
    for (size_t i = 0; i < p->flavor_specs.n; i++)
        if (vpmu_flavor_set_spec_kv(p->flavor, p->flavor_specs.v[i], error) < 0)
            return -1;
    for (size_t i = 0; i < p->image_props.n; i++)
        if (vpmu_image_set_prop_kv(p->image, p->image_props.v[i], error) < 0)
            return -1;
    if (p->flavor_name)
        vpmu_flavor_set_name(p->flavor, p->flavor_name);
    if (p->image_name)
        vpmu_image_set_name(p->image, p->image_name);
    /* Keys that look like hw:pmu / hw_pmu but are not: ignored by the decision, so say so. */
    vpmu_metadata_warnings_free(p->warnings);
    p->warnings = vpmu_metadata_key_warnings(p->flavor, p->image);
    if (p->strict && p->warnings[0]) {
        vpmu_error_set(error, VPMU_ERR_INVALID, "%s (--strict)", p->warnings[0]);
        return -1;
    }
    for (char **w = p->warnings; *w && !p->quiet; w++)
        print_messagef("warning: ", "%s", *w);
    return vpmu_decide_for(p->flavor, p->image, &p->decision, error);
}

void
cli_policy_clear(cli_policy *p)
{
    strv_clear(&p->flavor_specs);
    strv_clear(&p->image_props);
    vpmu_metadata_warnings_free(p->warnings);
    p->warnings = NULL;
    vpmu_flavor_free(p->flavor);
    vpmu_image_free(p->image);
    p->flavor = NULL;
    p->image = NULL;
    cli_cloud_close();
}

json_t *
cli_decision_json(const cli_policy *p)
{
    const vpmu_decision *d = &p->decision;
    const char *fv = vpmu_flavor_get_spec(p->flavor, VPMU_FLAVOR_KEY);
    const char *iv = vpmu_image_get_prop(p->image, VPMU_IMAGE_KEY);

    json_t *o =
            json_pack("{s:s, s:s, s:{s:o, s:o, s:s}, s:{s:o, s:o, s:s}}", "pmu",
                      vpmu_pmu_to_string(d->pmu), "source", vpmu_source_to_string(d->source),
                      "flavor", "name", cli_json_string(vpmu_flavor_get_name(p->flavor)),
                      VPMU_FLAVOR_KEY, cli_json_string(fv), "says", vpmu_pmu_to_string(d->flavor),
                      "image", "name", cli_json_string(vpmu_image_get_name(p->image)),
                      VPMU_IMAGE_KEY, cli_json_string(iv), "says", vpmu_pmu_to_string(d->image));

    /* Only when there are any, so that a clean decision's JSON stays as it was. */
    if (p->warnings && p->warnings[0]) {
        json_t *warnings = json_array();
        for (char **w = p->warnings; *w; w++)
            json_array_append_new(warnings, cli_json_string(*w));
        json_object_set_new(o, "warnings", warnings);
    }
    return o;
}

static const char *
or_dash(const char *s)
{
    return s ? s : "-";
}

void
cli_decision_print_text(const cli_policy *p, FILE *out)
{
    const vpmu_decision *d = &p->decision;
    const char *fv = vpmu_flavor_get_spec(p->flavor, VPMU_FLAVOR_KEY);
    const char *iv = vpmu_image_get_prop(p->image, VPMU_IMAGE_KEY);

    fprintf(out, "pmu: %s\n", vpmu_pmu_to_string(d->pmu));
    fprintf(out, "source: %s\n", vpmu_source_to_string(d->source));
    fprintf(out, "flavor: %s (hw:pmu=%s)\n", cli_e(or_dash(vpmu_flavor_get_name(p->flavor))),
            fv ? cli_e(fv) : "unset");
    fprintf(out, "image: %s (hw_pmu=%s)\n", cli_e(or_dash(vpmu_image_get_name(p->image))),
            iv ? cli_e(iv) : "unset");
    switch (d->pmu) {
    case VPMU_PMU_ON:
        fprintf(out, "libvirt: <pmu state='on'/>\n");
        break;
    case VPMU_PMU_OFF:
        fprintf(out, "libvirt: <pmu state='off'/>\n");
        break;
    default:
        fprintf(out, "libvirt: no <pmu> element; the hypervisor's default applies\n");
        break;
    }
}

int
cli_guest_opt(cli_guest *o, const char *cmd, int opt, const char *arg)
{
    switch (opt) {
    case CLI_OPT_ARCH: {
        /* The arch table (arch.c) decides what is accepted, and the message. */
        /* explain also explains arches that xml and boot do not build. */
        bool explain = cmd && STREQ(cmd, "explain");
        if (!vpmu_arch_supported(arg, explain)) {
            _cleanup_free_ char *list = vpmu_arch_supported_list(explain);
            return cli_usage(cmd, "unsupported --arch '%s'; use %s", cli_e(arg), list), -1;
        }
        o->arch = arg;
        return 1;
    }
    case CLI_OPT_VIRT_TYPE:
        if (!STREQ(arg, "kvm") && !STREQ(arg, "qemu"))
            return cli_usage(cmd, "unsupported --virt-type '%s'; use kvm or qemu", cli_e(arg)), -1;
        o->virt_type = arg;
        return 1;
    case CLI_OPT_CPU_MODE:
        if (!STREQ(arg, "host-passthrough") && !STREQ(arg, "host-model") &&
            !STREQ(arg, "maximum") && !STREQ(arg, "custom"))
            return cli_usage(cmd,
                             "unsupported --cpu-mode '%s'; use host-passthrough, host-model, "
                             "maximum or custom",
                             cli_e(arg)),
                   -1;
        o->cpu_mode = arg;
        return 1;
    case CLI_OPT_CPU_MODEL:
        o->cpu_model = arg;
        return 1;
    case CLI_OPT_DISK:
        o->disk = arg;
        return 1;
    case CLI_OPT_KERNEL:
        o->kernel = arg;
        return 1;
    case CLI_OPT_INITRD:
        o->initrd = arg;
        return 1;
    case CLI_OPT_CMDLINE:
        o->cmdline = arg;
        return 1;
    case CLI_OPT_SERIAL_LOG:
        o->serial_log = arg;
        return 1;
    case CLI_OPT_EMULATOR:
        o->emulator = arg;
        return 1;
    default:
        return 0;
    }
}

int
cli_guest_check(const cli_guest *o, const char *cmd)
{
    if (o->disk && o->kernel)
        return cli_usage(cmd, "--disk and --kernel are alternatives; give one");
    if ((o->initrd || o->cmdline) && !o->kernel)
        return cli_usage(cmd, "--initrd and --cmdline need --kernel");
    if (o->cpu_model && o->cpu_mode && !STREQ(o->cpu_mode, "custom"))
        return cli_usage(cmd, "--cpu-model implies --cpu-mode custom, not '%s'", o->cpu_mode);
    if (o->cpu_mode && STREQ(o->cpu_mode, "custom") && !o->cpu_model)
        return cli_usage(cmd, "--cpu-mode custom needs --cpu-model");
    return CLI_EXIT_OK;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The option groups shared by several commands: the policy and guest options and their help. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "arch.h"
#include "cli.h"

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

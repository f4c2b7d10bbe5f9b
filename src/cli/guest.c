/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * From options, flavor and image to a vpmu_guest_spec, choosing each default
 * the way vpmu(1) documents them (docs/vpmu.1.md):
 *  - arch: --arch, else the image's hw_architecture, else the host's;
 *  - virt type: --virt-type, else kvm when the connection offers it for the
 *    arch, else qemu;
 *  - "the host" and "the connection" are the libvirt connection's when the
 *    caller passes one to fill (boot; xml when -c or $LIBVIRT_DEFAULT_URI
 *    names one), else this machine's own: uname(2)'s arch, and kvm when
 *    /dev/kvm can be opened read-write and the guest is of this machine's
 *    arch family (xml, which never connects unless told to);
 *  - machine: the image's hw_machine_type, else the arch default;
 *  - memory and vCPUs: the flavor's ram (MiB) and vcpus;
 *  - CPU: --cpu-mode / --cpu-model; for aarch64, which needs a <cpu> element
 *    for libvirt to pass pmu= (docs/facts.md §2), host-passthrough under KVM and
 *    'maximum' (QEMU's -cpu max) under TCG.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "arch.h"
#include "cli.h"
#include "virtload.h"

static const char *
keep(cli_guest_plan *plan, char *s)
{
    if (!s)
        return NULL;
    if (plan->n_owned >= ELEMENTSOF(plan->owned))
        abort(); /* a programming error: raise the array size */
    plan->owned[plan->n_owned++] = s;
    return s;
}

const char *
cli_guest_default_cpu_mode(const char *arch, const char *virt_type)
{
    if (vpmu_arch_family_of(arch) != VPMU_ARCH_FAMILY_ARM64 || !virt_type)
        return NULL;
    return STREQ(virt_type, "kvm") ? "host-passthrough" : "maximum";
}

/* This machine's arch, as libvirt names it (uname(2) uses the same names for x86_64 and aarch64).
 */
static const char *
local_host_arch(cli_guest_plan *plan, vpmu_error **error)
{
    struct utsname u;

    if (uname(&u) < 0) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot read this machine's arch (uname): %s",
                       strerror(errno));
        return NULL;
    }
    return keep(plan, xstrdup(u.machine));
}

/* kvm when this process could use /dev/kvm for @arch on this machine, else qemu. */
static const char *
local_virt_type(const char *arch, const char *host_arch, const char **why)
{
    if (!vpmu_arch_same_family(arch, host_arch)) {
        *why = "a guest of another arch than this machine's";
        return "qemu";
    }
    if (access("/dev/kvm", R_OK | W_OK) != 0) {
        *why = "/dev/kvm cannot be opened";
        return "qemu";
    }
    *why = "/dev/kvm can be opened";
    return "kvm";
}

int
cli_guest_plan_make(const cli_global *g, const cli_guest *o, const cli_policy *p, const char *name,
                    bool no_reboot, vpmu_conn **conn, cli_guest_plan *plan, vpmu_error **error)
{
    vpmu_guest_spec *s = &plan->spec;
    const char *img_arch = vpmu_image_get_prop(p->image, "hw_architecture");
    const char *img_machine = vpmu_image_get_prop(p->image, "hw_machine_type");
    unsigned long long ram = vpmu_flavor_get_ram_mib(p->flavor);
    unsigned int vcpus = vpmu_flavor_get_vcpus(p->flavor);
    const char *host_arch = NULL;

    memset(s, 0, sizeof(*s));
    s->name = name ? name : "vpmu-guest";
    s->pmu = p->decision.pmu;
    s->memory_mib = ram ? ram : 512;
    s->vcpus = vcpus ? vcpus : 1;
    if (!ram)
        strv_pushf(&plan->notes, "memory: 512 MiB (the flavor gives no 'ram')");
    if (!vcpus)
        strv_pushf(&plan->notes, "vcpus: 1 (the flavor gives no 'vcpus')");

    if (o->arch) {
        s->arch = o->arch;
    } else if (img_arch) {
        if (!vpmu_arch_supported(img_arch, false)) {
            _cleanup_free_ char *list = vpmu_arch_supported_list(false);
            _cleanup_free_ char *iname = quote_for_message(
                    vpmu_image_get_name(p->image) ? vpmu_image_get_name(p->image) : "(unnamed)",
                    200);
            _cleanup_free_ char *shown = quote_for_message(img_arch, 200);
            vpmu_error_set(error, VPMU_ERR_INVALID,
                           "image '%s': unsupported hw_architecture '%s'; use %s", iname, shown,
                           list);
            return -1;
        }
        s->arch = img_arch;
        strv_pushf(&plan->notes, "arch: %s (the image's hw_architecture)", img_arch);
    } else if (conn) {
        if (cli_virt_connect(g, conn, error) < 0)
            return -1;
        s->arch = keep(plan, VIRT(vpmu_conn_get_host_arch)(*conn, error));
        if (!s->arch)
            return -1;
        strv_pushf(&plan->notes, "arch: %s (the host's)", s->arch);
    } else {
        if (!(s->arch = host_arch = local_host_arch(plan, error)))
            return -1;
        strv_pushf(&plan->notes, "arch: %s (this machine's)", s->arch);
    }

    if (o->virt_type) {
        s->virt_type = o->virt_type;
    } else if (!conn) {
        const char *why;

        if (!host_arch && !(host_arch = local_host_arch(plan, error)))
            return -1;
        s->virt_type = local_virt_type(s->arch, host_arch, &why);
        strv_pushf(&plan->notes, "virt type: %s (%s)", s->virt_type, why);
    } else {
        if (cli_virt_connect(g, conn, error) < 0)
            return -1;
        s->virt_type = keep(plan, VIRT(vpmu_conn_default_virt_type)(*conn, s->arch, error));
        if (!s->virt_type)
            return -1;
        strv_pushf(&plan->notes, "virt type: %s (%s)", s->virt_type,
                   STREQ(s->virt_type, "kvm") ? "the connection offers kvm for this arch"
                                              : "the connection offers no kvm for this arch");
    }

    s->machine = img_machine ? img_machine : vpmu_default_machine(s->arch);
    if (img_machine)
        strv_pushf(&plan->notes, "machine: %s (the image's hw_machine_type)", img_machine);

    s->cpu_model = o->cpu_model;
    if (o->cpu_mode) {
        s->cpu_mode = o->cpu_mode;
    } else if (o->cpu_model) {
        s->cpu_mode = "custom";
    } else if ((s->cpu_mode = cli_guest_default_cpu_mode(s->arch, s->virt_type))) {
        strv_pushf(&plan->notes, "cpu mode: %s (aarch64 needs a <cpu> element)", s->cpu_mode);
    }

    s->disk = o->disk;
    s->kernel = o->kernel;
    s->initrd = o->initrd;
    s->cmdline = o->cmdline;
    s->serial_log = o->serial_log;
    s->emulator = o->emulator;
    s->destroy_on_crash = no_reboot;
    return 0;
}

void
cli_guest_plan_clear(cli_guest_plan *plan)
{
    for (size_t i = 0; i < plan->n_owned; i++)
        free(plan->owned[i]);
    plan->n_owned = 0;
    strv_clear(&plan->notes);
}

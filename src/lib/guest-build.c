/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * guest-build.c: one job, building a new guest's domain XML tree from a
 * vpmu_guest_spec (vpmu_domxml_build), every value checked first and put in
 * as a text node or attribute, never as markup; and the default machine
 * type of each architecture.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "arch.h"
#include "domxml-private.h"

/* ------------------------------------------------------------------------ */
/* Building                                                                 */

const char *
vpmu_default_machine(const char *arch)
{
    /* The arch table (arch.c) has the one list. */
    const vpmu_arch_info *a = vpmu_arch_lookup(arch);
    return a ? a->machine : NULL;
}

static xmlNode *
add_elem(xmlNode *parent, const char *name)
{
    xmlNode *n = xmlNewDocNode(parent->doc, NULL, BAD_CAST name, NULL);
    xmlAddChild(parent, n);
    return n;
}

/* The value becomes a text node: never parsed, so never markup. */
static xmlNode *
add_text_elem(xmlNode *parent, const char *name, const char *value)
{
    xmlNode *n = add_elem(parent, name);
    xmlAddChild(n, xmlNewDocText(parent->doc, BAD_CAST value));
    return n;
}

static void
add_attr(xmlNode *n, const char *name, const char *value)
{
    xmlNewProp(n, BAD_CAST name, BAD_CAST value);
}

/* Indent a freshly built tree the way libvirt does: two spaces a level. */
static void
indent_tree(xmlNode *n, unsigned level)
{
    bool has_elem = false;

    for (xmlNode *c = n->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            return; /* text content: leave as is */
        has_elem = true;
    }
    if (!has_elem)
        return;
    for (xmlNode *c = n->children; c; c = c->next) {
        _cleanup_free_ char *ind = xmalloc(2 * (level + 1) + 1);
        memset(ind, ' ', 2 * (level + 1));
        ind[2 * (level + 1)] = '\0';
        xmlAddPrevSibling(c, domxml_new_blank(n->doc, ind));
        indent_tree(c, level + 1);
    }
    {
        _cleanup_free_ char *ind = xmalloc(2 * level + 1);
        memset(ind, ' ', 2 * level);
        ind[2 * level] = '\0';
        xmlAddChild(n, domxml_new_blank(n->doc, ind));
    }
}

static bool
token_ok(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            return false;
    return true;
}

/* An absolute form of @path (relative ones are taken from the working directory). */
static char *
absolute_path(const char *what, const char *path, vpmu_error **error)
{
    _cleanup_free_ char *cwd = NULL;

    if (!*path || !domxml_value_ok(path, false)) {
        _cleanup_free_ char *shown = quote_for_message(path, SHOW_MAX);
        vpmu_error_set(error, VPMU_ERR_INVALID,
                       "%s path '%s' is empty or holds a character that libvirt XML cannot carry",
                       what, shown);
        return NULL;
    }
    if (path[0] == '/')
        return xstrdup(path);
    cwd = getcwd(NULL, 0);
    if (!cwd) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot make %s path '%s' absolute: %s", what, path,
                       strerror(errno));
        return NULL;
    }
    return xasprintf("%s/%s", STREQ(cwd, "/") ? "" : cwd, path);
}

static bool
has_suffix_ci(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static int
check_spec(const vpmu_guest_spec *s, vpmu_error **error)
{
    static const char *const cpu_modes[] = {"host-passthrough", "host-model", "maximum", "custom"};
    bool mode_ok = false;

    if (!s->name || !*s->name) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "a guest needs a name");
        return -1;
    }
    if (!domxml_value_ok(s->name, false) || strchr(s->name, '/')) {
        _cleanup_free_ char *shown = quote_for_message(s->name, SHOW_MAX);
        vpmu_error_set(error, VPMU_ERR_INVALID,
                       "guest name '%s' holds a '/', a line break or a character that libvirt "
                       "XML cannot carry",
                       shown);
        return -1;
    }
    if (s->uuid && !uuid_string_valid(s->uuid)) {
        _cleanup_free_ char *shown = quote_for_message(s->uuid, SHOW_MAX);
        vpmu_error_set(error, VPMU_ERR_INVALID,
                       "'%s' is not a UUID (32 hex digits, dashes optional in the 8-4-4-4-12 form)",
                       shown);
        return -1;
    }
    if (!s->arch || !*s->arch) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "a guest needs an architecture");
        return -1;
    }
    if (!token_ok(s->arch)) {
        _cleanup_free_ char *shown = quote_for_message(s->arch, SHOW_MAX);
        vpmu_error_set(error, VPMU_ERR_INVALID, "invalid architecture '%s'", shown);
        return -1;
    }
    if (!s->machine && !vpmu_default_machine(s->arch)) {
        vpmu_error_set(error, VPMU_ERR_USAGE,
                       "no default machine type for architecture '%s'; name one", s->arch);
        return -1;
    }
    if (s->machine && !token_ok(s->machine)) {
        _cleanup_free_ char *shown = quote_for_message(s->machine, SHOW_MAX);
        vpmu_error_set(error, VPMU_ERR_INVALID, "invalid machine type '%s'", shown);
        return -1;
    }
    if (s->virt_type && !STREQ(s->virt_type, "kvm") && !STREQ(s->virt_type, "qemu")) {
        _cleanup_free_ char *shown = quote_for_message(s->virt_type, SHOW_MAX);
        vpmu_error_set(error, VPMU_ERR_USAGE, "unsupported virt type '%s'; use 'kvm' or 'qemu'",
                       shown);
        return -1;
    }
    for (size_t i = 0; s->cpu_mode && i < ELEMENTSOF(cpu_modes); i++)
        mode_ok |= STREQ(s->cpu_mode, cpu_modes[i]);
    if (s->cpu_mode && !mode_ok) {
        _cleanup_free_ char *shown = quote_for_message(s->cpu_mode, SHOW_MAX);
        vpmu_error_set(error, VPMU_ERR_USAGE,
                       "unsupported CPU mode '%s'; use host-passthrough, host-model, maximum or "
                       "custom",
                       shown);
        return -1;
    }
    if (s->cpu_mode && STREQ(s->cpu_mode, "custom") && !s->cpu_model) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "CPU mode 'custom' needs a CPU model");
        return -1;
    }
    if (s->cpu_model && s->cpu_mode && !STREQ(s->cpu_mode, "custom")) {
        vpmu_error_set(error, VPMU_ERR_USAGE,
                       "a CPU model goes only with CPU mode 'custom', not '%s'", s->cpu_mode);
        return -1;
    }
    if (s->cpu_model && (!*s->cpu_model || !domxml_value_ok(s->cpu_model, false))) {
        _cleanup_free_ char *shown = quote_for_message(s->cpu_model, SHOW_MAX);
        vpmu_error_set(error, VPMU_ERR_INVALID, "invalid CPU model '%s'", shown);
        return -1;
    }
    if ((s->initrd || s->cmdline) && !s->kernel) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "an initrd or a kernel command line needs a kernel");
        return -1;
    }
    if (s->cmdline && !domxml_value_ok(s->cmdline, true)) {
        _cleanup_free_ char *shown = quote_for_message(s->cmdline, SHOW_MAX);
        vpmu_error_set(error, VPMU_ERR_INVALID,
                       "kernel command line '%s' holds a character that XML cannot carry", shown);
        return -1;
    }
    if ((unsigned)s->pmu >= VPMU_PMU_LAST) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "invalid vPMU setting %d", (int)s->pmu);
        return -1;
    }
    if (s->memory_mib > ULLONG_MAX / 1024) {
        vpmu_error_set(error, VPMU_ERR_INVALID, "guest memory of %llu MiB is too large",
                       s->memory_mib);
        return -1;
    }
    return 0;
}

vpmu_domxml *
vpmu_domxml_build(const vpmu_guest_spec *s, vpmu_error **error)
{
    _cleanup_(vpmu_domxml_freep) vpmu_domxml *d = NULL;
    _cleanup_free_ char *emulator = NULL, *disk = NULL, *kernel = NULL, *initrd = NULL,
                        *serial = NULL;
    xmlNode *root, *os, *type, *devices;
    bool x86;
    char num[32];

    if (!s) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "no guest to build");
        return NULL;
    }
    if (check_spec(s, error) < 0)
        return NULL;
    if (s->emulator && !(emulator = absolute_path("emulator", s->emulator, error)))
        return NULL;
    if (s->disk && !(disk = absolute_path("disk", s->disk, error)))
        return NULL;
    if (s->kernel && !(kernel = absolute_path("kernel", s->kernel, error)))
        return NULL;
    if (s->initrd && !(initrd = absolute_path("initrd", s->initrd, error)))
        return NULL;
    if (s->serial_log && !(serial = absolute_path("serial log", s->serial_log, error)))
        return NULL;
    x86 = vpmu_arch_family_of(s->arch) == VPMU_ARCH_FAMILY_X86;

    xmlInitParser();
    d = xcalloc(1, sizeof(*d));
    d->filename = xstrdup("<built guest>");
    d->head = xstrdup("");
    d->tail = xstrdup("\n");
    d->doc = xmlNewDoc(BAD_CAST "1.0");
    if (!d->doc)
        abort(); /* libxml2 out of memory */
    root = xmlNewDocNode(d->doc, NULL, BAD_CAST "domain", NULL);
    xmlDocSetRootElement(d->doc, root);
    add_attr(root, "type", s->virt_type ? s->virt_type : "qemu");

    add_text_elem(root, "name", s->name);
    if (s->uuid)
        add_text_elem(root, "uuid", s->uuid);
    snprintf(num, sizeof(num), "%llu", s->memory_mib ? s->memory_mib : 512);
    add_attr(add_text_elem(root, "memory", num), "unit", "MiB");
    snprintf(num, sizeof(num), "%u", s->vcpus ? s->vcpus : 1);
    add_text_elem(root, "vcpu", num);

    os = add_elem(root, "os");
    type = add_text_elem(os, "type", "hvm");
    add_attr(type, "arch", s->arch);
    add_attr(type, "machine", s->machine ? s->machine : vpmu_default_machine(s->arch));
    if (kernel) {
        add_text_elem(os, "kernel", kernel);
        if (initrd)
            add_text_elem(os, "initrd", initrd);
        if (s->cmdline)
            add_text_elem(os, "cmdline", s->cmdline);
    } else {
        add_attr(add_elem(os, "boot"), "dev", "hd");
    }

    /* ACPI on x86 only: on aarch64 libvirt ties it to UEFI firmware. */
    if (x86)
        add_elem(add_elem(root, "features"), "acpi");

    if (s->cpu_mode || s->cpu_model) {
        xmlNode *cpu = add_elem(root, "cpu");
        const char *mode = s->cpu_mode ? s->cpu_mode : "custom";

        add_attr(cpu, "mode", mode);
        if (STREQ(mode, "custom")) {
            xmlNode *model;
            add_attr(cpu, "match", "exact");
            model = add_text_elem(cpu, "model", s->cpu_model);
            add_attr(model, "fallback", "forbid");
        }
    }
    if (s->destroy_on_crash) {
        add_text_elem(root, "on_poweroff", "destroy");
        add_text_elem(root, "on_reboot", "destroy");
        add_text_elem(root, "on_crash", "destroy");
    }

    devices = add_elem(root, "devices");
    if (emulator)
        add_text_elem(devices, "emulator", emulator);
    if (disk) {
        xmlNode *dn = add_elem(devices, "disk"), *n;
        bool qcow2 = has_suffix_ci(disk, ".qcow2");

        add_attr(dn, "type", "file");
        add_attr(dn, "device", "disk");
        n = add_elem(dn, "driver");
        add_attr(n, "name", "qemu");
        add_attr(n, "type", qcow2 ? "qcow2" : "raw");
        add_attr(add_elem(dn, "source"), "file", disk);
        n = add_elem(dn, "target");
        add_attr(n, "dev", "vda");
        add_attr(n, "bus", "virtio");
    }
    if (serial) {
        xmlNode *sn = add_elem(devices, "serial"), *cn, *t;

        add_attr(sn, "type", "file");
        add_attr(add_elem(sn, "source"), "path", serial);
        add_attr(add_elem(sn, "target"), "port", "0");
        cn = add_elem(devices, "console");
        add_attr(cn, "type", "file");
        add_attr(add_elem(cn, "source"), "path", serial);
        t = add_elem(cn, "target");
        add_attr(t, "type", "serial");
        add_attr(t, "port", "0");
    }

    domxml_set_pmu_tree(d->doc, s->pmu);
    indent_tree(root, 0);
    return TAKE_PTR(d);
}

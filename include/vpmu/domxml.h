/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * domxml.h: libvirt domain XML, through libxml2's tree API only.
 *
 * Parsing is hostile-input safe: no network (XML_PARSE_NONET), no entity
 * substitution, no external DTD loading, a size cap and a depth cap.
 *
 * Editing touches only <features><pmu/></features>: every other node,
 * attribute, comment, namespace and whitespace node is kept.  The serializer
 * is libxml2's, so attribute quotes come out as double quotes (a documented
 * lexical normalisation; the infoset is unchanged).
 */
#ifndef VPMU_DOMXML_H
#define VPMU_DOMXML_H

#include "vpmu/common.h"
#include "vpmu/policy.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Input caps for domain XML. */
#define VPMU_DOMXML_MAX_BYTES (16u * 1024u * 1024u)
#define VPMU_DOMXML_MAX_DEPTH 64

typedef struct vpmu_domxml vpmu_domxml;

/* Parse a domain document.  Errors are VPMU_ERR_INVALID and name FILE:LINE. */
VPMU_EXPORT vpmu_domxml *vpmu_domxml_parse(const char *buf, size_t len, const char *filename,
                                           vpmu_error **error);
/* Read ("-" = stdin, capped at VPMU_DOMXML_MAX_BYTES) and parse. */
VPMU_EXPORT vpmu_domxml *vpmu_domxml_load(const char *path, vpmu_error **error);
VPMU_EXPORT void vpmu_domxml_free(vpmu_domxml *doc);

/* The <pmu> setting in the document: unset when there is no element. */
VPMU_EXPORT vpmu_pmu vpmu_domxml_get_pmu(const vpmu_domxml *doc);

/*
 * Make the document carry exactly the decision: one <pmu state='on|off'/>
 * under <features> (created when missing), or no <pmu> at all for unset.
 */
VPMU_EXPORT int vpmu_domxml_set_pmu(vpmu_domxml *doc, vpmu_pmu pmu, vpmu_error **error);

/* Serialize.  *out is NUL-terminated and owned by the caller (free()). */
VPMU_EXPORT int vpmu_domxml_format(const vpmu_domxml *doc, char **out, size_t *len,
                                   vpmu_error **error);

/* What a guest looks like, as far as the vPMU cares.  Strings owned by the struct. */
typedef struct {
    char *name;
    char *uuid;
    char *virt_type; /* <domain type=...> */
    char *arch;      /* <os><type arch=...> */
    char *machine;   /* <os><type machine=...> */
    char *cpu_mode;  /* <cpu mode=...>; NULL when there is no <cpu> */
    char *cpu_model; /* <cpu><model> text */
    vpmu_pmu pmu;
    char *nova_name;   /* <metadata><nova:instance><nova:name> */
    char *nova_flavor; /* <nova:flavor name=...> */
} vpmu_domain_info;

VPMU_EXPORT int vpmu_domxml_get_info(const vpmu_domxml *doc, vpmu_domain_info *info,
                                     vpmu_error **error);
/* Frees the strings (not the struct itself); accepts NULL. */
VPMU_EXPORT void vpmu_domain_info_clear(vpmu_domain_info *info);

/* A guest to build.  NULL / 0 fields take the documented defaults. */
typedef struct {
    const char *name;        /* required */
    const char *uuid;        /* optional */
    unsigned long long memory_mib; /* default 512 */
    unsigned int vcpus;      /* default 1 */
    const char *arch;        /* required: x86_64, aarch64, ... */
    const char *machine;     /* default: q35 (x86_64), virt (aarch64) */
    const char *virt_type;   /* "kvm" or "qemu" (default "qemu") */
    const char *cpu_mode;    /* host-passthrough | host-model | custom | NULL */
    const char *cpu_model;   /* with custom */
    const char *emulator;    /* optional <emulator> path */
    const char *disk;        /* boot disk image */
    const char *kernel;      /* direct kernel boot */
    const char *initrd;
    const char *cmdline;
    const char *serial_log;  /* serial console to this file */
    bool destroy_on_crash;   /* on_crash/on_poweroff/on_reboot = destroy */
    vpmu_pmu pmu;
} vpmu_guest_spec;

/* Build a complete guest; the result validates with `virt-xml-validate F domain`. */
VPMU_EXPORT vpmu_domxml *vpmu_domxml_build(const vpmu_guest_spec *spec, vpmu_error **error);

/* The default machine type for an arch, or NULL when unknown. */
VPMU_EXPORT const char *vpmu_default_machine(const char *arch);

#ifdef __cplusplus
}
#endif
#endif /* VPMU_DOMXML_H */

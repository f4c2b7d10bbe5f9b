/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * domxml.h: libvirt domain XML, through libxml2's tree API only.  No XML is
 * ever assembled from strings, so names and values that hold markup or
 * quotes never change a document's structure.
 *
 * Parsing (vpmu_domxml_parse / _load) is hostile-input safe.  Every refusal
 * is VPMU_ERR_INVALID with a message "FILE:LINE: what is wrong"; libxml2's
 * own messages come through a structured handler and never reach stderr:
 *  - size: more than VPMU_DOMXML_MAX_BYTES is refused; a regular file by its
 *    size, before any of it is read, a stream as soon as it passes the cap;
 *  - encoding: the bytes must be well-formed UTF-8 (the offending byte and
 *    line are named), so UTF-16 is refused too; an XML declaration naming
 *    another encoding than UTF-8 or ASCII is refused;
 *  - DTDs and entities: no network (XML_PARSE_NONET), no entity substitution
 *    (no XML_PARSE_NOENT), no DTD loading.  A DOCTYPE with an external
 *    identifier (SYSTEM/PUBLIC) or an internal subset [...] is refused the
 *    moment it is read, before any declaration in it is looked at: this
 *    stops external entities (file:///etc/passwd), network DTDs and entity
 *    expansion bombs alike, and nothing is ever fetched.  A bare
 *    <!DOCTYPE domain> declares nothing and is accepted and kept;
 *  - depth: elements nested more than VPMU_DOMXML_MAX_DEPTH deep (the root
 *    is level 1) are refused while parsing;
 *  - the root must be <domain> without a namespace; a second <features>
 *    under it, a second <pmu> in <features>, and a <pmu> state other than
 *    'on' or 'off' are refused (no normalisation: libvirt refuses them too,
 *    and guessing which one the author meant would be unsafe).
 * A bare <pmu/> means on, as in libvirt.
 *
 * Editing (vpmu_domxml_set_pmu) touches only <features><pmu/></features>:
 * every other node, attribute, comment, processing instruction, CDATA
 * section, namespace and whitespace node is kept.  A new <features> goes
 * where libvirt writes it (after <os>, before <cpu>, <clock>, ... and
 * <devices>), a new <pmu> goes in libvirt's feature order (after acpi and
 * apic, before vmport and gic), each on its own line indented like its
 * neighbours, or inline when the document is not indented.  Unset removes
 * the <pmu> element and the blanks that led up to it, and leaves <features>
 * in place even when it becomes empty.
 *
 * Serializing (vpmu_domxml_format) of a document parsed with byte
 * preservation (vpmu_domxml_parse, _load, or VPMU_DOMXML_PRESERVE_BYTES) writes the input's
 * own bytes everywhere except the <pmu> element: quotes, entity and character
 * references, blanks inside tags, comments, PIs, CDATA, the XML declaration,
 * a byte order mark and line endings all stay as written.  Only the nodes an
 * edit created or changed are written by libxml2: a new or changed <pmu>
 * (in double quotes), a <features> that had to be created, and the blanks
 * around them (CR LF when the input's first line ends so).  A <pmu> that
 * already carries the decision is not touched, so a document that already
 * says what was decided comes out byte-identical; an unset decision takes
 * out the <pmu> element and the blanks that led up to it.  An empty
 * <features/> that gains a <pmu> is opened into <features>...</features>.
 *
 * How: while parsing, SAX hooks record where the root, its element children
 * and <features>' element children begin and end in the input.  The output
 * is spliced from those byte ranges and libxml2's serialization of the nodes
 * in between that an edit touched.  Every splice is checked before it is
 * returned: its skeleton (the output with the content of each copied element
 * left out) is parsed again with the same hooks and must give back the edited
 * tree node for node.  When a check fails, for guests built by
 * vpmu_domxml_build, and for documents parsed without
 * VPMU_DOMXML_PRESERVE_BYTES, the whole tree is written by libxml2 instead; that
 * output carries the same infoset, with these lexical normalisations:
 *  - attribute values are written in double quotes (a '"' inside becomes
 *    &quot;; '<', '>', '&', tab, CR and LF become references);
 *  - '>' in text is written &gt;, and character references and &apos; /
 *    &quot; in text are written as the characters themselves;
 *  - <a></a> is written <a/>, blanks inside a tag become single spaces, and
 *    namespace declarations come before the element's other attributes;
 *  - between top-level nodes (comments and PIs around the root) exactly one
 *    newline is written.
 * tests/data/domxml/ holds golden files for each case; the test proves that
 * input and output are byte-identical once <pmu> (and a <features> the edit
 * wrote around it) is taken out of both, and equal in C14N, and that the
 * fallback is correct too.
 *
 * vpmu_domxml_format does not change the document (the self-check parses
 * with a parser of its own), so a formatted document can be formatted again
 * or read, with the same result.
 *
 * Thread safety: a vpmu_domxml is not shared between threads; calls on
 * different documents may run in parallel (libxml2 2.9 keeps its error
 * handlers per thread, and they are restored after each call).
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

/*
 * Parse a domain document.  @filename names it in messages (NULL: "<input>").
 * Errors are VPMU_ERR_INVALID and start with "FILE:LINE: " when there is a line.
 * The document keeps what byte-preserving output needs (see Serializing
 * above): vpmu_domxml_parse_flags(buf, len, filename,
 * VPMU_DOMXML_PRESERVE_BYTES, error).
 */
VPMU_EXPORT vpmu_domxml *vpmu_domxml_parse(const char *buf, size_t len, const char *filename,
                                           vpmu_error **error);

/* Flags of vpmu_domxml_parse_flags. */
typedef enum {
    /*
     * Keep a copy of the input and the byte positions of the elements an
     * edit can reach, so that vpmu_domxml_format splices its output from the
     * input's own bytes.  Costs a copy of the input and the span records.
     */
    VPMU_DOMXML_PRESERVE_BYTES = 1u << 0,
} vpmu_domxml_parse_flag;

/*
 * Parse with @flags (a bitwise OR of vpmu_domxml_parse_flag; unknown bits are
 * VPMU_ERR_USAGE).  With 0 the document is for reading (get_pmu, get_info)
 * and for edits whose output is written by libxml2: nothing of the input is
 * kept, and vpmu_domxml_format writes the whole tree as it does for a built
 * guest, with the lexical normalisations listed above (never a splice).
 * The refusals, limits and messages are the same with any flags.
 */
VPMU_EXPORT vpmu_domxml *vpmu_domxml_parse_flags(const char *buf, size_t len, const char *filename,
                                                 unsigned int flags, vpmu_error **error);
/* Read ("-" = stdin, capped at VPMU_DOMXML_MAX_BYTES) and parse; I/O errors are VPMU_ERR_RUNTIME.
 */
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

/*
 * What a guest looks like, as far as the vPMU cares.  Strings owned by the
 * struct; NULL where the document does not say.  cpu_mode is libvirt's
 * default 'custom' for a <cpu> without a mode.  The Nova fields come from
 * <metadata><instance> in a namespace whose URI starts with
 * "http://openstack.org/xmlns/libvirt/nova/" (any version, any prefix).
 */
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
    bool nova_managed; /* the document has <metadata><nova:instance> */
    char *nova_image;  /* <nova:root type="image" uuid=...>: the root image's id */
} vpmu_domain_info;

VPMU_EXPORT int vpmu_domxml_get_info(const vpmu_domxml *doc, vpmu_domain_info *info,
                                     vpmu_error **error);
/* Frees the strings (not the struct itself); accepts NULL. */
VPMU_EXPORT void vpmu_domain_info_clear(vpmu_domain_info *info);

/*
 * A guest to build.  NULL / 0 fields take the documented defaults.  Paths
 * that are not absolute are taken relative to the working directory.  The
 * disk's format is qcow2 for a name ending in ".qcow2" (any case), else raw;
 * it is attached as virtio vda.  Without a kernel the guest boots from its
 * disk (<boot dev='hd'/>).  x86 guests get <features><acpi/>; <cpu> is
 * written only when cpu_mode or cpu_model is given (custom is written with
 * match='exact' and <model fallback='forbid'>).  No graphics are added.
 */
typedef struct {
    const char *name;              /* required */
    const char *uuid;              /* optional */
    unsigned long long memory_mib; /* default 512 */
    unsigned int vcpus;            /* default 1 */
    const char *arch;              /* required: x86_64, aarch64, ... */
    const char *machine;           /* default: q35 (x86_64), virt (aarch64) */
    const char *virt_type;         /* "kvm" or "qemu" (default "qemu") */
    const char *cpu_mode;          /* host-passthrough | host-model | maximum | custom | NULL */
    const char *cpu_model;         /* with custom; a model alone implies custom */
    const char *emulator;          /* optional <emulator> path */
    const char *disk;              /* boot disk image */
    const char *kernel;            /* direct kernel boot */
    const char *initrd;
    const char *cmdline;
    const char *serial_log; /* serial console to this file */
    bool destroy_on_crash;  /* on_crash/on_poweroff/on_reboot = destroy */
    vpmu_pmu pmu;
} vpmu_guest_spec;

/*
 * Build a complete guest; the result validates with `virt-xml-validate F
 * domain`.  Errors: VPMU_ERR_USAGE for a missing name or arch, an unknown
 * virt type or CPU mode, or options that do not go together;
 * VPMU_ERR_INVALID for a value libvirt cannot take (a name with '/' or a line
 * break, a malformed UUID, bytes that are not UTF-8 or not XML characters).
 */
VPMU_EXPORT vpmu_domxml *vpmu_domxml_build(const vpmu_guest_spec *spec, vpmu_error **error);

/* The default machine type for an arch, or NULL when unknown. */
VPMU_EXPORT const char *vpmu_default_machine(const char *arch);

#ifdef __cplusplus
}
#endif
#endif /* VPMU_DOMXML_H */

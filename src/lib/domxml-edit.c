/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * domxml-edit.c: one job, setting or removing <features><pmu/> in the tree,
 * touching nothing else, and placing a new element where libvirt's own
 * formatter would write it, indented like its neighbours.
 *
 * Element order follows libvirt's formatter (virDomainDefFormatInternal and
 * the virDomainFeature enum in src/conf/domain_conf.[ch]; docs/facts.md,
 * "libvirt domain XML"): <features> comes after <os> (and <idmap>) and before
 * <cpu>, <clock>, the lifecycle actions and <devices>; inside <features>,
 * <pmu> comes after acpi, apic, pae, hap, viridian, privnet, hyperv, kvm,
 * pvspinlock and capabilities, and before vmport, gic, smm, ioapic and the
 * later ones.
 */
#include "config.h"

#include <string.h>

#include <libxml/tree.h>

#include "domxml-private.h"

/* ------------------------------------------------------------------------ */
/* Editing                                                                  */

/* <domain> children that libvirt writes before <features>, and after it. */
static const char *const before_features[] = {
        "name",
        "uuid",
        "genid",
        "title",
        "description",
        "metadata",
        "maxMemory",
        "memory",
        "currentMemory",
        "blkiotune",
        "memtune",
        "memoryBacking",
        "vcpu",
        "vcpus",
        "iothreads",
        "iothreadids",
        "defaultiothread",
        "cputune",
        "numatune",
        "resource",
        "sysinfo",
        "bootloader",
        "bootloader_args",
        "os",
        "idmap",
        "throttlegroups",
};
static const char *const after_features[] = {
        "cpu", "clock", "on_poweroff", "on_reboot", "on_crash", "on_lockfailure",
        "pm",  "perf",  "devices",     "seclabel",  "keywrap",  "launchSecurity",
};
/* <features> children that libvirt writes after <pmu>. */
static const char *const after_pmu[] = {
        "vmport", "gic",        "smm", "ioapic", "hpt",  "vmcoreinfo", "htm", "nested-hv",
        "msrs",   "ccf-assist", "xen", "cfpc",   "sbbc", "ibs",        "tcg", "async-teardown",
        "ras",    "ps2",        "aia",
};

/*
 * The indentation of a node's line: what follows the last newline of the
 * blank text node just before it, or NULL when the node does not start a
 * line of its own.
 */
static const char *
line_indent(const xmlNode *n)
{
    const char *nl;

    if (!n || !is_blank_text(n->prev) || !n->prev->content)
        return NULL;
    nl = strrchr((const char *)n->prev->content, '\n');
    return nl ? nl + 1 : NULL;
}

/* The document's indentation step: how far <domain>'s children are indented. */
static const char *
indent_unit(const xmlNode *root)
{
    for (xmlNode *c = root->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE) {
            const char *ind = line_indent(c);
            return ind && *ind ? ind : NULL;
        }
    }
    return NULL;
}

xmlNode *
domxml_new_blank(xmlDoc *doc, const char *indent)
{
    _cleanup_free_ char *s = xasprintf("\n%s", indent);
    return xmlNewDocText(doc, BAD_CAST s);
}

/*
 * Insert @elem under @parent, as its own line when the surroundings are
 * indented: before @before (an element child) when given, else after @after
 * (any non-text child) when given, else as the only content.  Blank text
 * nodes are added in an order that libxml2 cannot merge into the wrong side
 * (xmlAdd*Sibling merges adjacent text nodes).
 */
static void
insert_child(xmlNode *parent, xmlNode *elem, xmlNode *before, xmlNode *after, const char *unit)
{
    xmlDoc *doc = parent->doc;

    if (before) {
        const char *ind = line_indent(before);
        xmlAddPrevSibling(before, elem);
        if (ind)
            xmlAddPrevSibling(before, domxml_new_blank(doc, ind));
    } else if (after) {
        const char *ind = line_indent(after);
        xmlAddNextSibling(after, elem);
        if (ind)
            xmlAddNextSibling(after, domxml_new_blank(doc, ind));
    } else {
        const char *pind = line_indent(parent);
        xmlNode *last = parent->last;

        if (!pind || !unit) {
            xmlAddChild(parent, elem);
            return;
        }
        _cleanup_free_ char *ind = xasprintf("%s%s", pind, unit);
        if (is_blank_text(last) && strchr((const char *)last->content, '\n')) {
            xmlAddPrevSibling(last, elem);
            xmlAddPrevSibling(elem, domxml_new_blank(doc, ind));
        } else {
            xmlAddChild(parent, domxml_new_blank(doc, ind));
            xmlAddChild(parent, elem);
            xmlAddChild(parent, domxml_new_blank(doc, pind));
        }
    }
}

/* Place @elem among @parent's children in libvirt's order. */
static void
insert_ordered(xmlNode *parent, xmlNode *elem, const char *const *before_set, size_t n_before,
               const char *const *after_set, size_t n_after, const char *unit)
{
    xmlNode *last_before = NULL, *first_after = NULL, *last_content = NULL;

    for (xmlNode *c = parent->children; c; c = c->next) {
        if (c->type != XML_TEXT_NODE)
            last_content = c;
        if (before_set && name_in(c, before_set, n_before))
            last_before = c;
        if (!first_after && name_in(c, after_set, n_after))
            first_after = c;
    }
    if (last_before)
        insert_child(parent, elem, NULL, last_before, unit);
    else if (first_after)
        insert_child(parent, elem, first_after, NULL, unit);
    else
        insert_child(parent, elem, NULL, last_content, unit);
}

static void
remove_with_leading_blank(xmlNode *n)
{
    xmlNode *prev = n->prev;

    if (is_blank_text(prev)) {
        xmlUnlinkNode(prev);
        xmlFreeNode(prev);
    }
    xmlUnlinkNode(n);
    xmlFreeNode(n);
}

void
domxml_set_pmu_tree(xmlDoc *doc, vpmu_pmu pmu)
{
    xmlNode *root = xmlDocGetRootElement(doc);
    xmlNode *features = first_child_elem(root, "features");
    xmlNode *elem = first_child_elem(features, "pmu");
    const char *unit = indent_unit(root);
    const char *state = pmu == VPMU_PMU_ON ? "on" : "off";

    if (pmu == VPMU_PMU_UNSET) {
        if (elem)
            remove_with_leading_blank(elem);
        return;
    }
    if (elem) {
        _cleanup_free_ char *cur = domxml_attr_value(elem, "state");

        /* Already so: the element is left alone, and keeps its bytes. */
        if (cur && STREQ(cur, state))
            return;
        xmlSetProp(elem, BAD_CAST "state", BAD_CAST state);
        /* Changed: forget its span, so that libxml2 writes it (splice_*). */
        elem->_private = NULL;
        return;
    }
    if (!features) {
        features = xmlNewDocNode(doc, NULL, BAD_CAST "features", NULL);
        insert_ordered(root, features, before_features, ELEMENTSOF(before_features), after_features,
                       ELEMENTSOF(after_features), unit);
    }
    elem = xmlNewDocNode(doc, NULL, BAD_CAST "pmu", NULL);
    xmlNewProp(elem, BAD_CAST "state", BAD_CAST state);
    insert_ordered(features, elem, NULL, 0, after_pmu, ELEMENTSOF(after_pmu), unit);
}

int
vpmu_domxml_set_pmu(vpmu_domxml *d, vpmu_pmu pmu, vpmu_error **error)
{
    if (!d) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "no document to edit");
        return -1;
    }
    if ((unsigned)pmu >= VPMU_PMU_LAST) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "invalid vPMU setting %d", (int)pmu);
        return -1;
    }
    domxml_set_pmu_tree(d->doc, pmu);
    return 0;
}

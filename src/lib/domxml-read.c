/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * domxml-read.c: one job, reading what vpmu reports from a parsed domain:
 * the <pmu> setting and the guest's identity (name, UUID, arch, machine,
 * CPU mode and model, Nova's instance metadata matched by namespace URI).
 */
#include "config.h"

#include <string.h>

#include <libxml/tree.h>

#include "domxml-private.h"

/* Text content, as an owned C string; NULL when there is no such node. */
char *
domxml_node_text(const xmlNode *n)
{
    _cleanup_xmlfree_ xmlChar *t = NULL;

    if (!n)
        return NULL;
    t = xmlNodeGetContent(n);
    return xstrdup(t ? (const char *)t : "");
}

char *
domxml_node_text_stripped(const xmlNode *n)
{
    _cleanup_free_ char *t = domxml_node_text(n);

    if (!t)
        return NULL;
    return xstrdup(strstrip(t));
}

/* A no-namespace attribute, as an owned C string, or NULL. */
char *
domxml_attr_value(const xmlNode *n, const char *name)
{
    _cleanup_xmlfree_ xmlChar *v = NULL;

    if (!n)
        return NULL;
    v = xmlGetNoNsProp(n, BAD_CAST name);
    return v ? xstrdup((const char *)v) : NULL;
}

/* ------------------------------------------------------------------------ */
/* Reading                                                                  */

static xmlNode *
find_features(const vpmu_domxml *d)
{
    return first_child_elem(xmlDocGetRootElement(d->doc), "features");
}

static vpmu_pmu
pmu_of(const xmlNode *pmu)
{
    _cleanup_free_ char *state = NULL;

    if (!pmu)
        return VPMU_PMU_UNSET;
    state = domxml_attr_value(pmu, "state");
    /* A bare <pmu/> means on (libvirt's schema default). */
    if (!state || STREQ(state, "on"))
        return VPMU_PMU_ON;
    return STREQ(state, "off") ? VPMU_PMU_OFF : VPMU_PMU_UNSET;
}

vpmu_pmu
vpmu_domxml_get_pmu(const vpmu_domxml *d)
{
    if (!d)
        return VPMU_PMU_UNSET;
    return pmu_of(first_child_elem(find_features(d), "pmu"));
}

static bool
in_nova_ns(const xmlNode *n)
{
    return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
           strncmp((const char *)n->ns->href, NOVA_NS_PREFIX, strlen(NOVA_NS_PREFIX)) == 0;
}

static xmlNode *
nova_child(const xmlNode *parent, const char *name)
{
    for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
        if (in_nova_ns(c) && STREQ((const char *)c->name, name))
            return c;
    return NULL;
}

int
vpmu_domxml_get_info(const vpmu_domxml *d, vpmu_domain_info *info, vpmu_error **error)
{
    xmlNode *root, *os, *cpu, *metadata, *instance, *root_el;
    char *type;

    if (!d || !info) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "no document to read");
        return -1;
    }
    memset(info, 0, sizeof(*info));
    root = xmlDocGetRootElement(d->doc);
    info->name = domxml_node_text(first_child_elem(root, "name"));
    info->uuid = domxml_node_text_stripped(first_child_elem(root, "uuid"));
    info->virt_type = domxml_attr_value(root, "type");
    os = first_child_elem(root, "os");
    info->arch = domxml_attr_value(first_child_elem(os, "type"), "arch");
    info->machine = domxml_attr_value(first_child_elem(os, "type"), "machine");
    cpu = first_child_elem(root, "cpu");
    if (cpu) {
        info->cpu_mode = domxml_attr_value(cpu, "mode");
        /* libvirt's default mode for a guest <cpu> is custom (virCPUDefParseXML). */
        if (!info->cpu_mode)
            info->cpu_mode = xstrdup("custom");
        info->cpu_model = domxml_node_text_stripped(first_child_elem(cpu, "model"));
    }
    info->pmu = vpmu_domxml_get_pmu(d);

    /* Nova's instance metadata, matched by namespace URI and not by prefix. */
    metadata = first_child_elem(root, "metadata");
    instance = nova_child(metadata, "instance");
    if (instance) {
        info->nova_name = domxml_node_text(nova_child(instance, "name"));
        info->nova_flavor = domxml_attr_value(nova_child(instance, "flavor"), "name");
        info->nova_managed = true;
        /* Boot from volume has no image root: nothing to read the image side from. */
        root_el = nova_child(instance, "root");
        type = domxml_attr_value(root_el, "type");
        if (type && STREQ(type, "image"))
            info->nova_image = domxml_attr_value(root_el, "uuid");
        free(type);
    }
    return 0;
}

void
vpmu_domain_info_clear(vpmu_domain_info *info)
{
    if (!info)
        return;
    free(info->name);
    free(info->uuid);
    free(info->virt_type);
    free(info->arch);
    free(info->machine);
    free(info->cpu_mode);
    free(info->cpu_model);
    free(info->nova_name);
    free(info->nova_flavor);
    free(info->nova_image);
    memset(info, 0, sizeof(*info));
}

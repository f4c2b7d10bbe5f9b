/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * domxml-private.h: what the domxml-*.c files and guest-build.c share behind
 * include/vpmu/domxml.h: the document object, the byte positions recorded
 * while parsing, libxml2 error capture and the small node helpers.  Not
 * installed; nothing here is exported (the library is built with hidden
 * visibility and a version script).
 */
#ifndef VPMU_DOMXML_PRIVATE_H
#define VPMU_DOMXML_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "cleanup.h"
#include "util.h"
#include "vpmu/domxml.h"

/* How much of a user value a message quotes. */
#define SHOW_MAX 64

#define NOVA_NS_PREFIX "http://openstack.org/xmlns/libvirt/nova/"

/*
 * Where an element's markup lies in the input, as byte offsets.  Recorded
 * while parsing for the elements an edit can reach or sit next to: the root,
 * its element children and the element children of its <features>.
 */
typedef struct {
    xmlNode *node;
    size_t begin;      /* the '<' of the start tag */
    size_t stag_end;   /* just past the start tag's '>' */
    size_t etag_begin; /* the '<' of the end tag; == end for an empty-element tag */
    size_t end;        /* just past the element's last '>' */
} span;

struct vpmu_domxml {
    xmlDoc *doc;
    char *filename; /* for messages */
    char *head;     /* bytes before the first top-level node: BOM, XML declaration, blanks */
    char *tail;     /* blanks after the last top-level node */
    bool crlf;      /* the input's lines end in CR LF */
    /*
     * For splicing (vpmu_domxml_format): the input and the spans of its
     * elements; an element's _private holds its index in spans, plus one, and
     * an edit that changes an element clears it.  NULL for a built guest, for
     * a document parsed without VPMU_DOMXML_PRESERVE_BYTES, and when a span
     * could not be recorded: the whole tree is serialized then.
     */
    char *orig;
    size_t orig_len;
    span *spans;
    size_t n_spans;
#ifdef VPMU_TEST_HOOKS
    bool sabotage; /* vpmu_domxml_test_sabotage_splice() */
#endif
};

DEFINE_TRIVIAL_CLEANUP_FUNC(xmlDoc *, xmlFreeDoc)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlParserCtxt *, xmlFreeParserCtxt)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlBuffer *, xmlBufferFree)

static inline void
xmlfreep(void *p)
{
    xmlChar *s = *(xmlChar **)p;
    if (s)
        xmlFree(s);
}
#define _cleanup_xmlfree_ _cleanup_(xmlfreep)

/*
 * The first error libxml2 reports during one operation, as "FILE:LINE: what".
 * libxml2's global handlers are per thread (2.9 keeps them in thread-local
 * state), so swapping them around a call and restoring them afterwards never
 * affects another thread, and libxml2 never prints to stderr meanwhile.
 */
typedef struct {
    const char *filename;
    char *message;
    xmlGenericErrorFunc old_generic;
    void *old_generic_ctx;
    xmlStructuredErrorFunc old_structured;
    void *old_structured_ctx;
} xml_errors;

void domxml_errors_begin(xml_errors *e, const char *filename);
void domxml_errors_end(xml_errors *e);
void domxml_errors_clear(xml_errors *e);

/* What the hooks share, through ctxt->_private. */
typedef struct {
    xml_errors errs;
    /* Span recording (parsing with VPMU_DOMXML_PRESERVE_BYTES only; the
     * self-check parses without). */
    bool record;
    bool spans_ok;   /* every span recorded so far was checked against the bytes */
    const char *buf; /* the input */
    size_t len;
    size_t bom; /* libxml2 counts offsets from past a UTF-8 byte order mark */
    span *spans;
    size_t n_spans, cap_spans;
} parse_state;

/* A parser with the hooks of domxml-parse.c (NULL when libxml2 cannot make
 * one), and one parse of @buf with it. */
xmlParserCtxt *domxml_new_parser(parse_state *st);
xmlDoc *domxml_read_memory(xmlParserCtxt *ctxt, const char *buf, size_t len);

/* Whether a value can be carried by an XML document (on one line unless
 * @allow_newlines). */
bool domxml_value_ok(const char *s, bool allow_newlines);

/* Node text and attributes as owned C strings (domxml-read.c). */
char *domxml_node_text(const xmlNode *n);
char *domxml_node_text_stripped(const xmlNode *n);
char *domxml_attr_value(const xmlNode *n, const char *name);

/* Editing helpers that building shares (domxml-edit.c). */
xmlNode *domxml_new_blank(xmlDoc *doc, const char *indent);
void domxml_set_pmu_tree(xmlDoc *doc, vpmu_pmu pmu);

static inline bool
is_xml_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static inline bool
is_blank_text(const xmlNode *n)
{
    if (!n || n->type != XML_TEXT_NODE)
        return false;
    for (const xmlChar *p = n->content; p && *p; p++)
        if (!is_xml_space((char)*p))
            return false;
    return true;
}

/* An element of libvirt's vocabulary: no namespace, this name. */
static inline bool
is_elem(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && !n->ns && STREQ((const char *)n->name, name);
}

static inline xmlNode *
first_child_elem(const xmlNode *parent, const char *name)
{
    if (!parent)
        return NULL;
    for (xmlNode *c = parent->children; c; c = c->next)
        if (is_elem(c, name))
            return c;
    return NULL;
}

static inline bool
name_in(const xmlNode *n, const char *const *names, size_t count)
{
    if (!n || n->type != XML_ELEMENT_NODE || n->ns)
        return false;
    for (size_t i = 0; i < count; i++)
        if (STREQ((const char *)n->name, names[i]))
            return true;
    return false;
}

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirt domain XML through libxml2's tree API: parse (hostile-input safe),
 * read what the vPMU cares about, set or remove <features><pmu/>, build a
 * whole guest, and serialize.  No XML is ever put together from strings:
 * every element, attribute and text is a tree node, so a value can never
 * change the document's structure.
 *
 * The decisions on hostile input are documented in include/vpmu/domxml.h;
 * each has a test in tests/test-domxml.c with its input under
 * tests/data/hostile-xml/.
 *
 * Facts relied on (FACTS.md §2): <domain><features><pmu state='on|off'/>,
 * a bare <pmu/> means on, and the schema allows only on and off.  Element
 * order follows libvirt's own formatter (virDomainDefFormatInternal and the
 * virDomainFeature enum in src/conf/domain_conf.[ch]): <features> comes after
 * <os> (and <idmap>) and before <cpu>, <clock>, the lifecycle actions and
 * <devices>; inside <features>, <pmu> comes after acpi, apic, pae, hap,
 * viridian, privnet, hyperv, kvm, pvspinlock and capabilities, and before
 * vmport, gic, smm, ioapic and the later ones.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>

#include "domxml-test.h"
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
     * an edit that changes an element clears it.  NULL for a built guest, and
     * when a span could not be recorded: the whole tree is serialized then.
     */
    char *orig;
    size_t orig_len;
    span *spans;
    size_t n_spans;
    /* The parser, kept for the self-check: making one (and its dictionary,
     * which the document shares) costs more than parsing the skeleton. */
    xmlParserCtxt *ctxt;
    bool sabotage; /* vpmu_domxml_test_sabotage_splice() */
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

/* ------------------------------------------------------------------------ */
/* libxml2 error capture                                                    */

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

static void
generic_sink(void *ctx _unused_, const char *msg _unused_, ...)
{
    /* Unstructured messages (rare, from outside the parser) are dropped: the
     * caller learns of the failure from the return value. */
}

/* libxml2's messages end with a newline and sometimes hold more lines. */
static char *
tidy_message(const char *msg)
{
    _cleanup_free_ char *s = xstrdup(msg && *msg ? msg : "unknown libxml2 error");

    for (char *p = s; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    return xstrdup(strstrip(s));
}

static void
record_error(xml_errors *e, long line, const char *what)
{
    if (e->message)
        return;
    if (line > 0)
        e->message = xasprintf("%s:%ld: %s", e->filename, line, what);
    else
        e->message = xasprintf("%s: %s", e->filename, what);
}

static void
structured_sink(void *ctx, xmlErrorPtr err)
{
    xml_errors *e = ctx;
    _cleanup_free_ char *msg = NULL;

    if (!e || !err || err->level < XML_ERR_ERROR)
        return; /* warnings change nothing */
    msg = tidy_message(err->message);
    record_error(e, err->line, msg);
}

static void
xml_errors_begin(xml_errors *e, const char *filename)
{
    memset(e, 0, sizeof(*e));
    e->filename = filename;
    xmlInitParser();
    e->old_generic = xmlGenericError;
    e->old_generic_ctx = xmlGenericErrorContext;
    e->old_structured = xmlStructuredError;
    e->old_structured_ctx = xmlStructuredErrorContext;
    xmlSetGenericErrorFunc(e, generic_sink);
    xmlSetStructuredErrorFunc(e, structured_sink);
}

static void
xml_errors_end(xml_errors *e)
{
    xmlSetGenericErrorFunc(e->old_generic_ctx, e->old_generic);
    xmlSetStructuredErrorFunc(e->old_structured_ctx, e->old_structured);
    xmlResetLastError();
}

static void
xml_errors_clear(xml_errors *e)
{
    free(e->message);
    e->message = NULL;
}

/* ------------------------------------------------------------------------ */
/* Small helpers                                                            */

static bool
is_xml_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool
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
static bool
is_elem(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && !n->ns && STREQ((const char *)n->name, name);
}

static xmlNode *
first_child_elem(const xmlNode *parent, const char *name)
{
    if (!parent)
        return NULL;
    for (xmlNode *c = parent->children; c; c = c->next)
        if (is_elem(c, name))
            return c;
    return NULL;
}

static bool
name_in(const xmlNode *n, const char *const *names, size_t count)
{
    if (!n || n->type != XML_ELEMENT_NODE || n->ns)
        return false;
    for (size_t i = 0; i < count; i++)
        if (STREQ((const char *)n->name, names[i]))
            return true;
    return false;
}

/* Text content, as an owned C string; NULL when there is no such node. */
static char *
node_text(const xmlNode *n)
{
    _cleanup_xmlfree_ xmlChar *t = NULL;

    if (!n)
        return NULL;
    t = xmlNodeGetContent(n);
    return xstrdup(t ? (const char *)t : "");
}

static char *
node_text_stripped(const xmlNode *n)
{
    _cleanup_free_ char *t = node_text(n);

    if (!t)
        return NULL;
    return xstrdup(strstrip(t));
}

/* A no-namespace attribute, as an owned C string, or NULL. */
static char *
attr_value(const xmlNode *n, const char *name)
{
    _cleanup_xmlfree_ xmlChar *v = NULL;

    if (!n)
        return NULL;
    v = xmlGetNoNsProp(n, BAD_CAST name);
    return v ? xstrdup((const char *)v) : NULL;
}

/*
 * Decode one UTF-8 sequence at s (n bytes available).  Returns its length and
 * sets *cp, or 0 when the bytes are not well-formed UTF-8 (overlong forms,
 * surrogates and values past U+10FFFF included).
 */
static size_t
utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t v, min;

    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        len = 2, v = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, v = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

/* Offset of the first byte that is not well-formed UTF-8, or len. */
static size_t
utf8_first_invalid(const char *buf, size_t len)
{
    const unsigned char *s = (const unsigned char *)buf;
    size_t i = 0;

    while (i < len) {
        uint32_t cp;
        size_t k = utf8_decode(s + i, len - i, &cp);
        if (k == 0)
            return i;
        i += k;
    }
    return len;
}

/* XML 1.0 Char production. */
static bool
is_xml_char(uint32_t c)
{
    return c == 0x9 || c == 0xa || c == 0xd || (c >= 0x20 && c <= 0xd7ff) ||
           (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);
}

/* Whether a value can be carried by an XML document, and on one line. */
static bool
xml_value_ok(const char *s, bool allow_newlines)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);

    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = utf8_decode(p + i, n - i, &cp);
        if (k == 0 || !is_xml_char(cp))
            return false;
        if (!allow_newlines && (cp == '\n' || cp == '\r'))
            return false;
        i += k;
    }
    return true;
}

static long
line_at(const char *buf, size_t off)
{
    long line = 1;

    for (size_t i = 0; i < off; i++)
        if (buf[i] == '\n')
            line++;
    return line;
}

/* ------------------------------------------------------------------------ */
/* Parsing                                                                  */

/*
 * SAX hooks wrapped around libxml2's tree builder.  They refuse what a domain
 * document never needs before libxml2 acts on it: any DTD that could declare
 * or fetch something, entity declarations and external resources, and
 * nesting deeper than VPMU_DOMXML_MAX_DEPTH.  Refusal stops the parser at
 * once, so nothing after the offending construct is read.
 */

/* What the hooks share, through ctxt->_private. */
typedef struct {
    xml_errors errs;
    /* Span recording (vpmu_domxml_parse only; the self-check parses without). */
    bool record;
    bool spans_ok;   /* every span recorded so far was checked against the bytes */
    const char *buf; /* the input */
    size_t len;
    size_t bom; /* libxml2 counts offsets from past a UTF-8 byte order mark */
    span *spans;
    size_t n_spans, cap_spans;
} parse_state;

static void
refuse(xmlParserCtxtPtr ctxt, const char *what)
{
    parse_state *st = ctxt->_private;

    record_error(&st->errs, ctxt->input ? ctxt->input->line : 0, what);
    xmlStopParser(ctxt);
}

static void
sax_internal_subset(void *ctx, const xmlChar *name, const xmlChar *external_id,
                    const xmlChar *system_id)
{
    xmlParserCtxtPtr ctxt = ctx;
    /* libxml2 calls this after the external ID, with the input at '[' when an
     * internal subset follows. */
    bool subset = ctxt->input && ctxt->input->cur && *ctxt->input->cur == '[';

    if (external_id || system_id || subset) {
        refuse(ctxt, "a DOCTYPE with an internal subset or an external identifier is refused: "
                     "domain XML needs no DTD and no entities");
        return;
    }
    xmlSAX2InternalSubset(ctx, name, external_id, system_id);
}

/* Called at the end of every DOCTYPE; never loads anything here. */
static void
sax_external_subset(void *ctx, const xmlChar *name _unused_, const xmlChar *external_id,
                    const xmlChar *system_id)
{
    if (external_id || system_id)
        refuse(ctx, "external DTD subsets are refused");
}

static void
sax_entity_decl(void *ctx, const xmlChar *name _unused_, int type _unused_,
                const xmlChar *public_id _unused_, const xmlChar *system_id _unused_,
                xmlChar *content _unused_)
{
    refuse(ctx, "entity declarations are refused");
}

static xmlParserInputPtr
sax_resolve_entity(void *ctx, const xmlChar *public_id _unused_, const xmlChar *system_id _unused_)
{
    refuse(ctx, "external entities are refused");
    return NULL;
}

/*
 * Span recording.  libxml2's own node info (ctxt->record_info) cannot serve:
 * in 2.9.14 xmlParseElementEnd stores an entry whose begin_pos and
 * begin_line were never set, so only elements written <x/> get a start.
 * The hooks below read the parser's offset instead, at the two moments it is
 * known: startElementNs is called with the input at the '>' or "/>" that
 * closes the start tag, endElementNs just past the '>' that ends the element.
 * A start tag holds no '<' (attribute values cannot), so the last '<' before
 * the start tag's end begins it, and the last '<' of the element begins its
 * end tag.  Each position is checked against the bytes (the '<' followed by
 * the element's name, the '>'); one failed check turns splicing off for the
 * document, never a parse.
 */
static size_t
input_offset(const xmlParserCtxt *ctxt, const parse_state *st)
{
    const xmlParserInput *in = ctxt->input;

    return st->bom + (size_t)in->consumed + (size_t)(in->cur - in->base);
}

/* Whether the qualified name prefix:localname (or localname) starts at p,
 * followed by a blank, '>' or '/'. */
static bool
qname_at(const char *p, size_t n, const xmlChar *prefix, const xmlChar *localname)
{
    size_t pl = prefix ? strlen((const char *)prefix) : 0;
    size_t ll = strlen((const char *)localname);
    size_t k = pl ? pl + 1 + ll : ll;

    if (n <= k)
        return false;
    if (pl && (memcmp(p, prefix, pl) != 0 || p[pl] != ':'))
        return false;
    if (memcmp(p + (pl ? pl + 1 : 0), localname, ll) != 0)
        return false;
    return is_xml_space(p[k]) || p[k] == '>' || p[k] == '/';
}

static void
record_start(xmlParserCtxtPtr ctxt, parse_state *st, const xmlNode *parent, int level,
             const xmlChar *localname, const xmlChar *prefix)
{
    xmlNode *n = ctxt->node;
    const char *lt;
    size_t off, stag_end;

    /* Level 3 only inside <features> (the root's child of that name). */
    if (level > 3 || (level == 3 && !is_elem(parent, "features")))
        return;
    if (!n || n == parent || n->type != XML_ELEMENT_NODE || !ctxt->input)
        goto bad;
    off = input_offset(ctxt, st);
    if (off >= st->len)
        goto bad;
    if (st->buf[off] == '>')
        stag_end = off + 1;
    else if (st->buf[off] == '/' && off + 1 < st->len && st->buf[off + 1] == '>')
        stag_end = off + 2;
    else
        goto bad;
    lt = memrchr(st->buf, '<', off);
    if (!lt || !qname_at(lt + 1, (size_t)(st->buf + off - lt), prefix, localname))
        goto bad;
    if (st->n_spans == st->cap_spans) {
        st->cap_spans = st->cap_spans ? 2 * st->cap_spans : 32;
        st->spans = xreallocarray(st->spans, st->cap_spans, sizeof(*st->spans));
    }
    st->spans[st->n_spans] = (span){.node = n,
                                    .begin = (size_t)(lt - st->buf),
                                    .stag_end = stag_end,
                                    .etag_begin = 0,
                                    .end = 0};
    n->_private = (void *)(uintptr_t)++st->n_spans;
    return;
bad:
    st->spans_ok = false;
}

static void
record_end(xmlParserCtxtPtr ctxt, parse_state *st, xmlNode *n)
{
    uintptr_t idx = (uintptr_t)n->_private;
    span *s;
    size_t off;

    if (idx == 0 || idx > st->n_spans || st->spans[idx - 1].node != n || !ctxt->input)
        goto bad;
    s = &st->spans[idx - 1];
    off = input_offset(ctxt, st);
    if (off > st->len || off < s->stag_end || st->buf[off - 1] != '>')
        goto bad;
    if (off == s->stag_end) {
        if (st->buf[off - 2] != '/') /* <x/>: the start tag is the whole element */
            goto bad;
        s->etag_begin = off;
    } else {
        const char *lt = memrchr(st->buf + s->stag_end, '<', off - s->stag_end);
        if (!lt || lt[1] != '/')
            goto bad;
        s->etag_begin = (size_t)(lt - st->buf);
    }
    s->end = off;
    return;
bad:
    st->spans_ok = false;
}

static void
sax_start_element_ns(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
                     int nb_namespaces, const xmlChar **namespaces, int nb_attributes,
                     int nb_defaulted, const xmlChar **attributes)
{
    xmlParserCtxtPtr ctxt = ctx;
    parse_state *st = ctxt->_private;
    xmlNode *parent = ctxt->node;
    /* nameNr counts the open ancestors of this element. */
    int level = ctxt->nameNr + 1;

    if (ctxt->nameNr >= VPMU_DOMXML_MAX_DEPTH) {
        _cleanup_free_ char *what = xasprintf("elements nest deeper than the limit of %d levels",
                                              VPMU_DOMXML_MAX_DEPTH);
        refuse(ctxt, what);
        return;
    }
    xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes,
                          nb_defaulted, attributes);
    if (st->record && st->spans_ok)
        record_start(ctxt, st, parent, level, localname, prefix);
}

static void
sax_end_element_ns(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri)
{
    xmlParserCtxtPtr ctxt = ctx;
    parse_state *st = ctxt->_private;

    /* ctxt->node is still the element that ends. */
    if (st->record && st->spans_ok && ctxt->node && ctxt->node->_private)
        record_end(ctxt, st, ctxt->node);
    xmlSAX2EndElementNs(ctx, localname, prefix, uri);
}

/*
 * The bytes libxml2's serializer cannot reproduce, kept verbatim: a UTF-8
 * byte order mark, the XML declaration exactly as written (libxml2 would
 * rewrite its quotes and pseudo-attributes), the blanks up to the first node,
 * and the blanks after the last one.
 */
static void
split_prolog(const char *buf, size_t len, size_t *head_len, size_t *tail_off, size_t *decl_off,
             size_t *decl_len)
{
    size_t i = 0, t;

    *decl_off = *decl_len = 0;
    if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
        i = 3;
    if (len - i >= 6 && memcmp(buf + i, "<?xml", 5) == 0 && is_xml_space(buf[i + 5])) {
        const char *end = memmem(buf + i, len - i, "?>", 2);
        if (end) {
            *decl_off = i;
            i = (size_t)(end - buf) + 2;
            *decl_len = i - *decl_off;
        }
    }
    while (i < len && is_xml_space(buf[i]))
        i++;
    *head_len = i;
    t = len;
    while (t > i && is_xml_space(buf[t - 1]))
        t--;
    *tail_off = t;
}

/* The encoding pseudo-attribute of an XML declaration, or NULL. */
static char *
declared_encoding(const char *decl, size_t len)
{
    size_t i = 5; /* past "<?xml" */

    while (i < len) {
        size_t name_start, name_len, val_start;
        char quote;

        while (i < len && is_xml_space(decl[i]))
            i++;
        name_start = i;
        while (i < len &&
               ((decl[i] >= 'a' && decl[i] <= 'z') || (decl[i] >= 'A' && decl[i] <= 'Z')))
            i++;
        name_len = i - name_start;
        if (name_len == 0)
            return NULL;
        while (i < len && is_xml_space(decl[i]))
            i++;
        if (i >= len || decl[i] != '=')
            return NULL;
        i++;
        while (i < len && is_xml_space(decl[i]))
            i++;
        if (i >= len || (decl[i] != '"' && decl[i] != '\''))
            return NULL;
        quote = decl[i++];
        val_start = i;
        while (i < len && decl[i] != quote)
            i++;
        if (i >= len)
            return NULL;
        if (name_len == 8 && memcmp(decl + name_start, "encoding", 8) == 0)
            return xstrndup(decl + val_start, i - val_start);
        i++;
    }
    return NULL;
}

static bool
encoding_is_utf8(const char *enc)
{
    return strcasecmp(enc, "UTF-8") == 0 || strcasecmp(enc, "UTF8") == 0 ||
           strcasecmp(enc, "US-ASCII") == 0 || strcasecmp(enc, "ASCII") == 0;
}

/*
 * What libvirt would refuse, or what vpmu cannot edit unambiguously: the
 * root must be <domain>, at most one <features>, at most one <pmu> in it, and
 * its state must be on or off.
 */
static int
check_domain(xmlDoc *doc, const char *filename, vpmu_error **error)
{
    xmlNode *root = xmlDocGetRootElement(doc);
    xmlNode *features = NULL, *pmu = NULL;

    if (!root) {
        vpmu_error_set(error, VPMU_ERR_INVALID, "%s: the document has no root element", filename);
        return -1;
    }
    if (!is_elem(root, "domain")) {
        _cleanup_free_ char *shown = quote_for_message((const char *)root->name, SHOW_MAX);
        vpmu_error_set(error, VPMU_ERR_INVALID,
                       "%s:%ld: the root element is <%s>%s, not libvirt's <domain>", filename,
                       xmlGetLineNo(root), shown, root->ns ? " in a namespace" : "");
        return -1;
    }
    for (xmlNode *c = root->children; c; c = c->next) {
        if (!is_elem(c, "features"))
            continue;
        if (features) {
            vpmu_error_set(error, VPMU_ERR_INVALID,
                           "%s:%ld: duplicate <features> element (the first is on line %ld); "
                           "libvirt allows one",
                           filename, xmlGetLineNo(c), xmlGetLineNo(features));
            return -1;
        }
        features = c;
    }
    if (!features)
        return 0;
    for (xmlNode *c = features->children; c; c = c->next) {
        _cleanup_free_ char *state = NULL;

        if (!is_elem(c, "pmu"))
            continue;
        if (pmu) {
            vpmu_error_set(error, VPMU_ERR_INVALID,
                           "%s:%ld: duplicate <pmu> element in <features> (the first is on line "
                           "%ld); libvirt allows one",
                           filename, xmlGetLineNo(c), xmlGetLineNo(pmu));
            return -1;
        }
        pmu = c;
        state = attr_value(c, "state");
        if (state && !STREQ(state, "on") && !STREQ(state, "off")) {
            _cleanup_free_ char *shown = quote_for_message(state, SHOW_MAX);
            vpmu_error_set(error, VPMU_ERR_INVALID,
                           "%s:%ld: invalid <pmu> state '%s'; libvirt accepts 'on' or 'off'",
                           filename, xmlGetLineNo(c), shown);
            return -1;
        }
    }
    return 0;
}

/*
 * A parser with the hooks above, for vpmu_domxml_parse and for the self-check
 * of vpmu_domxml_format.  NULL when libxml2 cannot make one.
 */
static xmlParserCtxt *
new_parser(parse_state *st)
{
    xmlParserCtxt *ctxt = xmlNewParserCtxt();

    if (!ctxt)
        return NULL;
    ctxt->_private = st;
    ctxt->sax->internalSubset = sax_internal_subset;
    ctxt->sax->externalSubset = sax_external_subset;
    ctxt->sax->entityDecl = sax_entity_decl;
    ctxt->sax->resolveEntity = sax_resolve_entity;
    ctxt->sax->startElementNs = sax_start_element_ns;
    ctxt->sax->endElementNs = sax_end_element_ns;
    return ctxt;
}

static xmlDoc *
read_memory(xmlParserCtxt *ctxt, const char *buf, size_t len)
{
    /* No XML_PARSE_NOENT (no entity substitution), no DTD loading. */
    const int options =
            XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_IGNORE_ENC | XML_PARSE_BIG_LINES;

    return xmlCtxtReadMemory(ctxt, buf, (int)len, NULL, "UTF-8", options);
}

/* Forget the spans of @st: the nodes' _private go back to NULL. */
static void
drop_spans(parse_state *st)
{
    for (size_t i = 0; i < st->n_spans; i++)
        st->spans[i].node->_private = NULL;
    free(st->spans);
    st->spans = NULL;
    st->n_spans = st->cap_spans = 0;
}

vpmu_domxml *
vpmu_domxml_parse(const char *buf, size_t len, const char *filename, vpmu_error **error)
{
    _cleanup_(xmlFreeParserCtxtp) xmlParserCtxt *ctxt = NULL;
    _cleanup_(xmlFreeDocp) xmlDoc *doc = NULL;
    _cleanup_free_ char *encoding = NULL;
    vpmu_domxml *d;
    parse_state st;
    size_t head_len, tail_off, decl_off, decl_len, bad;
    const char *nul;

    if (!filename)
        filename = "<input>";
    if (!buf) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "%s: no document given", filename);
        return NULL;
    }
    if (len > VPMU_DOMXML_MAX_BYTES) {
        vpmu_error_set(error, VPMU_ERR_INVALID,
                       "%s: the document is larger than the %u-byte limit for domain XML", filename,
                       VPMU_DOMXML_MAX_BYTES);
        return NULL;
    }
    bad = utf8_first_invalid(buf, len);
    if (bad < len) {
        vpmu_error_set(error, VPMU_ERR_INVALID,
                       "%s:%ld: byte 0x%02x is not valid UTF-8; domain XML must be UTF-8", filename,
                       line_at(buf, bad), (unsigned char)buf[bad]);
        return NULL;
    }
    /* libxml2 takes a NUL for the end of its input and would ignore what
     * follows; XML has no NUL character, so refuse it. */
    nul = memchr(buf, '\0', len);
    if (nul) {
        vpmu_error_set(error, VPMU_ERR_INVALID,
                       "%s:%ld: NUL byte in the input; domain XML must be UTF-8 text without NUL "
                       "bytes",
                       filename, line_at(buf, (size_t)(nul - buf)));
        return NULL;
    }
    split_prolog(buf, len, &head_len, &tail_off, &decl_off, &decl_len);
    if (decl_len) {
        encoding = declared_encoding(buf + decl_off, decl_len);
        if (encoding && !encoding_is_utf8(encoding)) {
            _cleanup_free_ char *shown = quote_for_message(encoding, SHOW_MAX);
            vpmu_error_set(error, VPMU_ERR_INVALID,
                           "%s:%ld: encoding '%s' is refused; domain XML must be UTF-8", filename,
                           line_at(buf, decl_off), shown);
            return NULL;
        }
    }

    memset(&st, 0, sizeof(st));
    st.record = st.spans_ok = true;
    st.buf = buf;
    st.len = len;
    /* libxml2 drops a UTF-8 byte order mark from its input without counting it. */
    st.bom = len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
    xml_errors_begin(&st.errs, filename);
    ctxt = new_parser(&st);
    if (!ctxt) {
        xml_errors_end(&st.errs);
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "%s: cannot create an XML parser", filename);
        return NULL;
    }
    doc = read_memory(ctxt, buf, len);
    xml_errors_end(&st.errs);

    if (st.errs.message || !doc) {
        vpmu_error_set(error, VPMU_ERR_INVALID, "%s",
                       st.errs.message ? st.errs.message : "the document is not well-formed XML");
        if (!st.errs.message)
            vpmu_error_prefix(error, "%s", filename);
        xml_errors_clear(&st.errs);
        free(st.spans);
        return NULL;
    }
    if (check_domain(doc, filename, error) < 0) {
        free(st.spans);
        return NULL;
    }

    d = xcalloc(1, sizeof(*d));
    d->doc = TAKE_PTR(doc);
    d->filename = xstrdup(filename);
    d->head = xstrndup(buf, head_len);
    d->tail = xstrndup(buf + tail_off, len - tail_off);
    {
        /* XML parsers turn CR LF into LF; the first line ending says which
         * ones to write back. */
        const char *nl = memchr(buf, '\n', len);
        d->crlf = nl && nl > buf && nl[-1] == '\r';
    }
    /* Every recorded element must have ended, the root first of all. */
    for (size_t i = 0; st.spans_ok && i < st.n_spans; i++)
        st.spans_ok = st.spans[i].end != 0;
    if (st.spans_ok && xmlDocGetRootElement(d->doc)->_private) {
        d->orig = xmalloc(len + 1);
        memcpy(d->orig, buf, len);
        d->orig[len] = '\0';
        d->orig_len = len;
        d->spans = TAKE_PTR(st.spans);
        d->n_spans = st.n_spans;
        /* Its input (a copy of buf) goes now; the hooks' state was ours. */
        xmlCtxtReset(ctxt);
        ctxt->_private = NULL;
        d->ctxt = TAKE_PTR(ctxt);
    } else {
        drop_spans(&st);
    }
    return d;
}

vpmu_domxml *
vpmu_domxml_load(const char *path, vpmu_error **error)
{
    _cleanup_free_ char *buf = NULL;
    const char *shown;
    struct stat st;
    size_t len = 0;

    if (!path) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "no domain XML file given");
        return NULL;
    }
    shown = STREQ(path, "-") ? "<stdin>" : path;
    /* A regular file that is too large is refused before reading a byte of it;
     * a stream is refused as soon as it passes the limit. */
    if (!STREQ(path, "-") && stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
        (unsigned long long)st.st_size > VPMU_DOMXML_MAX_BYTES) {
        vpmu_error_set(error, VPMU_ERR_INVALID,
                       "'%s' is larger than the %u-byte limit for domain XML", shown,
                       VPMU_DOMXML_MAX_BYTES);
        return NULL;
    }
    if (vpmu_read_file(path, VPMU_DOMXML_MAX_BYTES, &buf, &len, error) < 0)
        return NULL;
    return vpmu_domxml_parse(buf, len, shown, error);
}

void
vpmu_domxml_free(vpmu_domxml *d)
{
    if (!d)
        return;
    xmlFreeDoc(d->doc);
    free(d->filename);
    free(d->head);
    free(d->tail);
    free(d->orig);
    free(d->spans);
    if (d->ctxt)
        xmlFreeParserCtxt(d->ctxt);
    free(d);
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
    state = attr_value(pmu, "state");
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
    xmlNode *root, *os, *cpu, *metadata, *instance;

    if (!d || !info) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "no document to read");
        return -1;
    }
    memset(info, 0, sizeof(*info));
    root = xmlDocGetRootElement(d->doc);
    info->name = node_text(first_child_elem(root, "name"));
    info->uuid = node_text_stripped(first_child_elem(root, "uuid"));
    info->virt_type = attr_value(root, "type");
    os = first_child_elem(root, "os");
    info->arch = attr_value(first_child_elem(os, "type"), "arch");
    info->machine = attr_value(first_child_elem(os, "type"), "machine");
    cpu = first_child_elem(root, "cpu");
    if (cpu) {
        info->cpu_mode = attr_value(cpu, "mode");
        /* libvirt's default mode for a guest <cpu> is custom (virCPUDefParseXML). */
        if (!info->cpu_mode)
            info->cpu_mode = xstrdup("custom");
        info->cpu_model = node_text_stripped(first_child_elem(cpu, "model"));
    }
    info->pmu = vpmu_domxml_get_pmu(d);

    /* Nova's instance metadata, matched by namespace URI and not by prefix. */
    metadata = first_child_elem(root, "metadata");
    instance = nova_child(metadata, "instance");
    if (instance) {
        info->nova_name = node_text(nova_child(instance, "name"));
        info->nova_flavor = attr_value(nova_child(instance, "flavor"), "name");
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
    memset(info, 0, sizeof(*info));
}

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

static xmlNode *
new_blank(xmlDoc *doc, const char *indent)
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
            xmlAddPrevSibling(before, new_blank(doc, ind));
    } else if (after) {
        const char *ind = line_indent(after);
        xmlAddNextSibling(after, elem);
        if (ind)
            xmlAddNextSibling(after, new_blank(doc, ind));
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
            xmlAddPrevSibling(elem, new_blank(doc, ind));
        } else {
            xmlAddChild(parent, new_blank(doc, ind));
            xmlAddChild(parent, elem);
            xmlAddChild(parent, new_blank(doc, pind));
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

static void
set_pmu_tree(xmlDoc *doc, vpmu_pmu pmu)
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
        _cleanup_free_ char *cur = attr_value(elem, "state");

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
    set_pmu_tree(d->doc, pmu);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Serializing                                                              */

/*
 * The whole tree, written by libxml2: for built guests, and whenever a
 * document cannot be spliced (see below).
 */
static int
format_whole(const vpmu_domxml *d, char **out, size_t *len, vpmu_error **error)
{
    _cleanup_(xmlBufferFreep) xmlBuffer *buf = NULL;
    xmlSaveCtxtPtr save;
    xml_errors errs;
    const char *body;
    size_t body_len, head_len, tail_len, o;
    long rc;
    char *res;

    xml_errors_begin(&errs, d->filename);
    buf = xmlBufferCreate();
    /* Without XML_SAVE_FORMAT: libxml2 writes the tree as it is, whitespace
     * nodes included; the declaration is kept verbatim in d->head instead. */
    save = buf ? xmlSaveToBuffer(buf, "UTF-8", XML_SAVE_NO_DECL | XML_SAVE_AS_XML) : NULL;
    rc = save ? xmlSaveDoc(save, d->doc) : -1;
    if (save && xmlSaveClose(save) < 0)
        rc = -1;
    xml_errors_end(&errs);
    if (rc < 0 || errs.message) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "%s: cannot serialize the document: %s",
                       d->filename, errs.message ? errs.message : "libxml2 failed");
        xml_errors_clear(&errs);
        return -1;
    }
    body = (const char *)xmlBufferContent(buf);
    body_len = (size_t)xmlBufferLength(buf);
    /* libxml2 ends every top-level node with a newline; the input's own
     * trailing blanks (d->tail) replace the last one. */
    if (body_len > 0 && body[body_len - 1] == '\n')
        body_len--;
    head_len = strlen(d->head);
    tail_len = strlen(d->tail);
    /* At worst every body byte is a newline that becomes CR LF. */
    res = xmalloc(head_len + 2 * body_len + tail_len + 1);
    memcpy(res, d->head, head_len);
    o = head_len;
    if (d->crlf) {
        /* A CR in content was serialized as &#13;, so every raw LF here is a
         * line ending of the input's. */
        for (size_t i = 0; i < body_len; i++) {
            if (body[i] == '\n')
                res[o++] = '\r';
            res[o++] = body[i];
        }
    } else {
        memcpy(res + o, body, body_len);
        o += body_len;
    }
    memcpy(res + o, d->tail, tail_len);
    o += tail_len;
    res[o] = '\0';
    *out = res;
    if (len)
        *len = o;
    return 0;
}

/*
 * Splicing.  The output is the input's own bytes wherever the tree did not
 * change, and libxml2's serialization of the nodes that did:
 *
 *   input[0, root.begin) + root + input[root.end, len)
 *
 * where a container (the root, and the root's <features>: the only elements
 * whose children an edit changes) is written as its start tag's bytes, its
 * children, and its end tag's bytes.  Among the children, an element that
 * still has its span (never created nor changed by an edit) is an anchor:
 * its bytes are copied whole (<features> is entered instead).  The nodes
 * between two anchors (or a tag of the container) form a run; a run is
 * written as the input's bytes between the anchors when those bytes read
 * back as exactly the run's nodes (run_matches: text, comments, PIs and
 * CDATA compared with their content), else each node of the run is written
 * by libxml2: the new or changed <pmu> or <features>, and the blanks around
 * it.  So the unchanged nodes keep their quotes, entity references, blanks
 * and line endings.
 */
typedef struct {
    char *p;
    size_t n, cap;
} bytes;

static void
bytes_add(bytes *b, const char *s, size_t n)
{
    if (b->cap - b->n <= n) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->n <= n)
            cap *= 2;
        b->p = xrealloc(b->p, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

typedef struct {
    const vpmu_domxml *d;
    bytes out;
    /*
     * The skeleton for the self-check: the output, except that an anchor is
     * written as its start and end tags only (its content is the input's,
     * copied whole, and was parsed once already).  The anchors, in document
     * order, are listed in shallow.
     */
    bytes skel;
    const xmlNode **shallow;
    size_t n_shallow, cap_shallow;
    xmlBuffer *nodebuf; /* libxml2's serialization of one node */
    xmlSaveCtxtPtr save;
    bool sabotage; /* the test hook is pending */
    bool failed;
} splicer;

static const span *
span_of(const vpmu_domxml *d, const xmlNode *n)
{
    uintptr_t idx;

    if (!d->spans || !n || n->type != XML_ELEMENT_NODE || !n->_private)
        return NULL;
    idx = (uintptr_t)n->_private;
    if (idx > d->n_spans || d->spans[idx - 1].node != n)
        return NULL;
    return &d->spans[idx - 1];
}

/* input[a, b) to the output, and to the skeleton too when @skel. */
static void
emit_input(splicer *sp, size_t a, size_t b, bool skel)
{
    if (a > b || b > sp->d->orig_len) {
        sp->failed = true;
        return;
    }
    bytes_add(&sp->out, sp->d->orig + a, b - a);
    if (skel)
        bytes_add(&sp->skel, sp->d->orig + a, b - a);
}

static void
emit_both(splicer *sp, const char *s, size_t n)
{
    bytes_add(&sp->out, s, n);
    bytes_add(&sp->skel, s, n);
}

/* One node as libxml2 writes it, with the input's line endings. */
static void
emit_serialized(splicer *sp, const xmlNode *n)
{
    const char *p;
    size_t len, i = 0;

    if (!sp->nodebuf) {
        /* The same writer and options as format_whole. */
        sp->nodebuf = xmlBufferCreate();
        if (sp->nodebuf)
            sp->save = xmlSaveToBuffer(sp->nodebuf, "UTF-8", XML_SAVE_NO_DECL | XML_SAVE_AS_XML);
    }
    if (!sp->save) {
        sp->failed = true;
        return;
    }
    xmlBufferEmpty(sp->nodebuf);
    if (xmlSaveTree(sp->save, (xmlNode *)n) < 0 || xmlSaveFlush(sp->save) < 0) {
        sp->failed = true;
        return;
    }
    p = (const char *)xmlBufferContent(sp->nodebuf);
    len = (size_t)xmlBufferLength(sp->nodebuf);
    if (!sp->d->crlf) {
        emit_both(sp, p, len);
        return;
    }
    /* A CR in content is written &#13;: every LF here is a line ending. */
    while (i < len) {
        const char *nl = memchr(p + i, '\n', len - i);
        size_t k = nl ? (size_t)(nl - (p + i)) : len - i;

        emit_both(sp, p + i, k);
        i += k;
        if (nl) {
            emit_both(sp, "\r\n", 2);
            i++;
        }
    }
}

/*
 * The reference at g[0] ('&'): one of the five predefined entities or a
 * character reference.  Its characters in UTF-8 go to out (*n bytes); returns
 * the reference's length, or 0 for anything else.
 */
static size_t
decode_ref(const char *g, size_t m, xmlChar out[8], int *n)
{
    static const struct {
        const char *ref;
        char c;
    } predefined[] = {
            {"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&apos;", '\''}, {"&quot;", '"'}};
    const char *semi = memchr(g, ';', m);
    size_t len = semi ? (size_t)(semi - g) + 1 : 0;
    unsigned long v = 0;
    bool hex;

    if (!len)
        return 0;
    for (size_t k = 0; k < ELEMENTSOF(predefined); k++) {
        if (len == strlen(predefined[k].ref) && memcmp(g, predefined[k].ref, len) == 0) {
            out[0] = (xmlChar)predefined[k].c;
            *n = 1;
            return len;
        }
    }
    /* &#DDD; or &#xHHH; */
    hex = len > 3 && g[2] == 'x';
    if (len < 4 || g[1] != '#' || (hex && len < 5))
        return 0;
    for (size_t k = hex ? 3 : 2; k < len - 1; k++) {
        int dv = g[k] >= '0' && g[k] <= '9'          ? g[k] - '0'
                 : hex && g[k] >= 'a' && g[k] <= 'f' ? g[k] - 'a' + 10
                 : hex && g[k] >= 'A' && g[k] <= 'F' ? g[k] - 'A' + 10
                                                     : -1;
        if (dv < 0)
            return 0;
        v = v * (hex ? 16 : 10) + (unsigned long)dv;
        if (v > 0x10ffff)
            return 0;
    }
    *n = xmlCopyCharMultiByte(out, (int)v);
    return *n > 0 ? len : 0;
}

/*
 * Compare input bytes with parsed content: line ends read as an XML parser
 * reads them (CR LF and a lone CR are LF), and, in text (@refs), references
 * decoded (decode_ref).  Advances *c past the content matched.
 */
static bool
match_chars(const char *g, size_t m, const xmlChar **c, bool refs)
{
    const xmlChar *p = *c;

    for (size_t i = 0; i < m;) {
        if (g[i] == '\r') {
            if (*p != '\n')
                return false;
            p++;
            i += i + 1 < m && g[i + 1] == '\n' ? 2 : 1;
        } else if (refs && g[i] == '&') {
            xmlChar ch[8];
            int n = 0;
            size_t used = decode_ref(g + i, m - i, ch, &n);

            if (!used)
                return false;
            for (int k = 0; k < n; k++, p++)
                if (*p != ch[k])
                    return false;
            i += used;
        } else {
            if (*p != (xmlChar)g[i])
                return false;
            p++;
            i++;
        }
    }
    *c = p;
    return true;
}

/* The whole of input bytes g[0, m) against a node's content. */
static bool
same_chars(const char *g, size_t m, const xmlChar *content, bool refs)
{
    const xmlChar *c = content ? content : BAD_CAST "";

    return match_chars(g, m, &c, refs) && *c == '\0';
}

/* Whether g[*i, m) starts with @open; then the bytes up to @close are the body. */
static bool
delimited(const char *g, size_t m, size_t *i, const char *open, const char *close,
          const char **body, size_t *body_len)
{
    size_t ol = strlen(open), cl = strlen(close);
    const char *e;

    if (m - *i < ol + cl || memcmp(g + *i, open, ol) != 0)
        return false;
    e = memmem(g + *i + ol, m - *i - ol, close, cl);
    if (!e)
        return false;
    *body = g + *i + ol;
    *body_len = (size_t)(e - *body);
    *i = (size_t)(e - g) + cl;
    return true;
}

/*
 * Whether the input bytes g[0, m) are exactly the nodes [from, to): each text
 * node the characters up to the next '<', each comment, PI and CDATA section
 * its markup around its content.  An element in the run, or bytes of an
 * element in the gap (a <pmu> removed from it), never match.
 */
static bool
run_matches(const char *g, size_t m, const xmlNode *from, const xmlNode *to)
{
    size_t i = 0;

    for (const xmlNode *n = from; n != to; n = n->next) {
        const char *body;
        size_t body_len;

        switch (n->type) {
        case XML_TEXT_NODE: {
            size_t j = i;
            while (j < m && g[j] != '<')
                j++;
            if (j == i || !same_chars(g + i, j - i, n->content, true))
                return false;
            i = j;
            break;
        }
        case XML_COMMENT_NODE:
            if (!delimited(g, m, &i, "<!--", "-->", &body, &body_len) ||
                !same_chars(body, body_len, n->content, false))
                return false;
            break;
        case XML_CDATA_SECTION_NODE:
            if (!delimited(g, m, &i, "<![CDATA[", "]]>", &body, &body_len) ||
                !same_chars(body, body_len, n->content, false))
                return false;
            break;
        case XML_PI_NODE: {
            size_t nl = strlen((const char *)n->name), k = 0;
            if (!delimited(g, m, &i, "<?", "?>", &body, &body_len) || body_len < nl ||
                memcmp(body, n->name, nl) != 0)
                return false;
            /* The target, blanks, then the content (libxml2 keeps no leading blank). */
            while (nl + k < body_len && is_xml_space(body[nl + k]))
                k++;
            if ((nl + k < body_len && k == 0) ||
                !same_chars(body + nl + k, body_len - nl - k, n->content, false))
                return false;
            break;
        }
        default:
            return false;
        }
    }
    return i == m;
}

/* The nodes [from, to), between input offsets a and b (SIZE_MAX: none). */
static void
emit_run(splicer *sp, const xmlNode *from, const xmlNode *to, size_t a, size_t b)
{
    if (a != SIZE_MAX && b != SIZE_MAX) {
        if (a > b || b > sp->d->orig_len) {
            sp->failed = true;
            return;
        }
        if (run_matches(sp->d->orig + a, b - a, from, to)) {
            emit_input(sp, a, b, true);
            return;
        }
    }
    for (const xmlNode *n = from; n != to; n = n->next)
        emit_serialized(sp, n);
}

/* An anchor: all its bytes to the output, its two tags to the skeleton. */
static void
emit_anchor(splicer *sp, const xmlNode *n, const span *s)
{
    size_t begin = s->begin;

    if (sp->sabotage) {
        /* Test hook: a span one byte off, as a bookkeeping bug would make
         * it; the self-check must catch it. */
        begin++;
        sp->sabotage = false;
    }
    if (begin >= s->stag_end || s->stag_end > s->etag_begin || s->etag_begin > s->end) {
        sp->failed = true;
        return;
    }
    emit_input(sp, begin, s->end, false);
    bytes_add(&sp->skel, sp->d->orig + begin, s->stag_end - begin);
    bytes_add(&sp->skel, sp->d->orig + s->etag_begin, s->end - s->etag_begin);
    if (sp->n_shallow == sp->cap_shallow) {
        sp->cap_shallow = sp->cap_shallow ? 2 * sp->cap_shallow : 32;
        sp->shallow = xreallocarray(sp->shallow, sp->cap_shallow, sizeof(*sp->shallow));
    }
    sp->shallow[sp->n_shallow++] = n;
}

static void
emit_container(splicer *sp, const xmlNode *c, const span *s)
{
    /* An empty-element tag (<features/>) that gained content is opened. */
    bool opened = s->stag_end == s->end && c->children;
    size_t pos = opened ? SIZE_MAX : s->stag_end;
    const xmlNode *run = c->children;

    if (sp->failed)
        return;
    if (opened) {
        emit_input(sp, s->begin, s->stag_end - 2, true);
        emit_both(sp, ">", 1);
    } else {
        emit_input(sp, s->begin, s->stag_end, true);
    }
    for (const xmlNode *n = c->children;; n = n->next) {
        const span *ns = n ? span_of(sp->d, n) : NULL;
        size_t next;

        if (n && !ns)
            continue;
        next = ns ? ns->begin : opened ? SIZE_MAX : s->etag_begin;
        emit_run(sp, run, n, pos, next);
        if (!n || sp->failed)
            break;
        if (c->parent && c->parent->type == XML_DOCUMENT_NODE && is_elem(n, "features"))
            emit_container(sp, n, ns);
        else
            emit_anchor(sp, n, ns);
        pos = ns->end;
        run = n->next;
    }
    if (opened) {
        /*
         * The one tag written from a string: the end tag of an element that
         * had none.  Its name is libvirt's <domain> or <features> (checked by
         * check_domain and is_elem: no prefix), so it holds no markup.
         */
        emit_both(sp, "</", 2);
        emit_both(sp, (const char *)c->name, strlen((const char *)c->name));
        emit_both(sp, ">", 1);
    } else {
        emit_input(sp, s->etag_begin, s->end, true);
    }
}

/* ---- the self-check: the skeleton, parsed, against the tree ---- */

static bool
same_str(const xmlChar *a, const xmlChar *b)
{
    return xmlStrEqual(a ? a : BAD_CAST "", b ? b : BAD_CAST "");
}

static bool
same_ns(const xmlNs *a, const xmlNs *b)
{
    if (!a || !b)
        return a == b;
    return same_str(a->href, b->href) && same_str(a->prefix, b->prefix);
}

static bool same_nodes(const xmlNode *a, const xmlNode *b, splicer *sp, size_t *k);

static bool
same_node(const xmlNode *t, const xmlNode *s, splicer *sp, size_t *k)
{
    const xmlNs *na, *nb;
    const xmlAttr *aa, *ab;

    if (t->type != s->type)
        return false;
    switch (t->type) {
    case XML_ELEMENT_NODE:
        if (!xmlStrEqual(t->name, s->name) || !same_ns(t->ns, s->ns))
            return false;
        for (na = t->nsDef, nb = s->nsDef; na && nb; na = na->next, nb = nb->next)
            if (!same_ns(na, nb))
                return false;
        if (na || nb)
            return false;
        for (aa = t->properties, ab = s->properties; aa && ab; aa = aa->next, ab = ab->next) {
            if (!xmlStrEqual(aa->name, ab->name) || !same_ns(aa->ns, ab->ns) ||
                !same_nodes(aa->children, ab->children, sp, k))
                return false;
        }
        if (aa || ab)
            return false;
        if (*k < sp->n_shallow && sp->shallow[*k] == t) {
            /* An anchor: the skeleton has its tags only. */
            (*k)++;
            return s->children == NULL;
        }
        return same_nodes(t->children, s->children, sp, k);
    case XML_TEXT_NODE:
    case XML_CDATA_SECTION_NODE:
    case XML_COMMENT_NODE:
        return same_str(t->content, s->content);
    case XML_PI_NODE:
        return xmlStrEqual(t->name, s->name) && same_str(t->content, s->content);
    case XML_ENTITY_REF_NODE:
        return xmlStrEqual(t->name, s->name);
    case XML_DTD_NODE: {
        const xmlDtd *a = (const xmlDtd *)t, *b = (const xmlDtd *)s;
        return same_str(a->name, b->name) && same_str(a->ExternalID, b->ExternalID) &&
               same_str(a->SystemID, b->SystemID);
    }
    default:
        return false;
    }
}

static bool
same_nodes(const xmlNode *a, const xmlNode *b, splicer *sp, size_t *k)
{
    while (a && b) {
        if (a->type == XML_TEXT_NODE && a->next && a->next->type == XML_TEXT_NODE) {
            /* Text nodes side by side in the tree (an edit removed what was
             * between them) read back as one. */
            const xmlChar *c = b->content ? b->content : BAD_CAST "";

            if (b->type != XML_TEXT_NODE)
                return false;
            for (; a && a->type == XML_TEXT_NODE; a = a->next) {
                int l = xmlStrlen(a->content);
                if (xmlStrncmp(c, a->content, l) != 0)
                    return false;
                c += l;
            }
            if (*c)
                return false;
            b = b->next;
            continue;
        }
        if (!same_node(a, b, sp, k))
            return false;
        a = a->next;
        b = b->next;
    }
    return !a && !b;
}

/*
 * The self-check.  The skeleton is parsed with the same hooks as the input,
 * and must give the edited tree back, node for node (names, namespaces,
 * attributes and their values, text, comments, PIs, the DOCTYPE), with the
 * anchors, in order, where the tree has them.  That proves every byte the
 * splice wrote itself or chose: the prolog, the containers' tags, the runs,
 * the serialized nodes and where each anchor went.  What it takes on trust is
 * an anchor's content, which is the input's bytes between that element's
 * own tags, copied unchanged (the tags themselves are in the skeleton): the
 * same bytes in the same namespace scope, already parsed once.  Parsing the
 * whole output again and comparing canonical forms would cost more than the
 * edit itself: for a 20 KB domain libxml2 parses in about 430 us and
 * canonicalizes in 310 us, where parse + serialize is 560 us.  The skeleton
 * of such a domain is under 1 KB, and the check costs 4% of the edit (14%
 * for a 3 KB domain, measured in instructions).
 */
static bool
splice_verified(splicer *sp)
{
    xmlParserCtxt *ctxt = sp->d->ctxt;
    _cleanup_(xmlFreeDocp) xmlDoc *doc = NULL;
    parse_state st;
    size_t k = 0;
    bool ok;

    /* The input's parser, with its hooks, options and dictionary; a parse
     * resets it first (xmlCtxtReadMemory). */
    memset(&st, 0, sizeof(st));
    xml_errors_begin(&st.errs, sp->d->filename);
    ctxt->_private = &st;
    doc = read_memory(ctxt, sp->skel.p, sp->skel.n);
    xmlCtxtReset(ctxt);
    ctxt->_private = NULL;
    xml_errors_end(&st.errs);
    ok = doc && !st.errs.message && same_nodes(sp->d->doc->children, doc->children, sp, &k) &&
         k == sp->n_shallow;
    xml_errors_clear(&st.errs);
    return ok;
}

/* The spliced output in *out, or -1 when the document must be written whole. */
static int
format_spliced(const vpmu_domxml *d, char **out, size_t *len)
{
    const xmlNode *root = xmlDocGetRootElement(d->doc);
    const span *rs = span_of(d, root);
    splicer sp = {.d = d, .sabotage = d->sabotage};
    xml_errors errs;
    bool ok;

    if (!rs || !d->ctxt)
        return -1;
    sp.out.cap = d->orig_len + 256;
    sp.out.p = xmalloc(sp.out.cap);
    sp.out.p[0] = '\0';
    xml_errors_begin(&errs, d->filename);
    emit_input(&sp, 0, rs->begin, true);
    emit_container(&sp, root, rs);
    emit_input(&sp, rs->end, d->orig_len, true);
    if (sp.save)
        xmlSaveClose(sp.save);
    xml_errors_end(&errs);
    ok = !sp.failed && !errs.message && splice_verified(&sp);
    xml_errors_clear(&errs);
    xmlBufferFree(sp.nodebuf);
    free(sp.skel.p);
    free(sp.shallow);
    if (!ok) {
        free(sp.out.p);
        return -1;
    }
    *out = sp.out.p;
    if (len)
        *len = sp.out.n;
    return 0;
}

int
vpmu_domxml_format(const vpmu_domxml *d, char **out, size_t *len, vpmu_error **error)
{
    if (!d || !out) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "no document to format");
        return -1;
    }
    if (d->orig && format_spliced(d, out, len) == 0)
        return 0;
    return format_whole(d, out, len, error);
}

void
vpmu_domxml_test_sabotage_splice(vpmu_domxml *d)
{
    if (d)
        d->sabotage = true;
}

/* ------------------------------------------------------------------------ */
/* Building                                                                 */

const char *
vpmu_default_machine(const char *arch)
{
    static const struct {
        const char *arch, *machine;
    } table[] = {
            {"x86_64", "q35"},      {"i686", "q35"},
            {"aarch64", "virt"},    {"armv7l", "virt"},
            {"riscv64", "virt"},    {"ppc64", "pseries"},
            {"ppc64le", "pseries"}, {"s390x", "s390-ccw-virtio"},
    };

    if (!arch)
        return NULL;
    for (size_t i = 0; i < ELEMENTSOF(table); i++)
        if (STREQ(arch, table[i].arch))
            return table[i].machine;
    return NULL;
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
        xmlAddPrevSibling(c, new_blank(n->doc, ind));
        indent_tree(c, level + 1);
    }
    {
        _cleanup_free_ char *ind = xmalloc(2 * level + 1);
        memset(ind, ' ', 2 * level);
        ind[2 * level] = '\0';
        xmlAddChild(n, new_blank(n->doc, ind));
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

    if (!*path || !xml_value_ok(path, false)) {
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
    if (!xml_value_ok(s->name, false) || strchr(s->name, '/')) {
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
    if (s->cpu_model && (!*s->cpu_model || !xml_value_ok(s->cpu_model, false))) {
        _cleanup_free_ char *shown = quote_for_message(s->cpu_model, SHOW_MAX);
        vpmu_error_set(error, VPMU_ERR_INVALID, "invalid CPU model '%s'", shown);
        return -1;
    }
    if ((s->initrd || s->cmdline) && !s->kernel) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "an initrd or a kernel command line needs a kernel");
        return -1;
    }
    if (s->cmdline && !xml_value_ok(s->cmdline, true)) {
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
    x86 = STREQ(s->arch, "x86_64") || STREQ(s->arch, "i686");

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

    set_pmu_tree(d->doc, s->pmu);
    indent_tree(root, 0);
    return TAKE_PTR(d);
}

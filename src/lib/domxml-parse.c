/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * domxml-parse.c: one job, turning untrusted bytes into a libvirt domain
 * tree safely, and recording where each element that an edit can reach
 * begins and ends in those bytes (for domxml-splice.c).  libxml2's SAX hooks
 * refuse DTDs, entities, external resources and deep nesting before libxml2
 * acts on them; the bytes must be UTF-8 without NUL; the root must be one
 * <domain> with at most one <features><pmu/> in on|off.  The decisions are
 * documented in include/vpmu/domxml.h; each has a test in
 * tests/test-domxml.c with its input under tests/data/hostile-xml/.
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

#include "domxml-private.h"

/* ------------------------------------------------------------------------ */
/* libxml2 error capture                                                    */

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

void
domxml_errors_begin(xml_errors *e, const char *filename)
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

void
domxml_errors_end(xml_errors *e)
{
    xmlSetGenericErrorFunc(e->old_generic_ctx, e->old_generic);
    xmlSetStructuredErrorFunc(e->old_structured_ctx, e->old_structured);
    xmlResetLastError();
}

void
domxml_errors_clear(xml_errors *e)
{
    free(e->message);
    e->message = NULL;
}

/* ------------------------------------------------------------------------ */
/* UTF-8 and XML characters                                                 */

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
bool
domxml_value_ok(const char *s, bool allow_newlines)
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
        state = domxml_attr_value(c, "state");
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
xmlParserCtxt *
domxml_new_parser(parse_state *st)
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

xmlDoc *
domxml_read_memory(xmlParserCtxt *ctxt, const char *buf, size_t len)
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
    return vpmu_domxml_parse_flags(buf, len, filename, VPMU_DOMXML_PRESERVE_BYTES, error);
}

vpmu_domxml *
vpmu_domxml_parse_flags(const char *buf, size_t len, const char *filename, unsigned int flags,
                        vpmu_error **error)
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
    if (flags & ~(unsigned int)VPMU_DOMXML_PRESERVE_BYTES) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "%s: unknown parse flags 0x%x", filename,
                       flags & ~(unsigned int)VPMU_DOMXML_PRESERVE_BYTES);
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
    st.record = st.spans_ok = (flags & VPMU_DOMXML_PRESERVE_BYTES) != 0;
    st.buf = buf;
    st.len = len;
    /* libxml2 drops a UTF-8 byte order mark from its input without counting it. */
    st.bom = len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
    domxml_errors_begin(&st.errs, filename);
    ctxt = domxml_new_parser(&st);
    if (!ctxt) {
        domxml_errors_end(&st.errs);
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "%s: cannot create an XML parser", filename);
        return NULL;
    }
    doc = domxml_read_memory(ctxt, buf, len);
    domxml_errors_end(&st.errs);

    if (st.errs.message || !doc) {
        vpmu_error_set(error, VPMU_ERR_INVALID, "%s",
                       st.errs.message ? st.errs.message : "the document is not well-formed XML");
        if (!st.errs.message)
            vpmu_error_prefix(error, "%s", filename);
        domxml_errors_clear(&st.errs);
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
    if (st.record && st.spans_ok && xmlDocGetRootElement(d->doc)->_private) {
        d->orig = xmalloc(len + 1);
        memcpy(d->orig, buf, len);
        d->orig[len] = '\0';
        d->orig_len = len;
        d->spans = TAKE_PTR(st.spans);
        d->n_spans = st.n_spans;
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
    free(d);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * domxml-splice.c: one job, serializing a document: byte-preserving output
 * spliced from the input's own bytes and libxml2's serialization of the
 * nodes an edit touched, with the self-check that parses the splice's
 * skeleton again and compares it with the tree; and the whole-tree
 * serialization used for built guests and whenever the check fails.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlsave.h>

#include "domxml-private.h"
#include "domxml-test.h"

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

    domxml_errors_begin(&errs, d->filename);
    buf = xmlBufferCreate();
    /* Without XML_SAVE_FORMAT: libxml2 writes the tree as it is, whitespace
     * nodes included; the declaration is kept verbatim in d->head instead.
     * Each top-level node is written on its own line, as xmlSaveDoc does
     * with XML_SAVE_NO_DECL; xmlSaveDoc itself is not used because it sets
     * the document's encoding field while it writes, and formatting leaves
     * the document as it is. */
    save = buf ? xmlSaveToBuffer(buf, "UTF-8", XML_SAVE_NO_DECL | XML_SAVE_AS_XML) : NULL;
    rc = save ? 0 : -1;
    for (xmlNode *n = d->doc->children; n && rc >= 0; n = n->next) {
        rc = xmlSaveTree(save, n);
        if (rc >= 0)
            rc = xmlSaveFlush(save);
        if (rc >= 0 && xmlBufferAdd(buf, BAD_CAST "\n", 1) != 0)
            rc = -1;
    }
    if (save && xmlSaveClose(save) < 0)
        rc = -1;
    domxml_errors_end(&errs);
    if (rc < 0 || errs.message) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "%s: cannot serialize the document: %s",
                       d->filename, errs.message ? errs.message : "libxml2 failed");
        domxml_errors_clear(&errs);
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
    buf_append(&b->p, &b->n, &b->cap, s, n);
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
#ifdef VPMU_TEST_HOOKS
    bool sabotage; /* the test hook is pending */
#endif
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
emit_serialized(splicer *sp, xmlNode *n)
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
    if (xmlSaveTree(sp->save, n) < 0 || xmlSaveFlush(sp->save) < 0) {
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
emit_run(splicer *sp, xmlNode *from, const xmlNode *to, size_t a, size_t b)
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
    for (xmlNode *n = from; n != to; n = n->next)
        emit_serialized(sp, n);
}

/* An anchor: all its bytes to the output, its two tags to the skeleton. */
static void
emit_anchor(splicer *sp, const xmlNode *n, const span *s)
{
    size_t begin = s->begin;

#ifdef VPMU_TEST_HOOKS
    if (sp->sabotage) {
        /* Test hook: a span one byte off, as a bookkeeping bug would make
         * it; the self-check must catch it. */
        begin++;
        sp->sabotage = false;
    }
#endif
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
    xmlNode *run = c->children;

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
 * of such a domain is under 1 KB.  Since the check makes a parser of its own
 * (the document stays const), it costs about 131,000 instructions whatever
 * the domain's size: 5% of `vpmu xml --domain` 's parse + edit + format for a
 * 20.6 KB domain of bench/gen-node.py's corpus, 22% for a 3.3 KB one
 * (callgrind, December 2026, splice_verified() kept out of line to count it).
 */
static bool
splice_verified(splicer *sp)
{
    _cleanup_(xmlFreeParserCtxtp) xmlParserCtxt *ctxt = NULL;
    _cleanup_(xmlFreeDocp) xmlDoc *doc = NULL;
    parse_state st;
    size_t k = 0;
    bool ok;

    /* A parser of its own, with the input's hooks and options: the
     * document being formatted is only read. */
    memset(&st, 0, sizeof(st));
    domxml_errors_begin(&st.errs, sp->d->filename);
    ctxt = domxml_new_parser(&st);
    doc = ctxt ? domxml_read_memory(ctxt, sp->skel.p, sp->skel.n) : NULL;
    domxml_errors_end(&st.errs);
    ok = doc && !st.errs.message && same_nodes(sp->d->doc->children, doc->children, sp, &k) &&
         k == sp->n_shallow;
    domxml_errors_clear(&st.errs);
    return ok;
}

/* The spliced output in *out, or -1 when the document must be written whole. */
static int
format_spliced(const vpmu_domxml *d, char **out, size_t *len)
{
    const xmlNode *root = xmlDocGetRootElement(d->doc);
    const span *rs = span_of(d, root);
    splicer sp = {.d = d};
    xml_errors errs;
    bool ok;

    if (!rs)
        return -1;
#ifdef VPMU_TEST_HOOKS
    sp.sabotage = d->sabotage;
#endif
    sp.out.cap = d->orig_len + 256;
    sp.out.p = xmalloc(sp.out.cap);
    sp.out.p[0] = '\0';
    domxml_errors_begin(&errs, d->filename);
    emit_input(&sp, 0, rs->begin, true);
    emit_container(&sp, root, rs);
    emit_input(&sp, rs->end, d->orig_len, true);
    if (sp.save)
        xmlSaveClose(sp.save);
    domxml_errors_end(&errs);
    ok = !sp.failed && !errs.message && splice_verified(&sp);
    domxml_errors_clear(&errs);
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

#ifdef VPMU_TEST_HOOKS
void
vpmu_domxml_test_sabotage_splice(vpmu_domxml *d)
{
    if (d)
        d->sabotage = true;
}
#endif

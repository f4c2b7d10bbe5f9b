/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * domxml: golden edit files, preservation, hostile XML, building guests.
 *
 * Golden cases live in tests/data/domxml/<case>/: input.xml and the expected
 * output for each decision (expected-on.xml, expected-off.xml,
 * expected-unset.xml).  VPMU_REGENERATE=1 rewrites the expected files instead
 * of comparing (libvirt's VIR_TEST_REGENERATE_OUTPUT style); review the diff.
 *
 * Beyond the byte comparison each case proves preservation two more ways:
 *  - libxml2's canonical form (C14N 1.0, comments kept) of input and output
 *    is identical once the <pmu> element (and a <features> that the edit
 *    created) is taken out of both;
 *  - the output is byte-identical to the input once the <pmu> element (its
 *    tag and the blanks that lead to it on its line) is taken out of both,
 *    and, when the input had no <features> or an empty <features/>, the
 *    <features> markup the edit wrote around it: quotes, blanks, entity
 *    references and line endings of every other node are the input's own.
 * test_fallback proves the other way of writing a document, the whole tree
 * through libxml2 (used when the splice's self-check fails): equal in C14N,
 * and byte-identical up to the attribute quotes.
 * Every expected file and every built guest is checked with
 * `virt-xml-validate FILE domain` (that one assertion is skipped, with a
 * message, only when the program is not installed).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>

#include "domxml-test.h"
#include "cleanup.h"
#include "util.h"
#include "vpmu/domxml.h"

#define GOLDEN_DIR VPMU_TESTDATA "/domxml"
#define HOSTILE_DIR VPMU_TESTDATA "/hostile-xml"

DEFINE_TRIVIAL_CLEANUP_FUNC(xmlDoc *, xmlFreeDoc)
#define _cleanup_domxml_ _cleanup_(vpmu_domxml_freep)
#define _cleanup_xmldoc_ _cleanup_(xmlFreeDocp)

static char tmpdir[] = "/tmp/vpmu-test-domxml-XXXXXX";

/* ------------------------------------------------------------------------ */
/* helpers                                                                  */

static char *
slurp(const char *path, size_t *len)
{
    char *buf = NULL;
    vpmu_error *err = NULL;

    if (vpmu_read_file(path, 64u * 1024 * 1024, &buf, len, &err) < 0) {
        fail_msg("cannot read %s: %s", path, vpmu_error_get_message(err));
        vpmu_error_free(err);
    }
    return buf;
}

static void
spit(const char *path, const char *buf, size_t len)
{
    vpmu_error *err = NULL;

    if (vpmu_write_file_atomic(path, buf, len, &err) < 0) {
        fail_msg("cannot write %s: %s", path, vpmu_error_get_message(err));
        vpmu_error_free(err);
    }
}

static bool
regenerate(void)
{
    const char *v = getenv("VPMU_REGENERATE");
    return v && STREQ(v, "1");
}

static char *
tmp_path(const char *name)
{
    return xasprintf("%s/%s", tmpdir, name);
}

/* Bytes this process has read through read(2) and friends, from /proc/self/io. */
static unsigned long long
rchar_now(void)
{
    char buf[1024];
    unsigned long long v = 0;
    int fd = open("/proc/self/io", O_RDONLY | O_CLOEXEC);
    ssize_t n;
    char *p;

    assert_true(fd >= 0);
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    assert_true(n > 0);
    buf[n] = '\0';
    p = strstr(buf, "rchar: ");
    assert_non_null(p);
    assert_int_equal(parse_ull(strtok(p + 7, "\n"), &v), 0);
    return v;
}

/* The program's path in $PATH, or NULL. */
static char *
find_program(const char *name)
{
    const char *path = getenv("PATH");
    _cleanup_free_ char *copy = xstrdup(path ? path : "/usr/bin:/bin");
    char *save = NULL;

    for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        char *cand = xasprintf("%s/%s", dir, name);
        if (access(cand, X_OK) == 0)
            return cand;
        free(cand);
    }
    return NULL;
}

/* Run virt-xml-validate FILE domain; its output lands in *log. */
static void
assert_validates(const char *file)
{
    static bool warned;
    _cleanup_free_ char *prog = find_program("virt-xml-validate");
    _cleanup_free_ char *log = tmp_path("validate.log");
    _cleanup_free_ char *out = NULL;
    int status = 0;
    pid_t pid;

    if (!prog) {
        if (!warned)
            fprintf(stderr, "# skipping virt-xml-validate checks: the program is not installed "
                            "(Debian package libvirt-clients)\n");
        warned = true;
        return;
    }
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
            _exit(126);
        execl(prog, "virt-xml-validate", file, "domain", (char *)NULL);
        _exit(127);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        out = slurp(log, NULL);
        fail_msg("virt-xml-validate %s domain failed:\n%s", file, out);
    }
}

static void
assert_validates_buf(const char *xml, size_t len)
{
    _cleanup_free_ char *path = tmp_path("built.xml");

    spit(path, xml, len);
    assert_validates(path);
}

/* Redirect stderr to a file for the duration, to prove libxml2 stays quiet. */
typedef struct {
    int saved;
    char *path;
} stderr_capture;

static void
stderr_capture_begin(stderr_capture *c)
{
    int fd;

    c->path = tmp_path("stderr.txt");
    fflush(stderr);
    c->saved = dup(STDERR_FILENO);
    fd = open(c->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(c->saved >= 0 && fd >= 0);
    assert_true(dup2(fd, STDERR_FILENO) >= 0);
    close(fd);
}

static void
stderr_capture_end_empty(stderr_capture *c)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;

    fflush(stderr);
    assert_true(dup2(c->saved, STDERR_FILENO) >= 0);
    close(c->saved);
    text = slurp(c->path, &len);
    free(c->path);
    if (len)
        fail_msg("something was printed to stderr: %s", text);
}

static char *
format(const vpmu_domxml *d, size_t *len)
{
    char *out = NULL;
    vpmu_error *err = NULL;

    if (vpmu_domxml_format(d, &out, len, &err) < 0) {
        fail_msg("format: %s", vpmu_error_get_message(err));
        vpmu_error_free(err);
    }
    assert_non_null(out);
    return out;
}

static vpmu_domxml *
parse_ok(const char *xml, size_t len, const char *name)
{
    vpmu_error *err = NULL;
    vpmu_domxml *d = vpmu_domxml_parse(xml, len, name, &err);

    if (!d) {
        fail_msg("parse %s: %s", name, vpmu_error_get_message(err));
        vpmu_error_free(err);
    }
    return d;
}

static void
set_pmu_ok(vpmu_domxml *d, vpmu_pmu pmu)
{
    vpmu_error *err = NULL;

    if (vpmu_domxml_set_pmu(d, pmu, &err) < 0) {
        fail_msg("set_pmu: %s", vpmu_error_get_message(err));
        vpmu_error_free(err);
    }
}

/* ------------------------------------------------------------------------ */
/* preservation checks, written independently of the module under test      */

static bool
blank_text(const xmlNode *n)
{
    if (!n || n->type != XML_TEXT_NODE)
        return false;
    for (const xmlChar *p = n->content; p && *p; p++)
        if (!strchr(" \t\r\n", *p))
            return false;
    return true;
}

static void
remove_node_and_leading_blank(xmlNode *n)
{
    if (blank_text(n->prev)) {
        xmlNode *p = n->prev;
        xmlUnlinkNode(p);
        xmlFreeNode(p);
    }
    xmlUnlinkNode(n);
    xmlFreeNode(n);
}

static xmlNode *
child_named(xmlNode *parent, const char *name)
{
    for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && !c->ns && STREQ((const char *)c->name, name))
            return c;
    return NULL;
}

static char *
c14n_without_pmu(const char *xml, size_t len, bool drop_features)
{
    _cleanup_xmldoc_ xmlDoc *doc = xmlReadMemory(xml, (int)len, NULL, NULL, XML_PARSE_NONET);
    xmlNode *features, *pmu;
    xmlChar *out = NULL;
    char *res;

    assert_non_null(doc);
    features = child_named(xmlDocGetRootElement(doc), "features");
    pmu = child_named(features, "pmu");
    if (pmu)
        remove_node_and_leading_blank(pmu);
    /* <features/> that got a <pmu> line gained blanks around it: an edit of
     * whitespace only, which the golden files show. */
    if (features) {
        bool blank = true;
        for (xmlNode *c = features->children; c; c = c->next)
            blank &= blank_text(c);
        while (blank && features->children) {
            xmlNode *c = features->children;
            xmlUnlinkNode(c);
            xmlFreeNode(c);
        }
    }
    if (features && drop_features)
        remove_node_and_leading_blank(features);
    assert_true(xmlC14NDocDumpMemory(doc, NULL, XML_C14N_1_0, NULL, 1, &out) >= 0);
    res = xstrdup((const char *)out);
    xmlFree(out);
    return res;
}

/*
 * Write the attribute quotes of start tags as libxml2 does: double quotes,
 * with '"' and '>' inside a value escaped.  Comments, CDATA, processing
 * instructions (the XML declaration included) and text are copied as they are.
 */
static char *
quotes_as_libxml2(const char *in)
{
    size_t n = strlen(in), o = 0;
    char *out = xmalloc(n * 6 + 1);
    size_t i = 0;

    while (i < n) {
        const char *end = NULL;
        if (in[i] != '<') {
            out[o++] = in[i++];
            continue;
        }
        if (strncmp(in + i, "<!--", 4) == 0)
            end = strstr(in + i, "-->"), end = end ? end + 3 : in + n;
        else if (strncmp(in + i, "<![CDATA[", 9) == 0)
            end = strstr(in + i, "]]>"), end = end ? end + 3 : in + n;
        else if (in[i + 1] == '?')
            end = strstr(in + i, "?>"), end = end ? end + 2 : in + n;
        else if (in[i + 1] == '!' || in[i + 1] == '/')
            end = strchr(in + i, '>'), end = end ? end + 1 : in + n;
        if (end) {
            memcpy(out + o, in + i, (size_t)(end - (in + i)));
            o += (size_t)(end - (in + i));
            i = (size_t)(end - in);
            continue;
        }
        /* a start tag */
        while (i < n && in[i] != '>') {
            char q = in[i];
            if (q == '\'' || q == '"') {
                out[o++] = '"';
                i++;
                while (i < n && in[i] != q) {
                    if (in[i] == '"') {
                        memcpy(out + o, "&quot;", 6), o += 6;
                    } else if (in[i] == '>') {
                        memcpy(out + o, "&gt;", 4), o += 4;
                    } else {
                        out[o++] = in[i];
                    }
                    i++;
                }
                out[o++] = '"';
                i++;
            } else {
                out[o++] = in[i++];
            }
        }
    }
    out[o] = '\0';
    return out;
}

/* Remove each "<TAG .../>" (and the blanks before it on its line) from s, in place. */
static void
remove_empty_tags(char *s, const char *tag)
{
    _cleanup_free_ char *open = xasprintf("<%s", tag);
    char *p = s;

    while ((p = strstr(p, open))) {
        char c = p[strlen(open)];
        char *start = p, *end;
        if (c != ' ' && c != '/' && c != '>') {
            p++;
            continue;
        }
        end = strstr(p, "/>");
        assert_non_null(end);
        end += 2;
        while (start > s && (start[-1] == ' ' || start[-1] == '\t'))
            start--;
        if (start > s && start[-1] == '\n')
            start--;
        if (start > s && start[-1] == '\r')
            start--;
        memmove(start, end, strlen(end) + 1);
        p = start;
    }
}

/* Write a "<features>" element whose content is only blanks as "<features/>"; with
 * @drop, remove it and its leading blanks instead. */
static void
collapse_blank_features(char *s, bool drop)
{
    char *p = strstr(s, "<features>");
    char *q, *start;

    if (!p)
        return;
    q = p + strlen("<features>");
    while (*q && strchr(" \t\r\n", *q))
        q++;
    if (strncmp(q, "</features>", 11) != 0)
        return;
    q += 11;
    if (!drop) {
        memmove(p + strlen("<features/>"), q, strlen(q) + 1);
        memcpy(p, "<features/>", strlen("<features/>"));
        return;
    }
    start = p;
    while (start > s && (start[-1] == ' ' || start[-1] == '\t'))
        start--;
    if (start > s && start[-1] == '\n')
        start--;
    if (start > s && start[-1] == '\r')
        start--;
    memmove(start, q, strlen(q) + 1);
}

/* ------------------------------------------------------------------------ */
/* golden edit cases                                                        */

static const char *const pmu_names[] = {"unset", "on", "off"};

static void
check_one_decision(const char *dir, const char *input, size_t input_len, vpmu_pmu pmu)
{
    _cleanup_free_ char *in_path = xasprintf("%s/input.xml", dir);
    _cleanup_free_ char *exp_path = xasprintf("%s/expected-%s.xml", dir, pmu_names[pmu]);
    _cleanup_domxml_ vpmu_domxml *d = NULL, *again = NULL;
    _cleanup_free_ char *out = NULL, *out2 = NULL, *expected = NULL;
    _cleanup_free_ char *c14n_in = NULL, *c14n_out = NULL, *norm_in = NULL, *bare_out = NULL;
    size_t len = 0, len2 = 0;
    vpmu_error *err = NULL;
    bool had_features;

    d = vpmu_domxml_load(in_path, &err);
    if (!d)
        fail_msg("load %s: %s", in_path, vpmu_error_get_message(err));
    set_pmu_ok(d, pmu);
    out = format(d, &len);
    assert_int_equal(strlen(out), len);

    if (regenerate()) {
        spit(exp_path, out, len);
    } else {
        expected = slurp(exp_path, NULL);
        assert_string_equal(out, expected);
    }

    /* The output carries the decision, and applying it again changes nothing. */
    again = parse_ok(out, len, exp_path);
    assert_int_equal(vpmu_domxml_get_pmu(again), pmu);
    set_pmu_ok(again, pmu);
    out2 = format(again, &len2);
    assert_string_equal(out2, out);

    /* Infoset preservation: canonical forms equal without <pmu>. */
    had_features = strstr(input, "<features") != NULL;
    c14n_in = c14n_without_pmu(input, input_len, false);
    c14n_out = c14n_without_pmu(out, len, !had_features);
    assert_string_equal(c14n_out, c14n_in);

    /* Byte preservation: only the <pmu> element differs (and the <features>
     * written around it when the input had none, or an empty one). */
    norm_in = xstrdup(input);
    remove_empty_tags(norm_in, "pmu");
    bare_out = xstrdup(out);
    remove_empty_tags(bare_out, "pmu");
    if (!had_features || strstr(input, "<features/>"))
        collapse_blank_features(bare_out, !had_features);
    assert_string_equal(bare_out, norm_in);

    assert_validates(exp_path);
    vpmu_error_free(err);
}

static void
test_golden(void **state)
{
    const char *name = *state;
    _cleanup_free_ char *dir = xasprintf("%s/%s", GOLDEN_DIR, name);
    _cleanup_free_ char *in_path = xasprintf("%s/input.xml", dir);
    _cleanup_free_ char *input = NULL;
    size_t input_len = 0;

    input = slurp(in_path, &input_len);
    for (vpmu_pmu pmu = VPMU_PMU_UNSET; pmu < VPMU_PMU_LAST; pmu++)
        check_one_decision(dir, input, input_len, pmu);
}

/* The quotes of the <pmu> tag in @s written as double quotes, in place. */
static void
pmu_quotes_doubled(char *s)
{
    char *p = strstr(s, "<pmu");
    char *e = p ? strstr(p, "/>") : NULL;

    for (; p && p < e; p++)
        if (*p == '\'')
            *p = '"';
}

/* on -> off -> on -> off, from each case's input: each step equals its golden file. */
static void
test_golden_chain(void **state _unused_)
{
    DIR *dh = opendir(GOLDEN_DIR);
    struct dirent *de;

    assert_non_null(dh);
    while ((de = readdir(dh))) {
        static const vpmu_pmu order[] = {VPMU_PMU_ON, VPMU_PMU_OFF, VPMU_PMU_ON, VPMU_PMU_OFF};
        _cleanup_free_ char *in_path = NULL;
        _cleanup_domxml_ vpmu_domxml *d = NULL;
        vpmu_error *err = NULL;

        if (de->d_name[0] == '.')
            continue;
        in_path = xasprintf("%s/%s/input.xml", GOLDEN_DIR, de->d_name);
        d = vpmu_domxml_load(in_path, &err);
        assert_non_null(d);
        for (size_t i = 0; i < ELEMENTSOF(order); i++) {
            _cleanup_free_ char *exp_path =
                    xasprintf("%s/%s/expected-%s.xml", GOLDEN_DIR, de->d_name, pmu_names[order[i]]);
            _cleanup_free_ char *out = NULL, *expected = NULL;

            set_pmu_ok(d, order[i]);
            out = format(d, NULL);
            if (!regenerate()) {
                expected = slurp(exp_path, NULL);
                /* A <pmu> that an earlier step rewrote is libxml2's (double
                 * quotes); the golden file, one edit from the input, keeps
                 * the input's <pmu> when its state was already right. */
                pmu_quotes_doubled(out);
                pmu_quotes_doubled(expected);
                assert_string_equal(out, expected);
            }
        }
    }
    closedir(dh);
}

static char *
c14n_of(const char *xml, size_t len)
{
    _cleanup_xmldoc_ xmlDoc *doc = xmlReadMemory(xml, (int)len, NULL, NULL, XML_PARSE_NONET);
    xmlChar *out = NULL;
    char *res;

    assert_non_null(doc);
    assert_true(xmlC14NDocDumpMemory(doc, NULL, XML_C14N_1_0, NULL, 1, &out) >= 0);
    res = xstrdup((const char *)out);
    xmlFree(out);
    return res;
}

/*
 * A document parsed without VPMU_DOMXML_PRESERVE_BYTES reads as one parsed
 * with it, and is written by the whole-tree writer: byte for byte the
 * fallback's output @whole.  Formatting changes no document: formatting
 * again gives the same bytes, with and without preservation.
 */
static void
check_unpreserved(const char *input, size_t len, const char *path, vpmu_pmu pmu, const char *whole)
{
    _cleanup_domxml_ vpmu_domxml *lean = NULL, *kept = NULL;
    _cleanup_free_ char *out_lean = NULL, *again_lean = NULL, *out_kept = NULL, *again_kept = NULL;
    vpmu_domain_info il = {0}, ik = {0};
    vpmu_error *err = NULL;

    lean = vpmu_domxml_parse_flags(input, len, path, 0, &err);
    if (!lean)
        fail_msg("parse %s without preservation: %s", path, vpmu_error_get_message(err));
    kept = vpmu_domxml_parse_flags(input, len, path, VPMU_DOMXML_PRESERVE_BYTES, &err);
    if (!kept)
        fail_msg("parse %s with preservation: %s", path, vpmu_error_get_message(err));

    assert_int_equal(vpmu_domxml_get_pmu(lean), vpmu_domxml_get_pmu(kept));
    assert_int_equal(vpmu_domxml_get_info(lean, &il, NULL), 0);
    assert_int_equal(vpmu_domxml_get_info(kept, &ik, NULL), 0);
    assert_true(STREQ_NULLABLE(il.name, ik.name) && STREQ_NULLABLE(il.uuid, ik.uuid) &&
                STREQ_NULLABLE(il.arch, ik.arch) && STREQ_NULLABLE(il.cpu_mode, ik.cpu_mode) &&
                STREQ_NULLABLE(il.nova_flavor, ik.nova_flavor) && il.pmu == ik.pmu);
    vpmu_domain_info_clear(&il);
    vpmu_domain_info_clear(&ik);

    set_pmu_ok(lean, pmu);
    out_lean = format(lean, NULL);
    assert_string_equal(out_lean, whole);
    again_lean = format(lean, NULL);
    assert_string_equal(again_lean, out_lean);

    set_pmu_ok(kept, pmu);
    out_kept = format(kept, NULL);
    again_kept = format(kept, NULL);
    assert_string_equal(again_kept, out_kept);
}

/*
 * The fallback.  With the splice sabotaged (one copied element put one byte
 * off, as a bookkeeping bug would), the self-check must refuse it and the
 * whole tree be written by libxml2: the same document as the golden file (in
 * C14N), byte-identical to the input up to the attribute quotes, and
 * different from the golden file wherever the input has quotes libxml2
 * rewrites, which shows that this other path was taken.  Documents parsed
 * without byte preservation give the same bytes (check_unpreserved).
 */
static void
test_fallback(void **state _unused_)
{
    DIR *dh = opendir(GOLDEN_DIR);
    struct dirent *de;
    unsigned rewritten = 0;

    assert_non_null(dh);
    while ((de = readdir(dh))) {
        _cleanup_free_ char *in_path = NULL, *input = NULL;
        size_t input_len = 0;

        if (de->d_name[0] == '.')
            continue;
        in_path = xasprintf("%s/%s/input.xml", GOLDEN_DIR, de->d_name);
        input = slurp(in_path, &input_len);
        for (vpmu_pmu pmu = VPMU_PMU_UNSET; pmu < VPMU_PMU_LAST; pmu++) {
            _cleanup_free_ char *exp_path =
                    xasprintf("%s/%s/expected-%s.xml", GOLDEN_DIR, de->d_name, pmu_names[pmu]);
            _cleanup_domxml_ vpmu_domxml *d = NULL;
            _cleanup_free_ char *out = NULL, *expected = NULL;
            _cleanup_free_ char *c14n_out = NULL, *c14n_exp = NULL, *norm_in = NULL,
                                *bare_out = NULL;
            bool had_features = strstr(input, "<features") != NULL;
            size_t len = 0, exp_len = 0;

            d = parse_ok(input, input_len, in_path);
            set_pmu_ok(d, pmu);
            vpmu_domxml_test_sabotage_splice(d);
            out = format(d, &len);
            expected = slurp(exp_path, &exp_len);
            check_unpreserved(input, input_len, in_path, pmu, out);

            c14n_out = c14n_of(out, len);
            c14n_exp = c14n_of(expected, exp_len);
            assert_string_equal(c14n_out, c14n_exp);

            norm_in = quotes_as_libxml2(input);
            if (!STREQ(norm_in, input)) {
                assert_string_not_equal(out, expected);
                rewritten++;
            }
            remove_empty_tags(norm_in, "pmu");
            bare_out = xstrdup(out);
            remove_empty_tags(bare_out, "pmu");
            collapse_blank_features(norm_in, false);
            collapse_blank_features(bare_out, !had_features);
            assert_string_equal(bare_out, norm_in);
        }
    }
    closedir(dh);
    /* Most cases have single quotes: the fallback was seen to be taken. */
    assert_true(rewritten >= 10 * 3);
}

/* A few properties spelled out, so that a wrong golden file cannot hide them. */
static void
test_edit_specifics(void **state _unused_)
{
    _cleanup_domxml_ vpmu_domxml *a = NULL, *b = NULL, *c = NULL, *e = NULL;
    _cleanup_free_ char *out = NULL, *in = NULL;
    size_t len = 0, in_len = 0;
    const char *p, *q;

    /* virsh's test domain has no <features>: it is created after <os>, before
     * <clock>, indented like its neighbours. */
    a = vpmu_domxml_load(GOLDEN_DIR "/virsh-test/input.xml", NULL);
    assert_non_null(a);
    set_pmu_ok(a, VPMU_PMU_OFF);
    out = format(a, &len);
    assert_non_null(strstr(out, "  </os>\n  <features>\n    <pmu state=\"off\"/>\n  "
                                "</features>\n  <clock offset='utc'/>\n"));
    free(TAKE_PTR(out));

    /* <pmu> goes before <vmport>, after <apic>, as libvirt writes it. */
    b = vpmu_domxml_load(GOLDEN_DIR "/nova-metadata/input.xml", NULL);
    assert_non_null(b);
    set_pmu_ok(b, VPMU_PMU_ON);
    out = format(b, NULL);
    p = strstr(out, "<apic/>");
    q = strstr(out, "<pmu state=\"on\"/>");
    assert_non_null(p);
    assert_non_null(q);
    assert_true(p < q && q < strstr(out, "<vmport"));
    free(TAKE_PTR(out));

    /* A bare <pmu/> means on, and "on" makes the state explicit in place. */
    c = vpmu_domxml_load(GOLDEN_DIR "/pmu-bare/input.xml", NULL);
    assert_non_null(c);
    assert_int_equal(vpmu_domxml_get_pmu(c), VPMU_PMU_ON);
    set_pmu_ok(c, VPMU_PMU_ON);
    out = format(c, NULL);
    assert_non_null(strstr(out, "    <apic/>\n    <pmu state=\"on\"/>\n    <vmport"));
    free(TAKE_PTR(out));

    /* The declaration and the byte order mark are kept exactly, and so is the
     * missing final newline; nothing is added when the input has none. */
    in = slurp(GOLDEN_DIR "/bom-decl/input.xml", &in_len);
    e = parse_ok(in, in_len, "bom-decl");
    set_pmu_ok(e, VPMU_PMU_UNSET);
    out = format(e, &len);
    assert_int_equal(len, in_len);
    assert_memory_equal(out, in, len);
    free(TAKE_PTR(out));

    {
        _cleanup_domxml_ vpmu_domxml *f = NULL;
        const char *plain = "<domain type='kvm'><name>x</name></domain>\n";
        f = parse_ok(plain, strlen(plain), "plain");
        out = format(f, &len);
        assert_string_equal(out, plain);
        free(TAKE_PTR(out));
    }

    /* A bare DOCTYPE declares nothing and is kept. */
    {
        _cleanup_domxml_ vpmu_domxml *g = NULL;
        const char *doctype = "<!DOCTYPE domain>\n<domain type='kvm'><name>x</name></domain>\n";
        g = parse_ok(doctype, strlen(doctype), "doctype");
        set_pmu_ok(g, VPMU_PMU_ON);
        out = format(g, &len);
        assert_string_equal(out, "<!DOCTYPE domain>\n<domain type='kvm'><name>x</name>"
                                 "<features><pmu state=\"on\"/></features></domain>\n");
    }
}

/* Edit @xml to @pmu (through every step in @steps when given) and compare. */
static void
assert_edit(const char *xml, const vpmu_pmu *steps, size_t n_steps, const char *expect)
{
    _cleanup_domxml_ vpmu_domxml *d = parse_ok(xml, strlen(xml), "splice");
    _cleanup_domxml_ vpmu_domxml *back = NULL;
    _cleanup_free_ char *out = NULL;
    size_t len = 0;

    for (size_t i = 0; i < n_steps; i++)
        set_pmu_ok(d, steps[i]);
    out = format(d, &len);
    assert_string_equal(out, expect);
    /* What was written reads back as the same decision. */
    back = parse_ok(out, len, "splice-out");
    assert_int_equal(vpmu_domxml_get_pmu(back), steps[n_steps - 1]);
}

#define EDIT(xml, expect, ...)                                                                     \
    do {                                                                                           \
        static const vpmu_pmu steps_[] = {__VA_ARGS__};                                            \
        assert_edit((xml), steps_, ELEMENTSOF(steps_), (expect));                                  \
    } while (0)

/* What the splice keeps, and what it must not keep, spelled out. */
static void
test_splice_specifics(void **state _unused_)
{
    _cleanup_free_ char *in = NULL;
    size_t in_len = 0;

    /* A decision the document already carries changes no byte. */
    in = slurp(GOLDEN_DIR "/pmu-off/input.xml", &in_len);
    {
        _cleanup_domxml_ vpmu_domxml *d = parse_ok(in, in_len, "pmu-off");
        _cleanup_free_ char *out = NULL;
        size_t len = 0;

        set_pmu_ok(d, VPMU_PMU_OFF);
        out = format(d, &len);
        assert_int_equal(len, in_len);
        assert_memory_equal(out, in, len);
    }

    /* A root written <domain/> is opened to take <features>; so is <features />. */
    EDIT("<domain type='kvm'/>\n",
         "<domain type='kvm'><features><pmu state=\"on\"/></features></domain>\n", VPMU_PMU_ON);
    EDIT("<domain type='kvm'>\n  <name>x</name>\n  <features />\n</domain>\n",
         "<domain type='kvm'>\n  <name>x</name>\n  <features >\n    <pmu state=\"off\"/>\n  "
         "</features>\n</domain>\n",
         VPMU_PMU_OFF);

    /* '>' in attribute values, both quote styles, entity and character
     * references: the input's spelling stays. */
    EDIT("<domain type='kvm'>\n  <name a='1 > 0' b=\"it's\">x &amp; y&#x263A;</name>\n"
         "  <description>&lt;&#60;&apos;</description>\n</domain>\n",
         "<domain type='kvm'>\n  <name a='1 > 0' b=\"it's\">x &amp; y&#x263A;</name>\n"
         "  <description>&lt;&#60;&apos;</description>\n  <features>\n    <pmu state=\"on\"/>\n"
         "  </features>\n</domain>\n",
         VPMU_PMU_ON);

    /* Text, comments and PIs right inside <domain>, with references, a lone CR
     * and blanks in a PI, are the input's bytes when nothing near them changed. */
    {
        const char *odd = "<domain type='kvm'>&#32;<name>x</name>\r\n  <!-- c -->\r"
                          "<?pi   data ?>&#x9;&gt;\n  <features>\n    <acpi/>\n"
                          "    <pmu state='on'/>\n  </features>\n</domain>\n";
        EDIT(odd, odd, VPMU_PMU_ON);
        EDIT(odd,
             "<domain type='kvm'>&#32;<name>x</name>\r\n  <!-- c -->\r"
             "<?pi   data ?>&#x9;&gt;\n  <features>\n    <acpi/>\r\n    <pmu state=\"off\"/>\r\n"
             "  </features>\n</domain>\n",
             VPMU_PMU_OFF);
    }

    /* Text that is not blank before a removed <pmu> stays; with the blanks
     * after it, the tree holds two text nodes, which read back as one. */
    EDIT("<domain type='kvm'>\n  <features>\n    <acpi/>\n   k <pmu/>\n  </features>\n</domain>\n",
         "<domain type='kvm'>\n  <features>\n    <acpi/>\n   k \n  </features>\n</domain>\n",
         VPMU_PMU_UNSET);

    /* A comment next to a removed <pmu> stays. */
    EDIT("<domain type='kvm'>\n  <features>\n    <acpi/>\n    <!-- keep -->\n"
         "    <pmu state='on'/>\n  </features>\n</domain>\n",
         "<domain type='kvm'>\n  <features>\n    <acpi/>\n    <!-- keep -->\n  </features>\n"
         "</domain>\n",
         VPMU_PMU_UNSET);

    /* Blanks that an edit changed are never taken from the input: here the
     * <pmu> line was merged into the blanks of <features>, then removed. */
    EDIT("<domain type='kvm'>\n  <name>x</name>\n  <features>  </features>\n</domain>\n",
         "<domain type='kvm'>\n  <name>x</name>\n  <features>  \n    <pmu state=\"on\"/>\n  "
         "</features>\n</domain>\n",
         VPMU_PMU_ON);
    EDIT("<domain type='kvm'>\n  <name>x</name>\n  <features>  </features>\n</domain>\n",
         "<domain type='kvm'>\n  <name>x</name>\n  <features>\n  </features>\n</domain>\n",
         VPMU_PMU_ON, VPMU_PMU_UNSET);
    /* A <pmu> the edit created and then removed leaves its <features>. */
    EDIT("<domain type='kvm'>\n  <name>x</name>\n</domain>\n",
         "<domain type='kvm'>\n  <name>x</name>\n  <features>\n  </features>\n</domain>\n",
         VPMU_PMU_OFF, VPMU_PMU_UNSET, VPMU_PMU_UNSET);
    EDIT("<domain type='kvm'>\n  <features>\n    <pmu state='off'/>\n  </features>\n</domain>\n",
         "<domain type='kvm'>\n  <features>\n    <pmu state=\"on\"/>\n  </features>\n</domain>\n",
         VPMU_PMU_UNSET, VPMU_PMU_OFF, VPMU_PMU_ON);

    /* A byte order mark and CR LF line endings, with <features> created. */
    EDIT("\xef\xbb\xbf<domain type='kvm'>\r\n  <name>x</name>\r\n  <os>\r\n"
         "    <type arch='x86_64'>hvm</type>\r\n  </os>\r\n  <devices/>\r\n</domain>\r\n",
         "\xef\xbb\xbf<domain type='kvm'>\r\n  <name>x</name>\r\n  <os>\r\n"
         "    <type arch='x86_64'>hvm</type>\r\n  </os>\r\n  <features>\r\n"
         "    <pmu state=\"on\"/>\r\n  </features>\r\n  <devices/>\r\n</domain>\r\n",
         VPMU_PMU_ON);

    /* Prefixes declared on the root, used by its children, stay as written. */
    EDIT("<domain type='kvm' xmlns:q='urn:x'>\n  <q:thing q:a='1'/>\n  <name>x</name>\n"
         "</domain>\n",
         "<domain type='kvm' xmlns:q='urn:x'>\n  <q:thing q:a='1'/>\n  <name>x</name>\n"
         "  <features>\n    <pmu state=\"off\"/>\n  </features>\n</domain>\n",
         VPMU_PMU_OFF);

    /* Comments and PIs around the root, and a bare DOCTYPE, are kept. */
    {
        const char *around = "<?xml version='1.0'?>\n<!-- a -->\n<!DOCTYPE domain>\n"
                             "<?pi x?>\n<domain type='kvm'><name>x</name></domain>\n<!-- z -->\n";
        EDIT(around,
             "<?xml version='1.0'?>\n<!-- a -->\n<!DOCTYPE domain>\n<?pi x?>\n"
             "<domain type='kvm'><name>x</name><features><pmu state=\"on\"/></features>"
             "</domain>\n<!-- z -->\n",
             VPMU_PMU_ON);
    }
}

/* ------------------------------------------------------------------------ */
/* get_info                                                                 */

static void
test_info_nova(void **state _unused_)
{
    _cleanup_domxml_ vpmu_domxml *d = NULL;
    vpmu_domain_info info;

    d = vpmu_domxml_load(GOLDEN_DIR "/nova-metadata/input.xml", NULL);
    assert_non_null(d);
    assert_int_equal(vpmu_domxml_get_info(d, &info, NULL), 0);
    assert_string_equal(info.name, "instance-0000002a");
    assert_string_equal(info.uuid, "b3a2c1d4-0f5e-4c3b-9a8d-7e6f5a4b3c2d");
    assert_string_equal(info.virt_type, "kvm");
    assert_string_equal(info.arch, "x86_64");
    assert_string_equal(info.machine, "pc-q35-7.2");
    assert_string_equal(info.cpu_mode, "host-model");
    assert_null(info.cpu_model);
    assert_int_equal(info.pmu, VPMU_PMU_UNSET);
    assert_string_equal(info.nova_name, "perf-profiler-1");
    assert_string_equal(info.nova_flavor, "m1.profiling");
    assert_true(info.nova_managed);
    assert_string_equal(info.nova_image, "a1b2c3d4-e5f6-4a5b-8c7d-9e0f1a2b3c4d");
    vpmu_domain_info_clear(&info);
    assert_null(info.name);
    vpmu_domain_info_clear(NULL);
}

static void
test_info_namespaces(void **state _unused_)
{
    /* Matched by namespace URI, whatever the prefix; a "nova" prefix bound to
     * another namespace is not Nova's. */
    static const char other_prefix[] =
            "<domain type='qemu'><name>n</name><metadata>"
            "<x:instance xmlns:x='http://openstack.org/xmlns/libvirt/nova/1.0'>"
            "<x:name>tenant-vm</x:name><x:flavor name='small'/></x:instance>"
            "</metadata><cpu><model>Haswell</model></cpu>"
            "<features><pmu state='off'/></features></domain>";
    static const char decoy[] =
            "<domain type='qemu'><name>n</name><metadata>"
            "<nova:instance xmlns:nova='http://example.com/not-nova'>"
            "<nova:name>decoy</nova:name><nova:flavor name='decoy'/></nova:instance>"
            "</metadata></domain>";
    _cleanup_domxml_ vpmu_domxml *a = parse_ok(other_prefix, strlen(other_prefix), "a");
    _cleanup_domxml_ vpmu_domxml *b = parse_ok(decoy, strlen(decoy), "b");
    vpmu_domain_info info;

    assert_int_equal(vpmu_domxml_get_info(a, &info, NULL), 0);
    assert_string_equal(info.nova_name, "tenant-vm");
    assert_string_equal(info.nova_flavor, "small");
    assert_true(info.nova_managed);
    assert_null(info.nova_image); /* no <root>: boot from volume */
    /* A <cpu> with a model and no mode is libvirt's 'custom'. */
    assert_string_equal(info.cpu_mode, "custom");
    assert_string_equal(info.cpu_model, "Haswell");
    assert_int_equal(info.pmu, VPMU_PMU_OFF);
    assert_null(info.arch);
    assert_null(info.uuid);
    vpmu_domain_info_clear(&info);

    assert_int_equal(vpmu_domxml_get_info(b, &info, NULL), 0);
    assert_null(info.nova_name);
    assert_null(info.nova_flavor);
    assert_false(info.nova_managed);
    assert_null(info.cpu_mode);
    vpmu_domain_info_clear(&info);

    /* Only an image root names an image. */
    {
        static const char volume[] =
                "<domain type='kvm'><name>v</name><metadata>"
                "<nova:instance xmlns:nova='http://openstack.org/xmlns/libvirt/nova/1.1'>"
                "<nova:flavor name='f'/><nova:root type='volume' uuid='x'/></nova:instance>"
                "</metadata></domain>";
        _cleanup_domxml_ vpmu_domxml *c = parse_ok(volume, strlen(volume), "c");

        assert_int_equal(vpmu_domxml_get_info(c, &info, NULL), 0);
        assert_true(info.nova_managed);
        assert_null(info.nova_image);
        vpmu_domain_info_clear(&info);
    }
}

/* ------------------------------------------------------------------------ */
/* hostile XML (issue 7 §3): each is refused with VPMU_ERR_INVALID          */

typedef struct {
    const char *file;
    long line; /* 0: no line in the message */
    const char *expect;
} hostile_case;

static const hostile_case hostile_cases[] = {
        {"xxe-file.xml", 2,
         "a DOCTYPE with an internal subset or an external identifier is refused"},
        {"xxe-parameter.xml", 1, "a DOCTYPE with an internal subset"},
        {"network-dtd.xml", 2, "a DOCTYPE with an internal subset or an external identifier"},
        {"billion-laughs.xml", 2, "a DOCTYPE with an internal subset"},
        {"non-utf8.xml", 2, "byte 0xe9 is not valid UTF-8; domain XML must be UTF-8"},
        {"utf16.xml", 1, "byte 0xff is not valid UTF-8"},
        {"nul-byte.xml", 4, "NUL byte in the input; domain XML must be UTF-8 text without NUL"},
        {"latin1-declared.xml", 1, "encoding 'ISO-8859-1' is refused; domain XML must be UTF-8"},
        {"dup-features.xml", 9, "duplicate <features> element (the first is on line 6)"},
        {"dup-pmu.xml", 9, "duplicate <pmu> element in <features> (the first is on line 7)"},
        {"state-maybe.xml", 7, "invalid <pmu> state 'maybe'; libvirt accepts 'on' or 'off'"},
        {"not-domain.xml", 1, "the root element is <network>, not libvirt's <domain>"},
        {"namespaced-root.xml", 1, "the root element is <domain> in a namespace, not libvirt's"},
        {"undefined-entity.xml", 2, "Entity 'undefined' not defined"},
        {"malformed.xml", 5, "Opening and ending tag mismatch: os line 3 and devices"},
        {"empty.xml", 1, "Document is empty"},
};

static void
assert_refused(vpmu_domxml *d, vpmu_error *err, const char *name, long line, const char *expect)
{
    const char *msg = vpmu_error_get_message(err);
    _cleanup_free_ char *prefix = line ? xasprintf("%s:%ld: ", name, line) : xasprintf("%s", name);

    assert_null(d);
    assert_non_null(err);
    if (vpmu_error_get_code(err) != VPMU_ERR_INVALID || !strstr(msg, expect) ||
        strncmp(msg, prefix, strlen(prefix)) != 0)
        fail_msg("%s: got code %d '%s', want code 3 starting '%s' with '%s'", name,
                 vpmu_error_get_code(err), msg, prefix, expect);
}

static void
test_hostile_file(void **state)
{
    const hostile_case *c = *state;
    _cleanup_free_ char *path = xasprintf("%s/%s", HOSTILE_DIR, c->file);
    stderr_capture cap;
    vpmu_error *err = NULL;
    vpmu_domxml *d;

    stderr_capture_begin(&cap);
    d = vpmu_domxml_load(path, &err);
    stderr_capture_end_empty(&cap);
    assert_refused(d, err, path, c->line, c->expect);
    /* Nothing of /etc/passwd ever reaches the message. */
    assert_null(strstr(vpmu_error_get_message(err), "root:"));
    vpmu_error_free(TAKE_PTR(err));

    /* The same refusal, with the same message, with and without byte
     * preservation. */
    for (unsigned flags = 0; flags <= VPMU_DOMXML_PRESERVE_BYTES; flags++) {
        size_t len = 0;
        _cleanup_free_ char *bytes = slurp(path, &len);

        stderr_capture_begin(&cap);
        d = vpmu_domxml_parse_flags(bytes, len, path, flags, &err);
        stderr_capture_end_empty(&cap);
        assert_refused(d, err, path, c->line, c->expect);
        assert_null(strstr(vpmu_error_get_message(err), "root:"));
        vpmu_error_free(TAKE_PTR(err));
    }
}

/* An external entity on a file we made: libxml2 with entity loading would
 * read it (the control), vpmu never opens it. */
static void
test_hostile_xxe_never_read(void **state _unused_)
{
    _cleanup_free_ char *secret = tmp_path("secret.txt");
    _cleanup_free_ char *doc_text = NULL, *filler = NULL;
    _cleanup_xmldoc_ xmlDoc *control = NULL;
    xmlChar *dump = NULL;
    int dump_len = 0;
    vpmu_error *err = NULL;
    vpmu_domxml *d;
    unsigned long long before, after;
    const size_t filler_len = 1024 * 1024;

    /* 1 MiB of marker text, so that reading it would show in rchar. */
    filler = xmalloc(filler_len + 1);
    for (size_t i = 0; i < filler_len; i += 16)
        memcpy(filler + i, "VPMU-SECRET-0123", 16);
    filler[filler_len] = '\0';
    spit(secret, filler, filler_len);
    doc_text = xasprintf("<!DOCTYPE domain [<!ENTITY s SYSTEM 'file://%s'>]>\n"
                         "<domain type='kvm'><name>&s;</name></domain>\n",
                         secret);

    /* Control: a careless parser does expand it. */
    control = xmlReadMemory(doc_text, (int)strlen(doc_text), NULL, NULL,
                            XML_PARSE_NOENT | XML_PARSE_DTDLOAD | XML_PARSE_NONET | XML_PARSE_HUGE);
    assert_non_null(control);
    xmlDocDumpMemory(control, &dump, &dump_len);
    assert_non_null(strstr((const char *)dump, "VPMU-SECRET-0123"));
    xmlFree(dump);

    before = rchar_now();
    d = vpmu_domxml_parse(doc_text, strlen(doc_text), "xxe", &err);
    after = rchar_now();
    assert_refused(d, err, "xxe", 1, "a DOCTYPE with an internal subset");
    assert_null(strstr(vpmu_error_get_message(err), "VPMU-SECRET"));
    /* The only reads in between are of /proc/self/io itself. */
    assert_true(after - before < 4096);
    vpmu_error_free(err);
}

/* A DTD on a loopback port we listen on: no connection ever arrives. */
static void
test_hostile_network_dtd(void **state _unused_)
{
    struct sockaddr_in addr = {.sin_family = AF_INET};
    socklen_t alen = sizeof(addr);
    _cleanup_close_ int lfd = -1;
    _cleanup_free_ char *text = NULL;
    vpmu_error *err = NULL;
    vpmu_domxml *d;
    int cfd;

    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    assert_true(lfd >= 0);
    assert_int_equal(bind(lfd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(listen(lfd, 4), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&addr, &alen), 0);

    text = xasprintf("<?xml version='1.0'?>\n"
                     "<!DOCTYPE domain PUBLIC '-//x//y' 'http://127.0.0.1:%u/domain.dtd'>\n"
                     "<domain type='kvm'><name>n</name></domain>\n",
                     ntohs(addr.sin_port));
    d = vpmu_domxml_parse(text, strlen(text), "net", &err);
    assert_refused(d, err, "net", 2, "external identifier");
    vpmu_error_free(err);

    cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    assert_int_equal(cfd, -1);
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
}

/* A 100 MB document, written with libxml2's streaming writer. */
static void
write_big_domain(const char *path, size_t target)
{
    xmlTextWriterPtr w = xmlNewTextWriterFilename(path, 0);
    char chunk[65536];
    size_t written = 0;

    assert_non_null(w);
    memset(chunk, ' ', sizeof(chunk) - 1);
    for (size_t i = 0; i < sizeof(chunk) - 1; i += 64)
        chunk[i] = '\n';
    chunk[sizeof(chunk) - 1] = '\0';
    assert_true(xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL) >= 0);
    assert_true(xmlTextWriterStartElement(w, BAD_CAST "domain") >= 0);
    assert_true(xmlTextWriterWriteAttribute(w, BAD_CAST "type", BAD_CAST "kvm") >= 0);
    assert_true(xmlTextWriterWriteElement(w, BAD_CAST "name", BAD_CAST "big") >= 0);
    assert_true(xmlTextWriterStartElement(w, BAD_CAST "description") >= 0);
    while (written < target) {
        assert_true(xmlTextWriterWriteRaw(w, BAD_CAST chunk) >= 0);
        written += sizeof(chunk) - 1;
    }
    assert_true(xmlTextWriterEndDocument(w) >= 0);
    xmlFreeTextWriter(w);
}

static void
test_hostile_huge_file(void **state _unused_)
{
    _cleanup_free_ char *path = tmp_path("huge.xml");
    struct stat st;
    unsigned long long before, after;
    vpmu_error *err = NULL;
    vpmu_domxml *d;

    write_big_domain(path, 100u * 1024 * 1024);
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_size > 100ll * 1024 * 1024);

    before = rchar_now();
    d = vpmu_domxml_load(path, &err);
    after = rchar_now();
    assert_refused(d, err, "'", 0, "is larger than the 16777216-byte limit for domain XML");
    /* Refused by its size: not even the limit's worth was read. */
    assert_true(after - before < 64 * 1024);
    vpmu_error_free(err);
    unlink(path);
}

/* The same through a pipe, which has no size: reading stops at the limit. */
static void
test_hostile_huge_stream(void **state _unused_)
{
    _cleanup_free_ char *fifo = tmp_path("huge.fifo");
    int report[2];
    unsigned long long total = 0;
    vpmu_error *err = NULL;
    vpmu_domxml *d;
    pid_t pid;
    int status;

    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(pipe2(report, O_CLOEXEC), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        static char chunk[1 << 16];
        int fd;

        signal(SIGPIPE, SIG_IGN);
        memset(chunk, ' ', sizeof(chunk));
        fd = open(fifo, O_WRONLY | O_CLOEXEC);
        free(TAKE_PTR(fifo)); /* _exit() skips the cleanup */
        if (fd < 0)
            _exit(1);
        if (write(fd, "<domain>", 8) == 8)
            total = 8;
        while (total < 100ull * 1024 * 1024) {
            ssize_t w = write(fd, chunk, sizeof(chunk));
            if (w <= 0)
                break;
            total += (unsigned long long)w;
        }
        if (write(report[1], &total, sizeof(total)) != sizeof(total))
            _exit(1);
        _exit(0);
    }
    close(report[1]);
    d = vpmu_domxml_load(fifo, &err);
    assert_refused(d, err, "'", 0, "is larger than the 16777216-byte limit");
    vpmu_error_free(err);
    assert_int_equal(read(report[0], &total, sizeof(total)), sizeof(total));
    close(report[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    /* The writer was cut off soon after the limit, far from 100 MB. */
    assert_true(total < VPMU_DOMXML_MAX_BYTES + 4u * 1024 * 1024);
    unlink(fifo);
}

static void
test_hostile_huge_buffer(void **state _unused_)
{
    size_t len = VPMU_DOMXML_MAX_BYTES + 1u;
    _cleanup_free_ char *buf = xmalloc(len);
    vpmu_error *err = NULL;
    vpmu_domxml *d;

    memset(buf, ' ', len);
    memcpy(buf, "<domain>", 8);
    d = vpmu_domxml_parse(buf, len, "huge", &err);
    assert_refused(d, err, "huge: ", 0, "the document is larger than the 16777216-byte limit");
    vpmu_error_free(TAKE_PTR(err));
    d = vpmu_domxml_parse_flags(buf, len, "huge", 0, &err);
    assert_refused(d, err, "huge: ", 0, "the document is larger than the 16777216-byte limit");
    vpmu_error_free(err);
}

static char *
nested(unsigned depth)
{
    size_t len = strlen("<domain>") + strlen("</domain>") + (depth - 1) * 7 + 1;
    char *s = xmalloc(len), *p = s;

    p = stpcpy(p, "<domain>");
    for (unsigned i = 1; i < depth; i++)
        p = stpcpy(p, "<a>");
    for (unsigned i = 1; i < depth; i++)
        p = stpcpy(p, "</a>");
    stpcpy(p, "</domain>");
    return s;
}

static void
test_hostile_deep_nesting(void **state _unused_)
{
    _cleanup_free_ char *deep = nested(10000);
    _cleanup_free_ char *limit = nested(VPMU_DOMXML_MAX_DEPTH);
    _cleanup_free_ char *over = nested(VPMU_DOMXML_MAX_DEPTH + 1);
    _cleanup_domxml_ vpmu_domxml *ok = NULL;
    vpmu_error *err = NULL;
    vpmu_domxml *d;

    for (unsigned flags = 0; flags <= VPMU_DOMXML_PRESERVE_BYTES; flags++) {
        d = vpmu_domxml_parse_flags(deep, strlen(deep), "deep", flags, &err);
        assert_refused(d, err, "deep", 1, "elements nest deeper than the limit of 64 levels");
        vpmu_error_free(TAKE_PTR(err));

        d = vpmu_domxml_parse_flags(over, strlen(over), "over", flags, &err);
        assert_refused(d, err, "over", 1, "elements nest deeper than the limit of 64 levels");
        vpmu_error_free(TAKE_PTR(err));

        ok = vpmu_domxml_parse_flags(limit, strlen(limit), "limit", flags, &err);
        assert_non_null(ok);
        assert_int_equal(vpmu_domxml_get_pmu(ok), VPMU_PMU_UNSET);
        vpmu_domxml_free(TAKE_PTR(ok));
    }
}

/* libxml2's own handlers are put back after each call. */
static int handler_calls;
static void
my_structured(void *ctx _unused_, xmlErrorPtr e _unused_)
{
    handler_calls++;
}

static void
test_error_handlers_restored(void **state _unused_)
{
    vpmu_error *err = NULL;
    xmlDoc *doc;

    xmlSetStructuredErrorFunc(NULL, my_structured);
    assert_null(vpmu_domxml_parse("<domain>", 8, "x", &err));
    vpmu_error_free(err);
    assert_int_equal(handler_calls, 0);
    assert_true(xmlStructuredError == my_structured);
    doc = xmlReadMemory("<a>", 3, NULL, NULL, 0);
    assert_null(doc);
    assert_true(handler_calls > 0);
    xmlSetStructuredErrorFunc(NULL, NULL);
}

/* ------------------------------------------------------------------------ */
/* building guests                                                          */

static unsigned
count_elements(const xmlNode *n)
{
    unsigned count = 0;

    for (const xmlNode *c = n; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE)
            count += 1 + count_elements(c->children);
    }
    return count;
}

static unsigned
count_named(const xmlNode *n, const char *name)
{
    unsigned count = 0;

    for (const xmlNode *c = n; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE) {
            if (STREQ((const char *)c->name, name))
                count++;
            count += count_named(c->children, name);
        }
    }
    return count;
}

static vpmu_domxml *
build_ok(const vpmu_guest_spec *spec)
{
    vpmu_error *err = NULL;
    vpmu_domxml *d = vpmu_domxml_build(spec, &err);

    if (!d) {
        fail_msg("build: %s", vpmu_error_get_message(err));
        vpmu_error_free(err);
    }
    return d;
}

static void
test_build_x86(void **state _unused_)
{
    vpmu_guest_spec spec = {
            .name = "vran-du-0",
            .uuid = "4dea22b3-1d52-d8f3-2516-782e98ab3fa0",
            .memory_mib = 4096,
            .vcpus = 4,
            .arch = "x86_64",
            .virt_type = "kvm",
            .cpu_mode = "custom",
            .cpu_model = "Skylake-Server",
            .emulator = "/usr/bin/qemu-system-x86_64",
            .disk = "/srv/images/du.QCOW2",
            .serial_log = "/var/log/vpmu/du-serial.log",
            .destroy_on_crash = true,
            .pmu = VPMU_PMU_OFF,
    };
    _cleanup_domxml_ vpmu_domxml *d = build_ok(&spec), *back = NULL;
    _cleanup_free_ char *out = NULL, *out2 = NULL;
    vpmu_domain_info info;
    size_t len = 0;

    out = format(d, &len);
    assert_string_equal(out, "<domain type=\"kvm\">\n"
                             "  <name>vran-du-0</name>\n"
                             "  <uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>\n"
                             "  <memory unit=\"MiB\">4096</memory>\n"
                             "  <vcpu>4</vcpu>\n"
                             "  <os>\n"
                             "    <type arch=\"x86_64\" machine=\"q35\">hvm</type>\n"
                             "    <boot dev=\"hd\"/>\n"
                             "  </os>\n"
                             "  <features>\n"
                             "    <acpi/>\n"
                             "    <pmu state=\"off\"/>\n"
                             "  </features>\n"
                             "  <cpu mode=\"custom\" match=\"exact\">\n"
                             "    <model fallback=\"forbid\">Skylake-Server</model>\n"
                             "  </cpu>\n"
                             "  <on_poweroff>destroy</on_poweroff>\n"
                             "  <on_reboot>destroy</on_reboot>\n"
                             "  <on_crash>destroy</on_crash>\n"
                             "  <devices>\n"
                             "    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n"
                             "    <disk type=\"file\" device=\"disk\">\n"
                             "      <driver name=\"qemu\" type=\"qcow2\"/>\n"
                             "      <source file=\"/srv/images/du.QCOW2\"/>\n"
                             "      <target dev=\"vda\" bus=\"virtio\"/>\n"
                             "    </disk>\n"
                             "    <serial type=\"file\">\n"
                             "      <source path=\"/var/log/vpmu/du-serial.log\"/>\n"
                             "      <target port=\"0\"/>\n"
                             "    </serial>\n"
                             "    <console type=\"file\">\n"
                             "      <source path=\"/var/log/vpmu/du-serial.log\"/>\n"
                             "      <target type=\"serial\" port=\"0\"/>\n"
                             "    </console>\n"
                             "  </devices>\n"
                             "</domain>\n");
    assert_validates_buf(out, len);

    back = parse_ok(out, len, "built");
    assert_int_equal(vpmu_domxml_get_info(back, &info, NULL), 0);
    assert_string_equal(info.name, "vran-du-0");
    assert_string_equal(info.cpu_mode, "custom");
    assert_string_equal(info.cpu_model, "Skylake-Server");
    assert_string_equal(info.machine, "q35");
    assert_int_equal(info.pmu, VPMU_PMU_OFF);
    vpmu_domain_info_clear(&info);

    /* Editing a built guest works like editing any other. */
    set_pmu_ok(d, VPMU_PMU_UNSET);
    out2 = format(d, &len);
    assert_null(strstr(out2, "<pmu"));
    assert_non_null(strstr(out2, "  <features>\n    <acpi/>\n  </features>\n"));
    assert_validates_buf(out2, len);
}

static void
test_build_aarch64(void **state _unused_)
{
    vpmu_guest_spec spec = {
            .name = "arm",
            .arch = "aarch64",
            .kernel = "/srv/arm/Image",
            .initrd = "/srv/arm/initrd.img",
            .cmdline = "console=ttyAMA0 panic=-1",
            .pmu = VPMU_PMU_ON,
    };
    _cleanup_domxml_ vpmu_domxml *d = build_ok(&spec);
    _cleanup_free_ char *out = NULL;
    size_t len = 0;

    out = format(d, &len);
    assert_string_equal(out, "<domain type=\"qemu\">\n"
                             "  <name>arm</name>\n"
                             "  <memory unit=\"MiB\">512</memory>\n"
                             "  <vcpu>1</vcpu>\n"
                             "  <os>\n"
                             "    <type arch=\"aarch64\" machine=\"virt\">hvm</type>\n"
                             "    <kernel>/srv/arm/Image</kernel>\n"
                             "    <initrd>/srv/arm/initrd.img</initrd>\n"
                             "    <cmdline>console=ttyAMA0 panic=-1</cmdline>\n"
                             "  </os>\n"
                             "  <features>\n"
                             "    <pmu state=\"on\"/>\n"
                             "  </features>\n"
                             "  <devices/>\n"
                             "</domain>\n");
    assert_validates_buf(out, len);
}

static void
test_build_cpu_modes(void **state _unused_)
{
    static const char *const modes[] = {"host-passthrough", "host-model", "maximum"};

    for (size_t i = 0; i < ELEMENTSOF(modes); i++) {
        vpmu_guest_spec spec = {.name = "m", .arch = "aarch64", .cpu_mode = modes[i]};
        _cleanup_domxml_ vpmu_domxml *d = build_ok(&spec);
        _cleanup_free_ char *out = NULL, *want = xasprintf("  <cpu mode=\"%s\"/>\n", modes[i]);
        size_t len = 0;

        out = format(d, &len);
        assert_non_null(strstr(out, want));
        assert_null(strstr(out, "<features"));
        assert_validates_buf(out, len);
    }
    {
        /* A model alone implies custom. */
        vpmu_guest_spec spec = {.name = "m", .arch = "x86_64", .cpu_model = "qemu64"};
        _cleanup_domxml_ vpmu_domxml *d = build_ok(&spec);
        _cleanup_free_ char *out = format(d, NULL);
        assert_non_null(strstr(out, "<cpu mode=\"custom\" match=\"exact\">\n    <model "
                                    "fallback=\"forbid\">qemu64</model>\n"));
    }
}

/* Names and values with markup never change the document's structure. */
static void
test_build_markup(void **state _unused_)
{
    static const char evil_name[] = "a'b\"<c>&d";
    vpmu_guest_spec plain = {
            .name = "plain",
            .arch = "x86_64",
            .cpu_model = "Haswell",
            .disk = "/srv/plain.qcow2",
            .kernel = "/srv/vmlinuz",
            .cmdline = "console=ttyS0",
            .serial_log = "/tmp/plain.log",
            .pmu = VPMU_PMU_ON,
    };
    vpmu_guest_spec evil = plain;
    _cleanup_domxml_ vpmu_domxml *a = NULL, *b = NULL, *back = NULL;
    _cleanup_free_ char *out_a = NULL, *out_b = NULL;
    _cleanup_xmldoc_ xmlDoc *doc_a = NULL, *doc_b = NULL;
    size_t len_a = 0, len_b = 0;
    vpmu_domain_info info;

    evil.name = evil_name;
    evil.cpu_model = "Haswell</model><model>x";
    evil.disk = "/srv/x'\"/><disk type='block'>&amp;.qcow2";
    evil.kernel = "/srv/]]><!--";
    evil.cmdline = "console=ttyS0 </cmdline><cmdline>root=/dev/evil &entity; <![CDATA[x]]>";
    evil.serial_log = "/tmp/<serial type='pty'/>";

    a = build_ok(&plain);
    b = build_ok(&evil);
    out_a = format(a, &len_a);
    out_b = format(b, &len_b);
    doc_a = xmlReadMemory(out_a, (int)len_a, NULL, NULL, XML_PARSE_NONET);
    doc_b = xmlReadMemory(out_b, (int)len_b, NULL, NULL, XML_PARSE_NONET);
    assert_non_null(doc_a);
    assert_non_null(doc_b);
    assert_int_equal(count_elements(xmlDocGetRootElement(doc_b)),
                     count_elements(xmlDocGetRootElement(doc_a)));
    assert_int_equal(count_named(xmlDocGetRootElement(doc_b), "name"), 1);
    assert_int_equal(count_named(xmlDocGetRootElement(doc_b), "disk"), 1);
    assert_int_equal(count_named(xmlDocGetRootElement(doc_b), "serial"), 1);
    assert_int_equal(count_named(xmlDocGetRootElement(doc_b), "cmdline"), 1);
    assert_int_equal(count_named(xmlDocGetRootElement(doc_b), "model"), 1);
    assert_int_equal(xmlDocGetRootElement(doc_b)->children ? 1 : 0, 1);

    back = parse_ok(out_b, len_b, "evil");
    assert_int_equal(vpmu_domxml_get_info(back, &info, NULL), 0);
    assert_string_equal(info.name, evil_name);
    assert_string_equal(info.cpu_model, "Haswell</model><model>x");
    assert_int_equal(info.pmu, VPMU_PMU_ON);
    vpmu_domain_info_clear(&info);
    assert_validates_buf(out_b, len_b);
}

static void
test_build_defaults(void **state _unused_)
{
    vpmu_guest_spec spec = {.name = "d", .arch = "x86_64", .disk = "rel/dir/disk.img"};
    _cleanup_domxml_ vpmu_domxml *d = build_ok(&spec);
    _cleanup_free_ char *out = format(d, NULL);
    _cleanup_free_ char *cwd = getcwd(NULL, 0);
    _cleanup_free_ char *want = xasprintf("<source file=\"%s/rel/dir/disk.img\"/>", cwd);

    assert_non_null(strstr(out, "<memory unit=\"MiB\">512</memory>"));
    assert_non_null(strstr(out, "<vcpu>1</vcpu>"));
    assert_non_null(strstr(out, "machine=\"q35\""));
    assert_non_null(strstr(out, "<driver name=\"qemu\" type=\"raw\"/>"));
    assert_non_null(strstr(out, want));
    assert_null(strstr(out, "<pmu"));
    assert_null(strstr(out, "<cpu"));
    assert_null(strstr(out, "on_crash"));
    assert_validates_buf(out, strlen(out));

    assert_string_equal(vpmu_default_machine("x86_64"), "q35");
    assert_string_equal(vpmu_default_machine("aarch64"), "virt");
    assert_string_equal(vpmu_default_machine("s390x"), "s390-ccw-virtio");
    assert_null(vpmu_default_machine("vax"));
    assert_null(vpmu_default_machine(NULL));
}

static void
test_build_errors(void **state _unused_)
{
    static const struct {
        vpmu_guest_spec spec;
        vpmu_error_code code;
        const char *expect;
    } cases[] = {
            {{.arch = "x86_64"}, VPMU_ERR_USAGE, "a guest needs a name"},
            {{.name = "a\nb", .arch = "x86_64"}, VPMU_ERR_INVALID, "guest name 'a\\nb' holds"},
            {{.name = "a/b", .arch = "x86_64"}, VPMU_ERR_INVALID, "holds a '/'"},
            {{.name = "bad\xff", .arch = "x86_64"}, VPMU_ERR_INVALID, "cannot carry"},
            {{.name = "ctl\x01", .arch = "x86_64"}, VPMU_ERR_INVALID, "cannot carry"},
            {{.name = "n"}, VPMU_ERR_USAGE, "a guest needs an architecture"},
            {{.name = "n", .arch = "vax"},
             VPMU_ERR_USAGE,
             "no default machine type for "
             "architecture 'vax'"},
            {{.name = "n", .arch = "x86 64"}, VPMU_ERR_INVALID, "invalid architecture"},
            {{.name = "n", .arch = "x86_64", .uuid = "not-a-uuid"},
             VPMU_ERR_INVALID,
             "'not-a-uuid' is not a UUID"},
            {{.name = "n", .arch = "x86_64", .virt_type = "xen"},
             VPMU_ERR_USAGE,
             "unsupported virt type 'xen'"},
            {{.name = "n", .arch = "x86_64", .cpu_mode = "custom"},
             VPMU_ERR_USAGE,
             "CPU mode 'custom' needs a CPU model"},
            {{.name = "n", .arch = "x86_64", .cpu_mode = "host-model", .cpu_model = "x"},
             VPMU_ERR_USAGE,
             "a CPU model goes only with CPU mode 'custom'"},
            {{.name = "n", .arch = "x86_64", .cpu_mode = "bogus"},
             VPMU_ERR_USAGE,
             "unsupported CPU mode 'bogus'"},
            {{.name = "n", .arch = "x86_64", .initrd = "/i"}, VPMU_ERR_USAGE, "needs a kernel"},
            {{.name = "n", .arch = "x86_64", .disk = "/a\nb"},
             VPMU_ERR_INVALID,
             "disk path '/a\\nb'"},
            {{.name = "n", .arch = "x86_64", .pmu = VPMU_PMU_LAST},
             VPMU_ERR_USAGE,
             "invalid vPMU setting"},
    };

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        vpmu_error *err = NULL;
        vpmu_domxml *d = vpmu_domxml_build(&cases[i].spec, &err);

        assert_null(d);
        assert_non_null(err);
        if (vpmu_error_get_code(err) != cases[i].code ||
            !strstr(vpmu_error_get_message(err), cases[i].expect))
            fail_msg("case %zu: got %d '%s', want %d '%s'", i, vpmu_error_get_code(err),
                     vpmu_error_get_message(err), cases[i].code, cases[i].expect);
        vpmu_error_free(err);
    }
    assert_null(vpmu_domxml_build(NULL, NULL));
}

static void
test_api_misuse(void **state _unused_)
{
    vpmu_error *err = NULL;
    char *out = NULL;

    assert_null(vpmu_domxml_parse(NULL, 0, NULL, &err));
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_USAGE);
    vpmu_error_free(TAKE_PTR(err));
    assert_null(vpmu_domxml_parse_flags("<domain/>", 9, "flags", 1u << 1, &err));
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_USAGE);
    assert_string_equal(vpmu_error_get_message(err), "flags: unknown parse flags 0x2");
    vpmu_error_free(TAKE_PTR(err));
    assert_int_equal(vpmu_domxml_set_pmu(NULL, VPMU_PMU_ON, &err), -1);
    vpmu_error_free(TAKE_PTR(err));
    assert_int_equal(vpmu_domxml_format(NULL, &out, NULL, &err), -1);
    vpmu_error_free(TAKE_PTR(err));
    assert_int_equal(vpmu_domxml_get_pmu(NULL), VPMU_PMU_UNSET);
    assert_null(vpmu_domxml_load("/nonexistent/vpmu/domain.xml", &err));
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_RUNTIME);
    vpmu_error_free(TAKE_PTR(err));
    vpmu_domxml_free(NULL);
}

/* ------------------------------------------------------------------------ */

static int
setup_tmpdir(void **state _unused_)
{
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int
teardown_tmpdir(void **state _unused_)
{
    DIR *dh = opendir(tmpdir);
    struct dirent *de;

    while (dh && (de = readdir(dh))) {
        _cleanup_free_ char *p = NULL;
        if (de->d_name[0] == '.')
            continue;
        p = xasprintf("%s/%s", tmpdir, de->d_name);
        unlink(p);
    }
    if (dh)
        closedir(dh);
    rmdir(tmpdir);
    xmlCleanupParser();
    return 0;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(void)
{
    static const struct CMUnitTest fixed[] = {
            cmocka_unit_test(test_golden_chain),
            cmocka_unit_test(test_fallback),
            cmocka_unit_test(test_edit_specifics),
            cmocka_unit_test(test_splice_specifics),
            cmocka_unit_test(test_info_nova),
            cmocka_unit_test(test_info_namespaces),
            cmocka_unit_test(test_hostile_xxe_never_read),
            cmocka_unit_test(test_hostile_network_dtd),
            cmocka_unit_test(test_hostile_huge_file),
            cmocka_unit_test(test_hostile_huge_stream),
            cmocka_unit_test(test_hostile_huge_buffer),
            cmocka_unit_test(test_hostile_deep_nesting),
            cmocka_unit_test(test_error_handlers_restored),
            cmocka_unit_test(test_build_x86),
            cmocka_unit_test(test_build_aarch64),
            cmocka_unit_test(test_build_cpu_modes),
            cmocka_unit_test(test_build_markup),
            cmocka_unit_test(test_build_defaults),
            cmocka_unit_test(test_build_errors),
            cmocka_unit_test(test_api_misuse),
    };
    strv cases = {0}, names = {0};
    struct CMUnitTest *tests;
    size_t n = 0;
    DIR *dh;
    struct dirent *de;
    int rc;

    /* One test per golden case directory, in name order. */
    dh = opendir(GOLDEN_DIR);
    if (!dh) {
        fprintf(stderr, "cannot open %s: %s\n", GOLDEN_DIR, strerror(errno));
        return 1;
    }
    while ((de = readdir(dh)))
        if (de->d_name[0] != '.')
            strv_push(&cases, xstrdup(de->d_name));
    closedir(dh);
    if (cases.n)
        qsort(cases.v, cases.n, sizeof(char *), cmp_str);

    tests = xcalloc(cases.n + ELEMENTSOF(hostile_cases) + ELEMENTSOF(fixed), sizeof(*tests));
    for (size_t i = 0; i < cases.n; i++) {
        tests[n].name = cases.v[i];
        tests[n].test_func = test_golden;
        tests[n].initial_state = cases.v[i];
        n++;
    }
    /* One test per hostile file. */
    for (size_t i = 0; i < ELEMENTSOF(hostile_cases); i++) {
        strv_pushf(&names, "hostile %s", hostile_cases[i].file);
        tests[n].name = names.v[names.n - 1];
        tests[n].test_func = test_hostile_file;
        tests[n].initial_state = (void *)&hostile_cases[i];
        n++;
    }
    /* The chain test compares against the files the per-case tests write. */
    for (size_t i = 0; i < ELEMENTSOF(fixed); i++)
        tests[n++] = fixed[i];

    rc = _cmocka_run_group_tests("domxml", tests, n, setup_tmpdir, teardown_tmpdir);
    free(tests);
    strv_clear(&cases);
    strv_clear(&names);
    return rc;
}

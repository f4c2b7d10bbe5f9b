/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A unified diff of two texts, for --dry-run: what `diff -u` prints, with
 * three lines of context and no timestamps.
 *
 * vpmu's edits change a few lines of a domain XML, so the common head and
 * tail are cut first and a longest-common-subsequence table is built only
 * for the lines between them.  When that middle is too large for the table
 * (more than CELLS_MAX cells), it is shown as removed and added as a whole:
 * still a correct diff, only not the shortest one.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"

#define CONTEXT 3
#define CELLS_MAX (4u << 20)

typedef struct {
    const char *s;
    size_t len; /* without the '\n' */
    bool nl;    /* ends with '\n' */
} line;

typedef struct {
    line *v;
    size_t n;
} lines;

static void
split(const char *s, size_t len, lines *out)
{
    size_t cap = 16;

    out->v = xcalloc(cap, sizeof(*out->v));
    out->n = 0;
    for (size_t i = 0; i < len;) {
        const char *e = memchr(s + i, '\n', len - i);
        size_t l = e ? (size_t)(e - (s + i)) : len - i;

        if (out->n == cap) {
            cap *= 2;
            out->v = xreallocarray(out->v, cap, sizeof(*out->v));
        }
        out->v[out->n++] = (line){s + i, l, e != NULL};
        i += l + (e ? 1 : 0);
    }
}

static bool
same(const line *a, const line *b)
{
    return a->len == b->len && a->nl == b->nl && memcmp(a->s, b->s, a->len) == 0;
}

/* One step of the edit script: ' ' both, '-' only in a, '+' only in b. */
typedef struct {
    char op;
    const line *l;
    size_t ai, bi; /* the line numbers (0-based) in a and b before this step */
} step;

static void
print_line(FILE *out, char op, const line *l)
{
    fputc(op, out);
    fwrite(l->s, 1, l->len, out);
    fputc('\n', out);
    if (!l->nl)
        fputs("\\ No newline at end of file\n", out);
}

static void
print_hunk(FILE *out, const step *st, size_t from, size_t to)
{
    size_t a0 = st[from].ai, b0 = st[from].bi, na = 0, nb = 0;

    for (size_t i = from; i < to; i++) {
        na += st[i].op != '+';
        nb += st[i].op != '-';
    }
    /* diff -u: an empty range is shown at the line before it. */
    fprintf(out, "@@ -%zu", na ? a0 + 1 : a0);
    if (na != 1)
        fprintf(out, ",%zu", na);
    fprintf(out, " +%zu", nb ? b0 + 1 : b0);
    if (nb != 1)
        fprintf(out, ",%zu", nb);
    fputs(" @@\n", out);
    for (size_t i = from; i < to; i++)
        print_line(out, st[i].op, st[i].l);
}

bool
cli_unified_diff(FILE *out, const char *a_label, const char *a, size_t alen, const char *b_label,
                 const char *b, size_t blen)
{
    lines la, lb;
    size_t pre = 0, suf = 0, n = 0;
    step *st;
    bool changed;

    split(a, alen, &la);
    split(b, blen, &lb);
    while (pre < la.n && pre < lb.n && same(&la.v[pre], &lb.v[pre]))
        pre++;
    while (suf < la.n - pre && suf < lb.n - pre &&
           same(&la.v[la.n - 1 - suf], &lb.v[lb.n - 1 - suf]))
        suf++;
    changed = pre + suf < la.n || pre + suf < lb.n;
    if (!changed) {
        free(la.v);
        free(lb.v);
        return false;
    }

    st = xcalloc(la.n + lb.n + 1, sizeof(*st));
    for (size_t i = 0; i < pre; i++)
        st[n++] = (step){' ', &la.v[i], i, i};
    {
        size_t ma = la.n - pre - suf, mb = lb.n - pre - suf;
        const line *A = la.v + pre, *B = lb.v + pre;
        size_t ai = pre, bi = pre;

        if (ma && mb && (ma + 1) * (mb + 1) <= CELLS_MAX) {
            /* t[i][j]: the LCS length of A[i..] and B[j..]. */
            unsigned *t = xcalloc((ma + 1) * (mb + 1), sizeof(*t));
#define T(i, j) t[(i) * (mb + 1) + (j)]
            for (size_t i = ma; i-- > 0;)
                for (size_t j = mb; j-- > 0;)
                    T(i, j) = same(&A[i], &B[j])           ? T(i + 1, j + 1) + 1
                              : T(i + 1, j) >= T(i, j + 1) ? T(i + 1, j)
                                                           : T(i, j + 1);
            for (size_t i = 0, j = 0; i < ma || j < mb;) {
                if (i < ma && j < mb && same(&A[i], &B[j])) {
                    st[n++] = (step){' ', &A[i], ai++, bi++};
                    i++, j++;
                } else if (i < ma && (j == mb || T(i + 1, j) >= T(i, j + 1))) {
                    /* removals first, as diff -u shows a changed block */
                    st[n++] = (step){'-', &A[i], ai++, bi};
                    i++;
                } else {
                    st[n++] = (step){'+', &B[j], ai, bi++};
                    j++;
                }
            }
#undef T
            free(t);
        } else {
            for (size_t i = 0; i < ma; i++)
                st[n++] = (step){'-', &A[i], ai++, bi};
            for (size_t j = 0; j < mb; j++)
                st[n++] = (step){'+', &B[j], ai, bi++};
        }
    }
    for (size_t i = 0; i < suf; i++)
        st[n++] = (step){' ', &la.v[la.n - suf + i], la.n - suf + i, lb.n - suf + i};

    fprintf(out, "--- %s\n+++ %s\n", a_label, b_label);
    /* Hunks: changes with CONTEXT lines around them, merged when they touch. */
    for (size_t i = 0; i < n;) {
        size_t from, to, last;

        while (i < n && st[i].op == ' ')
            i++;
        if (i == n)
            break;
        from = i > CONTEXT ? i - CONTEXT : 0;
        last = i;
        for (size_t j = i; j < n; j++) {
            if (st[j].op != ' ') {
                last = j;
            } else if (j - last > 2 * CONTEXT) {
                break;
            }
        }
        to = last + 1 + CONTEXT < n ? last + 1 + CONTEXT : n;
        print_hunk(out, st, from, to);
        i = to;
    }
    free(st);
    free(la.v);
    free(lb.v);
    return true;
}

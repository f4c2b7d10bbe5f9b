/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Edit throughput in the library, against the physical limit.
 *
 *   edit-throughput [--seconds S] [--rounds R] FILE...
 *
 * Loads every FILE into memory once, then measures two loops over them:
 *
 *   vpmu   vpmu_domxml_parse() + vpmu_domxml_set_pmu(off) + vpmu_domxml_format()
 *          + free: one edit, as libvpmu does it;
 *   floor  xmlReadMemory(XML_PARSE_NONET) + xmlDocDumpMemory() + free: libxml2
 *          parsing and serializing the same document with no edit, which no
 *          tree-based editor can beat.
 *
 * Each round runs each loop (alternating which goes first) for at least S
 * seconds of this thread's CPU time; the output is one JSON object per round
 * and loop, with documents and bytes per CPU second and per wall second.  CPU
 * time is the figure to compare on a shared machine: it does not count the
 * time other processes hold the cores.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "util.h"
#include "vpmu/domxml.h"

typedef struct {
    char *buf;
    size_t len;
    const char *path;
} doc_in;

static double
clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what, const char *path)
{
    fprintf(stderr, "edit-throughput: %s '%s'\n", what, path);
    exit(1);
}

/* One edit, as libvpmu does it.  Returns the output length. */
static size_t
edit_vpmu(const doc_in *d)
{
    vpmu_error *err = NULL;
    vpmu_domxml *doc = vpmu_domxml_parse(d->buf, d->len, d->path, &err);
    char *out = NULL;
    size_t len = 0;

    if (!doc || vpmu_domxml_set_pmu(doc, VPMU_PMU_OFF, &err) < 0 ||
        vpmu_domxml_format(doc, &out, &len, &err) < 0) {
        fprintf(stderr, "edit-throughput: %s\n", vpmu_error_get_message(err));
        exit(1);
    }
    vpmu_domxml_free(doc);
    free(out);
    return len;
}

/* The floor: parse and serialize, no edit. */
static size_t
edit_floor(const doc_in *d)
{
    xmlDocPtr doc = xmlReadMemory(d->buf, (int)d->len, d->path, NULL, XML_PARSE_NONET);
    xmlChar *out = NULL;
    int len = 0;

    if (!doc)
        die("libxml2 cannot parse", d->path);
    xmlDocDumpMemory(doc, &out, &len);
    if (!out)
        die("libxml2 cannot serialize", d->path);
    xmlFree(out);
    xmlFreeDoc(doc);
    return (size_t)len;
}

typedef size_t (*edit_fn)(const doc_in *d);

static void
run(const char *name, edit_fn fn, const doc_in *docs, size_t n, double min_cpu, int round)
{
    double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_THREAD_CPUTIME_ID), c1, w1;
    unsigned long long ndocs = 0, in_bytes = 0, out_bytes = 0;

    do {
        for (size_t i = 0; i < n; i++) {
            out_bytes += fn(&docs[i]);
            in_bytes += docs[i].len;
        }
        ndocs += n;
        c1 = clock_s(CLOCK_THREAD_CPUTIME_ID);
    } while (c1 - c0 < min_cpu);
    w1 = clock_s(CLOCK_MONOTONIC);
    printf("{\"round\": %d, \"loop\": \"%s\", \"docs\": %llu, \"in_bytes\": %llu, "
           "\"out_bytes\": %llu, \"cpu_s\": %.6f, \"wall_s\": %.6f, \"docs_per_cpu_s\": %.1f, "
           "\"docs_per_wall_s\": %.1f}\n",
           round, name, ndocs, in_bytes, out_bytes, c1 - c0, w1 - w0, (double)ndocs / (c1 - c0),
           (double)ndocs / (w1 - w0));
    fflush(stdout);
}

int
main(int argc, char **argv)
{
    double seconds = 1.0;
    int rounds = 5, first = 1;
    doc_in *docs;
    size_t n = 0;
    vpmu_error *err = NULL;

    while (first < argc && strncmp(argv[first], "--", 2) == 0) {
        if (STREQ(argv[first], "--seconds") && first + 1 < argc) {
            seconds = strtod(argv[first + 1], NULL);
        } else if (STREQ(argv[first], "--rounds") && first + 1 < argc) {
            unsigned long long r;
            if (parse_ull(argv[first + 1], &r) < 0 || r < 1 || r > 1000)
                die("bad --rounds", argv[first + 1]);
            rounds = (int)r;
        } else {
            die("unknown option", argv[first]);
        }
        first += 2;
    }
    if (first >= argc || seconds <= 0) {
        fprintf(stderr, "usage: edit-throughput [--seconds S] [--rounds R] FILE...\n");
        return 2;
    }
    docs = xcalloc((size_t)(argc - first), sizeof(*docs));
    for (int i = first; i < argc; i++, n++) {
        docs[n].path = argv[i];
        if (vpmu_read_file(argv[i], VPMU_DOMXML_MAX_BYTES, &docs[n].buf, &docs[n].len, &err) < 0)
            die(vpmu_error_get_message(err), argv[i]);
    }
    xmlInitParser();
    /* Warm both paths (page faults, libxml2's lazy initialisation) before timing. */
    for (size_t i = 0; i < n; i++) {
        edit_vpmu(&docs[i]);
        edit_floor(&docs[i]);
    }
    for (int r = 0; r < rounds; r++) {
        if (r % 2 == 0) {
            run("vpmu", edit_vpmu, docs, n, seconds, r);
            run("floor", edit_floor, docs, n, seconds, r);
        } else {
            run("floor", edit_floor, docs, n, seconds, r);
            run("vpmu", edit_vpmu, docs, n, seconds, r);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(docs[i].buf);
    free(docs);
    return 0;
}

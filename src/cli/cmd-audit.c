/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vpmu audit: the vPMU state of every domain on one or more connections, as a
 * text table, JSON or the Prometheus text exposition format (for
 * node_exporter's textfile collector).  Output is streamed: each domain is
 * printed as the library reports it, and only the per-connection summaries
 * (one per URI) and the list of skipped domains are kept until the end.
 *
 * Exit status (docs/audit.md, vpmu(1)):
 *   0  every connection and every domain was audited; no --fail-if match
 *   1  nothing could be audited (no connection opened), or output failed
 *   2  usage error
 *   5  something was skipped (a connection or a domain); the rest is reported
 *   6  --fail-if matched at least one domain (nothing skipped)
 *   7  both 5 and 6
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cloud-cli.h"
#include "virtload.h"
#include "vpmu/explain.h"

enum {
    AUDIT_EXIT_SKIPPED = 5,
    AUDIT_EXIT_MATCHED = 6,
    AUDIT_EXIT_BOTH = 7,
};

/* Skipped domains kept for the JSON "skipped" list; beyond this only the count grows. */
#define MAX_SKIPPED_LISTED 1000

enum {
    OPT_FAIL_IF = CLI_OPT_COMMAND_BASE,
    OPT_HOST_ROOT,
    OPT_NO_HOST_PROBE,
    OPT_TEXTFILE,
    OPT_CLOUD,
};

static void
help(void)
{
    printf("Usage: vpmu audit [-c URI]... [-j N] [--timeout SECONDS] [--cloud]\n"
           "                  [--fail-if on|off|unset|drift]... [--textfile PATH]\n"
           "\n"
           "List every domain (running and defined) on one or more libvirt connections\n"
           "with its vPMU setting (on, off or unset in its XML), arch, virt type, CPU\n"
           "mode and model, Nova instance and flavor names, and the effective state\n"
           "explain's rules give, and the setting pending until the next cold start\n"
           "when the persistent definition differs.  Connections are audited in\n"
           "parallel; rows come by connection (in -c order), then by name.\n"
           "\n"
           "Options:\n"
           "  -c, --connect URI      a connection to audit (repeatable; when none is given,\n"
           "                         the global -c, else libvirt's default connection)\n"
           "  -j, --jobs N           connections audited at once (default %u)\n"
           "      --timeout SECONDS  (global) the longest one connection's audit may take,\n"
           "                         opening included (1 to %u, default %u); a\n"
           "                         connection past it is reported down\n"
           "      --textfile PATH    write the Prometheus format to PATH atomically\n"
           "                         (temporary, fsync, rename), every run, with\n"
           "                         whatever was audited; nothing on stdout\n"
           "      --cloud            compare each Nova guest with what its flavor and image\n"
           "                         decide now, read from Nova and Glance (--os-cloud or\n"
           "                         OS_*): drift, in sync, unknown or not managed by Nova\n"
           "      --fail-if STATE    exit 6 when any domain's pmu is STATE: on, off or\n"
           "                         unset; or, with --cloud, 'drift' when any domain\n"
           "                         drifted (repeatable)\n"
           "      --host-root DIR    judge every connection with the host facts under DIR\n"
           "                         (default: probe / for local qemu:/// connections only)\n"
           "      --no-host-probe    never use host facts\n"
           "  -h, --help             show this help\n"
           "\n"
           "Output (global -o): text (a table), json (streamed: {\"domains\": [...],\n"
           "\"hosts\": [...], \"skipped\": [...], \"totals\": {...}}), prometheus (the\n"
           "node_exporter textfile format).\n"
           "\n"
           "Exit status: 0 all audited; 1 no connection could be audited, or output\n"
           "failed; 2 usage error; 5 a connection or domain was skipped (a timed-out\n"
           "connection too); 6 --fail-if\n"
           "matched; 7 both 5 and 6.\n",
           VPMU_AUDIT_DEFAULT_JOBS, VPMU_AUDIT_MAX_TIMEOUT, VPMU_AUDIT_DEFAULT_TIMEOUT);
}

/* A growing in-memory stream (open_memstream). */
typedef struct {
    FILE *f;
    char *data;
    size_t len;
} membuf;

static FILE *
membuf_open(membuf *m)
{
    if (!m->f) {
        m->f = open_memstream(&m->data, &m->len);
        if (!m->f)
            abort(); /* out of memory, as xmalloc() */
    }
    return m->f;
}

/* Move what @m holds to @out (skipping its first @skip bytes); @m is then empty and closed. */
static void
membuf_drain(membuf *m, FILE *out, size_t skip)
{
    if (!m->f)
        return;
    fclose(m->f);
    if (m->len > skip)
        fwrite(m->data + skip, 1, m->len - skip, out);
    free(m->data);
    *m = (membuf){0};
}

/*
 * A host summary, copied out of its event and printed at the end in -c order;
 * and the rows of a connection that is not the one being printed yet (rows
 * come in -c order, so later connections wait in memory for earlier ones).
 */
typedef struct {
    bool seen;
    vpmu_audit_host h; /* h.error is not kept: see error; h.uri and h.driver are uri and driver */
    char *uri;         /* as the event named it, or for a default that did not open, its label */
    char *driver;
    char *error;
    membuf rows;    /* rows while an earlier connection is still going */
    membuf pending; /* Prometheus: its vpmu_domain_pending_restart lines, likewise */
    size_t n_rows;  /* rows in .rows */
} host_rec;

typedef struct {
    const cli_global *g;
    FILE *out;
    bool fail_if[VPMU_PMU_LAST];
    bool fail_if_drift;
    cli_drift *drift;      /* --cloud */
    cli_drift_result dres; /* the domain in hand */
    size_t matched;
    size_t n_domains_printed;
    const char **uris;         /* NULL: libvirt's default */
    const char *default_label; /* names libvirt's default until its canonical URI is known */
    size_t n_uris;
    host_rec *hosts; /* one per URI */
    json_t *skipped; /* JSON: up to MAX_SKIPPED_LISTED skipped domains */
    int uri_width;   /* text: the URI column (only with several connections) */
    size_t cur;      /* the connection whose rows go straight out; earlier ones are done */
    size_t rows_out; /* rows written to out (JSON: whether a separator is due) */
    membuf pending;  /* Prometheus: vpmu_domain_pending_restart lines, printed after the info */
    unsigned int timeout;
    size_t pending_restart; /* domains with a pending setting */
} audit_out;

static const char *
dash(const char *s)
{
    return s && *s ? s : "-";
}

/* Prometheus label value: backslash, double quote and newline escaped (exposition format). */
static char *
prom_escape(const char *s)
{
    size_t n = 0;
    char *out, *o;

    if (!s)
        s = "";
    for (const char *p = s; *p; p++)
        n += (*p == '\\' || *p == '"' || *p == '\n') ? 2 : 1;
    out = o = xmalloc(n + 1);
    for (const char *p = s; *p; p++) {
        if (*p == '\\' || *p == '"') {
            *o++ = '\\';
            *o++ = *p;
        } else if (*p == '\n') {
            *o++ = '\\';
            *o++ = 'n';
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return out;
}

static void
print_text_header(audit_out *ao)
{
    if (ao->n_uris > 1)
        fprintf(ao->out, "%-*s ", ao->uri_width, "URI");
    fprintf(ao->out, "%-20s %-36s %-9s %-5s %-7s %-9s %-8s %-5s %-28s %s\n", "NAME", "UUID",
            "STATE", "PMU", "PENDING", "EFFECTIVE", "ARCH", "VIRT", "CPU", "NOVA");
}

static int
on_domain_text(audit_out *ao, FILE *out, const vpmu_audit_domain *d)
{
    const vpmu_domain_info *in = d->info;
    _cleanup_free_ char *name = quote_for_message(dash(in->name), 256);
    _cleanup_free_ char *cpu = NULL;
    _cleanup_free_ char *nova = NULL;

    if (in->cpu_model)
        cpu = xasprintf("%s/%s", cli_e(dash(in->cpu_mode)), cli_e(in->cpu_model));
    else
        cpu = xstrdup(cli_e(dash(in->cpu_mode)));
    if (in->nova_name || in->nova_flavor) {
        _cleanup_free_ char *nn = quote_for_message(dash(in->nova_name), 128);
        _cleanup_free_ char *nf = quote_for_message(dash(in->nova_flavor), 128);
        nova = xasprintf("%s (%s)", nn, nf);
    }
    if (ao->n_uris > 1) {
        _cleanup_free_ char *u = uri_for_message(d->uri);
        fprintf(out, "%-*s ", ao->uri_width, u);
    }
    fprintf(out, "%-20s %-36s %-9s %-5s %-7s %-9s %-8s %-5s %-28s %s\n", name, dash(in->uuid),
            d->state, vpmu_pmu_to_string(in->pmu),
            d->pending_restart ? vpmu_pmu_to_string(d->pending) : "-",
            dash(vpmu_effective_to_string(d->effective)), cli_e(dash(in->arch)),
            cli_e(dash(in->virt_type)), cpu, dash(nova));
    if (ao->drift)
        cli_drift_print_text(out, &ao->dres);
    return 0;
}

/* @sep: the row needs a separator before it (an earlier row exists or may be drained before). */
static int
on_domain_json(audit_out *ao, FILE *out, bool sep, const vpmu_audit_domain *d)
{
    const vpmu_domain_info *in = d->info;
    const char *const *reasons = vpmu_explanation_get_reasons(d->explanation, NULL);
    json_t *o = json_object();
    json_t *rs = json_array();
    _cleanup_free_ char *s = NULL;

    for (size_t i = 0; reasons && reasons[i]; i++)
        json_array_append_new(rs, json_string(reasons[i]));
    json_object_set_new(o, "uri", cli_json_string(cli_uri_masked(d->uri)));
    json_object_set_new(o, "name", cli_json_string(in->name));
    json_object_set_new(o, "uuid", cli_json_string(in->uuid));
    json_object_set_new(o, "state", cli_json_string(d->state));
    json_object_set_new(o, "pmu", json_string(vpmu_pmu_to_string(in->pmu)));
    json_object_set_new(o, "pending",
                        d->pending_restart ? json_string(vpmu_pmu_to_string(d->pending))
                                           : json_null());
    json_object_set_new(o, "pending_restart", json_boolean(d->pending_restart));
    json_object_set_new(o, "effective", cli_json_string(vpmu_effective_to_string(d->effective)));
    json_object_set_new(o, "effective_rule",
                        cli_json_string(vpmu_explanation_get_rule(d->explanation)));
    json_object_set_new(o, "effective_reasons", rs);
    json_object_set_new(o, "arch", cli_json_string(in->arch));
    json_object_set_new(o, "virt_type", cli_json_string(in->virt_type));
    json_object_set_new(o, "machine", cli_json_string(in->machine));
    json_object_set_new(o, "cpu_mode", cli_json_string(in->cpu_mode));
    json_object_set_new(o, "cpu_model", cli_json_string(in->cpu_model));
    json_object_set_new(o, "nova_name", cli_json_string(in->nova_name));
    json_object_set_new(o, "nova_flavor", cli_json_string(in->nova_flavor));
    if (ao->drift)
        json_object_set_new(o, "drift", cli_drift_json(&ao->dres, in));
    s = json_dumps(o, JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!s)
        return -1;
    /* One domain per line: the document stays valid JSON and greps well. */
    fprintf(out, "%s    %s", sep ? ",\n" : "", s);
    return 0;
}

static int
on_domain_prom(audit_out *ao, FILE *out, FILE *pending, const vpmu_audit_domain *d)
{
    const vpmu_domain_info *in = d->info;
    const char *vals[] = {
            cli_uri_masked(d->uri),
            in->name,
            in->uuid,
            d->state,
            vpmu_pmu_to_string(in->pmu),
            vpmu_effective_to_string(d->effective),
            vpmu_explanation_get_rule(d->explanation),
            in->arch,
            in->virt_type,
            in->cpu_mode,
            in->cpu_model,
            in->nova_name,
            in->nova_flavor,
    };
    static const char *const keys[] = {
            "uri",  "name",      "uuid",     "state",     "pmu",       "effective",   "rule",
            "arch", "virt_type", "cpu_mode", "cpu_model", "nova_name", "nova_flavor",
    };
    static_assert(ELEMENTSOF(vals) == ELEMENTSOF(keys), "one value per label");

    fputs("vpmu_domain_info{", out);
    for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
        _cleanup_free_ char *v = prom_escape(vals[i]);
        fprintf(out, "%s%s=\"%s\"", i ? "," : "", keys[i], v);
    }
    fputs("} 1\n", out);

    /* Every domain, 0 or 1, so that "== 1" and "== 0" both select. */
    _cleanup_free_ char *u = prom_escape(cli_uri_masked(d->uri));
    _cleanup_free_ char *n = prom_escape(in->name);
    _cleanup_free_ char *id = prom_escape(in->uuid);
    fprintf(pending,
            "vpmu_domain_pending_restart{uri=\"%s\",name=\"%s\",uuid=\"%s\",pmu=\"%s\","
            "pending=\"%s\"} %d\n",
            u, n, id, vpmu_pmu_to_string(in->pmu),
            d->pending_restart ? vpmu_pmu_to_string(d->pending) : "", d->pending_restart ? 1 : 0);
    if (ao->drift)
        cli_drift_prom_add(ao->drift, d->uri, in, &ao->dres);
    return 0;
}

static void
on_skipped(audit_out *ao, const vpmu_audit_event *ev)
{
    cli_warn(ao->g, "skipped: %s", vpmu_error_get_message(ev->error));
    if (ao->skipped && json_array_size(ao->skipped) < MAX_SKIPPED_LISTED)
        json_array_append_new(
                ao->skipped,
                json_pack("{s:o, s:o, s:o, s:o}", "uri", cli_json_string(cli_uri_masked(ev->uri)),
                          "name", cli_json_string(ev->name), "uuid", cli_json_string(ev->uuid),
                          "reason", cli_json_string(vpmu_error_get_message(ev->error))));
}

/* Connection @i is now printed directly: what it held in memory goes out first. */
static void
make_current(audit_out *ao, size_t i)
{
    host_rec *r = &ao->hosts[i];

    /* JSON rows in memory start with a separator; the document's first row has none. */
    membuf_drain(&r->rows, ao->out,
                 ao->g->output == CLI_OUTPUT_JSON && ao->rows_out == 0 && r->n_rows ? 2 : 0);
    ao->rows_out += r->n_rows;
    r->n_rows = 0;
    if (r->pending.f)
        membuf_drain(&r->pending, membuf_open(&ao->pending), 0);
}

static void
on_host(audit_out *ao, size_t i, const vpmu_audit_host *h)
{
    const char *err = h->error ? vpmu_error_get_message(h->error) : NULL;

    if (err)
        cli_warn(ao->g, "%s%s", err,
                 h->reachable ? "; the rest of its domains were skipped" : "; skipped");
    if (i < ao->n_uris && !ao->hosts[i].seen) {
        host_rec *r = &ao->hosts[i];
        r->seen = true;
        r->h = *h;
        r->h.error = NULL;
        /* Copies: a default's canonical URI is the library's, borrowed for the event only. */
        r->uri = xstrdup(h->uri ? h->uri : ao->default_label);
        r->driver = h->driver ? xstrdup(h->driver) : NULL;
        r->error = err ? xstrdup(err) : NULL;
        r->h.uri = r->uri;
        r->h.driver = r->driver;
    }
    /* Rows in -c order: once the current connection is done, the next one's rows follow. */
    while (ao->cur < ao->n_uris && ao->hosts[ao->cur].seen) {
        ao->cur++;
        if (ao->cur < ao->n_uris)
            make_current(ao, ao->cur);
    }
}

static int
on_event(const vpmu_audit_event *ev, void *opaque)
{
    audit_out *ao = opaque;
    int r = 0;

    switch (ev->kind) {
    case VPMU_AUDIT_EVENT_DOMAIN: {
        const vpmu_audit_domain *d = ev->domain;
        size_t i = ev->index;
        bool direct = i == ao->cur;
        host_rec *hr = i < ao->n_uris ? &ao->hosts[i] : NULL;
        FILE *out = direct || !hr ? ao->out : membuf_open(&hr->rows);
        FILE *pend = direct || !hr ? membuf_open(&ao->pending) : membuf_open(&hr->pending);

        if (ao->drift)
            cli_drift_domain(ao->drift, d->info, &ao->dres);
        if (((unsigned)d->info->pmu < VPMU_PMU_LAST && ao->fail_if[d->info->pmu]) ||
            (ao->drift && ao->fail_if_drift && ao->dres.drift.state == VPMU_DRIFT_DRIFT))
            ao->matched++;
        ao->pending_restart += d->pending_restart;
        if (ao->g->output == CLI_OUTPUT_JSON)
            r = on_domain_json(ao, out, !direct || ao->rows_out > 0, d);
        else if (ao->g->output == CLI_OUTPUT_PROMETHEUS)
            r = on_domain_prom(ao, out, pend, d);
        else
            r = on_domain_text(ao, out, d);
        if (direct || !hr)
            ao->rows_out++;
        else
            hr->n_rows++;
        ao->n_domains_printed++;
        if (ao->drift)
            cli_drift_result_clear(&ao->dres);
        break;
    }
    case VPMU_AUDIT_EVENT_SKIPPED:
        on_skipped(ao, ev);
        break;
    case VPMU_AUDIT_EVENT_HOST:
        on_host(ao, ev->index, ev->host);
        break;
    }
    /* A closed or full stdout stops the audit instead of working for nobody. */
    if (r < 0 || ferror(ao->out))
        return -1;
    return 0;
}

static json_t *
host_json(const host_rec *r)
{
    const vpmu_audit_host *h = &r->h;
    json_t *eff = json_object();

    for (int e = 0; e < VPMU_EFFECTIVE_LAST; e++)
        json_object_set_new(eff, vpmu_effective_to_string((vpmu_effective)e),
                            json_integer((json_int_t)h->effective[e]));
    return json_pack("{s:o, s:b, s:b, s:b, s:o, s:o, s:b, s:I, s:I, s:{s:I, s:I, s:I}, s:o, s:I, "
                     "s:f, s:o}",
                     "uri", cli_json_string(cli_uri_masked(h->uri)), "reachable", h->reachable,
                     "up", h->up, "timed_out", h->timed_out, "driver", cli_json_string(r->driver),
                     "hypervisor_version",
                     h->hv_version ? json_integer((json_int_t)h->hv_version) : json_null(),
                     "host_probed", h->host_probed, "domains", (json_int_t)h->domains, "skipped",
                     (json_int_t)h->skipped, "pmu", "on", (json_int_t)h->pmu[VPMU_PMU_ON], "off",
                     (json_int_t)h->pmu[VPMU_PMU_OFF], "unset", (json_int_t)h->pmu[VPMU_PMU_UNSET],
                     "effective", eff, "pending_restart", (json_int_t)h->pending_restart, "seconds",
                     h->seconds, "error", cli_json_string(r->error));
}

/* "  KEY: [" then one compact value per line, like the domains. */
static void
print_json_lines(FILE *out, const char *key, json_t *array)
{
    size_t i;
    json_t *v;

    fprintf(out, "  \"%s\": [", key);
    json_array_foreach(array, i, v)
    {
        _cleanup_free_ char *s = json_dumps(v, JSON_PRESERVE_ORDER);
        fprintf(out, "%s\n    %s", i ? "," : "", s ? s : "null");
    }
    fprintf(out, "%s],\n", json_array_size(array) ? "\n  " : "");
}

static void
print_tail_json(audit_out *ao, const vpmu_audit_totals *t)
{
    json_t *hosts = json_array();
    json_t *tj = json_pack(
            "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "hosts", (json_int_t)t->hosts,
            "hosts_unreachable", (json_int_t)t->hosts_unreachable, "hosts_dropped",
            (json_int_t)t->hosts_dropped, "hosts_timed_out", (json_int_t)t->hosts_timed_out,
            "domains", (json_int_t)t->domains, "skipped", (json_int_t)t->skipped, "pending_restart",
            (json_int_t)ao->pending_restart, "fail_if_matched", (json_int_t)ao->matched);
    _cleanup_free_ char *totals = NULL;

    if (ao->drift)
        json_object_set_new(tj, "drift", cli_drift_totals_json(ao->drift));
    totals = json_dumps(tj, JSON_PRESERVE_ORDER);

    json_decref(tj);
    for (size_t i = 0; i < ao->n_uris; i++)
        if (ao->hosts[i].seen)
            json_array_append_new(hosts, host_json(&ao->hosts[i]));
    fprintf(ao->out, "%s  ],\n", ao->n_domains_printed ? "\n" : "");
    print_json_lines(ao->out, "hosts", hosts);
    print_json_lines(ao->out, "skipped", ao->skipped);
    fprintf(ao->out, "  \"totals\": %s\n}\n", totals ? totals : "{}");
    json_decref(hosts);
}

/* The per-host families of the exposition, each contiguous, hosts in -c order. */
typedef enum {
    FAM_UP,
    FAM_DOMAINS,
    FAM_EFFECTIVE,
    FAM_SKIPPED,
    FAM_PENDING,
    FAM_SECONDS,
    FAM_LAST
} prom_family;

static const struct {
    const char *name;
    const char *help;
} prom_families[] = {
        [FAM_UP] = {"vpmu_host_up", "Whether vpmu audit opened the libvirt connection and audited "
                                    "it to the end within its timeout."},
        [FAM_DOMAINS] = {"vpmu_host_domains",
                         "Domains audited on the connection, by the pmu setting in their XML."},
        [FAM_EFFECTIVE] = {"vpmu_host_domains_effective",
                           "Domains audited on the connection, by the effective vPMU state."},
        [FAM_SKIPPED] = {"vpmu_host_skipped_domains",
                         "Domains listed but not audited: they disappeared or could not be read."},
        [FAM_PENDING] = {"vpmu_host_domains_pending_restart",
                         "Running domains whose persistent definition has another pmu setting."},
        [FAM_SECONDS] = {"vpmu_host_audit_duration_seconds",
                         "Wall time of the audit of the connection."},
};
static_assert(ELEMENTSOF(prom_families) == FAM_LAST, "one entry per family");

static void
print_prom_family(audit_out *ao, prom_family f, const char *u, const vpmu_audit_host *h)
{
    const char *name = prom_families[f].name;

    switch (f) {
    case FAM_UP:
        fprintf(ao->out, "%s{uri=\"%s\"} %d\n", name, u, h->up ? 1 : 0);
        break;
    case FAM_DOMAINS:
        for (int p = 0; p < VPMU_PMU_LAST; p++)
            fprintf(ao->out, "%s{uri=\"%s\",pmu=\"%s\"} %zu\n", name, u,
                    vpmu_pmu_to_string((vpmu_pmu)p), h->pmu[p]);
        break;
    case FAM_EFFECTIVE:
        for (int e = 0; e < VPMU_EFFECTIVE_LAST; e++)
            fprintf(ao->out, "%s{uri=\"%s\",effective=\"%s\"} %zu\n", name, u,
                    vpmu_effective_to_string((vpmu_effective)e), h->effective[e]);
        break;
    case FAM_SKIPPED:
        fprintf(ao->out, "%s{uri=\"%s\"} %zu\n", name, u, h->skipped);
        break;
    case FAM_PENDING:
        fprintf(ao->out, "%s{uri=\"%s\"} %zu\n", name, u, h->pending_restart);
        break;
    default:
        fprintf(ao->out, "%s{uri=\"%s\"} %.6f\n", name, u, h->seconds);
        break;
    }
}

static void
print_tail_prom(audit_out *ao)
{
    fputs("# HELP vpmu_domain_pending_restart 1 when the domain runs and its persistent "
          "definition has another pmu setting (label pending), which applies at its next cold "
          "start; else 0.\n# TYPE vpmu_domain_pending_restart gauge\n",
          ao->out);
    membuf_drain(&ao->pending, ao->out, 0);
    for (int f = 0; f < FAM_LAST; f++) {
        fprintf(ao->out, "# HELP %s %s\n# TYPE %s gauge\n", prom_families[f].name,
                prom_families[f].help, prom_families[f].name);
        for (size_t i = 0; i < ao->n_uris; i++) {
            if (!ao->hosts[i].seen)
                continue;
            _cleanup_free_ char *u = prom_escape(cli_uri_masked(ao->hosts[i].h.uri));
            print_prom_family(ao, (prom_family)f, u, &ao->hosts[i].h);
        }
    }
    if (ao->drift)
        cli_drift_print_tail_prom(ao->out, ao->drift);
}

static void
print_tail_text(audit_out *ao)
{
    fputc('\n', ao->out);
    for (size_t i = 0; i < ao->n_uris; i++) {
        const vpmu_audit_host *h = &ao->hosts[i].h;
        if (!ao->hosts[i].seen)
            continue;
        _cleanup_free_ char *u = uri_for_message(h->uri);
        if (!h->reachable) {
            if (h->timed_out)
                fprintf(ao->out, "%s: down, no answer within %u s, skipped\n", u, ao->timeout);
            else
                fprintf(ao->out, "%s: unreachable, skipped\n", u);
            continue;
        }
        fprintf(ao->out,
                "%s: %sdomains %zu (pmu on %zu, off %zu, unset %zu; pending restart %zu), skipped "
                "%zu, %.2f s\n",
                u, h->timed_out ? "down, timed out; " : "", h->domains, h->pmu[VPMU_PMU_ON],
                h->pmu[VPMU_PMU_OFF], h->pmu[VPMU_PMU_UNSET], h->pending_restart, h->skipped,
                h->seconds);
    }
    if (ao->drift)
        cli_drift_print_tail_text(ao->out, ao->drift);
}

static void
print_tail(audit_out *ao, const vpmu_audit_totals *t)
{
    switch (ao->g->output) {
    case CLI_OUTPUT_JSON:
        print_tail_json(ao, t);
        break;
    case CLI_OUTPUT_PROMETHEUS:
        print_tail_prom(ao);
        break;
    default:
        print_tail_text(ao);
        break;
    }
}

static void
print_head(audit_out *ao)
{
    switch (ao->g->output) {
    case CLI_OUTPUT_JSON:
        fputs("{\n  \"domains\": [\n", ao->out);
        break;
    case CLI_OUTPUT_PROMETHEUS:
        fputs("# HELP vpmu_domain_info A libvirt domain and its vPMU state, in the labels: pmu is "
              "the setting in its XML (on, off, unset), effective what the guest gets. Always "
              "1.\n# TYPE vpmu_domain_info gauge\n",
              ao->out);
        break;
    default:
        print_text_header(ao);
        break;
    }
}

static void
audit_out_clear(audit_out *ao)
{
    for (size_t i = 0; ao->hosts && i < ao->n_uris; i++) {
        free(ao->hosts[i].uri);
        free(ao->hosts[i].driver);
        free(ao->hosts[i].error);
        membuf_drain(&ao->hosts[i].rows, NULL, SIZE_MAX);
        membuf_drain(&ao->hosts[i].pending, NULL, SIZE_MAX);
    }
    membuf_drain(&ao->pending, NULL, SIZE_MAX);
    free(ao->hosts);
    json_decref(ao->skipped);
}

/*
 * A URI given twice is audited once (its series would clash in the
 * exposition).  Two that differ only in their password would be shown alike
 * (the password masked) and clash the same way: -1.
 */
static int
add_uri(const char **uris, size_t *n, const char *uri)
{
    _cleanup_free_ char *shown = uri_without_password(uri);

    for (size_t i = 0; i < *n; i++) {
        _cleanup_free_ char *other = uri_without_password(uris[i]);
        if (STREQ_NULLABLE(uris[i], uri))
            return 0;
        if (STREQ_NULLABLE(other, shown))
            return -1;
    }
    uris[(*n)++] = uri;
    return 0;
}

int
cmd_audit(cli_global *g, int argc, char **argv)
{
    static const struct option longopts[] = {
            {"connect", required_argument, NULL, 'c'},
            {"jobs", required_argument, NULL, 'j'},
            {"fail-if", required_argument, NULL, OPT_FAIL_IF},
            {"host-root", required_argument, NULL, OPT_HOST_ROOT},
            {"no-host-probe", no_argument, NULL, OPT_NO_HOST_PROBE},
            {"textfile", required_argument, NULL, OPT_TEXTFILE},
            {"cloud", no_argument, NULL, OPT_CLOUD},
            {NULL, 0, NULL, 0},
    };
    _cleanup_(cli_parser_clear) cli_parser ps = {.g = g,
                                                 .cmd = "audit",
                                                 .help = help,
                                                 .options = longopts,
                                                 .shortopts = "c:j:",
                                                 .prometheus_ok = true};
    _cleanup_(audit_out_clear) audit_out ao = {.g = g, .out = stdout};
    _cleanup_free_ const char **uris = NULL;
    vpmu_audit_options opts = {0};
    vpmu_audit_totals totals = {0};
    _cleanup_(cli_drift_close) cli_drift drift = {0};
    bool cloud = false;
    vpmu_error *err = NULL;
    size_t n = 0;
    unsigned long long jobs;
    const char *textfile = NULL;
    membuf file = {0};
    int c, r, pmu;

    /* The global -c comes first; every -c after the command name adds one. */
    uris = xcalloc((size_t)argc + 2, sizeof(*uris));
    if (g->uri)
        (void)add_uri(uris, &n, g->uri); /* the first: nothing to clash with */
    while ((c = cli_next_option(&ps, argc, argv)) > 0) {
        switch (c) {
        case 'c':
            if (!*optarg)
                return cli_usage("audit", "-c needs a URI");
            if (add_uri(uris, &n, optarg) < 0)
                return cli_usage("audit",
                                 "-c '%s' is given twice with different passwords; give it once",
                                 cli_e_uri(optarg));
            break;
        case 'j':
            if (parse_ull(optarg, &jobs) < 0 || jobs < 1 || jobs > 1024)
                return cli_usage("audit", "invalid --jobs '%s'; use 1 to 1024", cli_e(optarg));
            opts.jobs = (unsigned)jobs;
            break;
        case OPT_FAIL_IF:
            if (STREQ(optarg, "drift")) {
                ao.fail_if_drift = true;
                break;
            }
            pmu = vpmu_pmu_from_string(optarg);
            if (pmu < 0)
                return cli_usage("audit", "invalid --fail-if '%s'; use on, off, unset or drift",
                                 cli_e(optarg));
            ao.fail_if[pmu] = true;
            break;
        case OPT_CLOUD:
            cloud = true;
            break;
        case OPT_HOST_ROOT:
            opts.host_root = optarg;
            opts.probe = VPMU_AUDIT_PROBE_ALWAYS;
            break;
        case OPT_NO_HOST_PROBE:
            opts.probe = VPMU_AUDIT_PROBE_NEVER;
            break;
        case OPT_TEXTFILE:
            if (!*optarg)
                return cli_usage("audit", "--textfile needs a file name");
            textfile = optarg;
            break;
        }
    }
    if (c == CLI_OPTS_EXIT)
        return ps.status;
    if (opts.host_root && opts.probe == VPMU_AUDIT_PROBE_NEVER)
        return cli_usage("audit", "--host-root and --no-host-probe exclude each other");
    if (ao.fail_if_drift && !cloud)
        return cli_usage("audit", "--fail-if drift needs --cloud");
    if (textfile && g->output_set && g->output != CLI_OUTPUT_PROMETHEUS)
        return cli_usage("audit", "--textfile writes the Prometheus format; leave out -o or use "
                                  "-o prometheus");
    /* The global --timeout (before or after the command name), audit's deadline per host. */
    opts.timeout = g->timeout ? g->timeout : VPMU_AUDIT_DEFAULT_TIMEOUT;
    ao.timeout = opts.timeout;
    /*
     * None given: libvirt's own default, which the library opens under the
     * same deadline as any other and names by its canonical URI in the rows.
     * Until it is open it is named as $LIBVIRT_DEFAULT_URI names it, if set.
     */
    if (n == 0)
        uris[n++] = NULL;
    ao.default_label = cli_uri_named(g) ? cli_uri_named(g) : "(libvirt's default)";
    ao.n_uris = n;
    for (size_t i = 0; i < n; i++) {
        /* As the rows show it: masked and quoted, at most 200 bytes and "...". */
        _cleanup_free_ char *shown = uri_for_message(uris[i] ? uris[i] : ao.default_label);
        if (strlen(shown) > (size_t)ao.uri_width)
            ao.uri_width = (int)strlen(shown);
    }

    if (cli_virt_load(&err) < 0)
        return cli_fail(err);
    /* libvirt's event loop, for keepalive; without it the deadline alone bounds each host. */
    cli_virt_event_loop(g);
    /* The session first: a cloud that cannot be reached fails before any output. */
    if (cloud) {
        if (cli_drift_open(&drift, g->os_cloud, &err) < 0)
            return cli_fail(err);
        ao.drift = &drift;
    }
    if (textfile) {
        /* The whole exposition in memory, then one atomic replacement of the file. */
        g->output = CLI_OUTPUT_PROMETHEUS;
        ao.out = membuf_open(&file);
    }
    ao.uris = uris;
    ao.hosts = xcalloc(n, sizeof(*ao.hosts));
    if (g->output == CLI_OUTPUT_JSON)
        ao.skipped = json_array();

    print_head(&ao);
    r = VIRT(vpmu_audit_run)(uris, n, &opts, on_event, &ao, &totals, &err);
    if (r < 0) {
        if (ferror(ao.out)) {
            vpmu_error_free(err);
            fprintf(stderr, "vpmu: cannot write to standard output\n");
            return CLI_EXIT_RUNTIME;
        }
        return cli_fail(err);
    }
    print_tail(&ao, &totals);
    if (textfile) {
        int bad = fflush(file.f) != 0 || ferror(file.f);
        /* Closing a memory stream finalizes data/len. */
        fclose(file.f);
        file.f = NULL;
        if (bad) {
            free(file.data);
            fprintf(stderr, "vpmu: cannot build the Prometheus text for '%s'\n", cli_e(textfile));
            return CLI_EXIT_RUNTIME;
        }
        r = vpmu_write_file_atomic(textfile, file.data, file.len, &err);
        free(file.data);
        if (r < 0)
            return cli_fail(err);
    } else if (fflush(ao.out) != 0 || ferror(ao.out)) {
        fprintf(stderr, "vpmu: cannot write to standard output: %s\n", strerror(errno));
        return CLI_EXIT_RUNTIME;
    }

    if (totals.hosts_unreachable == totals.hosts)
        return CLI_EXIT_RUNTIME;
    /* A flavor or image that could not be asked for leaves its guests unjudged: a skip. */
    bool skipped = totals.skipped || totals.hosts_unreachable || totals.hosts_dropped ||
                   totals.hosts_timed_out || (ao.drift && ao.drift->failed);
    if (skipped && ao.matched)
        return AUDIT_EXIT_BOTH;
    if (ao.matched)
        return AUDIT_EXIT_MATCHED;
    if (skipped)
        return AUDIT_EXIT_SKIPPED;
    return CLI_EXIT_OK;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * audit: every domain on one or more libvirt connections, streamed.
 *
 * Threads: one worker per connection, at most opts->jobs at once.  libvirt is
 * thread-safe, and each worker opens its own connection, so workers share
 * nothing libvirt-side.  They share the run context below, whose mutex
 * guards the work index, the totals, the lazily probed host and every call
 * of the caller's callback (so the callback needs no locking of its own).
 *
 * libvirt: only through its adapter (virt.c, virt-priv.h), which owns
 * libvirt's init, error silencing and last-error handling.
 *
 * Memory: the list (vpmu_conn_list_domains()) holds handles only (name, UUID,
 * id; no XML) and each domain's state.  For each domain the XML is fetched, parsed,
 * reported and freed, and the handle is freed, before the next; so the audit
 * holds one XML at a time per connection whatever the number of domains.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "util.h"
#include "virt-priv.h"
#include "vpmu/audit.h"
#include "vpmu/domxml.h"
#include "vpmu/explain.h"
#include "vpmu/hostcaps.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(vpmu_dom *, vpmu_dom_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(vpmu_conn *, vpmu_conn_close)

static double
now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool
vpmu_audit_uri_is_local(const char *uri)
{
    const char *sep, *auth, *plus;
    size_t driver_len;

    if (!uri)
        return false;
    sep = strstr(uri, "://");
    if (!sep)
        return false;
    /* driver[+transport]://[host]/path */
    plus = memchr(uri, '+', (size_t)(sep - uri));
    driver_len = (size_t)((plus ? plus : sep) - uri);
    if (driver_len != 4 || strncmp(uri, "qemu", 4) != 0)
        return false;
    if (plus && strncmp(plus, "+unix://", 8) != 0)
        return false;
    auth = sep + 3;
    return *auth == '/' || *auth == '\0' || *auth == '?';
}

typedef struct {
    const char *const *uris;
    size_t n_uris;
    vpmu_audit_options opts;
    vpmu_audit_cb cb;
    void *opaque;

    pthread_mutex_t lock; /* everything below, and every callback call */
    size_t next;          /* next URI to audit */
    vpmu_audit_totals totals;
    bool probe_done;
    vpmu_hostcaps *host; /* lazily probed; NULL when the probe failed */
    atomic_bool stopped; /* the callback asked to stop */
} audit_run;

/* Deliver one event, serialized; false when the audit must stop. */
static bool
deliver(audit_run *run, const vpmu_audit_event *ev)
{
    int r;

    if (atomic_load(&run->stopped))
        return false;
    pthread_mutex_lock(&run->lock);
    r = atomic_load(&run->stopped) ? -1 : run->cb(ev, run->opaque);
    if (r < 0)
        atomic_store(&run->stopped, true);
    pthread_mutex_unlock(&run->lock);
    return r >= 0;
}

/* The host probe, once per run, under the lock.  Borrowed; NULL when unavailable. */
static const vpmu_hostcaps *
run_host(audit_run *run)
{
    const vpmu_hostcaps *h;

    pthread_mutex_lock(&run->lock);
    if (!run->probe_done) {
        /* A root that cannot be read leaves the host unknown, as for a remote one. */
        run->host = vpmu_hostcaps_probe(run->opts.host_root, NULL);
        run->probe_done = true;
    }
    h = run->host;
    pthread_mutex_unlock(&run->lock);
    return h;
}

/* Per-connection facts that explain's rules take besides the domain. */
typedef struct {
    const vpmu_hostcaps *host;  /* NULL: no host facts */
    unsigned long qemu_version; /* 0: unknown */
} host_facts;

typedef enum {
    DOM_REPORTED,
    DOM_SKIPPED,
    DOM_CONN_LOST,
} dom_result;

/* Report one skipped domain. */
static void
skip(audit_run *run, const char *uri, const char *name, const char *uuid, vpmu_error *err,
     vpmu_audit_host *hs)
{
    vpmu_audit_event ev = {
            .kind = VPMU_AUDIT_EVENT_SKIPPED, .uri = uri, .name = name, .uuid = uuid, .error = err};
    hs->skipped++;
    deliver(run, &ev);
    vpmu_error_free(err);
}

/* Fetch, parse, report, free one domain. */
static dom_result
audit_domain(audit_run *run, vpmu_conn *conn, vpmu_dom *dom, const char *uri, const host_facts *hf,
             vpmu_audit_host *hs, char **lost_why)
{
    _cleanup_free_ char *xml = NULL;
    _cleanup_(vpmu_domxml_freep) vpmu_domxml *doc = NULL;
    vpmu_error *err = NULL;
    vpmu_domain_info info = {0};
    const char *name = vpmu_dom_get_name(dom);
    const char *uuid = vpmu_dom_get_uuid(dom);
    const char *state;

    if (!(state = vpmu_dom_get_state(dom)) || !(xml = vpmu_dom_get_xml(dom, false))) {
        _cleanup_free_ char *why = NULL;
        switch (vpmu_virt_last_fault(conn, &why)) {
        case VPMU_VIRT_FAULT_NO_DOMAIN:
            vpmu_error_set(&err, VPMU_ERR_RUNTIME,
                           "domain '%s' on '%s' disappeared during the audit", name, uri);
            break;
        case VPMU_VIRT_FAULT_CONN_LOST:
            *lost_why = TAKE_PTR(why);
            return DOM_CONN_LOST;
        default:
            vpmu_error_set(&err, VPMU_ERR_RUNTIME, "cannot read domain '%s' on '%s': %s", name, uri,
                           why);
            break;
        }
        skip(run, uri, name, uuid, err, hs);
        return DOM_SKIPPED;
    }

    doc = vpmu_domxml_parse(xml, strlen(xml), name, &err);
    free(TAKE_PTR(xml)); /* the tree is all we need from here */
    if (!doc || vpmu_domxml_get_info(doc, &info, &err) < 0) {
        vpmu_error_prefix(&err, "domain '%s' on '%s'", name, uri);
        skip(run, uri, name, uuid, err, hs);
        vpmu_domain_info_clear(&info);
        return DOM_SKIPPED;
    }
    vpmu_domxml_free(TAKE_PTR(doc));
    /* The handle knows the name and UUID even when the XML is odd. */
    if (!info.name)
        info.name = xstrdup(name);
    if (!info.uuid && uuid)
        info.uuid = xstrdup(uuid);

    /* The setting in the XML plays the decision's part: it is what libvirt was told. */
    vpmu_explain_input in = {
            .decision = info.pmu,
            .arch = info.arch,
            .virt_type = info.virt_type,
            .cpu_mode = info.cpu_mode,
            .cpu_model = info.cpu_model,
            .host = hf->host,
            .qemu_version = hf->qemu_version,
    };
    _cleanup_(vpmu_explanation_freep) vpmu_explanation *ex = vpmu_explain(&in);
    vpmu_audit_domain d = {
            .uri = uri,
            .state = state,
            .info = &info,
            .effective = vpmu_explanation_get_state(ex),
            .explanation = ex,
    };
    vpmu_audit_event ev = {.kind = VPMU_AUDIT_EVENT_DOMAIN, .uri = uri, .domain = &d};

    hs->domains++;
    if ((unsigned)info.pmu < VPMU_PMU_LAST)
        hs->pmu[info.pmu]++;
    if ((unsigned)d.effective < VPMU_EFFECTIVE_LAST)
        hs->effective[d.effective]++;
    deliver(run, &ev);
    vpmu_domain_info_clear(&info);
    return DOM_REPORTED;
}

static bool
want_probe(const audit_run *run, const char *uri)
{
    switch (run->opts.probe) {
    case VPMU_AUDIT_PROBE_ALWAYS:
        return true;
    case VPMU_AUDIT_PROBE_NEVER:
        return false;
    default:
        return vpmu_audit_uri_is_local(uri);
    }
}

static void
audit_host(audit_run *run, const char *uri)
{
    _cleanup_(vpmu_conn_closep) vpmu_conn *conn = NULL;
    vpmu_dom **doms = NULL;
    vpmu_error *herr = NULL;
    vpmu_audit_host hs = {.uri = uri};
    host_facts hf = {0};
    double t0 = now_seconds();
    int n;
    bool dropped = false;

    conn = vpmu_conn_open_read_only(uri, &herr);
    if (!conn)
        goto done;
    hs.reachable = true;
    hs.driver = vpmu_conn_get_driver(conn);
    /* Only the QEMU driver's version is a QEMU version (the test driver says 0.0.2). */
    if (STREQ(hs.driver, "QEMU"))
        hs.hv_version = vpmu_conn_get_hv_version(conn);
    hf.qemu_version = hs.hv_version;
    if (want_probe(run, uri)) {
        hf.host = run_host(run);
        hs.host_probed = hf.host != NULL;
    }

    n = vpmu_conn_list_domains(conn, !run->opts.per_domain_state, &doms);
    if (n < 0) {
        vpmu_error_set(&herr, VPMU_ERR_RUNTIME, "cannot list the domains of '%s': %s", uri,
                       vpmu_virt_last_error());
        dropped = true;
        goto done;
    }
    for (int i = 0; i < n; i++) {
        _cleanup_(vpmu_dom_freep) vpmu_dom *dom = TAKE_PTR(doms[i]);
        _cleanup_free_ char *why = NULL;

        if (dropped || atomic_load(&run->stopped)) {
            hs.skipped += dropped;
            continue;
        }
        if (audit_domain(run, conn, dom, uri, &hf, &hs, &why) == DOM_CONN_LOST) {
            vpmu_error_set(&herr, VPMU_ERR_RUNTIME,
                           "lost the connection to '%s' after %zu of %d domains: %s", uri,
                           hs.domains + hs.skipped, n, why);
            dropped = true;
            hs.skipped++;
        }
    }
    free(doms);

done:
    hs.seconds = now_seconds() - t0;
    hs.error = herr;
    pthread_mutex_lock(&run->lock);
    run->totals.hosts++;
    run->totals.hosts_unreachable += !hs.reachable;
    run->totals.hosts_dropped += hs.reachable && dropped;
    run->totals.domains += hs.domains;
    run->totals.skipped += hs.skipped;
    pthread_mutex_unlock(&run->lock);
    vpmu_audit_event ev = {.kind = VPMU_AUDIT_EVENT_HOST, .uri = uri, .host = &hs};
    deliver(run, &ev);
    vpmu_error_free(herr);
    /* hs.driver is the connection's: it is closed (cleanup) only after the event. */
}

static void *
worker(void *arg)
{
    audit_run *run = arg;

    for (;;) {
        size_t i;

        pthread_mutex_lock(&run->lock);
        i = run->next++;
        pthread_mutex_unlock(&run->lock);
        if (i >= run->n_uris || atomic_load(&run->stopped))
            break;
        audit_host(run, run->uris[i]);
    }
    return NULL;
}

int
vpmu_audit_run(const char *const *uris, size_t n_uris, const vpmu_audit_options *opts,
               vpmu_audit_cb cb, void *opaque, vpmu_audit_totals *totals, vpmu_error **error)
{
    audit_run run = {.uris = uris, .n_uris = n_uris, .cb = cb, .opaque = opaque};
    _cleanup_free_ pthread_t *threads = NULL;
    size_t n_threads, started = 0;
    int ret = 0;

    if (totals)
        memset(totals, 0, sizeof(*totals));
    if (!uris || n_uris == 0 || !cb) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "an audit needs at least one connection URI");
        return -1;
    }
    for (size_t i = 0; i < n_uris; i++) {
        if (!uris[i] || !*uris[i]) {
            vpmu_error_set(error, VPMU_ERR_USAGE, "connection URI %zu of the audit is empty",
                           i + 1);
            return -1;
        }
    }
    if (opts)
        run.opts = *opts;
    pthread_mutex_init(&run.lock, NULL);
    atomic_init(&run.stopped, false);

    n_threads = run.opts.jobs ? run.opts.jobs : VPMU_AUDIT_DEFAULT_JOBS;
    if (n_threads > n_uris)
        n_threads = n_uris;
    if (n_threads == 1) {
        /* One connection (the common case): no thread at all. */
        worker(&run);
    } else {
        threads = xcalloc(n_threads, sizeof(*threads));
        for (; started < n_threads; started++)
            if (pthread_create(&threads[started], NULL, worker, &run) != 0)
                break;
        if (started == 0)
            worker(&run); /* no thread could start: do the work here */
        for (size_t i = 0; i < started; i++)
            pthread_join(threads[i], NULL);
    }

    if (atomic_load(&run.stopped)) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "the audit was stopped by its output");
        ret = -1;
    }
    if (totals)
        *totals = run.totals;
    vpmu_hostcaps_free(run.host);
    pthread_mutex_destroy(&run.lock);
    return ret;
}

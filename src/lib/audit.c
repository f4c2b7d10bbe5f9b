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
    const char *sep, *plus;
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
    return !uri_has_host(uri);
}

/*
 * One connection's audit.  Its worker thread owns the libvirt side; the
 * fields marked (lock) are shared with the scheduler, under run->lock.
 */
typedef struct {
    size_t index; /* in the caller's uris */
    /*
     * (lock) For events only: the caller's pointer (valid until the run
     * returns); for libvirt's default (NULL), .canon once it is open.
     */
    const char *ev_uri;
    char *uri;   /* a copy, NULL for libvirt's default (an abandoned worker outlives the run) */
    char *canon; /* (lock) libvirt's default: its canonical URI, once open */
    char *shown; /* (lock) the connection as messages name it (vpmu_conn_describe_uri()) */
    pthread_t thread;
    double deadline; /* monotonic seconds */
    double started;
    bool running;       /* (lock) a worker is on it */
    bool finished;      /* (lock) the worker is done: join it */
    bool abandoned;     /* (lock) the deadline passed: the worker delivers nothing more */
    bool opened;        /* (lock) the connection opened */
    char *driver;       /* (lock) copy of the connection's driver name */
    vpmu_audit_host hs; /* (lock) counters so far; .uri, .driver, .error set at delivery */
} audit_job;

/*
 * The run context.  Reference-counted: the caller's vpmu_audit_run() holds
 * one reference and every worker thread one, so that a worker abandoned at
 * its deadline (stuck in a libvirt call) can finish later without touching
 * freed memory.  Once the run has returned (run->returned), nothing calls
 * the callback or reads the caller's memory.
 */
typedef struct {
    size_t n_uris;
    vpmu_audit_options opts;
    char *host_root; /* copy of opts.host_root */
    vpmu_audit_cb cb;
    void *opaque;
    audit_job *jobs;
    atomic_int refs;

    pthread_mutex_t lock; /* everything below, the (lock) fields of jobs, every callback call */
    pthread_cond_t cond;  /* a job finished */
    vpmu_audit_totals totals;
    bool probe_done;
    vpmu_hostcaps *host; /* lazily probed; NULL when the probe failed */
    bool returned;       /* vpmu_audit_run() has returned */
    atomic_bool stopped; /* the callback asked to stop */
} audit_run;

static void
run_unref(audit_run *run)
{
    if (atomic_fetch_sub(&run->refs, 1) != 1)
        return;
    for (size_t i = 0; i < run->n_uris; i++) {
        free(run->jobs[i].uri);
        free(run->jobs[i].canon);
        free(run->jobs[i].shown);
        free(run->jobs[i].driver);
    }
    free(run->jobs);
    free(run->host_root);
    vpmu_hostcaps_free(run->host);
    pthread_cond_destroy(&run->cond);
    pthread_mutex_destroy(&run->lock);
    free(run);
}

/* Whether @job may still deliver: under the lock. */
static bool
job_live(const audit_run *run, const audit_job *job)
{
    return !job->abandoned && !run->returned && !atomic_load(&run->stopped);
}

/* Call the callback, under the lock; false when the audit must stop. */
static bool
deliver_locked(audit_run *run, const vpmu_audit_event *ev)
{
    if (atomic_load(&run->stopped) || run->returned)
        return false;
    if (run->cb(ev, run->opaque) < 0) {
        atomic_store(&run->stopped, true);
        return false;
    }
    return true;
}

/* The host probe, once per run, under the lock.  Borrowed; NULL when unavailable. */
static const vpmu_hostcaps *
run_host(audit_run *run)
{
    const vpmu_hostcaps *h;

    pthread_mutex_lock(&run->lock);
    if (!run->probe_done) {
        /* A root that cannot be read leaves the host unknown, as for a remote one. */
        run->host = vpmu_hostcaps_probe(run->host_root, NULL);
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
    DOM_STOP, /* abandoned or stopped: no more events for this connection */
} dom_result;

/* Report one skipped domain; takes @err. */
static dom_result
skip(audit_run *run, audit_job *job, const char *name, const char *uuid, vpmu_error *err)
{
    vpmu_audit_event ev = {.kind = VPMU_AUDIT_EVENT_SKIPPED,
                           .index = job->index,
                           .uri = job->ev_uri,
                           .name = name,
                           .uuid = uuid,
                           .error = err};
    bool live;

    pthread_mutex_lock(&run->lock);
    live = job_live(run, job);
    if (live) {
        job->hs.skipped++;
        deliver_locked(run, &ev);
    }
    pthread_mutex_unlock(&run->lock);
    vpmu_error_free(err);
    return live ? DOM_SKIPPED : DOM_STOP;
}

/* A failed libvirt call on a domain: skipped, or the connection is lost. */
static dom_result
dom_failed(audit_run *run, audit_job *job, vpmu_conn *conn, const char *name, const char *uuid,
           bool persistent, char **lost_why)
{
    _cleanup_free_ char *why = NULL;
    _cleanup_free_ char *qn = quote_for_message(name, 200);
    vpmu_error *err = NULL;

    switch (vpmu_virt_last_fault(conn, &why)) {
    case VPMU_VIRT_FAULT_NO_DOMAIN:
        vpmu_error_set(&err, VPMU_ERR_RUNTIME, "domain '%s' on %s disappeared during the audit", qn,
                       job->shown);
        break;
    case VPMU_VIRT_FAULT_CONN_LOST:
        *lost_why = TAKE_PTR(why);
        return DOM_CONN_LOST;
    default:
        if (persistent)
            vpmu_error_set(&err, VPMU_ERR_RUNTIME,
                           "cannot read the persistent definition of domain '%s' on %s: %s", qn,
                           job->shown, why);
        else
            vpmu_error_set(&err, VPMU_ERR_RUNTIME, "cannot read domain '%s' on %s: %s", qn,
                           job->shown, why);
        break;
    }
    return skip(run, job, name, uuid, err);
}

/*
 * The pmu setting of the persistent definition of a running domain, which
 * apply changes and which takes effect at the next start.  Transient domains
 * have none, and libvirt then gives the live definition: not pending.
 */
static dom_result
pending_pmu(audit_run *run, audit_job *job, vpmu_conn *conn, vpmu_dom *dom, vpmu_pmu *out,
            char **lost_why)
{
    const char *name = vpmu_dom_get_name(dom);
    _cleanup_free_ char *xml = vpmu_dom_get_xml(dom, true);
    vpmu_domxml *doc;
    vpmu_error *err = NULL;

    if (!xml)
        return dom_failed(run, job, conn, name, vpmu_dom_get_uuid(dom), true, lost_why);
    doc = vpmu_domxml_parse_flags(xml, strlen(xml), name, 0, &err);
    if (!doc) {
        _cleanup_free_ char *qn = quote_for_message(name, 200);
        vpmu_error_prefix(&err, "the persistent definition of domain '%s' on %s", qn, job->shown);
        return skip(run, job, name, vpmu_dom_get_uuid(dom), err);
    }
    *out = vpmu_domxml_get_pmu(doc);
    vpmu_domxml_free(doc);
    return DOM_REPORTED;
}

/* Fetch, parse, report, free one domain. */
static dom_result
audit_domain(audit_run *run, audit_job *job, vpmu_conn *conn, vpmu_dom *dom, const host_facts *hf,
             char **lost_why)
{
    _cleanup_free_ char *xml = NULL;
    _cleanup_(vpmu_domxml_freep) vpmu_domxml *doc = NULL;
    vpmu_error *err = NULL;
    vpmu_domain_info info = {0};
    const char *name = vpmu_dom_get_name(dom);
    const char *uuid = vpmu_dom_get_uuid(dom);
    const char *state;
    vpmu_pmu pending;
    dom_result r;

    if (!(state = vpmu_dom_get_state(dom)) || !(xml = vpmu_dom_get_xml(dom, false)))
        return dom_failed(run, job, conn, name, uuid, false, lost_why);

    doc = vpmu_domxml_parse_flags(xml, strlen(xml), name, 0, &err);
    free(TAKE_PTR(xml)); /* the tree is all we need from here */
    if (!doc || vpmu_domxml_get_info(doc, &info, &err) < 0) {
        _cleanup_free_ char *qn = quote_for_message(name, 200);
        vpmu_error_prefix(&err, "domain '%s' on %s", qn, job->shown);
        vpmu_domain_info_clear(&info);
        return skip(run, job, name, uuid, err);
    }
    vpmu_domxml_free(TAKE_PTR(doc));
    /* The handle knows the name and UUID even when the XML is odd. */
    if (!info.name)
        info.name = xstrdup(name);
    if (!info.uuid && uuid)
        info.uuid = xstrdup(uuid);

    /* A shut-off domain's live XML is its persistent definition: nothing pending. */
    pending = info.pmu;
    if (vpmu_dom_is_active(dom) &&
        (r = pending_pmu(run, job, conn, dom, &pending, lost_why)) != DOM_REPORTED) {
        vpmu_domain_info_clear(&info);
        return r;
    }

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
            .uri = job->ev_uri,
            .state = state,
            .info = &info,
            .effective = vpmu_explanation_get_state(ex),
            .explanation = ex,
            .pending_restart = pending != info.pmu,
            .pending = pending,
    };
    vpmu_audit_event ev = {
            .kind = VPMU_AUDIT_EVENT_DOMAIN, .index = job->index, .uri = job->ev_uri, .domain = &d};

    pthread_mutex_lock(&run->lock);
    r = job_live(run, job) ? DOM_REPORTED : DOM_STOP;
    if (r == DOM_REPORTED) {
        vpmu_audit_host *hs = &job->hs;
        hs->domains++;
        if ((unsigned)info.pmu < VPMU_PMU_LAST)
            hs->pmu[info.pmu]++;
        if ((unsigned)d.effective < VPMU_EFFECTIVE_LAST)
            hs->effective[d.effective]++;
        hs->pending_restart += d.pending_restart;
        deliver_locked(run, &ev);
    }
    pthread_mutex_unlock(&run->lock);
    vpmu_domain_info_clear(&info);
    return r;
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

static int
cmp_dom_name(const void *a, const void *b)
{
    return strcmp(vpmu_dom_get_name(*(vpmu_dom *const *)a),
                  vpmu_dom_get_name(*(vpmu_dom *const *)b));
}

/* The totals and the host event, under the lock, unless the job was abandoned. */
static void
finish_host_locked(audit_run *run, audit_job *job, vpmu_error *herr, bool dropped)
{
    vpmu_audit_host hs = job->hs;

    job->finished = true;
    pthread_cond_broadcast(&run->cond);
    if (job->abandoned || run->returned)
        return; /* the scheduler reported it at its deadline */
    hs.uri = job->ev_uri;
    hs.reachable = job->opened;
    hs.up = job->opened && !dropped;
    hs.driver = job->driver;
    hs.seconds = now_seconds() - job->started;
    hs.error = herr;
    run->totals.hosts++;
    run->totals.hosts_unreachable += !job->opened;
    run->totals.hosts_dropped += job->opened && dropped;
    run->totals.domains += hs.domains;
    run->totals.skipped += hs.skipped;
    vpmu_audit_event ev = {
            .kind = VPMU_AUDIT_EVENT_HOST, .index = job->index, .uri = job->ev_uri, .host = &hs};
    deliver_locked(run, &ev);
}

static void
audit_host(audit_run *run, audit_job *job)
{
    _cleanup_(vpmu_conn_closep) vpmu_conn *conn = NULL;
    _cleanup_free_ vpmu_dom **doms = NULL;
    vpmu_error *herr = NULL;
    host_facts hf = {0};
    unsigned long hv = 0;
    int n = 0, i = 0;
    bool dropped = false, live;

    /* The call that can block in the handshake for ever: the scheduler's deadline bounds it. */
    conn = vpmu_conn_open_read_only(job->uri, &herr);
    if (conn) {
        /* A peer that stops answering closes the connection (and unblocks the call
         * in hand) within the deadline. */
        vpmu_conn_start_keepalive(conn, run->opts.timeout);
        /* Only the QEMU driver's version is a QEMU version (the test driver says 0.0.2). */
        if (STREQ(vpmu_conn_get_driver(conn), "QEMU"))
            hv = vpmu_conn_get_hv_version(conn);
    }
    pthread_mutex_lock(&run->lock);
    live = job_live(run, job);
    if (conn) {
        job->opened = true;
        job->driver = xstrdup(vpmu_conn_get_driver(conn));
        job->hs.hv_version = hv;
        if (!job->uri) {
            /* libvirt's default: named from now on by the URI libvirt says it opened. */
            job->canon = xstrdup(vpmu_conn_get_uri(conn));
            job->ev_uri = job->canon;
            free(job->shown);
            job->shown = vpmu_conn_describe_uri(job->canon);
        }
    }
    pthread_mutex_unlock(&run->lock);
    if (!conn || !live)
        goto done;
    hf.qemu_version = hv;
    if (want_probe(run, job->uri ? job->uri : job->canon)) {
        hf.host = run_host(run);
        pthread_mutex_lock(&run->lock);
        job->hs.host_probed = hf.host != NULL;
        pthread_mutex_unlock(&run->lock);
    }

    n = vpmu_conn_list_domains(conn, !run->opts.per_domain_state, &doms);
    if (n < 0) {
        vpmu_error_set(&herr, VPMU_ERR_RUNTIME, "cannot list the domains of %s: %s", job->shown,
                       vpmu_virt_last_error());
        dropped = true;
        n = 0;
        goto done;
    }
    /* A stable order: by name (libvirt lists running domains first, by ID). */
    qsort(doms, (size_t)n, sizeof(*doms), cmp_dom_name);
    for (; i < n; i++) {
        _cleanup_free_ char *why = NULL;
        dom_result r = audit_domain(run, job, conn, doms[i], &hf, &why);

        if (r == DOM_STOP)
            break;
        if (r == DOM_CONN_LOST) {
            pthread_mutex_lock(&run->lock);
            vpmu_error_set(&herr, VPMU_ERR_RUNTIME,
                           "lost the connection to %s after %zu of %d domains: %s", job->shown,
                           job->hs.domains + job->hs.skipped, n, why);
            /* This one and the rest are not reported. */
            job->hs.skipped += (size_t)(n - i);
            pthread_mutex_unlock(&run->lock);
            dropped = true;
            break;
        }
    }

done:
    for (int j = 0; j < n; j++)
        vpmu_dom_free(doms[j]);
    pthread_mutex_lock(&run->lock);
    finish_host_locked(run, job, herr, dropped);
    pthread_mutex_unlock(&run->lock);
    vpmu_error_free(herr);
    /* The connection closes (cleanup) after the event, whose driver name is a copy anyway. */
}

typedef struct {
    audit_run *run;
    audit_job *job;
} worker_arg;

static void *
worker(void *arg)
{
    worker_arg *wa = arg;
    audit_run *run = wa->run;
    audit_job *job = wa->job;

    free(wa);
    audit_host(run, job);
    run_unref(run);
    return NULL;
}

/* At its deadline: report the connection down, with what it had delivered. Under the lock. */
static void
abandon_locked(audit_run *run, audit_job *job)
{
    vpmu_audit_host hs = job->hs;
    vpmu_error *err = NULL;

    job->abandoned = true;
    job->running = false;
    if (job->opened)
        vpmu_error_set(&err, VPMU_ERR_RUNTIME,
                       "%s did not finish within the %u s timeout, after %zu domains", job->shown,
                       run->opts.timeout, hs.domains + hs.skipped);
    else
        vpmu_error_set(&err, VPMU_ERR_RUNTIME, "cannot connect to %s: no answer within %u s",
                       job->shown, run->opts.timeout);
    hs.uri = job->ev_uri;
    hs.reachable = job->opened;
    hs.up = false;
    hs.timed_out = true;
    hs.driver = job->driver;
    hs.seconds = now_seconds() - job->started;
    hs.error = err;
    run->totals.hosts++;
    run->totals.hosts_unreachable += !job->opened;
    run->totals.hosts_timed_out++;
    run->totals.domains += hs.domains;
    run->totals.skipped += hs.skipped;
    vpmu_audit_event ev = {
            .kind = VPMU_AUDIT_EVENT_HOST, .index = job->index, .uri = job->ev_uri, .host = &hs};
    deliver_locked(run, &ev);
    vpmu_error_free(err);
    /* It finishes (or not) on its own, holding its reference; nobody joins it. */
    pthread_detach(job->thread);
}

static struct timespec
to_timespec(double t)
{
    struct timespec ts = {.tv_sec = (time_t)t};
    ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
    if (ts.tv_nsec >= 1000000000L)
        ts.tv_sec++, ts.tv_nsec -= 1000000000L;
    return ts;
}

/* Start a worker on @job; false when no thread could be made (the job is then reported down). */
static bool
start_job_locked(audit_run *run, audit_job *job)
{
    worker_arg *wa = xmalloc(sizeof(*wa));

    wa->run = run;
    wa->job = job;
    job->started = now_seconds();
    job->deadline = job->started + (double)run->opts.timeout;
    job->running = true;
    atomic_fetch_add(&run->refs, 1);
    if (pthread_create(&job->thread, NULL, worker, wa) != 0) {
        vpmu_error *err = NULL;
        vpmu_audit_host hs = {.uri = job->ev_uri};
        atomic_fetch_sub(&run->refs, 1);
        free(wa);
        job->running = false;
        job->finished = true;
        vpmu_error_set(&err, VPMU_ERR_RUNTIME, "cannot audit %s: no thread could be started",
                       job->shown);
        hs.error = err;
        run->totals.hosts++;
        run->totals.hosts_unreachable++;
        vpmu_audit_event ev = {.kind = VPMU_AUDIT_EVENT_HOST,
                               .index = job->index,
                               .uri = job->ev_uri,
                               .host = &hs};
        deliver_locked(run, &ev);
        vpmu_error_free(err);
        return false;
    }
    return true;
}

/*
 * The scheduler: at most opts.jobs workers at once, each with its deadline.
 * A finished worker is joined; one past its deadline is abandoned (reported
 * down, detached) and its slot given to the next connection.
 */
static void
schedule(audit_run *run)
{
    size_t next = 0, running = 0, jobs = run->opts.jobs;

    pthread_mutex_lock(&run->lock);
    for (;;) {
        double now = now_seconds(), earliest = 0;

        for (size_t i = 0; i < run->n_uris; i++) {
            audit_job *job = &run->jobs[i];
            if (!job->running)
                continue;
            if (job->finished) {
                job->running = false;
                running--;
                pthread_mutex_unlock(&run->lock);
                pthread_join(job->thread, NULL);
                pthread_mutex_lock(&run->lock);
            } else if (now >= job->deadline) {
                abandon_locked(run, job);
                running--;
            }
        }
        while (running < jobs && next < run->n_uris && !atomic_load(&run->stopped))
            running += start_job_locked(run, &run->jobs[next++]);
        if (running == 0 && (next == run->n_uris || atomic_load(&run->stopped)))
            break;
        for (size_t i = 0; i < run->n_uris; i++) {
            const audit_job *job = &run->jobs[i];
            if (job->running && !job->finished && (earliest == 0 || job->deadline < earliest))
                earliest = job->deadline;
        }
        if (earliest > 0) {
            struct timespec ts = to_timespec(earliest);
            pthread_cond_timedwait(&run->cond, &run->lock, &ts);
        }
    }
    run->returned = true;
    pthread_mutex_unlock(&run->lock);
}

int
vpmu_audit_run(const char *const *uris, size_t n_uris, const vpmu_audit_options *opts,
               vpmu_audit_cb cb, void *opaque, vpmu_audit_totals *totals, vpmu_error **error)
{
    audit_run *run;
    pthread_condattr_t ca;
    int ret = 0;

    if (totals)
        memset(totals, 0, sizeof(*totals));
    if (!uris || n_uris == 0 || !cb) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "an audit needs at least one connection URI");
        return -1;
    }
    for (size_t i = 0; i < n_uris; i++) {
        if (uris[i] && !*uris[i]) {
            vpmu_error_set(error, VPMU_ERR_USAGE, "connection URI %zu of the audit is empty",
                           i + 1);
            return -1;
        }
    }
    if (opts && opts->timeout > VPMU_AUDIT_MAX_TIMEOUT) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "an audit timeout of %u s is over the %u s maximum",
                       opts->timeout, VPMU_AUDIT_MAX_TIMEOUT);
        return -1;
    }

    run = xcalloc(1, sizeof(*run));
    if (opts)
        run->opts = *opts;
    if (!run->opts.jobs)
        run->opts.jobs = VPMU_AUDIT_DEFAULT_JOBS;
    if (!run->opts.timeout)
        run->opts.timeout = VPMU_AUDIT_DEFAULT_TIMEOUT;
    run->host_root = run->opts.host_root ? xstrdup(run->opts.host_root) : NULL;
    run->opts.host_root = NULL; /* the caller's: read through the copy only */
    run->n_uris = n_uris;
    run->cb = cb;
    run->opaque = opaque;
    run->jobs = xcalloc(n_uris, sizeof(*run->jobs));
    for (size_t i = 0; i < n_uris; i++) {
        run->jobs[i].index = i;
        run->jobs[i].ev_uri = uris[i];
        run->jobs[i].uri = uris[i] ? xstrdup(uris[i]) : NULL;
        run->jobs[i].shown = vpmu_conn_describe_uri(uris[i]);
    }
    atomic_init(&run->refs, 1);
    atomic_init(&run->stopped, false);
    pthread_mutex_init(&run->lock, NULL);
    /* Deadlines are monotonic: a clock step neither shortens nor stretches them. */
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&run->cond, &ca);
    pthread_condattr_destroy(&ca);

    schedule(run);

    if (atomic_load(&run->stopped)) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "the audit was stopped by its output");
        ret = -1;
    }
    pthread_mutex_lock(&run->lock);
    if (totals)
        *totals = run->totals;
    pthread_mutex_unlock(&run->lock);
    run_unref(run);
    return ret;
}

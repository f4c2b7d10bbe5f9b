/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * audit.h: the vPMU state of every domain on one or more libvirt connections
 * (libvpmu-virt).
 *
 * Connections are audited in parallel, one thread per connection, at most
 * `jobs` at a time, each within a deadline (`timeout`).  Within a connection
 * the domains come in name order (strcmp) and are streamed: for each one the
 * XML is fetched, parsed, reported through the callback and freed before the
 * next, so memory does not grow with the number of domains.
 *
 * The callback is never called from two threads at once (the audit holds a
 * mutex around it), so it may write to a stream without locking.  Every
 * pointer in an event is borrowed for the duration of the call only.
 *
 * A domain that disappears while it is audited, or whose XML cannot be read
 * or parsed, is reported as skipped; a connection that cannot be opened, or
 * that drops, is reported in its host event.  Neither stops the audit.
 */
#ifndef VPMU_AUDIT_H
#define VPMU_AUDIT_H

#include "vpmu/common.h"
#include "vpmu/domxml.h"
#include "vpmu/explain.h"
#include "vpmu/policy.h"
#include "vpmu/virt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Connections audited at once when vpmu_audit_options.jobs is 0. */
#define VPMU_AUDIT_DEFAULT_JOBS 8u
/* Seconds each connection's audit may take when vpmu_audit_options.timeout is 0 (30). */
#define VPMU_AUDIT_DEFAULT_TIMEOUT VPMU_CONN_DEFAULT_TIMEOUT
/* The longest timeout accepted (a day), as for vpmu_conn_open_bounded(). */
#define VPMU_AUDIT_MAX_TIMEOUT VPMU_CONN_MAX_TIMEOUT

/* When the host probe (this machine's /proc and /sys) feeds the effective state. */
typedef enum {
    /*
     * Only for connections to this machine's QEMU driver: qemu:///system,
     * qemu:///session, qemu+unix:///... (no host name in the URI).  Remote
     * hosts and the test driver get the rules that need no host facts, and
     * "unknown" where the answer depends on the host.
     */
    VPMU_AUDIT_PROBE_LOCAL = 0,
    VPMU_AUDIT_PROBE_NEVER,  /* never: every connection is judged without host facts */
    VPMU_AUDIT_PROBE_ALWAYS, /* every connection, test:// included (fixture trees in tests) */
} vpmu_audit_probe;

typedef struct {
    unsigned int jobs;      /* connections audited at once; 0: VPMU_AUDIT_DEFAULT_JOBS */
    vpmu_audit_probe probe; /* default VPMU_AUDIT_PROBE_LOCAL */
    const char *host_root;  /* root of the /proc and /sys the probe reads; NULL: "/" */
    /*
     * Ask each domain's state on its own (virDomainGetState) instead of in one
     * virConnectGetAllDomainStats call; drivers without bulk stats get this anyway.
     */
    bool per_domain_state;
    /*
     * Seconds each connection's audit may take, from its start (opening
     * included) to its last domain; 0: VPMU_AUDIT_DEFAULT_TIMEOUT.  There is
     * no "for ever".  A connection past its deadline is reported down
     * (up false, timed_out true) with what it had delivered, and no event of
     * it follows.  Its thread, possibly blocked inside libvirt (a server that
     * accepts and never answers blocks virConnectOpen itself), is left to
     * finish on its own: it holds its own reference to the run's state, never
     * calls the callback again and never reads the caller's memory, so
     * vpmu_audit_run() returns on time.  Keepalive is asked on every
     * connection (every timeout/8 s, 1 to 5 s; 3 unanswered probes close
     * it): it needs a libvirt event loop in the process, see vpmu_virt_init().
     */
    unsigned int timeout;
} vpmu_audit_options;

/* One audited domain. */
typedef struct {
    const char *uri;   /* the connection, as the caller gave it; for libvirt's default, its
                          canonical URI (virConnectGetURI) */
    const char *state; /* "running", "paused", "shutoff", ... (libvirt's) */
    const vpmu_domain_info *info;        /* name, uuid, pmu, arch, virt type, CPU, Nova names */
    vpmu_effective effective;            /* what the guest gets, by explain's rules */
    const vpmu_explanation *explanation; /* the rule and the reasons behind it */
    /*
     * The domain runs and its persistent definition has another pmu setting
     * (vpmu apply changed it): that setting, in .pending, applies at the
     * next cold start.  info->pmu is always the live one.
     */
    bool pending_restart;
    vpmu_pmu pending; /* the persistent definition's setting; == info->pmu when not pending */
} vpmu_audit_domain;

/* One connection, when its audit is over. */
typedef struct {
    /* As the caller gave it; for libvirt's default, its canonical URI, NULL when it did not open */
    const char *uri;
    bool reachable;            /* the connection opened */
    bool up;                   /* opened and audited to the end: not dropped, not timed out */
    bool timed_out;            /* the deadline (vpmu_audit_options.timeout) passed */
    size_t pending_restart;    /* reported domains with pending_restart */
    const char *driver;        /* "QEMU", "Test", ...; NULL when unreachable */
    unsigned long hv_version;  /* QEMU version (M*1000000+m*1000+u); 0 unknown */
    bool host_probed;          /* this machine's probe fed the effective state */
    size_t domains;            /* domains reported */
    size_t skipped;            /* domains listed but not reported */
    size_t pmu[VPMU_PMU_LAST]; /* reported domains by setting */
    size_t effective[VPMU_EFFECTIVE_LAST]; /* reported domains by effective state */
    double seconds;                        /* wall time of this connection's audit */
    const vpmu_error *error;               /* unreachable, or the connection dropped; else NULL */
} vpmu_audit_host;

typedef enum {
    VPMU_AUDIT_EVENT_DOMAIN,  /* .domain */
    VPMU_AUDIT_EVENT_SKIPPED, /* .uri, .name, .uuid (may be NULL) and .error */
    VPMU_AUDIT_EVENT_HOST,    /* .host: once per connection, after its domains */
} vpmu_audit_event_kind;

typedef struct {
    vpmu_audit_event_kind kind;
    size_t index;    /* the connection's position in the uris passed to vpmu_audit_run() */
    const char *uri; /* as in vpmu_audit_host.uri */
    const vpmu_audit_domain *domain; /* DOMAIN */
    const char *name;                /* SKIPPED */
    const char *uuid;                /* SKIPPED */
    const vpmu_error *error;         /* SKIPPED: why */
    const vpmu_audit_host *host;     /* HOST */
} vpmu_audit_event;

/*
 * Return 0 to go on.  A negative return stops the audit: threads finish the
 * domain in hand, no further event is delivered, and vpmu_audit_run() fails.
 */
typedef int (*vpmu_audit_cb)(const vpmu_audit_event *event, void *opaque);

/* What the whole run did. */
typedef struct {
    size_t hosts;             /* connections audited */
    size_t hosts_unreachable; /* connections that did not open */
    size_t hosts_dropped;     /* connections lost part way through */
    size_t hosts_timed_out;   /* connections past their deadline (also in hosts_unreachable
                                 when they had not opened) */
    size_t domains;           /* domains reported */
    size_t skipped;           /* domains listed but not reported */
} vpmu_audit_totals;

/*
 * Audit @n_uris connections (n_uris >= 1).  A NULL URI is libvirt's default
 * connection (virConnectOpenReadOnly(NULL): $LIBVIRT_DEFAULT_URI, then
 * libvirt.conf, then probing), opened in its worker under the same deadline
 * as the others; its events carry the canonical URI libvirt reports once it
 * is open (and NULL before: a default that never opened).  Use the events'
 * index, not the URI, to tell connections apart.  @opts may be NULL.
 * *totals (optional) is filled whether or not the run succeeds.
 * Returns 0 when every connection was attempted (skips and unreachable hosts
 * are not failures: they are in the events and in *totals), or -1 when the
 * callback stopped the audit (VPMU_ERR_RUNTIME) or the arguments are wrong
 * (VPMU_ERR_USAGE).
 */
VPMU_EXPORT int vpmu_audit_run(const char *const *uris, size_t n_uris,
                               const vpmu_audit_options *opts, vpmu_audit_cb cb, void *opaque,
                               vpmu_audit_totals *totals, vpmu_error **error);

/*
 * Whether @uri names this machine's QEMU driver (see VPMU_AUDIT_PROBE_LOCAL).
 * Pure string test; nothing is opened.
 */
VPMU_EXPORT bool vpmu_audit_uri_is_local(const char *uri);

#ifdef __cplusplus
}
#endif
#endif /* VPMU_AUDIT_H */

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virt-priv.h: the parts of the libvirt adapter (virt.c) that other modules
 * of libvpmu-virt use and that are not public API: read-only opening,
 * keepalive, liveness, and domain handles for streaming audits.
 *
 * With these, virt.c stays the one module that includes libvirt's headers:
 * libvirt's init, its error silencing and its last-error translation exist
 * once.  Nothing here is exported from the shared library.
 */
#ifndef VPMU_VIRT_PRIV_H
#define VPMU_VIRT_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "vpmu/virt.h"

/*
 * Open @uri read-only (an audit changes nothing, and a monitoring user may
 * have no more), @uri exactly as given (NULL: libvirt's default, as for
 * vpmu_conn_open()).  No deadline: the caller bounds it.  libxml2's generic error
 * handler, which the test driver's node-file parsing would print through, is
 * silenced for the call.
 */
vpmu_conn *vpmu_conn_open_read_only(const char *uri, vpmu_error **error);

/*
 * Ask the driver for keepalive probes every @interval seconds, the
 * connection to be closed after @count unanswered ones.  Returns 0 when
 * enabled, 1 when not available (drivers other than the remote one, or no
 * libvirt event loop running in the process).  Never fails otherwise.
 */
int vpmu_conn_set_keepalive(vpmu_conn *conn, int interval, unsigned int count);

/*
 * Keepalive for a connection under a deadline of @timeout seconds: probes
 * every timeout/8 seconds (1 to 5), the connection given up after 3
 * unanswered, so a silent peer is dropped after about 4 intervals: half the
 * deadline, 20 s at most.  Best effort, as vpmu_conn_set_keepalive().
 */
void vpmu_conn_start_keepalive(vpmu_conn *conn, unsigned int timeout);

/*
 * A connection as messages name it: "'URI'" (uri_for_message(): quoted, its
 * password masked), or "libvirt's default URI" for NULL.  Owned string.
 */
char *vpmu_conn_describe_uri(const char *uri);

/* Whether the connection is still usable (virConnectIsAlive). */
bool vpmu_conn_is_alive(vpmu_conn *conn);

/* The hypervisor version (MAJOR*1000000+MINOR*1000+MICRO), 0 when unknown; one call. */
unsigned long vpmu_conn_get_hv_version(vpmu_conn *conn);

/* libvirt's last error message on this thread, never NULL or empty. */
const char *vpmu_virt_last_error(void);

/* Why the last libvirt call on this thread failed, as far as callers care. */
typedef enum {
    VPMU_VIRT_FAULT_OTHER = 0,
    VPMU_VIRT_FAULT_NO_DOMAIN, /* the domain is gone */
    VPMU_VIRT_FAULT_CONN_LOST, /* the connection is dead */
} vpmu_virt_fault;

/*
 * *message (optional) receives a copy of libvirt's message for that failure,
 * taken before the liveness check (which, like every libvirt call, resets it).
 */
vpmu_virt_fault vpmu_virt_last_fault(vpmu_conn *conn, char **message);

/* A domain handle: name and UUID cached, state when listing gave it. */
typedef struct vpmu_dom vpmu_dom;

/*
 * Every domain, running and defined.  With @bulk_state, one
 * virConnectGetAllDomainStats(STATE) call gives every state at once; drivers
 * without bulk stats (and !bulk_state) get virConnectListAllDomains() and
 * each state is asked later.  *doms (n + 1 entries, NULL-terminated) is
 * freed with vpmu_dom_free() per entry and free().  Returns n, or -1 with
 * libvirt's error left for vpmu_virt_last_error().
 */
int vpmu_conn_list_domains(vpmu_conn *conn, bool bulk_state, vpmu_dom ***doms);

const char *vpmu_dom_get_name(const vpmu_dom *dom); /* "" when unknown */
const char *vpmu_dom_get_uuid(const vpmu_dom *dom); /* NULL when unknown */

/*
 * The state as a word ("running", "paused", "shutoff", ...: libvirt's
 * spelling, minus blanks; "unknown" for a state this build does not know),
 * asked now unless the listing gave it.  NULL on failure (libvirt's error left).
 */
const char *vpmu_dom_get_state(vpmu_dom *dom);

/* Whether the domain runs (running, blocked, paused, shutdown, pmsuspended); after get_state. */
bool vpmu_dom_is_active(const vpmu_dom *dom);

/* The live XML, or with @inactive the persistent definition.  NULL on failure (error left). */
char *vpmu_dom_get_xml(vpmu_dom *dom, bool inactive);

void vpmu_dom_free(vpmu_dom *dom);

#endif /* VPMU_VIRT_PRIV_H */

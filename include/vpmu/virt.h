/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virt.h: libvirt adapter (libvpmu-virt).  Only this module talks to libvirt;
 * libvirt's own error printing is silenced and its last error is translated
 * into vpmu_error at this boundary.
 *
 * libvpmu-virt is a separate shared library so that commands which never
 * connect (decide, xml --domain) do not pay for loading libvirt and libcurl.
 */
#ifndef VPMU_VIRT_H
#define VPMU_VIRT_H

#include "vpmu/common.h"
#include "vpmu/domxml.h"
#include "vpmu/policy.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vpmu_conn vpmu_conn;

/* vpmu_virt_init() flags. */
#define VPMU_VIRT_INIT_EVENT_LOOP (1u << 0)
#define VPMU_VIRT_INIT_HTTP (1u << 1)

/*
 * The process-wide set-up of the libraries libvpmu-virt uses, for programs
 * (not libraries) to call once, early in main() while the program has one
 * thread, before any connection, Placement or cloud handle is made; later
 * calls only add what their flags ask for.  What it changes, for the whole
 * process:
 *  - curl_global_init(CURL_GLOBAL_DEFAULT) (libcurl's global state; not
 *    thread-safe before libcurl 7.84);
 *  - virSetErrorFunc(NULL, a function that prints nothing): libvirt's
 *    default handler prints every error to stderr, and vpmu reports each
 *    error itself, once;
 *  - virInitialize();
 *  - with VPMU_VIRT_INIT_EVENT_LOOP: libvirt's default event loop is
 *    registered (virEventRegisterDefaultImpl) and run in a background thread
 *    for the rest of the process, which libvirt's keepalive needs; a program
 *    that runs its own libvirt event loop leaves the flag out.
 * The vpmu CLI calls it as soon as it loads libvpmu-virt (src/cli/virtload.c),
 * with VPMU_VIRT_INIT_HTTP before it opens Placement or a cloud, and with
 * VPMU_VIRT_INIT_EVENT_LOOP before it connects to libvirt or audits (for
 * keepalive, see vpmu_conn_open_bounded()).  A program that does not call
 * it gets the same set-up (without the event loop) from the first
 * vpmu_conn_open(), vpmu_placement_new() or vpmu_cloud_open(), through
 * pthread_once(), but then possibly while other threads run.  Returns 0, or -1 when libcurl cannot
 * initialise or the loop cannot start.
 */
VPMU_EXPORT int vpmu_virt_init(unsigned int flags, vpmu_error **error);

/*
 * Open @uri.  NULL lets libvirt choose, as virsh does: $LIBVIRT_DEFAULT_URI,
 * then uri_default in libvirt.conf, then its probing of the local drivers.
 * Never the test driver unless it is named.
 */
VPMU_EXPORT vpmu_conn *vpmu_conn_open(const char *uri, vpmu_error **error);

/* vpmu_conn_open_bounded() flags. */
#define VPMU_CONN_OPEN_READ_ONLY (1u << 0) /* virConnectOpenReadOnly() */

/* Seconds vpmu_conn_open_bounded() waits when asked for 0. */
#define VPMU_CONN_DEFAULT_TIMEOUT 30u
/* The longest deadline accepted (a day): there is no "for ever". */
#define VPMU_CONN_MAX_TIMEOUT 86400u

/*
 * Open @uri as vpmu_conn_open() does (NULL: libvirt's default), but give up
 * after @timeout_s seconds (0: VPMU_CONN_DEFAULT_TIMEOUT; at most
 * VPMU_CONN_MAX_TIMEOUT, else VPMU_ERR_USAGE).  virConnectOpen() has no
 * deadline of its own: a server that accepts and never speaks, a firewall
 * that drops packets or an ssh prompt blocks it for ever.  So it runs in a
 * thread of its own, and when the deadline passes first this returns NULL
 * with "cannot connect to 'URI': no answer within N s" (VPMU_ERR_RUNTIME,
 * the URI's password shown as ***; "libvirt's default URI" for NULL).  That
 * thread is then abandoned, not cancelled: it keeps no pointer to the
 * caller's memory, and if libvirt ever returns it closes the connection
 * itself.  The deadline is monotonic (a clock step does not move it).
 *
 * Once open, the connection asks for libvirt keepalive probes: every
 * @timeout_s/8 seconds (1 to 5), closed after 3 unanswered, so that a later
 * call on a peer that stops answering fails too, after about 4 intervals.
 * Keepalive needs a libvirt event loop running in the process
 * (vpmu_virt_init(VPMU_VIRT_INIT_EVENT_LOOP), or the program's own); without
 * one only the opening is bounded.  Drivers without keepalive (test://)
 * simply get none.  @flags: 0 or VPMU_CONN_OPEN_READ_ONLY.
 */
VPMU_EXPORT vpmu_conn *vpmu_conn_open_bounded(const char *uri, unsigned int flags,
                                              unsigned int timeout_s, vpmu_error **error);
/* Accepts NULL. */
VPMU_EXPORT void vpmu_conn_close(vpmu_conn *conn);
/* The canonical URI of the open connection.  Borrowed. */
VPMU_EXPORT const char *vpmu_conn_get_uri(const vpmu_conn *conn);

/* Versions as MAJOR*1000000+MINOR*1000+MICRO; hypervisor 0 when unknown. */
VPMU_EXPORT int vpmu_conn_get_versions(vpmu_conn *conn, unsigned long *libvirt_version,
                                       unsigned long *hv_version, vpmu_error **error);
/* The hypervisor driver name: "QEMU", "Test", ...  Borrowed. */
VPMU_EXPORT const char *vpmu_conn_get_driver(vpmu_conn *conn);
/*
 * The host's name as libvirt reports it (virConnectGetHostname), which is
 * what Nova names the compute node's resource provider after.  Owned string.
 */
VPMU_EXPORT char *vpmu_conn_get_hostname(vpmu_conn *conn, vpmu_error **error);
/* Host arch from the capabilities; owned string. */
VPMU_EXPORT char *vpmu_conn_get_host_arch(vpmu_conn *conn, vpmu_error **error);
/*
 * The <domain type> to use for @arch: "kvm" when the connection's capabilities
 * offer it for that arch, else "qemu"; for the test driver, "test"-typed hosts
 * accept either and "kvm" is reported only when listed.  Owned string.
 */
VPMU_EXPORT char *vpmu_conn_default_virt_type(vpmu_conn *conn, const char *arch,
                                              vpmu_error **error);

/*
 * Define a guest from XML and, when @start, start it.  On a failed start the
 * new definition is removed again, so nothing half-made is left behind; if
 * libvirt refuses that too, the error says that the guest is still defined.
 * *uuid_out (optional) receives the UUID string.
 */
VPMU_EXPORT int vpmu_guest_define(vpmu_conn *conn, const char *xml, bool start, char **uuid_out,
                                  vpmu_error **error);

/* The persistent (inactive) XML of a domain by name or UUID.  Owned string. */
VPMU_EXPORT char *vpmu_domain_get_xml(vpmu_conn *conn, const char *name, bool inactive,
                                      vpmu_error **error);

/* What vpmu_domain_apply_pmu() found and did. */
typedef struct {
    vpmu_pmu previous; /* the setting before */
    bool changed;      /* a new definition was written */
    bool active;       /* the domain is running: the change applies at its next start */
    char uuid[37];
} vpmu_apply_result;

/*
 * apply: redefine an existing domain (by name or UUID) with only <pmu>
 * changed.  Reads the persistent XML (INACTIVE|SECURE), edits it with
 * vpmu_domxml_set_pmu() and defines it with validation.  When nothing would
 * change, nothing is written.  When the redefinition fails the domain keeps
 * its definition (libvirt defines atomically; vpmu checks and restores the
 * original if it ever differs), and the error says so.
 */
VPMU_EXPORT int vpmu_domain_apply_pmu(vpmu_conn *conn, const char *name, vpmu_pmu pmu,
                                      vpmu_apply_result *result, vpmu_error **error);

#ifdef __cplusplus
}
#endif
#endif /* VPMU_VIRT_H */

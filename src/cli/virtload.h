/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Lazy loading of libvpmu-virt (libvirt, libcurl, librabbitmq).
 *
 * Linking those pulls ~60 shared libraries into every run and costs ~16 ms
 * of CPU before main() (docs/facts.md §5).  Commands that never connect (decide,
 * xml --domain) must not pay that, so the CLI links only libvpmu and dlopen()s
 * libvpmu-virt on first use.  Each symbol the CLI needs is listed once below;
 * its pointer keeps the exact prototype from the public header (__typeof__).
 *
 * To use a new libvpmu-virt function from the CLI: add it to
 * VPMU_VIRT_SYMBOLS, call cli_virt_load(), then call VIRT(name)(...).
 */
#ifndef VPMU_CLI_VIRTLOAD_H
#define VPMU_CLI_VIRTLOAD_H

#include "cli.h"
#include "vpmu/audit.h"
#include "vpmu/cloud.h"
#include "vpmu/notify.h"
#include "vpmu/osclient.h"
#include "vpmu/placement.h"
#include "vpmu/virt.h"

/* Add new symbols here, one per line (keep the backslashes aligned loosely). */
#define VPMU_VIRT_SYMBOLS(X)                                                                       \
    X(vpmu_conn_open_bounded)                                                                      \
    X(vpmu_conn_close)                                                                             \
    X(vpmu_conn_get_uri)                                                                           \
    X(vpmu_conn_get_versions)                                                                      \
    X(vpmu_conn_get_driver)                                                                        \
    X(vpmu_conn_get_hostname)                                                                      \
    X(vpmu_conn_get_host_arch)                                                                     \
    X(vpmu_conn_default_virt_type)                                                                 \
    X(vpmu_guest_define)                                                                           \
    X(vpmu_domain_get_xml)                                                                         \
    X(vpmu_domain_apply_pmu)                                                                       \
    VPMU_VIRT_SYMBOLS_PLACEMENT(X)                                                                 \
    VPMU_VIRT_SYMBOLS_AUDIT(X)                                                                     \
    VPMU_VIRT_SYMBOLS_AMQP(X)                                                                      \
    VPMU_VIRT_SYMBOLS_NOVA(X)

/* Owned by the placement module (cmd-host.c, cmd-schedule.c). */
#define VPMU_VIRT_SYMBOLS_PLACEMENT(X)                                                             \
    X(vpmu_placement_new)                                                                          \
    X(vpmu_placement_get_url)                                                                      \
    X(vpmu_placement_new_cloud)                                                                    \
    X(vpmu_placement_get_renewals)                                                                 \
    X(vpmu_placement_find_provider)                                                                \
    X(vpmu_cloud_configured)                                                                       \
    X(vpmu_cloud_open)                                                                             \
    X(vpmu_cloud_free)                                                                             \
    X(vpmu_cloud_get_token_count)                                                                  \
    X(vpmu_placement_free)                                                                         \
    X(vpmu_placement_ensure_trait)                                                                 \
    X(vpmu_placement_set_provider_trait)                                                           \
    X(vpmu_placement_normalize_resources)                                                          \
    X(vpmu_placement_get_candidates)                                                               \
    X(vpmu_placement_candidates_free)                                                              \
    X(vpmu_placement_candidates_missing_trait)                                                     \
    X(vpmu_placement_candidates_requests)                                                          \
    X(vpmu_placement_candidates_count)                                                             \
    X(vpmu_placement_candidates_uuid)                                                              \
    X(vpmu_placement_candidates_name)                                                              \
    X(vpmu_placement_candidates_root)                                                              \
    X(vpmu_placement_candidates_traits)                                                            \
    X(vpmu_placement_candidates_resource)
/* Owned by the audit module (cmd-audit.c). */
#define VPMU_VIRT_SYMBOLS_AUDIT(X) X(vpmu_audit_run) X(vpmu_virt_init)
/* Owned by the notification module (AMQP publishing). */
#define VPMU_VIRT_SYMBOLS_AMQP(X) X(vpmu_notification_publish_amqp) X(vpmu_amqp_check_tls_files)

/* Owned by the Nova/Glance module (cloud-cli.c): --flavor-id, --image-id, audit --cloud. */
#define VPMU_VIRT_SYMBOLS_NOVA(X)                                                                  \
    X(vpmu_cloud_open)                                                                             \
    X(vpmu_cloud_free)                                                                             \
    X(vpmu_cloud_get_token_count)                                                                  \
    X(vpmu_osclient_new)                                                                           \
    X(vpmu_osclient_free)                                                                          \
    X(vpmu_osclient_get_flavor)                                                                    \
    X(vpmu_osclient_get_image)                                                                     \
    X(vpmu_osclient_load_flavors)                                                                  \
    X(vpmu_osclient_find_flavor)                                                                   \
    X(vpmu_osclient_find_image)                                                                    \
    X(vpmu_osclient_request_count)                                                                 \
    X(vpmu_osclient_flavors_seen)                                                                  \
    X(vpmu_osclient_images_seen)

#define VPMU_VIRT_DECLARE_PTR(sym) extern __typeof__(sym) *cli_virt_##sym;
VPMU_VIRT_SYMBOLS(VPMU_VIRT_DECLARE_PTR)
#undef VPMU_VIRT_DECLARE_PTR

#define VIRT(sym) (cli_virt_##sym)

/* dlopen libvpmu-virt once and resolve every symbol; -1 with an error if not possible. */
int cli_virt_load(vpmu_error **error);

/*
 * Start libvirt's event loop, which keepalive needs (vpmu_virt_init()); when
 * it cannot start, warn that connections get no keepalive and go on: the
 * deadlines still bound the opening.  After cli_virt_load().
 */
void cli_virt_event_loop(const cli_global *g);

/*
 * Open the command's connection (cli_uri(g): -c, else libvirt's default)
 * into *conn unless it is open already, loading libvpmu-virt first.  Every
 * command that connects (boot, apply, explain, host) does it here, and only
 * when it needs the connection: under the global --timeout
 * (vpmu_conn_open_bounded(), with keepalive), so nothing waits for ever.
 */
int cli_virt_connect(const cli_global *g, vpmu_conn **conn, vpmu_error **error);

#endif

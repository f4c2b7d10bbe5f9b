/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * notify.h: versioned notifications, in the shape oslo.messaging and Nova use.
 *
 * One notification per configured guest.  The message is what an
 * oslo.messaging Notifier builds (oslo_messaging/notify/notifier.py, _notify):
 *
 *   {"message_id": uuid4, "publisher_id": "vpmu:HOST",
 *    "event_type": "vpmu.guest.configure", "priority": "INFO",
 *    "timestamp": "YYYY-MM-DD HH:MM:SS.ffffff" (UTC), "payload": {...}}
 *
 * The payload is a versioned object ("nova_object.name", ".namespace",
 * ".version", ".data"), VpmuGuestPayload 1.0 in namespace "vpmu".  Its fields,
 * the nested objects and the versioning rule are in docs/notifications.md; the
 * JSON Schema and samples are in docs/notification_samples/.
 *
 * Building and writing to a file are in libvpmu (jansson only).  Publishing on
 * AMQP is in libvpmu-virt (librabbitmq): vpmu_notification_publish_amqp().
 */
#ifndef VPMU_NOTIFY_H
#define VPMU_NOTIFY_H

#include "vpmu/common.h"
#include "vpmu/metadata.h"
#include "vpmu/policy.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VPMU_NOTIFY_EVENT_TYPE "vpmu.guest.configure"
#define VPMU_NOTIFY_PRIORITY "INFO"
#define VPMU_NOTIFY_PUBLISHER "vpmu"
#define VPMU_NOTIFY_NAMESPACE "vpmu"
#define VPMU_NOTIFY_PAYLOAD_NAME "VpmuGuestPayload"
#define VPMU_NOTIFY_PAYLOAD_VERSION "1.0"
/* oslo.messaging defaults as Nova configures them (docs/facts.md §1, docs/notifications.md). */
#define VPMU_NOTIFY_DEFAULT_EXCHANGE "nova"
#define VPMU_NOTIFY_TOPIC "versioned_notifications"
/* oslo's routing key is TOPIC.PRIORITY, the priority in lower case. */
#define VPMU_NOTIFY_ROUTING_KEY VPMU_NOTIFY_TOPIC ".info"

/* What was configured.  Every pointer is borrowed; only @decision is required. */
typedef struct {
    const vpmu_flavor *flavor;     /* NULL: no flavor (name null, no extra specs) */
    const vpmu_image *image;       /* NULL: no image (hw_pmu null, no properties) */
    const vpmu_decision *decision; /* the decision that was applied */
    const char *effective;         /* effective vPMU state when known ("on", ...), else NULL */
    const char *domain_name;       /* libvirt domain name, or NULL */
    const char *domain_uuid;       /* libvirt domain UUID, or NULL */
} vpmu_notify_guest;

/*
 * Values that normally come from the system, fixed for tests and for callers
 * that already have them.  NULL members (or a NULL struct) mean "from the
 * system": the host from gethostname(), a fresh random UUID (version 4), and
 * the current UTC time.  The library never reads the environment for these.
 */
typedef struct {
    const char *host;       /* publisher_id becomes "vpmu:HOST" */
    const char *message_id; /* used as given */
    const char *timestamp;  /* used as given, e.g. "2024-05-01 12:00:00.000000" */
} vpmu_notify_overrides;

/*
 * Build the notification for one guest as compact JSON, keys in a fixed
 * order, no trailing newline.  Returns a string the caller frees with free(),
 * or NULL with VPMU_ERR_USAGE (no decision) or VPMU_ERR_RUNTIME (no host name,
 * no random bytes).
 */
VPMU_EXPORT char *vpmu_notification_build(const vpmu_notify_guest *guest,
                                          const vpmu_notify_overrides *overrides,
                                          vpmu_error **error);

/*
 * Write one notification as one line: "-" is standard output, anything else a
 * file opened with O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC (mode 0644 & ~umask),
 * so concurrent writers append whole lines.  VPMU_ERR_RUNTIME on I/O errors.
 */
VPMU_EXPORT int vpmu_notification_write(const char *target, const char *notification,
                                        vpmu_error **error);

/* True when @target names an AMQP broker (amqp:// or amqps://) rather than a file. */
VPMU_EXPORT bool vpmu_notify_target_is_amqp(const char *target);

/* AMQP publishing options; a zeroed struct (or NULL) means the defaults. */
typedef struct {
    const char *exchange;    /* NULL: "nova" (VPMU_NOTIFY_DEFAULT_EXCHANGE) */
    const char *routing_key; /* NULL: "versioned_notifications.info" */
    unsigned int timeout_ms; /* connect, login and each broker reply; 0: 5000 */
    bool durable;            /* oslo's amqp_durable_queues (default false) */
    const char *ca_file;     /* amqps://: PEM CA certificates to trust; NULL: the system's */
    const char *cert_file;   /* amqps://: a PEM client certificate (chain) to offer; NULL: none */
    const char *key_file;    /* its unencrypted PEM private key; NULL: in cert_file */
} vpmu_amqp_options;

/*
 * libvpmu-virt.  Publish one notification the way oslo.messaging's
 * messagingv2 driver does on RabbitMQ: declare the topic exchange (durable =
 * amqp_durable_queues, not auto-delete) and, like oslo's notifier, a queue
 * named after the routing key bound to it, so that nothing is lost before a
 * listener starts; then publish the oslo 2.0 envelope
 * {"oslo.version": "2.0", "oslo.message": "<the notification as a JSON
 * string>"} as application/json, persistent, and wait for the broker's
 * publisher confirm.  @url is amqp://[USER[:PASS]@]HOST[:PORT][/VHOST] or
 * amqps://... (TLS 1.2+, default port 5671); an empty vhost means "/".  Over
 * amqps:// the broker's certificate must chain to options->ca_file (or to the
 * system's CAs) and name HOST (a DNS name, or an IP address as an IP SAN);
 * otherwise nothing is sent.  With options->cert_file the client offers that
 * certificate, for a broker that verifies its peers (mutual TLS); its key
 * (options->key_file, else the same file) must match it and must not be
 * encrypted.  Errors: VPMU_ERR_USAGE for a bad URL (the password is never
 * shown), TLS files with amqp:// or a key without a certificate;
 * VPMU_ERR_RUNTIME when a TLS file cannot be loaded, the broker cannot be
 * reached, its certificate is not accepted, it refuses the client's, or it
 * refuses the login, the declarations or the message, or does not answer in
 * time.
 */
VPMU_EXPORT int vpmu_notification_publish_amqp(const char *url, const char *notification,
                                               const vpmu_amqp_options *options,
                                               vpmu_error **error);

/*
 * libvpmu-virt.  Load the TLS files of @options (ca_file, else the system's
 * trust store; cert_file and key_file) the way publishing over amqps://
 * does, without connecting: 0 when they load and the key belongs to the
 * certificate, so that a caller can refuse bad files before it changes
 * anything.  Errors as vpmu_notification_publish_amqp() reports them.
 */
VPMU_EXPORT int vpmu_amqp_check_tls_files(const vpmu_amqp_options *options, vpmu_error **error);

#ifdef __cplusplus
}
#endif
#endif /* VPMU_NOTIFY_H */

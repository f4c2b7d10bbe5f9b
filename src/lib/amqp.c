/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Publish a notification on AMQP 0-9-1 (RabbitMQ) the way oslo.messaging's
 * messagingv2 notification driver does, with librabbitmq (rabbitmq-c).
 *
 * What oslo.messaging does, checked in Debian 12's python3-oslo.messaging
 * 14.0.3 (oslo_messaging/notify/messaging.py, _drivers/amqpdriver.py,
 * _drivers/impl_rabbit.py, _drivers/common.py):
 *  - the target topic is TOPIC.PRIORITY ("versioned_notifications.info") on
 *    the control exchange (Nova's is "nova");
 *  - notify_send() declares the exchange as type "topic", durable =
 *    amqp_durable_queues (default False), auto_delete = amqp_auto_delete
 *    (default False);
 *  - _publish_and_creates_default_queue() also declares a queue named after
 *    the routing key, with the exchange's durable/auto_delete and no
 *    arguments (the defaults), bound with that key, so that notifications
 *    sent before any listener are kept;
 *  - the message gains "_unique_id" (uuid4().hex, the listener's duplicate
 *    check) and one "_context_KEY" per request-context key (none here);
 *  - serialize_msg() wraps it: {"oslo.version": "2.0", "oslo.message":
 *    jsonutils.dumps(msg)};
 *  - kombu publishes it JSON-encoded (content type application/json,
 *    encoding utf-8) with delivery mode 2 (persistent), not mandatory.
 * We add publisher confirms, so that success means the broker took it.
 *
 * amqps:// goes through librabbitmq's SSL socket (OpenSSL), as kombu's
 * ssl=True does, with the checks a TLS client owes its server: TLS 1.2 or
 * newer, the peer's chain verified against the CA file given or the system's
 * trust store (OpenSSL's default paths: /etc/ssl/certs, SSL_CERT_FILE), and
 * the URL's host name or IP address matched against the certificate during
 * the handshake, so that no byte of the login is sent to a broker that is
 * not the one named.  A client certificate and key (oslo's ssl_cert_file and
 * ssl_key_file) are offered when given, for a broker that verifies its peers
 * (RabbitMQ's ssl_options.verify = verify_peer); the key must match the
 * certificate and must not be encrypted: nothing could type its passphrase.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "util.h"
#include "vpmu/notify.h"

#if WITH_AMQP
#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_ssl_socket.h>
#include <amqp_tcp_socket.h>
#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>

#define CHANNEL 1
#define DEFAULT_TIMEOUT_MS 5000u

typedef struct {
    amqp_connection_state_t conn;
    bool open; /* logged in: close politely */
} broker;

static void
broker_done(broker *b)
{
    if (!b->conn)
        return;
    if (b->open)
        amqp_connection_close(b->conn, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(b->conn);
    b->conn = NULL;
}

/* uuid4().hex: 32 lower-case hex digits of a random version 4 UUID. */
static int
unique_id(char out[33], vpmu_error **error)
{
    unsigned char b[16];

    if (random_uuid4(b, error) < 0)
        return -1;
    for (size_t i = 0; i < sizeof(b); i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
    return 0;
}

/* The oslo 2.0 envelope around the notification, as the body to publish. */
static char *
oslo_envelope(const char *notification, vpmu_error **error)
{
    json_auto_t *msg = NULL;
    json_auto_t *env = NULL;
    _cleanup_free_ char *inner = NULL;
    json_error_t jerr;
    char uid[33];
    char *body;

    msg = json_loads(notification, JSON_REJECT_DUPLICATES, &jerr);
    if (!msg || !json_is_object(msg)) {
        vpmu_error_set(error, VPMU_ERR_INVALID, "the notification is not a JSON object: %s",
                       msg ? "not an object" : jerr.text);
        return NULL;
    }
    if (unique_id(uid, error) < 0)
        return NULL;
    json_object_set_new(msg, "_unique_id", json_string(uid));
    inner = json_dumps(msg, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!inner)
        abort();
    env = json_pack("{s:s, s:s}", "oslo.version", "2.0", "oslo.message", inner);
    if (!env)
        abort();
    body = json_dumps(env, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!body)
        abort();
    return body;
}

static struct timeval
ms_to_timeval(unsigned int ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (long)(ms % 1000) * 1000};
    return tv;
}

static long long
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Print an AMQP short string (not NUL-terminated) safely: at most 200 bytes. */
static char *
bytes_str(amqp_bytes_t b)
{
    size_t n = b.len < 200 ? b.len : 200;
    _cleanup_free_ char *raw = xstrndup(b.bytes ? (const char *)b.bytes : "", n);
    return quote_for_message(raw, 200);
}

/*
 * Turn a failed RPC reply into one message: "the AMQP broker at 'X' refused to
 * WHAT: CODE TEXT", or the library's reason (timeout, socket error, ...).
 */
/*
 * What OpenSSL's reason (NULL: none) for a TLS failure after the handshake
 * says of the client certificate.  There is no reason when the broker's close
 * reached us before its alert could be read (a slow client): it then ended
 * the session right after the handshake, which is what refusing a client
 * certificate looks like too.
 */
static const char *
client_cert_hint(const char *why)
{
    if (!why)
        return " (the broker ended the TLS session after the handshake, as a broker does that "
               "refuses the client certificate or wants one)";
    if (strstr(why, "certificate required"))
        return " (the broker asks for a client certificate)";
    if (strstr(why, "unknown ca") || strstr(why, "bad certificate"))
        return " (the broker did not accept the client certificate)";
    return "";
}

static void
rpc_error(amqp_rpc_reply_t r, const char *shown, const char *what, vpmu_error **error)
{
    _cleanup_free_ char *text = NULL;

    switch (r.reply_type) {
    case AMQP_RESPONSE_NONE:
        vpmu_error_set(error, VPMU_ERR_RUNTIME,
                       "the AMQP broker at '%s' did not answer to %s: no reply", shown, what);
        return;
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
        if (r.library_error == AMQP_STATUS_SSL_ERROR) {
            /* Under TLS 1.3 a broker refuses the client's certificate after the handshake: here. */
            unsigned long e = ERR_peek_last_error();
            const char *why = e ? ERR_reason_error_string(e) : NULL;

            vpmu_error_set(error, VPMU_ERR_RUNTIME, "the AMQP broker at '%s' failed to %s: %s%s%s",
                           shown, what, why ? "TLS: " : amqp_error_string2(r.library_error),
                           why ? why : "", client_cert_hint(why));
            return;
        }
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "the AMQP broker at '%s' failed to %s: %s", shown,
                       what, amqp_error_string2(r.library_error));
        return;
    case AMQP_RESPONSE_SERVER_EXCEPTION:
        if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
            const amqp_connection_close_t *m = r.reply.decoded;
            text = bytes_str(m->reply_text);
            vpmu_error_set(error, VPMU_ERR_RUNTIME, "the AMQP broker at '%s' refused to %s: %u %s",
                           shown, what, (unsigned)m->reply_code, text);
        } else if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
            const amqp_channel_close_t *m = r.reply.decoded;
            text = bytes_str(m->reply_text);
            vpmu_error_set(error, VPMU_ERR_RUNTIME, "the AMQP broker at '%s' refused to %s: %u %s",
                           shown, what, (unsigned)m->reply_code, text);
        } else {
            vpmu_error_set(error, VPMU_ERR_RUNTIME,
                           "the AMQP broker at '%s' refused to %s: unexpected method 0x%08x", shown,
                           what, (unsigned)r.reply.id);
        }
        return;
    case AMQP_RESPONSE_NORMAL:
        break;
    }
}

static int
check_rpc(amqp_connection_state_t conn, const char *shown, const char *what, vpmu_error **error)
{
    amqp_rpc_reply_t r = amqp_get_rpc_reply(conn);

    if (r.reply_type == AMQP_RESPONSE_NORMAL)
        return 0;
    rpc_error(r, shown, what, error);
    return -1;
}

/* Wait for the publisher confirm of delivery tag 1 on our channel. */
static int
wait_confirm(amqp_connection_state_t conn, unsigned int timeout_ms, const char *shown,
             vpmu_error **error)
{
    long long deadline = now_ms() + timeout_ms;

    for (;;) {
        long long left = deadline - now_ms();
        amqp_frame_t frame;
        struct timeval tv;
        int st;

        if (left <= 0)
            left = 0;
        tv = ms_to_timeval((unsigned int)left);
        st = amqp_simple_wait_frame_noblock(conn, &frame, &tv);
        if (st == AMQP_STATUS_TIMEOUT) {
            vpmu_error_set(error, VPMU_ERR_RUNTIME,
                           "the AMQP broker at '%s' did not confirm the notification within %u ms",
                           shown, timeout_ms);
            return -1;
        }
        if (st != AMQP_STATUS_OK) {
            vpmu_error_set(error, VPMU_ERR_RUNTIME,
                           "the AMQP broker at '%s' failed to confirm the notification: %s", shown,
                           amqp_error_string2(st));
            return -1;
        }
        if (frame.frame_type != AMQP_FRAME_METHOD)
            continue;
        switch (frame.payload.method.id) {
        case AMQP_BASIC_ACK_METHOD:
            return 0;
        case AMQP_BASIC_NACK_METHOD:
            vpmu_error_set(error, VPMU_ERR_RUNTIME,
                           "the AMQP broker at '%s' rejected the notification (basic.nack)", shown);
            return -1;
        case AMQP_CHANNEL_CLOSE_METHOD:
        case AMQP_CONNECTION_CLOSE_METHOD: {
            amqp_rpc_reply_t r = {.reply_type = AMQP_RESPONSE_SERVER_EXCEPTION,
                                  .reply = frame.payload.method};
            rpc_error(r, shown, "take the notification", error);
            return -1;
        }
        default:
            continue; /* basic.return and the like: keep waiting for the confirm */
        }
    }
}

/*
 * Connect to HOST:PORT within @timeout_ms, as librabbitmq's own open does
 * (non-blocking, close-on-exec, no Nagle), but keeping the reason a
 * connection failed ("Connection refused"), which librabbitmq reduces to "a
 * socket error occurred".  The caller hands the socket to librabbitmq.
 */
static int
open_tcp(const char *host, int port, unsigned int timeout_ms, const char *shown, vpmu_error **error)
{
    struct addrinfo hint = {
            .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_protocol = IPPROTO_TCP};
    struct addrinfo *list = NULL;
    long long deadline = now_ms() + timeout_ms;
    char service[16];
    int last = 0, rc;

    snprintf(service, sizeof(service), "%d", port);
    rc = getaddrinfo(host, service, &hint, &list);
    if (rc != 0) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot reach the AMQP broker at '%s': %s", shown,
                       rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return -1;
    }
    for (struct addrinfo *a = list; a; a = a->ai_next) {
        int one = 1, soerr = 0;
        socklen_t len = sizeof(soerr);
        struct pollfd pfd;
        int fd =
                socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);

        if (fd < 0) {
            last = errno;
            continue;
        }
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
            freeaddrinfo(list);
            return fd;
        }
        if (errno != EINPROGRESS) {
            last = errno;
            close(fd);
            continue;
        }
        pfd = (struct pollfd){.fd = fd, .events = POLLOUT};
        for (;;) {
            long long left = deadline - now_ms();
            rc = left > 0 ? poll(&pfd, 1, (int)left) : 0;
            if (rc < 0 && errno == EINTR)
                continue;
            break;
        }
        if (rc == 0) {
            close(fd);
            freeaddrinfo(list);
            vpmu_error_set(error, VPMU_ERR_RUNTIME,
                           "cannot reach the AMQP broker at '%s': no answer within %u ms", shown,
                           timeout_ms);
            return -1;
        }
        if (rc < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
            soerr = errno;
        if (soerr == 0) {
            freeaddrinfo(list);
            return fd;
        }
        last = soerr;
        close(fd);
    }
    freeaddrinfo(list);
    vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot reach the AMQP broker at '%s': %s", shown,
                   strerror(last ? last : ECONNREFUSED));
    return -1;
}

/*
 * The first certificate error of this thread's handshake: OpenSSL hands it to
 * the verify callback, which has no user pointer on the SSL_CTX that
 * librabbitmq owns.  One handshake per thread at a time.
 */
static __thread int tls_verify_error;

static int
tls_verify_cb(int ok, X509_STORE_CTX *store)
{
    if (!ok && tls_verify_error == X509_V_OK) {
        tls_verify_error = X509_STORE_CTX_get_error(store);
        if (tls_verify_error == X509_V_OK)
            tls_verify_error = X509_V_ERR_UNSPECIFIED;
    }
    return ok;
}

/* OpenSSL's reason for the last failure, or @fallback. */
static const char *
tls_reason(const char *fallback)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;

    return r ? r : fallback;
}

/* OpenSSL's passphrase callback: none is ever asked for (it would prompt on the terminal). */
static int
no_passphrase(char *buf, int size, int rwflag, void *user)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)user;
    return -1;
}

/* The client certificate (chain) and its key, offered when the broker asks for one. */
static int
tls_client_identity(SSL_CTX *ctx, const char *cert_file, const char *key_file, vpmu_error **error)
{
    _cleanup_free_ char *qc = quote_for_message(cert_file, 200);
    _cleanup_free_ char *qk = quote_for_message(key_file ? key_file : cert_file, 200);

    ERR_clear_error();
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME,
                       "cannot load the client certificate from '%s': %s (expected PEM)", qc,
                       tls_reason("no certificate found"));
        return -1;
    }
    ERR_clear_error();
    if (SSL_CTX_use_PrivateKey_file(ctx, key_file ? key_file : cert_file, SSL_FILETYPE_PEM) != 1) {
        if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
            vpmu_error_set(error, VPMU_ERR_RUNTIME,
                           "the client key '%s' does not belong to the certificate '%s'", qk, qc);
            return -1;
        }
        vpmu_error_set(error, VPMU_ERR_RUNTIME,
                       "cannot load the client key from '%s': %s (expected an unencrypted PEM key)",
                       qk, tls_reason("no key found"));
        return -1;
    }
    ERR_clear_error();
    if (SSL_CTX_check_private_key(ctx) != 1) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME,
                       "the client key '%s' does not belong to the certificate '%s'", qk, qc);
        return -1;
    }
    return 0;
}

/* The TLS options that make no sense together. */
static int
tls_options_usage(const vpmu_amqp_options *o, vpmu_error **error)
{
    if (o->key_file && !o->cert_file) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "a client key needs its client certificate");
        return -1;
    }
    return 0;
}

/*
 * The files of @o on @ctx: the CAs to trust (@o->ca_file, else the system's
 * trust store) and the client identity, if any.  No passphrase is ever asked.
 */
static int
tls_load_files(SSL_CTX *ctx, const vpmu_amqp_options *o, vpmu_error **error)
{
    const char *ca_file = o->ca_file;

    ERR_clear_error();
    if (ca_file) {
        _cleanup_free_ char *q = quote_for_message(ca_file, 200);
        FILE *f = fopen(ca_file, "re");

        if (!f) {
            vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot read the CA file '%s': %s", q,
                           strerror(errno));
            return -1;
        }
        fclose(f);
        if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
            vpmu_error_set(error, VPMU_ERR_RUNTIME,
                           "cannot load CA certificates from '%s': %s (expected PEM)", q,
                           tls_reason("no certificate found"));
            return -1;
        }
    } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot load the system's CA certificates: %s",
                       tls_reason("unknown error"));
        return -1;
    }
    SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
    return o->cert_file ? tls_client_identity(ctx, o->cert_file, o->key_file, error) : 0;
}

/*
 * Versions, trust, the client identity and the name check on librabbitmq's
 * SSL_CTX, before it connects.
 */
static int
tls_setup(amqp_socket_t *sock, const char *host, const vpmu_amqp_options *o, vpmu_error **error)
{
    SSL_CTX *ctx = amqp_ssl_socket_get_context(sock);
    X509_VERIFY_PARAM *param;
    unsigned char ip[sizeof(struct in6_addr)];
    int ok;

    if (!ctx) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot set up TLS for the AMQP connection");
        return -1;
    }
    if (amqp_ssl_socket_set_ssl_versions(sock, AMQP_TLSv1_2, AMQP_TLSvLATEST) != AMQP_STATUS_OK) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot require TLS 1.2 or newer for AMQP");
        return -1;
    }
    if (tls_load_files(ctx, o, error) < 0)
        return -1;
    /* The name in the URL, checked by OpenSSL in the handshake: an IP
     * address against the certificate's IP addresses, a name against its DNS
     * names (no partial wildcards). */
    param = SSL_CTX_get0_param(ctx);
    if (inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1) {
        ok = X509_VERIFY_PARAM_set1_ip_asc(param, host);
    } else {
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        ok = X509_VERIFY_PARAM_set1_host(param, host, 0);
    }
    if (ok != 1) {
        _cleanup_free_ char *q = quote_for_message(host, 200);
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot check the AMQP broker's name '%s' with TLS",
                       q);
        return -1;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, tls_verify_cb);
    amqp_ssl_socket_set_verify_peer(sock, 1);
    /* OpenSSL has checked the name already, IP addresses included. */
    amqp_ssl_socket_set_verify_hostname(sock, 0);
    return 0;
}

/* Connect and handshake within @timeout_ms; errors name the broker and the reason. */
static int
tls_open(amqp_socket_t *sock, const char *host, int port, const char *ca_file,
         unsigned int timeout_ms, const char *shown, vpmu_error **error)
{
    struct timeval tv = ms_to_timeval(timeout_ms);
    _cleanup_free_ char *trust = NULL;
    int st;

    tls_verify_error = X509_V_OK;
    ERR_clear_error();
    st = amqp_socket_open_noblock(sock, host, port, &tv);
    if (st == AMQP_STATUS_OK)
        return 0;
    if (tls_verify_error != X509_V_OK) {
        if (ca_file) {
            _cleanup_free_ char *q = quote_for_message(ca_file, 200);
            trust = xasprintf("the CAs of '%s'", q);
        } else {
            trust = xstrdup("the system's CAs");
        }
        vpmu_error_set(error, VPMU_ERR_RUNTIME,
                       "the certificate of the AMQP broker at '%s' was not accepted: %s (checked "
                       "against %s)",
                       shown, X509_verify_cert_error_string(tls_verify_error), trust);
        return -1;
    }
    if (st == AMQP_STATUS_SOCKET_ERROR || st == AMQP_STATUS_HOSTNAME_RESOLUTION_FAILED) {
        /* librabbitmq keeps no reason: connect once more to learn it. */
        int fd = open_tcp(host, port, timeout_ms, shown, error);
        if (fd < 0)
            return -1;
        close(fd);
    }
    if (st == AMQP_STATUS_TIMEOUT) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME,
                       "cannot reach the AMQP broker at '%s': no TLS handshake within %u ms", shown,
                       timeout_ms);
        return -1;
    }
    if (st == AMQP_STATUS_SOCKET_ERROR || st == AMQP_STATUS_HOSTNAME_RESOLUTION_FAILED) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot reach the AMQP broker at '%s': %s", shown,
                       amqp_error_string2(st));
        return -1;
    }
    vpmu_error_set(error, VPMU_ERR_RUNTIME,
                   "the TLS handshake with the AMQP broker at '%s' failed: %s", shown,
                   tls_reason(amqp_error_string2(st)));
    return -1;
}

int
vpmu_notification_publish_amqp(const char *url, const char *notification,
                               const vpmu_amqp_options *options, vpmu_error **error)
{
    static const vpmu_amqp_options defaults = {0};
    const vpmu_amqp_options *o = options ? options : &defaults;
    const char *exchange = o->exchange && *o->exchange ? o->exchange : VPMU_NOTIFY_DEFAULT_EXCHANGE;
    const char *key = o->routing_key && *o->routing_key ? o->routing_key : VPMU_NOTIFY_ROUTING_KEY;
    unsigned int timeout_ms = o->timeout_ms ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
    __attribute__((cleanup(broker_done))) broker b = {0};
    _cleanup_free_ char *copy = NULL;
    _cleanup_free_ char *shown = NULL;
    _cleanup_free_ char *body = NULL;
    _cleanup_free_ char *what = NULL;
    struct amqp_connection_info ci;
    amqp_basic_properties_t props;
    amqp_socket_t *sock;
    struct timeval tv;
    const char *vhost;
    bool tls;
    int st;

    if (!url || !notification) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "publishing needs a broker URL and a message");
        return -1;
    }
    tls = strncmp(url, "amqps://", 8) == 0;
    if (!tls && strncmp(url, "amqp://", 7) != 0) {
        vpmu_error_set(error, VPMU_ERR_USAGE,
                       "unsupported notification URL scheme; use amqp://USER:PASS@HOST:PORT/VHOST "
                       "or amqps://USER:PASS@HOST:PORT/VHOST");
        return -1;
    }
    if ((o->ca_file || o->cert_file || o->key_file) && !tls) {
        vpmu_error_set(error, VPMU_ERR_USAGE,
                       "a CA file, client certificate or key is only used with amqps:// (TLS), "
                       "not with amqp://");
        return -1;
    }
    if (tls_options_usage(o, error) < 0)
        return -1;
    copy = xstrdup(url);
    amqp_default_connection_info(&ci);
    if (amqp_parse_url(copy, &ci) != AMQP_STATUS_OK || !ci.host || !*ci.host) {
        /* The URL may hold a password: never repeat it. */
        vpmu_error_set(error, VPMU_ERR_USAGE,
                       "invalid AMQP URL; expected %s://USER:PASS@HOST:PORT/VHOST",
                       tls ? "amqps" : "amqp");
        return -1;
    }
    /* "amqp://h:p/" leaves the vhost empty; like kombu (virtual_host or '/'), use "/". */
    vhost = ci.vhost && *ci.vhost ? ci.vhost : "/";
    {
        /* amqp_parse_url() decodes %XX: the user, host and vhost may hold any byte now. */
        _cleanup_free_ char *raw = xasprintf(
                strchr(ci.host, ':') ? "%s://%s@[%s]:%d/%s" : "%s://%s@%s:%d/%s",
                tls ? "amqps" : "amqp", ci.user, ci.host, ci.port, STREQ(vhost, "/") ? "" : vhost);
        shown = quote_for_message(raw, 300);
    }

    body = oslo_envelope(notification, error);
    if (!body)
        return -1;

    b.conn = amqp_new_connection();
    if (!b.conn)
        abort();
    sock = tls ? amqp_ssl_socket_new(b.conn) : amqp_tcp_socket_new(b.conn);
    if (!sock) {
        if (!tls)
            abort();
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot set up TLS for the AMQP connection: %s",
                       tls_reason("out of memory"));
        return -1;
    }
    tv = ms_to_timeval(timeout_ms);
    if (amqp_set_handshake_timeout(b.conn, &tv) != AMQP_STATUS_OK ||
        amqp_set_rpc_timeout(b.conn, &tv) != AMQP_STATUS_OK) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot set the AMQP timeouts");
        return -1;
    }
    if (tls) {
        if (tls_setup(sock, ci.host, o, error) < 0 ||
            tls_open(sock, ci.host, ci.port, o->ca_file, timeout_ms, shown, error) < 0)
            return -1;
    } else {
        int fd = open_tcp(ci.host, ci.port, timeout_ms, shown, error);
        if (fd < 0)
            return -1;
        amqp_tcp_socket_set_sockfd(sock, fd); /* closed by amqp_destroy_connection() */
    }

    ERR_clear_error();
    amqp_rpc_reply_t r = amqp_login(b.conn, vhost, 0, AMQP_DEFAULT_FRAME_SIZE, 0,
                                    AMQP_SASL_METHOD_PLAIN, ci.user, ci.password);
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        what = xasprintf("log in as '%s' to vhost '%s'", ci.user, vhost);
        rpc_error(r, shown, what, error);
        return -1;
    }
    b.open = true;

    amqp_channel_open(b.conn, CHANNEL);
    if (check_rpc(b.conn, shown, "open a channel", error) < 0)
        return -1;

    amqp_exchange_declare(b.conn, CHANNEL, amqp_cstring_bytes(exchange),
                          amqp_cstring_bytes("topic"), false, o->durable, false, false,
                          amqp_empty_table);
    what = xasprintf("declare the topic exchange '%s' (durable=%s)", exchange,
                     o->durable ? "true" : "false");
    if (check_rpc(b.conn, shown, what, error) < 0)
        return -1;
    free(TAKE_PTR(what));

    amqp_queue_declare(b.conn, CHANNEL, amqp_cstring_bytes(key), false, o->durable, false, false,
                       amqp_empty_table);
    what = xasprintf("declare the queue '%s'", key);
    if (check_rpc(b.conn, shown, what, error) < 0)
        return -1;
    free(TAKE_PTR(what));

    amqp_queue_bind(b.conn, CHANNEL, amqp_cstring_bytes(key), amqp_cstring_bytes(exchange),
                    amqp_cstring_bytes(key), amqp_empty_table);
    what = xasprintf("bind the queue '%s' to the exchange '%s'", key, exchange);
    if (check_rpc(b.conn, shown, what, error) < 0)
        return -1;
    free(TAKE_PTR(what));

    amqp_confirm_select(b.conn, CHANNEL);
    if (check_rpc(b.conn, shown, "turn on publisher confirms", error) < 0)
        return -1;

    memset(&props, 0, sizeof(props));
    props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_CONTENT_ENCODING_FLAG |
                   AMQP_BASIC_DELIVERY_MODE_FLAG;
    props.content_type = amqp_cstring_bytes("application/json");
    props.content_encoding = amqp_cstring_bytes("utf-8");
    props.delivery_mode = AMQP_DELIVERY_PERSISTENT;
    st = amqp_basic_publish(b.conn, CHANNEL, amqp_cstring_bytes(exchange), amqp_cstring_bytes(key),
                            false, false, &props, amqp_cstring_bytes(body));
    if (st != AMQP_STATUS_OK) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME,
                       "cannot publish the notification to the AMQP broker at '%s': %s", shown,
                       amqp_error_string2(st));
        return -1;
    }
    if (wait_confirm(b.conn, timeout_ms, shown, error) < 0)
        return -1;

    amqp_channel_close(b.conn, CHANNEL, AMQP_REPLY_SUCCESS);
    return 0;
}

int
vpmu_amqp_check_tls_files(const vpmu_amqp_options *options, vpmu_error **error)
{
    static const vpmu_amqp_options defaults = {0};
    const vpmu_amqp_options *o = options ? options : &defaults;
    SSL_CTX *ctx;
    int r;

    if (tls_options_usage(o, error) < 0)
        return -1;
    ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot set up TLS: %s",
                       tls_reason("out of memory"));
        return -1;
    }
    r = tls_load_files(ctx, o, error);
    SSL_CTX_free(ctx);
    return r;
}

#else /* !WITH_AMQP */

int
vpmu_amqp_check_tls_files(const vpmu_amqp_options *options, vpmu_error **error)
{
    (void)options;
    vpmu_error_set(error, VPMU_ERR_RUNTIME,
                   "this vpmu was built without AMQP support (librabbitmq)");
    return -1;
}

int
vpmu_notification_publish_amqp(const char *url, const char *notification,
                               const vpmu_amqp_options *options, vpmu_error **error)
{
    (void)url;
    (void)notification;
    (void)options;
    vpmu_error_set(error, VPMU_ERR_RUNTIME,
                   "this vpmu was built without AMQP support (librabbitmq)");
    return -1;
}

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --notify for boot and apply: one versioned notification per configured
 * guest, to "-", a file (JSON lines) or an AMQP broker, amqp:// or amqps://
 * (docs/notifications.md).  The broker URL may also come from a file that
 * only its owner can read (--notify-url-file) or from $VPMU_NOTIFY_URL, so
 * that its password is not on the command line, where ps shows it.
 *
 * The notification is sent after the guest was configured.  When sending
 * fails, the guest stays as configured (nothing is rolled back) and we say so,
 * then exit 1: the caller learns both facts and can resend or reconcile.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "virtload.h"
#include "vpmu/notify.h"

/* The length of "SCHEME:" at the start of @s (RFC 3986 letters), 0 if none. */
static size_t
scheme_len(const char *s)
{
    size_t i = 0;

    if (!isalpha((unsigned char)s[0]))
        return 0;
    while (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')
        i++;
    return s[i] == ':' ? i + 1 : 0;
}

/* amqp[s]://[USER[:PASS]@]HOST[:PORT][/VHOST]: a host, a port 1-65535 if given. */
static bool
amqp_url_ok(const char *url)
{
    const char *auth = strstr(url, "://") + 3;
    const char *end = auth + strcspn(auth, "/?#");
    const char *host = auth, *port = NULL;

    for (const char *p = auth; p < end; p++)
        if (*p == '@')
            host = p + 1;
    if (host < end && *host == '[') {
        const char *close = memchr(host, ']', (size_t)(end - host));
        if (!close || close == host + 1)
            return false;
        if (close + 1 < end) {
            if (close[1] != ':')
                return false;
            port = close + 2;
        }
    } else {
        const char *colon = memchr(host, ':', (size_t)(end - host));
        if ((colon ? colon : end) == host)
            return false;
        port = colon ? colon + 1 : NULL;
    }
    if (port) {
        unsigned long v = 0;
        if (port == end)
            return false;
        for (const char *p = port; p < end; p++) {
            if (!isdigit((unsigned char)*p))
                return false;
            v = v * 10 + (unsigned long)(*p - '0');
            if (v > 65535)
                return false;
        }
        if (v == 0)
            return false;
    }
    return true;
}

int
cli_notify_check(const char *cmd, const char *target)
{
    struct stat st;
    size_t sl;

    if (!target || STREQ(target, "-"))
        return CLI_EXIT_OK;
    if (!*target)
        return cli_usage(cmd, "--notify needs a target: '-', a FILE or amqp://...");
    sl = scheme_len(target);
    if (sl) {
        /* A URL: never a file name, whatever the scheme. */
        if (strncmp(target, "amqp://", 7) == 0 || strncmp(target, "amqps://", 8) == 0) {
            if (!amqp_url_ok(target))
                return cli_usage(cmd,
                                 "invalid --notify URL '%s'; expected "
                                 "amqp://USER:PASS@HOST:PORT/VHOST or amqps://... (port 1-65535)",
                                 cli_e_uri(target));
            return CLI_EXIT_OK;
        }
        return cli_usage(cmd,
                         "unsupported --notify target '%s': the scheme must be 'amqp://' or "
                         "'amqps://' (lowercase); for a file whose name has a ':', write ./NAME",
                         cli_e_uri(target));
    }
    if (stat(target, &st) == 0) {
        if (!S_ISREG(st.st_mode))
            return cli_usage(cmd,
                             "--notify '%s' is not a regular file (a directory, FIFO or device)",
                             cli_e(target));
        return CLI_EXIT_OK;
    }
    if (errno == ENOENT) {
        _cleanup_free_ char *dir = xstrdup(target);
        char *slash = strrchr(dir, '/');
        const char *d = slash ? (slash == dir ? "/" : (*slash = '\0', dir)) : ".";
        if (stat(d, &st) == 0 && S_ISDIR(st.st_mode))
            return CLI_EXIT_OK;
        return cli_usage(cmd, "--notify '%s': no such directory '%s'", cli_e(target), cli_e(d));
    }
    return cli_usage(cmd, "--notify '%s': %s", cli_e(target), strerror(errno));
}

const char cli_notify_help[] =
        "Notifications:\n"
        "  --notify TARGET        emit a versioned notification: '-', a FILE (JSON lines),\n"
        "                         amqp://USER:PASS@HOST:PORT/VHOST or amqps://... (TLS)\n"
        "  --notify-url-file FILE the amqp:// or amqps:// URL, read from FILE (mode 0600\n"
        "                         or stricter): no password on the command line;\n"
        "                         $VPMU_NOTIFY_URL is used when neither is given\n"
        "  --notify-ca FILE       the PEM CA certificates amqps:// trusts (default: the\n"
        "                         system's)\n"
        "  --notify-cert FILE     a PEM client certificate amqps:// offers, for a broker\n"
        "                         that verifies its clients (mutual TLS)\n"
        "  --notify-key FILE      its unencrypted PEM private key, not readable by others\n"
        "                         (default: in the --notify-cert file)\n"
        "  --notify-exchange NAME AMQP exchange (default: nova)\n";

/* The most a URL file may hold: a URL with a long password fits many times. */
#define URL_FILE_MAX 4096

int
cli_notify_opt(cli_notify_opts *n, int opt, const char *arg)
{
    switch (opt) {
    case CLI_OPT_NOTIFY:
        n->target = arg;
        return 1;
    case CLI_OPT_NOTIFY_EXCHANGE:
        n->exchange = arg;
        return 1;
    case CLI_OPT_NOTIFY_CA:
        n->ca_file = arg;
        return 1;
    case CLI_OPT_NOTIFY_CERT:
        n->cert_file = arg;
        return 1;
    case CLI_OPT_NOTIFY_KEY:
        n->key_file = arg;
        return 1;
    case CLI_OPT_NOTIFY_URL_FILE:
        n->url_file = arg;
        return 1;
    default:
        return 0;
    }
}

void
cli_notify_opts_clear(cli_notify_opts *n)
{
    if (n->url) {
        explicit_bzero(n->url, strlen(n->url));
        free(n->url);
    }
    n->url = NULL;
    n->resolved = NULL;
}

static bool
is_amqp_url(const char *s)
{
    return strncmp(s, "amqp://", 7) == 0 || strncmp(s, "amqps://", 8) == 0;
}

/*
 * The URL of --notify-url-file: a regular file that only its owner can read
 * or write, holding one line.  Its content is never printed.
 */
static int
read_url_file(cli_notify_opts *n, const char *cmd)
{
    const char *path = n->url_file;
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    char buf[URL_FILE_MAX + 1];
    struct stat st;
    size_t len = 0;
    ssize_t got;

    if (fd < 0) {
        fprintf(stderr, "vpmu: cannot open the --notify-url-file '%s': %s\n", cli_e(path),
                strerror(errno));
        return CLI_EXIT_RUNTIME;
    }
    if (fstat(fd, &st) < 0) {
        fprintf(stderr, "vpmu: cannot open the --notify-url-file '%s': %s\n", cli_e(path),
                strerror(errno));
        return CLI_EXIT_RUNTIME;
    }
    if (!S_ISREG(st.st_mode))
        return cli_usage(cmd, "the --notify-url-file '%s' is not a regular file", cli_e(path));
    if (st.st_mode & 077)
        return cli_usage(cmd,
                         "the --notify-url-file '%s' has mode %04o: it holds a password, so "
                         "group and others must have no access (chmod 600 it)",
                         cli_e(path), (unsigned)(st.st_mode & 07777));
    while (len < sizeof(buf) && (got = read(fd, buf + len, sizeof(buf) - len)) != 0) {
        if (got < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "vpmu: cannot read the --notify-url-file '%s': %s\n", cli_e(path),
                    strerror(errno));
            explicit_bzero(buf, sizeof(buf));
            return CLI_EXIT_RUNTIME;
        }
        len += (size_t)got;
    }
    if (len > URL_FILE_MAX) {
        explicit_bzero(buf, sizeof(buf));
        return cli_usage(cmd, "the --notify-url-file '%s' is larger than %d bytes", cli_e(path),
                         URL_FILE_MAX);
    }
    /* One line: a final newline (or CR LF) and trailing blanks are not part of it. */
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' ' ||
                       buf[len - 1] == '\t'))
        len--;
    buf[len] = '\0';
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f) {
            explicit_bzero(buf, sizeof(buf));
            return cli_usage(cmd,
                             "the --notify-url-file '%s' must hold one line, the URL, and no "
                             "control characters",
                             cli_e(path));
        }
    }
    if (!is_amqp_url(buf)) {
        explicit_bzero(buf, sizeof(buf));
        return cli_usage(cmd, "the --notify-url-file '%s' does not hold an amqp:// or amqps:// URL",
                         cli_e(path));
    }
    n->url = xstrdup(buf);
    explicit_bzero(buf, sizeof(buf));
    return CLI_EXIT_OK;
}

/* What a PEM file of a --notify-* option must hold (both: a certificate and its key). */
#define PEM_CERTIFICATE 1u
#define PEM_PRIVATE_KEY 2u

/*
 * A --notify-ca, --notify-cert or --notify-key file, checked before anything
 * is changed: a regular file whose first 8 KiB hold what @kinds asks for.  A
 * private key must not be readable by others, and must not be encrypted: no
 * one is there to type a passphrase.  Only its start is read, and none of it
 * is printed.
 */
static int
check_pem_file(const char *cmd, const char *option, const char *path, unsigned kinds)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    char head[8192];
    struct stat st;
    ssize_t got;

    if (fd < 0 || fstat(fd, &st) < 0) {
        fprintf(stderr, "vpmu: cannot read the %s file '%s': %s\n", option, cli_e(path),
                strerror(errno));
        return CLI_EXIT_RUNTIME;
    }
    if (!S_ISREG(st.st_mode))
        return cli_usage(cmd, "the %s file '%s' is not a regular file", option, cli_e(path));
    if ((kinds & PEM_PRIVATE_KEY) && (st.st_mode & 007))
        return cli_usage(cmd,
                         "the %s file '%s' has mode %04o: it holds a private key, so others "
                         "must have no access (chmod o-rwx it)",
                         option, cli_e(path), (unsigned)(st.st_mode & 07777));
    do
        got = read(fd, head, sizeof(head) - 1);
    while (got < 0 && errno == EINTR);
    if (got < 0) {
        fprintf(stderr, "vpmu: cannot read the %s file '%s': %s\n", option, cli_e(path),
                strerror(errno));
        return CLI_EXIT_RUNTIME;
    }
    head[got] = '\0';
    if ((kinds & PEM_CERTIFICATE) && !strstr(head, "-----BEGIN CERTIFICATE-----"))
        return cli_usage(cmd, "the %s file '%s' holds no PEM certificate", option, cli_e(path));
    if (kinds & PEM_PRIVATE_KEY) {
        bool encrypted = strstr(head, "-----BEGIN ENCRYPTED PRIVATE KEY-----") ||
                         strstr(head, "Proc-Type: 4,ENCRYPTED");
        /* "-----BEGIN PRIVATE KEY-----", or "... RSA PRIVATE KEY", "... EC PRIVATE KEY". */
        bool key = strstr(head, "PRIVATE KEY-----");

        explicit_bzero(head, sizeof(head));
        if (encrypted)
            return cli_usage(cmd,
                             "the %s file '%s' holds an encrypted private key: vpmu runs "
                             "unattended and cannot ask for its passphrase",
                             option, cli_e(path));
        if (!key)
            return cli_usage(cmd, "the %s file '%s' holds no PEM private key", option, cli_e(path));
    }
    return CLI_EXIT_OK;
}

int
cli_notify_resolve(cli_notify_opts *n, const char *cmd)
{
    const char *env = getenv("VPMU_NOTIFY_URL");
    /* The TLS files, in the order they are checked; the key is in the certificate file by default.
     */
    const struct {
        const char *option, *path;
        unsigned kinds;
    } tls_files[] = {
            {"--notify-ca", n->ca_file, PEM_CERTIFICATE},
            {"--notify-cert", n->cert_file, PEM_CERTIFICATE | (n->key_file ? 0 : PEM_PRIVATE_KEY)},
            {"--notify-key", n->key_file, PEM_PRIVATE_KEY},
    };
    int r;

    cli_notify_opts_clear(n);
    if (n->target && n->url_file)
        return cli_usage(cmd, "--notify and --notify-url-file exclude each other");
    if (n->target) {
        n->resolved = n->target;
    } else if (n->url_file) {
        if ((r = read_url_file(n, cmd)) != CLI_EXIT_OK)
            return r;
        n->resolved = n->url;
    } else if (env && *env) {
        if (!is_amqp_url(env))
            return cli_usage(cmd, "$VPMU_NOTIFY_URL is not an amqp:// or amqps:// URL");
        n->url = xstrdup(env);
        n->resolved = n->url;
    }
    if (n->target && (r = cli_notify_check(cmd, n->target)) != CLI_EXIT_OK)
        return r;
    if (n->url && (r = cli_notify_check(cmd, n->url)) != CLI_EXIT_OK)
        return r;
    if (n->key_file && !n->cert_file)
        return cli_usage(cmd, "--notify-key needs --notify-cert");
    if (!n->resolved) {
        if (n->exchange)
            return cli_usage(cmd, "--notify-exchange needs --notify, --notify-url-file or "
                                  "$VPMU_NOTIFY_URL");
        for (size_t i = 0; i < ELEMENTSOF(tls_files); i++)
            if (tls_files[i].path)
                return cli_usage(cmd, "%s needs --notify, --notify-url-file or $VPMU_NOTIFY_URL",
                                 tls_files[i].option);
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < ELEMENTSOF(tls_files); i++) {
        if (!tls_files[i].path)
            continue;
        if (strncmp(n->resolved, "amqps://", 8) != 0)
            return cli_usage(cmd, "%s is only used with an amqps:// target", tls_files[i].option);
        if ((r = check_pem_file(cmd, tls_files[i].option, tls_files[i].path, tls_files[i].kinds)) !=
            CLI_EXIT_OK)
            return r;
    }
    if (strncmp(n->resolved, "amqps://", 8) == 0) {
        /* Loaded as the publication will load them, before any guest is touched. */
        vpmu_amqp_options opts = {
                .ca_file = n->ca_file, .cert_file = n->cert_file, .key_file = n->key_file};
        vpmu_error *err = NULL;

        if (cli_virt_load(&err) < 0 || VIRT(vpmu_amqp_check_tls_files)(&opts, &err) < 0)
            return cli_fail(err);
    }
    return CLI_EXIT_OK;
}

static int
notify_failed(vpmu_error *err, const char *domain_name, const char *domain_uuid)
{
    fprintf(stderr, "vpmu: %s\n", cli_e(vpmu_error_get_message(err)));
    vpmu_error_free(err);
    fprintf(stderr,
            "vpmu: guest '%s'%s%s%s was configured and stays configured (nothing was rolled "
            "back), but its notification was not sent\n",
            domain_name ? cli_e(domain_name) : "(unnamed)", domain_uuid ? " (" : "",
            domain_uuid ? cli_e(domain_uuid) : "", domain_uuid ? ")" : "");
    return CLI_EXIT_RUNTIME;
}

int
cli_notify(const cli_global *g, const cli_notify_opts *n, const cli_policy *p,
           const char *domain_name, const char *domain_uuid, const char *effective)
{
    vpmu_error *err = NULL;
    _cleanup_free_ char *msg = NULL;
    const char *target = n->resolved;
    vpmu_notify_guest guest = {
            .flavor = p->flavor,
            .image = p->image,
            .decision = &p->decision,
            .effective = effective,
            .domain_name = domain_name,
            .domain_uuid = domain_uuid,
    };
    int r;

    (void)g;
    if (!target)
        return CLI_EXIT_OK;
    msg = vpmu_notification_build(&guest, NULL, &err);
    if (!msg)
        return notify_failed(err, domain_name, domain_uuid);

    if (vpmu_notify_target_is_amqp(target)) {
        vpmu_amqp_options opts = {.exchange = n->exchange,
                                  .ca_file = n->ca_file,
                                  .cert_file = n->cert_file,
                                  .key_file = n->key_file};

        if (cli_virt_load(&err) < 0)
            return notify_failed(err, domain_name, domain_uuid);
        r = VIRT(vpmu_notification_publish_amqp)(target, msg, &opts, &err);
    } else {
        /* Keep the command's own output and the notification line in order. */
        if (STREQ(target, "-"))
            fflush(stdout);
        r = vpmu_notification_write(target, msg, &err);
    }
    if (r < 0)
        return notify_failed(err, domain_name, domain_uuid);
    return CLI_EXIT_OK;
}

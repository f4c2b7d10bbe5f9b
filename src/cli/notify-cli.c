/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --notify for boot and apply: one versioned notification per configured
 * guest, to "-", a file (JSON lines) or an AMQP broker (docs/notifications.md).
 *
 * The notification is sent after the guest was configured.  When sending
 * fails, the guest stays as configured (nothing is rolled back) and we say so,
 * then exit 1: the caller learns both facts and can resend or reconcile.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

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

/* amqp://[USER[:PASS]@]HOST[:PORT][/VHOST]: a host, a port 1-65535 if given. */
static bool
amqp_url_ok(const char *url)
{
    const char *auth = url + strlen("amqp://");
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
        if (strncmp(target, "amqp://", 7) == 0) {
            if (!amqp_url_ok(target))
                return cli_usage(cmd,
                                 "invalid --notify URL '%s'; expected "
                                 "amqp://USER:PASS@HOST:PORT/VHOST (port 1-65535)",
                                 cli_e_uri(target));
            return CLI_EXIT_OK;
        }
        if (strncmp(target, "amqps://", 8) == 0)
            return cli_usage(cmd, "--notify amqps:// is not supported by this build; use amqp://");
        return cli_usage(cmd,
                         "unsupported --notify target '%s': the scheme must be 'amqp://' "
                         "(lowercase); for a file whose name has a ':', write ./NAME",
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

static int
notify_failed(vpmu_error *err, const char *domain_name, const char *domain_uuid)
{
    fprintf(stderr, "vpmu: %s\n", vpmu_error_get_message(err));
    vpmu_error_free(err);
    fprintf(stderr,
            "vpmu: guest '%s'%s%s%s was configured and stays configured (nothing was rolled "
            "back), but its notification was not sent\n",
            domain_name ? domain_name : "(unnamed)", domain_uuid ? " (" : "",
            domain_uuid ? domain_uuid : "", domain_uuid ? ")" : "");
    return CLI_EXIT_RUNTIME;
}

int
cli_notify(const cli_global *g, const char *target, const char *exchange, const cli_policy *p,
           const char *domain_name, const char *domain_uuid, const char *effective)
{
    vpmu_error *err = NULL;
    _cleanup_free_ char *msg = NULL;
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
        vpmu_amqp_options opts = {.exchange = exchange};

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

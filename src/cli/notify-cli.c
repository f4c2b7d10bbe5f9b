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

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "virtload.h"
#include "vpmu/notify.h"

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

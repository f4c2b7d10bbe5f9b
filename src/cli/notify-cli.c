/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Notification glue for boot and apply: stub until the notify module lands. */
#include "config.h"

#include "cli.h"

int
cli_notify(const cli_global *g, const char *target, const char *exchange, const cli_policy *p,
           const char *domain_name, const char *domain_uuid, const char *effective)
{
    (void)g;
    (void)exchange;
    (void)p;
    (void)domain_name;
    (void)domain_uuid;
    (void)effective;
    if (!target)
        return CLI_EXIT_OK;
    fprintf(stderr, "vpmu: the guest was configured, but --notify is not implemented yet\n");
    return CLI_EXIT_RUNTIME;
}

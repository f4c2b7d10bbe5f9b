/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The CLI's side of Nova and Glance (cloud-cli.c): the session for
 * --flavor-id / --image-id, and audit --cloud's drift of each domain.
 * libvpmu-virt is loaded on first use (virtload.h).
 */
#ifndef VPMU_CLI_CLOUD_H
#define VPMU_CLI_CLOUD_H

#include <jansson.h>
#include <stdio.h>

#include "vpmu/drift.h"
#include "vpmu/osclient.h"

struct cli_global;

/*
 * Open the session of @os_cloud (NULL: the OS_* variables) and a client on
 * it, once; later calls return the same client.  -1 with the session's error.
 */
vpmu_osclient *cli_cloud_client(const char *os_cloud, vpmu_error **error);
/* Close what cli_cloud_client() opened (at exit; safe when nothing was). */
void cli_cloud_close(void);
/* Tokens asked of Keystone so far, 0 when no session was opened. */
unsigned cli_cloud_token_count(void);

/* audit --cloud: the drift of every domain, and the counts for the summary. */
typedef struct {
    vpmu_osclient *client;
    size_t n[VPMU_DRIFT_LAST];
    double seconds;      /* spent waiting for Keystone, Nova and Glance */
    double auth_seconds; /* of which opening the session (Keystone) */
    size_t failed;       /* domains whose flavor or image could not be asked for */
    char *prom;          /* vpmu_domain_drift samples, written at the end */
    size_t prom_len;
    FILE *prom_f;
} cli_drift;

/* One domain's outcome, with how its flavor and image were found. */
typedef struct {
    vpmu_drift drift;
    bool flavor_asked, image_asked;
    vpmu_lookup flavor_lookup, image_lookup;
    const vpmu_flavor *flavor; /* borrowed from the client */
    const vpmu_image *image;
} cli_drift_result;

int cli_drift_open(cli_drift *d, const char *os_cloud, vpmu_error **error);
/* Decide the domain from its flavor and image as the cloud has them now; never fails. */
void cli_drift_domain(cli_drift *d, const vpmu_domain_info *info, cli_drift_result *res);
void cli_drift_result_clear(cli_drift_result *res);
/* {"state","has","decides","source","reason","flavor":{...},"image":{...}} */
json_t *cli_drift_json(const cli_drift_result *res, const vpmu_domain_info *info);
/* "{"drift","in-sync",...:N}, requests, tokens, distinct flavors and images, seconds" */
json_t *cli_drift_totals_json(const cli_drift *d);

/*
 * Output of audit --cloud (cloud-cli.c), called by cmd-audit.c:
 *  - text: one indented line under the domain's row, unless it is in sync;
 *  - Prometheus: vpmu_domain_drift samples are kept (a family must be
 *    contiguous) and written by cli_drift_print_tail_prom();
 *  - the summary lines / families at the end.
 */
void cli_drift_print_text(FILE *out, const cli_drift_result *res);
void cli_drift_prom_add(cli_drift *d, const char *uri, const vpmu_domain_info *info,
                        const cli_drift_result *res);
void cli_drift_print_tail_text(FILE *out, const cli_drift *d);
void cli_drift_print_tail_prom(FILE *out, const cli_drift *d);
void cli_drift_close(cli_drift *d);

#endif

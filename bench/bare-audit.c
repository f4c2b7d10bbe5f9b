/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The bare libvirt floor for `vpmu audit`: what any audit must do at least.
 *
 *   bare-audit URI          virConnectListAllDomains() + virDomainGetXMLDesc()
 *                           per domain, each XML and handle freed at once;
 *                           prints "DOMAINS BYTES"
 *   bare-audit --list URI   only open + list (for the test driver, that is
 *                           loading the node file): the fixed part
 *   bare-audit --inactive URI  as bare-audit URI, and for each running
 *                           domain its persistent definition too
 *                           (VIR_DOMAIN_XML_INACTIVE), as audit's
 *                           pending-restart check reads it
 *   bare-audit --noop       return at once: the start-up cost of a program
 *                           that links libvirt
 *
 * Opened read-only, as vpmu audit does.  No parsing, no output per domain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

static void
quiet(void *opaque, virErrorPtr err)
{
    (void)opaque;
    (void)err;
}

int
main(int argc, char **argv)
{
    virConnectPtr conn;
    virDomainPtr *doms = NULL;
    unsigned long long bytes = 0;
    int list_only = 0, inactive = 0, n;
    const char *uri;

    if (argc == 2 && strcmp(argv[1], "--noop") == 0)
        return 0;
    if (argc == 3 && strcmp(argv[1], "--list") == 0) {
        list_only = 1;
        uri = argv[2];
    } else if (argc == 3 && strcmp(argv[1], "--inactive") == 0) {
        inactive = 1;
        uri = argv[2];
    } else if (argc == 2) {
        uri = argv[1];
    } else {
        fprintf(stderr, "usage: bare-audit [--list|--inactive] URI | --noop\n");
        return 2;
    }
    virSetErrorFunc(NULL, quiet);
    conn = virConnectOpenReadOnly(uri);
    if (!conn) {
        fprintf(stderr, "bare-audit: %s\n", virGetLastErrorMessage());
        return 1;
    }
    n = virConnectListAllDomains(conn, &doms, 0);
    if (n < 0) {
        fprintf(stderr, "bare-audit: %s\n", virGetLastErrorMessage());
        return 1;
    }
    for (int i = 0; i < n; i++) {
        if (!list_only) {
            char *xml = virDomainGetXMLDesc(doms[i], 0);
            if (xml)
                bytes += strlen(xml);
            free(xml);
            if (inactive && virDomainIsActive(doms[i]) == 1) {
                xml = virDomainGetXMLDesc(doms[i], VIR_DOMAIN_XML_INACTIVE);
                if (xml)
                    bytes += strlen(xml);
                free(xml);
            }
        }
        virDomainFree(doms[i]);
    }
    free(doms);
    virConnectClose(conn);
    printf("%d %llu\n", n, bytes);
    return 0;
}

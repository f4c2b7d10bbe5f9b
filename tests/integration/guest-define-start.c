/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * guest-define-start URI XMLFILE: vpmu_guest_define(..., start = true) on a
 * libvirt domain XML given as it is, for tests/integration/boot-failures.sh,
 * which needs a guest that neither starts nor undefines (vpmu boot builds
 * its own XML and cannot make one).  Exit 0 when defined and started, 1 with
 * "vpmu: MESSAGE" on stderr otherwise, 2 on usage.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "vpmu/virt.h"

int
main(int argc, char **argv)
{
    vpmu_error *err = NULL;
    vpmu_conn *conn;
    char *xml = NULL;
    size_t cap = 0;
    ssize_t len;
    FILE *f;
    int rc;

    if (argc != 3) {
        fprintf(stderr, "usage: guest-define-start URI XMLFILE\n");
        return 2;
    }
    f = fopen(argv[2], "r");
    if (!f) {
        perror(argv[2]);
        return 2;
    }
    len = getdelim(&xml, &cap, '\0', f);
    fclose(f);
    if (len < 0) {
        fprintf(stderr, "guest-define-start: cannot read '%s'\n", argv[2]);
        free(xml);
        return 2;
    }
    conn = vpmu_conn_open(argv[1], &err);
    if (!conn) {
        fprintf(stderr, "vpmu: %s\n", vpmu_error_get_message(err));
        vpmu_error_free(err);
        free(xml);
        return 1;
    }
    rc = vpmu_guest_define(conn, xml, true, NULL, &err);
    if (rc < 0) {
        fprintf(stderr, "vpmu: %s\n", vpmu_error_get_message(err));
        vpmu_error_free(err);
    }
    vpmu_conn_close(conn);
    free(xml);
    return rc < 0 ? 1 : 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cloud-renew: token renewal of a vpmu_cloud session against a real
 * Keystone and a Placement guarded by it (run by keystone-auth.sh with the
 * OS_* variables of a user that may read Placement).
 *
 *  1. open the session; its expiry is the one Keystone gave (about an hour);
 *  2. a Placement request works with the first token and renews nothing;
 *  3. the session's own token is revoked (DELETE /v3/auth/tokens): the next
 *     Placement request gets 401, renews the token once and succeeds;
 *  4. with a renewal margin longer than the token's life the token counts as
 *     close to expiry: the next request renews it before it is sent (no 401);
 *     with margin 0 nothing is renewed;
 *  5. a request whose deadline is already spent fails without hanging.
 * Prints TAP; exit 0 when every check passed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vpmu/cloud.h"

static int n, failed;

static void
check(int ok, const char *what, const char *detail)
{
    n++;
    printf("%sok %d - %s\n", ok ? "" : "not ", n, what);
    if (!ok) {
        failed++;
        if (detail)
            printf("#   %s\n", detail);
    }
}

static int
placement_get(vpmu_cloud *c, vpmu_cloud_response *r, vpmu_error **e)
{
    static const char *const h[] = {"OpenStack-API-Version: placement 1.39", NULL};
    vpmu_cloud_request_opts o = {.method = "GET",
                                 .url = "/resource_providers",
                                 .service_type = "placement",
                                 .headers = h};

    vpmu_cloud_response_clear(r);
    return vpmu_cloud_request(c, &o, r, e);
}

int
main(void)
{
    vpmu_error *e = NULL;
    vpmu_cloud_response r = {0};
    vpmu_cloud *c;
    char *hdr, *first;
    time_t now = time(NULL), exp;
    int rc;

    printf("1..10\n");
    c = vpmu_cloud_open(NULL, &e);
    if (!c) {
        printf("Bail out! cannot open the session: %s\n", vpmu_error_get_message(e));
        return 1;
    }
    exp = vpmu_cloud_get_expiry(c);
    check(exp > now + 3000 && exp < now + 4000, "the token's expiry is parsed (about an hour)",
          NULL);
    check(vpmu_cloud_get_token_count(c) == 1, "one token after open", NULL);

    rc = placement_get(c, &r, &e);
    check(rc == 0 && r.status == 200 && r.renewals == 0 && json_is_object(r.json),
          "Placement answers with the first token", e ? vpmu_error_get_message(e) : r.body);
    vpmu_error_free(e);
    e = NULL;

    /* Revoke our own token: X-Auth-Token and X-Subject-Token are the same. */
    first = strdup(vpmu_cloud_get_token(c, NULL));
    if (asprintf(&hdr, "X-Subject-Token: %s", first) < 0)
        abort();
    {
        const char *const h[] = {hdr, NULL};
        vpmu_cloud_request_opts d = {.method = "DELETE",
                                     .url = "/auth/tokens",
                                     .service_type = "identity",
                                     .headers = h};
        vpmu_cloud_response_clear(&r);
        rc = vpmu_cloud_request(c, &d, &r, &e);
        check(rc == 0 && r.status == 204, "the session's token is revoked (DELETE /v3/auth/tokens)",
              e ? vpmu_error_get_message(e) : NULL);
        vpmu_error_free(e);
        e = NULL;
    }
    free(hdr);

    rc = placement_get(c, &r, &e);
    check(rc == 0 && r.status == 200 && r.renewals == 1,
          "after the revocation: 401, one renewal, then Placement answers",
          e ? vpmu_error_get_message(e) : NULL);
    vpmu_error_free(e);
    e = NULL;
    check(vpmu_cloud_get_token_count(c) == 2 && strcmp(first, vpmu_cloud_get_token(c, NULL)) != 0,
          "a second, different token", NULL);
    free(first);

    vpmu_cloud_set_renew_margin(c, 0);
    rc = placement_get(c, &r, &e);
    check(rc == 0 && r.renewals == 0 && vpmu_cloud_get_token_count(c) == 2,
          "margin 0: a token valid for an hour is kept", e ? vpmu_error_get_message(e) : NULL);
    vpmu_error_free(e);
    e = NULL;

    vpmu_cloud_set_renew_margin(c, 7200);
    rc = placement_get(c, &r, &e);
    check(rc == 0 && r.status == 200 && r.renewals == 1 && vpmu_cloud_get_token_count(c) == 3,
          "a token within the margin of its expiry is renewed before the request",
          e ? vpmu_error_get_message(e) : NULL);
    vpmu_error_free(e);
    e = NULL;
    vpmu_cloud_set_renew_margin(c, VPMU_CLOUD_RENEW_MARGIN_S);

    {
        const char *const h[] = {"OpenStack-API-Version: placement 1.39", NULL};
        vpmu_cloud_request_opts o = {.method = "GET",
                                     .url = "/resource_providers",
                                     .service_type = "placement",
                                     .headers = h,
                                     .deadline_ms = 1};
        struct timespec ts = {0, 5 * 1000 * 1000};
        vpmu_cloud_response_clear(&r);
        nanosleep(&ts, NULL);
        rc = vpmu_cloud_request(c, &o, &r, &e);
        check(rc < 0 && e && r.status == 0, "a 1 ms deadline fails, naming the request",
              e ? vpmu_error_get_message(e) : "no error");
        vpmu_error_free(e);
        e = NULL;
    }
    {
        char *ep = vpmu_cloud_get_endpoint(c, "placement", "internal", "NoSuchRegion", &e);
        check(!ep && e && strstr(vpmu_error_get_message(e), "'NoSuchRegion'"),
              "no endpoint in an unknown region, named", e ? vpmu_error_get_message(e) : ep);
        free(ep);
        vpmu_error_free(e);
        e = NULL;
    }
    vpmu_cloud_response_clear(&r);
    vpmu_cloud_free(c);
    return failed ? 1 : 0;
}

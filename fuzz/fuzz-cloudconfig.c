/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: the clouds.yaml / secure.yaml reader (libyaml, no network)
 * and the OpenStack error-body parser.  The whole input is offered as a
 * clouds.yaml for the cloud 'devstack', as a secure.yaml merged over a fixed
 * valid clouds.yaml, and as an error body.
 *
 * Invariants: errors have a code and a one-line message that never contains
 * the base document's password (unless the input itself has that string in
 * a field a message may quote); a loaded config always has auth_url, interface and an
 * auth_type that prints; the error text is one line.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "vpmu/cloud.h"

#define FIXED_SECRET "fuzz-Secret-0451"

static const char base[] = "clouds:\n"
                           "  devstack:\n"
                           "    auth:\n"
                           "      auth_url: http://127.0.0.1:5000/v3\n"
                           "      username: vpmu\n"
                           "      password: " FIXED_SECRET "\n"
                           "      project_name: service\n";

/* Whether the input itself holds the secret (then a message may quote it as a user value). */
static bool input_has_secret;

static void
check_error(vpmu_error *err)
{
    const char *msg;

    FUZZ_ASSERT(err);
    msg = vpmu_error_get_message(err);
    FUZZ_ASSERT(msg && (input_has_secret || !strstr(msg, FIXED_SECRET)));
    fuzz_check_error(err);
}

static void
check_config(vpmu_cloud_config *cfg, vpmu_error *err)
{
    if (!cfg) {
        check_error(TAKE_ERR(err));
        return;
    }
    FUZZ_ASSERT(vpmu_cloud_config_get(cfg, "auth_url"));
    FUZZ_ASSERT(vpmu_cloud_config_get(cfg, "interface"));
    FUZZ_ASSERT(strcmp(vpmu_cloud_auth_type_to_string(vpmu_cloud_config_get_auth_type(cfg)), "?"));
    FUZZ_ASSERT(strcmp(vpmu_cloud_config_get_name(cfg), "devstack") == 0);
    vpmu_cloud_config_free(cfg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    vpmu_error *err = NULL;
    vpmu_cloud_config *cfg;
    char *reason;

    input_has_secret = memmem(buf, size, FIXED_SECRET, sizeof(FIXED_SECRET) - 1) != NULL;
    cfg = vpmu_cloud_config_parse("devstack", buf, size, "clouds.yaml", NULL, 0, NULL, &err);
    check_config(cfg, TAKE_ERR(err));
    cfg = vpmu_cloud_config_parse("devstack", base, sizeof(base) - 1, "clouds.yaml", buf, size,
                                  "secure.yaml", &err);
    check_config(cfg, TAKE_ERR(err));

    reason = vpmu_cloud_parse_error(buf, size);
    if (reason) {
        FUZZ_ASSERT(*reason);
        FUZZ_ASSERT(!strchr(reason, '\n'));
        free(reason);
    }
    return 0;
}

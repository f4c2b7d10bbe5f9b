/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cloud-config-dump [NAME]: vpmu_cloud_config_load(NAME) (no NAME: the OS_*
 * variables) printed as one JSON object of the settings vpmu uses, for
 * tests/test-cloud-sdk.py to compare with openstacksdk's loader.  A test
 * helper: it prints secrets, which vpmu itself never does.
 */
#include <jansson.h>
#include <stdio.h>

#include "vpmu/cloud.h"

static const char *const keys[] = {
        "auth_url",
        "username",
        "user_id",
        "password",
        "user_domain_name",
        "user_domain_id",
        "project_name",
        "project_id",
        "project_domain_name",
        "project_domain_id",
        "token",
        "application_credential_id",
        "application_credential_name",
        "application_credential_secret",
        "region_name",
        "interface",
        "auth_type",
};

int
main(int argc, char **argv)
{
    vpmu_error *err = NULL;
    vpmu_cloud_config *cfg = vpmu_cloud_config_load(argc > 1 ? argv[1] : "", &err);
    json_t *o;

    if (!cfg) {
        fprintf(stderr, "%s\n", vpmu_error_get_message(err));
        vpmu_error_free(err);
        return 1;
    }
    o = json_object();
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const char *v = vpmu_cloud_config_get(cfg, keys[i]);
        if (v)
            json_object_set_new(o, keys[i], json_string(v));
    }
    json_dumpf(o, stdout, JSON_SORT_KEYS);
    putchar('\n');
    json_decref(o);
    vpmu_cloud_config_free(cfg);
    return 0;
}

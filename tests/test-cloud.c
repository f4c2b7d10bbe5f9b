/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * clouds.yaml / secure.yaml / OS_* reading (cloudconfig.c) without any
 * service: the keys, the defaults openstackclient applies, legacy
 * spellings, merge keys, the file search order (in a temporary HOME and
 * working directory), the errors, and that no message ever carries a secret.
 * Also the OpenStack error-body parser and a session whose Keystone cannot
 * be reached.  The authenticated paths run against a real Keystone in
 * tests/integration/keystone-auth.sh.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "util.h"
#include "vpmu/cloud.h"

#define SECRET "s3cr3t-Pa55word"

DEFINE_TRIVIAL_CLEANUP_FUNC(vpmu_cloud_config *, vpmu_cloud_config_free)
#define _cleanup_cfg_ _cleanup_(vpmu_cloud_config_freep)

/* Assert an error of @code whose message has @needle, no newline and no secret; free it. */
static void
check_error(vpmu_error *err, vpmu_error_code code, const char *needle)
{
    const char *m;

    assert_non_null(err);
    m = vpmu_error_get_message(err);
    if (!strstr(m, needle))
        fail_msg("message '%s' lacks '%s'", m, needle);
    if (strstr(m, SECRET))
        fail_msg("message '%s' shows the secret", m);
    assert_null(strchr(m, '\n'));
    assert_int_equal(vpmu_error_get_code(err), code);
    vpmu_error_free(err);
}
#define assert_error(err, code, needle)                                                            \
    do {                                                                                           \
        check_error((err), (code), (needle));                                                      \
        (err) = NULL;                                                                              \
    } while (0)

static vpmu_cloud_config *
parse(const char *name, const char *clouds, const char *secure, vpmu_error **err)
{
    return vpmu_cloud_config_parse(name, clouds, clouds ? strlen(clouds) : 0, "clouds.yaml", secure,
                                   secure ? strlen(secure) : 0, "secure.yaml", err);
}

static void
assert_key(const vpmu_cloud_config *cfg, const char *key, const char *want)
{
    const char *got = vpmu_cloud_config_get(cfg, key);

    if (!want) {
        if (got)
            fail_msg("'%s' is '%s', expected unset", key, got);
        return;
    }
    if (!got || !STREQ(got, want))
        fail_msg("'%s' is '%s', expected '%s'", key, got ? got : "(unset)", want);
}

static const char clouds_basic[] = "clouds:\n"
                                   "  other:\n"
                                   "    auth: {auth_url: 'http://other:5000'}\n"
                                   "  devstack:\n"
                                   "    region_name: RegionTwo\n"
                                   "    auth:\n"
                                   "      auth_url: http://127.0.0.1:5000/v3\n"
                                   "      username: vpmu\n"
                                   "      project_name: service\n"
                                   "      user_domain_name: Default\n"
                                   "    regions: [RegionOne, RegionTwo]\n";
static const char secure_basic[] = "clouds:\n"
                                   "  devstack:\n"
                                   "    auth:\n"
                                   "      password: " SECRET "\n";

static void
test_password_with_secure(void **state)
{
    (void)state;
    vpmu_error *err = NULL;
    _cleanup_cfg_ vpmu_cloud_config *cfg = parse("devstack", clouds_basic, secure_basic, &err);

    assert_non_null(cfg);
    assert_string_equal(vpmu_cloud_config_get_name(cfg), "devstack");
    assert_string_equal(vpmu_cloud_config_get_origin(cfg), "clouds.yaml");
    assert_int_equal(vpmu_cloud_config_get_auth_type(cfg), VPMU_CLOUD_AUTH_PASSWORD);
    assert_key(cfg, "auth_type", "password");
    assert_key(cfg, "auth_url", "http://127.0.0.1:5000/v3");
    assert_key(cfg, "username", "vpmu");
    assert_key(cfg, "password", SECRET);
    assert_key(cfg, "region_name", "RegionTwo");
    assert_key(cfg, "interface", "public");
    /* A domain was named for the user: no default for it; the project gets 'default'. */
    assert_key(cfg, "user_domain_name", "Default");
    assert_key(cfg, "user_domain_id", NULL);
    assert_key(cfg, "project_domain_id", "default");
    assert_key(cfg, "regions", NULL); /* a list: not a setting vpmu reads */
}

static void
test_secure_overrides_and_defaults(void **state)
{
    (void)state;
    vpmu_error *err = NULL;
    static const char clouds[] = "clouds:\n"
                                 "  c:\n"
                                 "    auth_type: v3password\n"
                                 "    endpoint_type: internalURL\n"
                                 "    tenant_name: old-style\n"
                                 "    default_domain: dom1\n"
                                 "    placement_endpoint_override: http://p:8778/\n"
                                 "    verify: False\n"
                                 "    auth:\n"
                                 "      auth-url: http://k/identity\n"
                                 "      username: u\n"
                                 "      password: in-clouds\n";
    static const char secure[] = "clouds: {c: {auth: {password: " SECRET "}}}\n";
    _cleanup_cfg_ vpmu_cloud_config *cfg = parse("c", clouds, secure, &err);

    assert_non_null(cfg);
    assert_key(cfg, "auth_url", "http://k/identity"); /* '-' is read as '_' */
    assert_key(cfg, "password", SECRET);              /* secure.yaml wins */
    assert_key(cfg, "interface", "internal");         /* endpoint_type, "URL" dropped */
    assert_key(cfg, "project_name", "old-style");     /* tenant_name */
    assert_key(cfg, "tenant_name", NULL);
    assert_key(cfg, "user_domain_id", "dom1"); /* default_domain */
    assert_key(cfg, "project_domain_id", "dom1");
    assert_key(cfg, "verify", "false");
    assert_key(cfg, "placement_endpoint_override", "http://p:8778/");
}

static void
test_merge_keys_and_top_level_auth(void **state)
{
    (void)state;
    vpmu_error *err = NULL;
    static const char clouds[] = "base: &base\n"
                                 "  region_name: R1\n"
                                 "  interface: admin\n"
                                 "clouds:\n"
                                 "  c:\n"
                                 "    <<: *base\n"
                                 "    interface: internal\n"
                                 "    project_name: top\n"
                                 "    auth:\n"
                                 "      auth_url: http://k:5000\n"
                                 "      user_id: 0123abcd\n"
                                 "      password: " SECRET "\n"
                                 "      project_name: inside\n";
    _cleanup_cfg_ vpmu_cloud_config *cfg = parse("c", clouds, NULL, &err);

    assert_non_null(cfg);
    assert_key(cfg, "region_name", "R1");      /* from the merge key */
    assert_key(cfg, "interface", "internal");  /* the mapping's own key wins */
    assert_key(cfg, "project_name", "inside"); /* auth's wins over the top level */
    assert_key(cfg, "user_id", "0123abcd");
    assert_key(cfg, "user_domain_id", NULL); /* a user id needs no domain */
}

static void
test_application_credential(void **state)
{
    (void)state;
    vpmu_error *err = NULL;
    static const char by_id[] = "clouds:\n"
                                "  ac:\n"
                                "    auth_type: v3applicationcredential\n"
                                "    auth:\n"
                                "      auth_url: http://k:5000/v3\n"
                                "      application_credential_id: 1234\n"
                                "      application_credential_secret: " SECRET "\n";
    static const char inferred[] = "clouds:\n"
                                   "  ac:\n"
                                   "    auth:\n"
                                   "      auth_url: http://k:5000/v3\n"
                                   "      application_credential_id: 1234\n"
                                   "      application_credential_secret: " SECRET "\n";
    static const char by_name_no_user[] = "clouds:\n"
                                          "  ac:\n"
                                          "    auth_type: v3applicationcredential\n"
                                          "    auth:\n"
                                          "      auth_url: http://k:5000/v3\n"
                                          "      application_credential_name: report\n"
                                          "      application_credential_secret: " SECRET "\n";
    static const char no_secret[] =
            "clouds:\n"
            "  ac:\n"
            "    auth_type: v3applicationcredential\n"
            "    auth: {auth_url: 'http://k', application_credential_id: x}\n";
    vpmu_cloud_config *cfg;

    cfg = parse("ac", by_id, NULL, &err);
    assert_non_null(cfg);
    assert_int_equal(vpmu_cloud_config_get_auth_type(cfg), VPMU_CLOUD_AUTH_APPLICATION_CREDENTIAL);
    assert_key(cfg, "auth_type", "v3applicationcredential");
    assert_key(cfg, "application_credential_id", "1234");
    vpmu_cloud_config_free(cfg);

    cfg = parse("ac", inferred, NULL, &err);
    assert_non_null(cfg);
    assert_int_equal(vpmu_cloud_config_get_auth_type(cfg), VPMU_CLOUD_AUTH_APPLICATION_CREDENTIAL);
    vpmu_cloud_config_free(cfg);

    assert_null(parse("ac", by_name_no_user, NULL, &err));
    assert_error(err, VPMU_ERR_USAGE, "without the username or user_id");
    assert_null(parse("ac", no_secret, NULL, &err));
    assert_error(err, VPMU_ERR_USAGE, "no application_credential_secret");
}

static void
test_errors(void **state)
{
    (void)state;
    vpmu_error *err = NULL;

    assert_null(parse("x", "clouds: [\n  password: " SECRET "\n", NULL, &err));
    assert_error(err, VPMU_ERR_INVALID, "'clouds.yaml' is not valid YAML: line ");
    assert_null(parse("x", "- a\n- b\n", NULL, &err));
    assert_error(err, VPMU_ERR_INVALID, "is not a YAML mapping");
    assert_null(parse("x", "clouds: [a, b]\n", NULL, &err));
    assert_error(err, VPMU_ERR_INVALID, "'clouds' in 'clouds.yaml' is not a mapping");
    assert_null(parse("x", "clouds: {x: 3}\n", NULL, &err));
    assert_error(err, VPMU_ERR_INVALID, "cloud 'x' in 'clouds.yaml' is not a mapping");
    assert_null(parse("x", "clouds: {x: {auth: 3}}\n", NULL, &err));
    assert_error(err, VPMU_ERR_INVALID, "'auth' of cloud 'x'");
    assert_null(parse("x", "clouds: {x: {auth: {auth_url: http://k, password: [" SECRET "]}}}\n",
                      NULL, &err));
    assert_error(err, VPMU_ERR_INVALID, "'auth.password' in 'clouds.yaml' is not a string");
    assert_null(parse("nope", clouds_basic, secure_basic, &err));
    assert_error(err, VPMU_ERR_RUNTIME, "cloud 'nope' is not defined in 'clouds.yaml'");
    assert_null(parse("nope\x1b[31m", clouds_basic, NULL, &err));
    assert_error(err, VPMU_ERR_RUNTIME, "cloud 'nope\\x1b[31m' is not defined");
    assert_null(
            parse("x", "clouds: {x: {auth: {username: u, password: " SECRET "}}}\n", NULL, &err));
    assert_error(err, VPMU_ERR_USAGE, "cloud 'x' in 'clouds.yaml': no auth_url");
    assert_null(
            parse("x", "clouds: {x: {auth: {auth_url: 'http://k', username: u}}}\n", NULL, &err));
    assert_error(err, VPMU_ERR_USAGE, "no password for password authentication");
    assert_null(parse("x",
                      "clouds: {x: {auth_type: v3oidcpassword, auth: {auth_url: 'http://k', "
                      "password: " SECRET "}}}\n",
                      NULL, &err));
    assert_error(err, VPMU_ERR_USAGE, "auth_type 'v3oidcpassword' is not supported");
    assert_null(parse("x", "clouds: {x: {auth_type: token, auth: {auth_url: 'http://k'}}}\n", NULL,
                      &err));
    assert_error(err, VPMU_ERR_USAGE, "no token for token authentication");
    /* Empty files: no cloud. */
    assert_null(parse("x", "", "", &err));
    assert_error(err, VPMU_ERR_RUNTIME, "cloud 'x' is not defined");
    /* A self-referencing alias must not loop. */
    assert_null(parse("x", "clouds: &a {x: {<<: *a}}\n", NULL, &err));
    assert_non_null(err);
    vpmu_error_free(err);
    err = NULL;
}

/* ---- OS_* -------------------------------------------------------------------------------- */

static const char *const os_vars[] = {
        "OS_CLOUD",
        "OS_AUTH_URL",
        "OS_USERNAME",
        "OS_USER_ID",
        "OS_PASSWORD",
        "OS_PROJECT_NAME",
        "OS_PROJECT_ID",
        "OS_USER_DOMAIN_NAME",
        "OS_PROJECT_DOMAIN_NAME",
        "OS_REGION_NAME",
        "OS_INTERFACE",
        "OS_CACERT",
        "OS_TOKEN",
        "OS_AUTH_TYPE",
        "OS_APPLICATION_CREDENTIAL_ID",
        "OS_APPLICATION_CREDENTIAL_SECRET",
        "OS_CLIENT_CONFIG_FILE",
        "OS_CLIENT_SECURE_FILE",
        "OS_TENANT_NAME",
        "OS_DEFAULT_DOMAIN",
};

static int
clear_env(void **state)
{
    (void)state;
    for (size_t i = 0; i < ELEMENTSOF(os_vars); i++)
        unsetenv(os_vars[i]);
    return 0;
}

static void
test_env_password(void **state)
{
    (void)state;
    vpmu_error *err = NULL;
    vpmu_cloud_config *cfg;

    setenv("OS_AUTH_URL", "http://127.0.0.1:5000/v3", 1);
    setenv("OS_USERNAME", "admin", 1);
    setenv("OS_PASSWORD", SECRET, 1);
    setenv("OS_PROJECT_NAME", "admin", 1);
    setenv("OS_USER_DOMAIN_NAME", "Default", 1);
    setenv("OS_PROJECT_DOMAIN_NAME", "Default", 1);
    setenv("OS_REGION_NAME", "RegionOne", 1);
    setenv("OS_INTERFACE", "internal", 1);
    setenv("OS_CACERT", "/etc/ssl/ca.pem", 1);
    assert_true(vpmu_cloud_configured(NULL));
    cfg = vpmu_cloud_config_load(NULL, &err);
    assert_non_null(cfg);
    assert_string_equal(vpmu_cloud_config_get_name(cfg), "envvars");
    assert_null(vpmu_cloud_config_get_origin(cfg));
    assert_int_equal(vpmu_cloud_config_get_auth_type(cfg), VPMU_CLOUD_AUTH_PASSWORD);
    assert_key(cfg, "auth_url", "http://127.0.0.1:5000/v3");
    assert_key(cfg, "username", "admin");
    assert_key(cfg, "password", SECRET);
    assert_key(cfg, "project_name", "admin");
    assert_key(cfg, "user_domain_name", "Default");
    assert_key(cfg, "project_domain_name", "Default");
    assert_key(cfg, "project_domain_id", NULL);
    assert_key(cfg, "region_name", "RegionOne");
    assert_key(cfg, "interface", "internal");
    assert_key(cfg, "cacert", "/etc/ssl/ca.pem");
    vpmu_cloud_config_free(cfg);

    /* Without domains: 'default', as openstackclient's OS_DEFAULT_DOMAIN. */
    unsetenv("OS_USER_DOMAIN_NAME");
    unsetenv("OS_PROJECT_DOMAIN_NAME");
    unsetenv("OS_INTERFACE");
    cfg = vpmu_cloud_config_load("", &err);
    assert_non_null(cfg);
    assert_key(cfg, "user_domain_id", "default");
    assert_key(cfg, "project_domain_id", "default");
    assert_key(cfg, "interface", "public");
    vpmu_cloud_config_free(cfg);

    unsetenv("OS_PASSWORD");
    assert_null(vpmu_cloud_config_load(NULL, &err));
    assert_error(err, VPMU_ERR_USAGE,
                 "the OS_* variables: no password for password "
                 "authentication (set OS_PASSWORD)");
    unsetenv("OS_AUTH_URL");
    assert_false(vpmu_cloud_configured(NULL));
    assert_null(vpmu_cloud_config_load(NULL, &err));
    assert_error(err, VPMU_ERR_USAGE, "no auth_url (set OS_AUTH_URL");
}

static void
test_env_token_and_appcred(void **state)
{
    (void)state;
    vpmu_error *err = NULL;
    vpmu_cloud_config *cfg;

    setenv("OS_AUTH_URL", "http://k:5000", 1);
    setenv("OS_TOKEN", SECRET, 1);
    setenv("OS_PROJECT_ID", "p1", 1);
    cfg = vpmu_cloud_config_load(NULL, &err);
    assert_non_null(cfg);
    assert_int_equal(vpmu_cloud_config_get_auth_type(cfg), VPMU_CLOUD_AUTH_TOKEN);
    assert_key(cfg, "token", SECRET);
    assert_key(cfg, "project_id", "p1");
    assert_key(cfg, "project_domain_id", NULL);
    vpmu_cloud_config_free(cfg);
    unsetenv("OS_TOKEN");
    unsetenv("OS_PROJECT_ID");

    setenv("OS_AUTH_TYPE", "v3applicationcredential", 1);
    setenv("OS_APPLICATION_CREDENTIAL_ID", "ac1", 1);
    setenv("OS_APPLICATION_CREDENTIAL_SECRET", SECRET, 1);
    cfg = vpmu_cloud_config_load(NULL, &err);
    assert_non_null(cfg);
    assert_int_equal(vpmu_cloud_config_get_auth_type(cfg), VPMU_CLOUD_AUTH_APPLICATION_CREDENTIAL);
    assert_key(cfg, "application_credential_id", "ac1");
    assert_key(cfg, "application_credential_secret", SECRET);
    vpmu_cloud_config_free(cfg);

    /* OS_CLOUD names a cloud: the OS_* credentials are then not used. */
    setenv("OS_CLOUD", "missing", 1);
    setenv("OS_CLIENT_CONFIG_FILE", VPMU_TESTDATA "/cloud/clouds.yaml", 1);
    setenv("OS_CLIENT_SECURE_FILE", VPMU_TESTDATA "/cloud/none.yaml", 1);
    assert_null(vpmu_cloud_config_load(NULL, &err));
    assert_error(err, VPMU_ERR_RUNTIME, "cloud 'missing' is not defined in");
}

/* ---- the file search --------------------------------------------------------------------- */

static void
write_text(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static char *
cloud_file(const char *url)
{
    return xasprintf("clouds:\n  c:\n    auth: {auth_url: '%s', username: u, password: p}\n", url);
}

static void
test_search_order(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/vpmu-test-cloud.XXXXXX";
    char *dir = mkdtemp(tmpl);
    _cleanup_free_ char *home = NULL, *cfgdir = NULL, *cwd = NULL, *etc_file = NULL;
    _cleanup_free_ char *home_file = NULL, *cwd_file = NULL, *env_file = NULL, *sec = NULL;
    _cleanup_free_ char *t1 = cloud_file("http://home"), *t2 = cloud_file("http://cwd");
    _cleanup_free_ char *t3 = cloud_file("http://env");
    char old_cwd[4096];
    vpmu_error *err = NULL;
    vpmu_cloud_config *cfg;

    assert_non_null(dir);
    assert_non_null(getcwd(old_cwd, sizeof(old_cwd)));
    home = xasprintf("%s/home", dir);
    cfgdir = xasprintf("%s/home/.config", dir);
    assert_int_equal(mkdir(home, 0700), 0);
    assert_int_equal(mkdir(cfgdir, 0700), 0);
    free(cfgdir);
    cfgdir = xasprintf("%s/home/.config/openstack", dir);
    assert_int_equal(mkdir(cfgdir, 0700), 0);
    cwd = xasprintf("%s/cwd", dir);
    assert_int_equal(mkdir(cwd, 0700), 0);
    setenv("HOME", home, 1);
    assert_int_equal(chdir(cwd), 0);

    /* Nothing anywhere (unless this machine has /etc/openstack/clouds.yaml with 'c'). */
    etc_file = xstrdup("/etc/openstack/clouds.yaml");
    if (access(etc_file, F_OK) != 0) {
        assert_null(vpmu_cloud_config_load("c", &err));
        assert_error(err, VPMU_ERR_RUNTIME, "cloud 'c' is not defined: no clouds.yaml");
    }

    home_file = xasprintf("%s/clouds.yml", cfgdir); /* .yml is tried too */
    write_text(home_file, t1);
    cfg = vpmu_cloud_config_load("c", &err);
    assert_non_null(cfg);
    assert_key(cfg, "auth_url", "http://home");
    assert_string_equal(vpmu_cloud_config_get_origin(cfg), home_file);
    vpmu_cloud_config_free(cfg);

    cwd_file = xasprintf("%s/clouds.yaml", cwd);
    write_text(cwd_file, t2);
    sec = xasprintf("%s/secure.yaml", cfgdir);
    write_text(sec, "clouds: {c: {auth: {password: " SECRET "}}}\n");
    cfg = vpmu_cloud_config_load("c", &err);
    assert_non_null(cfg);
    assert_key(cfg, "auth_url", "http://cwd"); /* ./clouds.yaml before ~/.config */
    assert_key(cfg, "password", SECRET);       /* secure.yaml found on its own */
    vpmu_cloud_config_free(cfg);

    env_file = xasprintf("%s/mine.yaml", dir);
    write_text(env_file, t3);
    setenv("OS_CLIENT_CONFIG_FILE", env_file, 1);
    cfg = vpmu_cloud_config_load("c", &err);
    assert_non_null(cfg);
    assert_key(cfg, "auth_url", "http://env"); /* OS_CLIENT_CONFIG_FILE first */
    vpmu_cloud_config_free(cfg);

    /* A file too big is refused, not truncated. */
    {
        _cleanup_free_ char *big = xmalloc(VPMU_CLOUD_MAX_CONFIG + 2);
        memset(big, '#', VPMU_CLOUD_MAX_CONFIG + 1);
        big[VPMU_CLOUD_MAX_CONFIG + 1] = '\0';
        write_text(env_file, big);
        assert_null(vpmu_cloud_config_load("c", &err));
        assert_non_null(err);
        assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_INVALID);
        vpmu_error_free(err);
        err = NULL;
    }

    assert_int_equal(chdir(old_cwd), 0);
    unlink(env_file);
    unlink(sec);
    unlink(cwd_file);
    unlink(home_file);
    rmdir(cfgdir);
    free(cfgdir);
    cfgdir = xasprintf("%s/home/.config", dir);
    rmdir(cfgdir);
    rmdir(home);
    rmdir(cwd);
    rmdir(dir);
}

/* ---- error bodies and an unreachable Keystone -------------------------------------------------
 */

static void
test_parse_error(void **state)
{
    (void)state;
    static const char keystone[] = "{\"error\": {\"code\": 401, \"title\": \"Unauthorized\", "
                                   "\"message\": \"The request you have made requires "
                                   "authentication.\"}}";
    static const char placement[] = "{\"errors\": [{\"status\": 404, \"title\": \"Not Found\", "
                                    "\"detail\": \"The resource could not be found.\\n\\n  No "
                                    "provider\\u001b[31m\"}]}";
    static const char nova[] = "{\"itemNotFound\": {\"code\": 404, \"message\": \"Flavor x could "
                               "not be found.\"}}";
    _cleanup_free_ char *k = vpmu_cloud_parse_error(keystone, strlen(keystone));
    _cleanup_free_ char *p = vpmu_cloud_parse_error(placement, strlen(placement));
    _cleanup_free_ char *n = vpmu_cloud_parse_error(nova, strlen(nova));

    assert_string_equal(k, "The request you have made requires authentication.");
    assert_non_null(p);
    assert_non_null(strstr(p, "No provider\\x1b[31m"));
    assert_null(strchr(p, '\n'));
    assert_string_equal(n, "Flavor x could not be found.");
    assert_null(vpmu_cloud_parse_error("<html>", 6));
    assert_null(vpmu_cloud_parse_error("{}", 2));
    assert_null(vpmu_cloud_parse_error(NULL, 0));
}

static void
test_unreachable_keystone(void **state)
{
    (void)state;
    vpmu_error *err = NULL;
    vpmu_cloud_config *cfg;
    static const char clouds[] = "clouds:\n"
                                 "  c:\n"
                                 "    auth:\n"
                                 "      auth_url: http://127.0.0.1:1/v3\n"
                                 "      username: vpmu\n"
                                 "      password: " SECRET "\n"
                                 "      project_name: service\n";

    cfg = parse("c", clouds, NULL, &err);
    assert_non_null(cfg);
    assert_null(vpmu_cloud_open_config(cfg, &err));
    assert_error(err, VPMU_ERR_RUNTIME,
                 "cannot authenticate user 'vpmu' in project 'service' at "
                 "'http://127.0.0.1:1/v3': cannot reach Keystone: POST "
                 "'http://127.0.0.1:1/v3/auth/tokens'");
    vpmu_cloud_config_free(cfg);

    cfg = parse("c", "clouds: {c: {auth: {auth_url: 'ftp://k', username: u, password: p}}}\n", NULL,
                &err);
    assert_non_null(cfg);
    assert_null(vpmu_cloud_open_config(cfg, &err));
    assert_error(err, VPMU_ERR_USAGE, "auth_url 'ftp://k' is not an http:// or https:// URL");
    vpmu_cloud_config_free(cfg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_password_with_secure),
            cmocka_unit_test(test_secure_overrides_and_defaults),
            cmocka_unit_test(test_merge_keys_and_top_level_auth),
            cmocka_unit_test(test_application_credential),
            cmocka_unit_test(test_errors),
            cmocka_unit_test_setup_teardown(test_env_password, clear_env, clear_env),
            cmocka_unit_test_setup_teardown(test_env_token_and_appcred, clear_env, clear_env),
            cmocka_unit_test_setup_teardown(test_search_order, clear_env, clear_env),
            cmocka_unit_test(test_parse_error),
            cmocka_unit_test(test_unreachable_keystone),
    };

    clear_env(NULL);
    return cmocka_run_group_tests(tests, NULL, NULL);
}

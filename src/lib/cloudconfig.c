/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * clouds.yaml, secure.yaml and the OS_* variables, read the way openstacksdk
 * (openstack/config/loader.py) and openstackclient (osc_lib's client_config)
 * read them:
 *  - files: OS_CLIENT_CONFIG_FILE, then clouds.{yaml,yml,json} in the current
 *    directory, the XDG user and site directories, ~/.config/openstack and
 *    /etc/openstack (push_search_dirs() has the order); the first that exists
 *    and can be read wins.  secure.* likewise (OS_CLIENT_SECURE_FILE first) and
 *    is merged over it, key by key;
 *  - keys are those of OS_* in lower case without the prefix ('-' is read as
 *    '_'); the auth keys live under 'auth:', and openstacksdk's legacy
 *    spellings are accepted (tenant_name, auth_plugin, endpoint_type);
 *  - without a cloud name, every OS_* variable is a key (OS_PASSWORD ->
 *    password), as openstacksdk's "envvars" cloud;
 *  - defaults: interface 'public'; auth_type from the credentials present;
 *    user and project domain id 'default' (default_domain) when no domain is
 *    given, as openstackclient does.
 * YAML goes through libyaml's document loader only.  Aliases are not
 * expanded (a node is visited at most twice deep), so hostile anchors cannot
 * blow up; the input is size-capped.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <yaml.h>

#include "cloud-internal.h"
#include "util.h"
#include "vpmu/cloud.h"

extern char **environ;

struct vpmu_cloud_config {
    char *name;
    char *origin;        /* clouds.yaml path, NULL for OS_* */
    char *secure_origin; /* secure.yaml path, or NULL */
    strv keys;
    strv values;
    vpmu_cloud_auth_type auth_type;
};

static const char *const secret_keys[] = {"password", "application_credential_secret", "token"};

static bool
is_secret_key(const char *key)
{
    for (size_t i = 0; i < ELEMENTSOF(secret_keys); i++)
        if (STREQ(key, secret_keys[i]))
            return true;
    return false;
}

const char *
vpmu_cloud_auth_type_to_string(vpmu_cloud_auth_type t)
{
    switch (t) {
    case VPMU_CLOUD_AUTH_PASSWORD:
        return "password";
    case VPMU_CLOUD_AUTH_APPLICATION_CREDENTIAL:
        return "v3applicationcredential";
    case VPMU_CLOUD_AUTH_TOKEN:
        return "token";
    }
    return "?";
}

/* ---- the key table ----------------------------------------------------------------------- */

static ssize_t
find_key(const vpmu_cloud_config *cfg, const char *key)
{
    for (size_t i = 0; i < cfg->keys.n; i++)
        if (STREQ(cfg->keys.v[i], key))
            return (ssize_t)i;
    return -1;
}

static void
wipe(char *s)
{
    if (s)
        explicit_bzero(s, strlen(s));
}

/* Set @key (normalised: lower case, '-' read as '_') to a copy of @value. */
static void
config_set(vpmu_cloud_config *cfg, const char *key, const char *value)
{
    _cleanup_free_ char *k = xstrdup(key);
    ssize_t i;

    for (char *p = k; *p; p++) {
        if (*p == '-')
            *p = '_';
        else if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    }
    i = find_key(cfg, k);
    if (i >= 0) {
        wipe(cfg->values.v[i]);
        free(cfg->values.v[i]);
        cfg->values.v[i] = xstrdup(value);
        return;
    }
    strv_push(&cfg->keys, TAKE_PTR(k));
    strv_push(&cfg->values, xstrdup(value));
}

static void
config_unset(vpmu_cloud_config *cfg, const char *key)
{
    ssize_t i = find_key(cfg, key);

    if (i < 0)
        return;
    free(cfg->keys.v[i]);
    wipe(cfg->values.v[i]);
    free(cfg->values.v[i]);
    for (size_t j = (size_t)i; j + 1 < cfg->keys.n; j++) {
        cfg->keys.v[j] = cfg->keys.v[j + 1];
        cfg->values.v[j] = cfg->values.v[j + 1];
    }
    cfg->keys.n--;
    cfg->values.n--;
    cfg->keys.v[cfg->keys.n] = NULL;
    cfg->values.v[cfg->values.n] = NULL;
}

const char *
vpmu_cloud_config_get(const vpmu_cloud_config *cfg, const char *key)
{
    ssize_t i = find_key(cfg, key);
    const char *v = i >= 0 ? cfg->values.v[i] : NULL;

    return v && *v ? v : NULL;
}

vpmu_cloud_auth_type
vpmu_cloud_config_get_auth_type(const vpmu_cloud_config *cfg)
{
    return cfg->auth_type;
}

const char *
vpmu_cloud_config_get_name(const vpmu_cloud_config *cfg)
{
    return cfg->name;
}

const char *
vpmu_cloud_config_get_origin(const vpmu_cloud_config *cfg)
{
    return cfg->origin;
}

void
vpmu_cloud_config_free(vpmu_cloud_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->values.n; i++)
        wipe(cfg->values.v[i]);
    strv_clear(&cfg->keys);
    strv_clear(&cfg->values);
    free(cfg->name);
    free(cfg->origin);
    free(cfg->secure_origin);
    free(cfg);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(vpmu_cloud_config *, vpmu_cloud_config_free)

/* ---- YAML ---------------------------------------------------------------------------------- */

typedef struct {
    yaml_document_t doc;
    bool loaded;
} yaml_doc;

static void
yaml_doc_clear(yaml_doc *d)
{
    if (d->loaded)
        yaml_document_delete(&d->doc);
    d->loaded = false;
}

static void
yaml_parser_deletep(yaml_parser_t **p)
{
    if (*p)
        yaml_parser_delete(*p);
}

/* Load one YAML document; an empty stream is an empty document (root NULL). */
static int
yaml_load(const char *buf, size_t len, const char *origin, yaml_doc *out, vpmu_error **error)
{
    yaml_parser_t parser;
    _cleanup_(yaml_parser_deletep) yaml_parser_t *pp = NULL;
    _cleanup_free_ char *where = quote_for_message(origin, 200);

    if (!yaml_parser_initialize(&parser))
        abort(); /* only on out-of-memory */
    pp = &parser;
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    if (!yaml_parser_load(&parser, &out->doc)) {
        const char *problem = parser.problem ? parser.problem : "cannot be parsed";
        _cleanup_free_ char *shown = quote_for_message(problem, 200);
        vpmu_error_set(error, VPMU_ERR_INVALID, "'%s' is not valid YAML: line %zu, column %zu: %s",
                       where, parser.problem_mark.line + 1, parser.problem_mark.column + 1, shown);
        return -1;
    }
    out->loaded = true;
    return 0;
}

static bool
scalar_is(const yaml_node_t *n, const char *s)
{
    size_t len = strlen(s);

    return n && n->type == YAML_SCALAR_NODE && n->data.scalar.length == len &&
           memcmp(n->data.scalar.value, s, len) == 0;
}

/* A scalar as a C string; NULL when it holds a NUL byte. */
static char *
scalar_dup(const yaml_node_t *n)
{
    const char *v = (const char *)n->data.scalar.value;
    size_t len = n->data.scalar.length;

    if (memchr(v, '\0', len))
        return NULL;
    return xstrndup(v, len);
}

/* The value of @key in mapping @map, or NULL. */
static yaml_node_t *
mapping_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        if (scalar_is(k, key))
            return yaml_document_get_node(doc, p->value);
    }
    return NULL;
}

/*
 * Copy the scalar entries of mapping @map into @cfg; mappings and sequences
 * (regions, networks, ...) are not settings vpmu uses and are skipped.  Keys
 * that hold secrets must be scalars.
 */
static int
copy_scalars(vpmu_cloud_config *cfg, yaml_document_t *doc, yaml_node_t *map, const char *origin,
             const char *prefix, unsigned depth, vpmu_error **error)
{
    /*
     * YAML merge keys ("<<: *base", which PyYAML's safe_load honours) first,
     * so that the mapping's own keys win.  Bounded depth: aliases can loop.
     */
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        yaml_node_t *v = yaml_document_get_node(doc, p->value);
        if (!scalar_is(k, "<<") || !v)
            continue;
        if (depth >= 8) {
            _cleanup_free_ char *where = quote_for_message(origin, 200);
            vpmu_error_set(error, VPMU_ERR_INVALID, "'%s' nests merge keys ('<<') too deeply",
                           where);
            return -1;
        }
        if (v->type == YAML_MAPPING_NODE) {
            if (copy_scalars(cfg, doc, v, origin, prefix, depth + 1, error) < 0)
                return -1;
        } else if (v->type == YAML_SEQUENCE_NODE) {
            for (yaml_node_item_t *it = v->data.sequence.items.start;
                 it < v->data.sequence.items.top; it++) {
                yaml_node_t *m = yaml_document_get_node(doc, *it);
                if (m && m->type == YAML_MAPPING_NODE &&
                    copy_scalars(cfg, doc, m, origin, prefix, depth + 1, error) < 0)
                    return -1;
            }
        }
    }
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        yaml_node_t *v = yaml_document_get_node(doc, p->value);
        _cleanup_free_ char *key = NULL, *value = NULL;

        if (!k || k->type != YAML_SCALAR_NODE || !v)
            continue;
        key = scalar_dup(k);
        if (!key)
            continue;
        if ((STREQ(key, "auth") && !*prefix) || STREQ(key, "<<"))
            continue; /* read separately */
        if (v->type != YAML_SCALAR_NODE) {
            if (is_secret_key(key) || STREQ(key, "auth_url")) {
                _cleanup_free_ char *where = quote_for_message(origin, 200);
                _cleanup_free_ char *qk = quote_for_message(key, 80);
                vpmu_error_set(error, VPMU_ERR_INVALID, "'%s%s' in '%s' is not a string", prefix,
                               qk, where);
                return -1;
            }
            continue;
        }
        value = scalar_dup(v);
        if (!value) {
            _cleanup_free_ char *where = quote_for_message(origin, 200);
            _cleanup_free_ char *qk = quote_for_message(key, 80);
            vpmu_error_set(error, VPMU_ERR_INVALID, "'%s%s' in '%s' contains a NUL byte", prefix,
                           qk, where);
            return -1;
        }
        config_set(cfg, key, value);
        wipe(value);
    }
    return 0;
}

/*
 * Merge cloud @name of the YAML text into @cfg.  *found says whether the
 * cloud was there.  @must_exist: the file must have a 'clouds' mapping.
 */
static int
merge_yaml(vpmu_cloud_config *cfg, const char *name, const char *buf, size_t len,
           const char *origin, bool *found, vpmu_error **error)
{
    _cleanup_(yaml_doc_clear) yaml_doc d = {0};
    _cleanup_free_ char *where = NULL;
    yaml_node_t *root, *clouds, *cloud, *auth;

    *found = false;
    if (yaml_load(buf, len, origin, &d, error) < 0)
        return -1;
    root = yaml_document_get_root_node(&d.doc);
    if (!root)
        return 0; /* empty file */
    where = quote_for_message(origin, 200);
    if (root->type != YAML_MAPPING_NODE) {
        vpmu_error_set(error, VPMU_ERR_INVALID, "'%s' is not a YAML mapping", where);
        return -1;
    }
    clouds = mapping_get(&d.doc, root, "clouds");
    if (!clouds)
        return 0;
    if (clouds->type != YAML_MAPPING_NODE) {
        vpmu_error_set(error, VPMU_ERR_INVALID, "'clouds' in '%s' is not a mapping", where);
        return -1;
    }
    cloud = mapping_get(&d.doc, clouds, name);
    if (!cloud)
        return 0;
    if (cloud->type != YAML_MAPPING_NODE) {
        _cleanup_free_ char *qn = quote_for_message(name, 80);
        vpmu_error_set(error, VPMU_ERR_INVALID, "cloud '%s' in '%s' is not a mapping", qn, where);
        return -1;
    }
    *found = true;
    /* Top-level keys first, so that auth's own win (openstacksdk moves them into auth). */
    if (copy_scalars(cfg, &d.doc, cloud, origin, "", 0, error) < 0)
        return -1;
    auth = mapping_get(&d.doc, cloud, "auth");
    if (auth) {
        if (auth->type != YAML_MAPPING_NODE) {
            _cleanup_free_ char *qn = quote_for_message(name, 80);
            vpmu_error_set(error, VPMU_ERR_INVALID, "'auth' of cloud '%s' in '%s' is not a mapping",
                           qn, where);
            return -1;
        }
        if (copy_scalars(cfg, &d.doc, auth, origin, "auth.", 0, error) < 0)
            return -1;
    }
    return 0;
}

/* ---- defaults and checks ------------------------------------------------------------------- */

/* Legacy spellings to the keys used here (openstacksdk _fix_backwards_*). */
static void
rename_key(vpmu_cloud_config *cfg, const char *from, const char *to)
{
    const char *v;

    if (find_key(cfg, from) < 0)
        return;
    v = vpmu_cloud_config_get(cfg, from);
    if (v && !vpmu_cloud_config_get(cfg, to)) {
        _cleanup_free_ char *copy = xstrdup(v);
        config_set(cfg, to, copy);
        wipe(copy);
    }
    config_unset(cfg, from);
}

static bool
has(const vpmu_cloud_config *cfg, const char *key)
{
    return vpmu_cloud_config_get(cfg, key) != NULL;
}

/* Where the settings came from, for messages: "cloud 'x' in '/path'" or "the OS_* variables". */
static char *
describe(const vpmu_cloud_config *cfg)
{
    if (!cfg->origin)
        return xstrdup("the OS_* variables");
    _cleanup_free_ char *qn = quote_for_message(cfg->name, 80);
    _cleanup_free_ char *qo = quote_for_message(cfg->origin, 200);
    return xasprintf("cloud '%s' in '%s'", qn, qo);
}

static int
finish(vpmu_cloud_config *cfg, vpmu_error **error)
{
    _cleanup_free_ char *what = describe(cfg);
    const char *at, *domain;

    rename_key(cfg, "tenant_name", "project_name");
    rename_key(cfg, "tenant_id", "project_id");
    rename_key(cfg, "auth_plugin", "auth_type");
    rename_key(cfg, "endpoint_type", "interface");
    rename_key(cfg, "auth_token", "token");

    if (!has(cfg, "auth_url")) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "%s: no auth_url%s", what,
                       cfg->origin ? "" : " (set OS_AUTH_URL, or name a cloud with --os-cloud)");
        return -1;
    }
    at = vpmu_cloud_config_get(cfg, "auth_type");
    if (!at) {
        /* osc_lib's _auth_select_default_plugin, plus application credentials. */
        if (has(cfg, "username") || has(cfg, "user_id"))
            cfg->auth_type = VPMU_CLOUD_AUTH_PASSWORD;
        else if (has(cfg, "application_credential_secret"))
            cfg->auth_type = VPMU_CLOUD_AUTH_APPLICATION_CREDENTIAL;
        else if (has(cfg, "token"))
            cfg->auth_type = VPMU_CLOUD_AUTH_TOKEN;
        else
            cfg->auth_type = VPMU_CLOUD_AUTH_PASSWORD;
    } else if (STREQ(at, "password") || STREQ(at, "v3password")) {
        cfg->auth_type = VPMU_CLOUD_AUTH_PASSWORD;
    } else if (STREQ(at, "v3applicationcredential") || STREQ(at, "applicationcredential") ||
               STREQ(at, "v3_application_credential")) {
        cfg->auth_type = VPMU_CLOUD_AUTH_APPLICATION_CREDENTIAL;
    } else if (STREQ(at, "token") || STREQ(at, "v3token")) {
        cfg->auth_type = VPMU_CLOUD_AUTH_TOKEN;
    } else {
        _cleanup_free_ char *q = quote_for_message(at, 80);
        vpmu_error_set(error, VPMU_ERR_USAGE,
                       "%s: auth_type '%s' is not supported; use password, "
                       "v3applicationcredential or token",
                       what, q);
        return -1;
    }
    config_set(cfg, "auth_type", vpmu_cloud_auth_type_to_string(cfg->auth_type));

    switch (cfg->auth_type) {
    case VPMU_CLOUD_AUTH_PASSWORD:
        if (!has(cfg, "username") && !has(cfg, "user_id")) {
            vpmu_error_set(error, VPMU_ERR_USAGE,
                           "%s: no username or user_id for password authentication", what);
            return -1;
        }
        if (!has(cfg, "password")) {
            vpmu_error_set(
                    error, VPMU_ERR_USAGE, "%s: no password for password authentication%s", what,
                    cfg->origin ? " (put it in secure.yaml or clouds.yaml)" : " (set OS_PASSWORD)");
            return -1;
        }
        break;
    case VPMU_CLOUD_AUTH_APPLICATION_CREDENTIAL:
        if (!has(cfg, "application_credential_secret")) {
            vpmu_error_set(error, VPMU_ERR_USAGE, "%s: no application_credential_secret", what);
            return -1;
        }
        if (!has(cfg, "application_credential_id")) {
            if (!has(cfg, "application_credential_name")) {
                vpmu_error_set(error, VPMU_ERR_USAGE, "%s: no application_credential_id or _name",
                               what);
                return -1;
            }
            if (!has(cfg, "username") && !has(cfg, "user_id")) {
                vpmu_error_set(error, VPMU_ERR_USAGE,
                               "%s: an application credential name without the username or user_id "
                               "that owns it",
                               what);
                return -1;
            }
        }
        break;
    case VPMU_CLOUD_AUTH_TOKEN:
        if (!has(cfg, "token")) {
            vpmu_error_set(error, VPMU_ERR_USAGE, "%s: no token for token authentication%s", what,
                           cfg->origin ? "" : " (set OS_TOKEN)");
            return -1;
        }
        break;
    }

    /* openstackclient's default_domain (OS_DEFAULT_DOMAIN, 'default'). */
    domain = vpmu_cloud_config_get(cfg, "default_domain");
    if (!domain)
        domain = "default";
    if (has(cfg, "username") && !has(cfg, "user_id") && !has(cfg, "user_domain_name") &&
        !has(cfg, "user_domain_id"))
        config_set(cfg, "user_domain_id", domain);
    if (has(cfg, "project_name") && !has(cfg, "project_id") && !has(cfg, "project_domain_name") &&
        !has(cfg, "project_domain_id"))
        config_set(cfg, "project_domain_id", domain);

    if (!has(cfg, "interface")) {
        config_set(cfg, "interface", "public");
    } else {
        /* "publicURL" (the v2 catalog's spelling) -> "public". */
        _cleanup_free_ char *iface = xstrdup(vpmu_cloud_config_get(cfg, "interface"));
        size_t n = strlen(iface);
        if (n > 3 && STREQ(iface + n - 3, "URL"))
            iface[n - 3] = '\0';
        config_set(cfg, "interface", iface);
    }
    if (has(cfg, "insecure")) {
        const char *v = vpmu_cloud_config_get(cfg, "insecure");
        if (strcasecmp(v, "true") == 0 || STREQ(v, "1") || strcasecmp(v, "yes") == 0)
            config_set(cfg, "verify", "false");
    }
    if (has(cfg, "verify")) {
        const char *v = vpmu_cloud_config_get(cfg, "verify");
        bool off = strcasecmp(v, "false") == 0 || STREQ(v, "0") || strcasecmp(v, "no") == 0;
        config_set(cfg, "verify", off ? "false" : "true");
    }
    return 0;
}

/* ---- entry points -------------------------------------------------------------------------- */

static vpmu_cloud_config *
config_new(const char *name)
{
    vpmu_cloud_config *cfg = xcalloc(1, sizeof(*cfg));

    cfg->name = xstrdup(name);
    return cfg;
}

vpmu_cloud_config *
vpmu_cloud_config_parse(const char *name, const char *clouds, size_t clouds_len, const char *origin,
                        const char *secure, size_t secure_len, const char *secure_origin,
                        vpmu_error **error)
{
    _cleanup_(vpmu_cloud_config_freep) vpmu_cloud_config *cfg = NULL;
    bool found = false, found_secure = false;

    if (!name || !*name) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "no cloud name given");
        return NULL;
    }
    cfg = config_new(name);
    cfg->origin = xstrdup(origin ? origin : "clouds.yaml");
    if (clouds && merge_yaml(cfg, name, clouds, clouds_len, cfg->origin, &found, error) < 0)
        return NULL;
    if (secure) {
        cfg->secure_origin = xstrdup(secure_origin ? secure_origin : "secure.yaml");
        if (merge_yaml(cfg, name, secure, secure_len, cfg->secure_origin, &found_secure, error) < 0)
            return NULL;
    }
    if (!found && !found_secure) {
        _cleanup_free_ char *qn = quote_for_message(name, 80);
        _cleanup_free_ char *qo = quote_for_message(cfg->origin, 200);
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "cloud '%s' is not defined in '%s'", qn, qo);
        return NULL;
    }
    if (finish(cfg, error) < 0)
        return NULL;
    return TAKE_PTR(cfg);
}

/*
 * The directories openstacksdk searches, in its order (its loader's
 * CONFIG_SEARCH_PATH, with appdirs' Linux answers):
 *  1. the current directory ("" here);
 *  2. $XDG_CONFIG_HOME/openstack, or ~/.config/openstack when it is unset (an
 *     empty value is kept, as appdirs keeps it: "openstack", under 1.);
 *  3. ~/.config/openstack, the home being $SNAP_REAL_HOME when it is set;
 *  4. each entry of $XDG_CONFIG_DIRS (default /etc/xdg) with "/openstack"
 *     appended, a leading "~" expanded and trailing slashes removed, the
 *     entries joined again with ':' into one path: that is what openstacksdk
 *     asks appdirs for (multipath), so with one entry it is that entry's
 *     directory and with several it names no directory at all;
 *  5. /etc/openstack.
 * A directory named twice is simply tried twice; the first file found wins.
 */
static void
push_search_dirs(strv *dirs)
{
    const char *home = getenv("HOME");
    const char *snap = getenv("SNAP_REAL_HOME");
    const char *xdg_home = getenv("XDG_CONFIG_HOME");
    const char *xdg_dirs = getenv("XDG_CONFIG_DIRS");
    bool have_home = home && *home;
    _cleanup_free_ char *site = NULL;

    strv_push(dirs, xstrdup("")); /* the current directory: a bare file name */
    if (xdg_home)
        strv_pushf(dirs, "%s%sopenstack", xdg_home, *xdg_home ? "/" : "");
    else if (have_home)
        strv_pushf(dirs, "%s/.config/openstack", home);
    if (snap && *snap)
        strv_pushf(dirs, "%s/.config/openstack", snap);
    else if (have_home)
        strv_pushf(dirs, "%s/.config/openstack", home);

    site = xstrdup("");
    for (const char *p = xdg_dirs ? xdg_dirs : "/etc/xdg";;) {
        size_t n = strcspn(p, ":");
        _cleanup_free_ char *entry = xstrndup(p, n);
        _cleanup_free_ char *joined = NULL;
        size_t len = strlen(entry);

        while (len > 0 && entry[len - 1] == '/')
            entry[--len] = '\0';
        if (entry[0] == '~' && (entry[1] == '/' || entry[1] == '\0') && have_home)
            joined = xasprintf("%s%s%s%s/openstack", site, *site ? ":" : "", home, entry + 1);
        else
            joined = xasprintf("%s%s%s/openstack", site, *site ? ":" : "", entry);
        free(site);
        site = TAKE_PTR(joined);
        if (!p[n])
            break;
        p += n + 1;
    }
    strv_push(dirs, TAKE_PTR(site));
    strv_push(dirs, xstrdup("/etc/openstack"));
}

/*
 * The first readable file of clouds.{yaml,yml,json} (@base "clouds") or
 * secure.* in the standard places, after @env_var's file.  0 with *path NULL
 * when there is none.
 */
static int
find_config_file(const char *base, const char *env_var, char **path, char **buf, size_t *len,
                 vpmu_error **error)
{
    static const char *const suffixes[] = {".yaml", ".yml", ".json"};
    const char *env = getenv(env_var);
    strv candidates = {0}, dirs = {0};
    int r = 0;

    if (env && *env)
        strv_push(&candidates, xstrdup(env));
    push_search_dirs(&dirs);
    for (size_t d = 0; d < dirs.n; d++)
        for (size_t s = 0; s < ELEMENTSOF(suffixes); s++)
            strv_pushf(&candidates, "%s%s%s%s", dirs.v[d], *dirs.v[d] ? "/" : "", base,
                       suffixes[s]);
    strv_clear(&dirs);

    *path = NULL;
    for (size_t i = 0; i < candidates.n; i++) {
        const char *c = candidates.v[i];
        vpmu_error *e = NULL;

        if (access(c, F_OK) != 0)
            continue;
        if (access(c, R_OK) != 0 && errno == EACCES)
            continue; /* as openstacksdk: an unreadable file is passed over */
        if (vpmu_read_file(c, VPMU_CLOUD_MAX_CONFIG, buf, len, &e) < 0) {
            vpmu_error_set(error, vpmu_error_get_code(e), "%s", vpmu_error_get_message(e));
            vpmu_error_free(e);
            r = -1;
            break;
        }
        *path = xstrdup(c);
        break;
    }
    strv_clear(&candidates);
    return r;
}

static vpmu_cloud_config *
load_env(vpmu_error **error)
{
    _cleanup_(vpmu_cloud_config_freep) vpmu_cloud_config *cfg = config_new("envvars");

    for (char **e = environ; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (strncmp(*e, "OS_", 3) != 0 || !eq || eq == *e + 3)
            continue;
        _cleanup_free_ char *key = xstrndup(*e + 3, (size_t)(eq - *e - 3));
        if (STREQ(key, "CLOUD") || STREQ(key, "CLOUD_NAME") || STREQ(key, "CLIENT_CONFIG_FILE") ||
            STREQ(key, "CLIENT_SECURE_FILE"))
            continue;
        config_set(cfg, key, eq + 1);
    }
    if (finish(cfg, error) < 0)
        return NULL;
    return TAKE_PTR(cfg);
}

vpmu_cloud_config *
vpmu_cloud_config_load(const char *name, vpmu_error **error)
{
    _cleanup_free_ char *path = NULL, *buf = NULL, *spath = NULL, *sbuf = NULL;
    size_t len = 0, slen = 0;
    vpmu_cloud_config *cfg;

    if (!name) {
        const char *env = getenv("OS_CLOUD");
        name = env && *env ? env : NULL;
    }
    if (!name || !*name)
        return load_env(error);

    if (find_config_file("clouds", "OS_CLIENT_CONFIG_FILE", &path, &buf, &len, error) < 0)
        return NULL;
    if (find_config_file("secure", "OS_CLIENT_SECURE_FILE", &spath, &sbuf, &slen, error) < 0)
        goto fail;
    if (!path && !spath) {
        _cleanup_free_ char *qn = quote_for_message(name, 80);
        vpmu_error_set(error, VPMU_ERR_RUNTIME,
                       "cloud '%s' is not defined: no clouds.yaml in $OS_CLIENT_CONFIG_FILE, "
                       "the current directory, $XDG_CONFIG_HOME/openstack, ~/.config/openstack, "
                       "$XDG_CONFIG_DIRS/openstack or /etc/openstack",
                       qn);
        goto fail;
    }
    cfg = vpmu_cloud_config_parse(name, buf, len, path ? path : spath, sbuf, slen, spath, error);
    if (buf)
        explicit_bzero(buf, len);
    if (sbuf)
        explicit_bzero(sbuf, slen);
    return cfg;
fail:
    if (buf)
        explicit_bzero(buf, len);
    if (sbuf)
        explicit_bzero(sbuf, slen);
    return NULL;
}

bool
vpmu_cloud_configured(const char *name)
{
    const char *c = getenv("OS_CLOUD"), *u = getenv("OS_AUTH_URL");

    if (name)
        return *name || (u && *u);
    return (c && *c) || (u && *u);
}

vpmu_cloud_config *
cloud_config_copy(const vpmu_cloud_config *cfg)
{
    vpmu_cloud_config *c = config_new(cfg->name);

    c->origin = cfg->origin ? xstrdup(cfg->origin) : NULL;
    c->secure_origin = cfg->secure_origin ? xstrdup(cfg->secure_origin) : NULL;
    c->auth_type = cfg->auth_type;
    for (size_t i = 0; i < cfg->keys.n; i++) {
        strv_push(&c->keys, xstrdup(cfg->keys.v[i]));
        strv_push(&c->values, xstrdup(cfg->values.v[i]));
    }
    return c;
}

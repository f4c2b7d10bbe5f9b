# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash disable=SC2034 # globals set here are read by the tests
#
# openstack.sh: a real Keystone, Nova API and Glance API on 127.0.0.1, for
# the tests of `--flavor-id`, `--image-id` and `audit --cloud`.
#
#   os_start DIR      start all three (Keystone through keystone.sh) with
#                     their state under DIR (sqlite, fernet keys, Glance's
#                     file store); sets OS_* for the
#                     bootstrap admin (password auth), OS_KS_URL, OS_NOVA_URL,
#                     OS_GLANCE_URL, and OS_SKIP_REASON + returns 77 when a
#                     component is not installed, 1 when one fails to start
#                     (OS_FAIL_REASON, logs under DIR)
#   os_stop           stop what os_start started, by PID (call from an EXIT trap)
#   os_token          print a token for the admin (for the test's own curl calls)
#   os_nova METHOD PATH [JSON]    Nova API call (microversion 2.61), body on stdout
#   os_glance METHOD PATH [JSON]  Glance API call, body on stdout
#
# Keystone is tests/integration/lib/keystone.sh's (sqlite, fernet tokens,
# bootstrap without catalog URLs, a templated catalog, which here names Nova
# as "compute" and Glance as "image" too); source keystone.sh first.
# Nova (nova-api 26): `nova-manage api_db sync` and `db sync` (the API checks
# the services table), then nova-api-wsgi with OS_NOVA_CONFIG_DIR holding
# nova.conf and a copy of api-paste.ini; flavors and their extra specs live in
# the API database, so neither conductor nor compute is needed.
# Glance (glance-api 25): `glance-manage db_sync`, the fs store, paste flavor
# keystone, glance-wsgi-api with OS_GLANCE_CONFIG_DIR.
# Ports: VPMU_KEYSTONE_PORT (keystone.sh's, default 15357), OS_NOVA_PORT (18774),
# OS_GLANCE_PORT (18292).

OS_PY=/usr/bin/python3
OS_PIDS=()

_os_wait_http() { # URL PID SECONDS: wait until URL answers at all (any status)
    local url=$1 pid=$2 secs=$3 i
    for ((i = 0; i < secs * 5; i++)); do
        kill -0 "$pid" 2>/dev/null || return 1
        curl -s -o /dev/null --max-time 2 "$url" && return 0
        sleep 0.2
    done
    return 1
}

os_start() {
    local dir=$1 p
    OS_DIR=$dir
    OS_SKIP_REASON=""
    OS_FAIL_REASON=""
    OS_NOVA_PORT=${OS_NOVA_PORT:-18774}
    OS_GLANCE_PORT=${OS_GLANCE_PORT:-18292}
    OS_NOVA_URL="http://127.0.0.1:$OS_NOVA_PORT/v2.1"
    OS_GLANCE_URL="http://127.0.0.1:$OS_GLANCE_PORT"

    for p in nova-manage nova-api-wsgi glance-manage glance-wsgi-api curl; do
        command -v "$p" >/dev/null || {
            OS_SKIP_REASON="$p is not installed (apt-get install keystone nova-api glance-api curl)"
            return 77
        }
    done
    for p in $OS_NOVA_PORT $OS_GLANCE_PORT; do
        if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$p/"; then
            OS_FAIL_REASON="something already listens on 127.0.0.1:$p (set OS_NOVA_PORT, OS_GLANCE_PORT)"
            return 1
        fi
    done
    mkdir -p "$dir/nova" "$dir/glance/images"
    ks_init "$dir"
    ks_catalog compute "$OS_NOVA_URL"
    ks_catalog image "$OS_GLANCE_URL"

    # ---- Nova API ------------------------------------------------------------------------------
    cp /etc/nova/api-paste.ini "$dir/nova/api-paste.ini"
    {
        cat <<EOF
[DEFAULT]
log_file = $dir/nova/nova.log
state_path = $dir/nova
transport_url = rabbit://unused:unused@127.0.0.1:1/
[api]
auth_strategy = keystone
[wsgi]
api_paste_config = $dir/nova/api-paste.ini
[api_database]
connection = sqlite:///$dir/nova/nova_api.sqlite
[database]
connection = sqlite:///$dir/nova/nova.sqlite
[oslo_concurrency]
lock_path = $dir/nova/lock
[oslo_policy]
enforce_new_defaults = false
enforce_scope = false
EOF
        ks_service_conf keystone_authtoken
    } >"$dir/nova/nova.conf"
    {
        nova-manage --config-file "$dir/nova/nova.conf" api_db sync &&
            nova-manage --config-file "$dir/nova/nova.conf" db sync
    } >"$dir/nova/setup.log" 2>&1 || {
        OS_FAIL_REASON="nova-manage failed: $(tail -n 3 "$dir/nova/setup.log" | tr '\n' ' ')"
        return 1
    }

    # ---- Glance API ----------------------------------------------------------------------------
    {
        cat <<EOF
[DEFAULT]
log_file = $dir/glance/glance.log
enabled_backends = fs:file
[database]
connection = sqlite:///$dir/glance/glance.sqlite
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = $dir/glance/images
[os_glance_staging_store]
filesystem_store_datadir = $dir/glance/staging
[os_glance_tasks_store]
filesystem_store_datadir = $dir/glance/tasks
[paste_deploy]
flavor = keystone
[oslo_policy]
enforce_new_defaults = false
enforce_scope = false
EOF
        ks_service_conf keystone_authtoken
    } >"$dir/glance/glance-api.conf"
    cp /etc/glance/glance-api-paste.ini "$dir/glance/"
    glance-manage --config-file "$dir/glance/glance-api.conf" db_sync >"$dir/glance/setup.log" 2>&1 || {
        OS_FAIL_REASON="glance-manage db_sync failed: $(tail -n 3 "$dir/glance/setup.log" | tr '\n' ' ')"
        return 1
    }

    # Nova and Glance start while Keystone does: the three share the machine's two cores.
    OS_NOVA_CONFIG_DIR="$dir/nova" nova-api-wsgi --host 127.0.0.1 --port "$OS_NOVA_PORT" \
        >"$dir/nova/server.log" 2>&1 &
    OS_PIDS+=($!)
    local nova_pid=$!
    OS_GLANCE_CONFIG_DIR="$dir/glance" glance-wsgi-api --host 127.0.0.1 --port "$OS_GLANCE_PORT" \
        >"$dir/glance/server.log" 2>&1 &
    OS_PIDS+=($!)
    local glance_pid=$!

    ks_start || {
        OS_FAIL_REASON="Keystone: $KS_ERROR"
        return 1
    }
    _os_wait_http "$OS_NOVA_URL/" "$nova_pid" 120 || {
        OS_FAIL_REASON="Nova API did not answer on $OS_NOVA_URL: $(tail -n 3 "$dir/nova/server.log" | tr '\n' ' ')"
        return 1
    }
    _os_wait_http "$OS_GLANCE_URL/" "$glance_pid" 120 || {
        OS_FAIL_REASON="Glance API did not answer on $OS_GLANCE_URL: $(tail -n 3 "$dir/glance/server.log" | tr '\n' ' ')"
        return 1
    }

    OS_KS_URL=${KS_URL%/v3}
    export OS_AUTH_URL="$KS_URL" OS_USERNAME="$KS_ADMIN_USER" OS_PASSWORD="$KS_ADMIN_PASSWORD"
    export OS_PROJECT_NAME="$KS_ADMIN_PROJECT" OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default
    export OS_IDENTITY_API_VERSION=3 OS_REGION_NAME=RegionOne OS_INTERFACE=public
    unset OS_CLOUD OS_TOKEN
    return 0
}

os_stop() { # safe under set -e: every step may find its process gone already
    local pid
    for pid in "${OS_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${OS_PIDS[@]}"; do
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    OS_PIDS=()
    ks_stop_all || true
}

os_token() {
    [[ -n "${_OS_TOKEN:-}" ]] && {
        echo "$_OS_TOKEN"
        return 0
    }
    local body
    body=$(jq -n --arg p "$OS_PASSWORD" '{auth: {identity: {methods: ["password"],
        password: {user: {name: "admin", domain: {name: "Default"}, password: $p}}},
        scope: {project: {name: "admin", domain: {name: "Default"}}}}}')
    # (the bootstrap admin of keystone.sh)
    _OS_TOKEN=$(curl -s --max-time 30 -D - -o /dev/null -H 'Content-Type: application/json' \
        -d "$body" "$OS_KS_URL/v3/auth/tokens" | sed -n 's/^[Xx]-[Ss]ubject-[Tt]oken: *\([^\r]*\).*/\1/p')
    [[ -n "$_OS_TOKEN" ]] || return 1
    echo "$_OS_TOKEN"
}

_os_call() { # BASE EXTRA-HEADER METHOD PATH [JSON]
    local base=$1 hdr=$2 method=$3 path=$4 data=${5:-} tok
    tok=$(os_token) || return 1
    if [[ -n "$data" ]]; then
        curl -sf --max-time 60 -X "$method" -H "X-Auth-Token: $tok" -H "$hdr" \
            -H 'Content-Type: application/json' -d "$data" "$base$path"
    else
        curl -sf --max-time 60 -X "$method" -H "X-Auth-Token: $tok" -H "$hdr" "$base$path"
    fi
}

os_nova() { _os_call "$OS_NOVA_URL" "OpenStack-API-Version: compute 2.61" "$@"; }
os_glance() { _os_call "$OS_GLANCE_URL" "Accept: application/json" "$@"; }

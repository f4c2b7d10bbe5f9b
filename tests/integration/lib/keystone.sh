# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# tests/integration/lib/keystone.sh: a real Keystone (Debian's keystone:
# sqlite, fernet tokens, keystone-manage bootstrap, a templated catalog,
# served by keystone-wsgi-public) and, optionally, a real Placement guarded by
# it (auth_strategy = keystone, keystonemiddleware), both on 127.0.0.1,
# started and stopped by PID.  Source it; it defines functions only.
#
# How to use it (one Keystone per test script: start-up costs seconds):
#
#   . "$here/lib/keystone.sh"
#   ks_init "$tmp"                    # $tmp: the test's own temporary directory
#   ks_catalog placement "http://127.0.0.1:$PPORT"   # every service, BEFORE ks_start
#                                     # (optional 3rd/4th arguments: internal, admin URL):
#   ks_catalog compute "http://127.0.0.1:$NPORT/v2.1"  # the catalog is a template file
#   ks_start || skip "$KS_ERROR"      # db_sync, fernet keys, bootstrap, serve
#   placement_start "$PPORT" || skip "$KS_ERROR"     # optional
#   trap 'ks_stop_all' EXIT           # stops what was started here, by PID
#
# Then: $KS_URL (http://127.0.0.1:PORT/v3), the bootstrap admin
# $KS_ADMIN_USER / $KS_ADMIN_PASSWORD in project $KS_ADMIN_PROJECT (domain
# 'Default', role 'admin', region 'RegionOne'), and helpers:
#   ks_token [USER PASSWORD [PROJECT]]  print a project-scoped token (admin's by default)
#   ks_api METHOD PATH [JSON]           Keystone API call as admin; sets KS_STATUS, KS_BODY
#   ks_service_conf SECTION             print a [keystone_authtoken]-style section for a
#                                       service's own config (password auth as admin;
#                                       token_cache_time = -1, so revocations are seen)
# Ports: $VPMU_KEYSTONE_PORT (default 15357); Placement's is the caller's.
# Keystone runs single-threaded (wsgiref), so sqlite never sees concurrent
# writers ("database is locked").  Logs stay in $KS_DIR/*.log.

KS_PY=/usr/bin/python3
KS_ADMIN_USER=admin
KS_ADMIN_PROJECT=admin
KS_ADMIN_PASSWORD="ks-admin-$RANDOM$RANDOM"
KS_ERROR=""
KS_PID=""
KS_PLACEMENT_PID=""
KS_STATUS=""
KS_BODY=""

ks_init() { # ks_init DIR
    KS_DIR="$1/keystone"
    KS_PORT="${VPMU_KEYSTONE_PORT:-15357}"
    KS_URL="http://127.0.0.1:$KS_PORT/v3"
    mkdir -p "$KS_DIR"
    : >"$KS_DIR/catalog.templates"
    ks_catalog identity "$KS_URL"
}

ks_catalog() { # ks_catalog TYPE URL [INTERNAL_URL [ADMIN_URL]]: endpoints in RegionOne
    local t=$1 u=$2 i=${3:-$2} a=${4:-$2}
    {
        echo "catalog.RegionOne.$t.publicURL = $u"
        echo "catalog.RegionOne.$t.internalURL = $i"
        echo "catalog.RegionOne.$t.adminURL = $a"
        echo "catalog.RegionOne.$t.name = $t"
    } >>"$KS_DIR/catalog.templates"
}

_ks_wait_url() { # _ks_wait_url PID URL PATTERN TENTHS
    local pid=$1 url=$2 pat=$3 n=$4
    for _ in $(seq "$n"); do
        kill -0 "$pid" 2>/dev/null || return 2
        curl -s --max-time 2 "$url" 2>/dev/null | grep -q "$pat" && return 0
        sleep 0.1
    done
    return 1
}

_ks_stop_pid() {
    local pid=$1
    [[ -n "$pid" ]] || return 0
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

ks_start() {
    local conf="$KS_DIR/keystone.conf" me grp
    command -v keystone-manage >/dev/null && [[ -r /usr/bin/keystone-wsgi-public ]] || {
        KS_ERROR="Debian's keystone is not installed (apt-get install keystone)"
        return 1
    }
    if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$KS_PORT/"; then
        KS_ERROR="something already listens on 127.0.0.1:$KS_PORT; set VPMU_KEYSTONE_PORT"
        return 1
    fi
    me=$(id -un)
    grp=$(id -gn)
    cat >"$conf" <<EOF
[DEFAULT]
debug = false
log_file = $KS_DIR/keystone.log
[database]
connection = sqlite:///$KS_DIR/keystone.sqlite
[token]
provider = fernet
expiration = ${VPMU_KEYSTONE_TOKEN_EXPIRATION:-3600}
[fernet_tokens]
key_repository = $KS_DIR/fernet-keys
[fernet_receipts]
key_repository = $KS_DIR/fernet-receipts
[catalog]
driver = templated
template_file = $KS_DIR/catalog.templates
EOF
    # One Python process for db_sync, fernet_setup and bootstrap: each
    # keystone-manage run spends ~3 s of CPU importing Keystone.
    "$KS_PY" - "$conf" "$me" "$grp" "$KS_ADMIN_USER" "$KS_ADMIN_PASSWORD" "$KS_ADMIN_PROJECT" \
        >"$KS_DIR/manage.log" 2>&1 <<'PYEOF' || {
import sys
from keystone.cmd import cli
conf, user, group, admin, password, project = sys.argv[1:7]
for step in (["db_sync"],
             ["fernet_setup", "--keystone-user", user, "--keystone-group", group],
             ["bootstrap", "--bootstrap-username", admin, "--bootstrap-password", password,
              "--bootstrap-project-name", project, "--bootstrap-role-name", "admin",
              "--bootstrap-region-id", "RegionOne"]):
    cli.CONF.reset()
    cli.main(argv=["keystone-manage", "--config-file", conf] + step)
PYEOF
        KS_ERROR="keystone-manage failed: $(grep -v '^ ' "$KS_DIR/manage.log" | tail -n 3 | tr '\n' ' ')"
        return 1
    }
    "$KS_PY" -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); sys.exit(0 if c.execute("select 1 from local_user where name = ?", (sys.argv[2],)).fetchone() else 1)' \
        "$KS_DIR/keystone.sqlite" "$KS_ADMIN_USER" || {
        KS_ERROR="keystone-manage bootstrap created no user: $(grep ERROR "$KS_DIR/keystone.log" | tail -n 2 | tr '\n' ' ')"
        return 1
    }
    # Write-ahead logging: a connection Keystone keeps reading on no longer
    # blocks the next write ("database is locked" on the second user created
    # through the API otherwise, even with one request at a time).
    "$KS_PY" -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute("pragma journal_mode=wal")' \
        "$KS_DIR/keystone.sqlite"
    env OS_KEYSTONE_CONFIG_DIR="$KS_DIR" OS_KEYSTONE_CONFIG_FILES="$conf" \
        "$KS_PY" /usr/bin/keystone-wsgi-public --host 127.0.0.1 --port "$KS_PORT" \
        >"$KS_DIR/server.log" 2>&1 &
    KS_PID=$!
    _ks_wait_url "$KS_PID" "$KS_URL" '"version"' 600
    case $? in
    0) return 0 ;;
    2)
        wait "$KS_PID" 2>/dev/null
        KS_PID=""
        KS_ERROR="keystone-wsgi-public exited: $(tail -n 3 "$KS_DIR/server.log" | tr '\n' ' ')"
        ;;
    *) KS_ERROR="Keystone did not answer on $KS_URL within 60 s" ;;
    esac
    return 1
}

ks_token() { # ks_token [USER PASSWORD [PROJECT]]
    local u=${1:-$KS_ADMIN_USER} p=${2:-$KS_ADMIN_PASSWORD} pr=${3:-$KS_ADMIN_PROJECT}
    local body
    body=$("$KS_PY" -c 'import json,sys; u,p,pr=sys.argv[1:4]; print(json.dumps({"auth":{"identity":{"methods":["password"],"password":{"user":{"name":u,"domain":{"id":"default"},"password":p}}},"scope":{"project":{"name":pr,"domain":{"id":"default"}}}}}))' "$u" "$p" "$pr")
    curl -s --max-time 10 -D - -o /dev/null -H 'Content-Type: application/json' \
        --data "$body" "$KS_URL/auth/tokens" | tr -d '\r' |
        sed -n 's/^[Xx]-[Ss]ubject-[Tt]oken: *//p'
}

ks_api() { # ks_api METHOD PATH [JSON]
    local m=$1 p=$2 b=${3:-} out tok
    tok=${KS_API_TOKEN:-}
    [[ -n "$tok" ]] || tok=$(ks_token)
    local args=(-s --max-time 10 -X "$m" -H "X-Auth-Token: $tok" -H "Accept: application/json")
    [[ -n "$b" ]] && args+=(-H "Content-Type: application/json" --data "$b")
    out=$(curl "${args[@]}" -w '\n%{http_code}' "$KS_URL$p")
    KS_STATUS=${out##*$'\n'}
    KS_BODY=${out%$'\n'*}
}

ks_service_conf() { # ks_service_conf SECTION
    cat <<EOF
[$1]
www_authenticate_uri = $KS_URL
auth_url = $KS_URL
auth_type = password
username = $KS_ADMIN_USER
password = $KS_ADMIN_PASSWORD
project_name = $KS_ADMIN_PROJECT
user_domain_id = default
project_domain_id = default
token_cache_time = -1
http_connect_timeout = 5
http_request_max_retries = 1
EOF
}

placement_start() { # placement_start PORT: Placement with auth_strategy = keystone
    local port=$1 d="$KS_DIR/placement"
    KS_PLACEMENT_URL="http://127.0.0.1:$port"
    command -v placement-manage >/dev/null && [[ -r /usr/bin/placement-api ]] || {
        KS_ERROR="Debian's placement-api is not installed (apt-get install placement-api)"
        return 1
    }
    "$KS_PY" -c 'import keystonemiddleware.auth_token' 2>/dev/null || {
        KS_ERROR="python3-keystonemiddleware is not installed"
        return 1
    }
    if curl -s -o /dev/null --max-time 2 "$KS_PLACEMENT_URL/"; then
        KS_ERROR="something already listens on 127.0.0.1:$port"
        return 1
    fi
    mkdir -p "$d"
    {
        cat <<EOF
[DEFAULT]
debug = false
log_file = $d/placement.log
[api]
auth_strategy = keystone
[placement_database]
connection = sqlite:///$d/placement.sqlite
EOF
        ks_service_conf keystone_authtoken
    } >"$d/placement.conf"
    "$KS_PY" "$(command -v placement-manage)" --config-file "$d/placement.conf" db sync \
        >"$d/db-sync.log" 2>&1 || {
        KS_ERROR="placement-manage db sync failed: $(tail -n 3 "$d/db-sync.log" | tr '\n' ' ')"
        return 1
    }
    if command -v uwsgi >/dev/null && [[ -e /usr/lib/uwsgi/plugins/python3_plugin.so ]]; then
        env OS_PLACEMENT_CONFIG_DIR="$d" uwsgi --plugins python3 --http-socket "127.0.0.1:$port" \
            --wsgi-file /usr/bin/placement-api --chdir "$d" --master --processes 1 --threads 1 \
            --lazy-apps --die-on-term --need-app >"$d/server.log" 2>&1 &
    else
        env OS_PLACEMENT_CONFIG_DIR="$d" "$KS_PY" /usr/bin/placement-api --host 127.0.0.1 \
            --port "$port" >"$d/server.log" 2>&1 &
    fi
    KS_PLACEMENT_PID=$!
    # The root document needs no token: it is up when it answers with versions.
    _ks_wait_url "$KS_PLACEMENT_PID" "$KS_PLACEMENT_URL/" '"max_version"' 600
    case $? in
    0) return 0 ;;
    2)
        wait "$KS_PLACEMENT_PID" 2>/dev/null
        KS_PLACEMENT_PID=""
        KS_ERROR="Placement exited at start-up: $(tail -n 3 "$d/server.log" | tr '\n' ' ')"
        ;;
    *) KS_ERROR="Placement did not answer on $KS_PLACEMENT_URL within 60 s" ;;
    esac
    return 1
}

ks_stop_all() { # Placement first (it talks to Keystone), then Keystone
    _ks_stop_pid "$KS_PLACEMENT_PID"
    KS_PLACEMENT_PID=""
    _ks_stop_pid "$KS_PID"
    KS_PID=""
}

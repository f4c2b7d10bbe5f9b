#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# keystone-auth.sh VPMU_BIN CLOUD_RENEW_BIN: vpmu against a real Keystone and a
# real Placement guarded by it (auth_strategy = keystone), both on 127.0.0.1,
# started here and stopped by PID (tests/integration/lib/keystone.sh).
#
# Set-up through Keystone's and Placement's own APIs (curl): a user
# 'vpmu-report' with the admin role on project 'service' (Placement 8.0's
# trait and allocation-candidate policies need admin), an application
# credential of that user limited to that role, and three compute node
# providers with other traits (HW_CPU_X86_AVX2, CUSTOM_FOO): one named after
# libvirt's hostname of test:///default (what vpmu reports to by default),
# 'cn-vm' and 'cn-arm'.
#
# Cases: clouds.yaml + secure.yaml with a password (trait set on the provider
# found by hostname); OS_* only (trait cleared on an incapable fixture,
# --provider-name); an application credential (OS_* and clouds.yaml); the
# token method (OS_TOKEN); a wrong password, an unknown cloud, an unknown
# provider name, a revoked OS_TOKEN (exit 1, clear messages); schedule
# --candidates through the catalog; a token revoked or close to expiry renewed
# inside one session (cloud-renew).  Every case checks that no password,
# secret or token appears on stdout or stderr, and other traits survive.
#
# Prints TAP.  Exit: 0 pass, 1 fail, 77 skip (Keystone or Placement not installed).

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VPMU="${1:-${VPMU_BIN:-}}"
RENEW="${2:-}"
# shellcheck source=lib/wrap.sh
. "$here/lib/wrap.sh" && it_wrap VPMU RENEW
HOSTS="${VPMU_TESTDATA:-$here/../data}/hosts"
PPORT="${VPMU_KS_PLACEMENT_PORT:-18779}"
export LC_ALL=C.UTF-8
export LIBVIRT_DEFAULT_URI=test:///default
# Nothing of the caller's cloud may leak in.
for v in $(env | sed -n 's/^\(OS_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done

skip() {
    echo "1..0 # SKIP $*"
    echo "keystone-auth.sh: skipped: $*" >&2
    exit 77
}
bail() {
    echo "Bail out! $*"
    local f
    for f in "${KS_DIR:-/nonexistent}/keystone.log" "${KS_DIR:-/nonexistent}/placement/placement.log"; do
        [[ -r "$f" ]] && grep -E "ERROR|Error|error" "$f" | tail -n 8 | sed "s|^|# $(basename "$f"): |"
    done
    exit 1
}

[[ -x "$VPMU" ]] || bail "vpmu binary '$VPMU' is not executable (pass it as \$1)"
[[ -x "$RENEW" ]] || bail "cloud-renew binary '$RENEW' is not executable (pass it as \$2)"
command -v curl >/dev/null || skip "curl is not installed"
command -v virsh >/dev/null || skip "virsh is not installed (libvirt-clients)"
command -v keystone-manage >/dev/null || skip "Debian's keystone is not installed"
command -v placement-manage >/dev/null || skip "Debian's placement-api is not installed"

# shellcheck source=lib/keystone.sh
. "$here/lib/keystone.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vpmu-keystone.XXXXXX")
TLS_PROXY_PID=""
cleanup() {
    [[ -n "$TLS_PROXY_PID" ]] && kill "$TLS_PROXY_PID" 2>/dev/null
    ks_stop_all
    rm -rf "$tmp"
}
trap cleanup EXIT

t0=$SECONDS
ks_init "$tmp"
# The internal endpoint is a closed port: only OS_INTERFACE=internal goes there.
ks_catalog placement "http://127.0.0.1:$PPORT" "http://127.0.0.1:9/internal"
ks_start || bail "Keystone did not start: $KS_ERROR"
placement_start "$PPORT" || bail "Placement did not start: $KS_ERROR"
PURL=$KS_PLACEMENT_URL
echo "# Keystone (pid $KS_PID) on $KS_URL and Placement (pid $KS_PLACEMENT_PID) on $PURL, up in $((SECONDS - t0)) s"

# ---- TAP ---------------------------------------------------------------------------------------
n=0
failures=0
SECRETS=()
mask() { # hide every secret in $1 (for failure details only)
    local s=$1 x
    for x in "${SECRETS[@]}"; do [[ -n "$x" ]] && s=${s//"$x"/***}; done
    printf '%s' "$s"
}
ok() { # ok STATUS DESCRIPTION [DETAIL...]
    local st=$1 what=$2
    shift 2
    n=$((n + 1))
    if [[ "$st" == 0 ]]; then
        echo "ok $n - $what"
    else
        echo "not ok $n - $what"
        failures=$((failures + 1))
        local line
        for line in "$@"; do mask "$line" | sed 's/^/#   /'; echo; done
    fi
}

# ---- API helpers (independent of vpmu) ---------------------------------------------------------
ADMIN_TOKEN=$(ks_token)
[[ -n "$ADMIN_TOKEN" ]] || bail "no admin token from Keystone"
SECRETS+=("$KS_ADMIN_PASSWORD" "$ADMIN_TOKEN")
export KS_API_TOKEN=$ADMIN_TOKEN
jpy() { # jpy EXPR: evaluate EXPR on d = json.loads(stdin)
    "$KS_PY" -c 'import json, sys; d = json.loads(sys.stdin.read()); r = eval(sys.argv[1]); print(r if isinstance(r, str) else json.dumps(r))' "$1"
}
ks_must() { # ks_must STATUS METHOD PATH [JSON]
    local want=$1
    shift
    ks_api "$@"
    [[ "$KS_STATUS" == "$want" ]] || bail "Keystone $1 $2 answered $KS_STATUS, not $want: $KS_BODY"
}
P_STATUS=""
P_BODY=""
papi() { # papi METHOD PATH [JSON]: Placement as the bootstrap admin
    local m=$1 p=$2 b=${3:-} out
    local args=(-s --max-time 10 -X "$m" -H "X-Auth-Token: $ADMIN_TOKEN"
        -H "OpenStack-API-Version: placement 1.39" -H "Accept: application/json")
    [[ -n "$b" ]] && args+=(-H "Content-Type: application/json" --data "$b")
    out=$(curl "${args[@]}" -w '\n%{http_code}' "$PURL$p")
    P_STATUS=${out##*$'\n'}
    P_BODY=${out%$'\n'*}
}
pmust() {
    local want=$1
    shift
    papi "$@"
    [[ "$P_STATUS" == "$want" ]] || bail "Placement $1 $2 answered $P_STATUS, not $want: $P_BODY"
}
traits_of() {
    papi GET "/resource_providers/$1/traits"
    jpy '" ".join(sorted(d["traits"]))' <<<"$P_BODY"
}

# ---- the cloud ---------------------------------------------------------------------------------
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$PURL/resource_providers")
ok "$([[ "$code" == 401 ]]; echo $?)" "Placement refuses a request without a token (HTTP 401)" "got $code"

USER_PASSWORD="vpmu-Pw-$RANDOM$RANDOM"
SECRETS+=("$USER_PASSWORD")
ks_must 201 POST /projects '{"project": {"name": "service", "domain_id": "default"}}'
PROJECT_ID=$(jpy 'd["project"]["id"]' <<<"$KS_BODY")
ks_must 201 POST /users "{\"user\": {\"name\": \"vpmu-report\", \"domain_id\": \"default\", \"password\": \"$USER_PASSWORD\"}}"
USER_ID=$(jpy 'd["user"]["id"]' <<<"$KS_BODY")
ks_must 200 GET '/roles?name=admin'
ROLE_ID=$(jpy 'd["roles"][0]["id"]' <<<"$KS_BODY")
ks_must 204 PUT "/projects/$PROJECT_ID/users/$USER_ID/roles/$ROLE_ID"
# A second user with only 'member' on the project: shows what the least role is.
ks_must 201 POST /users "{\"user\": {\"name\": \"vpmu-member\", \"domain_id\": \"default\", \"password\": \"$USER_PASSWORD\"}}"
MEMBER_ID=$(jpy 'd["user"]["id"]' <<<"$KS_BODY")
ks_must 200 GET '/roles?name=member'
MEMBER_ROLE_ID=$(jpy 'd["roles"][0]["id"]' <<<"$KS_BODY")
ks_must 204 PUT "/projects/$PROJECT_ID/users/$MEMBER_ID/roles/$MEMBER_ROLE_ID"
USER_TOKEN=$(ks_token vpmu-report "$USER_PASSWORD" service)
[[ -n "$USER_TOKEN" ]] || bail "no token for vpmu-report"
SECRETS+=("$USER_TOKEN")
# The application credential, created by its user, limited to the one role.
KS_API_TOKEN=$USER_TOKEN ks_must 201 POST "/users/$USER_ID/application_credentials" \
    '{"application_credential": {"name": "vpmu-report", "roles": [{"name": "admin"}], "unrestricted": false}}'
AC_ID=$(jpy 'd["application_credential"]["id"]' <<<"$KS_BODY")
AC_SECRET=$(jpy 'd["application_credential"]["secret"]' <<<"$KS_BODY")
SECRETS+=("$AC_SECRET")

HOSTNAME_RP=$(virsh -c test:///default hostname 2>/dev/null)
[[ -n "$HOSTNAME_RP" ]] || bail "virsh -c test:///default hostname said nothing"
CN_HOST=20000000-0000-4000-8000-000000000001
CN_VM=20000000-0000-4000-8000-000000000002
CN_ARM=20000000-0000-4000-8000-000000000003
pmust 201 PUT /traits/CUSTOM_FOO
pmust 201 PUT /traits/CUSTOM_COMPUTE_VPMU
for rp in "$CN_HOST $HOSTNAME_RP" "$CN_VM cn-vm" "$CN_ARM cn-arm"; do
    read -r uuid name <<<"$rp"
    pmust 200 POST /resource_providers "{\"name\": \"$name\", \"uuid\": \"$uuid\"}"
    pmust 200 PUT "/resource_providers/$uuid/inventories" \
        '{"resource_provider_generation": 0, "inventories": {"VCPU": {"total": 8}, "MEMORY_MB": {"total": 16384}}}'
    traits='["HW_CPU_X86_AVX2", "CUSTOM_FOO"]'
    [[ "$name" == cn-vm ]] && traits='["HW_CPU_X86_AVX2", "CUSTOM_FOO", "CUSTOM_COMPUTE_VPMU"]'
    pmust 200 PUT "/resource_providers/$uuid/traits" "{\"traits\": $traits, \"resource_provider_generation\": 1}"
done
BASE="CUSTOM_FOO HW_CPU_X86_AVX2"
WITH="CUSTOM_COMPUTE_VPMU CUSTOM_FOO HW_CPU_X86_AVX2"

cat >"$tmp/clouds.yaml" <<EOF
clouds:
  vpmu:
    region_name: RegionOne
    auth:
      auth_url: $KS_URL
      username: vpmu-report
      project_name: service
      user_domain_name: Default
      project_domain_name: Default
  vpmu-appcred:
    auth_type: v3applicationcredential
    auth:
      auth_url: $KS_URL
      application_credential_id: $AC_ID
  vpmu-wrong:
    auth:
      auth_url: $KS_URL
      username: vpmu-report
      password: wrong-$USER_PASSWORD
      project_name: service
EOF
cat >"$tmp/secure.yaml" <<EOF
clouds:
  vpmu:
    auth:
      password: $USER_PASSWORD
  vpmu-appcred:
    auth:
      application_credential_secret: $AC_SECRET
EOF
chmod 600 "$tmp/secure.yaml" "$tmp/clouds.yaml"
SECRETS+=("wrong-$USER_PASSWORD")

# ---- vpmu runs ---------------------------------------------------------------------------------
RC=0
OUT=""
ERR=""
run() { # run [VAR=VALUE...] -- ARGS...: vpmu in a clean environment; sets RC, OUT, ERR
    local envs=()
    while [[ $# -gt 0 && "$1" != -- ]]; do
        envs+=("$1")
        shift
    done
    shift
    RC=0
    OUT=$(timeout 60 env "${envs[@]}" "$VPMU" "$@" 2>"$tmp/stderr") || RC=$?
    ERR=$(cat "$tmp/stderr")
}
no_secret() { # 0 when no secret is in OUT or ERR
    local x
    for x in "${SECRETS[@]}"; do
        [[ -z "$x" ]] && continue
        if grep -qF -- "$x" <<<"$OUT$ERR"; then return 1; fi
    done
    return 0
}
has() { grep -qF -- "$2" <<<"$1"; }
FILES=(OS_CLIENT_CONFIG_FILE="$tmp/clouds.yaml" OS_CLIENT_SECURE_FILE="$tmp/secure.yaml")
OS_PW=(OS_AUTH_URL="$KS_URL" OS_USERNAME=vpmu-report OS_PASSWORD="$USER_PASSWORD"
    OS_PROJECT_NAME=service OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default
    OS_REGION_NAME=RegionOne)

# 1. clouds.yaml + secure.yaml, password; provider by libvirt's hostname; capable fixture.
run "${FILES[@]}" -- --os-cloud vpmu host --host-root "$HOSTS/intel-pmu" --report
ok "$([[ $RC == 0 ]] && has "$OUT" "placement: provider $CN_HOST is '$HOSTNAME_RP' at $PURL" &&
    has "$OUT" "placement: set CUSTOM_COMPUTE_VPMU on provider $CN_HOST"; echo $?)" \
    "clouds.yaml (password): the trait is set on the provider named after libvirt's hostname" "rc=$RC" "$OUT" "$ERR"
got=$(traits_of "$CN_HOST")
ok "$([[ "$got" == "$WITH" ]]; echo $?)" "clouds.yaml: the other traits are kept" "traits: $got"
ok "$(no_secret; echo $?)" "clouds.yaml: no secret in the output" "$OUT" "$ERR"

# 2. OS_* only, an incapable fixture, --provider-name; JSON.
run "${OS_PW[@]}" -- -o json host --host-root "$HOSTS/novpmu-vm" --report --provider-name cn-vm
act=$(jpy 'd["placement"]["action"] + " " + d["placement"]["auth"] + " " + d["placement"]["provider"]' <<<"$OUT" 2>/dev/null)
ok "$([[ $RC == 0 && "$act" == "cleared keystone $CN_VM" ]]; echo $?)" \
    "OS_* only: the trait is cleared on an incapable host (cn-vm by name)" "rc=$RC act=$act" "$OUT" "$ERR"
got=$(traits_of "$CN_VM")
ok "$([[ "$got" == "$BASE" ]]; echo $?)" "OS_* only: the other traits are kept" "traits: $got"
ok "$(no_secret; echo $?)" "OS_* only: no secret in the output" "$OUT" "$ERR"

# 3. Application credential from OS_*, provider by UUID; then from clouds.yaml (unchanged).
run OS_AUTH_URL="$KS_URL" OS_AUTH_TYPE=v3applicationcredential OS_APPLICATION_CREDENTIAL_ID="$AC_ID" \
    OS_APPLICATION_CREDENTIAL_SECRET="$AC_SECRET" -- host --host-root "$HOSTS/arm64-pmuv3" --report --provider "$CN_ARM"
ok "$([[ $RC == 0 ]] && has "$OUT" "placement: set CUSTOM_COMPUTE_VPMU on provider $CN_ARM"; echo $?)" \
    "application credential (OS_*): the trait is set" "rc=$RC" "$OUT" "$ERR"
ok "$(no_secret; echo $?)" "application credential (OS_*): no secret in the output" "$OUT" "$ERR"
run "${FILES[@]}" OS_CLOUD=vpmu-appcred -- host --host-root "$HOSTS/arm64-pmuv3" --report --provider "$CN_ARM"
ok "$([[ $RC == 0 ]] && has "$OUT" "already present on provider $CN_ARM; unchanged"; echo $?)" \
    "application credential (clouds.yaml, \$OS_CLOUD): already set, unchanged" "rc=$RC" "$OUT" "$ERR"
got=$(traits_of "$CN_ARM")
ok "$([[ "$got" == "$WITH" ]] && no_secret; echo $?)" "application credential: other traits kept, no secret shown" "traits: $got" "$OUT" "$ERR"

# 4. The token method (OS_TOKEN with OS_AUTH_URL): a token of vpmu-report.
run OS_AUTH_URL="$KS_URL" OS_TOKEN="$USER_TOKEN" OS_PROJECT_NAME=service -- \
    host --host-root "$HOSTS/intel-pmu" --report
ok "$([[ $RC == 0 ]] && has "$OUT" "already present on provider $CN_HOST" && no_secret; echo $?)" \
    "token method (OS_TOKEN): reports, and the token is not shown" "rc=$RC" "$OUT" "$ERR"

# 5. Failures: wrong password, unknown cloud, unknown provider name, revoked token.
run "${FILES[@]}" -- --os-cloud vpmu-wrong host --host-root "$HOSTS/intel-pmu" --report
ok "$([[ $RC == 1 ]] && has "$ERR" "vpmu: authentication failed at '$KS_URL' for user 'vpmu-report' in project 'service' (HTTP 401): The request you have made requires authentication." &&
    [[ -z "$OUT" || "$OUT" != *placement:* ]]; echo $?)" \
    "a wrong password: exit 1, naming the auth URL, the user and the project" "rc=$RC" "$ERR"
ok "$(no_secret; echo $?)" "a wrong password: the password is in no output" "$OUT" "$ERR"
run "${OS_PW[@]}" OS_PASSWORD="wrong-$USER_PASSWORD" -- schedule --flavor-spec hw:pmu=true --candidates --resources VCPU=1
ok "$([[ $RC == 1 ]] && has "$ERR" "authentication failed" && no_secret; echo $?)" \
    "a wrong OS_PASSWORD (schedule): exit 1, no password shown" "rc=$RC" "$ERR"
run "${FILES[@]}" -- --os-cloud nope host --host-root "$HOSTS/intel-pmu" --report
ok "$([[ $RC == 1 ]] && has "$ERR" "vpmu: cloud 'nope' is not defined in '$tmp/clouds.yaml'"; echo $?)" \
    "an unknown cloud name: exit 1, naming it and the file" "rc=$RC" "$ERR"
run "${FILES[@]}" -- --os-cloud vpmu host --host-root "$HOSTS/intel-pmu" --report --provider-name no-such-host
ok "$([[ $RC == 1 ]] && has "$ERR" "vpmu: Placement '$PURL' has no resource provider named 'no-such-host'" && no_secret; echo $?)" \
    "an unknown provider name: exit 1, naming it" "rc=$RC" "$ERR"
REVOKED=$(ks_token vpmu-report "$USER_PASSWORD" service)
SECRETS+=("$REVOKED")
curl -s -o /dev/null --max-time 10 -X DELETE -H "X-Auth-Token: $ADMIN_TOKEN" -H "X-Subject-Token: $REVOKED" "$KS_URL/auth/tokens"
run OS_AUTH_URL="$KS_URL" OS_TOKEN="$REVOKED" OS_PROJECT_NAME=service -- host --host-root "$HOSTS/intel-pmu" --report
ok "$([[ $RC == 1 ]] && has "$ERR" "vpmu: authentication failed at '$KS_URL' for the given token in project 'service' (HTTP 404)" && no_secret; echo $?)" \
    "a revoked OS_TOKEN cannot be renewed: exit 1, the token not shown" "rc=$RC" "$ERR"

run OS_AUTH_URL="$KS_URL" OS_USERNAME=vpmu-member OS_PASSWORD="$USER_PASSWORD" OS_PROJECT_NAME=service -- \
    host --host-root "$HOSTS/intel-pmu" --report --provider "$CN_HOST"
ok "$([[ $RC == 1 ]] && has "$ERR" "with HTTP 403 Forbidden" && no_secret; echo $?)" \
    "the member role is not enough for Placement 8.0's trait API (HTTP 403): admin is the least role" "rc=$RC" "$ERR"

# 6. schedule --candidates through the catalog.
run "${FILES[@]}" OS_CLOUD=vpmu -- schedule --flavor-spec hw:pmu=true --candidates --resources VCPU=2,MEMORY_MB=1024
got=$(awk '{print $1}' <<<"$OUT" | sort | tr '\n' ' ')
ok "$([[ $RC == 0 && "$got" == "$CN_HOST $CN_ARM " ]]; echo $?)" \
    "schedule --candidates hw:pmu=true: only the capable providers" "rc=$RC got=$got" "$OUT" "$ERR"
run "${OS_PW[@]}" -- -o json schedule --candidates --resources VCPU=2
got=$(jpy '" ".join(sorted(p["uuid"] for p in d["providers"])) + " " + d["placement"]' <<<"$OUT" 2>/dev/null)
ok "$([[ $RC == 0 && "$got" == "$CN_HOST $CN_VM $CN_ARM $PURL" ]] && no_secret; echo $?)" \
    "schedule --candidates unset (OS_*): every provider, from the catalog's Placement" "rc=$RC got=$got" "$ERR"

# The catalog's interface and region are the configured ones.
run "${OS_PW[@]}" OS_INTERFACE=internal -- schedule --candidates --resources VCPU=2
ok "$([[ $RC == 1 ]] && has "$ERR" "cannot reach placement: GET 'http://127.0.0.1:9/internal/allocation_candidates?" && no_secret; echo $?)" \
    "OS_INTERFACE=internal: the catalog's internal endpoint is used" "rc=$RC" "$ERR"
run "${OS_PW[@]}" OS_REGION_NAME=RegionTwo -- schedule --candidates --resources VCPU=2
ok "$([[ $RC == 1 ]] && has "$ERR" "has no 'placement' endpoint with interface 'public' in region 'RegionTwo'"; echo $?)" \
    "OS_REGION_NAME=RegionTwo: no endpoint there, named" "rc=$RC" "$ERR"

# 6b. Keystone over HTTPS: a TLS front (tls-proxy.py, OpenSSL through Python's ssl module)
# with a certificate for IP 127.0.0.1 signed by a CA made here.  The CA comes from OS_CACERT or
# clouds.yaml's cacert; without it, with another CA, or by a name the certificate does not
# carry, the handshake is refused; OS_INSECURE / verify: false skip the check, as openstacksdk.
# shellcheck source=lib/tls.sh
. "$here/lib/tls.sh"
tls_make_certs "$tmp/tls" || bail "openssl could not make the test certificates: $TLS_ERROR"
tls_proxy_start "$tmp/tls/server.pem" "$tmp/tls/server.key" "$KS_PORT" "$tmp/tls-proxy.log" ||
    bail "$TLS_ERROR"
TPORT=$TLS_PROXY_PORT
KS_HTTPS="https://127.0.0.1:$TPORT/v3"
handshakes() { grep -c '^tls-proxy: handshake [0-9]' "$tmp/tls-proxy.log"; }
OS_TLS=(OS_AUTH_URL="$KS_HTTPS" OS_USERNAME=vpmu-report OS_PASSWORD="$USER_PASSWORD"
    OS_PROJECT_NAME=service OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default
    OS_REGION_NAME=RegionOne)
h0=$(handshakes)
run "${OS_TLS[@]}" OS_CACERT="$tmp/tls/ca.pem" -- host --host-root "$HOSTS/intel-pmu" --report
ok "$([[ $RC == 0 && $(handshakes) -gt $h0 ]] && has "$OUT" "already present on provider $CN_HOST" && no_secret; echo $?)" \
    "HTTPS Keystone with OS_CACERT: authenticated through TLS, reports" "rc=$RC handshakes $h0 -> $(handshakes)" "$OUT" "$ERR"
run "${OS_TLS[@]}" -- host --host-root "$HOSTS/intel-pmu" --report
ok "$([[ $RC == 1 ]] && has "$ERR" "$KS_HTTPS" && grep -qi "certificate" <<<"$ERR" && [[ "$OUT" != *placement:* ]] && no_secret; echo $?)" \
    "HTTPS Keystone without the CA: exit 1, a certificate error naming the URL" "rc=$RC" "$OUT" "$ERR"
run "${OS_TLS[@]}" OS_CACERT="$tmp/tls/other-ca.pem" -- host --host-root "$HOSTS/intel-pmu" --report
ok "$([[ $RC == 1 ]] && grep -qi "certificate" <<<"$ERR" && no_secret; echo $?)" \
    "HTTPS Keystone with another CA: exit 1, a certificate error" "rc=$RC" "$ERR"
run "${OS_TLS[@]}" OS_AUTH_URL="https://localhost:$TPORT/v3" OS_CACERT="$tmp/tls/ca.pem" -- \
    host --host-root "$HOSTS/intel-pmu" --report
ok "$([[ $RC == 1 ]] && has "$ERR" "https://localhost:$TPORT/v3" && no_secret; echo $?)" \
    "HTTPS Keystone by a name the certificate lacks (localhost): exit 1" "rc=$RC" "$ERR"
run "${OS_TLS[@]}" OS_INSECURE=true -- host --host-root "$HOSTS/intel-pmu" --report
ok "$([[ $RC == 0 ]] && has "$OUT" "already present on provider $CN_HOST"; echo $?)" \
    "HTTPS Keystone with OS_INSECURE=true: no verification, as openstacksdk" "rc=$RC" "$OUT" "$ERR"
cat >"$tmp/clouds-tls.yaml" <<EOF
clouds:
  tls:
    cacert: $tmp/tls/ca.pem
    auth:
      auth_url: $KS_HTTPS
      username: vpmu-report
      password: $USER_PASSWORD
      project_name: service
  tls-noverify:
    verify: false
    auth:
      auth_url: $KS_HTTPS
      username: vpmu-report
      password: $USER_PASSWORD
      project_name: service
EOF
chmod 600 "$tmp/clouds-tls.yaml"
run OS_CLIENT_CONFIG_FILE="$tmp/clouds-tls.yaml" -- --os-cloud tls host --host-root "$HOSTS/intel-pmu" --report
ok "$([[ $RC == 0 ]] && has "$OUT" "already present on provider $CN_HOST" && no_secret; echo $?)" \
    "HTTPS Keystone with clouds.yaml's cacert: reports" "rc=$RC" "$OUT" "$ERR"
run OS_CLIENT_CONFIG_FILE="$tmp/clouds-tls.yaml" -- --os-cloud tls-noverify host --host-root "$HOSTS/intel-pmu" --report
ok "$([[ $RC == 0 ]] && has "$OUT" "already present on provider $CN_HOST"; echo $?)" \
    "HTTPS Keystone with clouds.yaml's verify: false: reports" "rc=$RC" "$OUT" "$ERR"
kill "$TLS_PROXY_PID" 2>/dev/null
wait "$TLS_PROXY_PID" 2>/dev/null
TLS_PROXY_PID=""

# 7. One session: a revoked token and one close to expiry are renewed.
renew_out=$(timeout 120 env "${OS_PW[@]}" "$RENEW" 2>&1)
renew_rc=$?
while IFS= read -r line; do
    case $line in
    "ok "*) ok 0 "session: ${line#ok * - }" ;;
    "not ok "*) ok 1 "session: ${line#not ok * - }" ;;
    "#"*) mask "$line"; echo ;;
    esac
done <<<"$renew_out"
ok "$([[ $renew_rc == 0 ]] && ! grep -qF "$USER_PASSWORD" <<<"$renew_out"; echo $?)" "cloud-renew passed and showed no password" "rc=$renew_rc"

echo "1..$n"
echo "# $((SECONDS - t0)) s in all"
[[ $failures == 0 ]]

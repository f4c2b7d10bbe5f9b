#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# placement.sh [VPMU_BIN [PLACEMENT_RACE_BIN]]: vpmu against a real OpenStack
# Placement (Debian 12's placement-api).
#
# Starts its own Placement on 127.0.0.1:18778 (uwsgi, else the wsgiref
# server in /usr/bin/placement-api) with sqlite and [api] auth_strategy =
# noauth2 (docs/facts.md §1) in a temporary directory, builds a small heterogeneous
# cloud (three compute providers with VCPU/MEMORY_MB inventory and the traits
# HW_CPU_X86_AVX2 and CUSTOM_FOO), reports each with `vpmu host --host-root
# FIXTURE --placement URL --provider UUID`, and checks through Placement's own
# API that:
#   - CUSTOM_COMPUTE_VPMU is set on capable hosts and cleared on the others
#     (also flipped both ways), and every other trait survives;
#   - a 409 race is survived (placement-race, deterministic) and vpmu keeps
#     working while another writer hammers the same provider;
#   - `vpmu schedule --placement` for hw:pmu=true lists only the capable
#     providers, and for unset or false all of them;
#   - an unreachable Placement, an unknown provider or a missing token exit 1
#     with a clear message;
#   - a provider whose name holds a newline, ESC and a C1 control is shown
#     quoted by schedule --placement (and exactly in its JSON), and refused,
#     quoted, as a --provider-name; a Placement URL with a password works and
#     the password is in no output or error (JSON url, HTTP and transport
#     errors, usage errors).
# Stops Placement by PID at exit.  The package's own service is left alone.
#
# Prints TAP.  Exit: 0 pass, 1 fail (also when Placement cannot run here:
# that is a failure, not a skip).

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VPMU="${1:-${VPMU_BIN:-}}"
RACE="${2:-${VPMU_PLACEMENT_RACE:-}}"
# shellcheck source=lib/wrap.sh
. "$here/lib/wrap.sh" && it_wrap VPMU RACE
HOSTS="${VPMU_TESTDATA:-$here/../data}/hosts"
PORT="${VPMU_PLACEMENT_PORT:-18778}"
URL="http://127.0.0.1:$PORT"
export OS_TOKEN=admin # noauth2: the token names the (admin) user
export LC_ALL=C.UTF-8

# cannot_run REASON: Placement cannot run here.  That fails the test: a Placement
# that cannot start on CI is a failure, not a skip.
cannot_run() {
    echo "not ok 1 - Placement runs here: $*"
    echo "1..1"
    echo "placement.sh: FAIL: cannot run: $*" >&2
    exit 1
}

# ---- TAP ---------------------------------------------------------------------------------------
n=0
failures=0
ok() { # ok CONDITION-STATUS DESCRIPTION [DETAIL...]
    local st=$1 what=$2
    shift 2
    n=$((n + 1))
    if [[ "$st" == 0 ]]; then
        echo "ok $n - $what"
    else
        echo "not ok $n - $what"
        failures=$((failures + 1))
        local line
        for line in "$@"; do
            # shellcheck disable=SC2001 # prefix every line of a multi-line detail
            sed 's/^/#   /' <<<"$line"
        done
    fi
}
note() { echo "# $*"; }
check() { # check DESCRIPTION COMMAND... (passes when the command succeeds)
    local what=$1
    shift
    "$@"
    ok $? "$what"
}

# ---- prerequisites -----------------------------------------------------------------------------
[[ -n "$VPMU" && -x "$VPMU" ]] || {
    echo "placement.sh: vpmu binary '${VPMU}' is not executable (pass it as \$1)" >&2
    exit 1
}
[[ -n "$RACE" && -x "$RACE" ]] || {
    echo "placement.sh: placement-race binary '${RACE}' is not executable (pass it as \$2)" >&2
    exit 1
}
command -v curl >/dev/null || cannot_run "curl is not installed (apt-get install curl)"
# Debian's interpreter: Placement's modules are installed for it, not for
# whatever python3 comes first on PATH (pyenv and the like).
PY=/usr/bin/python3
[[ -x "$PY" ]] || cannot_run "$PY is not installed"
command -v placement-manage >/dev/null && [[ -r /usr/bin/placement-api ]] ||
    cannot_run "Debian's placement-api is not installed (apt-get install placement-api)"
"$PY" -c 'import placement.wsgi' 2>/dev/null || cannot_run "$PY cannot import placement.wsgi"
if curl -s -o /dev/null --max-time 2 "$URL/"; then
    cannot_run "something already listens on 127.0.0.1:$PORT; set VPMU_PLACEMENT_PORT"
fi
for f in intel-pmu arm64-pmuv3 novpmu-vm enable-pmu-n; do
    [[ -d "$HOSTS/$f" ]] || {
        echo "placement.sh: fixture host root '$HOSTS/$f' is missing" >&2
        exit 1
    }
done

# ---- start our own Placement ---------------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vpmu-placement.XXXXXX")
pid=""
writer_pid=""
cleanup() {
    if [[ -n "$writer_pid" ]]; then
        kill -TERM "$writer_pid" 2>/dev/null
        wait "$writer_pid" 2>/dev/null
    fi
    if [[ -n "$pid" ]]; then
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

cat >"$tmp/placement.conf" <<EOF
[DEFAULT]
debug = false
log_file = $tmp/placement.log
[api]
auth_strategy = noauth2
[placement_database]
connection = sqlite:///$tmp/placement.sqlite
EOF
export OS_PLACEMENT_CONFIG_DIR="$tmp"
"$PY" "$(command -v placement-manage)" --config-file "$tmp/placement.conf" db sync >"$tmp/db-sync.log" 2>&1 ||
    cannot_run "placement-manage db sync failed: $(tail -n 3 "$tmp/db-sync.log" | tr '\n' ' ')"

if command -v uwsgi >/dev/null && [[ -e /usr/lib/uwsgi/plugins/python3_plugin.so ]]; then
    server=uwsgi
    # env execs uwsgi, so $! is the uwsgi master; --die-on-term: SIGTERM stops it all.
    # One worker, one thread: sqlite cannot take concurrent writers ("database is
    # locked"); requests are still interleaved between clients, which is the race.
    env OS_PLACEMENT_CONFIG_DIR="$tmp" uwsgi --plugins python3 --http-socket "127.0.0.1:$PORT" \
        --wsgi-file /usr/bin/placement-api --chdir "$tmp" --master --processes 1 --threads 1 \
        --lazy-apps --die-on-term --need-app >"$tmp/server.log" 2>&1 &
else
    server="placement-api (wsgiref)"
    env OS_PLACEMENT_CONFIG_DIR="$tmp" "$PY" /usr/bin/placement-api --host 127.0.0.1 \
        --port "$PORT" >"$tmp/server.log" 2>&1 &
fi
pid=$!
up=""
for _ in $(seq 600); do
    if ! kill -0 "$pid" 2>/dev/null; then
        wait "$pid" 2>/dev/null
        pid=""
        cannot_run "$server exited at start-up: $(tail -n 3 "$tmp/server.log" | tr '\n' ' ')"
    fi
    if curl -s --max-time 2 "$URL/" 2>/dev/null | grep -q '"max_version"'; then
        up=yes
        break
    fi
    sleep 0.1
done
[[ -n "$up" ]] || cannot_run "$server did not answer on $URL within 60 s"
note "Placement ($server, pid $pid) answers on $URL: $(curl -s "$URL/")"

# ---- Placement API helpers (independent of vpmu) -------------------------------------------------
API_STATUS=""
API_BODY=""
api() { # api METHOD PATH [JSON]
    local m=$1 p=$2 b=${3:-} out
    local args=(-s --max-time 10 -X "$m" -H "X-Auth-Token: admin"
        -H "OpenStack-API-Version: placement 1.39" -H "Accept: application/json")
    [[ -n "$b" ]] && args+=(-H "Content-Type: application/json" --data "$b")
    out=$(curl "${args[@]}" -w '\n%{http_code}' "$URL$p")
    API_STATUS=${out##*$'\n'}
    API_BODY=${out%$'\n'*}
}
# jq-like, with Python: jpy EXPR evaluates EXPR with d = the last API_BODY.
jpy() {
    "$PY" -c 'import json, sys; d = json.loads(sys.stdin.read()); r = eval(sys.argv[1]); print(r if isinstance(r, str) else json.dumps(r))' "$1" <<<"$API_BODY"
}
must() { # must STATUS METHOD PATH [JSON]: the cloud set-up; any surprise is fatal
    local want=$1
    shift
    api "$@"
    if [[ "$API_STATUS" != "$want" ]]; then
        echo "Bail out! $* answered $API_STATUS, not $want: $API_BODY"
        exit 1
    fi
}
traits_of() { # sorted, space-separated
    api GET "/resource_providers/$1/traits"
    jpy '" ".join(sorted(d["traits"]))'
}
generation_of() {
    api GET "/resource_providers/$1/traits"
    jpy 'str(d["resource_provider_generation"])'
}

# ---- the cloud -----------------------------------------------------------------------------------
CN_INTEL=10000000-0000-4000-8000-000000000001 # intel-pmu: capable
CN_ARM=10000000-0000-4000-8000-000000000002   # arm64-pmuv3: capable
CN_VM=10000000-0000-4000-8000-000000000003    # novpmu-vm: no host PMU, enable_pmu=N
CN_RACE=10000000-0000-4000-8000-000000000004  # for the 409 race; no inventory
must 201 PUT /traits/CUSTOM_FOO
for rp in "cn-intel $CN_INTEL" "cn-arm $CN_ARM" "cn-vm $CN_VM" "cn-race $CN_RACE"; do
    read -r name uuid <<<"$rp"
    must 200 POST /resource_providers "{\"name\": \"$name\", \"uuid\": \"$uuid\"}"
    if [[ "$name" != cn-race ]]; then
        must 200 PUT "/resource_providers/$uuid/inventories" \
            '{"resource_provider_generation": 0, "inventories": {"VCPU": {"total": 8}, "MEMORY_MB": {"total": 16384}}}'
        gen=1
    else
        gen=0
    fi
    must 200 PUT "/resource_providers/$uuid/traits" \
        "{\"traits\": [\"HW_CPU_X86_AVX2\", \"CUSTOM_FOO\"], \"resource_provider_generation\": $gen}"
done
BASE="CUSTOM_FOO HW_CPU_X86_AVX2"
WITH="CUSTOM_COMPUTE_VPMU CUSTOM_FOO HW_CPU_X86_AVX2"
PLAN=52
echo "1..$PLAN"

# ---- vpmu runs -----------------------------------------------------------------------------------
RC=0
OUT=""
ERR=""
run() { # run ARGS...: vpmu with a timeout; sets RC, OUT, ERR
    local errf="$tmp/stderr"
    RC=0
    OUT=$(timeout 60 "$VPMU" "$@" 2>"$errf") || RC=$?
    ERR=$(cat "$errf")
}
host_report() { # host_report FIXTURE UUID [more options]
    local fixture=$1 uuid=$2
    shift 2
    run host --host-root "$HOSTS/$fixture" --placement "$URL" --provider "$uuid" "$@"
}
has_line() { grep -qF -- "$2" <<<"$1"; }
schedule_uuids() { # the first word of each line of OUT, sorted
    awk '{print $1}' <<<"$OUT" | sort | tr '\n' ' ' | sed 's/ $//'
}

"$VPMU" host --help 2>/dev/null | grep -q -- '--placement'
ok $? "vpmu host offers --placement"

# Before any report the trait does not exist: nothing can require it.
api GET /traits/CUSTOM_COMPUTE_VPMU
ok "$([[ "$API_STATUS" == 404 ]]; echo $?)" "the trait does not exist before the first report" "status $API_STATUS"
run schedule --flavor-spec hw:pmu=true --placement "$URL" --resources VCPU=2,MEMORY_MB=2048
ok "$([[ $RC == 0 && -z "$OUT" ]] && has_line "$ERR" "does not know the trait"; echo $?)" \
    "schedule before any report: no provider, and says why" "rc=$RC out=$OUT err=$ERR"

# Report the three compute hosts.
host_report intel-pmu "$CN_INTEL"
ok "$([[ $RC == 0 ]] && has_line "$OUT" "placement: created the trait CUSTOM_COMPUTE_VPMU" &&
    has_line "$OUT" "placement: set CUSTOM_COMPUTE_VPMU on provider $CN_INTEL"; echo $?)" \
    "intel-pmu: trait created and set" "rc=$RC" "$OUT" "$ERR"
host_report arm64-pmuv3 "$CN_ARM"
ok "$([[ $RC == 0 ]] && has_line "$OUT" "placement: set CUSTOM_COMPUTE_VPMU on provider $CN_ARM" &&
    ! has_line "$OUT" "created the trait"; echo $?)" \
    "arm64-pmuv3: trait set (already created)" "rc=$RC" "$OUT" "$ERR"
host_report novpmu-vm "$CN_VM"
ok "$([[ $RC == 0 ]] && has_line "$OUT" "CUSTOM_COMPUTE_VPMU already absent on provider $CN_VM; unchanged"; echo $?)" \
    "novpmu-vm: not capable, trait stays absent" "rc=$RC" "$OUT" "$ERR"

t=$(traits_of "$CN_INTEL")
ok "$([[ "$t" == "$WITH" ]]; echo $?)" "cn-intel carries the trait and keeps its others" "traits: $t"
t=$(traits_of "$CN_ARM")
ok "$([[ "$t" == "$WITH" ]]; echo $?)" "cn-arm carries the trait and keeps its others" "traits: $t"
t=$(traits_of "$CN_VM")
ok "$([[ "$t" == "$BASE" ]]; echo $?)" "cn-vm lacks the trait and keeps its others" "traits: $t"

# Idempotent: a second report writes nothing.
g0=$(generation_of "$CN_INTEL")
host_report intel-pmu "$CN_INTEL"
g1=$(generation_of "$CN_INTEL")
ok "$([[ $RC == 0 && "$g0" == "$g1" ]] && has_line "$OUT" "already present on provider $CN_INTEL; unchanged"; echo $?)" \
    "a repeated report changes nothing (generation $g0 -> $g1)" "rc=$RC" "$OUT" "$ERR"

# Flip: the same provider, now with enable_pmu=N, then with a PMU again.
host_report enable-pmu-n "$CN_INTEL"
t=$(traits_of "$CN_INTEL")
ok "$([[ $RC == 0 && "$t" == "$BASE" ]] && has_line "$OUT" "placement: cleared CUSTOM_COMPUTE_VPMU on provider $CN_INTEL (generation $((g1 + 1)); 2 other traits kept)"; echo $?)" \
    "enable-pmu-n on cn-intel clears the trait, other traits kept" "rc=$RC traits: $t" "$OUT" "$ERR"
host_report intel-pmu "$CN_INTEL"
t=$(traits_of "$CN_INTEL")
ok "$([[ $RC == 0 && "$t" == "$WITH" ]] && has_line "$OUT" "placement: set CUSTOM_COMPUTE_VPMU"; echo $?)" \
    "intel-pmu on cn-intel sets it again" "rc=$RC traits: $t" "$OUT" "$ERR"
run -o json host --host-root "$HOSTS/intel-pmu" --placement "$URL" --provider "$CN_INTEL"
API_BODY="$OUT"
action=$(jpy 'next(v for v in [d.get("placement"), d] if isinstance(v, dict) and "action" in v)["action"]' 2>/dev/null)
ok "$([[ $RC == 0 && "$action" == unchanged ]]; echo $?)" "-o json host reports the Placement action" "rc=$RC action=$action" "$OUT" "$ERR"

# ---- scheduling ----------------------------------------------------------------------------------
want_capable=$(printf '%s\n' "$CN_INTEL" "$CN_ARM" | sort | tr '\n' ' ' | sed 's/ $//')
want_all=$(printf '%s\n' "$CN_INTEL" "$CN_ARM" "$CN_VM" | sort | tr '\n' ' ' | sed 's/ $//')

# Placement itself, without vpmu: the capable hosts are exactly those with the trait.
api GET "/allocation_candidates?resources=VCPU:2,MEMORY_MB:2048&required=CUSTOM_COMPUTE_VPMU"
got=$(jpy '" ".join(sorted(d["provider_summaries"]))')
ok "$([[ "$got" == "$want_capable" ]]; echo $?)" "Placement's own allocation candidates with the trait: the capable hosts" "got: $got"

run schedule --flavor-spec hw:pmu=true
ok "$([[ $RC == 0 && "$OUT" == "required=CUSTOM_COMPUTE_VPMU" ]]; echo $?)" "schedule hw:pmu=true prints the query fragment" "rc=$RC out=$OUT"
run schedule --image-prop hw_pmu=false
ok "$([[ $RC == 0 && -z "$OUT" ]]; echo $?)" "schedule hw_pmu=false prints nothing" "rc=$RC out=$OUT"

run schedule --flavor-spec hw:pmu=true --placement "$URL" --resources VCPU=2,MEMORY_MB=2048
got=$(schedule_uuids)
ok "$([[ $RC == 0 && "$got" == "$want_capable" ]]; echo $?)" "schedule --placement for hw:pmu=true: only the capable providers" "rc=$RC got: $got" "$OUT" "$ERR"
ok "$(has_line "$OUT" "$CN_ARM cn-arm" && has_line "$OUT" "$CN_INTEL cn-intel"; echo $?)" "providers are listed with their names" "$OUT"

run schedule --placement "$URL" --resources VCPU=2,MEMORY_MB=2048
got=$(schedule_uuids)
ok "$([[ $RC == 0 && "$got" == "$want_all" ]]; echo $?)" "schedule --placement for unset: every provider" "rc=$RC got: $got" "$ERR"

run schedule --image-prop hw_pmu=false --placement "$URL" --resources VCPU=2
got=$(schedule_uuids)
ok "$([[ $RC == 0 && "$got" == "$want_all" ]]; echo $?)" "schedule --placement for hw_pmu=false: every provider" "rc=$RC got: $got" "$ERR"

cat >"$tmp/flavor.json" <<'EOF'
{"flavor": {"name": "m1.perf", "vcpus": 4, "ram": 4096, "disk": 10,
            "extra_specs": {"hw:pmu": "true"}}}
EOF
run -o json schedule --flavor "$tmp/flavor.json" --placement "$URL"
API_BODY="$OUT"
got=$(jpy '" ".join(sorted(p["uuid"] for p in d["providers"])) + "|" + d["resources"] + "|" + d["query"]' 2>&1)
ok "$([[ $RC == 0 && "$got" == "$want_capable|VCPU:4,MEMORY_MB:4096|required=CUSTOM_COMPUTE_VPMU" ]]; echo $?)" \
    "schedule -o json with a flavor file: resources from vcpus and ram, capable providers only" "rc=$RC got: $got" "$ERR"

run schedule --flavor-spec hw:pmu=true --placement "$URL" --resources VCPU=64
ok "$([[ $RC == 0 && -z "$OUT" ]] && has_line "$ERR" "no resource provider fits"; echo $?)" \
    "schedule for more than any host has: no provider, exit 0, a note" "rc=$RC out=$OUT err=$ERR"

# ---- the 409 race, deterministic (library level) -------------------------------------------------
race_out=$(timeout 120 "$RACE" "$URL" "$CN_RACE" 2>&1)
race_rc=$?
sed 's/^/#   race: /' <<<"$race_out"
ok "$race_rc" "placement-race: a stale generation (409) is retried and other writers' traits survive"

# ---- vpmu under a concurrent writer (CLI level) --------------------------------------------------
# Another client keeps flipping CUSTOM_NOISE on cn-vm, 20 ms apart (read, then write with the
# generation it read; its own 409s are ignored) while vpmu reports cn-vm 20
# times, alternately capable and not.  Every run must succeed and the final
# state must be right; how many runs had to retry is reported.
must 201 PUT /traits/CUSTOM_NOISE
"$PY" - "$URL" "$CN_VM" >"$tmp/writer.log" 2>&1 <<'EOF' &
import json, sys, time, urllib.request, urllib.error
url, uuid = sys.argv[1], sys.argv[2]
hdr = {"X-Auth-Token": "admin", "OpenStack-API-Version": "placement 1.39",
       "Accept": "application/json", "Content-Type": "application/json"}
def call(method, body=None):
    req = urllib.request.Request(url + "/resource_providers/" + uuid + "/traits",
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers=hdr, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, None
writes = conflicts = 0
while True:
    st, d = call("GET")
    t = [x for x in d["traits"] if x != "CUSTOM_NOISE"]
    if "CUSTOM_NOISE" not in d["traits"]:
        t.append("CUSTOM_NOISE")
    st, _ = call("PUT", {"traits": t, "resource_provider_generation": d["resource_provider_generation"]})
    writes += st == 200
    conflicts += st == 409
    print(writes, conflicts, flush=True)
    # A pause between cycles, so that it races vpmu instead of starving it: without
    # one, on a loaded machine, every one of vpmu's 5 tries can lose (seen once).
    time.sleep(0.02)
EOF
writer_pid=$!
sleep 0.5
bad=0
retried=0
last=""
for i in $(seq 20); do
    if ((i % 2)); then fx=intel-pmu; else fx=novpmu-vm; fi
    host_report "$fx" "$CN_VM"
    if [[ $RC != 0 ]]; then
        bad=$((bad + 1))
        last="run $i ($fx): rc=$RC $ERR"
    fi
    has_line "$OUT" "placement: retried after" && retried=$((retried + 1))
done
kill -TERM "$writer_pid" 2>/dev/null
wait "$writer_pid" 2>/dev/null
writer_pid=""
note "the other writer: $(tail -n 1 "$tmp/writer.log" | awk '{print $1 " writes, " $2 " of its own 409s"}')"
note "vpmu runs that retried after a 409: $retried of 20"
ok "$bad" "20 reports of cn-vm all succeed while another writer races" "$last"
t=$(traits_of "$CN_VM")
t_no_noise=$(tr ' ' '\n' <<<"$t" | grep -vx CUSTOM_NOISE | tr '\n' ' ' | sed 's/ $//')
ok "$([[ "$t_no_noise" == "$BASE" ]]; echo $?)" "after the race cn-vm lacks the trait (last report: novpmu-vm), others kept" "traits: $t"
writes=$(tail -n 1 "$tmp/writer.log" | awk '{print $1}')
ok "$([[ "${writes:-0}" -gt 0 ]]; echo $?)" "the other writer did write during the runs" "$(tail -n 3 "$tmp/writer.log")"

# ---- the mediated vPMU: CUSTOM_COMPUTE_VPMU_MEDIATED ----------------------------------------------
# A provider of its own, made here and deleted at the end, so that the sets above stay as they are.
CN_MED=10000000-0000-4000-8000-000000000005 # amd-mediated, then amd-pmu (emulated), then novpmu-vm
must 200 POST /resource_providers "{\"name\": \"cn-med\", \"uuid\": \"$CN_MED\"}"
must 200 PUT "/resource_providers/$CN_MED/inventories" \
    '{"resource_provider_generation": 0, "inventories": {"VCPU": {"total": 8}, "MEMORY_MB": {"total": 16384}}}'
must 200 PUT "/resource_providers/$CN_MED/traits" \
    '{"traits": ["HW_CPU_X86_AVX2", "CUSTOM_FOO"], "resource_provider_generation": 1}'
MED="CUSTOM_COMPUTE_VPMU CUSTOM_COMPUTE_VPMU_MEDIATED CUSTOM_FOO HW_CPU_X86_AVX2"

api GET /traits/CUSTOM_COMPUTE_VPMU_MEDIATED
ok "$([[ "$API_STATUS" == 404 ]]; echo $?)" "the mediated trait does not exist before a mediated host reports" "status $API_STATUS"
host_report amd-mediated "$CN_MED"
t=$(traits_of "$CN_MED")
ok "$([[ $RC == 0 && "$t" == "$MED" ]] &&
    has_line "$OUT" "placement: created the trait CUSTOM_COMPUTE_VPMU_MEDIATED" &&
    has_line "$OUT" "placement: set CUSTOM_COMPUTE_VPMU_MEDIATED on provider $CN_MED"; echo $?)" \
    "a mediated host gets both traits, the second one created, and keeps its others" "rc=$RC traits: $t" "$OUT" "$ERR"

api GET "/allocation_candidates?resources=VCPU:2,MEMORY_MB:2048&required=CUSTOM_COMPUTE_VPMU_MEDIATED"
got=$(jpy '" ".join(sorted(d["provider_summaries"]))')
ok "$([[ "$got" == "$CN_MED" ]]; echo $?)" "Placement's own candidates with the mediated trait: that host only" "got: $got"
run schedule --flavor-spec hw:pmu=true --flavor-spec trait:CUSTOM_COMPUTE_VPMU_MEDIATED=required \
    --placement "$URL" --resources VCPU=2,MEMORY_MB=2048
got=$(schedule_uuids)
ok "$([[ $RC == 0 && "$got" == "$CN_MED" ]]; echo $?)" "schedule trait:CUSTOM_COMPUTE_VPMU_MEDIATED=required: the mediated host only" "rc=$RC got: $got" "$OUT" "$ERR"
run schedule --flavor-spec hw:pmu=true --flavor-spec trait:CUSTOM_COMPUTE_VPMU_MEDIATED=forbidden \
    --placement "$URL" --resources VCPU=2,MEMORY_MB=2048
got=$(schedule_uuids)
ok "$([[ $RC == 0 && "$got" == "$want_capable" ]]; echo $?)" "schedule =forbidden: the capable hosts without a mediated vPMU" "rc=$RC got: $got" "$OUT" "$ERR"

run -o json host --host-root "$HOSTS/amd-mediated" --placement "$URL" --provider "$CN_MED"
API_BODY="$OUT"
got=$(jpy 'd["placement"]["mediated"]["action"] + " " + str(d["placement"]["mediated"]["present"])' 2>&1)
ok "$([[ $RC == 0 && "$got" == "unchanged True" ]]; echo $?)" "-o json: a repeated mediated report is unchanged" "rc=$RC got: $got" "$ERR"

host_report amd-pmu "$CN_MED"
t=$(traits_of "$CN_MED")
ok "$([[ $RC == 0 && "$t" == "$WITH" ]] &&
    has_line "$OUT" "placement: cleared CUSTOM_COMPUTE_VPMU_MEDIATED on provider $CN_MED"; echo $?)" \
    "an emulated vPMU clears the mediated trait and keeps CUSTOM_COMPUTE_VPMU" "rc=$RC traits: $t" "$OUT" "$ERR"
host_report amd-mediated "$CN_MED"
host_report novpmu-vm "$CN_MED"
t=$(traits_of "$CN_MED")
ok "$([[ $RC == 0 && "$t" == "$BASE" ]]; echo $?)" "an incapable host clears both traits, its others kept" "rc=$RC traits: $t" "$OUT" "$ERR"
must 204 DELETE "/resource_providers/$CN_MED"

# ---- failures ------------------------------------------------------------------------------------
run host --host-root "$HOSTS/intel-pmu" --placement http://127.0.0.1:9 --provider "$CN_INTEL"
ok "$([[ $RC == 1 ]] && has_line "$ERR" "vpmu: cannot reach Placement: PUT 'http://127.0.0.1:9/traits/CUSTOM_COMPUTE_VPMU': "; echo $?)" \
    "unreachable Placement: exit 1, the message names the URL" "rc=$RC err=$ERR"
run host --host-root "$HOSTS/novpmu-vm" --placement http://127.0.0.1:9 --provider "$CN_INTEL"
ok "$([[ $RC == 1 ]] && has_line "$ERR" "vpmu: cannot reach Placement: GET 'http://127.0.0.1:9/resource_providers/$CN_INTEL/traits': "; echo $?)" \
    "unreachable Placement when clearing: exit 1 too" "rc=$RC err=$ERR"
run schedule --flavor-spec hw:pmu=true --placement http://127.0.0.1:9 --resources VCPU=1
ok "$([[ $RC == 1 ]] && has_line "$ERR" "cannot reach Placement"; echo $?)" \
    "schedule with an unreachable Placement: exit 1" "rc=$RC err=$ERR"
unknown=20000000-0000-4000-8000-000000000009
host_report intel-pmu "$unknown"
ok "$([[ $RC == 1 ]] && has_line "$ERR" "with HTTP 404 Not Found: No resource provider with uuid $unknown found"; echo $?)" \
    "unknown provider: exit 1 with Placement's reason" "rc=$RC err=$ERR"
RC=0
OUT=$(timeout 60 env -u OS_TOKEN "$VPMU" host --host-root "$HOSTS/intel-pmu" --placement "$URL" \
    --provider "$CN_INTEL" 2>"$tmp/stderr") || RC=$?
ERR=$(cat "$tmp/stderr")
ok "$([[ $RC == 1 ]] && has_line "$ERR" "HTTP 401 Unauthorized: no token was sent"; echo $?)" \
    "no token: exit 1, says no token was sent" "rc=$RC err=$ERR"
host_report intel-pmu "$CN_INTEL" --token admin
ok "$([[ $RC == 0 ]]; echo $?)" "--token works like OS_TOKEN" "rc=$RC err=$ERR"
host_report intel-pmu "not-a-uuid"
ok "$([[ $RC == 2 ]] && has_line "$ERR" "'not-a-uuid' is not a resource provider UUID"; echo $?)" \
    "a malformed provider UUID is a usage error (exit 2)" "rc=$RC err=$ERR"
host_report intel-pmu "$CN_INTEL" --placement ftp://x
ok "$([[ $RC == 2 ]]; echo $?)" "a non-HTTP URL is a usage error (exit 2)" "rc=$RC err=$ERR"

# Nothing else was disturbed by the failures.
t=$(traits_of "$CN_INTEL")
ok "$([[ "$t" == "$WITH" ]]; echo $?)" "cn-intel is untouched by the failed runs" "traits: $t"
t=$(traits_of "$CN_ARM")
ok "$([[ "$t" == "$WITH" ]]; echo $?)" "cn-arm is untouched" "traits: $t"

# ---- hostile provider names and a Placement URL with a password (issue 10 item 9) ------------------
# A provider whose name (Placement accepts any string) holds a newline, a forged
# line, ESC and a C1 CSI: every vpmu text output that names it shows it quoted.
CN_EVIL=10000000-0000-4000-8000-000000000006
EVIL_JSON='cn-evil\nFORGED pmu: off\u001b[31m\u009b2J'
EVIL_SHOWN='cn-evil\nFORGED pmu: off\x1b[31m\xc2\x9b2J'
must 200 POST /resource_providers "{\"name\": \"$EVIL_JSON\", \"uuid\": \"$CN_EVIL\"}"
must 200 PUT "/resource_providers/$CN_EVIL/inventories" \
    '{"resource_provider_generation": 0, "inventories": {"VCPU": {"total": 8}, "MEMORY_MB": {"total": 16384}}}'
# raw_controls FILE...: succeeds when a file holds a control byte (C0 but newline, DEL, C1) or
# bytes that are not UTF-8
raw_controls() {
    "$PY" - "$@" <<'PYEOF'
import sys
for path in sys.argv[1:]:
    b = open(path, "rb").read()
    try:
        t = b.decode("utf-8")
    except UnicodeDecodeError:
        sys.exit(0)
    if any(c != "\n" and (ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f) for c in t):
        sys.exit(0)
sys.exit(1)
PYEOF
}
# run_files ARGS...: run, with stdout and stderr kept byte for byte in $tmp/out and $tmp/err
run_files() {
    RC=0
    timeout 60 "$VPMU" "$@" >"$tmp/out" 2>"$tmp/err" || RC=$?
    OUT=$(cat "$tmp/out")
    ERR=$(cat "$tmp/err")
}
run_files schedule --placement "$URL" --resources VCPU=2,MEMORY_MB=2048
ok "$([[ $RC == 0 ]] && has_line "$OUT" "$CN_EVIL $EVIL_SHOWN" && ! grep -q '^FORGED' "$tmp/out" &&
    ! raw_controls "$tmp/out" "$tmp/err"; echo $?)" \
    "schedule --placement: a provider name with a newline, ESC and C1 is quoted, no line forged" \
    "rc=$RC" "$OUT" "$ERR"
run_files -o json schedule --placement "$URL" --resources VCPU=2,MEMORY_MB=2048
API_BODY="$OUT"
got=$(jpy 'next(p["name"] for p in d["providers"] if p["uuid"] == "'"$CN_EVIL"'") == "cn-evil\nFORGED pmu: off\x1b[31m\x9b2J"' 2>&1)
ok "$([[ $RC == 0 && "$got" == true ]]; echo $?)" "schedule -o json: the same name, exactly, as JSON" "rc=$RC got: $got" "$ERR"
# host --report --provider-name: Placement's names are looked up as given; one with
# control characters is refused before any request, and quoted in the refusal.
run_files host --host-root "$HOSTS/intel-pmu" --report --placement "$URL" \
    --provider-name "$(printf 'cn-evil\nFORGED pmu: off\033[31m\302\2332J')"
ok "$([[ $RC == 2 ]] && has_line "$ERR" "'$EVIL_SHOWN' is not a resource provider name: control characters" &&
    ! grep -q '^FORGED' "$tmp/err" && ! raw_controls "$tmp/out" "$tmp/err" &&
    [[ "$(traits_of "$CN_EVIL")" == "" ]]; echo $?)" \
    "host --report --provider-name with control characters: exit 2, quoted, Placement untouched" \
    "rc=$RC" "$OUT" "$ERR"
must 204 DELETE "/resource_providers/$CN_EVIL"

# A Placement URL with a user and a password: libcurl sends them (HTTP Basic, which
# noauth2 ignores); vpmu never prints the password, in text, JSON or errors.
PW=pl4cement-s3cret
URL_PW="http://vpmu:$PW@127.0.0.1:$PORT"
URL_PW_SHOWN="http://vpmu:***@127.0.0.1:$PORT"
no_pw() { ! grep -qF -- "$PW" "$tmp/out" "$tmp/err"; }
run_files -o json host --host-root "$HOSTS/intel-pmu" --placement "$URL_PW" --provider "$CN_INTEL"
API_BODY="$OUT"
got=$(jpy 'd["placement"]["url"]' 2>&1)
ok "$([[ $RC == 0 && "$got" == "$URL_PW_SHOWN" ]] && no_pw; echo $?)" \
    "host --report -o json with a password in the Placement URL: reported, url masked" \
    "rc=$RC url: $got" "$ERR"
run_files -o json schedule --flavor-spec hw:pmu=true --placement "$URL_PW/" --resources VCPU=2
API_BODY="$OUT"
got=$(jpy 'd["placement"]' 2>&1)
ok "$([[ $RC == 0 && "$got" == "$URL_PW_SHOWN" ]] && no_pw; echo $?)" \
    "schedule -o json with a password in the Placement URL: placement masked" \
    "rc=$RC placement: $got" "$ERR"
run_files host --host-root "$HOSTS/intel-pmu" --placement "$URL_PW" --provider "$unknown"
ok "$([[ $RC == 1 ]] && has_line "$ERR" "Placement answered GET '$URL_PW_SHOWN/resource_providers/$unknown/traits' with HTTP 404" &&
    no_pw; echo $?)" \
    "an HTTP error from Placement names the URL with the password masked" "rc=$RC" "$OUT" "$ERR"
run_files schedule --flavor-spec hw:pmu=true --placement "http://vpmu:$PW@127.0.0.1:9" --resources VCPU=1
ok "$([[ $RC == 1 ]] && has_line "$ERR" "cannot reach Placement: GET 'http://vpmu:***@127.0.0.1:9/" && no_pw; echo $?)" \
    "an unreachable Placement URL with a password: masked in the error" "rc=$RC" "$OUT" "$ERR"
run_files host --host-root "$HOSTS/intel-pmu" --placement "ftp://vpmu:$PW@127.0.0.1:9" --provider "$CN_INTEL"
ok "$([[ $RC == 2 ]] && has_line "$ERR" "ftp://vpmu:***@127.0.0.1:9" && no_pw; echo $?)" \
    "a non-HTTP URL with a password: the usage error masks it" "rc=$RC" "$OUT" "$ERR"

if [[ $n != "$PLAN" ]]; then
    echo "# planned $PLAN tests, ran $n"
    failures=$((failures + 1))
fi
note "$((n - failures)) of $n passed"
exit $((failures ? 1 : 0))

#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# nova-glance.sh [VPMU_BIN]: flavors and images read from a real Nova API and
# a real Glance API behind a real Keystone (tests/integration/lib/openstack.sh),
# and `vpmu audit --cloud` over Nova guests in a test:/// node file and on a
# real libvirtd (qemu:///system, defined guests, not started).
#
# The test creates its flavors and images through the APIs, then checks:
#   - decide --flavor-id/--image-id, by id and by name, agrees with decide
#     --flavor FILE --image FILE on the very documents the APIs return;
#   - an ambiguous image name exits 3 listing both ids; a missing flavor or
#     image exits 1 naming it;
#   - audit --cloud reports exactly the drifted guests (on->off, off->on,
#     set->unset, unset->set), the in-sync ones, a guest whose flavor or
#     image is gone (reported, not fatal), a guest without Nova metadata;
#     in text, JSON and Prometheus; --fail-if drift exits 6;
#   - each distinct flavor and image is fetched once: the request count is
#     1 flavor list + one GET per distinct image, whatever the guest count.
# Everything it started is stopped by PID at exit.
#
# Prints TAP.  Exit: 0 pass, 1 fail (a component that cannot start is a failure).

set -uo pipefail

IT_NAME=nova-glance
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VPMU="${1:-${VPMU_BIN:-}}"
# shellcheck source=lib/wrap.sh
. "$here/lib/wrap.sh" && it_wrap VPMU
export LC_ALL=C.UTF-8

. "$here/lib/libvirtd.sh"
. "$here/lib/keystone.sh"
. "$here/lib/openstack.sh"

[[ -n "$VPMU" && -x "$VPMU" ]] || it_fail "vpmu binary '$VPMU' is not executable (VPMU_BIN)"
command -v jq >/dev/null || it_unavailable "jq is missing (apt-get install jq)"

work=$(mktemp -d "${TMPDIR:-/tmp}/vpmu-nova.XXXXXX")
IT_CLEANUPS+=("os_stop" "rm -rf '$work'")

n=0
failures=0
ok() { # ok STATUS DESCRIPTION [DETAIL]
    n=$((n + 1))
    if [[ "$1" == 0 ]]; then
        echo "ok $n - $2"
    else
        echo "not ok $n - $2"
        failures=$((failures + 1))
        [[ -n "${3:-}" ]] && sed 's/^/#   /' <<<"$3"
    fi
}
# expect DESCRIPTION WANT-EXIT STDERR-NEEDLE -- vpmu ARGS...
expect() {
    local what=$1 want=$2 needle=$3 rc=0
    shift 4
    "$VPMU" "$@" >"$work/out" 2>"$work/err" || rc=$?
    if [[ $rc == "$want" ]] && grep -qF -- "$needle" "$work/err"; then
        ok 0 "$what"
    else
        ok 1 "$what" "exit $rc (want $want); stderr: $(cat "$work/err")"
    fi
}

t0=$(date +%s)
os_start "$work/os"
case $? in
0) ;;
77) it_unavailable "$OS_SKIP_REASON" ;;
*) it_fail "$OS_FAIL_REASON" ;;
esac
echo "# Keystone, Nova API and Glance API up in $(($(date +%s) - t0)) s"

# ---- flavors and images, through the APIs --------------------------------------------------
flavor() { # flavor NAME [KEY=VALUE...]: create, print the id
    local name=$1 id kv specs='{}'
    shift
    id=$(os_nova POST /flavors "{\"flavor\":{\"name\":\"$name\",\"ram\":64,\"vcpus\":1,\"disk\":1}}" |
        jq -r .flavor.id) || return 1
    for kv in "$@"; do
        specs=$(jq -c --arg k "${kv%%=*}" --arg v "${kv#*=}" '. + {($k): $v}' <<<"$specs")
    done
    if [[ $# -gt 0 ]]; then
        os_nova POST "/flavors/$id/os-extra_specs" "{\"extra_specs\":$specs}" >/dev/null || return 1
    fi
    echo "$id"
}
image() { # image NAME [KEY=VALUE...]: create, print the id
    local body
    body=$(jq -nc --arg n "$1" '{name: $n, disk_format: "raw", container_format: "bare"}')
    shift
    for kv in "$@"; do
        body=$(jq -c --arg k "${kv%%=*}" --arg v "${kv#*=}" '. + {($k): $v}' <<<"$body")
    done
    os_glance POST /v2/images "$body" | jq -r .id
}
set_spec() { os_nova POST "/flavors/$1/os-extra_specs" "{\"extra_specs\":{\"$2\":\"$3\"}}" >/dev/null; }
unset_spec() { os_nova DELETE "/flavors/$1/os-extra_specs/$2" >/dev/null; }
set_prop() { # set_prop IMAGE KEY VALUE: JSON patch
    curl -sf --max-time 30 -X PATCH -H "X-Auth-Token: $(os_token)" \
        -H 'Content-Type: application/openstack-images-v2.1-json-patch' \
        -d "[{\"op\":\"add\",\"path\":\"/$2\",\"value\":\"$3\"}]" "$OS_GLANCE_URL/v2/images/$1" >/dev/null
}

F_VRAN=$(flavor vran.du.large hw:pmu=true hw:cpu_policy=dedicated) &&
    F_PERF=$(flavor perf.large hw:pmu=true) &&
    F_PLAIN=$(flavor m1.plain) &&
    F_BAD=$(flavor bad.spec "hw:pmu=ture") &&
    F_GONE=$(flavor gone.soon) &&
    I_PERF=$(image cirros-perf hw_pmu=true) &&
    I_PLAIN=$(image cirros-plain) &&
    I_DUP1=$(image twin) &&
    I_DUP2=$(image twin hw_pmu=false) &&
    I_GONE=$(image gone-soon) ||
    it_fail "cannot create the flavors and images: see $work/os/*/ logs"
[[ "$F_VRAN" =~ ^[0-9a-f-]{36}$ && "$I_PERF" =~ ^[0-9a-f-]{36}$ ]] ||
    it_fail "unexpected ids '$F_VRAN' '$I_PERF'"

# ---- decide: from the APIs, the same as from the documents they return ----------------------
os_nova GET "/flavors/$F_VRAN" >"$work/vran.json"
os_glance GET "/v2/images/$I_PERF" >"$work/perf-img.json"
os_glance GET "/v2/images/$I_PLAIN" >"$work/plain-img.json"
os_nova GET "/flavors/$F_PLAIN" >"$work/plain.json"
same() { # same DESCRIPTION FILE-ARGS... -- API-ARGS...
    local what=$1 a=() b=() rc1=0 rc2=0
    shift
    while [[ $1 != -- ]]; do a+=("$1"); shift; done
    shift
    b=("$@")
    "$VPMU" -o json decide "${a[@]}" >"$work/a.json" 2>"$work/a.err" || rc1=$?
    "$VPMU" -o json decide "${b[@]}" >"$work/b.json" 2>"$work/b.err" || rc2=$?
    if [[ $rc1 == "$rc2" ]] && diff -u "$work/a.json" "$work/b.json" >"$work/diff" &&
        diff <(sed 's/^vpmu: //' "$work/a.err") <(sed 's/^vpmu: //' "$work/b.err") >/dev/null; then
        ok 0 "$what (exit $rc1, $(jq -r '.pmu // "-"' "$work/a.json" 2>/dev/null))"
    else
        ok 1 "$what" "exit $rc1 vs $rc2; $(cat "$work/diff" "$work/a.err" "$work/b.err")"
    fi
}
same "decide by id agrees with the files: flavor on, image on" \
    --flavor "$work/vran.json" --image "$work/perf-img.json" -- --flavor-id "$F_VRAN" --image-id "$I_PERF"
same "decide by name agrees with the files: flavor on, image on" \
    --flavor "$work/vran.json" --image "$work/perf-img.json" -- --flavor-id vran.du.large --image-id cirros-perf
same "decide by name agrees with the files: flavor unset, image on" \
    --flavor "$work/plain.json" --image "$work/perf-img.json" -- --flavor-id m1.plain --image-id cirros-perf
same "decide by id agrees with the files: nothing set" \
    --flavor "$work/plain.json" --image "$work/plain-img.json" -- --flavor-id "$F_PLAIN" --image-id "$I_PLAIN"
jq -e '.pmu == "on" and .source == "flavor+image" and .flavor.name == "vran.du.large"' \
    <("$VPMU" -o json decide --flavor-id vran.du.large --image-id "$I_PERF") >/dev/null
ok $? "decide --flavor-id NAME --image-id ID: on, from flavor+image"
set_spec "$F_PLAIN" hw:pmu false
same "a conflict read from the APIs is the same conflict as from the files (exit 4)" \
    --flavor <(os_nova GET "/flavors/$F_PLAIN") --image "$work/perf-img.json" -- --flavor-id m1.plain --image-id cirros-perf
unset_spec "$F_PLAIN" hw:pmu
expect "invalid hw:pmu read from Nova is exit 3" 3 "invalid value 'ture'" -- decide --flavor-id bad.spec
expect "ambiguous image name: exit 3 listing both ids" 3 "image name 'twin' is ambiguous: ids '" -- \
    decide --image-id twin
grep -qF "$I_DUP1" "$work/err" && grep -qF "$I_DUP2" "$work/err"
ok $? "the ambiguity message names $I_DUP1 and $I_DUP2"
expect "missing flavor: exit 1 naming it" 1 "flavor 'no.such.flavor' not found" -- decide --flavor-id no.such.flavor
expect "missing image (a UUID nobody has): exit 1 naming it" 1 \
    "image '00000000-0000-4000-8000-00000000dead' not found" -- decide --image-id 00000000-0000-4000-8000-00000000dead
expect "--flavor and --flavor-id together: usage" 2 "alternatives" -- \
    decide --flavor "$work/vran.json" --flavor-id x
OS_PASSWORD=wrong-password expect "a wrong password: exit 1, the password never printed" 1 "" -- \
    decide --flavor-id vran.du.large
! grep -qF wrong-password "$work/err"
ok $? "the rejected password is not in the message: $(head -c 200 "$work/err")"

# ---- the fleet: guests booted from these flavors and images, then the cloud changed --------
# name pmu-at-boot flavor image expectation
fleet=(
    "on-off on vran.du.large $I_PLAIN drift:on:off"
    "on-off-2 on vran.du.large $I_PLAIN drift:on:off"
    "off-on off m1.plain $I_PERF drift:off:on"
    "set-unset on perf.large $I_PLAIN drift:on:unset"
    "unset-set unset m1.plain $I_PERF drift:unset:on"
    "sync-off off vran.du.large $I_PLAIN in-sync"
    "sync-on on perf.large $I_PERF in-sync"
    "sync-unset unset m1.plain $I_PLAIN in-sync"
    "bfv-sync unset m1.plain - in-sync"
    "flavor-gone on gone.soon $I_PLAIN unknown"
    "image-gone on m1.plain $I_GONE unknown"
    "bad-spec on bad.spec $I_PLAIN unknown"
    "no-nova on - - not-managed"
)
i=0
: >"$work/fleet.jsonl"
for row in "${fleet[@]}"; do
    read -r name pmu fl img _ <<<"$row"
    i=$((i + 1))
    jq -nc --arg n "vpmu-it-nova-$name" --arg u "$(printf '5eed0000-0000-4000-8000-%012d' $i)" \
        --arg p "$pmu" --arg f "$fl" --arg im "$img" \
        '{name: $n, uuid: $u, pmu: $p} + (if $f == "-" then {} else {flavor: $f} end)
         + (if $im == "-" then {} else {image: $im} end)' >>"$work/fleet.jsonl"
done
python3 "$here/nova-node.py" --node "$work/node.xml" <"$work/fleet.jsonl" || it_fail "nova-node.py failed"
NODE="test://$work/node.xml"

# What changed since boot: the operator turned the vPMU off on vran.du.large and
# took it off perf.large, a tenant turned it on in cirros-perf; a flavor and an
# image were deleted.
set_spec "$F_VRAN" hw:pmu false
unset_spec "$F_PERF" hw:pmu 2>/dev/null || true
set_spec "$F_PERF" hw:cpu_policy dedicated
os_nova DELETE "/flavors/$F_GONE" >/dev/null
os_glance DELETE "/v2/images/$I_GONE" >/dev/null
# sync-on was booted with hw_pmu=true from the image alone: still true there.

rc=0
"$VPMU" -o json audit --cloud -c "$NODE" >"$work/audit.json" 2>"$work/audit.err" || rc=$?
ok $([[ $rc == 0 ]] && echo 0 || echo 1) "audit --cloud exits 0 (missing flavor/image are reported, not fatal)" \
    "exit $rc: $(cat "$work/audit.err")"
jq -e . "$work/audit.json" >/dev/null
ok $? "audit --cloud -o json is one JSON document"
for row in "${fleet[@]}"; do
    read -r name _ _ _ want <<<"$row"
    state=${want%%:*}
    got=$(jq -r --arg n "vpmu-it-nova-$name" '.domains[] | select(.name == $n) | .drift |
        .state + (if .state == "drift" then ":" + .has + ":" + .decides else "" end)' "$work/audit.json")
    ok $([[ "$got" == "$want" ]] && echo 0 || echo 1) "$name: $want" "got '$got'"
done
drifted=$(jq -r '[.domains[] | select(.drift.state == "drift") | .name] | sort | join(" ")' "$work/audit.json")
want_drifted=$(printf '%s\n' "${fleet[@]}" | awk '$5 ~ /^drift/ {print "vpmu-it-nova-" $1}' | sort | tr '\n' ' ' | sed 's/ $//')
ok $([[ "$drifted" == "$want_drifted" ]] && echo 0 || echo 1) \
    "audit --cloud finds every drifted guest and no others" "got '$drifted', want '$want_drifted'"
reason=$(jq -r '.domains[] | select(.name == "vpmu-it-nova-on-off") | .drift.reason' "$work/audit.json")
ok $([[ "$reason" == "flavor 'vran.du.large' now has hw:pmu=false; the guest still has the vPMU (<pmu state='on'/>)" ]] && echo 0 || echo 1) \
    "the reason names the flavor, its value now and what the guest has" "got '$reason'"
jq -e '.domains[] | select(.name == "vpmu-it-nova-flavor-gone") | .drift |
    .flavor.lookup == "missing" and (.reason | contains("flavor '\''gone.soon'\'' not found"))' "$work/audit.json" >/dev/null
ok $? "a deleted flavor is reported as missing, naming it"
jq -e --arg i "$I_GONE" '.domains[] | select(.name == "vpmu-it-nova-image-gone") | .drift |
    .image.lookup == "missing" and .image.id == $i and (.reason | contains($i))' "$work/audit.json" >/dev/null
ok $? "a deleted image is reported as missing, naming it"
jq -e '.domains[] | select(.name == "vpmu-it-nova-no-nova") | .drift.reason | startswith("not managed by Nova")' \
    "$work/audit.json" >/dev/null
ok $? "a domain without Nova metadata is not managed by Nova"
# 6 distinct flavor names -> 1 list request; 3 distinct images (perf, plain, gone) -> 3 GETs.
req=$(jq '.totals.drift.requests' "$work/audit.json")
ok $([[ "$req" == 4 ]] && echo 0 || echo 1) "requests: 1 flavor list + 3 distinct images = 4 for 13 guests" \
    "got $req: $(jq -c .totals.drift "$work/audit.json")"

# Twelve times the guests, the same flavors and images: the same number of requests.
for k in $(seq 2 12); do
    sed "s/vpmu-it-nova-/vpmu-it-nova-x$k-/; s/5eed0000-0000-4000-8000-0000/5eed0000-0000-4000-8000-$(printf %02d "$k")00/" \
        "$work/fleet.jsonl"
done >"$work/fleet12.jsonl"
cat "$work/fleet.jsonl" >>"$work/fleet12.jsonl"
python3 "$here/nova-node.py" --node "$work/node12.xml" <"$work/fleet12.jsonl"
"$VPMU" -o json audit --cloud -c "test://$work/node12.xml" >"$work/audit12.json" 2>&1
jq -e '.totals.domains == 156 and .totals.drift.requests == 4 and .totals.drift.domains.drift == 60' \
    "$work/audit12.json" >/dev/null
ok $? "156 guests: still 4 requests, 60 drifted" "$(jq -c '.totals' "$work/audit12.json" 2>&1 | head -c 400)"

rc=0
"$VPMU" audit --cloud -c "$NODE" --fail-if drift >"$work/audit.txt" 2>&1 || rc=$?
ok $([[ $rc == 6 ]] && echo 0 || echo 1) "--fail-if drift exits 6" "exit $rc"
grep -qF "  drift: on -> off: flavor 'vran.du.large' now has hw:pmu=false" "$work/audit.txt" &&
    grep -qE "^drift: 5 drifted, 4 in sync, 3 unknown, 1 not managed by Nova; 4 requests" "$work/audit.txt"
ok $? "text: the drift line under the guest and the summary" "$(tail -n 3 "$work/audit.txt")"
"$VPMU" -o prometheus audit --cloud -c "$NODE" >"$work/audit.prom" 2>&1
ok $([[ $(grep -c '^vpmu_domain_drift{.*} 1$' "$work/audit.prom") == 5 &&
    $(grep -c '^vpmu_domain_drift{.*} 0$' "$work/audit.prom") == 4 ]] && echo 0 || echo 1) \
    "prometheus: vpmu_domain_drift 1 for the 5 drifted, 0 for the 4 in sync" \
    "$(grep vpmu_domain_drift "$work/audit.prom")"
grep -q '^vpmu_domain_drift{.*name="vpmu-it-nova-on-off".*pmu="on",decides="off"} 1$' "$work/audit.prom" &&
    grep -q '^vpmu_audit_cloud_requests 4$' "$work/audit.prom"
ok $? "prometheus: labels say what the guest has and what decides now; request count"
if command -v promtool >/dev/null; then
    promtool check metrics <"$work/audit.prom" >"$work/promtool" 2>&1
    ok $? "promtool accepts the exposition" "$(cat "$work/promtool")"
fi
expect "--fail-if drift without --cloud: usage" 2 "--fail-if drift needs --cloud" -- audit --fail-if drift -c "$NODE"

# ---- the same guests on a real libvirtd -----------------------------------------------------
it_libvirtd_up
x86_emu=$(command -v qemu-system-x86_64) || it_unavailable "qemu-system-x86_64 is missing"
jq -c 'select(.name | test("nova-(on-off|sync-off|no-nova|off-on)$"))' "$work/fleet.jsonl" |
    sed 's/vpmu-it-nova-/vpmu-it-novaq-/' >"$work/qemu.jsonl"
python3 "$here/nova-node.py" --dir "$work/qemu" --emulator "$x86_emu" <"$work/qemu.jsonl"
for f in "$work"/qemu/*.xml; do
    g=$(basename "$f" .xml)
    it_guest_track "$g"
    it_virsh define "$f" >/dev/null || it_fail "cannot define $g: $(it_virsh define "$f" 2>&1)"
done
"$VPMU" -o json audit --cloud -c "$IT_URI" >"$work/audit-q.json" 2>"$work/audit-q.err"
got=$(jq -r '[.domains[] | select(.name | startswith("vpmu-it-novaq-")) |
    .name + "=" + .drift.state] | sort | join(" ")' "$work/audit-q.json")
want="vpmu-it-novaq-no-nova=not-managed vpmu-it-novaq-off-on=drift vpmu-it-novaq-on-off=drift vpmu-it-novaq-sync-off=in-sync"
ok $([[ "$got" == "$want" ]] && echo 0 || echo 1) "qemu:///system: the defined Nova guests judged as on the test driver" \
    "got '$got' $(cat "$work/audit-q.err")"

echo "1..$n"
echo "# $((n - failures))/$n passed in $(($(date +%s) - t0)) s"
[[ $failures == 0 ]]

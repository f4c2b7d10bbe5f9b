#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# audit-qemu.sh [VPMU_BIN]: `vpmu audit` on a real libvirtd (qemu:///system),
# the case the test driver cannot show: a local QEMU connection, judged with
# this machine's host probe and the QEMU version the connection reports.
#
# Defines (does not start) four guests with a mix of pmu on / off / unset,
# arches and CPU modes, and one started x86 TCG guest, then audits
# qemu:///system together with test:///default and an unreachable URI:
#   - every tracked guest is listed with the pmu setting in its XML, state,
#     arch, virt type and CPU, and agrees with `virsh dumpxml`;
#   - the local connection is probed (host_probed, driver QEMU, a QEMU
#     version) and the effective state equals `vpmu explain`-style rules
#     spot-checked here: x86 TCG is off whatever the setting;
#   - --no-host-probe turns the probe off; the unreachable URI exits 5;
#   - Prometheus output parses and carries the tracked guests;
#   - apply on the running guest: audit shows pmu (live) and pending (the
#     persistent definition) until a cold start, in JSON, Prometheus and text;
#   - a server that accepts and never speaks is down at --timeout, and
#     qemu:///system is still printed;
#   - a daemon that stops answering mid-audit (tests/integration/freeze-proxy.py
#     in front of the real read-only socket) is dropped by keepalive before
#     the deadline.
#
# Exit: 0 pass, 1 fail (also when the hypervisor cannot be started here:
# that is a failure, not a skip).

set -uo pipefail

IT_NAME=audit-qemu
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VPMU="${1:-${VPMU_BIN:-}}"
# shellcheck source=lib/wrap.sh
. "$here/lib/wrap.sh" && it_wrap VPMU

. "$here/lib/libvirtd.sh"

[[ -n "$VPMU" && -x "$VPMU" ]] || it_fail "vpmu binary '$VPMU' is not executable (VPMU_BIN)"
command -v python3 >/dev/null || it_unavailable "python3 is missing"
it_libvirtd_up

work=$(mktemp -d)
IT_CLEANUPS+=("rm -rf '$work'")
failures=0
check() { # check DESCRIPTION STATUS [DETAIL]
    if [[ $2 -eq 0 ]]; then
        echo "ok - $1"
    else
        echo "not ok - $1${3:+: $3}"
        failures=$((failures + 1))
    fi
}

x86_emu=$(command -v qemu-system-x86_64 || true)
arm_emu=$(command -v qemu-system-aarch64 || true)
[[ -n "$x86_emu" ]] || it_unavailable "qemu-system-x86_64 is missing"

# guest NAME TYPE ARCH MACHINE EMULATOR PMU-XML CPU-XML
guest() {
    cat >"$work/$1.xml" <<EOF
<domain type='$2'>
  <name>$1</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='$3' machine='$4'>hvm</type></os>
  <features>$6</features>
  $7
  <devices><emulator>$5</emulator></devices>
</domain>
EOF
    it_guest_track "$1"
    it_virsh define "$work/$1.xml" >/dev/null || it_fail "cannot define $1: $(it_virsh define "$work/$1.xml" 2>&1)"
}

p="${IT_PREFIX}audit-"
guest "${p}x86-on" qemu x86_64 q35 "$x86_emu" "<pmu state='on'/>" "<cpu mode='custom'><model>qemu64</model></cpu>"
guest "${p}x86-off" qemu x86_64 q35 "$x86_emu" "<pmu state='off'/>" ""
guest "${p}x86-unset" qemu x86_64 q35 "$x86_emu" "" ""
if [[ -n "$arm_emu" ]]; then
    guest "${p}arm-on" qemu aarch64 virt "$arm_emu" "<pmu state='on'/>" "<cpu mode='custom'><model>cortex-a57</model></cpu>"
fi
# One running guest: no disk, no kernel; it sits in the firmware, which is enough.
guest "${p}x86-run" qemu x86_64 q35 "$x86_emu" "<pmu state='off'/>" ""
it_virsh start "${p}x86-run" >/dev/null 2>&1 || it_fail "cannot start ${p}x86-run: $(it_virsh start "${p}x86-run" 2>&1)"

unreach="qemu+tcp://127.0.0.1:9/system"
rc=0
"$VPMU" -o json audit -c "$IT_URI" -c test:///default -c "$unreach" >"$work/audit.json" 2>"$work/audit.err" || rc=$?
check "audit of qemu:///system + test:///default + an unreachable URI exits 5" $((rc != 5)) "exit $rc: $(cat "$work/audit.err")"

for name in "${p}x86-on" "${p}x86-off" "${p}x86-unset" "${p}x86-run" ${arm_emu:+"${p}arm-on"}; do
    it_virsh dumpxml "$name" >"$work/$name.dump" || it_fail "virsh dumpxml $name failed"
done

python3 - "$work" "$IT_URI" "$p" "$unreach" <<'PY'
import json, os, sys
import xml.etree.ElementTree as ET
work, uri, prefix, unreach = sys.argv[1:]
doc = json.load(open(os.path.join(work, "audit.json")))
fails = []
def check(cond, msg):
    if not cond:
        fails.append(msg)
hosts = {h["uri"]: h for h in doc["hosts"]}
h = hosts.get(uri)
check(h is not None, "no host entry for %s" % uri)
if h:
    check(h["reachable"] and h["driver"] == "QEMU", "host %r" % h)
    check(h["host_probed"] is True, "the local connection was not probed")
    check(isinstance(h["hypervisor_version"], int) and h["hypervisor_version"] >= 1000000,
          "QEMU version %r" % h["hypervisor_version"])
check(hosts.get("test:///default", {}).get("host_probed") is False, "test:///default was probed")
check(hosts.get(unreach, {}).get("reachable") is False, "unreachable URI reported as reachable")
mine = {d["name"]: d for d in doc["domains"] if d["uri"] == uri and d["name"].startswith(prefix)}
want = {"x86-on": ("on", "shutoff"), "x86-off": ("off", "shutoff"), "x86-unset": ("unset", "shutoff"),
        "x86-run": ("off", "running")}
if os.path.exists(os.path.join(work, prefix + "arm-on.dump")):
    want["arm-on"] = ("on", "shutoff")
for short, (pmu, state) in want.items():
    d = mine.get(prefix + short)
    check(d is not None, "%s not listed" % short)
    if not d:
        continue
    check(d["pmu"] == pmu and d["state"] == state, "%s: pmu %s state %s" % (short, d["pmu"], d["state"]))
    root = ET.parse(os.path.join(work, prefix + short + ".dump")).getroot()
    check(d["uuid"] == root.findtext("uuid"), "%s: uuid differs from virsh" % short)
    check(d["arch"] == root.find("os/type").get("arch"), "%s: arch differs from virsh" % short)
    check(d["virt_type"] == root.get("type"), "%s: virt type differs from virsh" % short)
    cpu = root.find("cpu")
    check(d["cpu_mode"] == (cpu.get("mode") if cpu is not None else None),
          "%s: cpu mode %r differs from virsh" % (short, d["cpu_mode"]))
    if d["arch"] == "x86_64":
        # TCG emulates no x86 PMU (docs/facts.md §3): off, whatever the XML says.
        check(d["effective"] == "off", "%s: effective %s under x86 TCG" % (short, d["effective"]))
check(doc["totals"]["hosts_unreachable"] == 1, "totals %r" % doc["totals"])
for f in fails:
    print("not ok - " + f)
sys.exit(1 if fails else 0)
PY
check "JSON: guests, states, settings and the local probe agree with virsh" $?

rc=0
"$VPMU" -o json audit -c "$IT_URI" --no-host-probe >"$work/noprobe.json" 2>"$work/noprobe.err" || rc=$?
probed=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["hosts"][0]["host_probed"])' "$work/noprobe.json" 2>/dev/null)
# Other tests share this daemon: one of their guests vanishing mid-audit is a skip (5).
[[ $rc -eq 0 || $rc -eq 5 ]]
ok=$?
[[ "$probed" == False ]] || ok=1
check "--no-host-probe: the local host is not probed" $ok "exit $rc, host_probed $probed"

rc=0
"$VPMU" -o prometheus audit -c "$IT_URI" >"$work/audit.prom" 2>"$work/prom.err" || rc=$?
n=$(grep -c "^vpmu_domain_info{uri=\"qemu:///system\",name=\"${p}" "$work/audit.prom")
want=4
[[ -n "$arm_emu" ]] && want=5
check "Prometheus: one series per tracked guest" $(((rc != 0 && rc != 5) || n != want)) "exit $rc, $n series"
grep -q '^vpmu_host_up{uri="qemu:///system"} 1$' "$work/audit.prom"
check "Prometheus: vpmu_host_up is 1" $?

rc=0
"$VPMU" -q audit -c "$IT_URI" --fail-if on >/dev/null 2>&1 || rc=$?
check "--fail-if on matches the pmu=on guest (exit 6, or 7 with a skip)" $((rc != 6 && rc != 7)) "exit $rc"

# --- pending restart (issue 10 item 10) -----------------------------------------------------
# apply on the running guest changes its persistent definition only: audit shows the live
# pmu (off) and the pending one (on), in JSON, Prometheus and text, and virsh agrees.
run="${p}x86-run"
"$VPMU" -c "$IT_URI" apply "$run" --flavor-spec hw:pmu=true >"$work/apply.out" 2>&1
check "apply hw:pmu=true on the running guest" $? "$(cat "$work/apply.out")"
live=$(it_virsh dumpxml "$run" | grep -c "<pmu state='off'/>")
inactive=$(it_virsh dumpxml --inactive "$run" | grep -c "<pmu state='on'/>")
check "virsh: live XML still off, persistent definition on" $((live != 1 || inactive != 1)) "live $live inactive $inactive"
rc=0
"$VPMU" -o json audit -c "$IT_URI" >"$work/pending.json" 2>"$work/pending.err" || rc=$?
python3 - "$work/pending.json" "$run" "$p" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
run, prefix = sys.argv[2], sys.argv[3]
d = {x["name"]: x for x in doc["domains"]}
r = d.get(run)
ok = r is not None and r["pmu"] == "off" and r["pending"] == "on" and r["pending_restart"] is True \
    and r["state"] == "running"
# Shut-off guests have nothing pending.
ok = ok and all(x["pending_restart"] is False and x["pending"] is None
                for n, x in d.items() if n.startswith(prefix) and n != run)
h = doc["hosts"][0]
ok = ok and h["pending_restart"] >= 1 and doc["totals"]["pending_restart"] == h["pending_restart"]
# Rows by name (one connection).
names = [x["name"] for x in doc["domains"]]
ok = ok and names == sorted(names)
if not ok:
    print("not ok - pending JSON: %r" % r)
sys.exit(0 if ok else 1)
PY
check "JSON: the running guest is pmu off, pending on; the others pending nothing; rows by name" $? "exit $rc"
"$VPMU" -o prometheus audit -c "$IT_URI" >"$work/pending.prom" 2>/dev/null
grep -q "^vpmu_domain_pending_restart{uri=\"qemu:///system\",name=\"$run\",uuid=\"[0-9a-f-]*\",pmu=\"off\",pending=\"on\"} 1$" "$work/pending.prom"
check "Prometheus: vpmu_domain_pending_restart 1 with pmu=off pending=on" $?
grep -q "^vpmu_domain_pending_restart{uri=\"qemu:///system\",name=\"${p}x86-on\",.*,pending=\"\"} 0$" "$work/pending.prom"
check "Prometheus: a shut-off guest is vpmu_domain_pending_restart 0" $?
"$VPMU" audit -c "$IT_URI" >"$work/pending.txt" 2>/dev/null
awk -v n="$run" '$1 == n { exit !($4 == "off" && $5 == "on") }' "$work/pending.txt"
check "text: PMU off, PENDING on" $? "$(grep -- "$run" "$work/pending.txt")"
# A cold start applies it: nothing pending any more, the live XML is on.
it_virsh destroy "$run" >/dev/null 2>&1 && it_virsh start "$run" >/dev/null 2>&1
check "cold restart of the guest" $?
"$VPMU" -o json audit -c "$IT_URI" >"$work/after.json" 2>/dev/null
python3 -c '
import json, sys
d = {x["name"]: x for x in json.load(open(sys.argv[1]))["domains"]}[sys.argv[2]]
sys.exit(0 if d["pmu"] == "on" and d["pending"] is None and not d["pending_restart"] else 1)' "$work/after.json" "$run"
check "after the cold start: pmu on, nothing pending" $?

# --- deadline (issue 10 item 8) --------------------------------------------------------------
# A server that accepts and never speaks, beside the real daemon: down at --timeout, and
# qemu:///system still printed in full.
python3 -u -c '
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True)
held = []
while True:
    held.append(s.accept()[0])' >"$work/silent.port" &
silent_pid=$!
IT_CLEANUPS+=("kill $silent_pid 2>/dev/null")
for _ in $(seq 50); do [[ -s "$work/silent.port" ]] && break; sleep 0.1; done
silent="qemu+tcp://127.0.0.1:$(cat "$work/silent.port")/system"
rc=0
"$VPMU" -o json audit --timeout 3 -c "$silent" -c "$IT_URI" >"$work/silent.json" 2>"$work/silent.err" || rc=$?
python3 - "$work/silent.json" "$silent" "$run" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
silent, run = sys.argv[2], sys.argv[3]
h = {x["uri"]: x for x in doc["hosts"]}
ok = h[silent]["up"] is False and h[silent]["timed_out"] is True
ok = ok and h["qemu:///system"]["up"] is True
ok = ok and any(d["name"] == run and d["uri"] == "qemu:///system" for d in doc["domains"])
sys.exit(0 if ok else 1)
PY
check "a silent host is down at --timeout 3; qemu:///system is printed in full" $(( $? != 0 || rc != 5 )) "exit $rc: $(cat "$work/silent.err")"
kill "$silent_pid" 2>/dev/null
wait "$silent_pid" 2>/dev/null

# --- keepalive (issue 10 item 8) -------------------------------------------------------------
# A daemon that stops answering after the listing (a proxy to the real read-only socket that
# freezes at the first XML request): keepalive (every 16/8 = 2 s, 3 unanswered) closes the
# connection after ~8 s, before the 16 s deadline, and the host is reported lost.
it_freeze_proxy /var/run/libvirt/libvirt-sock-ro "$work"
frozen=$IT_FROZEN_URI
rc=0
"$VPMU" -o json audit --timeout 16 -c "$frozen" -c test:///default >"$work/freeze.json" 2>"$work/freeze.err" || rc=$?
python3 - "$work/freeze.json" "$frozen" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
h = {x["uri"]: x for x in doc["hosts"]}[sys.argv[2]]
ok = h["reachable"] is True and h["up"] is False and h["timed_out"] is False
ok = ok and "keepalive" in (h["error"] or "") and h["skipped"] >= 1 and h["seconds"] < 16
ok = ok and doc["totals"]["hosts_dropped"] == 1
ok = ok and [d["name"] for d in doc["domains"] if d["uri"] == "test:///default"] == ["test"]
if not ok:
    print("not ok - frozen host: %r" % h)
sys.exit(0 if ok else 1)
PY
check "a daemon that stops answering mid-audit is dropped by keepalive before the deadline" $(( $? != 0 || rc != 5 )) "exit $rc: $(cat "$work/freeze.err")"
kill "$IT_FREEZE_PID" 2>/dev/null
wait "$IT_FREEZE_PID" 2>/dev/null

((failures == 0)) || it_fail "$failures check(s) failed"
echo "audit-qemu: all checks passed"

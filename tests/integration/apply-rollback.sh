#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# apply-rollback.sh [VPMU_BIN]: `vpmu apply` leaves the domain untouched when
# libvirt fails the redefinition (issue 7 §5), on a real libvirtd
# (qemu:///system).
#
# The failure is libvirt's own, provoked from outside vpmu:
#
#  1. A disk failure while libvirtd saves the new definition.  libvirtd writes
#     /etc/libvirt/qemu/NAME.xml by creating NAME.xml.new and renaming it over
#     the old file (virFileRewrite).  A directory put at NAME.xml.new makes
#     that create fail, so virDomainDefineXML fails after libvirt parsed and
#     accepted the new XML: the latest point at which a redefinition can fail.
#  2. A definition libvirt's QEMU driver refuses: <pmu state='off'/> on ppc64
#     ("PMU is always enabled for architecture", docs/facts.md §2).  Only when
#     qemu-system-ppc64 is installed (the driver needs it to validate); the
#     sub-case says so when it cannot run.
#
# After each failure: vpmu exits 1 with a message naming the domain, and
# `virsh dumpxml --inactive --security-info` and the saved config file are
# byte-identical to before.  Then, as a control that shows the failure really
# was what blocked the change, the blocker is removed and the same apply
# succeeds and changes exactly the <pmu> line.
#
#  3. A daemon that stops answering in the middle of apply (freeze-proxy.py):
#     libvirt's keepalive, which every command that connects asks for, ends
#     it with exit 1, and the domain is unchanged.
#
# Prints TAP.  Exit: 0 pass, 1 fail (also when the hypervisor cannot be
# started here: that is a failure, not a skip).

set -uo pipefail

IT_NAME=apply-rollback
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VPMU="${1:-${VPMU_BIN:-}}"
# shellcheck source=lib/wrap.sh
. "$here/lib/wrap.sh" && it_wrap VPMU

. "$here/lib/libvirtd.sh"

[[ -n "$VPMU" && -x "$VPMU" ]] || it_fail "vpmu binary '$VPMU' is not executable (VPMU_BIN)"
it_libvirtd_up

work=$(mktemp -d)
IT_CLEANUPS+=("rm -rf '$work'")
dumpxml() { it_virsh dumpxml --inactive --security-info "$1"; }

# run_apply NAME OPTIONS...: sets RC, OUT, ERR
run_apply() {
    local name=$1
    shift
    RC=0
    OUT=$(timeout 120 "$VPMU" -c "$IT_URI" apply "$name" "$@" 2>"$work/err") || RC=$?
    ERR=$(cat "$work/err")
}

# --- 1. libvirtd cannot save the new definition ---------------------------------
name="${IT_PREFIX}rollback"
it_guest_track "$name"
it_domain_xml "$name" "<cpu mode='custom'><model>qemu64</model></cpu>" >"$work/$name.xml"
it_virsh define "$work/$name.xml" >/dev/null || it_fail "virsh define $name failed"
cfg="/etc/libvirt/qemu/$name.xml"
[[ -f "$cfg" ]] || it_fail "libvirtd did not save $cfg; cannot place the blocker (another configDir?)"

dumpxml "$name" >"$work/before.xml" || it_fail "virsh dumpxml $name failed"
cp -p "$cfg" "$work/before.cfg"
grep -q "<pmu state='off'/>" "$work/before.xml" || it_fail "the defined domain lacks <pmu state='off'/>"

mkdir "$cfg.new" || it_fail "cannot create the blocker $cfg.new"
IT_CLEANUPS+=("rmdir '$cfg.new' 2>/dev/null")
run_apply "$name" --flavor-spec hw:pmu=true --flavor-name it-rollback
rmdir "$cfg.new"
dumpxml "$name" >"$work/after.xml"
echo "# vpmu said: $ERR"
it_check "save failure: vpmu apply exits 1" $([[ $RC -eq 1 ]]; echo $?) "exit $RC, stderr: $ERR"
it_check "save failure: the failure is libvirtd's, saving $cfg.new" \
    $([[ "$ERR" == *"$cfg.new"* ]]; echo $?) "$ERR"
it_check "save failure: the message names the domain and says it was left as it was" \
    $([[ "$ERR" == "vpmu: "*"'$name'"* && "$ERR" == *"left as it was"* ]]; echo $?) "$ERR"
it_check "save failure: dumpxml --inactive is byte-identical" \
    $(cmp -s "$work/before.xml" "$work/after.xml"; echo $?) \
    "$(diff "$work/before.xml" "$work/after.xml" | head -5 | tr '\n' ' ')"
it_check "save failure: the saved config file is byte-identical" \
    $(cmp -s "$work/before.cfg" "$cfg"; echo $?)
it_check "save failure: no temporary left in /etc/libvirt/qemu" \
    $([[ ! -e "$cfg.new" ]]; echo $?)

# Control: without the blocker the same apply works and changes only <pmu>.
run_apply "$name" --flavor-spec hw:pmu=true --flavor-name it-rollback
dumpxml "$name" >"$work/applied.xml"
it_check "control: the same apply succeeds without the blocker" $([[ $RC -eq 0 ]]; echo $?) \
    "exit $RC, stderr: $ERR"
diff "$work/before.xml" "$work/applied.xml" | grep '^[<>]' >"$work/delta"
printf "%s\n" "< <pmu state='off'/>" "> <pmu state='on'/>" >"$work/want-delta"
it_check "control: exactly the <pmu> line changed" \
    $(sed 's/^\([<>]\) */\1 /' "$work/delta" | cmp -s - "$work/want-delta"; echo $?) \
    "$(tr '\n' ' ' <"$work/delta")"

# --- 3. a daemon that stops answering while apply reads the domain ---------------
# freeze-proxy.py forwards to libvirtd's read-write socket until the first
# DOMAIN_GET_XML_DESC, then answers nothing, keepalive probes included.  With
# --timeout 16, keepalive (every 16/8 = 2 s, 3 unanswered) closes the
# connection: apply exits 1 with libvirt's reason instead of waiting for ever,
# and the domain is as it was.
it_freeze_proxy /var/run/libvirt/libvirt-sock "$work"
frozen=$IT_FROZEN_URI
dumpxml "$name" >"$work/fbefore.xml"
RC=0
t0=$SECONDS
OUT=$(timeout 120 "$VPMU" -c "$frozen" --timeout 16 apply "$name" --flavor-spec hw:pmu=false \
    2>"$work/err") || RC=$?
ERR=$(cat "$work/err")
echo "# frozen daemon: exit $RC after $((SECONDS - t0)) s: $ERR"
dumpxml "$name" >"$work/fafter.xml"
it_check "frozen daemon: apply exits 1 instead of waiting for ever" $([[ $RC -eq 1 ]]; echo $?) \
    "exit $RC, stderr: $ERR"
it_check "frozen daemon: libvirt's keepalive closed the connection, and the message says so" \
    $([[ "$ERR" == *keepalive* && "$ERR" == *"'$name'"* ]]; echo $?) "$ERR"
it_check "frozen daemon: the domain is as it was" $(cmp -s "$work/fbefore.xml" "$work/fafter.xml"; echo $?)
kill "$IT_FREEZE_PID" 2>/dev/null
wait "$IT_FREEZE_PID" 2>/dev/null

# --- 2. libvirt's QEMU driver refuses the new definition (ppc64, pmu off) --------
# The package is small (7.5 MB); install it when missing, but only this
# sub-case depends on it.
if ! command -v qemu-system-ppc64 >/dev/null && [[ $(id -u) -eq 0 ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 \
        qemu-system-ppc >/dev/null 2>&1 || it_log "apt-get install qemu-system-ppc failed"
fi
ppc_emulator=$(command -v qemu-system-ppc64 || true)
if [[ -z "$ppc_emulator" ]]; then
    it_check_skip "ppc64 refusal" "qemu-system-ppc64 is not installed (Debian: qemu-system-ppc)"
else
    pname="${IT_PREFIX}rollback-ppc64"
    it_guest_track "$pname"
    cat >"$work/$pname.xml" <<EOF
<domain type='qemu'>
  <name>$pname</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os><type arch='ppc64' machine='pseries'>hvm</type></os>
  <on_poweroff>destroy</on_poweroff>
</domain>
EOF
    if ! it_virsh define "$work/$pname.xml" >"$work/define.out" 2>&1; then
        it_check_skip "ppc64 refusal" \
            "libvirt cannot define a ppc64 guest here: $(tail -n1 "$work/define.out")"
    else
        dumpxml "$pname" >"$work/pbefore.xml"
        run_apply "$pname" --flavor-spec hw:pmu=false
        dumpxml "$pname" >"$work/pafter.xml"
        it_check "ppc64 pmu=off: vpmu apply exits non-zero" $([[ $RC -ne 0 ]]; echo $?) "exit $RC"
        it_check "ppc64 pmu=off: the message names the domain" \
            $([[ "$ERR" == "vpmu: "*"'$pname'"* ]]; echo $?) "$ERR"
        it_check "ppc64 pmu=off: dumpxml --inactive is byte-identical" \
            $(cmp -s "$work/pbefore.xml" "$work/pafter.xml"; echo $?)
        echo "# ppc64: $ERR"
    fi
fi

it_tap_end

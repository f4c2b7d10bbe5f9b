#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# notify-before-define.sh [VPMU_BIN]: on a real libvirtd (qemu:///system),
# a bad --notify target is refused (exit 2) before anything is defined,
# started or redefined, and the default connection is libvirt's own:
#
#  - `boot --no-start --notify BAD` for each malformed target (a bad AMQP
#    port, amqp:x, AMQP://, a FIFO, a missing directory): exit 2,
#    and `virsh dominfo NAME` says the domain does not exist;
#  - `apply NAME --notify BAD` on a defined domain: exit 2 and
#    `virsh dumpxml --inactive` byte-identical;
#  - control: with LIBVIRT_DEFAULT_URI unset and no -c, `boot --no-start` with
#    a good --notify FILE defines the domain on qemu:///system (virsh
#    dominfo finds it, vpmu prints uri: qemu:///system, not the test driver)
#    and writes one notification line.
#
# Prints TAP.  Exit 0 pass, 1 fail (a hypervisor that cannot start is a failure).
set -uo pipefail

IT_NAME=notify-before-define
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VPMU="${1:-${VPMU_BIN:-}}"
# shellcheck source=lib/wrap.sh
. "$here/lib/wrap.sh" && it_wrap VPMU

# The control below asks for libvirt's default connection: neither vpmu nor
# a libvirtd started here may inherit the test suite's LIBVIRT_DEFAULT_URI
# (a daemon's own probe honours it too).
unset LIBVIRT_DEFAULT_URI
. "$here/lib/libvirtd.sh"

[[ -n "$VPMU" && -x "$VPMU" ]] || it_fail "vpmu binary '$VPMU' is not executable (VPMU_BIN)"
it_libvirtd_up

work=$(mktemp -d)
IT_CLEANUPS+=("rm -rf '$work'")
mkfifo "$work/fifo"
bad_targets=(
    'amqp://u:p@127.0.0.1:notaport/'
    'amqp:x'
    'AMQP://u:p@127.0.0.1/'
    "$work/fifo"
    "$work/no-such-dir/n.json"
)

name="${IT_PREFIX}notify-boot"
it_guest_track "$name"
for t in "${bad_targets[@]}"; do
    rc=0
    timeout 60 "$VPMU" -c "$IT_URI" boot --no-start --name "$name" --arch x86_64 \
        --virt-type qemu --flavor-spec hw:pmu=true --notify "$t" >"$work/out" 2>"$work/err" || rc=$?
    it_check "boot --notify '$t': exit 2" $([[ $rc -eq 2 ]]; echo $?) "exit $rc: $(cat "$work/err")"
    it_check "boot --notify '$t': virsh dominfo finds no domain" \
        $(! it_virsh dominfo "$name" >/dev/null 2>&1; echo $?)
done

# apply: a defined domain is not redefined when --notify is bad
aname="${IT_PREFIX}notify-apply"
it_guest_track "$aname"
it_domain_xml "$aname" >"$work/$aname.xml"
it_virsh define "$work/$aname.xml" >/dev/null || it_fail "virsh define $aname failed"
it_virsh dumpxml --inactive "$aname" >"$work/before.xml"
for t in "${bad_targets[@]}"; do
    rc=0
    timeout 60 "$VPMU" -c "$IT_URI" apply "$aname" --flavor-spec hw:pmu=true --notify "$t" \
        >"$work/out" 2>"$work/err" || rc=$?
    it_virsh dumpxml --inactive "$aname" >"$work/after.xml"
    it_check "apply --notify '$t': exit 2, definition unchanged" \
        $([[ $rc -eq 2 ]] && cmp -s "$work/before.xml" "$work/after.xml"; echo $?) \
        "exit $rc: $(cat "$work/err")"
done

# control: no -c, no LIBVIRT_DEFAULT_URI: libvirt's default (root: qemu:///system)
rc=0
timeout 60 env -u LIBVIRT_DEFAULT_URI "$VPMU" boot --no-start --name "$name" --arch x86_64 \
    --virt-type qemu --flavor-spec hw:pmu=true --notify "$work/n.json" \
    >"$work/out" 2>"$work/err" || rc=$?
it_check "control: boot with libvirt's default connection: exit 0" $([[ $rc -eq 0 ]]; echo $?) \
    "exit $rc: $(cat "$work/err")"
it_check "control: vpmu names qemu:///system, not the test driver" \
    $(grep -qx 'uri: qemu:///system' "$work/out"; echo $?) "$(grep '^uri:' "$work/out")"
it_check "control: virsh dominfo finds the domain on qemu:///system" \
    $(it_virsh dominfo "$name" >/dev/null 2>&1; echo $?)
it_check "control: one notification line written" \
    $([[ $(wc -l <"$work/n.json") -eq 1 ]]; echo $?)

it_tap_end

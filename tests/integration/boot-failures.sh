#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# boot-failures.sh VPMU_BIN GUEST_DEFINE_START: what `vpmu boot` leaves on a
# real libvirtd (qemu:///system) when it fails.  libvirt's own lifecycle
# events (`virsh event --all --loop`) are the witness: a define followed by
# an undefine would leave no trace in the domain list, but it shows up as
# events.  Each case is bracketed by two sentinel guests defined and
# undefined by this test; once the second sentinel's events arrive, every
# event of the case has arrived too.
#
#  1. conflict (flavor hw:pmu=false, image hw_pmu=true): exit 4, and libvirt
#     saw no definition at all of the guest (this is what the CLI case
#     'boot-conflict-refused' cannot see on the in-process test driver);
#  2. a guest that cannot start (its --kernel file does not exist): exit 1,
#     libvirt saw it defined and undefined again, it is gone, and the
#     message says its definition was removed again;
#  3. a guest that neither starts nor undefines (its NVRAM is a directory:
#     QEMU cannot open it, and libvirt cannot remove it), defined through
#     vpmu_guest_define() by GUEST_DEFINE_START: exit 1, the guest is still
#     defined, and the message says so instead of claiming it was removed.
#
# Prints TAP.  Exit 0 pass, 1 fail (also when libvirtd cannot be started).
set -uo pipefail

IT_NAME=boot-failures
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VPMU="${1:-${VPMU_BIN:-}}"
DEFINE_START="${2:-}"
# shellcheck source=lib/wrap.sh
. "$here/lib/wrap.sh" && it_wrap VPMU DEFINE_START

. "$here/lib/libvirtd.sh"

[[ -n "$VPMU" && -x "$VPMU" ]] || it_fail "vpmu binary '$VPMU' is not executable (VPMU_BIN)"
[[ -n "$DEFINE_START" && -x "$DEFINE_START" ]] || it_fail "guest-define-start '$DEFINE_START' is not executable"
it_libvirtd_up
command -v qemu-system-x86_64 >/dev/null || it_unavailable "qemu-system-x86_64 is missing"

work=$(mktemp -d)
IT_CLEANUPS+=("rm -rf '$work'")
IT_CLEANUPS+=('[[ -n "${EVPID:-}" ]] && kill "$EVPID" 2>/dev/null')
n=0 failures=0
check() { # DESCRIPTION CONDITION-STATUS [DETAIL]
    n=$((n + 1))
    if [[ $2 -eq 0 ]]; then
        echo "ok $n - $1"
    else
        echo "not ok $n - $1${3:+: $3}"
        failures=$((failures + 1))
    fi
}

# ---- the witness ------------------------------------------------------------------------
EVPID=""
events="$work/events"
sentinel_n=0
# sentinel: define and undefine a guest of our own, and wait (bounded) until
# its Undefined event is in the log: then every earlier event is there too.
sentinel() {
    local name="${IT_PREFIX}sentinel-$$-$sentinel_n" i
    sentinel_n=$((sentinel_n + 1))
    it_guest_track "$name"
    cat >"$work/$name.xml" <<EOF
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
</domain>
EOF
    it_virsh define "$work/$name.xml" >/dev/null || it_fail "cannot define the sentinel $name"
    it_virsh undefine "$name" >/dev/null || it_fail "cannot undefine the sentinel $name"
    for ((i = 0; i < 100; i++)); do
        grep -q "domain '$name': Undefined" "$events" 2>/dev/null && return 0
        sleep 0.1
    done
    it_fail "libvirt's events for $name did not arrive within 10 s (virsh event: $(tail -n 2 "$events"))"
}
# watch: start the event log (first sentinel: it is live).  unwatch: end it
# (second sentinel: the case's events are all in).
watch() {
    : >"$events"
    virsh -q -c "$IT_URI" event --all --loop >"$events" 2>&1 &
    EVPID=$!
    # Until the watcher's connection is up, a sentinel's events can be missed:
    # retry a few sentinels.
    local i
    for ((i = 0; i < 30; i++)); do
        sentinel_quiet && return 0
    done
    it_fail "virsh event never reported a sentinel: $(tail -n 2 "$events")"
}
sentinel_quiet() {
    local name="${IT_PREFIX}sentinel-$$-$sentinel_n" i
    sentinel_n=$((sentinel_n + 1))
    it_guest_track "$name"
    printf "<domain type='qemu'><name>%s</name><memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64' machine='q35'>hvm</type></os></domain>\n" \
        "$name" >"$work/$name.xml"
    it_virsh define "$work/$name.xml" >/dev/null && it_virsh undefine "$name" >/dev/null || return 1
    for ((i = 0; i < 10; i++)); do
        grep -q "domain '$name': Undefined" "$events" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}
unwatch() {
    sentinel
    kill "$EVPID" 2>/dev/null
    wait "$EVPID" 2>/dev/null
    EVPID=""
}
saw() { grep -q "domain '$1': $2" "$events"; } # saw NAME Defined|Undefined|Started...

boot_args=(--virt-type qemu --arch x86_64 --cpu-model qemu64 --no-reboot)

# ---- 1. conflict: never defined ----------------------------------------------------------
name="${IT_PREFIX}conflict"
it_guest_track "$name"
: >"$work/vmlinuz" # never read: the decision fails first
watch
RC=0
timeout 60 "$VPMU" -c "$IT_URI" boot --name "$name" --flavor-spec hw:pmu=false --flavor-name f \
    --image-prop hw_pmu=true --image-name i --kernel "$work/vmlinuz" "${boot_args[@]}" \
    >"$work/1.out" 2>"$work/1.err" || RC=$?
unwatch
check "conflict: exit 4" $([[ $RC -eq 4 ]]; echo $?) "exit $RC: $(cat "$work/1.err")"
check "conflict: the message names the conflict" $(grep -q '^vpmu: conflict' "$work/1.err"; echo $?) \
    "$(cat "$work/1.err")"
check "conflict: libvirt never saw '$name' defined (no event at all)" \
    $(! grep -q "domain '$name'" "$events"; echo $?) "$(grep "domain '$name'" "$events" | tr '\n' ' ')"
check "conflict: '$name' does not exist" $([[ $(it_domstate "$name") == absent ]]; echo $?)

# ---- 2. cannot start: defined, then removed again ------------------------------------------
name="${IT_PREFIX}nostart"
it_guest_track "$name"
watch
RC=0
timeout 120 "$VPMU" -c "$IT_URI" boot --name "$name" --flavor-spec hw:pmu=false --flavor-name f \
    --kernel "$work/no-such-vmlinuz" "${boot_args[@]}" >"$work/2.out" 2>"$work/2.err" || RC=$?
unwatch
check "cannot start: exit 1" $([[ $RC -eq 1 ]]; echo $?) "exit $RC: $(cat "$work/2.err")"
check "cannot start: libvirt saw '$name' defined" $(saw "$name" Defined; echo $?) \
    "$(grep "domain '$name'" "$events" | tr '\n' ' ')"
check "cannot start: and undefined again" $(saw "$name" Undefined; echo $?) \
    "$(grep "domain '$name'" "$events" | tr '\n' ' ')"
check "cannot start: '$name' is gone" $([[ $(it_domstate "$name") == absent ]]; echo $?)
check "cannot start: the message says the definition was removed again" \
    $(grep -q "^vpmu: cannot start the guest on '$IT_URI': .*; its definition was removed again\$" \
        "$work/2.err"; echo $?) "$(cat "$work/2.err")"
echo "# $(cat "$work/2.err")"

# ---- 3. cannot start and cannot undefine: still defined, and said so ----------------------
name="${IT_PREFIX}noundefine"
it_guest_track "$name"
code=""
for c in /usr/share/OVMF/OVMF_CODE_4M.fd /usr/share/OVMF/OVMF_CODE.fd; do
    [[ -r "$c" ]] && code=$c && break
done
[[ -n "$code" ]] || it_unavailable "no OVMF firmware in /usr/share/OVMF (Debian: ovmf)"
nvram="$work/nvram-is-a-directory"
mkdir -p "$nvram/keep"
IT_CLEANUPS+=("rm -rf '$nvram'; virsh -q -c '$IT_URI' undefine --nvram '$name' >/dev/null 2>&1")
cat >"$work/$name.xml" <<EOF
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <loader readonly='yes' type='pflash'>$code</loader>
    <nvram>$nvram</nvram>
  </os>
  <features><acpi/><pmu state='off'/></features>
  <cpu mode='custom'><model>qemu64</model></cpu>
  <on_reboot>destroy</on_reboot>
</domain>
EOF
RC=0
timeout 120 "$DEFINE_START" "$IT_URI" "$work/$name.xml" 2>"$work/3.err" || RC=$?
state=$(it_domstate "$name")
check "cannot undefine: exit 1" $([[ $RC -eq 1 ]]; echo $?) "exit $RC: $(cat "$work/3.err")"
check "cannot undefine: '$name' is still defined (libvirt: $state)" \
    $([[ "$state" != absent ]]; echo $?)
check "cannot undefine: the message says it is still defined, not that it was removed" \
    $(grep -q "^vpmu: cannot start the guest on '$IT_URI': .*; removing its definition failed too (.*), so '$name' is still defined: undefine it yourself\$" \
        "$work/3.err" && ! grep -q "removed again" "$work/3.err"; echo $?) "$(cat "$work/3.err")"
check "cannot undefine: the message carries libvirt's reason for the failed undefine" \
    $(grep -q "failed too (no error)" "$work/3.err"; [[ $? -ne 0 ]]; echo $?) "$(cat "$work/3.err")"
echo "# $(cat "$work/3.err")"
rm -rf "$nvram"
it_virsh undefine --nvram "$name" >/dev/null 2>&1 || it_virsh undefine "$name" >/dev/null 2>&1

echo "1..$n"
((failures == 0))

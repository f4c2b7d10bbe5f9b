#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# guests-x86.sh [VPMU_BIN [BUILDDIR]]: x86_64 TCG guests on a real libvirtd.
#
# For each decision (on, off, unset) `vpmu -c qemu:///system boot` defines and
# starts a guest, and the test asserts what the running QEMU received on its
# command line: `-cpu ...,pmu=on`, `...,pmu=off`, or no `pmu=` at all
# (docs/facts.md §2: libvirt appends pmu=on|off to -cpu only when <pmu> is present).
# The guests have no boot device: SeaBIOS keeps QEMU running, which is all
# this needs.  (x86 TCG emulates no PMU, so the guest's own view is not
# tested here; the aarch64 test does that.)
#
# Exit: 0 pass, 1 fail (also when the hypervisor cannot be started here:
# that is a failure, not a skip).

set -uo pipefail

IT_NAME=guests-x86
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VPMU="${1:-${VPMU_BIN:-}}"
# shellcheck source=lib/wrap.sh
. "$here/lib/wrap.sh" && it_wrap VPMU
# $2 (the build dir) is accepted for symmetry with guests-aarch64.sh; nothing is kept.

. "$here/lib/libvirtd.sh"
. "$here/lib/vpmu.sh"

it_vpmu_check
it_libvirtd_up

# name-suffix | expected decision | expected pmu= on -cpu | vpmu policy options
cases=(
    "on|on|on|--flavor-spec hw:pmu=true --flavor-name it-flavor-pmu-on"
    "off|off|off|--image-prop hw_pmu=false --image-name it-image-pmu-off"
    "unset|unset|absent|"
)

failures=0
t0=$(it_now_ms)
for c in "${cases[@]}"; do
    IFS='|' read -r suffix want_decision want_pmu opts <<<"$c"
    name="${IT_PREFIX}x86-$suffix"
    it_guest_track "$name"
    # shellcheck disable=SC2086 # opts is a word list by design
    it_vpmu_boot "$name" --arch x86_64 --virt-type qemu $opts
    verdict=PASS
    why=()
    if ((IT_BOOT_RC != 0)); then
        verdict=FAIL
        why+=("vpmu boot exited $IT_BOOT_RC: $IT_BOOT_ERR")
        IT_CPU="" IT_CPU_SOURCE="-"
        seen="(not started)"
    else
        state=$(it_domstate "$name")
        [[ "$state" == running ]] || {
            verdict=FAIL
            why+=("domain state is '$state', not running")
        }
        if it_qemu_cpu "$name"; then
            seen=$(it_cpu_pmu "$IT_CPU")
        else
            seen="(no QEMU command line found)"
        fi
        [[ "$IT_DECISION" == "$want_decision" ]] || {
            verdict=FAIL
            why+=("vpmu decided '$IT_DECISION', expected '$want_decision'")
        }
        [[ "$seen" == "$want_pmu" ]] || {
            verdict=FAIL
            why+=("QEMU -cpu '$IT_CPU' has pmu $seen, expected $want_pmu")
        }
    fi
    printf '%s: x86_64 %-5s decision=%s source=%s -> QEMU -cpu %s (pmu %s; read from %s): %s\n' \
        "$IT_NAME" "$suffix" "${IT_DECISION:-?}" "${IT_SOURCE:-?}" "${IT_CPU:-<none>}" \
        "$seen" "$IT_CPU_SOURCE" "$verdict"
    for w in "${why[@]}"; do
        printf '%s:   %s\n' "$IT_NAME" "$w"
    done
    [[ "$verdict" == PASS ]] || failures=$((failures + 1))
    it_guest_remove "$name"
done
printf '%s: %d case(s), %d failure(s), %d ms\n' "$IT_NAME" "${#cases[@]}" "$failures" \
    "$(($(it_now_ms) - t0))"
((failures == 0))

#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# guests-aarch64.sh [VPMU_BIN [BUILDDIR]]: aarch64 TCG guests running Debian's
# arm64 cloud kernel on a real libvirtd, started by `vpmu boot`.
#
# Each guest boots the kernel with an initramfs whose /init is guest-perf.c
# (perf_event_open for hardware cycles and instructions around a loop), then
# powers off, and the domain ends (on_poweroff destroy; --no-reboot makes a
# panic end it too).  The test reads the guest's own serial console:
#
#   decision on, or unset with cortex-a57 (whose pmu property defaults to on):
#     "hw perfevents: enabled with armv8_pmuv3" and a non-zero cycle count;
#   decision off:
#     no armv8_pmuv3 at all, and "no hardware counter" from the program.
#
# A conflicting flavor and image must exit 4 with nothing defined.
# The guests run in parallel (about 6 s each under TCG here).
#
# Exit: 0 pass, 1 fail (also with no hypervisor, or no kernel to be had:
# that is a failure, not a skip).

set -uo pipefail

IT_NAME=guests-aarch64
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
VPMU="${1:-${VPMU_BIN:-}}"
BUILD="${2:-${VPMU_BUILDDIR:-}}"
# shellcheck source=lib/wrap.sh
. "$here/lib/wrap.sh" && it_wrap VPMU
BOOT_TIMEOUT="${IT_BOOT_TIMEOUT:-120}"

. "$here/lib/libvirtd.sh"
. "$here/lib/vpmu.sh"
. "$here/lib/initramfs.sh"

it_vpmu_check
t0=$(it_now_ms)

kernel=$("$here/lib/fetch-kernel.sh")
rc=$?
((rc == 0)) || {
    ((rc == 77)) && it_unavailable "no arm64 kernel (see fetch-kernel above)"
    it_fail "fetch-kernel.sh exited $rc"
}
it_log "kernel: $kernel ($(($(it_now_ms) - t0)) ms)"

it_libvirtd_up

# QEMU runs as libvirt-qemu: the kernel, initrd and the console logs' directory
# must be reachable by it, so the work directory is a world-readable one in /tmp.
work=$(mktemp -d /tmp/vpmu-it-aarch64.XXXXXX)
chmod 0755 "$work"
logdir=""
if [[ -n "$BUILD" && -d "$BUILD" ]]; then
    logdir="$BUILD/meson-logs/guests-aarch64"
    mkdir -p "$logdir"
fi
IT_CLEANUPS+=("[[ -z '$logdir' ]] || cp -f '$work'/*.console '$work'/*.json '$logdir'/ 2>/dev/null; rm -rf '$work'")

t1=$(it_now_ms)
initrd=$(it_build_initramfs "$src" "$work")
it_log "initramfs: $initrd ($(($(it_now_ms) - t1)) ms)"

# Inputs in the shapes operators and tenants have them: a Nova flavor, a Glance image.
cat >"$work/flavor-vran.json" <<'EOF'
{"flavor": {"name": "vran.small", "ram": 512, "vcpus": 1, "disk": 0,
            "extra_specs": {"hw:pmu": "false"}}}
EOF
cat >"$work/image-perf.json" <<'EOF'
{"id": "7f8a3c1e-2f5b-4f7e-9a51-3d1c2b0e4a10", "name": "perf-tools",
 "disk_format": "raw", "container_format": "bare", "hw_pmu": "true"}
EOF

guest_opts=(--arch aarch64 --virt-type qemu --cpu-model cortex-a57
    --kernel "$kernel" --initrd "$initrd" --cmdline 'console=ttyAMA0 panic=-1')

failures=0
report() { # verdict text
    printf '%s: %s: %s\n' "$IT_NAME" "$2" "$1"
    [[ "$1" == PASS ]] || failures=$((failures + 1))
}

# --- conflict: refused before anything reaches libvirt -------------------------
conflict="${IT_PREFIX}arm-conflict"
it_guest_track "$conflict"
before=$(it_virsh list --all --name | sort)
it_vpmu_boot "$conflict" --flavor-spec hw:pmu=true --flavor-name it-flavor-on \
    --image-prop hw_pmu=false --image-name it-image-off \
    "${guest_opts[@]}" --serial-log "$work/conflict.console"
after=$(it_virsh list --all --name | sort)
verdict=PASS
why=""
if ((IT_BOOT_RC != 4)); then
    verdict=FAIL
    why+=" exit $IT_BOOT_RC, expected 4;"
fi
if [[ "$before" != "$after" ]] || it_virsh domstate "$conflict" >/dev/null 2>&1; then
    verdict=FAIL
    why+=" the domain list changed: before [$before] after [$after];"
fi
[[ -e "$work/conflict.console" ]] && {
    verdict=FAIL
    why+=" a console log was created;"
}
report "$verdict" "aarch64 conflict    flavor hw:pmu=true + image hw_pmu=false -> exit $IT_BOOT_RC, \
'${IT_BOOT_ERR//$'\n'/ }', domains defined: $(grep -c . <<<"$after")${why:+ (}${why}${why:+)}"

# --- guests ----------------------------------------------------------------------
# case | expected decision | expected PMU in the guest | vpmu policy options
cases=(
    "flavor-off|off|absent|--flavor $work/flavor-vran.json"
    "image-on|on|present|--image $work/image-perf.json"
    "unset|unset|present|"
)
declare -A cpu cpusrc decided decided_by bootrc booterr

t2=$(it_now_ms)
for c in "${cases[@]}"; do
    IFS='|' read -r id want_decision want_pmu opts <<<"$c"
    name="${IT_PREFIX}arm-$id"
    it_guest_track "$name"
    rm -f "$work/$id.console"
    # shellcheck disable=SC2086 # opts is a word list by design
    it_vpmu_boot "$name" $opts "${guest_opts[@]}" --serial-log "$work/$id.console"
    bootrc[$id]=$IT_BOOT_RC
    booterr[$id]=$IT_BOOT_ERR
    decided[$id]=${IT_DECISION:-?}
    decided_by[$id]=${IT_SOURCE:-?}
    cpu[$id]="" cpusrc[$id]="-"
    if ((IT_BOOT_RC == 0)) && it_qemu_cpu "$name"; then
        cpu[$id]=$IT_CPU
        cpusrc[$id]=$IT_CPU_SOURCE
    fi
done

for c in "${cases[@]}"; do
    IFS='|' read -r id want_decision want_pmu opts <<<"$c"
    name="${IT_PREFIX}arm-$id"
    why=()
    if ((bootrc[$id] != 0)); then
        report FAIL "aarch64 $id: vpmu boot exited ${bootrc[$id]}: ${booterr[$id]}"
        continue
    fi
    if ! it_wait_shutoff "$name" "$BOOT_TIMEOUT"; then
        why+=("the guest did not end within ${BOOT_TIMEOUT}s (state $(it_domstate "$name"))")
    fi
    if [[ -z "${cpu[$id]}" ]] && it_qemu_cpu "$name"; then
        cpu[$id]=$IT_CPU cpusrc[$id]=$IT_CPU_SOURCE
    fi
    ended_ms=$(($(it_now_ms) - t2))

    console="$work/$id.console"
    clean=$(tr -d '\r' <"$console" 2>/dev/null)
    perfevents=$(grep -m1 -o 'hw perfevents: .*' <<<"$clean")
    cycles=$(sed -n 's/^VPMU-PERF cycles=\([^ ]*\).*/\1/p' <<<"$clean" | head -n1)
    cycles_line=$(grep -m1 '^VPMU-PERF cycles=' <<<"$clean")
    summary=$(sed -n 's/^VPMU-PERF summary=//p' <<<"$clean" | head -n1)

    [[ "${decided[$id]}" == "$want_decision" ]] ||
        why+=("vpmu decided '${decided[$id]}', expected '$want_decision'")
    # libvirt passes the decision on as -cpu ...,pmu=on|off, or nothing for unset.
    want_cpu_pmu=$want_decision
    [[ "$want_decision" == unset ]] && want_cpu_pmu=absent
    [[ "$(it_cpu_pmu "${cpu[$id]}")" == "$want_cpu_pmu" ]] ||
        why+=("QEMU -cpu '${cpu[$id]}' (from ${cpusrc[$id]}) does not carry pmu $want_cpu_pmu")
    grep -q '^VPMU-PERF done' <<<"$clean" ||
        why+=("the counter program did not finish; console tail: $(tail -n 5 <<<"$clean" | tr '\n' '|')")
    case "$want_pmu" in
    present)
        grep -q 'hw perfevents: enabled with armv8_pmuv3' <<<"$clean" ||
            why+=("no 'hw perfevents: enabled with armv8_pmuv3' on the console")
        [[ "$cycles" =~ ^[0-9]+$ && "$cycles" -gt 0 ]] ||
            why+=("expected a non-zero cycle count, got '${cycles_line:-nothing}'")
        [[ "$summary" == counting ]] || why+=("program summary '$summary', expected 'counting'")
        ;;
    absent)
        ! grep -q 'armv8_pmuv3' <<<"$clean" ||
            why+=("armv8_pmuv3 appears on the console: '$(grep -m1 armv8_pmuv3 <<<"$clean")'")
        [[ "$cycles" == unavailable ]] ||
            why+=("expected the cycles event to be unavailable, got '${cycles_line:-nothing}'")
        [[ "$summary" == "no hardware counter" ]] ||
            why+=("program summary '$summary', expected 'no hardware counter'")
        ;;
    esac
    verdict=PASS
    ((${#why[@]} == 0)) || verdict=FAIL
    report "$verdict" "aarch64 $(printf '%-10s' "$id") decision=${decided[$id]} source=${decided_by[$id]} \
-> QEMU -cpu ${cpu[$id]:-<none>} (pmu $(it_cpu_pmu "${cpu[$id]}"), from ${cpusrc[$id]}); guest: '${perfevents:-no hw perfevents line}'; \
perf: ${cycles_line#VPMU-PERF }, ${summary:-no summary}; ended by ${ended_ms} ms"
    for w in "${why[@]}"; do
        printf '%s:   %s\n' "$IT_NAME" "$w"
    done
    it_guest_remove "$name"
done

printf '%s: %d case(s), %d failure(s), guests %d ms, total %d ms%s\n' "$IT_NAME" \
    $((${#cases[@]} + 1)) "$failures" "$(($(it_now_ms) - t2))" "$(($(it_now_ms) - t0))" \
    "${logdir:+, consoles kept in $logdir}"
((failures == 0))

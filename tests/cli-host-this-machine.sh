#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `vpmu host` on the real machine (root /) reports what this machine really
# has, read here independently from /proc, /sys and /dev, on ANY machine:
# the arch, /dev/kvm, kvm.enable_pmu, the perf event sources, the cpuinfo
# PMU flags (x86), and verdicts that follow from them: enable_pmu=N means
# "no" with that reason, a "no" always says why, and the trait is reported
# exactly when the verdict is yes, in text and JSON alike.  It does not
# assume what this machine is (it used to skip everywhere but one kind of
# VM).  TAP.
set -u

bin=${VPMU_BIN:?VPMU_BIN not set}
# Under the valgrind test setup, every vpmu run goes under valgrind too
# (words, unquoted on purpose; --error-exitcode=99 marks a memory error).
wrap=${VPMU_TEST_WRAPPER:-}
command -v jq >/dev/null 2>&1 || { echo "1..0 # SKIP jq is not installed (Debian: jq)"; exit 0; }

n=0 fails=0
check() { # DESCRIPTION CONDITION-STATUS [DETAIL]
    n=$((n + 1))
    if [ "$2" -eq 0 ]; then echo "ok $n - $1"; else echo "not ok $n - $1${3:+: $3}"; fails=$((fails + 1)); fi
}
is() { [ "$1" = "$2" ]; echo $?; } # is GOT WANT: 0 when equal

# ---- what the machine has, read without vpmu ----------------------------------------
arch=$(uname -m)
if [ -e /dev/kvm ]; then dev_kvm=true; else dev_kvm=false; fi
enable_pmu=$(cat /sys/module/kvm/parameters/enable_pmu 2>/dev/null || echo null)
if [ -e /sys/bus/event_source/devices/cpu ]; then cpu_es=true; else cpu_es=false; fi
sources=$(ls /sys/bus/event_source/devices 2>/dev/null | LC_ALL=C sort | paste -sd' ' -)

# ---- what vpmu says ------------------------------------------------------------------
text=$($wrap "$bin" host)
rc=$?
check "text: exit 0 whatever the verdict" "$(is "$rc" 0)" "exit $rc"
json=$($wrap "$bin" -o json host)
rc=$?
check "json: exit 0" "$(is "$rc" 0)" "exit $rc"
j() { printf '%s' "$json" | jq -r "$1"; }

check "root is /" "$(is "$(j .root)" /)"
check "arch is uname -m ($arch)" "$(is "$(j .arch)" "$arch")" "$(j .arch)"
check "/dev/kvm: $dev_kvm" "$(is "$(j .kvm.dev_kvm)" "$dev_kvm")" "$(j .kvm.dev_kvm)"
check "kvm.enable_pmu: $enable_pmu (/sys/module/kvm/parameters)" \
    "$(is "$(j .kvm.enable_pmu)" "$enable_pmu")" "$(j .kvm.enable_pmu)"
check "cpu event source: $cpu_es" "$(is "$(j .pmu_evidence.cpu_event_source)" "$cpu_es")" \
    "$(j .pmu_evidence.cpu_event_source)"
check "event sources are /sys/bus/event_source/devices" \
    "$(is "$(j '.pmu_evidence.event_sources | sort | join(" ")')" "$sources")" \
    "$(j '.pmu_evidence.event_sources | join(" ")') vs $sources"

case "$arch" in
x86_64 | i?86)
    flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2-) "
    for f in arch_perfmon pdcm perfctr_core perfmon_v2; do
        case "$flags" in *" $f "*) want=true ;; *) want=false ;; esac
        check "cpuinfo flag $f: $want" "$(is "$(j ".pmu_evidence.cpuinfo_flags.$f")" "$want")"
    done
    vendor_id=$(grep -m1 '^vendor_id' /proc/cpuinfo | sed 's/^[^:]*: *//')
    check "vendor_id is /proc/cpuinfo's ($vendor_id)" "$(is "$(j .cpu.vendor_id)" "$vendor_id")"
    ;;
esac

# ---- verdicts that follow from the facts -----------------------------------------------
verdict=$(j .verdict)
check "text and JSON give the same verdict ($verdict)" \
    "$(printf '%s\n' "$text" | grep -qx "verdict: $verdict"; echo $?)"
if [ "$enable_pmu" = N ] || [ "$enable_pmu" = 0 ]; then
    check "kvm.enable_pmu=$enable_pmu: verdict no" "$(is "$verdict" no)" "$verdict"
    check "kvm.enable_pmu=$enable_pmu is a reason" \
        "$(j '.reasons[]' | grep -q '^kvm.enable_pmu='; echo $?)"
fi
if [ "$verdict" = no ]; then
    check "verdict no: at least one reason" "$([ "$(j '.reasons | length')" -gt 0 ]; echo $?)"
fi
if [ "$verdict" = yes ]; then has=true word=set; else has=false word="not set"; fi
check "JSON lists the trait exactly when the verdict is yes" \
    "$(is "$(j '.traits | index("CUSTOM_COMPUTE_VPMU") != null')" "$has")" "$(j -c .traits)"
check "text: trait CUSTOM_COMPUTE_VPMU: $word" \
    "$(printf '%s\n' "$text" | grep -qx "trait CUSTOM_COMPUTE_VPMU: $word"; echo $?)"

echo "1..$n"
[ "$fails" -eq 0 ]

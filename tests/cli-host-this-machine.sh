#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `vpmu host` on the real machine (root /) says no, with the reasons
# kvm.enable_pmu=N and "no 'cpu' event source", and does not claim the trait.
#
# That is only the truth on a machine like the development VM (FACTS.md §3):
# an x86 KVM guest with no vPMU.  Anywhere else the test skips (77) and says
# why, rather than assert something false about that machine.
set -u

bin=${VPMU_BIN:?VPMU_BIN not set}
# Under the valgrind test setup, every vpmu run goes under valgrind too
# (words, unquoted on purpose; --error-exitcode=99 marks a memory error).
wrap=${VPMU_TEST_WRAPPER:-}
command -v jq >/dev/null 2>&1 || { echo "cli-host-this-machine: jq is not installed" >&2; exit 77; }

arch=$(uname -m)
enable_pmu=$(cat /sys/module/kvm/parameters/enable_pmu 2>/dev/null || echo absent)
if [ "$arch" != x86_64 ] || [ "$enable_pmu" != N ] || [ -e /sys/bus/event_source/devices/cpu ]; then
    echo "cli-host-this-machine: this host is not a no-vPMU x86 VM (arch $arch," \
         "enable_pmu $enable_pmu, cpu event source" \
         "$([ -e /sys/bus/event_source/devices/cpu ] && echo present || echo absent)); skipping" >&2
    exit 77
fi

fails=0
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
bad() { n=$((n + 1)); echo "not ok $n - $1"; fails=$((fails + 1)); }

out=$($wrap "$bin" host)
rc=$?
[ "$rc" -eq 0 ] && ok "exit 0 whatever the verdict" || bad "exit 0 (got $rc)"
printf '%s\n' "$out" | grep -qx 'verdict: no' && ok "verdict: no" || bad "verdict: no"
printf '%s\n' "$out" | grep -q '^reason: kvm.enable_pmu=N' && ok "reason enable_pmu=N" || bad "reason enable_pmu=N"
printf '%s\n' "$out" | grep -q "^reason: no 'cpu' event source" && ok "reason no cpu event source" || bad "reason no cpu event source"
printf '%s\n' "$out" | grep -qx 'trait CUSTOM_COMPUTE_VPMU: not set' && ok "trait not set" || bad "trait not set"

json=$($wrap "$bin" -o json host)
[ "$(printf '%s' "$json" | jq -r .verdict)" = no ] && ok "json verdict no" || bad "json verdict no"
[ "$(printf '%s' "$json" | jq -r '.traits | length')" = 0 ] && ok "json: no traits" || bad "json: no traits"
[ "$(printf '%s' "$json" | jq -r .kvm.enable_pmu)" = N ] && ok "json enable_pmu N" || bad "json enable_pmu N"
[ "$(printf '%s' "$json" | jq -r .pmu_evidence.cpu_event_source)" = false ] && ok "json: no cpu event source" || bad "json: no cpu event source"
[ "$(printf '%s' "$json" | jq -r .arch)" = "$arch" ] && ok "json arch is uname -m" || bad "json arch"

echo "1..$n"
[ "$fails" -eq 0 ]

#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `vpmu host` and `vpmu explain` through the CLI, on the fixture trees in
# tests/data/hosts: verdicts, the trait, reasons, exit codes, JSON shape.
# Needs: VPMU_BIN, VPMU_TESTDATA (set by tests/meson.build), jq.
set -u

bin=${VPMU_BIN:?VPMU_BIN not set}
# Under the valgrind test setup, every vpmu run goes under valgrind too
# (words, unquoted on purpose; --error-exitcode=99 marks a memory error).
wrap=${VPMU_TEST_WRAPPER:-}
hosts=${VPMU_TESTDATA:?VPMU_TESTDATA not set}/hosts
command -v jq >/dev/null 2>&1 || { echo "cli-host: jq is not installed" >&2; exit 77; }

fails=0
n=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

check() { # description, command...; then compares $out
    n=$((n + 1))
    if [ "$1" = ok ]; then
        echo "ok $n - $2"
    else
        echo "not ok $n - $2"
        fails=$((fails + 1))
    fi
}

expect_eq() { # name got want
    if [ "$2" = "$3" ]; then check ok "$1"; else check fail "$1 (got '$2', want '$3')"; fi
}

# host: verdict and trait per fixture, in JSON; exit 0 whatever the verdict.
for row in intel-pmu:yes:1 amd-pmu:yes:1 arm64-pmuv3:yes:1 arm64-nopmu:partial:0 \
    arm64-tcg:partial:0 enable-pmu-n:no:0 novpmu-vm:no:0; do
    fx=${row%%:*}; rest=${row#*:}; want=${rest%%:*}; traits=${rest#*:}
    $wrap "$bin" -o json host --host-root "$hosts/$fx" >"$tmp/out" 2>"$tmp/err"
    expect_eq "host $fx: exit 0" "$?" 0
    expect_eq "host $fx: verdict" "$(jq -r .verdict "$tmp/out")" "$want"
    expect_eq "host $fx: traits" "$(jq -r '.traits | length' "$tmp/out")" "$traits"
    # valgrind 3.19 warns on stderr that it lacks openat2 (vpmu then walks): not vpmu's output.
    expect_eq "host $fx: nothing on stderr" "$(grep -v '^--[0-9]*-- ' "$tmp/err")" ""
done

# The vPMU kind (issue 15) per fixture, in JSON: kind, traits, the parameter as read.
for row in intel-pmu:emulated:1:null intel-mediated:mediated:2:Y intel-mediated-off:emulated:1:N \
    amd-pmu:emulated:1:null amd-mediated:mediated:2:Y amd-zen3:emulated:1:N \
    novpmu-vm:none:0:null arm64-pmuv3:emulated:1:null; do
    fx=${row%%:*}; rest=${row#*:}; kind=${rest%%:*}; rest=${rest#*:}; traits=${rest%%:*}; param=${rest#*:}
    $wrap "$bin" -o json host --host-root "$hosts/$fx" >"$tmp/out" 2>"$tmp/err"
    expect_eq "host $fx: kind" "$(jq -r .vpmu.kind "$tmp/out")" "$kind"
    expect_eq "host $fx: traits with the kind" "$(jq -r '.traits | length' "$tmp/out")" "$traits"
    expect_eq "host $fx: enable_mediated_pmu" "$(jq -r .vpmu.enable_mediated_pmu "$tmp/out")" "$param"
done
$wrap "$bin" -o json host --host-root "$hosts/amd-zen3" >"$tmp/out"
expect_eq "amd-zen3: requirement not met" "$(jq -r .vpmu.mediated_requirement.state "$tmp/out")" "not met"
$wrap "$bin" -o json host --host-root "$hosts/intel-mediated" >"$tmp/out"
expect_eq "intel-mediated: both traits" "$(jq -r '.traits | join(",")' "$tmp/out")" \
    CUSTOM_COMPUTE_VPMU,CUSTOM_COMPUTE_VPMU_MEDIATED
$wrap "$bin" -o json explain --host-root "$hosts/intel-mediated" --flavor-spec hw:pmu=true \
    --cpu-mode host-passthrough --virt-type kvm >"$tmp/out"
expect_eq "explain intel-mediated: kind" "$(jq -r .kind "$tmp/out")" mediated
expect_eq "explain intel-mediated: figures" \
    "$(jq -r '[.kind_reasons[] | select(test("4.2% \\(33.6%"))] | length' "$tmp/out")" 1
$wrap "$bin" -o json explain --host-root "$hosts/intel-mediated" --flavor-spec hw:pmu=false \
    --cpu-mode host-passthrough --virt-type kvm >"$tmp/out"
expect_eq "explain intel-mediated, off: kind none" "$(jq -r .kind "$tmp/out")" none

# No evidence (an empty directory, or links that lead out of the root only):
# verdict unknown, exit 1, no trait, and Placement is not contacted at all
# (port 9 would fail the run with a different message if it were).
mkdir "$tmp/empty"
for fx in "$tmp/empty" "$hosts/escape-symlinks"; do
    $wrap "$bin" -o json host --host-root "$fx" >"$tmp/out" 2>"$tmp/err"
    expect_eq "host $(basename "$fx"): unknown exits 1" "$?" 1
    expect_eq "host $(basename "$fx"): verdict unknown" "$(jq -r .verdict "$tmp/out")" unknown
    expect_eq "host $(basename "$fx"): no trait" "$(jq -r '.traits | length' "$tmp/out")" 0
    grep -q "^vpmu: host verdict unknown under " "$tmp/err" && check ok "host $(basename "$fx"): message" || check fail "host $(basename "$fx"): message"
    $wrap "$bin" host --host-root "$fx" --placement http://127.0.0.1:9 \
        --provider 7a4c5f7e-0000-4000-8000-000000000001 --token admin >"$tmp/out" 2>"$tmp/err"
    expect_eq "host $(basename "$fx") --placement: exit 1" "$?" 1
    grep -q '^verdict: unknown$' "$tmp/out" && check ok "host $(basename "$fx") --placement: report printed" || check fail "host $(basename "$fx") --placement: report printed"
    grep -q '^vpmu: Placement left unchanged (verdict unknown)$' "$tmp/err" && check ok "host $(basename "$fx") --placement: not contacted" || check fail "host $(basename "$fx") --placement: not contacted"
    grep -q '127.0.0.1:9' "$tmp/err" && check fail "host $(basename "$fx") --placement: tried Placement" || check ok "host $(basename "$fx") --placement: no request"
done
$wrap "$bin" -o json host --host-root "$hosts/escape-symlinks" >"$tmp/out" 2>/dev/null
expect_eq "escape-symlinks: cpuinfo refused, not followed" \
    "$(jq -r '[.notes[] | select(startswith("proc/cpuinfo not read"))] | length' "$tmp/out")" 1
expect_eq "escape-symlinks: confinement named" \
    "$(jq -r '.pmu_evidence.confinement | test("^(openat2|walk)$")' "$tmp/out")" true

# explain on a root without evidence: the host is unknown, not "cannot honour".
$wrap "$bin" -o json explain --host-root "$tmp/empty" --flavor-spec hw:pmu=true --arch x86_64 \
    --virt-type kvm >"$tmp/out" 2>"$tmp/err"
expect_eq "explain, empty root: host unknown" "$(jq -r .rule "$tmp/out")" host-unknown
expect_eq "explain, empty root: effective unknown" "$(jq -r .effective "$tmp/out")" unknown

# A FIFO where cpuinfo belongs: refused at once (the timeout catches a blocking open).
mkdir -p "$tmp/fifo/proc/sys/kernel" "$tmp/fifo/dev"
mkfifo "$tmp/fifo/proc/cpuinfo"
echo x86_64 >"$tmp/fifo/proc/sys/kernel/arch"
timeout 20 $wrap "$bin" host --host-root "$tmp/fifo" >"$tmp/out" 2>"$tmp/err"
expect_eq "fifo cpuinfo: exit 0 (arch and /dev/kvm absence are evidence)" "$?" 0
grep -q '^note: proc/cpuinfo not read: it is a FIFO$' "$tmp/out" && check ok "fifo cpuinfo: note" || check fail "fifo cpuinfo: note"

# The reasons a user reads, in text.
$wrap "$bin" host --host-root "$hosts/enable-pmu-n" >"$tmp/out"
grep -q '^verdict: no$' "$tmp/out" && check ok "enable-pmu-n text verdict" || check fail "enable-pmu-n text verdict"
grep -q '^reason: kvm.enable_pmu=N' "$tmp/out" && check ok "enable-pmu-n reason" || check fail "enable-pmu-n reason"
grep -q '^trait CUSTOM_COMPUTE_VPMU: not set$' "$tmp/out" && check ok "enable-pmu-n trait line" || check fail "enable-pmu-n trait line"

$wrap "$bin" -o json host --host-root "$hosts/amd-pmu" >"$tmp/out"
expect_eq "amd: vendor" "$(jq -r .cpu.vendor "$tmp/out")" amd
expect_eq "amd: perfmon_v2" "$(jq -r .pmu_evidence.cpuinfo_flags.perfmon_v2 "$tmp/out")" true
expect_eq "amd: note about pmu=off" "$(jq -r '.notes[0] | test("only partly off")' "$tmp/out")" true
expect_eq "amd: enable_pmu" "$(jq -r .kvm.enable_pmu "$tmp/out")" Y
expect_eq "amd: no connection without -c" "$(jq -r 'has("connection")' "$tmp/out")" false

$wrap "$bin" -o json host --host-root "$hosts/arm64-pmuv3" >"$tmp/out"
expect_eq "arm64: arm pmu" "$(jq -r .pmu_evidence.arm_pmu "$tmp/out")" armv8_pmuv3_0
expect_eq "arm64: implementer" "$(jq -r .cpu.implementer "$tmp/out")" 65
expect_eq "arm64: enable_pmu absent" "$(jq -r .kvm.enable_pmu "$tmp/out")" null

# With -c: the connection's versions (test driver: in-process, always there).
$wrap "$bin" -c test:///default -o json host --host-root "$hosts/intel-pmu" >"$tmp/out"
expect_eq "-c: driver" "$(jq -r .connection.driver "$tmp/out")" TEST
expect_eq "-c: libvirt version shape" \
    "$(jq -r '.connection.libvirt_version | test("^[0-9]+\\.[0-9]+\\.[0-9]+$")' "$tmp/out")" true

# Errors: a missing root is a runtime failure; option misuse is a usage error.
$wrap "$bin" host --host-root "$tmp/nonexistent" >/dev/null 2>"$tmp/err"
expect_eq "missing root: exit 1" "$?" 1
grep -q "cannot open host root '$tmp/nonexistent'" "$tmp/err" && check ok "missing root: message" || check fail "missing root: message"
# Without --provider, the provider is looked up by libvirt's hostname: here
# Placement cannot be reached at all (no cloud configured, a closed port).
env -u OS_CLOUD -u OS_AUTH_URL -u OS_TOKEN $wrap "$bin" host --placement http://127.0.0.1:1 >/dev/null 2>"$tmp/err"
expect_eq "--placement without --provider: exit 1" "$?" 1
grep -q "cannot reach Placement: GET 'http://127.0.0.1:1/resource_providers?name=" "$tmp/err" && check ok "--placement without --provider: looks the hostname up" || check fail "--placement without --provider: looks the hostname up"
env -u OS_CLOUD -u OS_AUTH_URL $wrap "$bin" host --report >/dev/null 2>"$tmp/err"
expect_eq "--report without a cloud: exit 2" "$?" 2
grep -q "no cloud to find Placement in" "$tmp/err" && check ok "--report without a cloud: message" || check fail "--report without a cloud: message"
$wrap "$bin" host --provider 0 >/dev/null 2>&1
expect_eq "--provider without --report: exit 2" "$?" 2
$wrap "$bin" host --report --provider 0 --provider-name x >/dev/null 2>&1
expect_eq "--provider with --provider-name: exit 2" "$?" 2
$wrap "$bin" host extra >/dev/null 2>&1
expect_eq "extra argument: exit 2" "$?" 2
$wrap "$bin" -o prometheus host >/dev/null 2>&1
expect_eq "-o prometheus: exit 2" "$?" 2
$wrap "$bin" host --help >"$tmp/out" 2>&1
expect_eq "--help: exit 0" "$?" 0
grep -q -- '--host-root DIR' "$tmp/out" && check ok "--help lists --host-root" || check fail "--help lists --host-root"

# Placement unreachable: exit 1, with the host report already printed.
$wrap "$bin" host --host-root "$hosts/intel-pmu" --placement http://127.0.0.1:9 \
    --provider 7a4c5f7e-0000-4000-8000-000000000001 --token admin >"$tmp/out" 2>"$tmp/err"
expect_eq "placement unreachable: exit 1" "$?" 1
grep -q '^verdict: yes$' "$tmp/out" && check ok "placement unreachable: report printed" || check fail "placement unreachable: report printed"
[ -s "$tmp/err" ] && check ok "placement unreachable: message" || check fail "placement unreachable: message"

# explain through the CLI: each state once, end to end.
# No connection named (explain honours $LIBVIRT_DEFAULT_URI): the fixture host decides.
ex() { env -u LIBVIRT_DEFAULT_URI $wrap "$bin" -o json explain "$@" >"$tmp/out" 2>"$tmp/err"; echo "$?"; }
expect_eq "explain on, enable_pmu=N: exit 0" \
    "$(ex --flavor-spec hw:pmu=true --host-root "$hosts/enable-pmu-n" --cpu-mode host-passthrough)" 0
expect_eq "explain on, enable_pmu=N: off" "$(jq -r .effective "$tmp/out")" off
expect_eq "explain on, enable_pmu=N: rule" "$(jq -r .rule "$tmp/out")" host-cannot-honour
expect_eq "explain on, enable_pmu=N: not honoured" "$(jq -r .honours_decision "$tmp/out")" false
expect_eq "explain: virt type defaults to kvm on a host with /dev/kvm" "$(jq -r .guest.virt_type "$tmp/out")" kvm

ex --flavor-spec hw:pmu=false --host-root "$hosts/amd-pmu" --qemu-version 7.2.0 \
    --cpu-model EPYC >/dev/null
expect_eq "explain AMD off QEMU 7.2: partial" "$(jq -r .effective "$tmp/out")" partial
expect_eq "explain AMD off QEMU 7.2: version shown" "$(jq -r .qemu_version "$tmp/out")" 7.2.0
ex --flavor-spec hw:pmu=false --host-root "$hosts/amd-pmu" --qemu-version 11.0.0 \
    --cpu-model EPYC >/dev/null
expect_eq "explain AMD off QEMU 11: off" "$(jq -r .effective "$tmp/out")" off

ex --image-prop hw_pmu=false --arch ppc64le --virt-type qemu --host-root "$hosts/intel-pmu" >/dev/null
expect_eq "explain ppc64 off: refused" "$(jq -r .effective "$tmp/out")" refused

ex --arch x86_64 --virt-type qemu --image-prop hw_pmu=on --host-root "$hosts/intel-pmu" >/dev/null
expect_eq "explain x86 TCG on: off" "$(jq -r .effective "$tmp/out")" off
expect_eq "explain x86 TCG on: rule" "$(jq -r .rule "$tmp/out")" x86-tcg

ex --host-root "$hosts/intel-pmu" --cpu-mode host-passthrough >/dev/null
expect_eq "explain unset + host-passthrough: on" "$(jq -r .effective "$tmp/out")" on
expect_eq "explain unset: no element" "$(jq -r .element "$tmp/out")" null
ex --host-root "$hosts/intel-pmu" --cpu-model Skylake-Server >/dev/null
expect_eq "explain unset + named model: off" "$(jq -r .effective "$tmp/out")" off

# The arch from the image, and aarch64's CPU default (as xml/boot build it).
ex --image-prop hw_architecture=aarch64 --image-prop hw_pmu=true --host-root "$hosts/intel-pmu" >/dev/null
expect_eq "explain image arch: aarch64" "$(jq -r .guest.arch "$tmp/out")" aarch64
expect_eq "explain aarch64 on intel host: TCG" "$(jq -r .guest.virt_type "$tmp/out")" qemu
expect_eq "explain aarch64 TCG: cpu maximum" "$(jq -r .guest.cpu_mode "$tmp/out")" maximum
expect_eq "explain aarch64 TCG on: on" "$(jq -r .effective "$tmp/out")" on

# A domain of the connection: the test driver's 'test' has virt type 'test'.
expect_eq "explain --domain: exit 0" "$($wrap "$bin" -c test:///default -o json explain --domain test >"$tmp/out" 2>"$tmp/err"; echo $?)" 0
expect_eq "explain --domain: decision from the domain" "$(jq -r .decision.source "$tmp/out")" domain
expect_eq "explain --domain: test virt type, no element" "$(jq -r .rule "$tmp/out")" virt-type-no-element
$wrap "$bin" -c test:///default explain --domain no-such-domain >/dev/null 2>"$tmp/err"
expect_eq "explain --domain missing: exit 1" "$?" 1

# A remote connection with --qemu-version: the host is unknown, nothing connects.
ex --flavor-spec hw:pmu=true --arch x86_64 --virt-type kvm --qemu-version 7.2.0 \
    >/dev/null
expect_eq "explain local default host is probed" "$(jq -r '.host != null' "$tmp/out")" true
$wrap "$bin" -c qemu+ssh://vpmu-nonexistent.invalid/system -o json explain --flavor-spec hw:pmu=true \
    --arch x86_64 --virt-type kvm --qemu-version 7.2.0 >"$tmp/out" 2>"$tmp/err"
expect_eq "explain remote: exit 0" "$?" 0
expect_eq "explain remote: host unknown" "$(jq -r .host "$tmp/out")" null
expect_eq "explain remote: unknown" "$(jq -r .effective "$tmp/out")" unknown

# Usage and input errors.
$wrap "$bin" explain --qemu-version 7.x >/dev/null 2>&1
expect_eq "explain bad --qemu-version: exit 2" "$?" 2
$wrap "$bin" explain --flavor-spec hw:pmu=ture >/dev/null 2>&1
expect_eq "explain bad hw:pmu: exit 3" "$?" 3
$wrap "$bin" explain --flavor-spec hw:pmu=true --image-prop hw_pmu=false >/dev/null 2>&1
expect_eq "explain conflict: exit 4" "$?" 4

echo "1..$n"
[ "$fails" -eq 0 ]

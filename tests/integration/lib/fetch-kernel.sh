#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# fetch-kernel.sh: print the path of a Debian arm64 cloud kernel (vmlinuz) for
# the aarch64 real-guest tests, fetching it on first use.
#
#   tests/integration/lib/fetch-kernel.sh        -> /var/cache/vpmu-tests/vmlinuz-<ver>
#
# Steps (docs/facts.md §3): dpkg --add-architecture arm64; apt-get update;
# apt-get download linux-image-<abi>-cloud-arm64-unsigned:arm64; dpkg-deb -x.
# The package name is resolved from the meta-package linux-image-cloud-arm64,
# whose dependency names the current ABI.  The kernel is cached OUTSIDE the
# repository and never committed.
#
# Environment:
#   VPMU_TEST_KERNEL     use this vmlinuz as is (no fetching)
#   VPMU_TEST_CACHE      cache directory (default /var/cache/vpmu-tests)
#   VPMU_KERNEL_REFRESH  1: fetch again even when a cached kernel exists
#
# Exit: 0 and the path on stdout; 77 (skip) when it cannot be had, with the
# reason on stderr.  Progress and timings go to stderr.

set -euo pipefail

say() { printf 'fetch-kernel: %s\n' "$*" >&2; }
skip() {
    say "SKIP: $*"
    exit 77
}

if [[ -n "${VPMU_TEST_KERNEL:-}" ]]; then
    [[ -r "$VPMU_TEST_KERNEL" ]] || skip "VPMU_TEST_KERNEL='$VPMU_TEST_KERNEL' is not readable"
    printf '%s\n' "$VPMU_TEST_KERNEL"
    exit 0
fi

cache="${VPMU_TEST_CACHE:-/var/cache/vpmu-tests}"
link="$cache/vmlinuz"

if [[ "${VPMU_KERNEL_REFRESH:-0}" != 1 && -r "$link" ]]; then
    readlink -f "$link"
    exit 0
fi

[[ $(id -u) -eq 0 ]] || skip "no cached kernel at '$link' and not root, so cannot use apt-get to fetch one"
for tool in dpkg apt-get apt-cache dpkg-deb; do
    command -v "$tool" >/dev/null || skip "'$tool' is missing (needs a Debian host)"
done

now_ms() { date +%s%3N; }
t0=$(now_ms)

# The cloud kernel for arm64 comes from the arm64 package lists.
if ! dpkg --print-foreign-architectures | grep -qx arm64 &&
    [[ "$(dpkg --print-architecture)" != arm64 ]]; then
    say "dpkg --add-architecture arm64"
    dpkg --add-architecture arm64
fi
meta=linux-image-cloud-arm64:arm64
if ! apt-cache show "$meta" >/dev/null 2>&1; then
    say "apt-get update (arm64 lists)"
    t1=$(now_ms)
    apt-get update -qq >&2 || skip "apt-get update failed"
    say "apt-get update took $(($(now_ms) - t1)) ms"
fi

# linux-image-cloud-arm64 depends on linux-image-<abi>-cloud-arm64 (signed); the
# matching unsigned package carries the same vmlinuz and has no signing deps.
signed=$(apt-cache depends "$meta" 2>/dev/null |
    sed -n 's/^ *Depends: \(linux-image-[^ :]*-cloud-arm64\)\(:arm64\)\?$/\1/p' | head -n1)
[[ -n "$signed" ]] || skip "cannot resolve '$meta' to a versioned kernel package"
pkg="${signed}-unsigned:arm64"
apt-cache show "$pkg" >/dev/null 2>&1 || skip "package '$pkg' is not in the apt lists"

mkdir -p "$cache"
chmod 0755 "$cache"
work=$(mktemp -d "$cache/fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
if id _apt >/dev/null 2>&1; then chown _apt "$work"; fi # apt-get download writes as _apt

say "apt-get download $pkg"
t1=$(now_ms)
(cd "$work" && apt-get download -qq "$pkg" >&2) || skip "apt-get download '$pkg' failed"
say "download took $(($(now_ms) - t1)) ms"

deb=$(find "$work" -maxdepth 1 -name '*.deb' | head -n1)
[[ -n "$deb" ]] || skip "apt-get download left no .deb"
# Only boot/ is needed: skip writing the modules to disk (dpkg-deb -x would).
# Most of the time here is xz decompression of the whole data member.
mkdir "$work/root"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work/root" --wildcards './boot/vmlinuz-*'
src=$(find "$work/root/boot" -maxdepth 1 -name 'vmlinuz-*' | head -n1)
[[ -n "$src" ]] || skip "'$deb' has no boot/vmlinuz-*"

dest="$cache/$(basename "$src")"
install -m 0644 "$src" "$dest.tmp"
mv -f "$dest.tmp" "$dest"
ln -sfn "$(basename "$dest")" "$link"
say "cached $dest ($(stat -c %s "$dest") bytes) in $(($(now_ms) - t0)) ms"
printf '%s\n' "$dest"

# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# initramfs.sh: build the aarch64 guest's initramfs, whose /init is
# tests/integration/guest-perf.c compiled static with Debian's
# gcc-aarch64-linux-gnu.  Source after libvirtd.sh (uses it_* helpers).
#
#   it_build_initramfs SRCDIR OUTDIR   -> prints OUTDIR/initramfs.cpio
#
# The archive is cpio "newc" (what the kernel unpacks), uncompressed: it is
# under 1 MB, and skipping gzip saves the guest a decompression under TCG.
# /dev/console is included so /init has its stdio from the first instruction.

IT_INITRAMFS_PACKAGES=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross cpio)

it_build_initramfs() {
    local src="$1" out="$2" stage
    it_pkg_ensure "${IT_INITRAMFS_PACKAGES[@]}"
    stage="$out/initramfs.d"
    rm -rf "$stage"
    mkdir -p "$stage/dev" "$stage/sys" "$stage/proc"
    aarch64-linux-gnu-gcc -std=gnu11 -O2 -static -Wall -Wextra -Werror \
        -o "$stage/init" "$src/tests/integration/guest-perf.c" >&2 ||
        it_fail "cannot compile guest-perf.c for aarch64"
    chmod 0755 "$stage/init"
    mknod -m 0600 "$stage/dev/console" c 5 1 2>/dev/null || true
    (cd "$stage" && find . -print0 | LC_ALL=C sort -z |
        cpio --null -o -H newc --owner=0:0 --quiet) >"$out/initramfs.cpio" ||
        it_fail "cpio failed to pack the initramfs"
    chmod 0644 "$out/initramfs.cpio"
    rm -rf "$stage"
    printf '%s\n' "$out/initramfs.cpio"
}

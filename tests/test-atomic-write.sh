#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# No data lost (issue 7 §5): `vpmu xml --domain F --in-place` under injected
# faults.  tests/faultinject.c (LD_PRELOAD) fails, or SIGKILLs the process
# around, each step of the atomic write: creating the temporary, writing,
# fchmod, fsync, close and rename.  After every run:
#   - a failed write exits 1 with "vpmu: ..." naming the file and the cause,
#     the original is byte-for-byte intact (cmp with a saved copy), its mode
#     is unchanged, and no temporary file is left behind;
#   - a killed run leaves the file either exactly as it was or (killed after
#     the rename) exactly the new document: never a mix, never empty.  A
#     temporary may remain after SIGKILL (nothing can remove it), and is
#     reported;
#   - a successful run (including with short writes) writes exactly what
#     `vpmu xml --domain F` prints and keeps the file's mode (0640 here).
# Each fault must actually fire (VPMU_FAULT_LOG), or the case fails: a fault
# that never fires would prove nothing.
#
# Environment (set by tests/meson.build): VPMU_BIN, VPMU_FAULTINJECT.
set -u

vpmu=${VPMU_BIN:?VPMU_BIN is not set}
lib=${VPMU_FAULTINJECT:?VPMU_FAULTINJECT is not set}
[ -f "$lib" ] || { echo "Bail out! no fault-injection library at '$lib'"; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/vpmu-atomic.XXXXXX")
trap 'rm -rf "$work"' EXIT
dir=$work/d
mkdir "$dir"
dom=$dir/dom.xml

n=0 failures=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failures=$((failures + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }

cat >"$work/orig.xml" <<'EOF'
<?xml version="1.0"?>
<!-- an operator's hand-written guest: every byte of it must survive a failed edit -->
<domain type='kvm'>
  <name>atomic</name>
  <uuid>0d7f8e21-3a8b-4b1e-9b56-2f1b8c0a9e11</uuid>
  <memory unit='MiB'>512</memory>
  <vcpu placement='static'>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
  </os>
  <features>
    <acpi/>
    <pmu state='off'/>
  </features>
  <cpu mode='host-passthrough'/>
</domain>
EOF

# What a successful in-place edit must write.
if ! "$vpmu" xml --domain "$work/orig.xml" --flavor-spec hw:pmu=true >"$work/expected.xml" \
    2>"$work/err"; then
    echo "Bail out! vpmu xml --domain fails without faults: $(cat "$work/err")"
    exit 1
fi
if cmp -s "$work/orig.xml" "$work/expected.xml" || ! grep -q "state=.on." "$work/expected.xml"; then
    echo "Bail out! the edit does not change the document; the test would prove nothing"
    exit 1
fi

reset() {
    rm -rf "$dir"
    mkdir "$dir"
    cp "$work/orig.xml" "$dom"
    chmod 0640 "$dom"
    rm -f "$work/fired" "$work/out" "$work/err"
}

run_vpmu() { # run_vpmu FAULT: the edit with that fault; sets $rc
    # The subshell keeps bash's "Killed" notice out of the test output.
    (env LD_PRELOAD="$lib" VPMU_FAULT="$1" VPMU_FAULT_PATH="$dir/" VPMU_FAULT_LOG="$work/fired" \
        "$vpmu" xml --domain "$dom" --in-place --flavor-spec hw:pmu=true \
        >"$work/out" 2>"$work/err") 2>/dev/null
    rc=$?
}

others() { # files in $dir besides dom.xml
    find "$dir" -mindepth 1 ! -path "$dom" -printf '%f\n' | sort | tr '\n' ' '
}

# Success, without faults: exact output, mode kept, no leftovers.
reset
env "$vpmu" xml --domain "$dom" --in-place --flavor-spec hw:pmu=true >"$work/out" 2>"$work/err"
rc=$?
if [ $rc -eq 0 ] && cmp -s "$dom" "$work/expected.xml" && [ "$(stat -c %a "$dom")" = 640 ] &&
    [ -z "$(others)" ] && [ ! -s "$work/out" ]; then
    ok "success: file rewritten exactly, mode 0640 kept, nothing else in the directory"
else
    not_ok "success path" "exit $rc, mode $(stat -c %a "$dom"), others: $(others)" \
        "stderr: $(cat "$work/err")" "$(diff "$work/expected.xml" "$dom" | head -5)"
fi

# Success with mode 0600 too (the mode is the file's, not a default).
reset
chmod 0600 "$dom"
"$vpmu" xml --domain "$dom" --in-place --flavor-spec hw:pmu=true >/dev/null 2>&1
if [ "$(stat -c %a "$dom")" = 600 ] && cmp -s "$dom" "$work/expected.xml"; then
    ok "success: mode 0600 kept"
else
    not_ok "mode 0600 kept" "mode now $(stat -c %a "$dom")"
fi

# A short write is legal; the writer must loop and still succeed.
reset
run_vpmu short-write:1
if [ $rc -eq 0 ] && grep -q '^fired short-write:1$' "$work/fired" 2>/dev/null &&
    cmp -s "$dom" "$work/expected.xml" && [ "$(stat -c %a "$dom")" = 640 ] && [ -z "$(others)" ]; then
    ok "short write: completed by the write loop"
else
    not_ok "short write" "exit $rc, fired: $(cat "$work/fired" 2>/dev/null)" \
        "stderr: $(cat "$work/err")" "others: $(others)"
fi

# Failures: exit 1, clear message, original intact, mode kept, no temporary.
for fault in create:1:ENOSPC write:1:ENOSPC write:1:EIO fchmod:1:EPERM fsync:1:EIO \
    close:1:EIO rename:1:EXDEV rename:1:EROFS; do
    reset
    run_vpmu "$fault"
    case ${fault##*:} in
    ENOSPC) why="No space left on device" ;;
    EIO) why="Input/output error" ;;
    EPERM) why="Operation not permitted" ;;
    EXDEV) why="Invalid cross-device link" ;;
    EROFS) why="Read-only file system" ;;
    esac
    problems=()
    grep -q "^fired $fault\$" "$work/fired" 2>/dev/null || problems+=("the fault never fired")
    [ $rc -eq 1 ] || problems+=("exit $rc, expected 1")
    cmp -s "$dom" "$work/orig.xml" || problems+=("the original changed")
    [ "$(stat -c %a "$dom")" = 640 ] || problems+=("mode now $(stat -c %a "$dom")")
    [ -z "$(others)" ] || problems+=("left behind: $(others)")
    [ ! -s "$work/out" ] || problems+=("wrote to stdout")
    # One line, "vpmu: ", names the file and the cause.
    if [ "$(wc -l <"$work/err")" -ne 1 ] || ! grep -q "^vpmu: .*'$dom'.*$why" "$work/err"; then
        problems+=("unclear message: $(cat "$work/err")")
    fi
    if [ ${#problems[@]} -eq 0 ]; then
        ok "$fault: exit 1, original intact, no temporary ($(cat "$work/err"))"
    else
        not_ok "$fault" "${problems[@]}"
    fi
done

# Kills: the file is the original or the complete new document, never else.
for fault in kill-before-create:1 kill-after-create:1 kill-before-write:1 kill-after-write:1 \
    kill-before-fchmod:1 kill-before-fsync:1 kill-after-fsync:1 kill-before-close:1 \
    kill-before-rename:1 kill-after-rename:1; do
    reset
    run_vpmu "$fault"
    problems=()
    grep -q "^fired $fault\$" "$work/fired" 2>/dev/null || problems+=("the fault never fired")
    [ $rc -eq 137 ] || problems+=("exit $rc, expected 137 (SIGKILL)")
    if [ "$fault" = kill-after-rename:1 ]; then
        cmp -s "$dom" "$work/expected.xml" || problems+=("not the complete new document")
    else
        cmp -s "$dom" "$work/orig.xml" || problems+=("the original changed")
    fi
    [ "$(stat -c %a "$dom")" = 640 ] || problems+=("mode now $(stat -c %a "$dom")")
    left=$(others)
    if [ ${#problems[@]} -eq 0 ]; then
        ok "$fault: file intact${left:+ (temporary left by the kill: $left)}"
    else
        not_ok "$fault" "${problems[@]}"
    fi
done

# A symlinked file (e.g. /etc/libvirt/qemu/X.xml -> a managed copy): the edit
# lands in the link's target and the link is kept; replacing the link with a
# regular file would silently detach the operator's copy.
reset
mv "$dom" "$dir/real.xml"
ln -s real.xml "$dom"
"$vpmu" xml --domain "$dom" --in-place --flavor-spec hw:pmu=true >/dev/null 2>"$work/err"
rc=$?
if [ -L "$dom" ] && [ $rc -eq 0 ] && cmp -s "$dir/real.xml" "$work/expected.xml" &&
    [ "$(readlink "$dom")" = real.xml ]; then
    ok "symlink: the link is kept and its target edited"
else
    not_ok "symlink" "$( [ -L "$dom" ] || echo 'the link was replaced by a regular file;' ) exit $rc"
fi

echo "1..$n"
[ $failures -eq 0 ]

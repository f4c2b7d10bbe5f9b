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
# Issue 10 item 7 adds: the owner and group are kept (as root: a file owned
# by another uid), a file whose owner cannot be kept is refused; a file with
# more than one hard link is refused unless --break-hardlinks; a change made
# by someone else between the read and the rename (appended, one byte poked
# with the mtime put back, or replaced by a copy) is refused with exit 1 and
# their change kept; SIGTERM or SIGINT before the rename removes the
# temporary and leaves the file as it was.
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

run_vpmu() { # run_vpmu FAULT [OPTION...]: the edit with that fault; sets $rc
    local fault=$1
    shift
    # The subshell keeps bash's "Killed" notice out of the test output.
    (env LD_PRELOAD="$lib" VPMU_FAULT="$fault" VPMU_FAULT_PATH="$dir/" VPMU_FAULT_LOG="$work/fired" \
        VPMU_FAULT_CHANGE="$dom" \
        "$vpmu" xml --domain "$dom" --in-place --flavor-spec hw:pmu=true "$@" \
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

# ---- issue 10 item 7 ---------------------------------------------------------------------

# Owner and group are kept: as root, a file that belongs to another uid and gid.
reset
if [ "$(id -u)" = 0 ]; then
    chown 4242:4243 "$dom"
    "$vpmu" xml --domain "$dom" --in-place --flavor-spec hw:pmu=true >/dev/null 2>"$work/err"
    rc=$?
    if [ $rc -eq 0 ] && [ "$(stat -c %u:%g:%a "$dom")" = 4242:4243:640 ] &&
        cmp -s "$dom" "$work/expected.xml" && [ -z "$(others)" ]; then
        ok "owner: uid 4242, gid 4243 and mode 0640 kept"
    else
        not_ok "owner kept" "exit $rc, now $(stat -c %u:%g:%a "$dom")" "stderr: $(cat "$work/err")"
    fi
    # A user who may write the directory but cannot give the new file the old
    # one's owner: refused, nothing written, no temporary.
    reset
    chown 0:0 "$dom"
    chmod 0666 "$dom"
    chmod 0755 "$work"
    chmod 0777 "$dir"
    setpriv --reuid=4242 --regid=4242 --clear-groups \
        "$vpmu" xml --domain "$dom" --in-place --flavor-spec hw:pmu=true >"$work/out" 2>"$work/err"
    rc=$?
    if [ $rc -eq 1 ] && cmp -s "$dom" "$work/orig.xml" && [ "$(stat -c %u:%g:%a "$dom")" = 0:0:666 ] &&
        [ -z "$(others)" ] &&
        grep -q "^vpmu: cannot give the new '$dom' the owner and group of the old one (0:0): Operation not permitted; the file was left unchanged$" "$work/err"; then
        ok "owner cannot be kept (uid 4242 editing root's file): exit 1, file intact, no temporary"
    else
        not_ok "owner cannot be kept" "exit $rc, now $(stat -c %u:%g:%a "$dom"), others: $(others)" \
            "stderr: $(cat "$work/err")"
    fi
else
    # Without root only the group can differ: a supplementary group, if any.
    grp=$(id -G | tr ' ' '\n' | grep -vx "$(id -g)" | head -1)
    if [ -n "$grp" ]; then
        chgrp "$grp" "$dom"
        "$vpmu" xml --domain "$dom" --in-place --flavor-spec hw:pmu=true >/dev/null 2>"$work/err"
        rc=$?
        if [ $rc -eq 0 ] && [ "$(stat -c %g "$dom")" = "$grp" ]; then
            ok "group $grp kept (not root: the uid case needs root)"
        else
            not_ok "group kept" "exit $rc, now $(stat -c %u:%g "$dom")" "stderr: $(cat "$work/err")"
        fi
    else
        ok "owner kept # SKIP needs root or a supplementary group"
    fi
fi

# Hard links: refused (the other name would keep the old content) ...
reset
ln "$dom" "$dir/other.xml"
"$vpmu" xml --domain "$dom" --in-place --flavor-spec hw:pmu=true >"$work/out" 2>"$work/err"
rc=$?
if [ $rc -eq 1 ] && cmp -s "$dom" "$work/orig.xml" && [ "$(stat -c %h "$dom")" = 2 ] &&
    [ "$(others)" = "other.xml " ] &&
    grep -q "^vpmu: '$dom' has 2 hard links; replacing it would leave the other names on the old content (--break-hardlinks allows it); the file was left unchanged$" "$work/err"; then
    ok "hard link: refused with exit 1, both names intact"
else
    not_ok "hard link refused" "exit $rc, links $(stat -c %h "$dom"), others: $(others)" \
        "stderr: $(cat "$work/err")"
fi
# ... unless --break-hardlinks: this name gets the edit, the other keeps the old bytes.
"$vpmu" xml --domain "$dom" --in-place --break-hardlinks --flavor-spec hw:pmu=true \
    >"$work/out" 2>"$work/err"
rc=$?
if [ $rc -eq 0 ] && cmp -s "$dom" "$work/expected.xml" && cmp -s "$dir/other.xml" "$work/orig.xml" &&
    [ "$(stat -c %h:%a "$dom")" = 1:640 ] && [ "$(others)" = "other.xml " ]; then
    ok "--break-hardlinks: edited, the other link keeps the old content"
else
    not_ok "--break-hardlinks" "exit $rc, $(stat -c %h:%a "$dom"), others: $(others)" \
        "stderr: $(cat "$work/err")"
fi
"$vpmu" xml --domain "$dom" --break-hardlinks --flavor-spec hw:pmu=true >/dev/null 2>"$work/err"
rc=$?
if [ $rc -eq 2 ] && grep -q "^vpmu: --break-hardlinks goes only with --in-place$" "$work/err"; then
    ok "--break-hardlinks without --in-place: usage error"
else
    not_ok "--break-hardlinks without --in-place" "exit $rc" "stderr: $(cat "$work/err")"
fi

# Someone else changes the file after vpmu read it: detected before the
# rename, exit 1, their change kept, no temporary.
for fault in change-after-create:1 change-after-fsync:1 poke-after-fsync:1 swap-after-fsync:1; do
    reset
    run_vpmu "$fault"
    problems=()
    grep -q "^fired $fault\$" "$work/fired" 2>/dev/null || problems+=("the fault never fired")
    [ $rc -eq 1 ] || problems+=("exit $rc, expected 1")
    case $fault in
    change-*) grep -q 'changed by someone else' "$dom" || problems+=("their change was lost") ;;
    poke-*)
        if cmp -s "$dom" "$work/orig.xml" || cmp -s "$dom" "$work/expected.xml" ||
            [ "$(stat -c %s "$dom")" != "$(stat -c %s "$work/orig.xml")" ]; then
            problems+=("their one-byte change was lost")
        fi ;;
    swap-*) cmp -s "$dom" "$work/orig.xml" || problems+=("their copy was overwritten") ;;
    esac
    [ -z "$(others)" ] || problems+=("left behind: $(others)")
    grep -qx "vpmu: '$dom' was changed by someone else after vpmu read it; their change was kept and nothing was written" "$work/err" ||
        problems+=("message: $(cat "$work/err")")
    if [ ${#problems[@]} -eq 0 ]; then
        ok "$fault: concurrent change detected, exit 1, their change kept"
    else
        not_ok "$fault" "${problems[@]}"
    fi
done

# SIGTERM / SIGINT while the temporary exists: it is removed, the file is as
# it was, and the process ends by the signal (143, 130).  Once the rename is
# under way, the new document is complete.
for fault in term-before-write:1 term-before-fsync:1 int-before-close:1 term-before-rename:1; do
    reset
    run_vpmu "$fault"
    problems=()
    grep -q "^fired $fault\$" "$work/fired" 2>/dev/null || problems+=("the fault never fired")
    case $fault in
    int-*) want=130 ;;
    *) want=143 ;;
    esac
    [ $rc -eq $want ] || problems+=("exit $rc, expected $want")
    if [ "$fault" = term-before-rename:1 ]; then
        cmp -s "$dom" "$work/expected.xml" || problems+=("not the complete new document")
    else
        cmp -s "$dom" "$work/orig.xml" || problems+=("the original changed")
    fi
    [ "$(stat -c %a "$dom")" = 640 ] || problems+=("mode now $(stat -c %a "$dom")")
    [ -z "$(others)" ] || problems+=("temporary left behind: $(others)")
    if [ ${#problems[@]} -eq 0 ]; then
        ok "$fault: no temporary left, file $( [ "$fault" = term-before-rename:1 ] && echo 'complete' || echo intact)"
    else
        not_ok "$fault" "${problems[@]}"
    fi
done

echo "1..$n"
[ $failures -eq 0 ]

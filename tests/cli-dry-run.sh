#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# --dry-run, "unchanged" and --notify checks that need a shell (TAP):
#  - `xml --domain F --in-place --dry-run` prints the same hunks as GNU
#    `diff -u F EDITED`, for every fixture under tests/data/domxml and each
#    decision, and leaves F byte for byte, inode and mtime as it was;
#  - `--in-place` on a file whose bytes would not change prints
#    "F: unchanged" and does not rewrite it: same inode and mtime, and a file
#    with a second hard link is not refused (nothing is replaced);
#  - `boot --notify FIFO` is refused (exit 2) at once, without opening the FIFO;
#  - the jq filters of docs/operator-guide.md select from real audit JSON.
# Environment (set by tests/meson.build): VPMU_BIN, VPMU_SRCDIR.
set -u
vpmu=${VPMU_BIN:?VPMU_BIN is not set}
src=${VPMU_SRCDIR:?VPMU_SRCDIR is not set}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
bad() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }

for dir in "$src"/tests/data/domxml/*/; do
    name=$(basename "$dir")
    [ -f "$dir/input.xml" ] || continue
    for d in on:hw_pmu=true off:hw_pmu=false unset:; do
        want=${d%%:*} prop=${d#*:}
        args=()
        [ -n "$prop" ] && args=(--image-prop "$prop")
        cp "$dir/input.xml" "$tmp/f.xml"
        "$vpmu" xml --domain "$tmp/f.xml" "${args[@]}" >"$tmp/edited.xml" 2>"$tmp/err" || {
            bad "$name $want: xml --domain" "$(cat "$tmp/err")"; continue; }
        before=$(stat -c '%i %Y.%y' "$tmp/f.xml")
        "$vpmu" xml --domain "$tmp/f.xml" --in-place --dry-run "${args[@]}" >"$tmp/out" 2>"$tmp/err"
        rc=$?
        after=$(stat -c '%i %Y.%y' "$tmp/f.xml")
        if [ $rc -ne 0 ]; then
            bad "$name $want: --dry-run exit $rc" "$(cat "$tmp/err")"
            continue
        fi
        if ! cmp -s "$tmp/f.xml" "$dir/input.xml" || [ "$before" != "$after" ]; then
            bad "$name $want: --dry-run changed the file"
            continue
        fi
        if cmp -s "$tmp/edited.xml" "$dir/input.xml"; then
            if [ "$(cat "$tmp/out")" = "$tmp/f.xml: unchanged" ]; then
                ok "$name $want: --dry-run says unchanged"
            else
                bad "$name $want: expected 'unchanged'" "$(head -3 "$tmp/out")"
            fi
            continue
        fi
        diff -u "$tmp/f.xml" "$tmp/edited.xml" | tail -n +3 >"$tmp/want"
        tail -n +3 "$tmp/out" >"$tmp/got"
        if [ "$(head -2 "$tmp/out")" != "$(printf -- '--- %s\n+++ %s' "$tmp/f.xml" "$tmp/f.xml")" ]; then
            bad "$name $want: diff headers" "$(head -2 "$tmp/out")"
        elif cmp -s "$tmp/want" "$tmp/got"; then
            ok "$name $want: --dry-run hunks equal diff -u's"
        else
            bad "$name $want: hunks differ from diff -u" "$(diff "$tmp/want" "$tmp/got" | head -10)"
        fi
    done
done

# unchanged: no rewrite, even of a file with a second hard link
cp "$src/tests/data/domxml/no-features/expected-off.xml" "$tmp/u.xml"
ln "$tmp/u.xml" "$tmp/u-link.xml"
touch -d '2001-02-03 04:05:06' "$tmp/u.xml"
before=$(stat -c '%i %y %h' "$tmp/u.xml")
out=$("$vpmu" xml --domain "$tmp/u.xml" --in-place --image-prop hw_pmu=false 2>&1)
rc=$?
after=$(stat -c '%i %y %h' "$tmp/u.xml")
if [ $rc -eq 0 ] && [ "$out" = "$tmp/u.xml: unchanged" ] && [ "$before" = "$after" ]; then
    ok "--in-place, bytes unchanged: not rewritten (inode, mtime and links kept)"
else
    bad "--in-place, bytes unchanged" "exit $rc: $out" "before $before" "after  $after"
fi
# ...and a change to that hard-linked file is still refused
"$vpmu" xml --domain "$tmp/u.xml" --in-place --image-prop hw_pmu=true >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc -ne 0 ] && cmp -s "$tmp/u.xml" "$src/tests/data/domxml/no-features/expected-off.xml"; then
    ok "--in-place, a change to a hard-linked file: refused (exit $rc), file kept"
else
    bad "--in-place, a change to a hard-linked file" "exit $rc: $(cat "$tmp/err")"
fi

# --notify FIFO: refused before anything happens, without blocking on the FIFO
mkfifo "$tmp/fifo"
timeout 10 "$vpmu" -c test:///default boot --name fifo-1 --arch x86_64 --flavor-spec hw:pmu=on \
    --notify "$tmp/fifo" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 2 ] && grep -q "is not a regular file" "$tmp/err" && [ ! -s "$tmp/out" ]; then
    ok "boot --notify FIFO: exit 2 before booting"
else
    bad "boot --notify FIFO" "exit $rc" "$(cat "$tmp/err")" "$(cat "$tmp/out")"
fi

# docs/operator-guide.md's jq filters work on what audit -o json prints
"$vpmu" -c test:///default -o json audit >"$tmp/audit.json" 2>/dev/null
grep -o "| jq '[^']*'" "$src/docs/operator-guide.md" | sed "s/^| jq '//; s/'\$//" >"$tmp/filters"
if [ ! -s "$tmp/filters" ]; then
    bad "operator guide: no jq filter found"
fi
while IFS= read -r f; do
    filter=${f//\"on\"/\"unset\"} # the test driver's domain has no <pmu>
    if out=$(jq -e "$filter" "$tmp/audit.json" 2>&1) && [ -n "$out" ]; then
        ok "operator guide: jq '$f' selects from audit JSON"
    else
        bad "operator guide: jq '$f' on audit JSON" "$out"
    fi
done <"$tmp/filters"

echo "1..$n"
[ $fails -eq 0 ]

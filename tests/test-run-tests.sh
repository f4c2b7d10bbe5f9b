#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The runner itself: scripts/run-tests fails a run that skipped anything and
# names what was skipped; --allow-skip accepts the skip but still lists it;
# a pass that ran no test is a failure.  The skip is provoked with
# VPMU_FORCE_SKIP (tests/launch.sh), on a plain test and on a TAP test.
# Runs `run-tests --only` on this build directory (a few fast unit tests;
# never this test, so it does not recurse).  TAP.
set -u
src=${VPMU_SRCDIR:?VPMU_SRCDIR not set}
build=${VPMU_BUILDDIR:?VPMU_BUILDDIR not set}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

n=0 fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
bad() {
    n=$((n + 1)); echo "not ok $n - $1"; fails=$((fails + 1))
    [ -n "${2:-}" ] && sed 's/^/#   /' "$2"
}
check() { # DESCRIPTION CONDITION-STATUS [LOG]
    if [ "$2" -eq 0 ]; then ok "$1"; else bad "$1" "${3:-}"; fi
}

# run CASE [VAR=VALUE...] -- RUN-TESTS-OPTIONS...: sets RC, OUT (the log), LAST
run() {
    local case=$1 envs=()
    shift
    while [ "$1" != -- ]; do envs+=("$1"); shift; done
    shift
    OUT="$work/$case.log"
    env -u VPMU_FORCE_SKIP "${envs[@]}" "$src/scripts/run-tests" --build-dir "$build" "$@" >"$OUT" 2>&1
    RC=$?
    LAST=$(tail -n 1 "$OUT")
}

# 1. Nothing skipped: the run passes.
run clean -- --only policy,explain
check "clean run: exit 0" $([ "$RC" -eq 0 ]; echo $?) "$OUT"
check "clean run: '2 passed, 0 failed, 0 skipped' is the last line" \
    $([ "$LAST" = "2 passed, 0 failed, 0 skipped" ]; echo $?) "$OUT"

# 2. One plain (exit-status) test skipped: the run fails and names it.
run skip-plain VPMU_FORCE_SKIP=policy -- --only policy,explain
check "policy skipped: exit non-zero" $([ "$RC" -ne 0 ]; echo $?) "$OUT"
check "policy skipped: named under 'skipped'" \
    $(sed -n '/^=== skipped/,/^===/p' "$OUT" | grep -qx '  unit: policy'; echo $?) "$OUT"
check "policy skipped: the skip counts as a failure ('1 passed, 1 failed, 1 skipped')" \
    $([ "$LAST" = "1 passed, 1 failed, 1 skipped" ]; echo $?) "$OUT"

# 3. A TAP test skipped ("1..0 # SKIP"): the same.
run skip-tap VPMU_FORCE_SKIP=man-options -- --only man-options,explain
check "man-options (TAP) skipped: exit non-zero" $([ "$RC" -ne 0 ]; echo $?) "$OUT"
check "man-options (TAP) skipped: named" \
    $(grep -qx '  unit: man-options' "$OUT"; echo $?) "$OUT"
check "man-options (TAP) skipped: '1 passed, 1 failed, 1 skipped'" \
    $([ "$LAST" = "1 passed, 1 failed, 1 skipped" ]; echo $?) "$OUT"

# 4. --allow-skip: exit 0, the skip is still listed and counted as a skip.
run allow VPMU_FORCE_SKIP=policy -- --only policy,explain --allow-skip
check "--allow-skip: exit 0" $([ "$RC" -eq 0 ]; echo $?) "$OUT"
check "--allow-skip: the skip is still named" $(grep -qx '  unit: policy' "$OUT"; echo $?) "$OUT"
check "--allow-skip: '1 passed, 0 failed, 1 skipped'" \
    $([ "$LAST" = "1 passed, 0 failed, 1 skipped" ]; echo $?) "$OUT"

# 5. A pass that runs no test is a failure, not an empty success.
run none -- --only no-such-test
check "no test ran: exit non-zero" $([ "$RC" -ne 0 ]; echo $?) "$OUT"
check "no test ran: says so" $(grep -q 'unit: ran no test' "$OUT"; echo $?) "$OUT"
check "no test ran: '0 passed, 1 failed, 0 skipped'" \
    $([ "$LAST" = "0 passed, 1 failed, 0 skipped" ]; echo $?) "$OUT"

echo "1..$n"
[ "$fails" -eq 0 ]

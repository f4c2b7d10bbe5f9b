# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# wrap.sh: run the programs under test (vpmu, and the small C programs such
# as cloud-renew and placement-race) under a wrapper, valgrind above all.
#
#   it_wrap VAR...
#       For each VAR naming a program (VPMU, RACE, ...): when
#       $VPMU_IT_WRAPPER (else $VPMU_TEST_WRAPPER, which the meson
#       'valgrind' setup sets) is not empty, VAR becomes a small script in
#       $VPMU_IT_WRAP_DIR (default BUILDDIR/integration-wrap) that runs the
#       program through lib/run-wrapped, so that every "$VPMU" ... of the
#       test runs it under the wrapper.  Without a wrapper: nothing changes.
#
# Under valgrind, every `timeout N` of the test (a shell function here) waits
# N x $VPMU_IT_TIMEOUT_SCALE seconds (default 10 under valgrind, else 1):
# memcheck runs vpmu 10 to 50 times slower.  Timeouts given to vpmu itself
# (--timeout) are not scaled: they are what is tested.
#
# lib/run-wrapped writes, in $VPMU_IT_WRAP_DIR, one line to 'runs' for each
# program run, and valgrind's report of each run to a file vg.NAME.PID.log
# (--log-file: the test's own checks of stderr see vpmu's stderr only).
# With valgrind's -q, a log that is not empty is an error report;
# scripts/run-tests' valgrind-live pass fails the test on one, and on a test
# that ran no wrapped program at all.

IT_WRAP_WORDS=${VPMU_IT_WRAPPER:-${VPMU_TEST_WRAPPER:-}}
IT_TIMEOUT_SCALE=${VPMU_IT_TIMEOUT_SCALE:-1}
if [[ -z "${VPMU_IT_TIMEOUT_SCALE:-}" && "$IT_WRAP_WORDS" == *valgrind* ]]; then
    IT_TIMEOUT_SCALE=10
fi

it_wrap() {
    local var real dir lib
    [[ -n "$IT_WRAP_WORDS" ]] || return 0
    lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    dir=${VPMU_IT_WRAP_DIR:-${VPMU_BUILDDIR:-${TMPDIR:-/tmp}}/integration-wrap}
    mkdir -p "$dir" || return 1
    for var in "$@"; do
        real=${!var:-}
        [[ -n "$real" && -x "$real" ]] || continue
        printf '#!/bin/sh\nexec %q %q "$@"\n' "$lib/run-wrapped" "$real" >"$dir/${real##*/}" &&
            chmod +x "$dir/${real##*/}" || return 1
        printf -v "$var" '%s' "$dir/${real##*/}"
    done
    export VPMU_IT_WRAPPER="$IT_WRAP_WORDS" VPMU_IT_WRAP_DIR="$dir"
}

# it_scaled SECONDS: SECONDS x the timeout scale.
it_scaled() { echo $(($1 * IT_TIMEOUT_SCALE)); }

if [[ "$IT_TIMEOUT_SCALE" != 1 ]]; then
    # timeout N COMMAND...: coreutils' timeout, N scaled (see above).
    timeout() {
        if [[ "${1:-}" =~ ^[0-9]+$ ]]; then
            local n=$1
            shift
            command timeout "$(it_scaled "$n")" "$@"
        else
            command timeout "$@"
        fi
    }
fi

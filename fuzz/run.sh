#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Run every libFuzzer target for a bounded time and fail on any crash, leak,
# timeout, out-of-memory or sanitizer report.
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# SECONDS per target (default 60).  TARGETs default to all of them.  The build
# directory is $VPMU_FUZZ_BUILDDIR (default: build-fuzz in the source tree); it
# is set up when missing:
#   CC=clang meson setup build-fuzz -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false
# The working corpora live in fuzz/corpus-work/ (gitignored; fuzz/seed.sh).
# A crashing input is left in fuzz/corpus-work/artifacts/; copy it to
# fuzz/regressions/TARGET/ so that the unit suite replays it for ever.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-metadata domxml hostcaps placement openstack cloudconfig}
build=${VPMU_FUZZ_BUILDDIR:-$top/build-fuzz}
work=$here/corpus-work

case $secs in
'' | *[!0-9]*) echo "run.sh: SECONDS must be a number, not '$secs'" >&2; exit 2 ;;
esac

if [ ! -f "$build/build.ninja" ]; then
    if ! CC=clang meson setup "$build" "$top" -Dfuzzing=true -Db_sanitize=address,undefined \
        -Db_lundef=false -Dtests=disabled -Dintegration=false >"${TMPDIR:-/tmp}/vpmu-fuzz-setup.log" 2>&1; then
        cat "${TMPDIR:-/tmp}/vpmu-fuzz-setup.log" >&2
        echo "run.sh: cannot set up $build (clang and libclang-rt-14-dev installed?)" >&2
        exit 1
    fi
fi
if ! ninja -C "$build" $(for t in $targets; do printf 'fuzz/fuzz-%s ' "$t"; done) \
    >"${TMPDIR:-/tmp}/vpmu-fuzz-ninja.log" 2>&1; then
    tail -n 40 "${TMPDIR:-/tmp}/vpmu-fuzz-ninja.log" >&2
    echo "run.sh: the fuzz targets do not build" >&2
    exit 1
fi

"$here/seed.sh" "$work" >/dev/null
mkdir -p "$work/artifacts"

# Every sanitizer report is fatal; libFuzzer itself catches leaks (ASan's
# LeakSanitizer), timeouts and RSS over the limit.
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1"

failed=""
for t in $targets; do
    case $t in
    hostcaps) maxlen=8192 ;;
    *) maxlen=16384 ;;
    esac
    dict=""
    [ -f "$here/$t.dict" ] && dict="-dict=$here/$t.dict"
    echo "fuzz-$t: ${secs}s, max_len $maxlen"
    log=$work/artifacts/fuzz-$t.log
    if "$build/fuzz/fuzz-$t" "$work/$t" $dict -max_total_time="$secs" -max_len="$maxlen" \
        -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$work/artifacts/$t-" >"$log" 2>&1; then
        grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$log" | sed 's/^/  /'
        grep -E '^#[0-9]+.*DONE' "$log" | tail -1 | sed 's/^/  /' || true
    else
        echo "fuzz-$t: FAILED (log: $log)" >&2
        grep -E 'ERROR|SUMMARY|invariant|runtime error|Test unit written' "$log" | head -20 >&2
        failed="$failed $t"
    fi
done

if [ -n "$failed" ]; then
    echo "fuzzing found problems in:$failed" >&2
    echo "keep each artifact as fuzz/regressions/TARGET/NAME and fix the bug" >&2
    exit 1
fi
echo "fuzzing: no crashes in $(echo $targets | wc -w) targets"

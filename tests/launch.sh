#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The exe_wrapper of every test setup (tests/meson.build): meson runs each
# test as
#   launch.sh BUILDDIR [--valgrind VALGRIND [VALGRIND-OPTIONS...] --] TEST [ARGS...]
#
# VPMU_FORCE_SKIP=NAME[,NAME...]: the test of that name (as `meson test
# --list` shows it) does not run and reports a skip instead: exit 77, or for
# a TAP test the plan "1..0 # SKIP".  This exists so that a test of the
# runner (tests/test-run-tests.sh) can prove that a skip fails the run.  The
# name comes from meson's own test list (BUILDDIR/meson-info/intro-tests.json),
# matched by the exact command line, so it works for every test without
# each one having to cooperate.
#
# --valgrind: run TEST under VALGRIND when it is a compiled program (ELF),
# and as it is when it is a script: valgrind on bash or python would test the
# interpreter, slowly.  Scripts that spawn vpmu put it under valgrind
# themselves through $VPMU_TEST_WRAPPER; scripts that cannot are in suite
# 'no-valgrind' and the valgrind setup leaves them out.
set -u
builddir=$1
shift

if [ -n "${VPMU_FORCE_SKIP:-}" ]; then
    verdict=$(/usr/bin/python3 - "$builddir" "$VPMU_FORCE_SKIP" "$@" <<'PY'
import json, os, sys
builddir, wanted, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
wanted = {w for w in wanted.replace(",", " ").split() if w}
# Without the valgrind words, the command is what meson recorded for the test.
if argv and argv[0] == "--valgrind":
    argv = argv[argv.index("--") + 1:] if "--" in argv else []
with open(os.path.join(builddir, "meson-info", "intro-tests.json")) as f:
    tests = json.load(f)
for t in tests:
    if t["cmd"] == argv and t["name"] in wanted:
        print(t["protocol"], t["name"])
        break
PY
)
    if [ -n "$verdict" ]; then
        name=${verdict#* }
        echo "launch.sh: SKIP: '$name' is named in VPMU_FORCE_SKIP" >&2
        case "$verdict" in
        tap\ *)
            echo "1..0 # SKIP forced by VPMU_FORCE_SKIP"
            exit 0
            ;;
        esac
        exit 77
    fi
fi

if [ "${1:-}" = "--valgrind" ]; then
    shift
    vg=""
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do
        vg="$vg $1"
        shift
    done
    [ "${1:-}" = "--" ] || { echo "launch.sh: no '--' after the valgrind words" >&2; exit 99; }
    shift
    if [ "$(head -c 4 "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = "7f454c46" ]; then
        # shellcheck disable=SC2086 # the valgrind words, none with spaces
        exec $vg "$@"
    fi
fi
exec "$@"

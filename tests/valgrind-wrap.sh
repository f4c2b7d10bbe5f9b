#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# exe_wrapper of the 'valgrind' test setup (tests/meson.build):
#   valgrind-wrap.sh VALGRIND [VALGRIND-OPTIONS...] -- TEST [ARGS...]
# Runs TEST under VALGRIND when it is a compiled program (ELF), and as it is
# when it is a script: valgrind on bash or python would test the interpreter,
# slowly.  Scripts put the vpmu they spawn under valgrind themselves through
# $VPMU_TEST_WRAPPER (set by the same setup), where they support it.
vg=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    vg="$vg $1"
    shift
done
[ "$1" = "--" ] || { echo "valgrind-wrap.sh: no '--' before the test" >&2; exit 2; }
shift
if [ "$(head -c 4 "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = "7f454c46" ]; then
    # shellcheck disable=SC2086 # the valgrind words, none with spaces
    exec $vg "$@"
fi
exec "$@"

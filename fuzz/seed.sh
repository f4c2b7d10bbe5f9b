#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Fill the fuzzers' working corpora, fuzz/corpus-work/TARGET/ (gitignored),
# from the committed seeds (fuzz/seeds/TARGET/), the inputs that once crashed
# (fuzz/regressions/TARGET/) and the project's test data (tests/data/):
#   *.json                      -> metadata, placement
#   flavor + image JSON pairs   -> metadata (FLAVOR 0xFF IMAGE)
#   *.xml                       -> domxml
#   cpuinfo, enable_pmu         -> hostcaps
# Files are named by content hash, so re-running adds nothing twice.
#
#   fuzz/seed.sh [WORKDIR]      (default: fuzz/corpus-work)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
work=${1:-$here/corpus-work}
data=$top/tests/data

add() { # add TARGET FILE...
    t=$1
    shift
    mkdir -p "$work/$t"
    for f in "$@"; do
        [ -f "$f" ] || continue
        h=$(sha1sum <"$f" | cut -c1-16)
        [ -e "$work/$t/$h" ] || cp "$f" "$work/$t/$h"
    done
}

for t in metadata domxml hostcaps placement openstack cloudconfig; do
    mkdir -p "$work/$t"
    for d in "$here/seeds/$t" "$here/regressions/$t"; do
        [ -d "$d" ] || continue
        find "$d" -type f ! -name '.*' ! -name 'README*' | while read -r f; do add "$t" "$f"; done
    done
done

if [ -d "$data" ]; then
    find "$data" -type f -name '*.json' -size -256k | while read -r f; do
        add metadata "$f"
        add placement "$f"
        add openstack "$f"
    done
    find "$data" -type f -name '*.xml' -size -256k | while read -r f; do add domxml "$f"; done
    find "$data" -type f \( -name "*.yaml" -o -name "*.yml" \) -size -256k | while read -r f; do add cloudconfig "$f"; done
    find "$data" -type f \( -name 'cpuinfo*' -o -name 'enable_pmu' \) -size -256k |
        while read -r f; do add hostcaps "$f"; done
    # Pair flavor and image documents found side by side (a case directory).
    tmp=$(mktemp)
    trap 'rm -f "$tmp"' EXIT
    find "$data" -type f -name 'flavor*.json' -size -64k | while read -r fl; do
        for im in "$(dirname "$fl")"/image*.json; do
            [ -f "$im" ] || continue
            { cat "$fl"; printf '\377'; cat "$im"; } >"$tmp"
            add metadata "$tmp"
        done
    done
fi

for t in metadata domxml hostcaps placement openstack cloudconfig; do
    printf '%-10s %s inputs\n' "$t" "$(find "$work/$t" -type f | wc -l)"
done

#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# vpmu.pc installs and works (issue 12 item 1): `meson install --destdir` into
# a scratch root, then build and run a program against libvpmu with only what
# `pkg-config vpmu` says, and one against libvpmu-virt with `pkg-config
# vpmu-virt`.  TAP output.  Environment: VPMU_BUILDDIR (set by meson).
set -u
build=${VPMU_BUILDDIR:?VPMU_BUILDDIR is not set}
work=$(mktemp -d "${TMPDIR:-/tmp}/vpmu-pc.XXXXXX")
trap 'rm -rf "$work"' EXIT
n=0 failures=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failures=$((failures + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }

root=$work/root
if ! meson install -C "$build" --destdir "$root" --no-rebuild --quiet >"$work/install.log" 2>&1; then
    echo "Bail out! meson install failed: $(tail -5 "$work/install.log")"
    exit 1
fi
pcdir=$(dirname "$(find "$root" -name vpmu.pc -print -quit)")
if [ -f "$pcdir/vpmu.pc" ] && [ -f "$pcdir/vpmu-virt.pc" ]; then
    ok "vpmu.pc and vpmu-virt.pc installed (${pcdir#"$root"})"
else
    not_ok "vpmu.pc installed" "found: $(find "$root" -name '*.pc')"
    echo "1..$n"
    exit 1
fi
export PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_PATH=$pcdir PKG_CONFIG_LIBDIR=$pcdir:/usr/lib/x86_64-linux-gnu/pkgconfig:/usr/lib/pkgconfig:/usr/share/pkgconfig
libdir=$(pkg-config --variable=libdir vpmu)

cat >"$work/core.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <vpmu/vpmu.h>
int main(void)
{
    vpmu_decision d;
    vpmu_error *err = NULL;
    vpmu_flavor *f = vpmu_flavor_new("m1");
    vpmu_flavor_set_spec(f, "hw:pmu", "false");
    if (vpmu_decide_for(f, NULL, &d, &err) < 0)
        return 1;
    printf("%s %s\n", vpmu_version(), vpmu_pmu_to_string(d.pmu));
    vpmu_flavor_free(f);
    return 0;
}
C
cat >"$work/virt.c" <<'C'
#include <stdio.h>
#include <vpmu/vpmu.h>
#include <vpmu/virt.h>
int main(void)
{
    vpmu_error *err = NULL;
    vpmu_conn *c = vpmu_conn_open("test:///default", &err);
    if (!c)
        return 1;
    printf("%s\n", vpmu_conn_get_uri(c));
    vpmu_conn_close(c);
    return 0;
}
C
for t in core:vpmu virt:vpmu-virt; do
    src=${t%%:*} pc=${t#*:}
    # shellcheck disable=SC2046
    if cc -std=gnu11 -Wall -Werror $(pkg-config --cflags "$pc") -o "$work/$src" "$work/$src.c" \
        $(pkg-config --libs "$pc") 2>"$work/cc.log"; then
        out=$(LD_LIBRARY_PATH=$libdir "$work/$src" 2>&1)
        rc=$?
        case $src in
        core) want="^[0-9][0-9.]* off$" ;;
        virt) want="^test:///default$" ;;
        esac
        if [ $rc -eq 0 ] && [[ $out =~ $want ]] &&
            LD_LIBRARY_PATH=$libdir ldd "$work/$src" | grep -q "$root"; then
            ok "a program built with 'pkg-config $pc' runs against the installed library: $out"
        else
            not_ok "program built with $pc" "exit $rc, output: $out" "$(LD_LIBRARY_PATH=$libdir ldd "$work/$src")"
        fi
    else
        not_ok "build with pkg-config $pc" "$(pkg-config --cflags --libs "$pc")" "$(head -5 "$work/cc.log")"
    fi
done
echo "1..$n"
[ $failures -eq 0 ]

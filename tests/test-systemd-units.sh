#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The systemd units of data/systemd/, as meson built them:
#  - `systemd-analyze verify` accepts them, with no message about them, once
#    ExecStart points at the vpmu that was built (verify checks that the
#    binary exists); and refuses a copy whose ExecStart is missing, so that a
#    verifier that checks nothing is noticed;
#  - the hardening the issue asks for is there;
#  - meson install puts them, and vpmu.conf, where they belong;
#  - the exposure score of `systemd-analyze security --offline` is printed.
#
#   test-systemd-units.sh   (env: VPMU_BIN, VPMU_BUILDDIR)
set -u
BIN=${VPMU_BIN:?}
BUILD=${VPMU_BUILDDIR:?}
UNITS="vpmu-report.service vpmu-report.timer vpmu-audit.service vpmu-audit.timer"
n=0 bad=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); bad=$((bad + 1)); echo "not ok $n - $*"; }

command -v systemd-analyze >/dev/null || { echo "Bail out! systemd-analyze is not installed (Debian systemd)"; exit 1; }
T=$(mktemp -d /tmp/vpmu-units.XXXXXX)
trap 'rm -rf "$T"' EXIT

# The installed path meson wrote into ExecStart, replaced by the built binary.
installed_bin=$(sed -n 's|^ExecStart=\([^ ]*\) .*|\1|p' "$BUILD/data/systemd/vpmu-report.service")
mkdir "$T/ok" "$T/broken"
for u in $UNITS; do
    sed "s|^ExecStart=$installed_bin |ExecStart=$BIN |" "$BUILD/data/systemd/$u" >"$T/ok/$u"
    sed "s|^ExecStart=$installed_bin |ExecStart=$T/missing/vpmu |" "$BUILD/data/systemd/$u" >"$T/broken/$u"
done

# Other units of this machine may have complaints of their own: only ours count.
ours() { grep -E "vpmu-(report|audit)\.(service|timer)|$T" "$1"; }
( cd "$T/ok" && systemd-analyze verify --man=no $UNITS ) >"$T/verify.out" 2>&1
rc=$?
if [ $rc -eq 0 ] && ! ours "$T/verify.out" >/dev/null; then
    ok "systemd-analyze verify accepts the four units (ExecStart=$BIN)"
else
    not_ok "systemd-analyze verify (exit $rc): $(ours "$T/verify.out" || cat "$T/verify.out")"
fi
( cd "$T/broken" && systemd-analyze verify --man=no $UNITS ) >"$T/broken.out" 2>&1
if [ $? -ne 0 ] && grep -q "is not executable" "$T/broken.out"; then
    ok "systemd-analyze verify refuses a unit whose ExecStart does not exist"
else
    not_ok "verify accepted a missing ExecStart: $(cat "$T/broken.out")"
fi

# Hardening and behaviour, key by key.
has() { # unit, then lines that must be in it
    local u=$1 missing=
    shift
    for want in "$@"; do
        grep -qxF -- "$want" "$T/ok/$u" || missing="$missing '$want'"
    done
    if [ -z "$missing" ]; then ok "$u has $*"; else not_ok "$u lacks$missing"; fi
}
for s in vpmu-report.service vpmu-audit.service; do
    has $s "Type=oneshot" "ProtectSystem=strict" "ProtectHome=yes" "NoNewPrivileges=yes" "CapabilityBoundingSet="
    grep -q '^EnvironmentFile=-/.*/vpmu/vpmu.conf$' "$T/ok/$s" &&
        ok "$s reads vpmu.conf" || not_ok "$s does not read vpmu.conf"
done
has vpmu-report.service "ExecStart=$BIN host --report \$VPMU_REPORT_OPTIONS"
has vpmu-audit.service "ReadWritePaths=-/var/lib/prometheus/node-exporter" \
    "ExecStart=$BIN -o prometheus audit --textfile \${VPMU_AUDIT_TEXTFILE} \$VPMU_AUDIT_OPTIONS"
for t in vpmu-report.timer vpmu-audit.timer; do
    has $t "OnUnitActiveSec=5min" "WantedBy=timers.target"
    grep -q '^OnBootSec=' "$T/ok/$t" && ok "$t also runs at boot" || not_ok "$t has no OnBootSec"
done
# ReadWritePaths: the report service writes nothing.
grep -q '^ReadWritePaths=' "$T/ok/vpmu-report.service" &&
    not_ok "vpmu-report.service has writable paths" || ok "vpmu-report.service writes nowhere"

# meson install: the units into the unit directory, vpmu.conf into sysconfdir/vpmu.
meson introspect "$BUILD" --installed >"$T/installed.json" 2>"$T/err" ||
    not_ok "meson introspect --installed: $(cat "$T/err")"
/usr/bin/python3 - "$T/installed.json" "$BUILD" $UNITS <<'PY' && ok "meson install ships the units and vpmu.conf" || not_ok "meson install map wrong"
import json, sys
inst = json.load(open(sys.argv[1]))
build, units = sys.argv[2], sys.argv[3:]
dests = {src.rsplit("/", 1)[-1]: dst for src, dst in inst.items()}
bad = 0
dirs = set()
for u in units:
    d = dests.get(u)
    if not d or not d.endswith("/systemd/system/" + u):
        print(f"# {u} installed as {d!r}"); bad = 1
    else:
        dirs.add(d.rsplit("/", 1)[0])
conf = dests.get("vpmu.conf")
if not conf or not conf.endswith("/vpmu/vpmu.conf"):
    print(f"# vpmu.conf installed as {conf!r}"); bad = 1
print(f"# unit directory: {sorted(dirs)}; vpmu.conf: {conf}")
sys.exit(bad)
PY

for s in vpmu-report.service vpmu-audit.service; do
    score=$(cd "$T/ok" && systemd-analyze security --offline=yes --no-pager "$s" 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: //p')
    echo "# $s: systemd-analyze security exposure ${score:-unknown}"
done
echo "1..$n"
[ $bad -eq 0 ]

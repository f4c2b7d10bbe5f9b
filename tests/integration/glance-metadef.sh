#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The Glance metadef in data/metadefs/ loads into a real Glance database and
# reads back equal.
#
# Uses Debian's glance-common (glance-manage) on a temporary sqlite database:
# db_sync, db_load_metadefs (our namespace next to upstream's
# OS::Compute::LibvirtImage, which also describes hw_pmu for images, to show
# that they coexist), then db_export_metadefs, and compares the exported
# namespace with ours as JSON.  The comparison ignores only what Glance adds
# on export: "properties_target": null, "objects": [] and "tags": [].  No
# Glance service is started.
#
# Exit 1 (a failure, not a skip) also when glance-manage is not installed.
set -u

SRCDIR=${VPMU_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
PY=/usr/bin/python3
OURS="$SRCDIR/data/metadefs/compute-vpmu.json"
UPSTREAM=/etc/glance/metadefs/compute-libvirt-image.json

command -v glance-manage >/dev/null 2>&1 || [ -x /usr/bin/glance-manage ] ||
    { echo "FAIL: cannot run: glance-manage is not installed (Debian glance-common)" >&2; exit 1; }
[ -f "$OURS" ] || { echo "FAIL: $OURS is missing" >&2; exit 1; }

T=$(mktemp -d /tmp/vpmu-it-glance.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/in" "$T/out"
cat >"$T/glance-api.conf" <<CONF
[DEFAULT]
log_file = $T/glance-manage.log
[database]
connection = sqlite:///$T/glance.sqlite
CONF
manage() { /usr/bin/glance-manage --config-file "$T/glance-api.conf" "$@" >>"$T/manage.out" 2>&1; }
die() { echo "FAIL: $*" >&2; tail -n 20 "$T/manage.out" "$T/glance-manage.log" >&2 2>/dev/null; exit 1; }

cp "$OURS" "$T/in/"
[ -f "$UPSTREAM" ] && cp "$UPSTREAM" "$T/in/"

manage db_sync || die "glance-manage db_sync"
echo "ok   glance-manage db_sync (sqlite)"
manage db_load_metadefs "$T/in" || die "glance-manage db_load_metadefs"
grep -q "compute-vpmu.json loaded to database" "$T/manage.out" "$T/glance-manage.log" 2>/dev/null ||
    die "Glance did not say it loaded compute-vpmu.json"
echo "ok   glance-manage db_load_metadefs"
# The trailing slash matters: Glance joins the path and the file name without one.
manage db_export_metadefs "$T/out/" || die "glance-manage db_export_metadefs"
echo "ok   glance-manage db_export_metadefs"

"$PY" - "$OURS" "$T/out" <<'PY'
import copy
import glob
import json
import sys

ours_path, outdir = sys.argv[1:]
with open(ours_path) as f:
    ours = json.load(f)


def normalize(doc):
    """What Glance's export adds when absent: null targets, empty objects and tags."""
    d = copy.deepcopy(doc)
    d.setdefault("objects", [])
    d.setdefault("tags", [])
    assoc = []
    for a in d.get("resource_type_associations", []):
        a = dict(a)
        a.setdefault("properties_target", None)
        a.setdefault("prefix", None)
        assoc.append(a)
    d["resource_type_associations"] = sorted(assoc, key=lambda a: a["name"])
    return d


exported = {}
for p in glob.glob(outdir + "/*.json"):
    with open(p) as f:
        doc = json.load(f)
    exported[doc["namespace"]] = doc

failures = 0
back = exported.get(ours["namespace"])
if back is None:
    print(f"FAIL: namespace {ours['namespace']} not exported; got {sorted(exported)}")
    sys.exit(1)
if normalize(back) != normalize(ours):
    failures += 1
    print("FAIL: the namespace read back from Glance differs")
    print("--- ours\n" + json.dumps(normalize(ours), indent=2, sort_keys=True))
    print("--- Glance\n" + json.dumps(normalize(back), indent=2, sort_keys=True))
else:
    print(f"ok   {ours['namespace']} reads back equal from the Glance database")

# The three associations, with the prefixes the issue asks for.
assoc = {a["name"]: a for a in back["resource_type_associations"]}
want = {
    "OS::Glance::Image": ("hw_", None),
    "OS::Nova::Flavor": ("hw:", None),
    "OS::Cinder::Volume": ("hw_", "image"),
}
for name, (prefix, target) in want.items():
    a = assoc.get(name)
    if not a or a.get("prefix") != prefix or a.get("properties_target") != target:
        failures += 1
        print(f"FAIL: association {name}: {a}")
prop = back["properties"].get("pmu", {})
if prop.get("type") != "string" or prop.get("enum") != ["true", "false"]:
    failures += 1
    print(f"FAIL: property pmu: {prop}")
else:
    print("ok   property 'pmu' (string, true/false) as hw_pmu on images and volumes, "
          "hw:pmu on flavors")

# The comparison can fail: a changed enum must not compare equal.
mutant = copy.deepcopy(back)
mutant["properties"]["pmu"]["enum"] = ["true", "false", "auto"]
if normalize(mutant) == normalize(ours):
    failures += 1
    print("FAIL: the comparison does not see a changed enum")

if "OS::Compute::LibvirtImage" in exported:
    hw = exported["OS::Compute::LibvirtImage"]["properties"].get("hw_pmu")
    print(f"ok   coexists with upstream OS::Compute::LibvirtImage (its hw_pmu: "
          f"{'present' if hw else 'absent'})")

print(f"{failures} failure(s)")
sys.exit(1 if failures else 0)
PY
rc=$?
exit $rc

#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The notification samples validate against the JSON Schema, and the schema
# is strict enough to reject broken notifications (so this test can fail).
#
#   validate-notification-samples.sh [FILE.jsonl ...]
#
# With arguments, also validates every line of those JSON-lines files (the
# output of `vpmu boot --notify FILE`).  Uses Debian's python3-jsonschema
# (/usr/bin/python3, not a pyenv or virtualenv python).
set -eu

srcdir=${VPMU_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
samples="$srcdir/docs/notification_samples"
py=/usr/bin/python3

if ! [ -x "$py" ] || ! "$py" -c 'import jsonschema' 2>/dev/null; then
    echo "SKIP: /usr/bin/python3 with jsonschema (Debian python3-jsonschema) is not installed" >&2
    exit 77
fi

exec "$py" - "$samples" "$@" <<'PY'
import copy
import glob
import json
import os
import sys

import jsonschema

samples_dir = sys.argv[1]
extra = sys.argv[2:]
with open(os.path.join(samples_dir, "vpmu-guest-configure.schema.json")) as f:
    schema = json.load(f)
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)

failures = 0


def check(name, doc, expect_valid=True):
    global failures
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    if expect_valid and errors:
        failures += 1
        for e in errors:
            print(f"FAIL {name}: {'/'.join(map(str, e.path)) or '(root)'}: {e.message}")
    elif not expect_valid and not errors:
        failures += 1
        print(f"FAIL {name}: the schema accepted a broken notification")
    else:
        print(f"ok   {name}")


paths = sorted(p for p in glob.glob(os.path.join(samples_dir, "*.json"))
               if not p.endswith(".schema.json"))
if len(paths) < 3:
    print(f"FAIL: expected the on, off and unset samples in {samples_dir}, found {paths}")
    sys.exit(1)

seen_pmu = set()
for p in paths:
    with open(p) as f:
        doc = json.load(f)
    check(os.path.basename(p), doc)
    props = doc["payload"]["nova_object.data"]["image"]["nova_object.data"]["properties"]
    seen_pmu.add(json.dumps(props["nova_object.data"]["hw_pmu"]))
if seen_pmu != {"true", "false", "null"}:
    failures += 1
    print(f"FAIL: the samples should cover hw_pmu true, false and null, not {sorted(seen_pmu)}")

# Broken variants of the first sample must be rejected.
with open(paths[0]) as f:
    base = json.load(f)


def data(doc):
    return doc["payload"]["nova_object.data"]


def props(doc):
    return data(doc)["image"]["nova_object.data"]["properties"]["nova_object.data"]


def mutate(fn):
    d = copy.deepcopy(base)
    fn(d)
    return d


check("reject: hw_pmu as a string", mutate(lambda d: props(d).update(hw_pmu="true")), False)
check("reject: no hw_pmu", mutate(lambda d: props(d).pop("hw_pmu")), False)
check("reject: no message_id", mutate(lambda d: d.pop("message_id")), False)
check("reject: message_id not a uuid4",
      mutate(lambda d: d.update(message_id="5f8c6a4e-2b1d-1c7a-9e3f-0a1b2c3d4e5f")), False)
check("reject: ISO 'T' timestamp",
      mutate(lambda d: d.update(timestamp="2024-05-01T12:00:00.000000")), False)
check("reject: pmu 'true'", mutate(lambda d: data(d).update(pmu="true")), False)
check("reject: unknown payload field", mutate(lambda d: data(d).update(colour="red")), False)
check("reject: payload version 2.0",
      mutate(lambda d: d["payload"].update({"nova_object.version": "2.0"})), False)
check("reject: integer extra spec",
      mutate(lambda d: data(d)["flavor"]["nova_object.data"]["extra_specs"].update(
          {"hw:pmu": 1})), False)

for path in extra:
    with open(path) as f:
        lines = [line for line in f.read().splitlines() if line.strip()]
    if not lines:
        failures += 1
        print(f"FAIL {path}: no notification in it")
    for i, line in enumerate(lines, 1):
        check(f"{os.path.basename(path)}:{i}", json.loads(line))

print(f"{failures} failure(s)")
sys.exit(1 if failures else 0)
PY

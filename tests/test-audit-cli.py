#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""`vpmu audit` end to end, on libvirt's test driver (TAP output).

Node files come from bench/gen-node.py, generated at test time into a
temporary directory, with a manifest of what every domain must be audited as.

  - 10,000 domains: the whole JSON document (count and every field against
    the manifest) and every line of the Prometheus output (parsed against the
    exposition format, label escapes undone and compared);
  - spot checks against `virsh dumpxml` of the same node;
  - two connections at once, the global -c with command -c's, and unreachable
    URIs reported and skipped with the documented exit status;
  - --fail-if, the text table, usage errors.

VPMU_AUDIT_TEST_COUNT overrides the 10,000 (for quick runs while developing).
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

from clitest import silent_listener, vpmu_env
from tap import check, expect, report

VPMU = os.environ.get("VPMU_BIN", "vpmu")
SRCDIR = os.environ.get("VPMU_SRCDIR", os.path.join(os.path.dirname(__file__), ".."))
GEN = os.path.join(SRCDIR, "bench", "gen-node.py")
BIG = int(os.environ.get("VPMU_AUDIT_TEST_COUNT", "10000"))
SMALL = 300
UNREACHABLE = "qemu+tcp://127.0.0.1:9/system"
NOVA_NS = "{http://openstack.org/xmlns/libvirt/nova/1.1}"

# Exit status of vpmu audit (docs/audit.md).
EXIT_OK, EXIT_NOTHING, EXIT_USAGE, EXIT_SKIPPED, EXIT_MATCHED, EXIT_BOTH = 0, 1, 2, 5, 6, 7

DOMAIN_KEYS = ["uri", "name", "uuid", "state", "pmu", "pending", "pending_restart", "effective",
               "effective_rule",
               "effective_reasons", "arch", "virt_type", "machine", "cpu_mode", "cpu_model",
               "nova_name", "nova_flavor"]
MANIFEST_KEYS = ["name", "uuid", "state", "pmu", "arch", "virt_type", "cpu_mode", "cpu_model",
                 "nova_name", "nova_flavor"]
EFFECTIVE = {"unknown", "on", "off", "partial", "refused"}


def vpmu(*args, env=None):
    return subprocess.Popen([VPMU, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=vpmu_env(env), text=True)


def finish(p):
    out, err = p.communicate(timeout=900)
    return p.returncode, out, err


def run(*args, env=None):
    return finish(vpmu(*args, env=env))


# ---- Prometheus exposition format parser (text format 0.0.4) --------------------------

METRIC = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
VALUE = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\+Inf|-Inf|NaN)$")


def parse_labels(s, i):
    """Parse '{k="v",...}' from s[i] == '{'; return (dict, index after '}')."""
    labels = {}
    i += 1
    while True:
        if s[i] == "}":
            return labels, i + 1
        m = LABEL.match(s, i)
        expect(m, "bad label name at %d in %r" % (i, s))
        key = m.group(0)
        i = m.end()
        expect(s[i:i + 2] == '="', "expected =\" after %s in %r" % (key, s))
        i += 2
        val = []
        while s[i] != '"':
            c = s[i]
            expect(c != "\n", "raw newline in a label value")
            if c == "\\":
                nxt = s[i + 1]
                expect(nxt in '\\"n', "invalid escape \\%s in %r" % (nxt, s))
                val.append({"\\": "\\", '"': '"', "n": "\n"}[nxt])
                i += 2
            else:
                val.append(c)
                i += 1
        expect(key not in labels, "label %s twice" % key)
        labels[key] = "".join(val)
        i += 1
        if s[i] == ",":
            i += 1
        else:
            expect(s[i] == "}", "expected , or } in %r" % s)


def parse_prometheus(text):
    """Every line parsed; families contiguous, each with HELP and TYPE before its samples."""
    expect(text.endswith("\n"), "the exposition must end with a newline")
    helps, types, samples, seen_families = {}, {}, [], []
    for line in text.split("\n")[:-1]:
        expect(line != "", "empty line in the exposition")
        if line.startswith("#"):
            m = re.match(r"# (HELP|TYPE) (\S+) (.*)$", line)
            expect(m, "bad comment line %r" % line)
            kind, name, rest = m.groups()
            expect(METRIC.fullmatch(name), "bad metric name %r" % name)
            if kind == "HELP":
                expect(name not in helps, "HELP %s twice" % name)
                helps[name] = rest
            else:
                expect(name not in types, "TYPE %s twice" % name)
                expect(rest in ("gauge", "counter", "untyped"), "type %r" % rest)
                types[name] = rest
            continue
        m = METRIC.match(line)
        expect(m, "bad sample line %r" % line)
        name = m.group(0)
        i = m.end()
        labels = {}
        if line[i] == "{":
            labels, i = parse_labels(line, i)
        expect(line[i] == " ", "expected a blank before the value in %r" % line)
        value = line[i + 1:]
        expect(VALUE.match(value), "bad value %r" % value)
        expect(name in helps and name in types, "%s has no HELP/TYPE before it" % name)
        if not seen_families or seen_families[-1] != name:
            expect(name not in seen_families, "family %s is not contiguous" % name)
            seen_families.append(name)
        samples.append((name, labels, float(value)))
    return samples


# ---- virsh, for spot checks -------------------------------------------------------------

def virsh_start(uri, uuids):
    """One virsh process (one node load) dumping several domains."""
    cmd = "; ".join("dumpxml --domain %s" % u for u in uuids)
    return subprocess.Popen(["virsh", "-q", "-c", uri, cmd], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def virsh_docs(p, n):
    out, err = p.communicate(timeout=900)
    expect(p.returncode == 0, "virsh exited %d: %s" % (p.returncode, err))
    docs = [d + "</domain>" for d in out.split("</domain>") if d.strip()]
    expect(len(docs) == n, "virsh gave %d documents for %d domains" % (len(docs), n))
    return docs


def virsh_dumpxml(uri, uuids):
    return virsh_docs(virsh_start(uri, uuids), len(uuids))


def facts_from_xml(text):
    root = ET.fromstring(text)
    feats = root.find("features")
    pmu_el = feats.find("pmu") if feats is not None else None
    if pmu_el is None:
        pmu = "unset"
    else:
        pmu = pmu_el.get("state", "on")
    cpu = root.find("cpu")
    model = cpu.find("model") if cpu is not None else None
    inst = root.find("metadata/%sinstance" % NOVA_NS)
    nova_name = nova_flavor = None
    if inst is not None:
        n = inst.find("%sname" % NOVA_NS)
        f = inst.find("%sflavor" % NOVA_NS)
        nova_name = n.text if n is not None else None
        nova_flavor = f.get("name") if f is not None else None
    return {
        "name": root.findtext("name"),
        "uuid": root.findtext("uuid"),
        "pmu": pmu,
        "arch": root.find("os/type").get("arch"),
        "virt_type": root.get("type"),
        "cpu_mode": cpu.get("mode") if cpu is not None else None,
        "cpu_model": model.text if model is not None else None,
        "nova_name": nova_name,
        "nova_flavor": nova_flavor,
    }


# ---- the checks -----------------------------------------------------------------------

def load_manifest(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def check_json_against_manifest(doc, uri, manifest):
    doms = doc["domains"]
    expect(len(doms) == len(manifest), "%d domains in JSON, %d in the node" % (len(doms), len(manifest)))
    by_uuid = {d["uuid"]: d for d in doms}
    expect(len(by_uuid) == len(doms), "a UUID appears twice")
    for m in manifest:
        d = by_uuid.get(m["uuid"])
        expect(d is not None, "domain %s missing" % m["uuid"])
        expect(list(d.keys()) == DOMAIN_KEYS, "keys of %s: %s" % (m["name"], list(d.keys())))
        expect(d["uri"] == uri, "uri %r" % d["uri"])
        for k in MANIFEST_KEYS:
            expect(d[k] == m[k], "%s of %r: got %r, want %r" % (k, m["name"], d[k], m[k]))
        expect(d["effective"] in EFFECTIVE, "effective %r" % d["effective"])
        expect(isinstance(d["effective_rule"], str) and d["effective_rule"], "no rule")
        expect(isinstance(d["effective_reasons"], list) and d["effective_reasons"], "no reasons")
        expect(d["machine"], "no machine")
        # Nothing changed the definitions behind the node: nothing pending.
        expect(d["pending"] is None and d["pending_restart"] is False, "pending of %r" % m["name"])
    # One connection: its rows in name order.
    names = [d["name"] for d in doms]
    expect(names == sorted(names), "domains not in name order")
    counts = {p: sum(1 for m in manifest if m["pmu"] == p) for p in ("on", "off", "unset")}
    hosts = doc["hosts"]
    expect(len(hosts) == 1, "hosts %r" % hosts)
    h = hosts[0]
    expect(h["uri"] == uri and h["reachable"] is True and h["driver"] == "TEST", "host %r" % h)
    expect(h["domains"] == len(manifest) and h["skipped"] == 0, "host counts %r" % h)
    expect(h["pmu"] == counts, "host pmu %r, want %r" % (h["pmu"], counts))
    expect(sum(h["effective"].values()) == len(manifest), "effective counts %r" % h["effective"])
    eff = {}
    for d in doms:
        eff[d["effective"]] = eff.get(d["effective"], 0) + 1
    for k, v in h["effective"].items():
        expect(eff.get(k, 0) == v, "effective %s: host says %d, domains %d" % (k, v, eff.get(k, 0)))
    expect(h["error"] is None, "host error %r" % h["error"])
    expect(doc["skipped"] == [], "skipped %r" % doc["skipped"])
    t = doc["totals"]
    expect(h["up"] is True and h["timed_out"] is False and h["pending_restart"] == 0, "host %r" % h)
    expect(t == {"hosts": 1, "hosts_unreachable": 0, "hosts_dropped": 0, "hosts_timed_out": 0,
                 "domains": len(manifest), "skipped": 0, "pending_restart": 0,
                 "fail_if_matched": 0}, "totals %r" % t)


def check_prom_against_manifest(samples, uri, manifest, json_doc):
    info = [s for s in samples if s[0] == "vpmu_domain_info"]
    expect(len(info) == len(manifest), "%d info series, %d domains" % (len(info), len(manifest)))
    by_uuid = {s[1]["uuid"]: s[1] for s in info}
    json_by_uuid = {d["uuid"]: d for d in json_doc["domains"]}
    for m in manifest:
        lab = by_uuid[m["uuid"]]
        for k in MANIFEST_KEYS:
            want = m[k] if m[k] is not None else ""
            expect(lab[k] == want, "label %s of %r: %r, want %r" % (k, m["name"], lab[k], want))
        expect(lab["uri"] == uri, "uri label %r" % lab["uri"])
        j = json_by_uuid[m["uuid"]]
        expect(lab["effective"] == j["effective"] and lab["rule"] == j["effective_rule"],
               "effective of %r differs between JSON and Prometheus" % m["name"])
    for s in info:
        expect(s[2] == 1.0, "info value %r" % s[2])
    pend = [s for s in samples if s[0] == "vpmu_domain_pending_restart"]
    expect(len(pend) == len(manifest) and all(s[2] == 0.0 and s[1]["pending"] == "" for s in pend),
           "pending series %r" % pend[:3])
    expect([s[1]["name"] for s in info] == sorted(s[1]["name"] for s in info), "info not by name")
    counts = {p: sum(1 for m in manifest if m["pmu"] == p) for p in ("on", "off", "unset")}
    per_pmu = {s[1]["pmu"]: s[2] for s in samples if s[0] == "vpmu_host_domains"}
    expect(per_pmu == {k: float(v) for k, v in counts.items()}, "host totals %r" % per_pmu)
    up = [s for s in samples if s[0] == "vpmu_host_up"]
    expect(up == [("vpmu_host_up", {"uri": uri}, 1.0)], "up %r" % up)
    eff = [s for s in samples if s[0] == "vpmu_host_domains_effective"]
    expect({s[1]["effective"] for s in eff} == EFFECTIVE, "effective totals %r" % eff)
    expect(sum(s[2] for s in eff) == len(manifest), "effective totals sum")
    skipped = [s for s in samples if s[0] == "vpmu_host_skipped_domains"]
    expect(skipped == [("vpmu_host_skipped_domains", {"uri": uri}, 0.0)], "skipped %r" % skipped)
    expect(any(s[0] == "vpmu_host_audit_duration_seconds" for s in samples), "no duration")


def spot_check_virsh(uri, json_doc, manifest, picks):
    by_uuid = {d["uuid"]: d for d in json_doc["domains"]}
    uuids = [manifest[i]["uuid"] for i in picks]
    for text in virsh_dumpxml(uri, uuids):
        f = facts_from_xml(text)
        d = by_uuid[f["uuid"]]
        for k, v in f.items():
            expect(d[k] == v, "%s of %r: vpmu says %r, virsh dumpxml %r" % (k, f["name"], d[k], v))


def main():
    tmp = tempfile.mkdtemp(prefix="vpmu-audit-cli-")
    big = os.path.join(tmp, "big.xml")
    small = os.path.join(tmp, "small.xml")
    subprocess.run([sys.executable, GEN, "node", "--count", str(BIG), "--out", big,
                    "--manifest", big + ".jsonl"], check=True)
    subprocess.run([sys.executable, GEN, "node", "--count", str(SMALL), "--out", small,
                    "--manifest", small + ".jsonl"], check=True)
    big_uri, small_uri = "test://" + big, "test://" + small
    big_m, small_m = load_manifest(big + ".jsonl"), load_manifest(small + ".jsonl")

    # The big node takes seconds to load per process: run the three readers at once.
    # The test driver loads a 10,000-domain node file in about 20 s on one idle core,
    # longer beside the other tests: beyond the 30 s default per-host deadline.
    p_json = vpmu("-o", "json", "audit", "-c", big_uri, "--timeout", "900")
    p_prom = vpmu("-o", "prometheus", "audit", "-c", big_uri, "--timeout", "900")
    picks = sorted({0, 1, 2, 5, 13, 17, 94, len(big_m) // 2, len(big_m) - 1} & set(range(len(big_m))))
    p_virsh = virsh_start(big_uri, [big_m[i]["uuid"] for i in picks])
    rc_j, out_j, err_j = finish(p_json)
    rc_p, out_p, err_p = finish(p_prom)
    big_doc = {}

    def big_json():
        expect(rc_j == EXIT_OK, "exit %d: %s" % (rc_j, err_j))
        expect(err_j == "", "stderr %r" % err_j)
        big_doc.update(json.loads(out_j))
        check_json_against_manifest(big_doc, big_uri, big_m)
    check("%d-domain node: JSON complete and correct" % BIG, big_json)

    def big_prom():
        expect(rc_p == EXIT_OK, "exit %d: %s" % (rc_p, err_p))
        samples = parse_prometheus(out_p)
        check_prom_against_manifest(samples, big_uri, big_m, big_doc)
    check("%d-domain node: every Prometheus line parses and matches" % BIG, big_prom)

    def big_spot():
        by_uuid = {d["uuid"]: d for d in big_doc["domains"]}
        for text in virsh_docs(p_virsh, len(picks)):
            f = facts_from_xml(text)
            d = by_uuid[f["uuid"]]
            for k, v in f.items():
                expect(d[k] == v, "%s of %r: vpmu %r, virsh %r" % (k, f["name"], d[k], v))
    check("%d-domain node: spot checks against virsh dumpxml" % BIG, big_spot)

    def small_all():
        rc, out, err = run("-o", "json", "audit", "-c", small_uri)
        expect(rc == EXIT_OK, "exit %d: %s" % (rc, err))
        doc = json.loads(out)
        check_json_against_manifest(doc, small_uri, small_m)
        # Escapes in names survive: a quoted name and a Nova name with a newline.
        names = {d["name"] for d in doc["domains"]}
        expect('inst-00013 "quoted" back\\slash' in names, "quoted name missing")
        expect(any(d["nova_name"] and "\n" in d["nova_name"] for d in doc["domains"]), "newline")
        spot_check_virsh(small_uri, doc, small_m, [0, 5, 13, 17, 94, 183, 272, 299])
    check("%d-domain node: JSON and virsh dumpxml agree" % SMALL, small_all)

    def two_connections():
        rc, out, err = run("-o", "json", "audit", "-c", "test:///default", "-c", small_uri)
        expect(rc == EXIT_OK, "exit %d: %s" % (rc, err))
        doc = json.loads(out)
        expect(len(doc["domains"]) == SMALL + 1, "domains %d" % len(doc["domains"]))
        expect(sorted(h["uri"] for h in doc["hosts"]) == sorted(["test:///default", small_uri]),
               "hosts %r" % doc["hosts"])
        expect(sum(1 for d in doc["domains"] if d["uri"] == "test:///default") == 1, "default")
        # The global -c counts as one more connection.
        rc, out, err = run("-c", "test:///default", "-o", "json", "audit", "-c", small_uri)
        expect(rc == EXIT_OK, "exit %d: %s" % (rc, err))
        expect(len(json.loads(out)["hosts"]) == 2, "global -c not audited")
        # Neither: $LIBVIRT_DEFAULT_URI.
        rc, out, err = run("-o", "json", "audit", env={"LIBVIRT_DEFAULT_URI": small_uri})
        expect(rc == EXIT_OK and json.loads(out)["hosts"][0]["uri"] == small_uri, "env URI")
    check("two connections at once; global -c; $LIBVIRT_DEFAULT_URI", two_connections)

    def unreachable():
        rc, out, err = run("-o", "json", "audit", "-c", "test:///default", "-c", UNREACHABLE,
                           "-c", small_uri)
        expect(rc == EXIT_SKIPPED, "exit %d, want %d: %s" % (rc, EXIT_SKIPPED, err))
        doc = json.loads(out)
        expect(len(doc["domains"]) == SMALL + 1, "domains %d" % len(doc["domains"]))
        bad = [h for h in doc["hosts"] if h["uri"] == UNREACHABLE]
        expect(len(bad) == 1 and bad[0]["reachable"] is False and UNREACHABLE in bad[0]["error"],
               "host %r" % bad)
        expect(doc["totals"]["hosts_unreachable"] == 1, "totals %r" % doc["totals"])
        expect(UNREACHABLE in err and "skipped" in err, "no warning on stderr: %r" % err)
        # -q silences the warning, not the exit status.
        rc, out, err = run("-q", "audit", "-c", UNREACHABLE, "-c", "test:///default")
        expect(rc == EXIT_SKIPPED and err == "", "quiet: %d %r" % (rc, err))
        # Prometheus says so too.
        rc, out, err = run("-o", "prometheus", "audit", "-c", UNREACHABLE, "-c", "test:///default")
        expect(rc == EXIT_SKIPPED, "exit %d" % rc)
        up = {s[1]["uri"]: s[2] for s in parse_prometheus(out) if s[0] == "vpmu_host_up"}
        expect(up == {UNREACHABLE: 0.0, "test:///default": 1.0}, "up %r" % up)
        # Nothing reachable at all: runtime failure.
        rc, out, err = run("-o", "json", "audit", "-c", UNREACHABLE, "-c", "test:///nonexistent.xml")
        expect(rc == EXIT_NOTHING, "exit %d, want %d" % (rc, EXIT_NOTHING))
        expect(json.loads(out)["totals"]["hosts_unreachable"] == 2, "totals")
    check("unreachable URIs are reported and skipped (exit 5; 1 when none opens)", unreachable)

    def fail_if():
        on = sum(1 for m in small_m if m["pmu"] == "on")
        rc, out, err = run("-o", "json", "audit", "-c", small_uri, "--fail-if", "on")
        expect(rc == EXIT_MATCHED, "exit %d" % rc)
        expect(json.loads(out)["totals"]["fail_if_matched"] == on, "matched count")
        rc, _, _ = run("audit", "-c", "test:///default", "--fail-if", "on", "--fail-if", "off")
        expect(rc == EXIT_OK, "no on/off domain on test:///default, exit %d" % rc)
        rc, _, _ = run("audit", "-c", "test:///default", "--fail-if", "unset")
        expect(rc == EXIT_MATCHED, "unset on test:///default, exit %d" % rc)
        rc, _, _ = run("-q", "audit", "-c", "test:///default", "-c", UNREACHABLE, "--fail-if", "unset")
        expect(rc == EXIT_BOTH, "matched and skipped, exit %d" % rc)
        rc, _, err = run("audit", "--fail-if", "maybe")
        expect(rc == EXIT_USAGE and "maybe" in err, "bad --fail-if: %d %r" % (rc, err))
    check("--fail-if on|off|unset (exit 6; 7 with a skip; 2 when invalid)", fail_if)

    def text_table():
        rc, out, err = run("audit", "-c", small_uri)
        expect(rc == EXIT_OK, "exit %d: %s" % (rc, err))
        lines = out.split("\n")
        expect(lines[0].split()[:6] == ["NAME", "UUID", "STATE", "PMU", "PENDING", "EFFECTIVE"],
               lines[0])
        rows = [l for l in lines[1:] if l.startswith("inst-")]
        expect(len(rows) == SMALL, "%d rows" % len(rows))
        expect(("%s: domains %d " % (small_uri, SMALL)) in out, "summary line missing")
        row0 = next(r for r in rows if r.startswith("inst-00000 "))
        m0 = small_m[0]
        expect(row0.split()[1:5] == [m0["uuid"], m0["state"], m0["pmu"], "-"], row0)
        expect([r.split()[0] for r in rows] == sorted(r.split()[0] for r in rows), "row order")
        # Two connections: a URI column first.
        rc, out, err = run("audit", "-c", "test:///default", "-c", small_uri)
        expect(out.split("\n")[0].split()[:2] == ["URI", "NAME"], out.split("\n")[0])
    check("text table", text_table)

    def host_order():
        # Rows by connection in -c order, then by name, whatever finishes first: the
        # 300-domain node takes longer than test:///default, and comes first.
        for first, second in ((small_uri, "test:///default"), ("test:///default", small_uri)):
            rc, out, err = run("-o", "json", "audit", "-c", first, "-c", second, "-j", "2")
            expect(rc == EXIT_OK, "exit %d: %s" % (rc, err))
            doc = json.loads(out)
            keys = [(0 if d["uri"] == first else 1, d["name"]) for d in doc["domains"]]
            expect(keys == sorted(keys), "JSON rows not by (-c order, name) for %s first" % first)
            expect([h["uri"] for h in doc["hosts"]] == [first, second], "hosts order")
            rc, out, err = run("-o", "prometheus", "audit", "-c", first, "-c", second)
            samples = parse_prometheus(out)
            for fam in ("vpmu_domain_info", "vpmu_domain_pending_restart"):
                keys = [(0 if s[1]["uri"] == first else 1, s[1]["name"]) for s in samples
                        if s[0] == fam]
                expect(len(keys) == SMALL + 1 and keys == sorted(keys), "%s order" % fam)
            rc, out, err = run("audit", "-c", first, "-c", second)
            keys = [(0 if l.split()[0] == first else 1, l.split()[1]) for l in out.split("\n")[1:]
                    if l.startswith("test://") and ": domains" not in l]
            expect(len(keys) == SMALL + 1 and keys == sorted(keys), "text rows order")
    check("rows by connection (-c order), then by name, in text, JSON and Prometheus", host_order)

    def silent_host():
        # A server that accepts and never speaks: virConnectOpen blocks in the handshake.
        # With --timeout 2 it is reported down after ~2 s and test:///default still printed.
        with silent_listener() as silent:
            t0 = time.monotonic()
            rc, out, err = run("-o", "json", "audit", "--timeout", "2", "-c", silent,
                               "-c", "test:///default")
            took = time.monotonic() - t0
            expect(rc == EXIT_SKIPPED, "exit %d, want %d: %s" % (rc, EXIT_SKIPPED, err))
            # Bounded (the deadline), not a timing goal: far below "for ever".
            expect(took < 20, "audit took %.1f s with --timeout 2" % took)
            doc = json.loads(out)
            h = {x["uri"]: x for x in doc["hosts"]}
            expect(h[silent]["up"] is False and h[silent]["timed_out"] is True and
                   h[silent]["reachable"] is False and "no answer within 2 s" in h[silent]["error"],
                   "silent host %r" % h[silent])
            expect(h["test:///default"]["up"] is True, "test:///default %r" % h["test:///default"])
            expect([d["name"] for d in doc["domains"]] == ["test"], "domains %r" % doc["domains"])
            expect(doc["totals"]["hosts_timed_out"] == 1, "totals %r" % doc["totals"])
            expect(silent in err and "no answer within 2 s" in err, "stderr %r" % err)
            rc, out, err = run("-o", "prometheus", "audit", "--timeout", "2", "-c", silent,
                               "-c", "test:///default")
            up = {s[1]["uri"]: s[2] for s in parse_prometheus(out) if s[0] == "vpmu_host_up"}
            expect(rc == EXIT_SKIPPED and up == {silent: 0.0, "test:///default": 1.0}, "up %r" % up)
            rc, out, err = run("audit", "--timeout", "2", "-c", silent, "-c", "test:///default")
            expect(rc == EXIT_SKIPPED and ("%s: down, no answer within 2 s" % silent) in out and
                   "\ntest:///default " in out, "text %r" % out)
            # Alone: nothing audited, exit 1.
            rc, out, err = run("-o", "json", "audit", "--timeout", "1", "-c", silent)
            expect(rc == EXIT_NOTHING, "alone: exit %d" % rc)
    check("a host that accepts and never speaks is down at --timeout; the others print", silent_host)

    def silent_default():
        # No -c: libvirt's default connection ($LIBVIRT_DEFAULT_URI) is opened by the audit
        # itself, under --timeout, not by an unbounded step before it.
        with silent_listener() as silent:
            env = {"LIBVIRT_DEFAULT_URI": silent}
            t0 = time.monotonic()
            rc, out, err = run("-o", "prometheus", "audit", "--timeout", "2", env=env)
            took = time.monotonic() - t0
            # Bounded (the deadline), not a timing goal: far below "for ever".
            expect(took < 20, "audit took %.1f s with --timeout 2" % took)
            expect(rc == EXIT_NOTHING, "exit %d, want %d: %s" % (rc, EXIT_NOTHING, err))
            up = {s[1]["uri"]: s[2] for s in parse_prometheus(out) if s[0] == "vpmu_host_up"}
            expect(up == {silent: 0.0}, "up %r" % up)
            expect("libvirt's default URI: no answer within 2 s" in err, "stderr %r" % err)
            rc, out, err = run("-o", "json", "audit", "--timeout", "2", env=env)
            h = json.loads(out)["hosts"]
            expect(rc == EXIT_NOTHING and len(h) == 1 and h[0]["uri"] == silent and
                   h[0]["up"] is False and h[0]["timed_out"] is True, "json hosts %r" % h)
            rc, out, err = run("audit", "--timeout", "2", env=env)
            expect(rc == EXIT_NOTHING and ("%s: down, no answer within 2 s" % silent) in out,
                   "text %r" % out)
            # A default that opens is named by its canonical URI in every row.
            rc, out, err = run("-o", "json", "audit", env={"LIBVIRT_DEFAULT_URI": "test:///default"})
            doc = json.loads(out)
            expect(rc == EXIT_OK and [d["uri"] for d in doc["domains"]] == ["test:///default"] and
                   doc["hosts"][0]["uri"] == "test:///default" and doc["hosts"][0]["up"] is True,
                   "default test:///default: %d %r" % (rc, doc))
    check("no -c: libvirt's default that never speaks is down at --timeout", silent_default)

    def textfile():
        path = os.path.join(tmp, "vpmu.prom")
        rc, out, err = run("audit", "-c", "test:///default", "-c", UNREACHABLE, "--textfile", path)
        expect(rc == EXIT_SKIPPED and out == "", "exit %d, stdout %r" % (rc, out))
        samples = parse_prometheus(open(path).read())
        up = {s[1]["uri"]: s[2] for s in samples if s[0] == "vpmu_host_up"}
        expect(up == {UNREACHABLE: 0.0, "test:///default": 1.0}, "up %r" % up)
        # Nothing reachable (exit 1): the file is still replaced, saying so; never left stale.
        rc, out, err = run("audit", "-c", UNREACHABLE, "--textfile", path)
        expect(rc == EXIT_NOTHING, "exit %d" % rc)
        samples = parse_prometheus(open(path).read())
        expect([(s[1]["uri"], s[2]) for s in samples if s[0] == "vpmu_host_up"] ==
               [(UNREACHABLE, 0.0)], "stale textfile: %r" % samples)
        expect(not any(s[0] == "vpmu_domain_info" for s in samples), "stale domains")
        expect(sorted(os.listdir(tmp)).count("vpmu.prom") == 1 and
               not [f for f in os.listdir(tmp) if f.startswith(".vpmu.prom")], "temporaries left")
        rc, out, err = run("-o", "json", "audit", "--textfile", path)
        expect(rc == EXIT_USAGE and "--textfile" in err, "-o json: %d %r" % (rc, err))
        rc, out, err = run("audit", "-c", "test:///default", "--textfile",
                           os.path.join(tmp, "no-such-dir", "x.prom"))
        expect(rc == EXIT_NOTHING and "no-such-dir" in err, "bad dir: %d %r" % (rc, err))
        os.unlink(path)
    check("--textfile: atomic, always what was audited (a down host is vpmu_host_up 0)", textfile)

    def usage():
        for args in (["audit", "extra"], ["audit", "-j", "0"], ["audit", "--bogus"],
                     ["audit", "--timeout", "0"], ["audit", "--timeout", "86401"],
                     ["audit", "--timeout", "1.5"], ["audit", "--textfile", ""],
                     ["audit", "--host-root", "/", "--no-host-probe"]):
            rc, out, err = run(*args)
            expect(rc == EXIT_USAGE and out == "" and "Try 'vpmu audit --help'" in err,
                   "%r: %d %r" % (args, rc, err))
        rc, out, err = run("audit", "--help")
        expect(rc == EXIT_OK and "--fail-if" in out, "help")
    check("usage errors exit 2", usage)

    def host_root():
        root = os.path.join(SRCDIR, "tests", "data", "hosts", "intel-pmu")
        rc, out, err = run("-o", "json", "audit", "-c", small_uri, "--host-root", root)
        expect(rc == EXIT_OK, "exit %d: %s" % (rc, err))
        doc = json.loads(out)
        expect(doc["hosts"][0]["host_probed"] is True, "not probed")
        rc, out, err = run("-o", "json", "audit", "-c", small_uri)
        expect(json.loads(out)["hosts"][0]["host_probed"] is False, "test:// probed by default")
    check("--host-root feeds explain; test:// is not probed by default", host_root)

    for f in os.listdir(tmp):
        os.unlink(os.path.join(tmp, f))
    os.rmdir(tmp)

    return report(max_lines=20)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Hostile names in text output and messages (TAP).

Names and values carrying a newline followed by a would-be output line, ESC
sequences, C1 controls (U+009B CSI, U+0085 NEL) and bytes that are not UTF-8
reach `decide`, `explain`, `host`, `schedule` and `audit` from every side:
options (--image-name, --flavor-name, --cpu-model, --domain, --host-root),
flavor and image JSON documents, the domain XML of libvirt's test driver
(test:///default, and a test:///FILE node whose domain and Nova names are
hostile), and the files of a host tree (cpuinfo, an event source's name).

Every case checks that the output holds the value in quote_for_message()'s
escaped form (\\n, \\x1b, \\xc2\\x9b, \\xff), that no byte of stdout or
stderr is a raw control (C0 other than the line ends, DEL, C1) or invalid
UTF-8, and that no line was forged.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

from clitest import vpmu_env
from tap import check, expect, report

VPMU = os.environ.get("VPMU_BIN", "vpmu")
# Under the valgrind setup every vpmu run goes under valgrind (--error-exitcode=99).
WRAPPER = os.environ.get("VPMU_TEST_WRAPPER", "").split()
HOSTS = os.path.join(os.environ.get("VPMU_TESTDATA", os.path.join(os.path.dirname(__file__),
                                                                  "data")), "hosts")

# The forged line would begin with FORGED; the escaped form is what quote_for_message() prints.
HOSTILE = b"x\nFORGED pmu: off\x1b[31m\xc2\x9b2J\xc2\x85\xff"
HOSTILE_SHOWN = b"x\\nFORGED pmu: off\\x1b[31m\\xc2\\x9b2J\\xc2\\x85\\xff"
# JSON text and XML cannot carry a byte that is not UTF-8: the rest of it.
HOSTILE_UTF8 = "x\nFORGED pmu: off\x1b[31m\u009b2J\u0085"
HOSTILE_UTF8_SHOWN = b"x\\nFORGED pmu: off\\x1b[31m\\xc2\\x9b2J\\xc2\\x85"


def run(*args, env=None):
    e = vpmu_env({"LIBVIRT_DEFAULT_URI": "test:///default", **(env or {})})
    p = subprocess.run(WRAPPER + [VPMU, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=e, timeout=600)
    return p.returncode, p.stdout, p.stderr


def raw_controls(b):
    """What in @b may not reach a terminal: invalid UTF-8, C0 but the line ends, DEL, C1."""
    try:
        text = b.decode("utf-8")
    except UnicodeDecodeError as e:
        return ["invalid UTF-8 at byte %d: %r" % (e.start, b[max(0, e.start - 20):e.start + 4])]
    return ["%r in %r" % (c, line) for line in text.split("\n") for c in line
            if ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f]


def safe(where, b, shown=None, count=1):
    bad = raw_controls(b)
    expect(not bad, "%s has raw control bytes: %s\n%r" % (where, bad[:3], b))
    forged = [line for line in b.split(b"\n") if line.startswith(b"FORGED")]
    expect(not forged, "%s has a forged line: %r\n%r" % (where, forged, b))
    if shown is not None:
        expect(b.count(shown) >= count,
               "%s lacks %r (%d times):\n%s" % (where, shown, count, b.decode("utf-8", "replace")))


def decide_image_name():
    rc, out, err = run("decide", b"--image-name=" + HOSTILE, "--image-prop", "hw_pmu=true")
    expect(rc == 0, "exit %d\n%r" % (rc, err))
    safe("stdout", out, b"image: " + HOSTILE_SHOWN + b" (hw_pmu=true)")
    expect(out.startswith(b"pmu: on\n"), out)
    safe("stderr", err)


def explain_conflict_names():
    for cmd in ("explain", "decide", "schedule", "xml"):
        rc, out, err = run(cmd, b"--image-name=" + HOSTILE, b"--flavor-name=" + HOSTILE,
                           "--flavor-spec", "hw:pmu=false", "--image-prop", "hw_pmu=true")
        expect(rc == 4, "%s: exit %d, want 4\n%r" % (cmd, rc, err))
        safe("%s stderr" % cmd, err, b"'" + HOSTILE_SHOWN + b"'", count=2)
        safe("%s stdout" % cmd, out)


def explain_cpu_model():
    rc, out, err = run("explain", b"--cpu-model=" + HOSTILE, "--arch", "x86_64", "--virt-type",
                       "kvm", "--host-root", os.path.join(HOSTS, "intel-pmu"))
    expect(rc == 0, "exit %d\n%r" % (rc, err))
    safe("stdout", out, b"cpu custom " + HOSTILE_SHOWN + b"\n")
    # The rule's reason repeats the model.
    safe("stdout", out, b"named model '" + HOSTILE_SHOWN + b"'")
    safe("stderr", err)
    rc, out, err = run("explain", "--cpu-mode", HOSTILE, "--cpu-model", "qemu64")
    expect(rc == 2, "--cpu-mode: exit %d, want 2\n%r" % (rc, err))
    safe("--cpu-mode stderr", err, HOSTILE_SHOWN)


def explain_documents():
    with tempfile.TemporaryDirectory() as d:
        image = os.path.join(d, "image.json")
        flavor = os.path.join(d, "flavor.json")
        with open(image, "w", encoding="utf-8") as f:
            json.dump({"id": "b1c2", "name": HOSTILE_UTF8, "disk_format": "qcow2",
                       "hw_pmu": "true", "hw_architecture": HOSTILE_UTF8}, f)
        with open(flavor, "w", encoding="utf-8") as f:
            json.dump({"id": "101", "name": HOSTILE_UTF8, "vcpus": 2, "ram": 2048, "disk": 10,
                       "extra_specs": {"hw:pmu": "false"}}, f)
        # The image's hw_architecture becomes the guest's arch: note, guest line, reason.
        rc, out, err = run("explain", "--image", image, "--virt-type", "kvm",
                           "--host-root", os.path.join(HOSTS, "intel-pmu"))
        expect(rc == 0, "exit %d\n%r" % (rc, err))
        safe("stdout", out, b"note: arch: " + HOSTILE_UTF8_SHOWN)
        safe("stdout", out, b"guest: arch " + HOSTILE_UTF8_SHOWN)
        safe("stdout", out, b"no rule for arch '" + HOSTILE_UTF8_SHOWN + b"'")
        safe("stderr", err)
        rc, out, err = run("decide", "--image", image)
        expect(rc == 0, "decide: exit %d\n%r" % (rc, err))
        safe("decide stdout", out, b"image: " + HOSTILE_UTF8_SHOWN)
        for cmd in ("explain", "decide", "schedule"):
            rc, out, err = run(cmd, "--flavor", flavor, "--image", image)
            expect(rc == 4, "%s: exit %d, want 4\n%r" % (cmd, rc, err))
            safe("%s stderr" % cmd, err, b"'" + HOSTILE_UTF8_SHOWN + b"'", count=2)
            safe("%s stdout" % cmd, out)


def explain_missing_domain():
    for uri in (None, "test:///default"):
        args = ["-c", uri] if uri else []
        rc, out, err = run(*args, "explain", b"--domain=" + HOSTILE)
        expect(rc == 1, "exit %d, want 1\n%r" % (rc, err))
        safe("stderr", err, b"no domain '" + HOSTILE_SHOWN + b"'")
        safe("stdout", out)


NODE = """<node>
<domain type='test'>
  <name>vm&#x9b;2J&#x85;name</name>
  <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <cpu mode='custom' match='exact'><model fallback='allow'>qemu64&#x9b;31m</model></cpu>
  <metadata>
    <nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.1">
      <nova:name>web&#x9b;1&#10;FORGED pmu: off</nova:name>
      <nova:flavor name="m1&#x85;&#10;FORGED"><nova:vcpus>1</nova:vcpus></nova:flavor>
    </nova:instance>
  </metadata>
  <features><pmu state='off'/></features>
</domain>
</node>
"""
NODE_NAME = "vm\u009b2J\u0085name".encode()
NODE_NAME_SHOWN = b"vm\\xc2\\x9b2J\\xc2\\x85name"


def test_node_domain():
    with tempfile.TemporaryDirectory() as d:
        node = os.path.join(d, "node.xml")
        with open(node, "w", encoding="utf-8") as f:
            f.write(NODE)
        uri = "test://" + node
        rc, out, err = run("-c", uri, "explain", b"--domain=" + NODE_NAME)
        expect(rc == 0, "explain: exit %d\n%r" % (rc, err))
        safe("explain stdout", out, b"domain: " + NODE_NAME_SHOWN + b"\n")
        safe("explain stdout", out, b"cpu custom qemu64\\xc2\\x9b31m\n")
        safe("explain stderr", err)
        # Two connections, so that the URI column is there too.
        rc, out, err = run("audit", "-c", uri, "-c", "test:///default")
        expect(rc == 0, "audit: exit %d\n%r" % (rc, err))
        safe("audit stdout", out, NODE_NAME_SHOWN)
        safe("audit stdout", out, b"custom/qemu64\\xc2\\x9b31m")
        safe("audit stdout", out, b"web\\xc2\\x9b1\\nFORGED pmu: off (m1\\xc2\\x85\\nFORGED)")
        safe("audit stderr", err)


def host_tree():
    with tempfile.TemporaryDirectory() as d:
        root = os.path.join(d.encode(), b"root" + HOSTILE)
        shutil.copytree(os.path.join(HOSTS, "intel-pmu").encode(), root)
        cpuinfo = os.path.join(root, b"proc", b"cpuinfo")
        with open(cpuinfo, "rb") as f:
            text = f.read()
        text = text.replace(b"GenuineIntel", b"GenuineIntel\x1b]0;t\x07", 1)
        text = text.replace(b"Intel(R) Xeon(R)", b"Xeon\x1b[2J\xc2\x9b\xff", 1)
        with open(cpuinfo, "wb") as f:
            f.write(text)
        os.mkdir(os.path.join(root, b"sys", b"bus", b"event_source", b"devices",
                              b"uncore" + HOSTILE))
        for fmt_args in ([], ["-c", "test:///default"]):
            rc, out, err = run(*fmt_args, "host", b"--host-root=" + root)
            expect(rc == 0, "exit %d\n%r" % (rc, err))
            safe("stdout", out, b"host root: " + os.path.join(d.encode(), b"root" + HOSTILE_SHOWN)
                 + b"\n")
            # No longer GenuineIntel: vendor "other", named in a note too.
            safe("stdout", out, b"cpu vendor: other (GenuineIntel\\x1b]0;t\\x07)\n")
            safe("stdout", out, b"note: x86 vendor 'GenuineIntel\\x1b]0;t\\x07'")
            safe("stdout", out, b"cpu model: Xeon\\x1b[2J\\xc2\\x9b\\xff")
            safe("stdout", out, b" uncore" + HOSTILE_SHOWN)
            safe("stderr", err)
        # explain names the root too.
        rc, out, err = run("explain", "--arch", "x86_64", "--virt-type", "kvm",
                           b"--host-root=" + root)
        expect(rc == 0, "explain: exit %d\n%r" % (rc, err))
        safe("explain stdout", out, b"host: " + os.path.join(d.encode(), b"root" + HOSTILE_SHOWN))
        # No evidence at all: the unknown verdict's message names the root.
        empty = os.path.join(d.encode(), b"empty" + HOSTILE)
        os.mkdir(empty)
        rc, out, err = run("host", b"--host-root=" + empty)
        expect(rc == 1, "empty root: exit %d, want 1\n%r" % (rc, err))
        safe("empty root stderr", err, b"empty" + HOSTILE_SHOWN)
        safe("empty root stdout", out, b"empty" + HOSTILE_SHOWN)


def usage_values():
    for args in (["audit", "--jobs", HOSTILE], ["audit", "--timeout", HOSTILE],
                 ["audit", "--fail-if", HOSTILE], ["explain", "--qemu-version", HOSTILE],
                 ["decide", b"--flavor-spec=" + HOSTILE], ["decide", b"--" + HOSTILE]):
        rc, out, err = run(*args)
        expect(rc == 2, "%r: exit %d, want 2\n%r" % (args, rc, err))
        safe("%r stderr" % args, err, HOSTILE_SHOWN)


def json_outputs():
    # JSON cannot carry a byte that is not UTF-8: U+FFFD stands for it, the rest is kept,
    # and the document is whole (json_pack() used to fail: no "guest", or no output at all).
    rc, out, err = run("-o", "json", "decide", b"--image-name=" + HOSTILE, "--image-prop",
                       "hw_pmu=true")
    expect(rc == 0, "decide: exit %d\n%r" % (rc, err))
    doc = json.loads(out)
    expect(doc["image"]["name"] == HOSTILE.decode("utf-8", "replace"), doc["image"])
    expect(doc["pmu"] == "on", doc)
    rc, out, err = run("-o", "json", "explain", b"--cpu-model=" + HOSTILE, "--arch", "x86_64",
                       "--virt-type", "kvm", "--host-root", os.path.join(HOSTS, "intel-pmu"))
    expect(rc == 0, "explain: exit %d\n%r" % (rc, err))
    doc = json.loads(out)
    expect(doc["guest"]["cpu_model"] == HOSTILE.decode("utf-8", "replace"), doc.get("guest"))
    expect(any("named model '" + HOSTILE.decode("utf-8", "replace") in r
               for r in doc["reasons"]), doc["reasons"])
    with tempfile.TemporaryDirectory() as d:
        root = os.path.join(d.encode(), b"root\xff")
        shutil.copytree(os.path.join(HOSTS, "intel-pmu").encode(), root)
        rc, out, err = run("-o", "json", "host", b"--host-root=" + root)
        expect(rc == 0, "host: exit %d\n%r" % (rc, err))
        doc = json.loads(out)
        expect(doc["root"] == root.decode("utf-8", "replace"), doc.get("root"))
        expect(doc["verdict"] == "yes", doc)


def main():
    check("decide --image-name with a newline, ESC, C1, invalid UTF-8: quoted", decide_image_name)
    check("flavor/image names in the conflict message of explain, decide, schedule, xml",
          explain_conflict_names)
    check("explain --cpu-model / --cpu-mode: the guest line, the reason, the usage error",
          explain_cpu_model)
    check("flavor and image JSON documents: names and hw_architecture in explain and decide",
          explain_documents)
    check("explain --domain NAME that does not exist: the error quotes it",
          explain_missing_domain)
    check("a test:///FILE domain with C1 in its name, CPU model and Nova names: explain, audit",
          test_node_domain)
    check("host and explain --host-root: root name, cpuinfo, event source names quoted",
          host_tree)
    check("usage errors quote the option value", usage_values)
    check("-o json of decide, explain, host with a value that is not UTF-8: U+FFFD, whole document",
          json_outputs)
    return report()


if __name__ == "__main__":
    sys.exit(main())

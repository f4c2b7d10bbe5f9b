#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Domain XML with Nova's instance metadata, for the audit --cloud tests and bench.

Reads JSON lines on stdin, one guest each:
  {"name": "...", "uuid": "...", "pmu": "on"|"off"|"unset",
   "flavor": "FLAVOR NAME" (omit: no <nova:instance> at all),
   "image": "IMAGE UUID" (omit: no image root, as for boot from volume)}
and writes, as Nova's libvirt driver lays it out (<nova:instance> with
<nova:name>, <nova:flavor name=...>, <nova:root type="image" uuid=...>):
  --node FILE   one node document for libvirt's test driver (test:///FILE)
  --dir DIR     one DIR/NAME.xml per guest, for `virsh define` on a real libvirtd
The XML is built with xml.etree (never from strings), so names are escaped.
"""

import argparse
import json
import os
import sys
import xml.etree.ElementTree as ET

NOVA_NS = "http://openstack.org/xmlns/libvirt/nova/1.1"
ET.register_namespace("nova", NOVA_NS)


def nova(tag):
    return "{%s}%s" % (NOVA_NS, tag)


def domain(g, dom_type, emulator):
    d = ET.Element("domain", type=dom_type)
    ET.SubElement(d, "name").text = g["name"]
    ET.SubElement(d, "uuid").text = g["uuid"]
    if "flavor" in g:
        md = ET.SubElement(d, "metadata")
        inst = ET.SubElement(md, nova("instance"))
        ET.SubElement(inst, nova("package"), version="26.2.0")
        ET.SubElement(inst, nova("name")).text = g.get("nova_name", g["name"])
        fl = ET.SubElement(inst, nova("flavor"), name=g["flavor"])
        ET.SubElement(fl, nova("memory")).text = "64"
        ET.SubElement(fl, nova("vcpus")).text = "1"
        if g.get("image"):
            ET.SubElement(inst, nova("root"), type="image", uuid=g["image"])
    ET.SubElement(d, "memory", unit="MiB").text = "64"
    ET.SubElement(d, "vcpu").text = "1"
    os_ = ET.SubElement(d, "os")
    ET.SubElement(os_, "type", arch="x86_64", machine="q35" if emulator else "pc").text = "hvm"
    feats = ET.SubElement(d, "features")
    ET.SubElement(feats, "acpi")
    if g["pmu"] in ("on", "off"):
        ET.SubElement(feats, "pmu", state=g["pmu"])
    devs = ET.SubElement(d, "devices")
    if emulator:
        ET.SubElement(devs, "emulator").text = emulator
    return d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--node")
    ap.add_argument("--dir")
    ap.add_argument("--emulator", help="for --dir: the QEMU binary (domain type qemu)")
    a = ap.parse_args()
    guests = [json.loads(line) for line in sys.stdin if line.strip()]
    if a.node:
        node = ET.Element("node")
        for g in guests:
            node.append(domain(g, "test", None))
        ET.ElementTree(node).write(a.node, encoding="utf-8", xml_declaration=False)
    if a.dir:
        os.makedirs(a.dir, exist_ok=True)
        for g in guests:
            ET.ElementTree(domain(g, "qemu", a.emulator)).write(
                os.path.join(a.dir, g["name"] + ".xml"), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

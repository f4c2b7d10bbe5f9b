#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Generate libvirt domain XML for vpmu's audit tests and benchmarks.

Deterministic: the same arguments always give byte-identical output, on any
Python 3 (no use of the `random` module; a fixed integer hash drives every
choice).

  gen-node.py node --count N --out FILE [--manifest FILE]
      A node file for libvirt's test driver, opened as test:///ABSOLUTE/FILE.
      N domains with a mix of pmu on / off / bare <pmu/> / unset, CPU modes,
      arches, virt types, run states (test:runstate), Nova metadata, and a few
      names that need escaping in JSON and in the Prometheus exposition format.
      --manifest writes one JSON object per line with what each domain must be
      audited as (name, uuid, state, pmu, arch, virt_type, cpu_mode,
      cpu_model, nova_name, nova_flavor): the tests' ground truth.

  gen-node.py corpus --count N --out DIR [--min-kb 3 --max-kb 20]
      N standalone domain documents DIR/dom-NNNNN.xml whose sizes spread
      evenly over [min-kb, max-kb] KB, shaped like what Nova writes (sysinfo,
      Nova metadata, disks, NICs, consoles), for the edit-throughput benchmark.
"""

import argparse
import json
import os
import sys

NOVA_NS = "http://openstack.org/xmlns/libvirt/nova/1.1"
TEST_NS = "http://libvirt.org/schemas/domain/test/1.0"

# libvirt's test driver run states (virDomainState): running, paused, shut off.
STATES = [(1, "running"), (1, "running"), (5, "shutoff"), (3, "paused")]

ARCHES = [
    # arch, machine, weight
    ("x86_64", "pc-q35-7.2", 6),
    ("aarch64", "virt", 3),
    ("ppc64le", "pseries", 1),
]
CPU_MODELS = {
    "x86_64": ["Skylake-Server-IBRS", "EPYC-Rome", "Cascadelake-Server", "qemu64"],
    "aarch64": ["cortex-a57", "cortex-a72", "max"],
    "ppc64le": ["POWER9", "POWER10"],
}
FLAVORS = ["m1.small", "m1.large", "vran.rt-8", "perf.tenant", 'odd"flavor\\x', "c5.2xlarge"]


def mix(i, salt):
    """A fixed 32-bit integer hash (splitmix-style), Python-version independent."""
    x = (i * 0x9E3779B1 + salt * 0x85EBCA77) & 0xFFFFFFFF
    x ^= x >> 16
    x = (x * 0x7FEB352D) & 0xFFFFFFFF
    x ^= x >> 15
    x = (x * 0x846CA68B) & 0xFFFFFFFF
    x ^= x >> 16
    return x


def esc_text(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def esc_attr(s):
    return esc_text(s).replace('"', "&quot;").replace("'", "&apos;")


def pick_weighted(items, h):
    total = sum(w for *_, w in items)
    h %= total
    for item in items:
        if h < item[-1]:
            return item
        h -= item[-1]
    return items[-1]


def uuid_for(i, salt=0):
    h = [mix(i, 100 + salt + k) for k in range(4)]
    return "%08x-%04x-4%03x-a%03x-%04x%08x" % (
        h[0], h[1] >> 16, h[1] & 0xFFF, h[2] & 0xFFF, h[2] >> 16, h[3])


def spec_for(i):
    """Everything the audit must report for domain i."""
    arch, machine, _ = pick_weighted(ARCHES, mix(i, 1))
    # pmu: about 30% unset, 25% on, 25% off, 20% bare <pmu/> (which means on)
    r = mix(i, 2) % 20
    if r < 6:
        pmu_xml, pmu = None, "unset"
    elif r < 11:
        pmu_xml, pmu = "<pmu state='on'/>", "on"
    elif r < 16:
        pmu_xml, pmu = "<pmu state='off'/>", "off"
    else:
        pmu_xml, pmu = "<pmu/>", "on"
    virt_type = "kvm" if mix(i, 3) % 4 else "qemu"
    c = mix(i, 4) % 5
    models = CPU_MODELS[arch]
    if c == 0:
        cpu_mode, cpu_model = None, None
    elif c == 1:
        cpu_mode, cpu_model = "host-passthrough", None
    elif c == 2:
        cpu_mode, cpu_model = "host-model", None
    else:
        cpu_mode, cpu_model = "custom", models[mix(i, 5) % len(models)]
    runstate, state = STATES[mix(i, 6) % len(STATES)]
    name = "inst-%05d" % i
    # A few names that must be escaped in JSON and Prometheus label values.
    if i % 997 == 13:
        name = 'inst-%05d "quoted" back\\slash' % i
    elif i % 991 == 17:
        name = "inst-%05d-\u00e9t\u00e9-\u5b9e\u4f8b" % i
    nova_name = nova_flavor = None
    if mix(i, 7) % 5 < 3:
        nova_name = "tenant-app-%d" % i
        if i % 89 == 5:
            nova_name = 'app "%d" <&> \\ tab\there\nsecond line' % i
        nova_flavor = FLAVORS[mix(i, 8) % len(FLAVORS)]
    return {
        "name": name,
        "uuid": uuid_for(i),
        "state": state,
        "runstate": runstate,
        "pmu": pmu,
        "pmu_xml": pmu_xml,
        "arch": arch,
        "machine": machine,
        "virt_type": virt_type,
        "cpu_mode": cpu_mode,
        "cpu_model": cpu_model,
        "nova_name": nova_name,
        "nova_flavor": nova_flavor,
    }


def nova_metadata(s, i, extra_props=0):
    if s["nova_name"] is None:
        return ""
    props = "".join(
        '\n          <nova:property name="prop%d">value-%d-%d</nova:property>' % (k, i, k)
        for k in range(extra_props))
    return """  <metadata>
    <nova:instance xmlns:nova="%s">
      <nova:package version="27.1.0"/>
      <nova:name>%s</nova:name>
      <nova:creationTime>2024-05-%02d 10:%02d:%02d</nova:creationTime>
      <nova:flavor name="%s">
        <nova:memory>4096</nova:memory>
        <nova:disk>40</nova:disk>
        <nova:swap>0</nova:swap>
        <nova:ephemeral>0</nova:ephemeral>
        <nova:vcpus>2</nova:vcpus>
        <nova:extraSpecs>%s
        </nova:extraSpecs>
      </nova:flavor>
      <nova:owner>
        <nova:user uuid="%s">demo</nova:user>
        <nova:project uuid="%s">demo</nova:project>
      </nova:owner>
      <nova:root type="image" uuid="%s"/>
      <nova:ports>
        <nova:port uuid="%s">
          <nova:ip type="fixed" address="10.%d.%d.%d" ipVersion="4"/>
        </nova:port>
      </nova:ports>
    </nova:instance>
  </metadata>
""" % (NOVA_NS, esc_text(s["nova_name"]), 1 + i % 28, i % 60, (i * 7) % 60,
       esc_attr(s["nova_flavor"]), props, uuid_for(i, 1), uuid_for(i, 2),
       uuid_for(i, 3), uuid_for(i, 4), (i >> 16) & 255, (i >> 8) & 255, i & 255)


def disk_xml(i, k):
    dev = "vd" + chr(ord("a") + k % 26) + ("" if k < 26 else str(k // 26))
    return """    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' cache='none' discard='unmap'/>
      <source file='/var/lib/nova/instances/%s/disk%s'/>
      <target dev='%s' bus='virtio'/>
    </disk>
""" % (uuid_for(i), "" if k == 0 else ".%d" % k, dev)


def nic_xml(i, k):
    return """    <interface type='ethernet'>
      <mac address='fa:16:3e:%02x:%02x:%02x'/>
      <target dev='tap%08x-%02d'/>
      <model type='virtio'/>
      <driver name='vhost' rx_queue_size='512'/>
      <mtu size='1442'/>
    </interface>
""" % ((i >> 8) & 255, i & 255, k & 255, mix(i, 9), k)


def domain_xml(i, s, node, disks=1, nics=1, extra_props=0):
    test_ns = " xmlns:test='%s'" % TEST_NS if node else ""
    features = "    <acpi/>\n    <apic/>\n" if s["arch"] == "x86_64" else "    <acpi/>\n"
    if s["arch"] == "aarch64":
        features += "    <gic version='3'/>\n"
    if s["pmu_xml"]:
        features += "    %s\n" % s["pmu_xml"]
    if s["cpu_mode"] is None:
        cpu = ""
    elif s["cpu_model"] is None:
        cpu = "  <cpu mode='%s'>\n    <topology sockets='1' dies='1' cores='2' threads='1'/>\n  </cpu>\n" % s["cpu_mode"]
    else:
        cpu = ("  <cpu mode='custom' match='exact'>\n    <model fallback='forbid'>%s</model>\n"
               "    <topology sockets='1' dies='1' cores='2' threads='1'/>\n  </cpu>\n" % s["cpu_model"])
    devices = "".join(disk_xml(i, k) for k in range(disks))
    devices += "".join(nic_xml(i, k) for k in range(nics))
    runstate = "  <test:runstate>%d</test:runstate>\n" % s["runstate"] if node else ""
    return """<domain type='%s'%s>
  <name>%s</name>
  <uuid>%s</uuid>
%s  <memory unit='KiB'>4194304</memory>
  <currentMemory unit='KiB'>4194304</currentMemory>
  <vcpu placement='static'>2</vcpu>
  <cputune>
    <shares>2048</shares>
  </cputune>
  <sysinfo type='smbios'>
    <system>
      <entry name='manufacturer'>OpenStack Foundation</entry>
      <entry name='product'>OpenStack Nova</entry>
      <entry name='version'>27.1.0</entry>
      <entry name='serial'>%s</entry>
      <entry name='uuid'>%s</entry>
      <entry name='family'>Virtual Machine</entry>
    </system>
  </sysinfo>
  <os>
    <type arch='%s' machine='%s'>hvm</type>
    <boot dev='hd'/>
    <smbios mode='sysinfo'/>
  </os>
  <features>
%s  </features>
%s  <clock offset='utc'>
    <timer name='rtc' tickpolicy='catchup'/>
  </clock>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
%s    <serial type='pty'>
      <log file='/var/lib/nova/instances/%s/console.log' append='off'/>
      <target port='0'/>
    </serial>
    <console type='pty'>
      <target type='serial' port='0'/>
    </console>
    <input type='tablet' bus='usb'/>
    <graphics type='vnc' port='-1' autoport='yes' listen='0.0.0.0'/>
    <video>
      <model type='virtio' heads='1' primary='yes'/>
    </video>
    <memballoon model='virtio'>
      <stats period='10'/>
    </memballoon>
    <rng model='virtio'>
      <backend model='random'>/dev/urandom</backend>
    </rng>
  </devices>
%s</domain>
""" % (s["virt_type"], test_ns, esc_text(s["name"]), s["uuid"],
       nova_metadata(s, i, extra_props), s["uuid"], s["uuid"], s["arch"], s["machine"],
       features, cpu, devices, s["uuid"], runstate)


def manifest_entry(s):
    keys = ["name", "uuid", "state", "pmu", "arch", "virt_type", "cpu_mode", "cpu_model",
            "nova_name", "nova_flavor"]
    return {k: s[k] for k in keys}


def gen_node(args):
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("<node>\n")
        for i in range(args.count):
            f.write(domain_xml(i, spec_for(i), node=True))
        f.write("</node>\n")
    os.replace(tmp, args.out)
    if args.manifest:
        with open(args.manifest, "w", encoding="utf-8") as f:
            for i in range(args.count):
                f.write(json.dumps(manifest_entry(spec_for(i)), sort_keys=True) + "\n")


def gen_corpus(args):
    os.makedirs(args.out, exist_ok=True)
    lo, hi = args.min_kb * 1024, args.max_kb * 1024
    for i in range(args.count):
        target = lo + (hi - lo) * i // max(1, args.count - 1)
        s = spec_for(i)
        if s["nova_name"] is None:  # a corpus of Nova guests: always metadata
            s["nova_name"], s["nova_flavor"] = "tenant-app-%d" % i, FLAVORS[i % len(FLAVORS)]
        disks, nics, props = 1, 1, 0
        doc = domain_xml(i, s, node=False, disks=disks, nics=nics, extra_props=props)
        # Grow with the things real guests have more of, until the target size.
        while len(doc.encode()) < target:
            step = len(doc) % 3
            if step == 0 and disks < 40:
                disks += 1
            elif step == 1 and nics < 24:
                nics += 1
            else:
                props += 4
            doc = domain_xml(i, s, node=False, disks=disks, nics=nics, extra_props=props)
        with open(os.path.join(args.out, "dom-%05d.xml" % i), "w", encoding="utf-8") as f:
            f.write(doc)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="mode", required=True)
    n = sub.add_parser("node", help="a test-driver node file")
    n.add_argument("--count", type=int, required=True)
    n.add_argument("--out", required=True)
    n.add_argument("--manifest")
    c = sub.add_parser("corpus", help="standalone domain documents")
    c.add_argument("--count", type=int, required=True)
    c.add_argument("--out", required=True)
    c.add_argument("--min-kb", type=int, default=3)
    c.add_argument("--max-kb", type=int, default=20)
    args = p.parse_args()
    if args.count < 0:
        p.error("--count must be >= 0")
    if args.mode == "node":
        gen_node(args)
    else:
        gen_corpus(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Differential test: vpmu against Nova's own code.

The oracle is Nova itself, as Debian's python3-nova installs it:

  nova.virt.hardware.get_pmu_constraint(flavor, image_meta)
      with a real nova.objects.Flavor (extra_specs {"hw:pmu": ...}) and a
      real nova.objects.ImageMeta built by ImageMeta.from_dict() from the
      image's properties, objects registered as Nova's own unit tests do
      (objects.register_all());
  nova.virt.libvirt.config.LibvirtConfigGuestFeaturePMU(pmu).format_dom()
      for the <pmu> element Nova's libvirt driver writes.

For every combination of a flavor value, an image value (strings, and the
JSON booleans true/false) and a JSON shape on each side (inline options,
Nova API, `openstack flavor show`, Glance v2, `openstack image show`, ...),
`vpmu -o json decide` must give Nova's decision (or exit 4 where Nova raises
FlavorImageConflict), and `vpmu xml --domain` must write the element Nova
writes (none when Nova returns None).

vpmu differs from Nova on purpose only where INTENDED below says so, each
entry also stated in docs/reference.md ("Differences from Nova"): there vpmu
refuses (exit 3) a value that Nova coerces.  Every listed value must really
differ (Nova accepts it; a stale entry fails), and any other difference
fails.  TAP on stdout.
"""

import concurrent.futures
import itertools
import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

try:
    from lxml import etree
    from nova import exception as nova_exception
    from nova import objects
    from nova.virt import hardware
    from nova.virt.libvirt import config as vconfig
    from oslo_utils import strutils
except ImportError as e:
    # A skip, which scripts/run-tests names and fails on: CI installs it.
    print("1..0 # SKIP Nova's code is not importable (Debian: python3-nova): %s" % e)
    sys.exit(0)

objects.register_all()  # as Nova's own unit tests do (nova/tests/unit/__init__.py)

# ---- the values ---------------------------------------------------------------------------

# oslo's own word lists, the ones Nova's bool_from_string uses.
WORDS = sorted(strutils.TRUE_STRINGS + strutils.FALSE_STRINGS)

# Flavor extra specs are strings (Nova stores them so).
FLAVOR_VALUES = [None, "1", "true", "on", "yes", "0", "false", "off", "no", "TRUE", "Yes", "oFf",
                 " true ", "\tno\n", "ture", "", "  ", "yes please", "\u00a0true"]
# Image properties: strings, JSON booleans, and JSON numbers.
IMAGE_VALUES = [None, True, False, "TRUE", "no", " on ", "1", "F", "ture", "  ", "2", "None",
                "false\u2003", 1, 0]
# (Every spelling of every word is swept separately, below.)

# The intended differences: vpmu refuses (exit 3) what Nova coerces.  Each is
# stated in docs/reference.md, "Differences from Nova" (the item number).
INTENDED = [
    {
        "id": "unrecognised-string",
        "doc": 1,
        "what": "a string that is none of oslo's words: Nova's boot path "
                "(bool_from_string, not strict; FlexibleBooleanField on the image) "
                "turns it into False, vpmu refuses it",
        "values": ["ture", "", "  ", "2", "yes please", "None"],
    },
    {
        "id": "non-string",
        "doc": 2,
        "what": "a JSON number as hw_pmu: Nova's FlexibleBooleanField coerces it "
                "(1 -> True, 0 -> False), vpmu refuses it",
        "values": [1, 0],
    },
    {
        "id": "unicode-blank",
        "doc": 3,
        "what": "a value padded with Unicode blanks (U+00A0, U+2003): Python's "
                "str.strip() removes them, vpmu strips ASCII blanks only and refuses it",
        "values": ["\u00a0true", "false\u2003"],
    },
]


def intended_for(value):
    """The INTENDED entry that covers VALUE, or None (type-exact: 1 is not True)."""
    for d in INTENDED:
        for v in d["values"]:
            if type(v) is type(value) and v == value:
                return d
    return None


# ---- the shapes ---------------------------------------------------------------------------

def osc_string(key, value):
    # `openstack ... show -f json` of older clients: "key='value', ..."
    return "%s='%s'" % (key, value)


# Each shape: (name, accepts(value), document(value) or None for inline).
FLAVOR_SHAPES = [
    ("inline", lambda v: True, None),
    ("nova-api", lambda v: True,
     lambda v: {"flavor": {"name": "f", "extra_specs": {} if v is None else {"hw:pmu": v}}}),
    ("nova-bare", lambda v: True,
     lambda v: {"name": "f", "extra_specs": {} if v is None else {"hw:pmu": v}}),
    ("osc-properties", lambda v: True,
     lambda v: {"name": "f", "properties": {} if v is None else {"hw:pmu": v}}),
    ("osc-string", lambda v: v is None or "'" not in v,
     lambda v: {"name": "f", "properties": "hw:cpu_policy='shared'" if v is None
                else osc_string("hw:pmu", v) + ", hw:cpu_policy='shared'"}),
]
IMAGE_SHAPES = [
    ("inline", lambda v: v is None or isinstance(v, str), None),
    ("glance-v2", lambda v: True,
     lambda v: dict({"name": "i", "disk_format": "qcow2"}, **({} if v is None else {"hw_pmu": v}))),
    ("osc-properties", lambda v: True,
     lambda v: {"name": "i", "properties": {} if v is None else {"hw_pmu": v}}),
    ("image-wrapper", lambda v: True,
     lambda v: {"image": dict({"name": "i"}, **({} if v is None else {"hw_pmu": v}))}),
]

# ---- Nova ---------------------------------------------------------------------------------

_nova_cache = {}


def nova(flavor_value, image_value):
    """'on' | 'off' | 'unset' | 'conflict' | 'invalid' | 'error: ...' from Nova's code."""
    key = (flavor_value, type(image_value).__name__, image_value)
    if key in _nova_cache:
        return _nova_cache[key]
    specs = {} if flavor_value is None else {"hw:pmu": flavor_value}
    props = {} if image_value is None else {"hw_pmu": image_value}
    try:
        flavor = objects.Flavor(name="f", extra_specs=specs)
        image_meta = objects.ImageMeta.from_dict({"name": "i", "properties": props})
        pmu = hardware.get_pmu_constraint(flavor, image_meta)
        r = "unset" if pmu is None else ("on" if pmu else "off")
    except nova_exception.FlavorImageConflict:
        r = "conflict"
    except (nova_exception.Invalid, ValueError):
        r = "invalid"
    except Exception as e:  # a surprise in the oracle is a failure, not a difference
        r = "error: %s: %s" % (type(e).__name__, e)
    _nova_cache[key] = r
    return r


def nova_element(decision):
    """Nova's <pmu> as (tag, attributes), or None for no element."""
    if decision not in ("on", "off"):
        return None
    dom = vconfig.LibvirtConfigGuestFeaturePMU(decision == "on").format_dom()
    el = ET.fromstring(etree.tostring(dom))
    assert len(el) == 0 and not (el.text or "").strip()
    return el.tag, dict(el.attrib)


# ---- vpmu ---------------------------------------------------------------------------------

BASES = {
    # The domain vpmu edits: without <pmu>, and with each state, so that an
    # unset decision must remove one and on/off must replace one.
    "no-pmu": "<features><acpi/></features>",
    "pmu-on": "<features><acpi/><pmu state='on'/></features>",
    "pmu-off": "<features><acpi/><pmu state='off'/></features>",
}
DOMAIN = """<domain type='kvm'>
  <name>nova-diff</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  %s
  <devices/>
</domain>
"""


class Files:
    """The JSON documents and base domains, each written once."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.paths = {}
        for name, features in BASES.items():
            path = os.path.join(tmp, "domain-%s.xml" % name)
            with open(path, "w") as f:
                f.write(DOMAIN % features)
            self.paths[("base", name)] = path

    def doc(self, side, shape, make, value):
        key = (side, shape, type(value).__name__, value)
        if key not in self.paths:
            path = os.path.join(self.tmp, "%s-%d.json" % (side, len(self.paths)))
            with open(path, "w") as f:
                json.dump(make(value), f)
            self.paths[key] = path
        return self.paths[key]


def vpmu_args(files, fshape, fv, ishape, iv):
    args = []
    fname, _, fmake = fshape
    iname, _, imake = ishape
    if fmake is None:
        if fv is not None:
            args += ["--flavor-spec", "hw:pmu=" + fv, "--flavor-name", "f"]
    else:
        args += ["--flavor", files.doc("flavor", fname, fmake, fv)]
    if imake is None:
        if iv is not None:
            args += ["--image-prop", "hw_pmu=" + iv, "--image-name", "i"]
    else:
        args += ["--image", files.doc("image", iname, imake, iv)]
    return args


def pmu_elements(xml_text):
    root = ET.fromstring(xml_text)
    return [(el.tag, dict(el.attrib), len(el), (el.text or "").strip())
            for el in root.findall("./features/pmu")]


def run_vpmu(vpmu, args, base):
    """(decide rc, decide pmu or None, xml rc, [<pmu> elements] or None, stderr)."""
    d = subprocess.run([vpmu, "-o", "json", "decide"] + args, capture_output=True, text=True)
    pmu = None
    if d.returncode == 0:
        try:
            pmu = json.loads(d.stdout)["pmu"]
        except (ValueError, KeyError, TypeError):
            pmu = "not decide JSON: %r" % d.stdout[:80]
    x = subprocess.run([vpmu, "xml", "--domain", base] + args, capture_output=True, text=True)
    els = None
    if x.returncode == 0:
        try:
            els = pmu_elements(x.stdout)
        except ET.ParseError as e:
            els = "not XML: %s" % e
    elif x.stdout:
        els = "output on failure: %r" % x.stdout[:80]
    return d.returncode, pmu, x.returncode, els, (d.stderr + x.stderr).strip()


# ---- the comparison -----------------------------------------------------------------------

EXIT_INVALID, EXIT_CONFLICT = 3, 4


def judge(fv, iv, got):
    """(None | failure text, intended-difference id or None)."""
    drc, dpmu, xrc, els, err = got
    n = nova(fv, iv)
    if n.startswith("error"):
        return "Nova raised an unexpected %s" % n, None
    diff = intended_for(fv) or intended_for(iv)
    if diff:
        if n == "invalid":
            return ("listed as intended difference '%s', but Nova refuses it too: "
                    "the entry is stale" % diff["id"]), None
        if drc != EXIT_INVALID or xrc != EXIT_INVALID or els is not None:
            return ("intended difference '%s': Nova %s, vpmu should refuse (exit 3) but "
                    "decide exit %d (%s), xml exit %d (%s): %s"
                    % (diff["id"], n, drc, dpmu, xrc, els, err)), None
        return None, diff["id"]
    if n == "invalid":
        want_rc, want_pmu = EXIT_INVALID, None
    elif n == "conflict":
        want_rc, want_pmu = EXIT_CONFLICT, None
    else:
        want_rc, want_pmu = 0, n
    if drc != want_rc or dpmu != want_pmu:
        return ("Nova %s, vpmu decide exit %d pmu %s: %s" % (n, drc, dpmu, err)), None
    if want_rc:
        if xrc != want_rc or els is not None:
            return "Nova %s, vpmu xml exit %d (%s): %s" % (n, xrc, els, err), None
        return None, None
    want_el = nova_element(n)
    want_els = [] if want_el is None else [(want_el[0], want_el[1], 0, "")]
    if xrc != 0 or els != want_els:
        return ("Nova writes %s, vpmu xml exit %d wrote %s: %s"
                % (want_els or "no <pmu>", xrc, els, err)), None
    return None, None


def case_variants(word):
    yield word
    yield word.upper()
    yield word[:1].upper() + word[1:]
    yield "".join(c.upper() if i % 2 else c for i, c in enumerate(word))


BLANKS = [("", ""), (" ", ""), ("", "  "), ("\t", "\n"), (" \r\n", "\v\f ")]


def spellings():
    out = []
    for w in WORDS:
        for i, v in enumerate(case_variants(w)):
            b = BLANKS[(len(out) + i) % len(BLANKS)]
            out.append(b[0] + v + b[1])
    return out


def main():
    vpmu = os.environ.get("VPMU_BIN") or (sys.argv[1] if len(sys.argv) > 1 else None)
    if not vpmu:
        print("Bail out! VPMU_BIN is not set")
        return 1
    groups = []  # (description, [(fv, iv, fshape, ishape)])
    for fshape, ishape in itertools.product(FLAVOR_SHAPES, IMAGE_SHAPES):
        combos = [(fv, iv, fshape, ishape)
                  for fv in FLAVOR_VALUES if fshape[1](fv)
                  for iv in IMAGE_VALUES if ishape[1](iv)]
        groups.append(("flavor %s x image %s" % (fshape[0], ishape[0]), combos))
    # Every spelling of every word, on each side alone and against the other
    # side saying the opposite.
    sweep = []
    for s in spellings():
        on = strutils.bool_from_string(s)
        other = "false" if on else "true"
        for fshape in (FLAVOR_SHAPES[0], FLAVOR_SHAPES[1]):
            sweep += [(s, None, fshape, IMAGE_SHAPES[0]), (s, other, fshape, IMAGE_SHAPES[0])]
        for ishape in (IMAGE_SHAPES[0], IMAGE_SHAPES[1]):
            sweep += [(None, s, FLAVOR_SHAPES[0], ishape), (other, s, FLAVOR_SHAPES[0], ishape)]
    groups.append(("every spelling of %d words, alone and in conflict" % len(WORDS), sweep))

    total = sum(len(c) for _, c in groups)
    print("# %d combinations; oracle: %s, %s" % (total, hardware.__file__, vconfig.__file__))
    failures = 0
    seen_diffs = {d["id"]: 0 for d in INTENDED}
    n = 0
    with tempfile.TemporaryDirectory(prefix="vpmu-nova-") as tmp:
        files = Files(tmp)
        base_names = list(BASES)
        jobs = []
        for gi, (_, combos) in enumerate(groups):
            for ci, (fv, iv, fs, ish) in enumerate(combos):
                base = files.paths[("base", base_names[(gi + ci) % len(base_names)])]
                jobs.append((gi, fv, iv, fs, ish, vpmu_args(files, fs, fv, ish, iv), base))
        workers = max(2, 2 * (os.cpu_count() or 1))
        with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(lambda j: run_vpmu(vpmu, j[5], j[6]), jobs))
        per_group = [[0, 0, []] for _ in groups]  # agree, intended, failures
        for (gi, fv, iv, fs, ish, args, base), got in zip(jobs, results):
            bad, diff = judge(fv, iv, got)
            g = per_group[gi]
            if bad:
                g[2].append("flavor %s hw:pmu=%r, image %s hw_pmu=%r: %s"
                            % (fs[0], fv, ish[0], iv, bad))
            elif diff:
                g[1] += 1
                seen_diffs[diff] += 1
            else:
                g[0] += 1
        for (desc, combos), (agree, intended, bad) in zip(groups, per_group):
            n += 1
            if bad:
                failures += 1
                print("not ok %d - %s: %d differ from Nova" % (n, desc, len(bad)))
                for line in bad[:20]:
                    print("#   %s" % line.encode("unicode_escape").decode())
                if len(bad) > 20:
                    print("#   ... and %d more" % (len(bad) - 20))
            else:
                print("ok %d - %s: %d agree with Nova, %d intended differences"
                      % (n, desc, agree, intended))
    for d in INTENDED:
        n += 1
        if seen_diffs[d["id"]]:
            print("ok %d - intended difference '%s' (docs/reference.md, Differences from "
                  "Nova, item %d) seen %d times: %s"
                  % (n, d["id"], d["doc"], seen_diffs[d["id"]], d["what"]))
        else:
            failures += 1
            print("not ok %d - intended difference '%s' never exercised" % (n, d["id"]))
    # The document states each difference.
    ref = open(os.path.join(os.environ.get("VPMU_SRCDIR", "."), "docs", "reference.md")).read()
    section = ref.split("## Differences from Nova", 1)[-1]
    for d in INTENDED:
        n += 1
        if re.search(r"^%d\. " % d["doc"], section, re.M):
            print("ok %d - docs/reference.md states difference %d ('%s')" % (n, d["doc"], d["id"]))
        else:
            failures += 1
            print("not ok %d - docs/reference.md has no item %d for '%s'" % (n, d["doc"], d["id"]))
    print("1..%d" % n)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

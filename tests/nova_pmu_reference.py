#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A reference for vpmu's decision: Nova's get_pmu_constraint() semantics.

Nova (nova/virt/hardware.py, Train and later; FACTS.md section 1) reads the
flavor extra spec hw:pmu and the image property hw_pmu, each through oslo's
strutils.bool_from_string, and

  - returns the flavor's value when it is set, else the image's, else None;
  - raises FlavorImageConflict when both are set and differ.

This reference calls the REAL oslo_utils.strutils.bool_from_string (Debian
package python3-oslo.utils) with strict=True, which is what Nova's API
validator for hw:pmu does; vpmu is strict everywhere (Nova's boot path is
lenient and turns an unknown string into False: the documented difference).

Written for vpmu; not Nova's code.

  nova_pmu_reference.py --check VPMU_BINARY
      runs `vpmu -o json decide` on every combination below and compares.
"""

import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile

from oslo_utils import strutils


class Invalid(Exception):
    pass


class Conflict(Exception):
    pass


def _parse(value):
    """None for absent, else True/False through oslo strict; Invalid otherwise."""
    if value is None:
        return None
    try:
        return strutils.bool_from_string(value, strict=True)
    except ValueError as e:
        raise Invalid(str(e))


def get_pmu_constraint(flavor_value, image_value):
    """('on'|'off'|'unset', source); raises Invalid or Conflict.

    flavor_value: the raw hw:pmu string or None.  image_value: the raw hw_pmu
    (a string, a bool for a JSON boolean) or None.
    """
    flavor = _parse(flavor_value)
    image = _parse(image_value)
    if flavor is not None and image is not None and flavor != image:
        raise Conflict("flavor hw:pmu=%r conflicts with image hw_pmu=%r" %
                       (flavor_value, image_value))
    result = flavor if flavor is not None else image
    if flavor is None and image is None:
        source = "none"
    elif image is None:
        source = "flavor"
    elif flavor is None:
        source = "image"
    else:
        source = "flavor+image"
    return ("unset" if result is None else ("on" if result else "off")), source


# ---- the comparison -------------------------------------------------------

WORDS = list(strutils.TRUE_STRINGS) + list(strutils.FALSE_STRINGS)
BLANKS = [("", ""), (" ", ""), ("", "  "), ("\t", "\n"), (" \r\n", "\v\f ")]
INVALID = ["ture", "2", "", "  ", "yes please", "tru", "onn", "-1", "1.0",
           "None", "enabled"]
# Valid for oslo, refused by vpmu: Python's str.strip() removes Unicode
# blanks and the C0 separators, vpmu only ASCII blanks (docs/reference.md,
# "Differences from Nova").
STRICTER = ["\u00a0true", "false\u2003", "\u3000yes", "\x1cno", "on\x1f",
            "\u2028off", "\x85n"]


def case_variants(word):
    yield word
    yield word.upper()
    yield word[:1].upper() + word[1:]
    yield "".join(c.upper() if i % 2 else c for i, c in enumerate(word))


def all_spellings():
    """Every word in every case variant, each with a blank pair."""
    out = []
    for w in WORDS:
        for i, v in enumerate(case_variants(w)):
            b = BLANKS[(len(out) + i) % len(BLANKS)]
            out.append(b[0] + v + b[1])
    return out


def run_vpmu(vpmu, flavor_value, image_value, tmpdir):
    args = [vpmu, "-o", "json", "decide", "--flavor-name", "f", "--image-name", "i"]
    if flavor_value is not None:
        args += ["--flavor-spec", "hw:pmu=" + flavor_value]
    if isinstance(image_value, bool):
        path = os.path.join(tmpdir, "image-%s.json" % str(image_value).lower())
        if not os.path.exists(path):
            with open(path + ".tmp", "w") as f:
                json.dump({"name": "i", "hw_pmu": image_value}, f)
            os.rename(path + ".tmp", path)
        args += ["--image", path]
    elif image_value is not None:
        args += ["--image-prop", "hw_pmu=" + image_value]
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode == 0:
        try:
            d = json.loads(p.stdout)
            return 0, (d["pmu"], d["source"]), p.stderr
        except (ValueError, KeyError, TypeError):
            return 0, ("not decide JSON", p.stdout[:80]), p.stderr
    return p.returncode, None, p.stderr


def expected(flavor_value, image_value):
    try:
        return 0, get_pmu_constraint(flavor_value, image_value)
    except Invalid:
        return 3, None
    except Conflict:
        return 4, None


def check(vpmu):
    spellings = all_spellings()
    flavor_values = [None] + spellings + INVALID
    image_values = [None, True, False] + spellings + INVALID
    pairs = []
    # Every flavor value against a representative image set, and back.
    reps = [None, True, False, "true", "FALSE", " yes ", "0", "ture", ""]
    for fv in flavor_values:
        for iv in reps:
            pairs.append((fv, iv))
    for iv in image_values:
        for fv in [None, "true", " Off ", "1", "n", "ture"]:
            pairs.append((fv, iv))
    failures = 0
    runs = 0
    with tempfile.TemporaryDirectory(prefix="vpmu-nova-") as tmp:
        # The JSON image files first, so that parallel runs only read them.
        run_vpmu(vpmu, None, True, tmp)
        run_vpmu(vpmu, None, False, tmp)
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(lambda p: run_vpmu(vpmu, p[0], p[1], tmp), pairs))
        for (fv, iv), (rc, got, err) in zip(pairs, results):
            want_rc, want = expected(fv, iv)
            runs += 1
            if rc != want_rc or got != want:
                failures += 1
                print("MISMATCH flavor hw:pmu=%r image hw_pmu=%r: nova %s %s, vpmu %s %s %s"
                      % (fv, iv, want_rc, want, rc, got, err.strip()))
        # The documented difference: oslo accepts these, vpmu refuses (exit 3).
        for v in STRICTER:
            for fv, iv in ((v, None), (None, v)):
                want_rc, _ = expected(fv, iv)
                rc, _, err = run_vpmu(vpmu, fv, iv, tmp)
                runs += 1
                if want_rc != 0 or rc != 3:
                    failures += 1
                    print("STRICTER %r: expected oslo to accept (got %s) and vpmu to refuse "
                          "with 3 (got %s) %s" % (v, want_rc, rc, err.strip()))
    print("%d runs, %d mismatches" % (runs, failures))
    return 1 if failures else 0


def main(argv):
    if len(argv) == 3 and argv[1] == "--check":
        return check(argv[2])
    print(__doc__.strip())
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

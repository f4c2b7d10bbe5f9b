#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The shared libraries export exactly their API (issue 12 item 1).

For each library: the symbols `nm -D --defined-only` lists (functions and
data, not the version node itself) must equal the global symbols of its
version script, and every one must carry the version VPMU_0.1.  Across both:
the version scripts together must list exactly the functions declared
VPMU_EXPORT in include/vpmu/*.h, so a new API function that was not added to
a script (and so is not exported) fails here, as does a script entry for a
function that no longer exists.  No internal helper (util*.c) and no test
hook may be exported.

Usage: check-exports.py SRCDIR LIB.so:SCRIPT.sym [LIB.so:SCRIPT.sym ...]
TAP output.
"""

import glob
import os
import re
import subprocess
import sys


def script_symbols(path):
    text = re.sub(r"#[^\n]*", "", open(path).read())
    nodes = re.findall(r"(VPMU_[0-9.]+)\s*\{(.*?)\}\s*[A-Z0-9_.]*\s*;", text, re.S)
    syms = {}
    for node, body in nodes:
        glob_part = re.search(r"global:(.*?)(local:|$)", body, re.S)
        for s in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*;", glob_part.group(1) if glob_part else ""):
            syms[s] = node
    return nodes, syms


def exported(lib):
    out = subprocess.run(["nm", "-D", "--defined-only", "--with-symbol-versions", lib],
                         capture_output=True, text=True, check=True).stdout
    syms = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) < 3 or f[1] == "A":  # the version node's own symbol
            continue
        name, _, ver = f[2].partition("@")
        syms[name] = ver.lstrip("@")
    return syms


def declared(srcdir):
    names = set()
    for h in glob.glob(os.path.join(srcdir, "include", "vpmu", "*.h")):
        text = re.sub(r"/\*.*?\*/", "", open(h).read(), flags=re.S)
        text = re.sub(r"^\s*#.*$", "", text, flags=re.M)
        for decl in re.findall(r"VPMU_EXPORT\b([^;{]*?)\(", text, re.S):
            m = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*$", decl)
            if m:
                names.add(m.group(1))
    return names


def main():
    srcdir = sys.argv[1]
    pairs = [a.split(":", 1) for a in sys.argv[2:]]
    n = 0
    failed = 0

    def check(ok, what, detail=()):
        nonlocal n, failed
        n += 1
        print("%s %d - %s" % ("ok" if ok else "not ok", n, what))
        for d in detail:
            print("#   " + d)
        failed += 0 if ok else 1

    all_script = set()
    for lib, script in pairs:
        base = os.path.basename(lib)
        nodes, want = script_symbols(script)
        all_script |= set(want)
        got = exported(lib)
        check(bool(want) and [x[0] for x in nodes] == ["VPMU_0.1"],
              "%s: the version script has one node, VPMU_0.1, with symbols" % os.path.basename(script))
        extra = sorted(set(got) - set(want))
        missing = sorted(set(want) - set(got))
        check(not extra, "%s exports nothing that %s does not list" % (base, os.path.basename(script)),
              ["exported but not in the script: " + " ".join(extra)] if extra else [])
        check(not missing, "%s exports everything %s lists" % (base, os.path.basename(script)),
              ["in the script but not exported (defined nowhere?): " + " ".join(missing)]
              if missing else [])
        badver = sorted(s for s, v in got.items() if s in want and v != want[s])
        check(not badver, "%s: every export carries its node's version" % base,
              ["wrong version: " + " ".join("%s@%s" % (s, got[s]) for s in badver)] if badver else [])
        internal = sorted(s for s in got if not s.startswith("vpmu_") or "_test_" in s)
        check(not internal, "%s exports no internal helper and no test hook" % base,
              [" ".join(internal)] if internal else [])
    decl = declared(srcdir)
    undeclared = sorted(all_script - decl)
    unlisted = sorted(decl - all_script)
    check(not unlisted, "every VPMU_EXPORT function in include/vpmu/ is in a version script",
          ["add to src/lib/libvpmu.sym or libvpmu-virt.sym: " + " ".join(unlisted)] if unlisted else [])
    check(not undeclared, "every version-script symbol is declared VPMU_EXPORT in include/vpmu/",
          ["not in the public headers: " + " ".join(undeclared)] if undeclared else [])
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The docs name only what the tree holds (issue 12: no citation of a file
that is not in the repository).

1. Every project path named in docs/*.md and README.md (src/..., tests/...,
   include/..., fuzz/..., bench/..., data/..., docs/..., scripts/...,
   examples/..., debian/...) exists.  Globs (`tests/test-*.c`,
   `src/lib/util.[ch]`), brace lists (`{on,off}`) and the placeholder NAME
   (`src/cli/cmd-NAME.c`) must match at least one file.  Paths in libvirt's
   own tree, which docs/facts.md cites, are listed in EXTERNAL.
2. Every function named as `name()` in docs/architecture.md is called or
   defined somewhere in src/ or include/ (system calls vpmu deliberately
   does not make are listed in NOT_CALLED).
3. Every `facts.md §N` anywhere in the tree names a section heading
   `## §N` of docs/facts.md, and every quoted label after `facts.md` on the
   same line (`docs/facts.md, "Placement"`) occurs in docs/facts.md.

Environment: VPMU_SRCDIR (the source tree; default: this file's parent's
parent).  Prints TAP.
"""

import glob
import os
import re
import sys

SRCDIR = os.environ.get("VPMU_SRCDIR") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

ROOTS = ("src", "tests", "include", "fuzz", "bench", "data", "docs", "scripts", "examples", "debian")

# Paths of libvirt's tree that docs/facts.md cites as sources; not ours.
EXTERNAL = (
    "src/conf/",
    "src/qemu/",
    "src/libvirt_public.syms",
    "docs/formatdomain.rst",
    "docs/schemas/",
    "tests/qemuxml2argvdata/",
)

PATH_RE = re.compile(r"(?<![A-Za-z0-9_./-])((?:%s)/[][A-Za-z0-9_.*/{},-]*)" % "|".join(ROOTS))
SECTION_REF_RE = re.compile(r"facts\.md[ ,]*((?:§\d+(?:\s*(?:-|/|,|and)\s*)?)+)")
SECTION_NUM_RE = re.compile(r"§(\d+)")
LABEL_LINE_RE = re.compile(r"facts\.md(.*)$")
QUOTED_RE = re.compile(r'"([^"]{3,})"')

# Functions docs/architecture.md names because vpmu does not call them.
NOT_CALLED = {"umask"}
FUNC_RE = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)\(\)`")

# Directories never scanned for citations (build trees, git metadata).
SKIP_DIRS = {".git", "subprojects"}


def expand_braces(p):
    m = re.search(r"\{([^{}]*)\}", p)
    if not m:
        return [p]
    out = []
    for alt in m.group(1).split(","):
        out.extend(expand_braces(p[: m.start()] + alt + p[m.end() :]))
    return out


def path_exists(p):
    for q in expand_braces(p.replace("NAME", "*")):
        if any(ch in q for ch in "*?["):
            if glob.glob(os.path.join(SRCDIR, q)):
                return True
        elif os.path.exists(os.path.join(SRCDIR, q)):
            return True
    return False


def clean(p):
    p = re.sub(r":\d+(-\d+)?$", "", p)
    p = p.rstrip(".,;:)")
    while p.endswith("]") and p.count("]") > p.count("["):
        p = p[:-1]  # the end of a Markdown link text, not a glob
    return p.rstrip(".,;:)")


def doc_files():
    files = sorted(glob.glob(os.path.join(SRCDIR, "docs", "*.md")))
    readme = os.path.join(SRCDIR, "README.md")
    if os.path.exists(readme):
        files.append(readme)
    return files


def tree_files():
    for top, dirs, files in os.walk(SRCDIR):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.startswith("build")]
        for f in files:
            if f.endswith((".c", ".h", ".md", ".py", ".sh", ".build", ".sym", ".txt")):
                yield os.path.join(top, f)


def main():
    results = []

    docs = doc_files()
    missing = []
    named = 0
    for f in docs:
        rel = os.path.relpath(f, SRCDIR)
        with open(f, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                for m in PATH_RE.finditer(line):
                    p = clean(m.group(1))
                    if p.rstrip("/") in ROOTS or p.startswith(EXTERNAL):
                        continue
                    named += 1
                    if not path_exists(p):
                        missing.append("%s:%d: %s" % (rel, lineno, p))
    results.append(("every path named in docs/*.md and README.md exists (%d named)" % named, missing))

    code = ""
    for top in ("src", "include"):
        for d, _, files in os.walk(os.path.join(SRCDIR, top)):
            for f in files:
                if f.endswith((".c", ".h")):
                    with open(os.path.join(d, f), encoding="utf-8", errors="replace") as fh:
                        code += fh.read()
    unknown, funcs = [], 0
    arch = os.path.join(SRCDIR, "docs", "architecture.md")
    with open(arch, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            for name in FUNC_RE.findall(line):
                funcs += 1
                pat = re.escape(name).replace("NAME", "[a-z_]+")  # cmd_NAME(): some command
                if name not in NOT_CALLED and not re.search(r"\b%s\s*\(" % pat, code):
                    unknown.append("docs/architecture.md:%d: %s()" % (lineno, name))
    results.append(("every function docs/architecture.md names is in src/ or include/ (%d named)" % funcs, unknown))

    facts_path = os.path.join(SRCDIR, "docs", "facts.md")
    with open(facts_path, encoding="utf-8") as fh:
        facts = fh.read()
    sections = set(re.findall(r"^## §(\d+)\b", facts, re.M))
    facts_flat = re.sub(r"[\s*`]+", " ", facts).lower()

    bad_sections, bad_labels = [], []
    refs = 0
    for f in tree_files():
        rel = os.path.relpath(f, SRCDIR)
        try:
            with open(f, encoding="utf-8") as fh:
                lines = fh.readlines()
        except (UnicodeDecodeError, OSError):
            continue
        for lineno, line in enumerate(lines, 1):
            if "facts.md" not in line:
                continue
            for m in SECTION_REF_RE.finditer(line):
                for n in SECTION_NUM_RE.findall(m.group(1)):
                    refs += 1
                    if n not in sections:
                        bad_sections.append("%s:%d: §%s" % (rel, lineno, n))
            if rel == os.path.join("docs", "facts.md") or rel == os.path.join("tests", "test-doc-paths.py"):
                continue
            lm = LABEL_LINE_RE.search(line)
            for label in QUOTED_RE.findall(lm.group(1)) if lm else []:
                if re.sub(r"\s+", " ", label).lower() not in facts_flat:
                    bad_labels.append('%s:%d: "%s"' % (rel, lineno, label))
    results.append(("every facts.md §N cited names a section of docs/facts.md (%d cited)" % refs, bad_sections))
    results.append(("every quoted facts.md label occurs in docs/facts.md", bad_labels))

    print("1..%d" % len(results))
    failed = 0
    for i, (name, problems) in enumerate(results, 1):
        if problems:
            failed += 1
            print("not ok %d - %s" % (i, name))
            for p in problems:
                print("#   %s" % p)
        else:
            print("ok %d - %s" % (i, name))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

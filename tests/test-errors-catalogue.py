#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Check that every message vpmu can print is in docs/errors.md.

The extractor reads every C file under src/ and collects the format string of
each call that produces a user-visible message:

  vpmu_error_set(error, CODE, FMT, ...)      library errors (exit = CODE)
  vpmu_error_prefix(error, FMT, ...)         context put in front of an error
  cli_usage(cmd, FMT, ...)                   usage errors (exit 2)
  cli_warn(g, FMT, ...)                      warnings (no exit)
  refuse(ctxt, WHAT)                         domxml's parser refusals (exit 3)
  fprintf(stderr, "vpmu: ...", ...)          messages the CLI prints itself
  any function declared with a `vpmu_error **` parameter and
  __attribute__((format(printf, N, M))) with M != 0: a project-local wrapper
  around vpmu_error_set, FMT is its N-th argument.

A format is the concatenation of adjacent string literals; identifiers between
them are resolved through `#define NAME "literal"` found in include/ and src/.
`cond ? "a" : "b"` yields both.  A format with no letters at all (e.g. "%s",
"%s:%d: %s") only forwards a foreign library's text and is not catalogued.
A call whose format cannot be read as literals fails the test: make it literal.

Each format must appear verbatim inside a code span of docs/errors.md (C
escapes \\" \\\\ \\' decoded, others kept as written).  For vpmu_error_set with a
literal VPMU_ERR_* code and for cli_usage, the catalogue line that holds the
span must also say "exit N" with the right N.

Usage: test-errors-catalogue.py [--srcdir DIR] [--list | --missing]
  --list     print every extracted message (file:line, exit, format)
  --missing  print catalogue stubs for messages that lack an entry
Exit 0 when complete, 1 when an entry is missing or a format is unreadable.
"""

import argparse
import os
import re
import sys

CODES = {
    "VPMU_ERR_RUNTIME": 1,
    "VPMU_ERR_USAGE": 2,
    "VPMU_ERR_INVALID": 3,
    "VPMU_ERR_CONFLICT": 4,
}

# function name -> (index of the format argument, index of the code argument or
# None, fixed exit code or None)
KNOWN = {
    "vpmu_error_set": (2, 1, None),
    "vpmu_error_prefix": (1, None, None),
    "cli_usage": (1, None, 2),
    "cli_warn": (1, None, 0),
    # domxml-parse.c: the parser's refusals (external entities, DTDs, depth), whose
    # literal becomes "FILE:LINE: what" with exit 3.
    "refuse": (1, None, 3),
}
# Message functions that take a plain string, not a printf format: a variable
# argument there forwards a message built elsewhere.
NOT_PRINTF = {"refuse"}


def strip_comments(text):
    """Blank out comments, keeping string/char literals and line numbers."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "/" and i + 1 < n and text[i + 1] == "*":
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "/" and i + 1 < n and text[i + 1] == "/":
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def split_args(text, start):
    """text[start] is '('; return (list of argument strings, index after ')')."""
    depth = 0
    args, cur = [], []
    i, n = start, len(text)
    while i < n:
        c = text[i]
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            cur.append(text[i:j + 1])
            i = j + 1
            continue
        if c in "([{":
            depth += 1
            if depth == 1 and c == "(":
                i += 1
                continue
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                args.append("".join(cur).strip())
                return args, i + 1
        elif c == "," and depth == 1:
            args.append("".join(cur).strip())
            cur = []
            i += 1
            continue
        cur.append(c)
        i += 1
    return None, n


def decode(lit):
    return re.sub(r"\\([\"'\\])", r"\1", lit)


TOKEN = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|([A-Za-z_]\w*)|(\?)|(:)|(\()|(\)))', re.S)


def literal_alternatives(expr, defines):
    """All format strings an argument can be, or None when it is not literal.

    Handles adjacent literals, #define'd literal macros, one level of
    `cond ? A : B` and surrounding parentheses.
    """
    expr = expr.strip()
    while expr.startswith("(") and expr.endswith(")"):
        args, end = split_args(expr, 0)
        if args is None or end != len(expr) or len(args) != 1:
            break
        expr = args[0].strip()
    # Conditional at top level: take what follows '?' and ':'.
    depth, q, colon, k = 0, -1, -1, 0
    while k < len(expr):
        ch = expr[k]
        if ch in "\"'":
            j = k + 1
            while j < len(expr) and expr[j] != ch:
                j += 2 if expr[j] == "\\" else 1
            k = j + 1
            continue
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "?" and depth == 0 and q < 0:
            q = k
        elif ch == ":" and depth == 0 and q >= 0 and colon < 0:
            colon = k
        k += 1
    if q >= 0 and colon > q:
        a = literal_alternatives(expr[q + 1:colon], defines)
        b = literal_alternatives(expr[colon + 1:], defines)
        if a is None or b is None:
            return None
        return a + b
    parts, pos, saw_literal = [], 0, False
    while pos < len(expr):
        m = TOKEN.match(expr, pos)
        if not m or m.end() == pos:
            if expr[pos:].strip() == "":
                break
            return None
        if m.group(1) is not None:
            parts.append(decode(m.group(1)))
            saw_literal = True
        elif m.group(2) is not None:
            if m.group(2) not in defines:
                return None
            parts.append(defines[m.group(2)])
        else:
            return None
        pos = m.end()
    if not saw_literal:
        return None
    return ["".join(parts)]


def find_defines(roots):
    defines = {}
    pat = re.compile(r'^\s*#\s*define\s+([A-Za-z_]\w*)\s+((?:"(?:[^"\\]|\\.)*"\s*)+)$', re.M)
    for path in c_files(roots, (".c", ".h")):
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        for m in pat.finditer(text):
            defines[m.group(1)] = "".join(decode(s) for s in re.findall(r'"((?:[^"\\]|\\.)*)"',
                                                                      m.group(2)))
    return defines


def find_wrappers(roots):
    """Project functions that take vpmu_error ** and a printf format (not va_list)."""
    wrappers = {}
    pat = re.compile(r"([A-Za-z_]\w*)\s*\(([^;{}()]*)\)\s*__attribute__\s*\(\(\s*format\s*\(\s*"
                     r"(?:__)?(?:gnu_)?printf(?:__)?\s*,\s*(\d+)\s*,\s*(\d+)\s*\)", re.S)
    for path in c_files(roots, (".c", ".h")):
        with open(path, encoding="utf-8", errors="replace") as f:
            text = strip_comments(f.read())
        for m in pat.finditer(text):
            name, params, fmt_idx, first = m.group(1), m.group(2), int(m.group(3)), int(m.group(4))
            if first == 0 or name in KNOWN or "vpmu_error **" not in params:
                continue
            if name in ("vpmu_error_setv",):
                continue
            code_idx = None
            for i, p in enumerate(params.split(",")):
                if "vpmu_error_code" in p:
                    code_idx = i
            wrappers[name] = (fmt_idx - 1, code_idx, None)
    return wrappers


def c_files(roots, exts):
    for root in roots:
        for d, dirs, files in os.walk(root):
            dirs.sort()
            for fn in sorted(files):
                if fn.endswith(exts):
                    yield os.path.join(d, fn)


def extract(srcdir):
    roots = [os.path.join(srcdir, "src")]
    defines = find_defines([os.path.join(srcdir, "include"), os.path.join(srcdir, "src")])
    funcs = dict(KNOWN)
    funcs.update(find_wrappers(roots + [os.path.join(srcdir, "include")]))
    call = re.compile(r"\b(" + "|".join(sorted(map(re.escape, funcs), key=len, reverse=True))
                      + r"|fprintf)\s*\(")
    messages, unreadable = [], []
    for path in c_files(roots, (".c",)):
        rel = os.path.relpath(path, srcdir)
        with open(path, encoding="utf-8", errors="replace") as f:
            text = strip_comments(f.read())
        for m in call.finditer(text):
            name = m.group(1)
            line = text.count("\n", 0, m.start()) + 1
            line_start = text.rfind("\n", 0, m.start()) + 1
            if m.start() == line_start:
                continue  # a definition: the name starts the line (return type above)
            if text[line_start:m.start()].strip().startswith("#"):
                continue  # a macro mentioning the name
            args, _ = split_args(text, m.end() - 1)
            if args is None:
                continue
            if name == "fprintf":
                if len(args) < 2 or args[0] != "stderr":
                    continue
                alts = literal_alternatives(args[1], defines)
                if not alts or not all(a.startswith("vpmu: ") for a in alts):
                    continue
                alts = [re.sub(r"(\\n)+$", "", a[len("vpmu: "):]) for a in alts]
                exit_code = None
            else:
                fmt_idx, code_idx, fixed = funcs[name]
                if len(args) <= fmt_idx:
                    continue  # a prototype or an odd macro, not a call
                alts = literal_alternatives(args[fmt_idx], defines)
                if alts is None and name in NOT_PRINTF and re.fullmatch(r"\w+", args[fmt_idx]):
                    continue  # forwards a string built elsewhere (catalogued by hand)
                if alts is None:
                    unreadable.append((rel, line, name, args[fmt_idx]))
                    continue
                exit_code = fixed
                if code_idx is not None and code_idx < len(args):
                    exit_code = CODES.get(args[code_idx].strip())
            for fmt in alts:
                if not re.search(r"[A-Za-z]{2}", re.sub(r"%[-#0 +'\d.*]*[a-zA-Z]+", "", fmt)):
                    continue  # only forwards another message ("%s", "%s:%d: %s")
                messages.append((rel, line, name, exit_code, fmt))
    return messages, unreadable


def code_spans(doc):
    """Yield (span text, the whole line it is on) for every code span."""
    for line in doc.splitlines():
        for m in re.finditer(r"(`+)(.+?)\1", line):
            yield m.group(2).strip() if m.group(1) != "`" else m.group(2), line


def check(srcdir, doc_path, mode):
    messages, unreadable = extract(srcdir)
    if mode == "list":
        for rel, line, name, code, fmt in messages:
            print(f"{rel}:{line}\t{name}\texit={code}\t{fmt}")
        for rel, line, name, arg in unreadable:
            print(f"{rel}:{line}\t{name}\tUNREADABLE\t{arg}")
        return 0
    try:
        with open(doc_path, encoding="utf-8") as f:
            doc = f.read()
    except OSError as e:
        print(f"cannot read {doc_path}: {e}", file=sys.stderr)
        return 1
    spans = {}
    for span, line in code_spans(doc):
        spans.setdefault(span, []).append(line)

    failures = 0
    seen = set()
    for rel, line, name, code, fmt in messages:
        key = (fmt, code)
        if key in seen:
            continue
        seen.add(key)
        lines = spans.get(fmt)
        if not lines:
            failures += 1
            if mode == "missing":
                ex = f"exit {code}" if code is not None else "exit ?"
                if name == "cli_warn":
                    ex = "warning, no exit"
                print(f"- `{fmt}` ({ex}). TODO: what to do.  <!-- {rel}:{line} -->")
            else:
                print(f"MISSING {rel}:{line} {name}: `{fmt}`")
            continue
        if code is not None and code != 0 and mode != "missing":
            if not any(re.search(rf"\bexit {code}\b", ln) for ln in lines):
                failures += 1
                print(f"WRONG EXIT {rel}:{line} {name}: `{fmt}` must say 'exit {code}' "
                      f"on its catalogue line")
    for rel, line, name, arg in unreadable:
        failures += 1
        print(f"UNREADABLE {rel}:{line} {name}: format argument is not a literal: {arg}")
    if mode != "missing":
        print(f"{len(seen)} messages checked, {failures} problems", file=sys.stderr)
    return 1 if failures else 0


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--srcdir", default=os.environ.get("VPMU_SRCDIR", os.path.dirname(here)))
    ap.add_argument("--doc", default=None)
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--list", action="store_true")
    g.add_argument("--missing", action="store_true")
    a = ap.parse_args()
    doc = a.doc or os.path.join(a.srcdir, "docs", "errors.md")
    mode = "list" if a.list else "missing" if a.missing else "check"
    return check(a.srcdir, doc, mode)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Docs test: the options of every command's --help and of vpmu(1) agree.

For each command, the long options printed by `vpmu CMD --help` must be
exactly those the man page documents for it: its own "## vpmu CMD" section
plus the shared POLICY / GUEST option groups when the command takes them.
The global options are compared with "# GLOBAL OPTIONS".  A new option that
is not in the man page, or a documented option that does not exist, fails.
"""
import os
import re
import subprocess
import sys

OPT = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
COMMANDS = ["decide", "xml", "boot", "apply", "explain", "host", "schedule", "audit"]


def sections(text):
    """Split markdown into {heading: body} for '#' and '##' headings."""
    out, name, buf = {}, None, []
    for line in text.splitlines():
        m = re.match(r"^(#{1,2}) (.*)$", line)
        if m:
            if name:
                out[name] = "\n".join(buf)
            name, buf = m.group(2).strip(), []
        else:
            buf.append(line)
    if name:
        out[name] = "\n".join(buf)
    return out


def help_options(vpmu, *args):
    r = subprocess.run([vpmu, *args, "--help"], capture_output=True, text=True)
    if r.returncode != 0:
        raise AssertionError(f"vpmu {' '.join(args)} --help exited {r.returncode}: {r.stderr}")
    return set(OPT.findall(r.stdout))


def main():
    src = os.environ["VPMU_SRCDIR"]
    vpmu = os.environ["VPMU_BIN"]
    man = sections(open(os.path.join(src, "docs", "vpmu.1.md")).read())
    policy = set(OPT.findall(man["POLICY OPTIONS"]))
    guest = set(OPT.findall(man["GUEST OPTIONS"]))
    failures = 0

    def compare(label, got, documented):
        nonlocal failures
        missing = sorted(got - documented)
        extra = sorted(documented - got)
        if missing or extra:
            failures += 1
            print(f"not ok - {label}")
            if missing:
                print(f"#   in --help but not in vpmu(1): {', '.join(missing)}")
            if extra:
                print(f"#   in vpmu(1) but not in --help: {', '.join(extra)}")
        else:
            print(f"ok - {label} ({len(got)} options)")

    print(f"1..{len(COMMANDS) + 1}")
    compare("global", help_options(vpmu), set(OPT.findall(man["GLOBAL OPTIONS"])))
    for cmd in COMMANDS:
        got = help_options(vpmu, cmd)
        body = man.get(f"vpmu {cmd}")
        if body is None:
            failures += 1
            print(f"not ok - {cmd}: no '## vpmu {cmd}' section in vpmu(1)")
            continue
        documented = set(OPT.findall(body)) | {"--help"}
        if "--flavor" in got:
            documented |= policy
        if "--arch" in got:
            documented |= guest
        compare(cmd, got, documented)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Security property (issue 7 §6): vpmu reads no file outside those named on
its command line, and --host-root when given.

Each case runs vpmu under `strace -f -y -e trace=open,openat,openat2` and
checks every path it tried to open (successful or not), resolved to an
absolute path, against:

  1. the files named on the command line (and, for `xml --in-place`, the
     temporary next to the named file: NAME.vpmu-XXXXXX);
  2. everything under --host-root DIR, when the case gives one;
  3. the ALLOW list below: what the dynamic loader, the C library and the
     libraries vpmu links need, never a user's or the host's data;
  4. for commands that connect to libvirt, LIBVIRT_ALLOW: the libvirt client
     library's own configuration.

Anything else fails the case: $HOME (pointed at a decoy directory holding
files vpmu might be tempted by), the working directory (another decoy), /etc
beyond the loader cache, /proc and /sys of the host when --host-root is given.

Environment (tests/meson.build): VPMU_BIN, VPMU_SRCDIR, VPMU_BUILDDIR.
Prints TAP; exits 77 when strace is missing or cannot trace here.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

# Allow-list: path prefixes (a trailing '/' means "under this directory") or
# exact paths.  Each entry says who needs it.
ALLOW = [
    "/etc/ld.so.cache",          # ld.so: the library search cache
    "/etc/ld.so.preload",        # ld.so: checked at every start
    "/lib/",                     # shared libraries (usrmerge: same as /usr/lib)
    "/lib64/",                   # ld.so itself
    "/usr/lib/",                 # shared libraries, gconv modules, locale archive
    "/usr/lib64/",
    "/usr/share/locale/",        # message catalogues (glibc, libvirt)
    "/usr/share/locale-langpack/",
    "/usr/lib/locale/",          # locale archive
    "/etc/localtime",            # glibc time zone, if anything formats a time
    "/dev/urandom",              # jansson's hash seed, libvirt's random numbers
    "/dev/random",
    "/dev/null",
    "/proc/self/",               # the process's own maps/status (glibc, ASan)
    "/proc/sys/vm/overcommit_memory",  # glibc malloc tuning
    "/sys/kernel/mm/transparent_hugepage/",  # glibc malloc tuning
    "/sys/devices/system/cpu/online",  # glibc: sysconf(_SC_NPROCESSORS_ONLN)
    "/sys/devices/system/cpu/possible",  # ASan/LSan and libvirt thread pools
    "/proc/meminfo",             # ASan runtime (sanitizer builds only)
]

# Only for commands that open a libvirt connection (boot, apply, audit, and
# xml without --domain to find the emulator/virt type): libvirt's client
# reads its own configuration.  With test:///default nothing else is needed.
LIBVIRT_ALLOW = [
    "/etc/libvirt/",             # libvirt.conf (URI aliases)
    "/usr/share/libvirt/schemas/",  # RNG schemas: define with VIR_DOMAIN_DEFINE_VALIDATE
    "/proc/filesystems",         # libselinux / libmount, loaded by libvirt
    "/proc/sys/kernel/cap_last_cap",  # libcap-ng, loaded by libvirt
    "/sys/kernel/iommu_groups/",  # libvirt's node device probing at driver start
    "/sys/devices/system/node/",  # libvirt's NUMA probing (test driver node info)
]

# The process's own /proc entry, as strace -y resolves /proc/self.
def own_proc(path, pid):
    prefix = f"/proc/{pid}/"
    return "/proc/self/" + path[len(prefix):] if path.startswith(prefix) else path


LINE = re.compile(r'^(?:\[pid\s+)?(\d+)\]?\s+(open|openat|openat2)\((.*)\)\s+=\s+(-?\d+)(?:<(.*)>)?')


def parse_call(fn, args):
    """(dirfd path or None, path) from the decoded arguments of one call."""
    if fn == "open":
        m = re.match(r'"((?:[^"\\]|\\.)*)"', args)
        return None, m.group(1) if m else None
    # openat(AT_FDCWD</cwd>, "path", ...) or openat(3</dir>, "path", ...) with -y
    m = re.match(r'(?:AT_FDCWD|-?\d+)(?:<(.*?)>)?,\s*"((?:[^"\\]|\\.)*)"', args)
    if not m:
        return None, None
    return m.group(1), m.group(2)


def opened_paths(log, cwd):
    """Every path the traced processes tried to open, absolute."""
    paths = []
    with open(log, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = LINE.match(line.strip())
            if not m:
                if re.search(r"\bopen(at2?)?\(", line) and "resumed" in line:
                    paths.append(("?", line.strip()))
                continue
            fn, args, ret, annotated = m.group(2), m.group(3), int(m.group(4)), m.group(5)
            dirpath, path = parse_call(fn, args)
            if path is None:
                paths.append(("?", line.strip()))
                continue
            if ret >= 0 and annotated:
                full = annotated
            elif path.startswith("/"):
                full = path
            else:
                full = os.path.join(dirpath or cwd, path)
            paths.append((own_proc(os.path.normpath(full), m.group(1)), path))
    return paths


def allowed(path, allow):
    for a in allow:
        if a.endswith("/"):
            if path.startswith(a) or path == a[:-1]:
                return True
        elif path == a:
            return True
    return False


def main():
    vpmu = os.environ.get("VPMU_BIN")
    builddir = os.environ.get("VPMU_BUILDDIR")
    if not vpmu or not builddir:
        print("VPMU_BIN and VPMU_BUILDDIR must be set", file=sys.stderr)
        return 1
    strace = shutil.which("strace")
    if not strace:
        print("1..0 # SKIP strace is not installed (Debian: strace)")
        return 77
    work = tempfile.mkdtemp(prefix="vpmu-paths.")
    try:
        return run_cases(vpmu, builddir, strace, os.path.realpath(work))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def run_cases(vpmu, builddir, strace, work):
    # Decoys: files a careless program might read.  Reading any fails the test.
    home = os.path.join(work, "home")
    cwd = os.path.join(work, "cwd")
    write(os.path.join(home, ".config", "vpmu", "config"), "hw:pmu=true\n")
    write(os.path.join(home, ".config", "libvirt", "libvirt.conf"), "")
    write(os.path.join(cwd, "flavor.json"), "{}\n")
    write(os.path.join(cwd, "image.json"), "{}\n")
    write(os.path.join(cwd, "domain.xml"), "<domain/>\n")

    inp = os.path.join(work, "in")
    flavor = os.path.join(inp, "flavor.json")
    image = os.path.join(inp, "image.json")
    domain = os.path.join(inp, "domain.xml")
    inplace = os.path.join(inp, "inplace.xml")
    write(flavor, '{"flavor": {"name": "m1", "ram": 512, "vcpus": 1, '
                  '"extra_specs": {"hw:pmu": "true"}}}\n')
    write(image, '{"name": "cirros", "hw_pmu": "true"}\n')
    dom = ("<domain type='qemu'><name>paths</name><memory>524288</memory>"
           "<os><type arch='x86_64'>hvm</type></os><features><acpi/></features></domain>\n")
    write(domain, dom)
    write(inplace, dom)

    root = os.path.join(work, "hostroot")
    write(os.path.join(root, "proc", "cpuinfo"),
          "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\n"
          "flags\t\t: fpu lm arch_perfmon pdcm\n\n")
    write(os.path.join(root, "proc", "sys", "kernel", "arch"), "x86_64\n")
    write(os.path.join(root, "sys", "module", "kvm", "parameters", "enable_pmu"), "Y\n")
    os.makedirs(os.path.join(root, "sys", "bus", "event_source", "devices", "cpu"))
    write(os.path.join(root, "dev", "kvm"), "")

    own_libs = [os.path.join(os.path.realpath(builddir), "src", "lib") + "/"]

    # (name, argv, named files, host root or None, connects to libvirt)
    cases = [
        ("decide", ["decide", "--flavor", flavor, "--image", image], [flavor, image], None, False),
        ("decide -o json, inline", ["-o", "json", "decide", "--flavor-spec", "hw:pmu=off",
                                    "--image-prop", "hw_pmu=no"], [], None, False),
        ("xml --domain", ["xml", "--domain", domain, "--flavor", flavor], [domain, flavor],
         None, False),
        ("xml --domain --in-place", ["xml", "--domain", inplace, "--in-place", "--image", image],
         [inplace, image], None, False),
        ("host --host-root", ["host", "--host-root", root], [], root, False),
        ("host -o json --host-root", ["-o", "json", "host", "--host-root", root], [], root, False),
        # $LIBVIRT_DEFAULT_URI names the test driver, and explain honours it.
        ("explain --host-root (test:///default)", ["explain", "--host-root", root, "--flavor",
                                                   flavor, "--arch", "x86_64", "--virt-type",
                                                   "kvm", "--cpu-mode", "host-passthrough"],
         [flavor], root, True),
        ("boot --no-start (test:///default)", ["boot", "--no-start", "--name", "paths",
                                              "--flavor", flavor, "--arch", "x86_64",
                                              "--virt-type", "qemu"], [flavor], None, True),
        ("apply (test:///default)", ["apply", "test", "--image", image], [image], None, True),
        ("audit --host-root (test:///default)", ["audit", "--host-root", root], [], root, True),
    ]

    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": home,
        "XDG_CONFIG_HOME": os.path.join(home, ".config"),
        "XDG_CACHE_HOME": os.path.join(home, ".cache"),
        "XDG_RUNTIME_DIR": os.path.join(home, "run"),
        "LC_ALL": "C.UTF-8",
        "LIBVIRT_DEFAULT_URI": "test:///default",
    }
    # A sanitizer build: LeakSanitizer cannot run under ptrace, so leaks are
    # left to the ASan suite; everything else stays fatal.
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LD_LIBRARY_PATH"):
        if os.environ.get(k):
            env[k] = os.environ[k]
    env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":detect_leaks=0").lstrip(":")

    failures = 0
    n = 0
    probe = subprocess.run([strace, "-f", "-o", "/dev/null", "true"], capture_output=True)
    if probe.returncode != 0:
        print(f"1..0 # SKIP strace cannot trace here: "
              f"{probe.stderr.decode(errors='replace').strip()}")
        return 77

    for name, args, named, hostroot, connects in cases:
        n += 1
        log = os.path.join(work, f"strace.{n}")
        argv = [strace, "-f", "-y", "-qq", "-e", "trace=open,openat,openat2", "-o", log,
                vpmu] + args
        p = subprocess.run(argv, cwd=cwd, env=env, capture_output=True)
        allow = list(ALLOW) + own_libs
        if connects:
            allow += LIBVIRT_ALLOW
        named_real = [os.path.realpath(x) for x in named]
        bad = []
        seen = 0
        for full, raw in opened_paths(log, cwd):
            seen += 1
            if full == "?":
                bad.append(f"unparsed strace line: {raw}")
                continue
            if full in named_real:
                continue
            if "--in-place" in args and (any(full.startswith(x + ".vpmu-") for x in named_real)
                                         or full in [os.path.dirname(x) for x in named_real]):
                continue  # the atomic write's temporary next to the file, its directory (fsync)
            if hostroot and (full == hostroot or full.startswith(hostroot + "/")):
                continue
            if allowed(full, allow):
                continue
            bad.append(f"outside the allowed set: {full}")
        if p.returncode not in (0,):
            # The case must really have run the command, or it proves nothing.
            bad.append(f"vpmu exited {p.returncode}: "
                       f"{p.stderr.decode(errors='replace').strip()}")
        if seen == 0:
            bad.append("strace saw no open at all; the trace is broken")
        if hostroot and not any(f.startswith(hostroot + "/")
                                for f, _ in opened_paths(log, cwd)):
            bad.append("--host-root was never read; the case proves nothing")
        if bad:
            failures += 1
            print(f"not ok {n} - {name}")
            for b in sorted(set(bad))[:20]:
                print(f"#   {b}")
        else:
            print(f"ok {n} - {name} ({seen} opens, all allowed)")
    print(f"1..{n}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

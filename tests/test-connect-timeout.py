#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Nothing that connects waits for ever (issue 10 item 8), end to end (TAP output).

A real TCP server that accepts and never speaks (clitest.silent_listener())
blocks libvirt's virConnectOpen() for ever.  boot, apply, host and explain
against it, with the global --timeout before or after the command name, must
exit 1 with the documented message (docs/errors.md) and nothing on stdout;
with no -c, libvirt's default ($LIBVIRT_DEFAULT_URI) is bounded the same way.
--timeout 0, abc, 1.5, 86401 and '' are usage errors with the "Try" line,
for every command.  A timeout that is not reached changes nothing.

Each run is also watched: a run that does not end within 60 s is killed and
fails, and one that takes 20 s or more with --timeout 2 fails.  That is a
bound (far from "for ever"), not a timing goal.
"""
import os
import subprocess
import sys
import time

from clitest import silent_listener, vpmu_env
from tap import check, expect, report

VPMU = os.environ.get("VPMU_BIN", "vpmu")
EXIT_OK, EXIT_RUNTIME, EXIT_USAGE = 0, 1, 2
WATCHDOG = 60  # s: a run still going then hangs, and is killed
BOUND = 20  # s: what --timeout 2 must stay well below


def run(*args, env=None):
    """(exit status, stdout, stderr, seconds); a run past WATCHDOG is killed and fails."""
    t0 = time.monotonic()
    p = subprocess.Popen([VPMU, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=vpmu_env(env), text=True)
    try:
        out, err = p.communicate(timeout=WATCHDOG)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        raise AssertionError("vpmu %s did not end within %d s" % (" ".join(args), WATCHDOG))
    return p.returncode, out, err, time.monotonic() - t0


# Each command that connects, with what it needs to get as far as connecting.
COMMANDS = {
    "boot": ["boot", "--name", "never-defined"],
    "apply": ["apply", "some-domain", "--unset"],
    "host": ["host"],
    "explain": ["explain"],
}


def expect_no_answer(args, shown, env=None):
    rc, out, err, took = run(*args, env=env)
    want = "vpmu: cannot connect to %s: no answer within 2 s\n" % shown
    expect(rc == EXIT_RUNTIME, "%r: exit %d, want %d: %r" % (args, rc, EXIT_RUNTIME, err))
    expect(err == want, "%r: stderr %r, want %r" % (args, err, want))
    expect(out == "", "%r: stdout %r" % (args, out))
    expect(took < BOUND, "%r took %.1f s with --timeout 2" % (args, took))


def main():
    with silent_listener() as silent:
        for name, args in COMMANDS.items():
            def after(args=args):
                # Global options after the command name, as users of git expect.
                expect_no_answer(args + ["-c", silent, "--timeout", "2"], "'%s'" % silent)

            def before(args=args):
                expect_no_answer(["--timeout", "2", "-c", silent] + args, "'%s'" % silent)

            def default(args=args):
                # No -c: libvirt's default connection, here $LIBVIRT_DEFAULT_URI.
                expect_no_answer(["--timeout", "2"] + args, "libvirt's default URI",
                                 env={"LIBVIRT_DEFAULT_URI": silent})

            check("%s -c SILENT --timeout 2: exit 1, no answer within 2 s" % name, after)
            check("--timeout 2 -c SILENT %s: the same before the command name" % name, before)
            # host reads versions only from a connection named with -c.
            if name != "host":
                check("%s with $LIBVIRT_DEFAULT_URI silent: bounded too" % name, default)

        def audit_global():
            # audit's --timeout is the global one: it may come before the command too.
            rc, out, err, took = run("--timeout", "2", "audit", "-c", silent)
            expect(rc == EXIT_RUNTIME, "exit %d: %r" % (rc, err))
            expect("cannot connect to '%s': no answer within 2 s" % silent in err, "stderr %r" % err)
            expect("%s: down, no answer within 2 s" % silent in out, "stdout %r" % out)
            expect(took < BOUND, "audit took %.1f s with --timeout 2" % took)
        check("--timeout 2 audit -c SILENT: the host is down at the deadline", audit_global)

    with silent_listener("admin:s3cret@") as secret:
        def masked():
            shown = "'%s'" % secret.replace("s3cret", "***")
            expect_no_answer(["boot", "-c", secret, "--timeout", "2"], shown)
        check("the URI's password is never printed", masked)

    def usage():
        for value in ("0", "abc", "1.5", "86401", "-1", ""):
            for cmd in list(COMMANDS) + ["decide", "audit"]:
                for args, hint in ((["--timeout", value, cmd], "Try 'vpmu --help'.\n"),
                                   ([cmd, "--timeout", value], "Try 'vpmu %s --help'.\n" % cmd)):
                    rc, out, err, _ = run(*args)
                    want = ("vpmu: invalid --timeout '%s'; use 1 to 86400 seconds\n" % value +
                            hint)
                    expect(rc == EXIT_USAGE and out == "" and err == want,
                           "%r: exit %d, stderr %r, want %r" % (args, rc, err, want))
        rc, out, err, _ = run("boot", "--timeout")
        expect(rc == EXIT_USAGE and "option '--timeout' needs an argument" in err and
               "Try 'vpmu boot --help'." in err, "no argument: %d %r" % (rc, err))
    check("--timeout 0, abc, 1.5, 86401, -1 and '' are usage errors (exit 2, Try line)", usage)

    def answered():
        # A connection that answers within the deadline: the command works as without it.
        rc, out, err, _ = run("boot", "-c", "test:///default", "--timeout", "5", "--name", "g1")
        expect(rc == EXIT_OK and "name: g1\n" in out and "uri: test:///default\n" in out,
               "boot: %d %r %r" % (rc, out, err))
        rc, out, err, _ = run("--timeout", "86400", "-c", "test:///default", "apply", "test",
                              "--flavor-spec", "hw:pmu=false")
        expect(rc == EXIT_OK and out.startswith("test: pmu "), "apply: %d %r %r" % (rc, out, err))
        root = os.path.join(os.environ["VPMU_TESTDATA"], "hosts", "intel-pmu")
        rc, out, err, _ = run("-o", "json", "host", "-c", "test:///default", "--timeout", "1",
                              "--host-root", root)
        expect(rc == EXIT_OK and '"libvirt_version"' in out, "host: %d %r" % (rc, err))
        # decide never connects: --timeout is accepted and changes nothing.
        rc, out, err, _ = run("decide", "--timeout", "1", "--flavor-spec", "hw:pmu=true")
        expect(rc == EXIT_OK and "pmu: on" in out, "decide: %d %r %r" % (rc, out, err))
    check("a deadline that is not reached changes nothing", answered)

    return report(max_lines=20)


if __name__ == "__main__":
    sys.exit(main())

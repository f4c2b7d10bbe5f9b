#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""No password of a -c URI or a Placement URL in any output format (TAP).

Every case runs vpmu for real against a URI that carries a password and
names a host where nothing listens (127.0.0.1 port 1: connection refused),
so that the URI reaches the output the way an operator's typo or a dead
host makes it: audit's text table, JSON, Prometheus exposition and
--textfile; the default connection named by $LIBVIRT_DEFAULT_URI; host -c;
Placement URLs (schedule --candidates, host --report), in text and JSON.
Each checks that the password is in no byte of stdout, stderr or the
written file, and that the masked form (USER:***@) is there instead.
"""
import json
import os
import subprocess
import sys
import tempfile

from clitest import vpmu_env
from tap import check, expect, report

VPMU = os.environ.get("VPMU_BIN", "vpmu")
# Under the valgrind setup every vpmu run goes under valgrind (--error-exitcode=99).
WRAPPER = os.environ.get("VPMU_TEST_WRAPPER", "").split()
HOSTS = os.path.join(os.environ.get("VPMU_TESTDATA", os.path.join(os.path.dirname(__file__),
                                                                  "data")), "hosts")
PASSWORD = "s3cret-Pw"
URI = "qemu+tcp://user:%s@127.0.0.1:1/system" % PASSWORD
MASKED = "qemu+tcp://user:***@127.0.0.1:1/system"
PLACEMENT = "http://placement:%s@127.0.0.1:1/" % PASSWORD
PLACEMENT_MASKED = "http://placement:***@127.0.0.1:1/"

def run(*args, env=None):
    e = vpmu_env()
    for k in [k for k in e if k.startswith("OS_")]:
        del e[k]
    if env:
        e.update(env)
    p = subprocess.run(WRAPPER + [VPMU, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=e, timeout=600)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def no_secret(where, text, masked):
    expect(PASSWORD not in text, "the password is in %s:\n%s" % (where, text))
    expect(masked in text, "%s lacks %r:\n%s" % (where, masked, text))


def audit_text():
    rc, out, err = run("audit", "-c", URI, "--timeout", "5")
    expect(rc == 1, "exit %d, want 1 (nothing audited)\n%s" % (rc, err))
    no_secret("stdout", out, MASKED)
    no_secret("stderr", err, MASKED)


def audit_text_two_hosts():
    # Two connections: the URI column of every row, and the summary lines.
    rc, out, err = run("audit", "-c", URI, "-c", "test:///default", "--timeout", "5")
    expect(rc == 5, "exit %d, want 5 (one connection skipped)\n%s" % (rc, err))
    no_secret("stdout", out, MASKED)
    no_secret("stderr", err, MASKED)
    expect(out.splitlines()[0].split()[:2] == ["URI", "NAME"], out)


def audit_json():
    rc, out, err = run("-o", "json", "audit", "-c", URI, "-c", "test:///default",
                       "--timeout", "5")
    expect(rc == 5, "exit %d, want 5\n%s" % (rc, err))
    no_secret("stdout", out, MASKED)
    no_secret("stderr", err, MASKED)
    doc = json.loads(out)
    expect([h["uri"] for h in doc["hosts"]] == [MASKED, "test:///default"], doc["hosts"])
    expect(MASKED in doc["hosts"][0]["error"], doc["hosts"][0]["error"])


def audit_prometheus():
    rc, out, err = run("-o", "prometheus", "audit", "-c", URI, "--timeout", "5")
    expect(rc == 1, "exit %d, want 1\n%s" % (rc, err))
    no_secret("stdout", out, 'uri="%s"' % MASKED)
    no_secret("stderr", err, MASKED)
    expect('vpmu_host_up{uri="%s"} 0' % MASKED in out.splitlines(), out)


def audit_textfile():
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "vpmu.prom")
        rc, out, err = run("audit", "-c", URI, "-c", "test:///default", "--timeout", "5",
                           "--textfile", path)
        expect(rc == 5, "exit %d, want 5\n%s" % (rc, err))
        expect(out == "", "stdout with --textfile: %r" % out)
        no_secret("stderr", err, MASKED)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        no_secret(path, text, 'uri="%s"' % MASKED)
        expect('vpmu_host_up{uri="%s"} 0' % MASKED in text.splitlines(), text)
        expect('vpmu_host_up{uri="test:///default"} 1' in text.splitlines(), text)


def audit_default_from_env():
    # No -c: libvirt's default, named by $LIBVIRT_DEFAULT_URI, which fails to open.
    env = {"LIBVIRT_DEFAULT_URI": URI}
    for fmt, masked in (("text", MASKED), ("json", '"uri": "%s"' % MASKED),
                        ("prometheus", 'uri="%s"' % MASKED)):
        rc, out, err = run("-o", fmt, "audit", "--timeout", "5", env=env)
        expect(rc == 1, "-o %s: exit %d, want 1\n%s" % (fmt, rc, err))
        no_secret("-o %s stdout" % fmt, out, masked)
        expect(PASSWORD not in err, "-o %s stderr has the password:\n%s" % (fmt, err))


def host_connect():
    for fmt in ("text", "json"):
        rc, out, err = run("-o", fmt, "-c", URI, "host", "--host-root",
                           os.path.join(HOSTS, "intel-pmu"))
        expect(rc == 1, "-o %s: exit %d, want 1\n%s" % (fmt, rc, err))
        expect(PASSWORD not in out, "-o %s stdout has the password:\n%s" % (fmt, out))
        no_secret("-o %s stderr" % fmt, err, MASKED)


def schedule_placement():
    for fmt in ("text", "json"):
        rc, out, err = run("-o", fmt, "schedule", "--flavor-spec", "hw:pmu=true",
                           "--placement", PLACEMENT, "--token", "t0ken", "--resources", "VCPU:1")
        expect(rc == 1, "-o %s: exit %d, want 1\n%s" % (fmt, rc, err))
        expect(PASSWORD not in out, "-o %s stdout has the password:\n%s" % (fmt, out))
        no_secret("-o %s stderr" % fmt, err, PLACEMENT_MASKED)
        expect("t0ken" not in out + err, "-o %s: the token is shown:\n%s%s" % (fmt, out, err))


def host_report_placement():
    for fmt in ("text", "json"):
        rc, out, err = run("-o", fmt, "host", "--host-root", os.path.join(HOSTS, "intel-pmu"),
                           "--report", "--placement", PLACEMENT, "--token", "t0ken",
                           "--provider-name", "compute-1")
        expect(rc == 1, "-o %s: exit %d, want 1\n%s" % (fmt, rc, err))
        expect(PASSWORD not in out, "-o %s stdout has the password:\n%s" % (fmt, out))
        no_secret("-o %s stderr" % fmt, err, PLACEMENT_MASKED)
        expect("t0ken" not in out + err, "-o %s: the token is shown:\n%s%s" % (fmt, out, err))


def keystone_auth_url():
    # A Keystone auth URL with a password of its own, unreachable: the session fails to open.
    env = {"HOME": tempfile.gettempdir() + "/vpmu-no-home", "XDG_CONFIG_HOME": "/nonexistent",
           "OS_AUTH_URL": "http://keystone:%s@127.0.0.1:1/v3" % PASSWORD,
           "OS_USERNAME": "admin", "OS_PASSWORD": "os-" + PASSWORD, "OS_PROJECT_NAME": "p",
           "OS_USER_DOMAIN_NAME": "Default", "OS_PROJECT_DOMAIN_NAME": "Default"}
    masked = "http://keystone:***@127.0.0.1:1/v3/auth/tokens"
    for args in (["schedule", "--candidates", "--flavor-spec", "hw:pmu=true", "--resources",
                  "VCPU:1"], ["-o", "json", "audit", "--cloud", "-c", "test:///default"]):
        rc, out, err = run(*args, env=env)
        expect(rc == 1, "%s: exit %d, want 1\n%s" % (args, rc, err))
        expect(PASSWORD not in out, "%s: stdout has a password:\n%s" % (args, out))
        no_secret("%s stderr" % args, err, masked)


def audit_same_uri_two_passwords():
    other = URI.replace(PASSWORD, "other-Pw")
    rc, out, err = run("audit", "-c", URI, "-c", other, "--timeout", "5")
    expect(rc == 2, "exit %d, want 2\n%s" % (rc, err))
    expect(out == "", out)
    no_secret("stderr", err, "-c '%s' is given twice with different passwords" % MASKED)
    expect("other-Pw" not in err, err)
    # The same URI twice is audited once, as before.
    rc, out, err = run("-o", "json", "audit", "-c", URI, "-c", URI, "--timeout", "5")
    expect(rc == 1 and len(json.loads(out)["hosts"]) == 1, "exit %d\n%s%s" % (rc, out, err))


def notify_targets():
    # Refused --notify targets (any case spelling, malformed) never repeat the password.
    for target, shown in (("AMQP://u:%s@h:5672/" % PASSWORD, "AMQP://u:***@h:5672/"),
                          ("AmQpS://u:%s@h:5671/" % PASSWORD, "AmQpS://u:***@h:5671/"),
                          ("amqp://u:%s@h:notaport/" % PASSWORD, "amqp://u:***@h:notaport/"),
                          ("amqp:u:%s@h" % PASSWORD, "amqp:u:***@h"),
                          ("amqp:/u:%s@h/" % PASSWORD, "amqp:/u:***@h/")):
        rc, out, err = run("-c", "test:///default", "boot", "--name", "vm", "--flavor-spec",
                           "hw:pmu=on", "--notify", target)
        expect(rc == 2, "%s: exit %d, want 2\n%s" % (target, rc, err))
        expect(PASSWORD not in out, out)
        no_secret("%s stderr" % target, err, shown)


def main():
    check("audit text: -c URI password masked in the summary and the warning", audit_text)
    check("audit text, two connections: the URI column masked", audit_text_two_hosts)
    check("audit -o json: hosts[].uri and the error masked", audit_json)
    check("audit -o prometheus: uri labels masked", audit_prometheus)
    check("audit --textfile: the file's uri labels masked", audit_textfile)
    check("audit -c URI twice with two passwords: a usage error, masked (series would clash)",
          audit_same_uri_two_passwords)
    check("audit with $LIBVIRT_DEFAULT_URI holding a password: masked in every format",
          audit_default_from_env)
    check("host -c URI (text, json): the connection error masked", host_connect)
    check("schedule --placement URL with a password (text, json): masked, no token",
          schedule_placement)
    check("host --report --placement URL with a password (text, json): masked, no token",
          host_report_placement)
    check("refused --notify targets with a password (AMQP://, AmQpS://, amqp:u:PW@h): masked",
          notify_targets)
    check("an OS_AUTH_URL with a password (schedule --candidates, audit --cloud): masked",
          keystone_auth_url)
    return report()


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""vpmu finds clouds.yaml and secure.yaml where openstacksdk finds them.

Each case lays out clouds.yaml files in a temporary tree (the current
directory, $HOME/.config/openstack, $XDG_CONFIG_HOME/openstack, the
$XDG_CONFIG_DIRS entries, $SNAP_REAL_HOME), each naming its own place in
auth_url, and sets the environment.  Then the cloud is read twice: by
openstacksdk's own loader, in a fresh interpreter so that its search path
is computed from that environment, and by vpmu's (tests/cloud-config-dump).
Both must find the same file, and that file must be the one the case
expects.  Nothing outside the temporary tree is written; /etc/openstack
and /etc/xdg/openstack are only read, by both.  Prints TAP.
"""

import json
import os
import shlex
import subprocess
import sys
import tempfile

WRAPPER = shlex.split(os.environ.get("VPMU_TEST_WRAPPER", ""))
SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's, with python3-openstacksdk

# What openstacksdk's loader finds for one cloud, as JSON on stdout
# (null when it finds no such cloud).
SDK_READ = r"""
import json, sys
import openstack.config
from openstack import exceptions
try:
    c = openstack.config.OpenStackConfig(load_envvars=False).get_one(cloud=sys.argv[1])
    a = c.config.get("auth", {})
    print(json.dumps({"auth_url": a.get("auth_url"), "password": a.get("password")}))
except exceptions.ConfigException:
    print("null")
"""


def clouds_yaml(place, password="pw"):
    text = "clouds:\n  c:\n    auth:\n      auth_url: http://%s:5000/v3\n" % place
    text += "      username: u\n      project_name: p\n"
    if password:
        text += "      password: %s\n" % password
    return text


def secure_yaml(password):
    return "clouds:\n  c:\n    auth:\n      password: %s\n" % password


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def read_sdk(env, cwd):
    r = subprocess.run([SYSTEM_PYTHON, "-c", SDK_READ, "c"], env=env, cwd=cwd,
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError("openstacksdk failed: %s" % r.stderr.strip()[-400:])
    return json.loads(r.stdout)


def read_vpmu(dump, env, cwd):
    r = subprocess.run(WRAPPER + [dump, "c"], env=env, cwd=cwd, capture_output=True,
                       text=True, timeout=60)
    if r.returncode != 0:
        if "is not defined" in r.stderr:
            return None
        raise RuntimeError("vpmu failed: %s" % r.stderr.strip())
    d = json.loads(r.stdout)
    return {"auth_url": d.get("auth_url"), "password": d.get("password")}


def place_of(found):
    if found is None:
        return None
    return found["auth_url"].split("//", 1)[1].split(":", 1)[0]


def system_place():
    """What both loaders fall back to on this machine, if anything."""
    for d, place in (("/etc/xdg/openstack", "etc-xdg"), ("/etc/openstack", "etc")):
        for s in (".yaml", ".yml", ".json"):
            if os.path.exists(os.path.join(d, "clouds" + s)):
                return "(%s)" % place
    return None


# (description, files {relative path: text}, environment {name: value with
# {t} for the tree}, working directory relative to the tree, expected place
# or None, expected password or None).
CASES = [
    ("~/.config/openstack", {"home/.config/openstack/clouds.yaml": clouds_yaml("home")},
     {}, "work", "home", None),
    ("$XDG_CONFIG_HOME before ~/.config",
     {"home/.config/openstack/clouds.yaml": clouds_yaml("home"),
      "xdg/openstack/clouds.yaml": clouds_yaml("xdg-home")},
     {"XDG_CONFIG_HOME": "{t}/xdg"}, "work", "xdg-home", None),
    ("$XDG_CONFIG_HOME without a file: ~/.config next",
     {"home/.config/openstack/clouds.yaml": clouds_yaml("home")},
     {"XDG_CONFIG_HOME": "{t}/xdg"}, "work", "home", None),
    ("the current directory before all",
     {"work/clouds.yaml": clouds_yaml("cwd"),
      "xdg/openstack/clouds.yaml": clouds_yaml("xdg-home")},
     {"XDG_CONFIG_HOME": "{t}/xdg"}, "work", "cwd", None),
    ("one $XDG_CONFIG_DIRS entry", {"site/openstack/clouds.yaml": clouds_yaml("site")},
     {"XDG_CONFIG_DIRS": "{t}/site"}, "work", "site", None),
    ("an $XDG_CONFIG_DIRS entry with trailing slashes",
     {"site/openstack/clouds.yml": clouds_yaml("site")},
     {"XDG_CONFIG_DIRS": "{t}/site//"}, "work", "site", None),
    ("a user directory before the site directory",
     {"site/openstack/clouds.yaml": clouds_yaml("site"),
      "home/.config/openstack/clouds.json": json.dumps(
          {"clouds": {"c": {"auth": {"auth_url": "http://home:5000/v3", "username": "u",
                                     "password": "pw", "project_name": "p"}}}})},
     {"XDG_CONFIG_DIRS": "{t}/site"}, "work", "home", None),
    ("two $XDG_CONFIG_DIRS entries name no directory",
     {"site/openstack/clouds.yaml": clouds_yaml("site"),
      "site2/openstack/clouds.yaml": clouds_yaml("site2")},
     {"XDG_CONFIG_DIRS": "{t}/site:{t}/site2"}, "work", system_place(), None),
    ("~ in $XDG_CONFIG_DIRS", {"home/sitecfg/openstack/clouds.yaml": clouds_yaml("tilde")},
     {"XDG_CONFIG_DIRS": "~/sitecfg"}, "work", "tilde", None),
    ("$SNAP_REAL_HOME instead of $HOME for ~/.config",
     {"snap/.config/openstack/clouds.yaml": clouds_yaml("snap"),
      "home/.config/openstack/clouds.yaml": clouds_yaml("home")},
     {"SNAP_REAL_HOME": "{t}/snap", "XDG_CONFIG_HOME": "{t}/xdg"}, "work", "snap", None),
    ("an empty $XDG_CONFIG_HOME is kept: ./openstack",
     {"work/openstack/clouds.yaml": clouds_yaml("cwd-openstack")},
     {"XDG_CONFIG_HOME": ""}, "work", "cwd-openstack", None),
    ("secure.yaml from $XDG_CONFIG_HOME over clouds.yaml from ~/.config",
     {"home/.config/openstack/clouds.yaml": clouds_yaml("home", "from-clouds"),
      "xdg/openstack/secure.yaml": secure_yaml("from-secure")},
     {"XDG_CONFIG_HOME": "{t}/xdg"}, "work", "home", "from-secure"),
    ("no file anywhere", {}, {"XDG_CONFIG_HOME": "{t}/xdg", "XDG_CONFIG_DIRS": "{t}/site"},
     "work", system_place(), None),
]


def run_case(dump, clean, case):
    what, files, env_extra, cwd, want_place, want_password = case
    problems = []
    with tempfile.TemporaryDirectory() as t:
        for rel, text in files.items():
            write(t, rel, text)
        os.makedirs(os.path.join(t, "work"), exist_ok=True)
        os.makedirs(os.path.join(t, "home"), exist_ok=True)
        env = dict(clean, HOME=os.path.join(t, "home"))
        env.update({k: v.replace("{t}", t) for k, v in env_extra.items()})
        wd = os.path.join(t, cwd)
        sdk = read_sdk(env, wd)
        mine = read_vpmu(dump, env, wd)
    sp, mp = place_of(sdk), place_of(mine)
    # A system-wide file (outside the tree) shows as "(etc)"; its contents are not ours.
    if want_place and want_place.startswith("("):
        sp = want_place if sdk is not None else None
        mp = want_place if mine is not None else None
    if sp != want_place:
        problems.append("openstacksdk found %r, the case expects %r" % (sp, want_place))
    if mp != sp:
        problems.append("vpmu found %r, openstacksdk %r" % (mp, sp))
    if want_password is not None:
        for who, got in (("openstacksdk", sdk), ("vpmu", mine)):
            if (got or {}).get("password") != want_password:
                problems.append("%s: password %r, want %r"
                                % (who, (got or {}).get("password"), want_password))
    return what, problems


def main():
    dump = sys.argv[1]
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith("OS_") and not k.startswith("XDG_") and k != "SNAP_REAL_HOME"}
    r = subprocess.run([SYSTEM_PYTHON, "-c", "import openstack.config"], capture_output=True,
                       text=True)
    if r.returncode != 0:
        print("Bail out! openstacksdk cannot be imported by %s; install python3-openstacksdk"
              % SYSTEM_PYTHON)
        return 1
    print("1..%d" % len(CASES))
    failed = 0
    for i, case in enumerate(CASES, 1):
        try:
            what, problems = run_case(dump, clean, case)
        except Exception as e:  # a crash of either reader fails the case
            what, problems = case[0], ["%s: %s" % (type(e).__name__, e)]
        print("%sok %d - %s" % ("not " if problems else "", i, what))
        for p in problems:
            print("#   %s" % p)
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""vpmu reads clouds.yaml, secure.yaml and OS_* as openstacksdk does.

Every cloud of tests/data/cloud/sdk/clouds.yaml (with secure.yaml), and a set
of OS_* variables, is read twice: by openstacksdk's own loader
(openstack.config.OpenStackConfig, Debian's python3-openstacksdk) and by
vpmu's (tests/cloud-config-dump).  Every auth setting openstacksdk resolves
must come out of vpmu with the same value, and region_name, interface and
auth_type must agree.  vpmu may add only openstackclient's defaults
(user/project domain id 'default').  Prints TAP.
"""

import json
import os
import shlex
import subprocess
import sys
import tempfile

AUTH_TYPES = {"password": "password", "v3password": "password", "token": "token",
              "v3token": "token", "v3applicationcredential": "v3applicationcredential"}
OSC_DEFAULTS = {"user_domain_id": "default", "project_domain_id": "default"}


# The valgrind setup puts the compiled reader (not this interpreter) under valgrind.
WRAPPER = shlex.split(os.environ.get("VPMU_TEST_WRAPPER", ""))


def vpmu_read(dump, env, name, cwd):
    r = subprocess.run(WRAPPER + [dump] + ([name] if name else []), env=env, cwd=cwd,
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        return None, r.stderr.strip()
    return json.loads(r.stdout), None


def compare(sdk_cloud, mine):
    problems = []
    auth = {k.replace("-", "_"): str(v) for k, v in sdk_cloud.config.get("auth", {}).items()}
    for k, v in auth.items():
        if mine.get(k) != v:
            problems.append(f"auth {k}: openstacksdk {v!r}, vpmu {mine.get(k)!r}")
    for k in ("region_name", "interface"):
        want = sdk_cloud.config.get(k) or None
        if mine.get(k) != want:
            problems.append(f"{k}: openstacksdk {want!r}, vpmu {mine.get(k)!r}")
    at = AUTH_TYPES.get(sdk_cloud.config.get("auth_type"), sdk_cloud.config.get("auth_type"))
    if mine.get("auth_type") != at:
        problems.append(f"auth_type: openstacksdk {at!r}, vpmu {mine.get('auth_type')!r}")
    for k, v in mine.items():
        if k in auth or k in ("region_name", "interface", "auth_type"):
            continue
        if OSC_DEFAULTS.get(k) != v:
            problems.append(f"vpmu has {k}={v!r}, openstacksdk nothing")
    return problems


def main():
    src = os.environ.get("VPMU_SRCDIR", os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    dump = sys.argv[1]
    data = os.path.join(src, "tests", "data", "cloud", "sdk")
    try:
        import openstack.config
        import yaml
    except ImportError as e:
        print(f"Bail out! openstacksdk cannot be imported ({e}); install python3-openstacksdk")
        return 1
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    with open(os.path.join(data, "clouds.yaml")) as f:
        names = list(yaml.safe_load(f)["clouds"])
    cases = []
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(clean, HOME=tmp, OS_CLIENT_CONFIG_FILE=os.path.join(data, "clouds.yaml"),
                   OS_CLIENT_SECURE_FILE=os.path.join(data, "secure.yaml"))
        sdk = openstack.config.OpenStackConfig(
            config_files=[os.path.join(data, "clouds.yaml")],
            secure_files=[os.path.join(data, "secure.yaml")], load_envvars=False)
        for name in names:
            mine, err = vpmu_read(dump, env, name, tmp)
            cases.append((f"cloud '{name}'", sdk.get_one_cloud(name), mine, err))

        osenv = {"OS_AUTH_URL": "http://keystone:5000/v3", "OS_USERNAME": "admin",
                 "OS_PASSWORD": "pw-env", "OS_PROJECT_NAME": "admin",
                 "OS_USER_DOMAIN_NAME": "Default", "OS_PROJECT_DOMAIN_NAME": "Default",
                 "OS_REGION_NAME": "RegionOne", "OS_INTERFACE": "internal",
                 "OS_CACERT": "/etc/ssl/ca.pem"}
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(dict(clean, HOME=tmp, **osenv))
        try:
            sdk_env = openstack.config.OpenStackConfig(config_files=[], secure_files=[],
                                                       vendor_files=[])
            env_cloud = sdk_env.get_one_cloud()
        finally:
            os.environ.clear()
            os.environ.update(saved)
        mine, err = vpmu_read(dump, dict(clean, HOME=tmp, **osenv), None, tmp)
        cases.append(("the OS_* variables", env_cloud, mine, err))

    print(f"1..{len(cases)}")
    failed = 0
    for i, (what, sdk_cloud, mine, err) in enumerate(cases, 1):
        problems = [f"vpmu refused it: {err}"] if mine is None else compare(sdk_cloud, mine)
        print(f"{'not ' if problems else ''}ok {i} - {what}: vpmu reads what openstacksdk reads")
        for p in problems:
            print(f"#   {p}")
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

# SPDX-License-Identifier: LGPL-2.1-or-later
"""TAP output for the Python tests: check() runs one named case, report() prints the plan."""

results = []


def check(name, fn):
    try:
        fn()
        results.append((True, name, None))
    except Exception as e:  # a failed assertion or anything unexpected
        results.append((False, name, "%s: %s" % (type(e).__name__, e)))


def expect(cond, msg):
    if not cond:
        raise AssertionError(msg)


def report(max_lines=None):
    """Print the plan and one line per case (and at most @max_lines lines of why a case
    failed); return the exit status, 0 when all passed."""
    print("1..%d" % len(results))
    for n, (ok, name, why) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", n, name))
        if why:
            for line in why.splitlines()[:max_lines]:
                print("# " + line[:400])
    return 0 if all(ok for ok, _, _ in results) else 1

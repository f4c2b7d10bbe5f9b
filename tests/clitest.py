# SPDX-License-Identifier: LGPL-2.1-or-later
"""Helpers shared by the Python tests that run the vpmu CLI (tests/test-*.py).

  - vpmu_env(): the environment to run vpmu in;
  - silent_listener(): a libvirt URI whose server accepts and never speaks.

(TAP output: tap.py.)

The test scripts import it from their own directory (tests/).
"""
import contextlib
import ctypes.util
import os
import subprocess
import sys

# A TCP server that accepts and never speaks (prints its port, holds every connection).
SILENT_LISTENER = """
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
print(s.getsockname()[1], flush=True)
held = []
while True:
    held.append(s.accept()[0])
"""


@contextlib.contextmanager
def silent_listener(userinfo=""):
    """A qemu+tcp:// URI whose server accepts and never speaks (virConnectOpen blocks).

    @userinfo ("user:password@") goes in front of the host.
    """
    lst = subprocess.Popen([sys.executable, "-u", "-c", SILENT_LISTENER],
                           stdout=subprocess.PIPE, text=True)
    try:
        yield "qemu+tcp://%s127.0.0.1:%d/system" % (userinfo, int(lst.stdout.readline()))
    finally:
        lst.kill()
        lst.wait()


def vpmu_env(env=None):
    """os.environ without LIBVIRT_DEFAULT_URI (the suite sets it), plus @env."""
    e = dict(os.environ)
    e.pop("LIBVIRT_DEFAULT_URI", None)
    if "ASAN_OPTIONS" in e:
        # The ASan runtime wraps xdrmem_create() and finds the real one when the program
        # starts; libvirt's XDR (libtirpc) comes later with the dlopen()ed libvpmu-virt, so
        # the wrapper would call NULL on a remote connection's first message.  Loading
        # libtirpc up front lets it find it (the asan setup sets verify_asan_link_order=0).
        tirpc = ctypes.util.find_library("tirpc")
        if tirpc:
            e["LD_PRELOAD"] = " ".join(filter(None, [e.get("LD_PRELOAD"), tirpc]))
    if env:
        e.update(env)
    return e


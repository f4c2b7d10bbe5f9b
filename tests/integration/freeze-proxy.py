#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""freeze-proxy.py SOCKET: a libvirt daemon that stops answering in the middle of an audit.

Listens on a loopback TCP port (printed on stdout) and forwards each connection
to the libvirt UNIX socket SOCKET, until the client sends its first
DOMAIN_GET_XML_DESC call (remote program 0x20008086, procedure 14: the audit is
past opening and listing).  From then on it forwards nothing in either
direction and drops what the client sends, keepalive probes included, while
keeping the connection open.  Stopped by its PID.
"""
import select
import socket
import struct
import sys

REMOTE_PROGRAM = 0x20008086
PROC_DOMAIN_GET_XML_DESC = 14


def serve(client, target):
    upstream = socket.socket(socket.AF_UNIX)
    upstream.connect(target)
    frozen, pending = False, b""
    while True:
        ready, _, _ = select.select([client, upstream], [], [])
        if frozen:
            for s in ready:
                if not s.recv(65536):
                    return
            continue
        if upstream in ready:
            data = upstream.recv(65536)
            if not data:
                return
            client.sendall(data)
        if client in ready:
            data = client.recv(65536)
            if not data:
                return
            pending += data
            out = b""
            # Whole messages only: 4-byte length (itself included), then program and procedure.
            while len(pending) >= 16:
                length, program, _version, procedure = struct.unpack(">IIII", pending[:16])
                if len(pending) < length:
                    break
                msg, pending = pending[:length], pending[length:]
                if program == REMOTE_PROGRAM and procedure == PROC_DOMAIN_GET_XML_DESC:
                    frozen = True
                    break
                out += msg
            if out:
                upstream.sendall(out)


def main():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    print(listener.getsockname()[1], flush=True)
    while True:
        client, _ = listener.accept()
        serve(client, sys.argv[1])
        # The connection stays open (frozen) until the client closes it.


if __name__ == "__main__":
    main()

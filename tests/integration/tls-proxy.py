#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""tls-proxy.py CERT KEY BACKEND_PORT [CLIENT_CA]: TLS in front of a plain TCP service.

Listens on 127.0.0.1 (an ephemeral port, printed on the first line of
stdout once it accepts), completes a real TLS handshake with CERT and KEY
(Python's ssl module, i.e. OpenSSL), and copies bytes both ways between each
client and 127.0.0.1:BACKEND_PORT.  With CLIENT_CA it also asks every
client for a certificate and refuses one that does not chain to CLIENT_CA,
or none (mutual TLS, like RabbitMQ's fail_if_no_peer_cert).  Each accepted
handshake is counted on stderr ("tls-proxy: handshake N", with the client's
subject CN when it sent one), so a test can tell that a client really came
through TLS.  It runs until killed.
"""

import socket
import ssl
import sys
import threading


def pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(client, ctx, backend_port, counter):
    try:
        client.settimeout(30)
        tls = ctx.wrap_socket(client, server_side=True)
    except (ssl.SSLError, OSError) as e:
        print("tls-proxy: handshake refused: %s" % e, file=sys.stderr, flush=True)
        client.close()
        return
    peer = tls.getpeercert() or {}
    cn = [v for rdn in peer.get("subject", ()) for k, v in rdn if k == "commonName"]
    with counter["lock"]:
        counter["n"] += 1
        print("tls-proxy: handshake %d%s" % (counter["n"], " client %s" % cn[0] if cn else ""),
              file=sys.stderr, flush=True)
    tls.settimeout(None)
    try:
        back = socket.create_connection(("127.0.0.1", backend_port), timeout=10)
    except OSError as e:
        print("tls-proxy: backend: %s" % e, file=sys.stderr, flush=True)
        tls.close()
        return
    back.settimeout(None)
    t = threading.Thread(target=pipe, args=(back, tls), daemon=True)
    t.start()
    pipe(tls, back)
    t.join(30)
    tls.close()
    back.close()


def main():
    cert, key, backend_port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    if len(sys.argv) > 4:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(sys.argv[4])
    lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind(("127.0.0.1", 0))
    lst.listen(16)
    print(lst.getsockname()[1], flush=True)
    counter = {"n": 0, "lock": threading.Lock()}
    while True:
        client, _ = lst.accept()
        threading.Thread(target=serve, args=(client, ctx, backend_port, counter),
                         daemon=True).start()


if __name__ == "__main__":
    main()

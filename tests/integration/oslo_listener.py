#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A real oslo.messaging notification listener, for notify-amqp.sh.

Subscribes to TOPIC (default versioned_notifications) on EXCHANGE (default
nova) the way a consumer of Nova's versioned notifications does
(get_notification_transport + get_notification_listener, threading
executor), prints one JSON line per notification received, and exits 0 after
COUNT of them, or 2 when TIMEOUT seconds pass first.

Each line: {"priority", "publisher_id", "event_type", "payload", "metadata"},
where metadata is what oslo hands the endpoint (message_id, timestamp).

Run it with Debian's python3 (python3-oslo.messaging), not a virtualenv's.
"""

import argparse
import json
import os
import sys
import threading

from oslo_config import cfg
import oslo_messaging


class Endpoint:
    def __init__(self, count, out):
        self.count = count
        self.out = out
        self.seen = 0
        self.lock = threading.Lock()
        self.done = threading.Event()

    def _record(self, priority, publisher_id, event_type, payload, metadata):
        line = json.dumps({
            "priority": priority,
            "publisher_id": publisher_id,
            "event_type": event_type,
            "payload": payload,
            "metadata": {k: str(v) for k, v in dict(metadata).items()},
        }, sort_keys=True)
        with self.lock:
            self.out.write(line + "\n")
            self.out.flush()
            self.seen += 1
            if self.seen >= self.count:
                self.done.set()
        return oslo_messaging.NotificationResult.HANDLED

    # oslo dispatches on the priority, lower-cased, to the method of that name.
    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        return self._record("INFO", publisher_id, event_type, payload, metadata)

    def warn(self, ctxt, publisher_id, event_type, payload, metadata):
        return self._record("WARN", publisher_id, event_type, payload, metadata)

    def error(self, ctxt, publisher_id, event_type, payload, metadata):
        return self._record("ERROR", publisher_id, event_type, payload, metadata)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True, help="rabbit://USER:PASS@HOST:PORT/")
    ap.add_argument("--exchange", default="nova")
    ap.add_argument("--topic", default="versioned_notifications")
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--ready-file", help="created once the listener consumes")
    ap.add_argument("--ssl-ca", help="connect with TLS, trusting this PEM CA file")
    args = ap.parse_args()

    # No config files: only what this script sets.
    conf = cfg.ConfigOpts()
    conf(args=[], project="vpmu-it", default_config_files=[])
    if args.ssl_ca:
        # oslo.messaging's own TLS options of the rabbit driver, as a
        # deployment sets them in [oslo_messaging_rabbit].
        from oslo_messaging._drivers import impl_rabbit
        conf.register_opts(impl_rabbit.rabbit_opts, group="oslo_messaging_rabbit")
        conf.set_override("ssl", True, group="oslo_messaging_rabbit")
        conf.set_override("ssl_ca_file", args.ssl_ca, group="oslo_messaging_rabbit")
        conf.set_override("ssl_enforce_hostname_verification", True,
                          group="oslo_messaging_rabbit")
    transport = oslo_messaging.get_notification_transport(conf, url=args.url)
    target = oslo_messaging.Target(topic=args.topic, exchange=args.exchange)
    endpoint = Endpoint(args.count, sys.stdout)
    listener = oslo_messaging.get_notification_listener(
        transport, [target], [endpoint], executor="threading")
    listener.start()
    if args.ready_file:
        with open(args.ready_file, "w") as f:
            f.write(str(os.getpid()) + "\n")
    ok = endpoint.done.wait(args.timeout)
    listener.stop()
    listener.wait()
    transport.cleanup()
    if not ok:
        print(f"oslo_listener: {endpoint.seen} of {args.count} notification(s) within "
              f"{args.timeout:g} s", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

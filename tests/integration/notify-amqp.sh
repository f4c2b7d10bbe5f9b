#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# vpmu's versioned notifications on a real message bus:
#
#  - starts its own RabbitMQ node (Debian rabbitmq-server) on 127.0.0.1:35672,
#    node vpmu-it@localhost, with its own epmd (port 34369), data and log
#    directories under a temporary directory; a system RabbitMQ, if any, is
#    neither used nor touched;
#  - starts a real oslo.messaging notification listener (oslo_listener.py,
#    Debian python3-oslo.messaging) on the 'versioned_notifications' topic of
#    the 'nova' exchange;
#  - runs `vpmu boot --notify amqp://...` on test:///default for hw_pmu true,
#    false and unset (and a flavor-only off), and `vpmu apply` on the test
#    driver's domain 'test', and checks that the listener
#    gets each notification with the right hw_pmu and pmu, in the shape the
#    JSON Schema in docs/notification_samples/ describes;
#  - amqps:// against the same node's TLS listener (127.0.0.1:35671, CA and
#    certificate made by openssl here) to an oslo.messaging listener over TLS:
#    --notify-ca, --notify-url-file, $VPMU_NOTIFY_URL with the system trust
#    store; refused: another CA, the system CAs, a wrong name, a plain port,
#    a URL file of mode 0644;
#  - mutual TLS: a client certificate (--notify-cert/--notify-key) accepted by the
#    node (verify_peer) and by a TLS front that requires one (tls-proxy.py);
#    refused: a client certificate of another CA, none where one is required
#    (each named), and before anything is defined a key that is not the
#    certificate's, one that others can read, an encrypted one, and a client
#    certificate with amqp://;
#  - checks --notify-exchange, and the failures: an unreachable broker (port 9),
#    a refused login and an exchange declared with other settings are each a
#    clear error and exit 1, after the guest was configured, which is kept.
#
#   notify-amqp.sh [VPMU_BIN]
#
# Stops everything it started, by PID (rabbitmqctl stop on its own node
# first).  Exit 1 (a failure, not a skip) also when RabbitMQ, epmd or
# oslo.messaging is not installed.
set -u

VPMU=${1:-${VPMU_BIN:-}}
SRCDIR=${VPMU_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=lib/wrap.sh
. "$SRCDIR/tests/integration/lib/wrap.sh" && it_wrap VPMU
PY=/usr/bin/python3
RMQ_BIN=/usr/lib/rabbitmq/bin
EPMD=/usr/bin/epmd
NODE=vpmu-it@localhost
AMQP_PORT=35672
TLS_PORT=35671
DIST_PORT=35673
EPMD_PORT=34369
URL_AMQP="amqp://guest:guest@127.0.0.1:$AMQP_PORT/"
URL_OSLO="rabbit://guest:guest@127.0.0.1:$AMQP_PORT/"

# A RabbitMQ that cannot start (or is not installed) on CI is a failure.
cannot_run() { echo "FAIL: cannot run: $*" >&2; exit 1; }
[ -n "$VPMU" ] && [ -x "$VPMU" ] || { echo "FAIL: no vpmu binary (argument or \$VPMU_BIN)" >&2; exit 1; }
[ -x "$RMQ_BIN/rabbitmq-server" ] || cannot_run "RabbitMQ is not installed (Debian rabbitmq-server)"
[ -x "$EPMD" ] || cannot_run "epmd is not installed (Debian erlang-base)"
"$PY" -c 'import oslo_messaging' 2>/dev/null ||
    cannot_run "oslo.messaging is not installed for /usr/bin/python3 (Debian python3-oslo.messaging)"
"$PY" -c 'import jsonschema' 2>/dev/null ||
    cannot_run "jsonschema is not installed for /usr/bin/python3 (Debian python3-jsonschema)"

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in $AMQP_PORT $TLS_PORT $DIST_PORT $EPMD_PORT; do
    if port_busy "$p"; then
        echo "FAIL: port $p on 127.0.0.1 is already in use; this test needs it" >&2
        exit 1
    fi
done

T=$(mktemp -d /tmp/vpmu-it-notify.XXXXXX)
EPMD_PID= RMQ_PID= LISTENER_PIDS=
failures=0

# Environment of our node and of the rabbitmqctl calls that talk to it.
export HOME="$T/home"
export ERL_EPMD_PORT=$EPMD_PORT
export RABBITMQ_NODENAME=$NODE
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT=$AMQP_PORT
export RABBITMQ_DIST_PORT=$DIST_PORT
# The CLI tools' own distribution ports default to 35672-35682 (rabbitmq-env):
# keep them off our AMQP port.
export RABBITMQ_CTL_DIST_PORT_MIN=35690
export RABBITMQ_CTL_DIST_PORT_MAX=35699
export RABBITMQ_MNESIA_BASE="$T/mnesia"
export RABBITMQ_LOG_BASE="$T/log"
export RABBITMQ_CONFIG_FILE="$T/rabbitmq.conf"
export RABBITMQ_ADVANCED_CONFIG_FILE="$T/advanced.config"
export RABBITMQ_ENABLED_PLUGINS_FILE="$T/enabled_plugins"
export RABBITMQ_CONF_ENV_FILE="$T/rabbitmq-env.conf"
export RABBITMQ_PID_FILE="$T/rabbit.pid"
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"

alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

# Wait up to $2 seconds for PID $1 to exit.
wait_gone() {
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        alive "$1" || return 0
        sleep 0.1
    done
    return 1
}

cleanup() {
    local beam=
    for p in $LISTENER_PIDS; do
        alive "$p" && kill "$p" 2>/dev/null
    done
    [ -s "$RABBITMQ_PID_FILE" ] && beam=$(cat "$RABBITMQ_PID_FILE")
    if alive "$RMQ_PID" || alive "$beam"; then
        timeout 30 "$RMQ_BIN/rabbitmqctl" -n "$NODE" -q stop >/dev/null 2>&1
        for p in $beam $RMQ_PID; do
            wait_gone "$p" 15 || { kill "$p" 2>/dev/null; wait_gone "$p" 5 || kill -9 "$p" 2>/dev/null; }
        done
    fi
    if alive "$EPMD_PID"; then
        kill "$EPMD_PID" 2>/dev/null
        wait_gone "$EPMD_PID" 5 || kill -9 "$EPMD_PID" 2>/dev/null
    fi
    if [ "$failures" -ne 0 ] && [ -d "$T/log" ]; then
        echo "--- RabbitMQ log (last 30 lines)" >&2
        tail -n 30 "$T/log/$NODE.log" >&2 2>/dev/null
    fi
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok   $*"; }

mkdir -p "$T/home" "$T/mnesia" "$T/log"
echo "[]." >"$T/enabled_plugins"
printf 'loopback_users.guest = true\nlog.console = false\nlog.file.level = info\n' >"$T/rabbitmq.conf"

# TLS (amqps://): a CA and the broker's certificate for IP 127.0.0.1 made here
# with openssl, and a second CA that signed nothing of this broker.
TLS=$T/tls
# shellcheck source=lib/tls.sh
. "$SRCDIR/tests/integration/lib/tls.sh"
if ! tls_make_certs "$TLS"; then
    failures=1
    echo "FAIL: openssl could not make the test certificates: $TLS_ERROR" >&2
    exit 1
fi
cat >>"$T/rabbitmq.conf" <<EOF
listeners.ssl.1 = 127.0.0.1:$TLS_PORT
ssl_options.cacertfile = $TLS/ca.pem
ssl_options.certfile = $TLS/server.pem
ssl_options.keyfile = $TLS/server.key
ssl_options.verify = verify_peer
ssl_options.fail_if_no_peer_cert = false
EOF
echo "[]." >"$T/advanced.config"
: >"$T/rabbitmq-env.conf"

# --- the JSON-lines file target needs no broker ------------------------------
"$VPMU" -c test:///default boot --name file-a --image-prop hw_pmu=true \
    --notify "$T/n.jsonl" >/dev/null 2>"$T/err" || fail "boot --notify FILE: $(cat "$T/err")"
"$VPMU" -c test:///default boot --name file-b --flavor-spec hw:pmu=false \
    --notify "$T/n.jsonl" >/dev/null 2>"$T/err" || fail "boot --notify FILE: $(cat "$T/err")"
if [ "$(wc -l <"$T/n.jsonl")" -eq 2 ] &&
    "$SRCDIR/tests/validate-notification-samples.sh" "$T/n.jsonl" >"$T/val" 2>&1; then
    ok "--notify FILE appends one schema-valid line per guest"
else
    fail "--notify FILE: $(cat "$T/n.jsonl" "$T/val" 2>/dev/null)"
fi

# --- our RabbitMQ node ----------------------------------------------------------
started=$(date +%s)
"$EPMD" -port $EPMD_PORT -address 127.0.0.1 >"$T/log/epmd.out" 2>&1 &
EPMD_PID=$!
(cd "$T" && exec "$RMQ_BIN/rabbitmq-server") >"$T/log/server.out" 2>"$T/log/server.err" &
RMQ_PID=$!
for ((i = 0; i < 1200; i++)); do
    port_busy $AMQP_PORT && break
    alive "$RMQ_PID" || break
    sleep 0.1
done
if ! port_busy $AMQP_PORT ||
    ! timeout 60 "$RMQ_BIN/rabbitmqctl" -n "$NODE" -q await_startup >/dev/null 2>"$T/err"; then
    failures=1
    echo "FAIL: RabbitMQ did not start:" >&2
    cat "$T/log/server.err" "$T/err" >&2
    exit 1
fi
ok "RabbitMQ node $NODE up on 127.0.0.1:$AMQP_PORT after $(($(date +%s) - started)) s"
port_busy $TLS_PORT || { failures=1; echo "FAIL: no TLS listener on 127.0.0.1:$TLS_PORT" >&2; exit 1; }
# A user with a password worth hiding, for the TLS cases.
if ! { "$RMQ_BIN/rabbitmqctl" -n "$NODE" -q add_user vpmu-tls s3cret-tls &&
    "$RMQ_BIN/rabbitmqctl" -n "$NODE" -q set_permissions -p / vpmu-tls '.*' '.*' '.*'; } >"$T/err" 2>&1; then
    failures=1
    echo "FAIL: cannot add the RabbitMQ user vpmu-tls: $(cat "$T/err")" >&2
    exit 1
fi

# Start a listener in the background; $1 output file, the rest its options.
start_listener() {
    local out=$1 ready="$1.ready"
    shift
    "$PY" "$SRCDIR/tests/integration/oslo_listener.py" --url "$URL_OSLO" --ready-file "$ready" \
        "$@" >"$out" 2>"$out.err" &
    LISTENER_PIDS="$LISTENER_PIDS $!"
    LAST_LISTENER=$!
    for ((i = 0; i < 300; i++)); do
        [ -s "$ready" ] && return 0
        alive "$LAST_LISTENER" || break
        sleep 0.1
    done
    fail "the oslo.messaging listener did not start: $(cat "$out.err")"
    return 1
}

# --- hw_pmu true / false / unset through the 'nova' exchange ---------------------
start_listener "$T/nova.out" --count 5 --timeout 60 || exit 1
boot() { # name, then vpmu boot options
    local name=$1
    shift
    "$VPMU" -o json -c test:///default boot --name "$name" "$@" >"$T/$name.json" 2>"$T/$name.err"
}
boot pmu-true --image-prop hw_pmu=true --notify "$URL_AMQP" || fail "boot pmu-true: $(cat "$T/pmu-true.err")"
boot pmu-false --image-prop hw_pmu=false --notify "$URL_AMQP" || fail "boot pmu-false: $(cat "$T/pmu-false.err")"
boot pmu-unset --notify "$URL_AMQP" || fail "boot pmu-unset: $(cat "$T/pmu-unset.err")"
boot flavor-off --flavor-spec hw:pmu=false --notify "$URL_AMQP" ||
    fail "boot flavor-off: $(cat "$T/flavor-off.err")"
# vpmu apply on the test driver's own domain 'test' notifies too.
"$VPMU" -o json -c test:///default apply test --image-prop hw_pmu=false --notify "$URL_AMQP" \
    >"$T/test.json" 2>"$T/test.err" || fail "apply test: $(cat "$T/test.err")"
wait "$LAST_LISTENER" || fail "the listener did not receive 5 notifications: $(cat "$T/nova.out.err")"

# Each received notification: the right hw_pmu and pmu, the domain boot reported,
# and the envelope rebuilt from what oslo hands the endpoint is schema-valid.
check_received() { # listener output, then name=hw_pmu:pmu ...
    "$PY" - "$SRCDIR/docs/notification_samples/vpmu-guest-configure.schema.json" "$T" "$@" <<'PY'
import json, socket, sys
import jsonschema

schema_path, tmp, out, *cases = sys.argv[1:]
validator = jsonschema.Draft202012Validator(json.load(open(schema_path)))
got = {}
for line in open(out):
    n = json.loads(line)
    data = n["payload"]["nova_object.data"]
    got[data["domain_name"]] = n
bad = 0
for case in cases:
    name, want = case.split("=")
    want_hw, want_pmu = want.split(":")
    want_hw = {"true": True, "false": False, "null": None}[want_hw]
    n = got.get(name)
    if n is None:
        print(f"FAIL {name}: not received (received: {sorted(got)})"); bad += 1; continue
    data = n["payload"]["nova_object.data"]
    props = data["image"]["nova_object.data"]["properties"]["nova_object.data"]
    booted = json.load(open(f"{tmp}/{name}.json"))
    env = {"message_id": n["metadata"]["message_id"], "publisher_id": n["publisher_id"],
           "event_type": n["event_type"], "priority": n["priority"],
           "timestamp": n["metadata"]["timestamp"], "payload": n["payload"]}
    errors = [e.message for e in validator.iter_errors(env)]
    checks = [
        ("hw_pmu", "hw_pmu" in props and props["hw_pmu"] is want_hw, props.get("hw_pmu", "absent")),
        ("pmu", data["pmu"] == want_pmu, data["pmu"]),
        ("domain_uuid", data["domain_uuid"] == booted["uuid"], data["domain_uuid"]),
        # boot reports the effective state it computed; the notification carries the same.
        ("effective_pmu", not isinstance(booted.get("effective"), dict)
         or data["effective_pmu"] == booted["effective"]["effective"], data["effective_pmu"]),
        ("publisher_id", n["publisher_id"] == "vpmu:" + socket.gethostname(), n["publisher_id"]),
        ("event_type", n["event_type"] == "vpmu.guest.configure", n["event_type"]),
        ("priority", n["priority"] == "INFO", n["priority"]),
        ("schema", not errors, errors),
    ]
    for what, good, value in checks:
        if not good:
            print(f"FAIL {name}: {what} is {value!r}"); bad += 1
    if all(c[1] for c in checks):
        print(f"ok   {name}: received, hw_pmu={json.dumps(want_hw)}, pmu={want_pmu}, schema-valid")
extra = set(got) - {c.split("=")[0] for c in cases}
if extra:
    print(f"FAIL: unexpected notifications for {sorted(extra)}"); bad += 1
sys.exit(1 if bad else 0)
PY
}
check_received "$T/nova.out" pmu-true=true:on pmu-false=false:off pmu-unset=null:unset \
    flavor-off=null:off test=false:off || failures=$((failures + 1))

# --- --notify-exchange ----------------------------------------------------------------
start_listener "$T/other.out" --exchange vpmu-it --count 1 --timeout 30 || exit 1
boot other-exchange --image-prop hw_pmu=true --notify "$URL_AMQP" --notify-exchange vpmu-it ||
    fail "boot --notify-exchange: $(cat "$T/other-exchange.err")"
wait "$LAST_LISTENER" || fail "nothing on exchange vpmu-it: $(cat "$T/other.out.err")"
check_received "$T/other.out" other-exchange=true:on || failures=$((failures + 1))

# --- failures: clear, exit 1, and the guest is kept --------------------------------------
# $1 name, $2 expected stderr text, then boot options.  The guest was defined and
# started before the notification was attempted: boot's own output says so, and
# vpmu says that nothing was rolled back.  (test:///default lives in the vpmu
# process, so the definition cannot be re-read from another process here.)
expect_notify_failure() {
    local name=$1 want=$2
    shift 2
    boot "$name" "$@"
    local rc=$?
    local err
    err=$(cat "$T/$name.err")
    if [ $rc -ne 1 ]; then
        fail "$name: exit $rc, expected 1; stderr: $err"
    elif ! grep -qF -- "$want" "$T/$name.err"; then
        fail "$name: stderr lacks '$want': $err"
    elif ! grep -qF "guest '$name' (" "$T/$name.err" ||
        ! grep -qF "was configured and stays configured (nothing was rolled back), but its notification was not sent" "$T/$name.err"; then
        fail "$name: stderr does not say the guest stays configured: $err"
    elif grep -qF "s3cret" "$T/$name.err"; then
        fail "$name: the password appears in the message: $err"
    elif ! "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["state"]=="running" and d["uuid"] else 1)' "$T/$name.json"; then
        fail "$name: boot did not report the guest as running: $(cat "$T/$name.json")"
    else
        ok "$name: exit 1, '$want', guest reported running and kept"
    fi
}
expect_notify_failure unreachable "cannot reach the AMQP broker at 'amqp://guest@127.0.0.1:9/': Connection refused" \
    --image-prop hw_pmu=true --notify "amqp://guest:s3cret@127.0.0.1:9/"
expect_notify_failure bad-login "refused to log in as 'guest' to vhost '/': 403 ACCESS_REFUSED" \
    --image-prop hw_pmu=true --notify "amqp://guest:s3cret@127.0.0.1:$AMQP_PORT/"
# An exchange someone declared durable (amqp_durable_queues=True elsewhere):
# the broker refuses our non-durable declaration, as it would refuse oslo's.
"$PY" - $AMQP_PORT <<'PY' || fail "could not declare the durable exchange"
import sys
import amqp
c = amqp.Connection(f"127.0.0.1:{sys.argv[1]}", userid="guest", password="guest")
c.connect()
c.channel().exchange_declare("vpmu-durable", "topic", durable=True, auto_delete=False)
c.close()
PY
expect_notify_failure durable-mismatch "406 PRECONDITION_FAILED - inequivalent arg 'durable'" \
    --flavor-spec hw:pmu=false --notify "$URL_AMQP" --notify-exchange vpmu-durable

# --- amqps:// (TLS) ----------------------------------------------------------------
# A real oslo.messaging listener over TLS (ssl, ssl_ca_file, host name check)
# receives what vpmu publishes over TLS: the URL on the command line with
# --notify-ca; from a 0600 --notify-url-file; from $VPMU_NOTIFY_URL with the
# "system" trust store (OpenSSL's default paths, pointed at our CA by
# SSL_CERT_FILE).  Then the refusals: another CA, the real system CAs, a name
# the certificate does not carry, a plain-AMQP port, a URL file others can read.
URL_TLS="amqps://vpmu-tls:s3cret-tls@127.0.0.1:$TLS_PORT/"
SHOWN_TLS="amqps://vpmu-tls@127.0.0.1:$TLS_PORT/"
unset SSL_CERT_FILE SSL_CERT_DIR VPMU_NOTIFY_URL
start_listener "$T/tls.out" --url "rabbit://guest:guest@127.0.0.1:$TLS_PORT/" --ssl-ca "$TLS/ca.pem" \
    --count 3 --timeout 60 || exit 1
boot tls-ca --image-prop hw_pmu=true --notify "$URL_TLS" --notify-ca "$TLS/ca.pem" ||
    fail "boot --notify amqps:// --notify-ca: $(cat "$T/tls-ca.err")"
install -m 600 /dev/null "$T/notify.url"
printf '%s\n' "$URL_TLS" >"$T/notify.url"
boot tls-url-file --image-prop hw_pmu=false --notify-url-file "$T/notify.url" --notify-ca "$TLS/ca.pem" ||
    fail "boot --notify-url-file: $(cat "$T/tls-url-file.err")"
VPMU_NOTIFY_URL=$URL_TLS SSL_CERT_FILE=$TLS/ca.pem boot tls-env --flavor-spec hw:pmu=false ||
    fail "boot with \$VPMU_NOTIFY_URL and SSL_CERT_FILE: $(cat "$T/tls-env.err")"
wait "$LAST_LISTENER" || fail "the TLS listener did not receive 3 notifications: $(cat "$T/tls.out.err")"
check_received "$T/tls.out" tls-ca=true:on tls-url-file=false:off tls-env=null:off || failures=$((failures + 1))
if grep -l "s3cret" "$T"/tls-*.json "$T"/tls-*.err 2>/dev/null; then
    fail "the broker password appears in vpmu's output"
else
    ok "amqps: no output of vpmu holds the password"
fi

# The broker sends its CA along (cacertfile): OpenSSL finds a self-signed
# certificate in the chain that nothing trusted signed.
NOT_ACCEPTED="the certificate of the AMQP broker at '$SHOWN_TLS' was not accepted"
expect_notify_failure tls-wrong-ca "$NOT_ACCEPTED: self-signed certificate in certificate chain (checked against the CAs of '$TLS/other-ca.pem')" \
    --image-prop hw_pmu=true --notify "$URL_TLS" --notify-ca "$TLS/other-ca.pem"
expect_notify_failure tls-system-cas "$NOT_ACCEPTED: self-signed certificate in certificate chain (checked against the system's CAs)" \
    --image-prop hw_pmu=true --notify "$URL_TLS"
expect_notify_failure tls-wrong-name "the certificate of the AMQP broker at 'amqps://vpmu-tls@localhost:$TLS_PORT/' was not accepted: hostname mismatch" \
    --image-prop hw_pmu=true --notify "amqps://vpmu-tls:s3cret-tls@localhost:$TLS_PORT/" --notify-ca "$TLS/ca.pem"
expect_notify_failure tls-plain-port "the TLS handshake with the AMQP broker at 'amqps://vpmu-tls@127.0.0.1:$AMQP_PORT/' failed" \
    --image-prop hw_pmu=true --notify "amqps://vpmu-tls:s3cret-tls@127.0.0.1:$AMQP_PORT/" --notify-ca "$TLS/ca.pem"
# A URL file others can read is refused (exit 2) before the guest is defined.
chmod 644 "$T/notify.url"
boot tls-url-file-0644 --image-prop hw_pmu=true --notify-url-file "$T/notify.url"
rc=$?
if [ $rc -eq 2 ] && [ ! -s "$T/tls-url-file-0644.json" ] &&
    grep -qF "the --notify-url-file '$T/notify.url' has mode 0644" "$T/tls-url-file-0644.err" &&
    ! grep -q s3cret "$T/tls-url-file-0644.err"; then
    ok "--notify-url-file with mode 0644: exit 2 before anything was defined"
else
    fail "--notify-url-file 0644: exit $rc, stdout $(cat "$T/tls-url-file-0644.json"), stderr $(cat "$T/tls-url-file-0644.err")"
fi

# --- amqps:// with a client certificate (mutual TLS) --------------------------------
# The node verifies the client certificates it is offered (verify_peer) but asks for
# none, so the cases above pass without one: a client certificate of our CA is accepted
# and the notification arrives; one of another CA is refused by RabbitMQ.  Then a TLS
# front that insists on a client certificate (tls-proxy.py with a client CA, like
# fail_if_no_peer_cert = true) before the plain port: with one it passes, and its CN is
# what the front saw; without one the broker's refusal is named.  A key that is not the
# certificate's, or that others can read, is refused before the guest is defined.
tls_proxy_start "$TLS/server.pem" "$TLS/server.key" "$AMQP_PORT" "$T/mtls-proxy.log" "$TLS/ca.pem"
tls_rc=$?
MTLS_PROXY_PID=$TLS_PROXY_PID
LISTENER_PIDS="$LISTENER_PIDS $MTLS_PROXY_PID"
[ $tls_rc -eq 0 ] || { failures=$((failures + 1)); echo "FAIL: $TLS_ERROR" >&2; exit 1; }
MTLS_PORT=$TLS_PROXY_PORT
CLIENT=(--notify-ca "$TLS/ca.pem" --notify-cert "$TLS/client.pem" --notify-key "$TLS/client.key")
start_listener "$T/mtls.out" --count 2 --timeout 60 || exit 1
boot mtls-rabbit --image-prop hw_pmu=true --notify "$URL_TLS" "${CLIENT[@]}" ||
    fail "boot with a client certificate to RabbitMQ (verify_peer): $(cat "$T/mtls-rabbit.err")"
boot mtls-front --image-prop hw_pmu=false \
    --notify "amqps://vpmu-tls:s3cret-tls@127.0.0.1:$MTLS_PORT/" "${CLIENT[@]}" ||
    fail "boot with a client certificate through the front that requires one: $(cat "$T/mtls-front.err")"
wait "$LAST_LISTENER" || fail "mutual TLS: the listener did not receive 2 notifications: $(cat "$T/mtls.out.err")"
check_received "$T/mtls.out" mtls-rabbit=true:on mtls-front=false:off || failures=$((failures + 1))
if grep -q "^tls-proxy: handshake [0-9]* client vpmu-it client$" "$T/mtls-proxy.log"; then
    ok "mutual TLS: the front saw vpmu's client certificate (CN vpmu-it client)"
else
    fail "mutual TLS: the front saw no client certificate: $(cat "$T/mtls-proxy.log")"
fi
# The broker's refusal comes after the handshake (TLS 1.3); its reason is read with it,
# unless the broker's close overtook the alert (a slow client: under valgrind, say),
# when vpmu says what such an ending means.  Either way it is named.
refusal_named() { # name, OpenSSL's reason
    if grep -qF -- "failed to log in as 'vpmu-tls' to vhost '/': TLS: $2" "$T/$1.err" ||
        grep -qF -- "(the broker ended the TLS session after the handshake, as a broker does that refuses the client certificate or wants one)" "$T/$1.err"; then
        ok "$1: the refusal is named"
    else
        fail "$1: neither '$2' nor the ended-session note: $(cat "$T/$1.err")"
    fi
}
expect_notify_failure mtls-other-ca "the AMQP broker at '$SHOWN_TLS' failed to log in as 'vpmu-tls' to vhost '/': " \
    --image-prop hw_pmu=true --notify "$URL_TLS" --notify-ca "$TLS/ca.pem" \
    --notify-cert "$TLS/other-client.pem" --notify-key "$TLS/other-client.key"
refusal_named mtls-other-ca "tlsv1 alert unknown ca (the broker did not accept the client certificate)"
expect_notify_failure mtls-no-cert "the AMQP broker at 'amqps://vpmu-tls@127.0.0.1:$MTLS_PORT/' failed to log in as 'vpmu-tls' to vhost '/': " \
    --image-prop hw_pmu=true --notify "amqps://vpmu-tls:s3cret-tls@127.0.0.1:$MTLS_PORT/" --notify-ca "$TLS/ca.pem"
refusal_named mtls-no-cert "tlsv13 alert certificate required (the broker asks for a client certificate)"
# Refused before anything is defined: exit 2 (or 1 for the key that is not the certificate's).
refused_early() { # name, exit, expected stderr text, then boot options
    local name=$1 want_rc=$2 want=$3 rc
    shift 3
    boot "$name" "$@"
    rc=$?
    if [ $rc -eq "$want_rc" ] && [ ! -s "$T/$name.json" ] && grep -qF -- "$want" "$T/$name.err"; then
        ok "$name: exit $rc before anything was defined: $want"
    else
        fail "$name: exit $rc (want $want_rc), stdout $(cat "$T/$name.json"), stderr $(cat "$T/$name.err")"
    fi
}
refused_early mtls-key-mismatch 1 "the client key '$TLS/other-client.key' does not belong to the certificate '$TLS/client.pem'" \
    --image-prop hw_pmu=true --notify "$URL_TLS" --notify-ca "$TLS/ca.pem" \
    --notify-cert "$TLS/client.pem" --notify-key "$TLS/other-client.key"
cp "$TLS/client.key" "$T/open.key"
chmod 644 "$T/open.key"
refused_early mtls-key-0644 2 "the --notify-key file '$T/open.key' has mode 0644" \
    --image-prop hw_pmu=true --notify "$URL_TLS" --notify-ca "$TLS/ca.pem" \
    --notify-cert "$TLS/client.pem" --notify-key "$T/open.key"
openssl pkey -in "$TLS/client.key" -aes256 -passout pass:vpmu-it -out "$T/encrypted.key" 2>"$T/openssl-enc.log" &&
    chmod 600 "$T/encrypted.key" || fail "openssl could not encrypt the key: $(cat "$T/openssl-enc.log")"
refused_early mtls-key-encrypted 2 "the --notify-key file '$T/encrypted.key' holds an encrypted private key" \
    --image-prop hw_pmu=true --notify "$URL_TLS" --notify-ca "$TLS/ca.pem" \
    --notify-cert "$TLS/client.pem" --notify-key "$T/encrypted.key"
refused_early mtls-cert-amqp 2 "--notify-cert is only used with an amqps:// target" \
    --image-prop hw_pmu=true --notify "$URL_AMQP" --notify-cert "$TLS/client.pem" --notify-key "$TLS/client.key"

# Nothing from the failed cases reached the 'nova' listener's queue.
start_listener "$T/after.out" --count 1 --timeout 3
wait "$LAST_LISTENER"
if [ -s "$T/after.out" ]; then
    fail "unexpected notifications after the failures: $(cat "$T/after.out")"
else
    ok "no notification was published by the failed cases"
fi

echo "$failures failure(s)"
[ "$failures" -eq 0 ]

# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Test certificates, made with openssl for one run:
#   tls_make_certs DIR || fail "$TLS_ERROR"
# writes into DIR: ca.pem/ca.key (a CA), other-ca.pem (a second CA),
# server.pem/server.key, signed by ca.pem, for IP 127.0.0.1 only (no DNS
# name: "localhost" is a host name mismatch), and two client certificates
# (extendedKeyUsage clientAuth, CN "vpmu-it client"): client.pem/client.key
# signed by ca.pem and other-client.pem/other-client.key signed by
# other-ca.pem.  EC P-256 keys (mode 0600), valid for 2 days.  On failure
# TLS_ERROR holds openssl's output.

tls_make_certs() {
    local dir=$1 log=$1/openssl.log ca
    TLS_ERROR=""
    mkdir -p "$dir" || { TLS_ERROR="cannot make $dir"; return 1; }
    _tls_key() { echo "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout $dir/$1.key"; }
    for ca in ca other-ca; do
        # shellcheck disable=SC2046 # the options are words on purpose
        openssl req -x509 $(_tls_key $ca) -out "$dir/$ca.pem" -days 2 -subj "/CN=vpmu-it $ca" \
            -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
            >>"$log" 2>&1 || { TLS_ERROR=$(cat "$log"); return 1; }
    done
    # shellcheck disable=SC2046
    openssl req -new $(_tls_key server) -out "$dir/server.csr" -subj "/CN=vpmu-it server" \
        >>"$log" 2>&1 || { TLS_ERROR=$(cat "$log"); return 1; }
    printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n' \
        >"$dir/server.ext"
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
        -days 2 -extfile "$dir/server.ext" -out "$dir/server.pem" >>"$log" 2>&1 ||
        { TLS_ERROR=$(cat "$log"); return 1; }
    printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n' \
        >"$dir/client.ext"
    local client signer
    for client in client:ca other-client:other-ca; do
        signer=${client#*:} client=${client%%:*}
        # shellcheck disable=SC2046
        openssl req -new $(_tls_key "$client") -out "$dir/$client.csr" -subj "/CN=vpmu-it client" \
            >>"$log" 2>&1 || { TLS_ERROR=$(cat "$log"); return 1; }
        openssl x509 -req -in "$dir/$client.csr" -CA "$dir/$signer.pem" -CAkey "$dir/$signer.key" \
            -CAcreateserial -days 2 -extfile "$dir/client.ext" -out "$dir/$client.pem" \
            >>"$log" 2>&1 || { TLS_ERROR=$(cat "$log"); return 1; }
    done
    chmod 600 "$dir"/*.key
}

# tls_proxy_start CERT KEY BACKEND_PORT LOG [CLIENT_CA]: tls-proxy.py (a TLS
# front before 127.0.0.1:BACKEND_PORT, asking for a client certificate of
# CLIENT_CA when given) in the background, its stderr in LOG.  Sets
# TLS_PROXY_PID, which the caller stops, and TLS_PROXY_PORT once it listens;
# 1 with TLS_ERROR when it did not start.
tls_proxy_start() {
    local cert=$1 key=$2 backend=$3 log=$4 i
    shift 4
    /usr/bin/python3 -u "$(dirname "${BASH_SOURCE[0]}")/../tls-proxy.py" "$cert" "$key" "$backend" "$@" \
        >"$log.port" 2>"$log" &
    TLS_PROXY_PID=$!
    TLS_PROXY_PORT=""
    for ((i = 0; i < 100; i++)); do [[ -s "$log.port" ]] && break; sleep 0.1; done
    TLS_PROXY_PORT=$(head -n 1 "$log.port")
    [[ -n "$TLS_PROXY_PORT" ]] || { TLS_ERROR="tls-proxy.py did not start: $(cat "$log")"; return 1; }
}

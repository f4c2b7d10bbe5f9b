# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Test certificates, made with openssl for one run:
#   tls_make_certs DIR || fail "$TLS_ERROR"
# writes into DIR: ca.pem/ca.key (a CA), other-ca.pem (a second CA that signs
# nothing here), and server.pem/server.key, signed by ca.pem, for IP
# 127.0.0.1 only (no DNS name: "localhost" is a host name mismatch).  EC
# P-256 keys, valid for 2 days.  On failure TLS_ERROR holds openssl's output.

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
}

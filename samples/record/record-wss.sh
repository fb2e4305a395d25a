#!/usr/bin/env bash
# Records the wss sample captures (WebSocket over TLS) in samples/: for each sample NAME the
# capture, the NSS key log the peers wrote (NAME.keys), the peers' log of every WebSocket message
# (NAME.log.jsonl), and tshark's decrypted dissection (NAME.tshark.jsonl). See samples/README.md,
# section "wss samples (TLS)".
#
# Run as root (tcpdump):   sudo samples/record/record-wss.sh [NAME...]
# With names, records only those samples (e.g. `record-wss.sh wss-python wss-resumed`);
# wss-embedded is made from wss-python's files, so it needs them (recorded in the same run or before).
#
# Everything runs on lo, port 8443. Test certificates for the name wss.test (self-signed RSA 2048
# and ECDSA P-256, test keys only) are made in the temporary directory on each run.
# Needs: tcpdump, tshark/editcap (Debian: tshark), openssl, python3 with websockets, node + npm
# (npm ci installs ws from node/package-lock.json), chromium (only for wss-chromium).
# Environment: TSHARK_FRAMES = path of tshark_frames.py (default ../shared/tools/ beside the repo).
set -euo pipefail

source "$(dirname "$0")/lib.sh"

[[ $(id -u) == 0 ]] || { echo "run as root (tcpdump)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/wsinspect-wss.XXXXXX)
trap 'stop_all; rm -rf "$WORK"' EXIT
NODE_DIR=$RECORD_DIR/node
PYDIR=$RECORD_DIR/py
PORT=8443

# certs: $WORK/rsa.{pem,key} and $WORK/ec.{pem,key}, self-signed for wss.test.
certs() {
    [[ -f $WORK/ec.pem ]] && return 0
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=wss.test \
        -addext subjectAltName=DNS:wss.test -keyout "$WORK/rsa.key" -out "$WORK/rsa.pem" 2>/dev/null
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 -subj /CN=wss.test \
        -addext subjectAltName=DNS:wss.test -keyout "$WORK/ec.key" -out "$WORK/ec.pem" 2>/dev/null
}

# wss_server NAME [OPTION...]: server.py with TLS (RSA certificate, ALPN http/1.1) on 127.0.0.1:8443,
# logging to $WORK/NAME.server.raw.
wss_server() {
    local name=$1
    shift
    certs
    bg_start timeout 90 "$PY" "$PYDIR/server.py" --host 127.0.0.1 --port $PORT --log "$WORK/$name.server.raw" \
        --tls-cert "$WORK/rsa.pem,$WORK/rsa.key" --alpn http/1.1 "$@"
    SERVER_PID=$LAST_PID
    wait_listen $PORT
}

# wss_capture NAME: tcpdump on lo, port 8443, writing samples/NAME.pcap.
wss_capture() {
    start_capture "$SAMPLES_DIR/$1.pcap" tcpdump -i lo -U --immediate-mode -Z root \
        -w "$SAMPLES_DIR/$1.pcap" "tcp port $PORT"
}

# py_wss NAME SCENARIO CONNS [SERVER-OPTION...]: server.py and one wssclient.py scenario; the
# client's key log goes to $WORK/NAME.keys.
py_wss() {
    local name=$1 scenario=$2 conns=$3
    shift 3
    rm -f "$WORK/$name".*
    wss_server "$name" --conns "$conns" "$@"
    wss_capture "$name"
    timeout 90 "$PY" "$PYDIR/wssclient.py" "$scenario" --uri "wss://wss.test:$PORT/" --connect 127.0.0.1 \
        --ca "$WORK/rsa.pem" --ca "$WORK/ec.pem" --keylog "$WORK/$name.keys" \
        --log "$WORK/$name.client.raw" --info "$WORK/$name.info.jsonl"
    wait_pid "$SERVER_PID" 20
    stop_capture
    finalize "$name" "$WORK/$name.server.raw" "$WORK/$name.client.raw"
}

# tls_ref NAME [KEYS]: samples/NAME.tshark.jsonl, tshark's dissection decrypted with the key log
# (samples/NAME.keys unless given; "-" for none: the capture carries its secrets itself).
# -d tcp.port==8443,tls: TLS on the port; tshark then hands the decrypted bytes to HTTP because
# the connection negotiated ALPN http/1.1, and HTTP to WebSocket at the 101.
tls_ref() {
    local name=$1 keys=${2:-$SAMPLES_DIR/$1.keys}
    local opts=(-d tcp.port==$PORT,tls)
    [[ $keys == - ]] || opts+=(-o "tls.keylog_file:$keys")
    tshark_ref "$name" "${opts[@]}"
}

# facts NAME [KEYS]: print what the handshakes in the capture say, per TCP connection (tlsfacts.py),
# and keep it in $WORK/NAME.facts.jsonl for expect_facts.
facts() {
    local name=$1 keys=${2:-$SAMPLES_DIR/$1.keys}
    local opts=(-d tcp.port==$PORT,tls)
    [[ $keys == - ]] || opts+=(--keys "$keys")
    "$PY" "$RECORD_DIR/tlsfacts.py" "$(capture_of "$name")" "${opts[@]}" | tee "$WORK/$name.facts.jsonl" >&2
}

# expect_facts NAME FIELD JSON-LIST: the capture's connections, in order, have these values of FIELD.
expect_facts() {
    "$PY" - "$WORK/$1.facts.jsonl" "$2" "$3" <<'PY'
import json, sys
path, field, want = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
got = [json.loads(line).get(field) for line in open(path)]
sys.exit(0 if got == want else f"{path}: {field} is {got}, expected {want}")
PY
}

# 1. wss-python: Python client and server, TLS 1.3 with OpenSSL's default suites, ALPN http/1.1,
#    permessage-deflate (websockets' default), one short conversation. Client key log.
record_wss_python() {
    py_wss wss-python python 1 --compression deflate
    cp "$WORK/wss-python.keys" "$SAMPLES_DIR/wss-python.keys"
    tls_ref wss-python
    facts wss-python
}

# 2. wss-node-chacha: Node ws client and server, TLS 1.3 with TLS_CHACHA20_POLY1305_SHA256 only,
#    permessage-deflate on both, a 20000-byte message (two TLS records) and a fragmented one.
#    Key log from the client TLSSocket's 'keylog' event.
NPM_DONE=
node_deps() {
    if [[ -z $NPM_DONE ]]; then
        (cd "$NODE_DIR" && timeout 300 npm ci --no-audit --no-fund --loglevel=error)
        NPM_DONE=1
    fi
}
record_wss_node_chacha() {
    node_deps
    certs
    rm -f "$WORK"/wss-node-chacha.*
    wss_capture wss-node-chacha
    timeout 90 node "$NODE_DIR/wss-chacha.js" "$WORK/wss-node-chacha.raw" "$WORK/wss-node-chacha.keys" \
        "$WORK/rsa.pem" "$WORK/rsa.key" $PORT
    stop_capture
    cp "$WORK/wss-node-chacha.keys" "$SAMPLES_DIR/wss-node-chacha.keys"
    finalize wss-node-chacha "$WORK/wss-node-chacha.raw"
    tls_ref wss-node-chacha
    facts wss-node-chacha
}

# 3. wss-tls12-gcm: TLS 1.2, three connections: ECDHE-RSA-AES128-GCM-SHA256,
#    ECDHE-ECDSA-AES256-GCM-SHA384 (the server also holds an ECDSA certificate),
#    ECDHE-RSA-CHACHA20-POLY1305.
record_wss_tls12_gcm() {
    certs
    py_wss wss-tls12-gcm tls12-gcm 3 --tls-cert "$WORK/ec.pem,$WORK/ec.key"
    cp "$WORK/wss-tls12-gcm.keys" "$SAMPLES_DIR/wss-tls12-gcm.keys"
    tls_ref wss-tls12-gcm
    facts wss-tls12-gcm
}

# 4. wss-tls12-cbc: TLS 1.2 CBC suites, one connection each, encrypt-then-MAC on or off
#    (wssclient.py sets SSL_OP_NO_ENCRYPT_THEN_MAC where off). The server allows the SHA-1 suites.
record_wss_tls12_cbc() {
    py_wss wss-tls12-cbc tls12-cbc 4 --tls-ciphers 'ECDHE+AESGCM:ECDHE+CHACHA20:ECDHE+AES'
    cp "$WORK/wss-tls12-cbc.keys" "$SAMPLES_DIR/wss-tls12-cbc.keys"
    tls_ref wss-tls12-cbc
    facts wss-tls12-cbc
    expect_facts wss-tls12-cbc etm '[true, false, true, false]'
}

# 5. wss-resumed: TLS 1.3 full + PSK resumption, TLS 1.2 full + ticket resumption, TLS 1.2 full
#    without tickets + session ID resumption.
record_wss_resumed() {
    py_wss wss-resumed resumed 6
    cp "$WORK/wss-resumed.keys" "$SAMPLES_DIR/wss-resumed.keys"
    tls_ref wss-resumed
    facts wss-resumed
    expect_facts wss-resumed resumed '[false, "psk", false, "ticket", false, "session id"]'
}

# 6. wss-embedded.pcapng: wss-python with its key log in a Decryption Secrets Block.
record_wss_embedded() {
    local f
    for f in wss-python.pcap wss-python.keys wss-python.log.jsonl; do
        [[ -f $SAMPLES_DIR/$f ]] || { echo "wss-embedded needs samples/$f: record wss-python first" >&2; return 1; }
    done
    rm -f "$SAMPLES_DIR/wss-embedded.pcapng"
    editcap --inject-secrets "tls,$SAMPLES_DIR/wss-python.keys" "$SAMPLES_DIR/wss-python.pcap" \
        "$SAMPLES_DIR/wss-embedded.pcapng"
    cp "$SAMPLES_DIR/wss-python.log.jsonl" "$SAMPLES_DIR/wss-embedded.log.jsonl"
    tls_ref wss-embedded -
    facts wss-embedded -
}

# 7. wss-missing-key: two TLS 1.3 connections; the sample's key log keeps the first one's lines only.
record_wss_missing_key() {
    py_wss wss-missing-key missing-key 2
    local first
    first=$("$PY" -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["client_port"])' \
        "$WORK/wss-missing-key.info.jsonl")
    "$PY" "$RECORD_DIR/keylog-filter.py" "$WORK/wss-missing-key.keys" --pcap "$SAMPLES_DIR/wss-missing-key.pcap" \
        --keep-port "$first" >"$SAMPLES_DIR/wss-missing-key.keys"
    tls_ref wss-missing-key
    facts wss-missing-key
    expect_facts wss-missing-key websocket_frames "[$(wc -l <"$SAMPLES_DIR/wss-missing-key.tshark.jsonl"), 0]"
}

# 8. wss-chromium: headless Chromium loads chromium/wss-page.html over https from server.py
#    (HTTP/1.1 only: the server's ALPN offers nothing else) and its WebSocket client talks wss to
#    the same server. Chromium writes the key log (SSLKEYLOGFILE). Only the server logs messages.
record_wss_chromium() {
    if ! command -v chromium >/dev/null; then
        echo "chromium not installed (apt-get install chromium): skipping wss-chromium" >&2
        return 0
    fi
    rm -f "$WORK"/wss-chromium.*
    wss_server wss-chromium --conns 1 --compression deflate --page "$RECORD_DIR/chromium/wss-page.html"
    local server=$SERVER_PID
    wss_capture wss-chromium
    mkdir -p "$WORK/wss-chromium.profile"
    # (the browser's stderr, full of D-Bus complaints, goes to $WORK/wss-chromium.stderr)
    bg_start sh -c 'f=$1; shift; exec "$@" 2>"$f"' sh "$WORK/wss-chromium.stderr" \
        env SSLKEYLOGFILE="$WORK/wss-chromium.keys" timeout 60 chromium --headless=new --no-sandbox \
        --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update \
        --disable-sync --disable-features=MediaRouter,OptimizationHints --ignore-certificate-errors \
        --host-resolver-rules="MAP wss.test 127.0.0.1" --user-data-dir="$WORK/wss-chromium.profile" \
        "https://wss.test:$PORT/"
    local browser=$LAST_PID
    wait_pid "$server" 45
    kill -TERM "$browser" 2>/dev/null || true
    wait_pid "$browser" 15 || true
    stop_capture
    cp "$WORK/wss-chromium.keys" "$SAMPLES_DIR/wss-chromium.keys"
    finalize wss-chromium "$WORK/wss-chromium.server.raw"
    tls_ref wss-chromium
    facts wss-chromium
}

# expect_tshark NAME FILTER COUNT: tshark, decrypting with samples/NAME.keys, shows COUNT packets
# matching the display filter FILTER.
expect_tshark() {
    local name=$1 filter=$2 want=$3 got
    got=$(tshark -r "$(capture_of "$name")" -d tcp.port==$PORT,tls -o "tls.keylog_file:$SAMPLES_DIR/$name.keys" \
        -Y "$filter" -T fields -e frame.number | tr '\n' ' ')
    echo "$name: '$filter': packets $got" >&2
    [[ $(wc -w <<<"$got") == "$want" ]] || { echo "$name: expected $want packets matching '$filter'" >&2; return 1; }
}

# 9. wss-hrr: Node ws client and server, TLS 1.3 with a HelloRetryRequest: the client's groups
#    are X25519 and P-256 (key share for X25519 only), the server takes P-256 only, so it asks
#    for another key share and the client sends a second ClientHello. No compression.
record_wss_hrr() {
    node_deps
    certs
    rm -f "$WORK"/wss-hrr.*
    wss_capture wss-hrr
    timeout 90 node "$NODE_DIR/wss-hrr.js" "$WORK/wss-hrr.raw" "$WORK/wss-hrr.keys" \
        "$WORK/rsa.pem" "$WORK/rsa.key" $PORT
    stop_capture
    cp "$WORK/wss-hrr.keys" "$SAMPLES_DIR/wss-hrr.keys"
    finalize wss-hrr "$WORK/wss-hrr.raw"
    tls_ref wss-hrr
    facts wss-hrr
    # the HelloRetryRequest is a ServerHello with this fixed random (RFC 8446, 4.1.3)
    expect_tshark wss-hrr \
        'tls.handshake.random == cf:21:ad:74:e5:9a:61:11:be:1d:8c:02:1e:65:b8:91:c2:a2:11:16:7a:bb:8c:5e:07:9e:09:e2:c8:a8:33:9c' 1
    expect_tshark wss-hrr 'tls.handshake.type == 1' 2
}

# sclient_wss NAME SCENARIO [SERVER-OPTION...]: server.py and one sclient_ws.py scenario (its TLS
# is `openssl s_client`, whose key log goes to $WORK/NAME.keys).
sclient_wss() {
    local name=$1 scenario=$2
    shift 2
    rm -f "$WORK/$name".*
    wss_server "$name" --conns 1 "$@"
    wss_capture "$name"
    timeout 90 "$PY" "$PYDIR/sclient_ws.py" "$scenario" --uri "wss://wss.test:$PORT/" --connect 127.0.0.1 \
        --ca "$WORK/rsa.pem" --keylog "$WORK/$name.keys" --log "$WORK/$name.client.raw" \
        --msgfile "$WORK/$name.msg" --info "$WORK/$name.info.jsonl"
    wait_pid "$SERVER_PID" 20
    stop_capture
    cp "$WORK/$name.keys" "$SAMPLES_DIR/$name.keys"
    finalize "$name" "$WORK/$name.server.raw" "$WORK/$name.client.raw"
    tls_ref "$name"
    facts "$name"
}

# 10. wss-keyupdate: TLS 1.3, client `openssl s_client` carrying websockets' Sans-I/O client, the
#     Python server. KeyUpdates mid-conversation: s_client's `k`, `K` (the server answers with its
#     own KeyUpdate), `k`: 3 from the client, 1 from the server, messages before and after each.
record_wss_keyupdate() {
    sclient_wss wss-keyupdate keyupdate
    expect_tshark wss-keyupdate 'tls.handshake.type == 24' 4
}

# 11. wss-renegotiation: TLS 1.2, the same client and server (which accepts a renegotiation from
#     the client); s_client's `R` renegotiates once mid-conversation: a second full handshake under
#     the first one's keys, then new keys.
record_wss_renegotiation() {
    sclient_wss wss-renegotiation renegotiation --tls-client-renegotiation
    expect_tshark wss-renegotiation 'tls.handshake.type == 1' 2
    expect_tshark wss-renegotiation 'tls.handshake.type == 20' 4
}

SAMPLES=(wss-python wss-node-chacha wss-tls12-gcm wss-tls12-cbc wss-resumed wss-embedded wss-missing-key
         wss-chromium wss-hrr wss-keyupdate wss-renegotiation)

# check NAME...: compare each sample's log with tshark's decrypted view (crosscheck.py). In
# wss-missing-key, tshark is expected to show conn 1 (no keys) without any message, both ways.
check() {
    local failed=0 name out
    for name in "$@"; do
        [[ -f $SAMPLES_DIR/$name.tshark.jsonl && -f $SAMPLES_DIR/$name.log.jsonl ]] || continue
        echo "$name: tshark (decrypted)"
        if [[ $name == wss-missing-key ]]; then
            out=$("$PY" "$RECORD_DIR/crosscheck.py" "$SAMPLES_DIR/$name.log.jsonl" "$SAMPLES_DIR/$name.tshark.jsonl" || true)
            echo "$out"
            [[ $(grep -c '^  conn 0 .*: OK' <<<"$out") == 2 &&
               $(grep -c '^  conn 1 .*MISMATCH tshark shows 0 messages' <<<"$out") == 2 ]] || failed=1
        else
            "$PY" "$RECORD_DIR/crosscheck.py" "$SAMPLES_DIR/$name.log.jsonl" "$SAMPLES_DIR/$name.tshark.jsonl" || failed=1
        fi
    done
    return $failed
}

main() {
    local todo=("$@")
    [[ ${#todo[@]} -gt 0 ]] || todo=("${SAMPLES[@]}")
    for s in "${todo[@]}"; do
        log "recording $s"
        "record_${s//-/_}"
    done
    chmod 644 "$SAMPLES_DIR"/wss-*
    log "cross-check of the logs with the decrypted captures"
    check "${todo[@]}" || { echo "some logs do not match their captures (see above)" >&2; exit 1; }
}

main "$@"

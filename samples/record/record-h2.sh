#!/usr/bin/env bash
# Records the WebSocket-over-HTTP/2 samples (RFC 8441, extended CONNECT) in samples/: the capture,
# the peers' own log of every WebSocket message (NAME.log.jsonl, with "h2_stream"), the TLS key
# log where there is TLS (NAME.keys), and tshark's view of the HTTP/2 frames (NAME.tshark-h2.jsonl,
# made by h2_frames.py: tshark 4.0 does not dissect WebSocket inside HTTP/2). Ends by checking each
# log against the WebSocket frames in the DATA frames (h2_check.py).
#
# Run as root (tcpdump):   sudo samples/record/record-h2.sh [NAME...]
# With names, records only those samples: h2c-websocket, h2-websocket, h2-chromium.
#
# Needs: tcpdump, tshark, openssl, python3 with h2 and wsproto (py/requirements-h2.txt, installed
# with pip if missing), chromium (Debian; only for h2-chromium, skipped if missing).
set -euo pipefail

source "$(dirname "$0")/lib.sh"

[[ $(id -u) == 0 ]] || { echo "run as root (tcpdump)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/wsinspect-record-h2.XXXXXX)
trap 'stop_all; rm -rf "$WORK"' EXIT
PYDIR=$RECORD_DIR/py

# The Python peers need hyper-h2 and wsproto at the versions of py/requirements-h2.txt.
py_deps() {
    if ! "$PY" -c 'import h2, wsproto' 2>/dev/null; then
        timeout 300 "$PY" -m pip install --quiet -r "$PYDIR/requirements-h2.txt"
    fi
}

# A throwaway self-signed certificate for localhost / 127.0.0.1 (P-256), made once per run.
cert() {
    if [[ ! -f $WORK/cert.pem ]]; then
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 7 \
            -keyout "$WORK/key.pem" -out "$WORK/cert.pem" -subj /CN=localhost \
            -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
    fi
}

# lo_capture NAME PORT: start tcpdump on the loopback for TCP PORT, writing samples/NAME.pcap.
lo_capture() {
    start_capture "$SAMPLES_DIR/$1.pcap" tcpdump -i lo -U --immediate-mode -Z root \
        -w "$SAMPLES_DIR/$1.pcap" "tcp port $2"
}

# h2_ref NAME TSHARK-OPTION...: samples/NAME.tshark-h2.jsonl, tshark's HTTP/2 frames.
h2_ref() {
    local name=$1
    shift
    "$PY" "$RECORD_DIR/h2_frames.py" "$SAMPLES_DIR/$name.pcap" "$@" >"$SAMPLES_DIR/$name.tshark-h2.jsonl"
}

# h2_log NAME RAW...: samples/NAME.log.jsonl from the peers' raw events.
h2_log() {
    local name=$1
    shift
    "$PY" "$RECORD_DIR/h2_finalize.py" --pcap "$SAMPLES_DIR/$name.pcap" --out "$SAMPLES_DIR/$name.log.jsonl" "$@"
}

# py_h2_session NAME PORT [CLIENT-OPTION...]: h2_server.py and h2_client.py on 127.0.0.1:PORT,
# recorded by tcpdump on the loopback.
py_h2_session() {
    local name=$1 port=$2
    shift 2
    rm -f "$WORK/$name".*.raw
    local tls=()
    [[ $* == *--tls* ]] && tls=(--tls "$WORK/cert.pem" "$WORK/key.pem")
    bg_start timeout 60 "$PY" "$PYDIR/h2_server.py" --port "$port" --log "$WORK/$name.server.raw" \
        --conns 2 --compression deflate "${tls[@]}"
    local server=$LAST_PID
    wait_listen "$port"
    lo_capture "$name" "$port"
    timeout 60 "$PY" "$PYDIR/h2_client.py" --port "$port" --log "$WORK/$name.client.raw" "$@"
    wait_pid "$server" 20
    stop_capture
    h2_log "$name" "$WORK/$name.server.raw" "$WORK/$name.client.raw"
}

# 1. h2c-websocket: cleartext HTTP/2 with prior knowledge on port 8081. One TCP connection: two
#    WebSocket streams opened by extended CONNECT (/chat with subprotocol chat, /feed with
#    permessage-deflate) and a GET /health between them, interleaved.
record_h2c_websocket() {
    py_deps
    py_h2_session h2c-websocket 8081
    h2_ref h2c-websocket -d tcp.port==8081,http2
}

# 2. h2-websocket: the same over TLS 1.3 with ALPN h2 on port 8444; the client writes the key log.
record_h2_websocket() {
    py_deps
    cert
    rm -f "$SAMPLES_DIR/h2-websocket.keys"
    py_h2_session h2-websocket 8444 --tls --keylog "$SAMPLES_DIR/h2-websocket.keys"
    h2_ref h2-websocket -d tcp.port==8444,tls -o "tls.keylog_file:$SAMPLES_DIR/h2-websocket.keys"
}

# 3. h2-chromium: headless Chromium loads chromium/h2-page.html over HTTPS (h2) from h2_server.py,
#    whose SETTINGS offer extended CONNECT; the page's `new WebSocket("wss://...")` rides on the
#    same HTTP/2 connection as an extended CONNECT stream, with permessage-deflate (the browser's
#    offer). Chromium writes the key log (SSLKEYLOGFILE). Only the server logs.
record_h2_chromium() {
    if ! command -v chromium >/dev/null; then
        echo "chromium not installed (apt-get install chromium): skipping h2-chromium" >&2
        return 0
    fi
    py_deps
    cert
    rm -f "$WORK"/h2-chromium.* "$SAMPLES_DIR/h2-chromium.keys"
    bg_start timeout 90 "$PY" "$PYDIR/h2_server.py" --port 8444 --tls "$WORK/cert.pem" "$WORK/key.pem" \
        --log "$WORK/h2-chromium.server.raw" --conns 1 --compression deflate \
        --page "$RECORD_DIR/chromium/h2-page.html" --linger 1
    local server=$LAST_PID
    wait_listen 8444
    lo_capture h2-chromium 8444
    mkdir -p "$WORK/h2-chromium.profile"
    bg_start env SSLKEYLOGFILE="$SAMPLES_DIR/h2-chromium.keys" timeout 60 chromium --headless=new --no-sandbox \
        --ignore-certificate-errors --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-features=MediaRouter,OptimizationHints --user-data-dir="$WORK/h2-chromium.profile" \
        https://127.0.0.1:8444/
    local browser=$LAST_PID
    wait_pid "$server" 60
    kill -TERM "$browser" 2>/dev/null || true
    wait_pid "$browser" 15 || true
    stop_capture
    h2_log h2-chromium "$WORK/h2-chromium.server.raw"
    h2_ref h2-chromium -d tcp.port==8444,tls -o "tls.keylog_file:$SAMPLES_DIR/h2-chromium.keys"
}

SAMPLES=(h2c-websocket h2-websocket h2-chromium)

# check_all: each recorded sample's log against the WebSocket frames in tshark's DATA frames.
check_all() {
    local failed=0 name
    for name in "$@"; do
        [[ -f $SAMPLES_DIR/$name.tshark-h2.jsonl ]] || continue
        echo "$name:"
        "$PY" "$RECORD_DIR/h2_check.py" "$SAMPLES_DIR/$name.log.jsonl" "$SAMPLES_DIR/$name.tshark-h2.jsonl" || failed=1
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
    chmod 644 "$SAMPLES_DIR"/h2*.pcap "$SAMPLES_DIR"/h2*.json* "$SAMPLES_DIR"/h2*.keys 2>/dev/null || true
    log "cross-check of the logs with the DATA frames"
    local ok=0
    check_all "${todo[@]}" || ok=1
    ls -l "$SAMPLES_DIR"/h2*
    [[ $ok == 0 ]] || { echo "some logs do not match their captures (see above)" >&2; exit 1; }
}

main "$@"

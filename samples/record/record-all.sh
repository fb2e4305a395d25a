#!/usr/bin/env bash
# Records every wsinspect sample capture in samples/, with the peers' own logs of each WebSocket
# message (NAME.log.jsonl), tshark's dissection for comparison (NAME.tshark.jsonl) and, for the
# damaged captures, a NAME.info.json saying what was damaged.
#
# Run as root (tcpdump, network namespaces, iptables):   sudo samples/record/record-all.sh [NAME...]
# With names, records only those samples (e.g. `record-all.sh echo mixed`).
#
# Needs: tcpdump, dumpcap/tshark/editcap/capinfos (Debian: tshark), iproute2, iptables, ethtool,
# python3 with websockets, NetfilterQueue and scapy (pip), node + npm (npm ci installs ws and
# socket.io from node/package-lock.json), chromium (only for the chromium sample).
# Environment: TSHARK_FRAMES = path of tshark_frames.py (default ../shared/tools/ beside the repo).
set -euo pipefail

source "$(dirname "$0")/lib.sh"

[[ $(id -u) == 0 ]] || { echo "run as root (tcpdump, netns, iptables)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/wsinspect-record.XXXXXX)
trap 'stop_all; rm -rf "$WORK"' EXIT
NODE_DIR=$RECORD_DIR/node
PYDIR=$RECORD_DIR/py

# py_server / py_client: the Python peers, bounded by `timeout`.
py_server() { bg_start timeout 90 "$PY" "$PYDIR/server.py" "$@"; }
py_client() { timeout 90 "$PY" "$PYDIR/client.py" "$@"; }

# py_session NAME CAPTURE-CMD... -- CLIENT-ARGS...: one server.py on 127.0.0.1:8765 and one
# client.py scenario, recorded by the given capture command.
py_session() {
    local name=$1
    shift
    local cap=()
    while [[ $1 != -- ]]; do cap+=("$1"); shift; done
    shift
    rm -f "$WORK/$name".*.raw
    py_server --host "${HOST:-127.0.0.1}" --port 8765 --log "$WORK/$name.server.raw" \
        --conns "${CONNS:-1}" --compression "${COMPRESSION:-none}"
    local server=$LAST_PID
    wait_listen 8765
    start_capture "${cap[@]}"
    py_client "$@" --log "$WORK/$name.client.raw"
    wait_pid "$server" 20
    stop_capture
    finalize "$name" "$WORK/$name.server.raw" "$WORK/$name.client.raw"
}

# lo_tcpdump NAME [OPTION...]: sets LO_CAP to the arguments of start_capture for tcpdump on the
# loopback, port 8765, writing samples/NAME.pcap.
lo_tcpdump() {
    local name=$1
    shift
    LO_CAP=("$SAMPLES_DIR/$name.pcap" tcpdump -i lo -U --immediate-mode -Z root "$@"
        -w "$SAMPLES_DIR/$name.pcap" 'tcp port 8765')
}

# 1. The classic demo: Alice introduces herself to a Python echo server, no compression.
record_echo() {
    lo_tcpdump echo
    py_session echo "${LO_CAP[@]}" -- greet --name Alice
    tshark_ref echo -d tcp.port==8765,http
}

# 2. permessage-deflate: one connection with context takeover (the default offer), one with
#    client/server_no_context_takeover and window bits 9/10.
record_deflate() {
    lo_tcpdump deflate
    COMPRESSION=deflate CONNS=2 py_session deflate "${LO_CAP[@]}" -- deflate
    tshark_ref deflate -d tcp.port==8765,http
}

# 5. tcpdump -i any: Linux "cooked" link type (LINUX_SLL2 with tcpdump 4.99).
record_any_sll2() {
    py_session any-sll2 "$SAMPLES_DIR/any-sll2.pcap" \
        tcpdump -i any -U --immediate-mode -Z root -w "$SAMPLES_DIR/any-sll2.pcap" 'tcp port 8765' -- greet --name Bob --ping
    tshark_ref any-sll2 -d tcp.port==8765,http
}

# 6. The same over IPv6 loopback.
record_ipv6() {
    lo_tcpdump ipv6
    HOST=::1 py_session ipv6 "${LO_CAP[@]}" -- greet --name Carol --ping --uri 'ws://[::1]:8765/'
    tshark_ref ipv6 -d tcp.port==8765,http
}

# 8. A refused upgrade (403 on /forbidden), then an accepted one on /chat.
record_rejected() {
    lo_tcpdump rejected
    py_session rejected "${LO_CAP[@]}" -- rejected --name Grace
    tshark_ref rejected -d tcp.port==8765,http
}

# 10. pcapng, as dumpcap (Wireshark) writes it.
record_pcapng_echo() {
    py_session pcapng-echo "$SAMPLES_DIR/pcapng-echo.pcapng" \
        dumpcap -i lo -f 'tcp port 8765' -w "$SAMPLES_DIR/pcapng-echo.pcapng" -- greet --name Dave --ping
    tshark_ref pcapng-echo -d tcp.port==8765,http
}

# 11. Nanosecond timestamps (pcap magic a1b23c4d).
record_nanosecond() {
    lo_tcpdump nanosecond --time-stamp-precision=nano
    py_session nanosecond "${LO_CAP[@]}" -- greet --name Erin
    tshark_ref nanosecond -d tcp.port==8765,http
}

# 14. Snap length 96: each packet record keeps only the first 96 bytes of the packet.
record_snaplen() {
    lo_tcpdump snaplen -s 96
    py_session snaplen "${LO_CAP[@]}" -- greet --name Frank --long
    tshark_ref snaplen -d tcp.port==8765,http
}

# 16. chatty: hundreds of small messages on two connections open side by side, one plain and one
#     with permessage-deflate: a long steady state for the allocation test.
record_chatty() {
    lo_tcpdump chatty
    COMPRESSION=deflate CONNS=2 py_session chatty "${LO_CAP[@]}" -- chatty
    tshark_ref chatty -d tcp.port==8765,http
}

# npm ci once: ws, socket.io and socket.io-client at the versions of node/package-lock.json.
NPM_DONE=
node_deps() {
    if [[ -z $NPM_DONE ]]; then
        (cd "$NODE_DIR" && timeout 300 npm ci --no-audit --no-fund --loglevel=error)
        NPM_DONE=1
    fi
}

# 3. Node ws to Node ws: lengths 7/16/64-bit, pings, fragments, empty and UTF-8 messages, close 4000.
record_mixed() {
    node_deps
    rm -f "$WORK/mixed.raw"
    start_capture "$SAMPLES_DIR/mixed.pcap" tcpdump -i lo -U --immediate-mode -Z root -w "$SAMPLES_DIR/mixed.pcap" 'tcp port 8766'
    timeout 90 node "$NODE_DIR/mixed.js" "$WORK/mixed.raw" 8766
    stop_capture
    finalize mixed "$WORK/mixed.raw"
    tshark_ref mixed -d tcp.port==8766,http
}

# 4. socket.io: long-polling first, then the upgrade to WebSocket, events and a binary attachment.
record_socketio() {
    node_deps
    rm -f "$WORK/socketio.raw"
    start_capture "$SAMPLES_DIR/socketio.pcap" tcpdump -i lo -U --immediate-mode -Z root -w "$SAMPLES_DIR/socketio.pcap" 'tcp port 8767'
    timeout 90 node "$NODE_DIR/socketio.js" "$WORK/socketio.raw" 8767
    stop_capture
    finalize socketio "$WORK/socketio.raw"
    tshark_ref socketio -d tcp.port==8767,http
}

# 8b. keepalive: GET /health and then the WebSocket upgrade on the same TCP connection
#     (Node http + ws server, Python websockets client handed the connected socket).
record_keepalive() {
    node_deps
    rm -f "$WORK"/keepalive.*.raw
    bg_start timeout 90 node "$NODE_DIR/keepalive-server.js" "$WORK/keepalive.server.raw" 8766
    local server=$LAST_PID
    wait_listen 8766
    start_capture "$SAMPLES_DIR/keepalive.pcap" tcpdump -i lo -U --immediate-mode -Z root -w "$SAMPLES_DIR/keepalive.pcap" 'tcp port 8766'
    py_client keepalive --uri ws://127.0.0.1:8766/chat --name Heidi --log "$WORK/keepalive.client.raw"
    wait_pid "$server" 20
    stop_capture
    finalize keepalive "$WORK/keepalive.server.raw" "$WORK/keepalive.client.raw"
    tshark_ref keepalive -d tcp.port==8766,http
}

# 9. midstream: tcpdump starts after the handshake and the first exchange.
record_midstream() {
    rm -f "$WORK"/midstream.*
    bg_start timeout 90 "$PY" "$PYDIR/midstream.py" --log "$WORK/midstream.raw" \
        --ready "$WORK/midstream.ready" --go "$WORK/midstream.go"
    local peers=$LAST_PID
    wait_for 300 "the first exchange" test -f "$WORK/midstream.ready"
    lo_tcpdump midstream
    start_capture "${LO_CAP[@]}"
    touch "$WORK/midstream.go"
    wait_pid "$peers" 30
    stop_capture
    finalize midstream --phase "before_capture=$SAMPLES_DIR/midstream.before.log.jsonl" "$WORK/midstream.raw"
    tshark_ref midstream -d tcp.port==8765,websocket
}

# 12./13. segments.pcap: messages of 3000-8000 bytes over a loopback with MTU 1500 and no
# segmentation offload (in a private network namespace), so each spans several TCP segments.
# lost-segment.pcap and truncated.pcap are made from it (damage.py), with the same log.
record_segments() {
    new_netns wsseg
    ip -n wsseg link set lo mtu 1500
    ip netns exec wsseg ethtool -K lo tso off gso off gro off >/dev/null 2>&1 || true
    rm -f "$WORK"/segments.*.raw
    bg_start timeout 90 ip netns exec wsseg "$PY" "$PYDIR/server.py" --port 8765 --log "$WORK/segments.server.raw"
    local server=$LAST_PID
    wait_listen 8765 wsseg
    start_capture "$SAMPLES_DIR/segments.pcap" ip netns exec wsseg tcpdump -i lo -U --immediate-mode -Z root \
        -w "$SAMPLES_DIR/segments.pcap" 'tcp port 8765'
    timeout 90 ip netns exec wsseg "$PY" "$PYDIR/client.py" segments --name Judy --log "$WORK/segments.client.raw"
    wait_pid "$server" 20
    stop_capture
    cleanup_netns
    finalize segments "$WORK/segments.server.raw" "$WORK/segments.client.raw"
    tshark_ref segments -d tcp.port==8765,http

    "$PY" "$RECORD_DIR/damage.py" lost-segment "$SAMPLES_DIR/segments.pcap" "$SAMPLES_DIR/segments.tshark.jsonl" \
        "$SAMPLES_DIR/lost-segment.pcap" "$SAMPLES_DIR/lost-segment.info.json"
    cp "$SAMPLES_DIR/segments.log.jsonl" "$SAMPLES_DIR/lost-segment.log.jsonl"
    tshark_ref lost-segment -d tcp.port==8765,http

    "$PY" "$RECORD_DIR/damage.py" truncate "$SAMPLES_DIR/segments.pcap" "$SAMPLES_DIR/segments.tshark.jsonl" \
        "$SAMPLES_DIR/truncated.pcap" "$SAMPLES_DIR/truncated.info.json"
    cp "$SAMPLES_DIR/segments.log.jsonl" "$SAMPLES_DIR/truncated.log.jsonl"
    # tshark stops with an error on the cut record ("cut short in the middle of a packet") and so
    # does tshark_frames.py: the reference is made from the complete records only.
    local complete
    complete=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["size"] - json.load(open(sys.argv[1]))["record_bytes_kept_n"])' \
        "$SAMPLES_DIR/truncated.info.json")
    head -c "$complete" "$SAMPLES_DIR/truncated.pcap" >"$WORK/truncated-complete.pcap"
    "$PY" "$TSHARK_FRAMES" "$WORK/truncated-complete.pcap" -d tcp.port==8765,http >"$SAMPLES_DIR/truncated.tshark.jsonl"
}

# 7. lossy: server in namespace wsa (10.200.0.1), client in wsb (10.200.0.2), a veth pair with
# MTU 1000 and no offloads between them. In each namespace an NFQUEUE rule hands the outgoing
# WebSocket packets to py/impair.py, which drops, duplicates and delays some data packets
# (seeded). tcpdump listens on the client's veth, so it sees both directions after the damage:
# out-of-order segments, retransmissions, duplicates.
record_lossy() {
    new_netns wsa
    new_netns wsb
    ip link add wsa0 type veth peer name wsb0
    ip link set wsa0 netns wsa
    ip link set wsb0 netns wsb
    ip -n wsa addr add 10.200.0.1/24 dev wsa0
    ip -n wsb addr add 10.200.0.2/24 dev wsb0
    local ns
    for ns in wsa wsb; do
        ip -n $ns link set ${ns}0 mtu 1000 up
        ip netns exec $ns ethtool -K ${ns}0 tso off gso off gro off >/dev/null 2>&1 || true
    done
    # --queue-bypass: if impair.py is not running, packets pass instead of being dropped
    ip netns exec wsa iptables -A OUTPUT -p tcp --sport 8765 -m mark ! --mark 1 -j NFQUEUE --queue-num 0 --queue-bypass
    ip netns exec wsb iptables -A OUTPUT -p tcp --dport 8765 -m mark ! --mark 1 -j NFQUEUE --queue-num 0 --queue-bypass
    rm -f "$WORK"/lossy.*
    bg_start timeout 120 ip netns exec wsa "$PY" "$PYDIR/impair.py" --seed 11 --stats "$WORK/lossy.impair-server.json"
    local impair_a=$LAST_PID
    bg_start timeout 120 ip netns exec wsb "$PY" "$PYDIR/impair.py" --seed 22 --stats "$WORK/lossy.impair-client.json"
    local impair_b=$LAST_PID
    bg_start timeout 90 ip netns exec wsa "$PY" "$PYDIR/server.py" --host 10.200.0.1 --port 8765 \
        --log "$WORK/lossy.server.raw"
    local server=$LAST_PID
    wait_listen 8765 wsa
    sleep 0.5  # impair.py binds its queue
    start_capture "$SAMPLES_DIR/lossy.pcap" ip netns exec wsb tcpdump -i wsb0 -U --immediate-mode -Z root \
        -w "$SAMPLES_DIR/lossy.pcap" 'tcp port 8765'
    timeout 90 ip netns exec wsb "$PY" "$PYDIR/client.py" lossy --uri ws://10.200.0.1:8765/ --name Kim \
        --log "$WORK/lossy.client.raw"
    wait_pid "$server" 20
    stop_capture
    kill -TERM "$impair_a" "$impair_b"
    wait_pid "$impair_a" 10
    wait_pid "$impair_b" 10
    cleanup_netns
    finalize lossy "$WORK/lossy.server.raw" "$WORK/lossy.client.raw"
    tshark_ref lossy -d tcp.port==8765,http
    "$PY" - "$SAMPLES_DIR/lossy.pcap" "$WORK/lossy.impair-server.json" "$WORK/lossy.impair-client.json" \
        >"$SAMPLES_DIR/lossy.info.json" <<'PY'
# lossy.info.json: what impair.py did on each side, and what tshark's TCP analysis finds.
import json, subprocess, sys
pcap, server, client = sys.argv[1:4]
def frames(flt):
    out = subprocess.run(["tshark", "-r", pcap, "-o", "tcp.reassemble_out_of_order:TRUE", "-Y", flt,
                          "-T", "fields", "-e", "frame.number"], capture_output=True, text=True, timeout=60).stdout
    return [int(n) for n in out.split()]
info = {"impair_server_side": json.load(open(server)), "impair_client_side": json.load(open(client)),
        "tshark_tcp_analysis": {f: {"count": len(frames(f)), "frames": frames(f)} for f in [
            "tcp.analysis.out_of_order", "tcp.analysis.retransmission",
            "tcp.analysis.fast_retransmission", "tcp.analysis.spurious_retransmission",
            "tcp.analysis.duplicate_ack", "tcp.analysis.lost_segment",
            "tcp.analysis.out_of_order or tcp.analysis.retransmission or tcp.analysis.duplicate_ack"]}}
json.dump(info, sys.stdout, indent=1)
print()
PY
}

SAMPLES=(echo deflate mixed socketio any-sll2 ipv6 lossy rejected keepalive midstream pcapng-echo nanosecond
         segments snaplen chromium chatty)

# 15. chromium: headless Chromium loads chromium/page.html from server.py (plain HTTP on the same
# port) and its WebSocket client talks to the server with permessage-deflate (the browser's
# default offer). Only the server logs (its "received" lines are what the browser sent).
record_chromium() {
    if ! command -v chromium >/dev/null; then
        echo "chromium not installed (apt-get install chromium): skipping the chromium sample" >&2
        return 0
    fi
    rm -f "$WORK"/chromium.*
    py_server --port 8765 --log "$WORK/chromium.server.raw" --conns 1 --compression deflate \
        --page "$RECORD_DIR/chromium/page.html"
    local server=$LAST_PID
    wait_listen 8765
    lo_tcpdump chromium
    start_capture "${LO_CAP[@]}"
    mkdir -p "$WORK/chromium.profile"
    bg_start timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-features=MediaRouter,OptimizationHints --user-data-dir="$WORK/chromium.profile" \
        http://127.0.0.1:8765/
    local browser=$LAST_PID
    wait_pid "$server" 45
    kill -TERM "$browser" 2>/dev/null || true
    wait_pid "$browser" 15 || true
    stop_capture
    finalize chromium "$WORK/chromium.server.raw"
    tshark_ref chromium -d tcp.port==8765,http
}

# Samples whose capture is damaged on purpose: the checks are expected to find missing messages.
DAMAGED=" lost-segment truncated snaplen "

# check_all: compare every sample's log with tshark's view and with wirecheck.py's own
# reassembly; a mismatch fails the run unless the sample is damaged on purpose.
check_all() {
    local failed=0 logfile name
    for logfile in "$SAMPLES_DIR"/*.log.jsonl; do
        name=$(basename "$logfile" .log.jsonl)
        [[ -f $SAMPLES_DIR/$name.tshark.jsonl ]] || continue
        # The wss and HTTP/2 samples are checked by their own scripts (record-wss.sh,
        # record-h2.sh): wirecheck.py reads no TLS.
        [[ $name == wss-* || $name == h2* ]] && continue
        echo "$name: tshark"
        # (tshark 4.0 may lose track in a reordered stream: lossy is judged by wirecheck only)
        "$PY" "$RECORD_DIR/crosscheck.py" "$logfile" "$SAMPLES_DIR/$name.tshark.jsonl" || {
            [[ $DAMAGED == *" $name "* || $name == lossy ]] || failed=1; }
        echo "$name: own reassembly"
        timeout 300 "$PY" "$RECORD_DIR/wirecheck.py" "$(capture_of "$name")" "$logfile" 2>/dev/null || {
            [[ $DAMAGED == *" $name "* ]] || failed=1; }
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
    chmod 644 "$SAMPLES_DIR"/*.pcap* "$SAMPLES_DIR"/*.json*
    log "cross-check of the logs with the captures"
    local ok=0
    check_all || ok=1
    ls -l "$SAMPLES_DIR"
    [[ $ok == 0 ]] || { echo "some logs do not match their captures (see above)" >&2; exit 1; }
}

main "$@"

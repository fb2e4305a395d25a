# Shell helpers shared by the recording scripts (sourced by record-all.sh).
# Everything here is bounded: each wait polls a limited number of times, each peer runs under
# `timeout`, and every background process is stopped by its own pid.

RECORD_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SAMPLES_DIR=$(dirname "$RECORD_DIR")
REPO_ROOT=$(dirname "$SAMPLES_DIR")
TSHARK_FRAMES=${TSHARK_FRAMES:-$REPO_ROOT/../shared/tools/tshark_frames.py}
PY=${PYTHON:-python3}
export PYTHONDONTWRITEBYTECODE=1

log() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }

# wait_for TRIES DESCRIPTION COMMAND...: run COMMAND every 0.1 s until it succeeds.
wait_for() {
    local tries=$1 what=$2
    shift 2
    for ((i = 0; i < tries; i++)); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    echo "timed out waiting for $what" >&2
    return 1
}

# wait_listen PORT [NETNS]: wait until something listens on TCP PORT (without connecting to it,
# so that no probe connection ends up in a capture).
wait_listen() {
    local port=$1 ns=${2:-}
    local cmd=(ss -Hltn "sport = :$port")
    [[ -n $ns ]] && cmd=(ip netns exec "$ns" "${cmd[@]}")
    wait_for 100 "a listener on port $port" bash -c '[[ -n $("$@") ]]' _ "${cmd[@]}"
}

# start_capture OUT COMMAND...: start a capture program (tcpdump or dumpcap) writing OUT,
# and return once it is really capturing (its "listening on"/"Capturing on" line + 0.5 s).
CAP_PID=
start_capture() {
    local out=$1
    shift
    rm -f "$out"
    CAP_ERR=$(mktemp)
    "$@" 2>"$CAP_ERR" &
    CAP_PID=$!
    wait_for 100 "capture to start" grep -qiE 'listening on|capturing on' "$CAP_ERR"
    sleep 0.5
}

# stop_capture: give the last packets a moment (tcpdump runs with --immediate-mode, else
# libpcap may hold them up to its 1 s buffer timeout), stop with SIGINT, wait for it to exit.
stop_capture() {
    sleep 1.5
    kill -INT "$CAP_PID" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$CAP_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$CAP_PID" 2>/dev/null || true
    wait "$CAP_PID" 2>/dev/null || true
    grep -iE 'packets? (captured|received)|dropped' "$CAP_ERR" >&2 || true
    rm -f "$CAP_ERR"
    CAP_PID=
}

# finalize NAME RAW...: write samples/NAME.log.jsonl from the peers' raw event files.
finalize() {
    local name=$1
    shift
    "$PY" "$RECORD_DIR/finalize_log.py" --pcap "$(capture_of "$name")" \
        --out "$SAMPLES_DIR/$name.log.jsonl" "$@"
}

# capture_of NAME: the capture file of sample NAME (.pcap or .pcapng).
capture_of() {
    if [[ -f $SAMPLES_DIR/$1.pcap ]]; then echo "$SAMPLES_DIR/$1.pcap"; else echo "$SAMPLES_DIR/$1.pcapng"; fi
}

# tshark_ref NAME TSHARK-OPTION...: samples/NAME.tshark.jsonl, tshark's view of the capture.
tshark_ref() {
    local name=$1
    shift
    "$PY" "$TSHARK_FRAMES" "$(capture_of "$name")" "$@" >"$SAMPLES_DIR/$name.tshark.jsonl"
}

# new_netns NAME: a fresh network namespace with its loopback up (removed by cleanup_netns).
NETNS_LIST=()
new_netns() {
    ip netns del "$1" 2>/dev/null || true
    ip netns add "$1"
    NETNS_LIST+=("$1")
    ip -n "$1" link set lo up
}

cleanup_netns() {
    local ns
    for ns in "${NETNS_LIST[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
    NETNS_LIST=()
}

# Background peers started with `bg_start` are stopped by `stop_all` (on exit too).
BG_PIDS=()
bg_start() {
    "$@" &
    BG_PIDS+=($!)
    LAST_PID=$!
}

# wait_pid PID SECONDS: wait for a background process; fail if it fails or runs too long.
wait_pid() {
    local pid=$1 secs=$2
    for ((i = 0; i < secs * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "process $pid still running after ${secs}s, stopping it" >&2
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        return 1
    fi
    wait "$pid"
}

stop_all() {
    local pid
    [[ -n $CAP_PID ]] && kill -INT "$CAP_PID" 2>/dev/null || true
    for pid in "${BG_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    BG_PIDS=()
    cleanup_netns
}

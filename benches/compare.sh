#!/usr/bin/env bash
# Times wsinspect and tshark on the same large WebSocket capture, in one run, and prints a table:
# wall time, MB/s of capture, frames/s, peak memory, and the speed-up over tshark. Then how the
# time splits between wsinspect's stages, and how the terminal UI indexes the file.
#
#   benches/compare.sh                      # 1 GiB capture, median of 3 runs
#   benches/compare.sh --size 256M --runs 5
#   benches/compare.sh --file my.pcap       # any capture of your own
#
# The capture is made by examples/gencap.rs (deterministic) if it is not there yet.
set -euo pipefail
cd "$(dirname "$0")/.."

size=1G
runs=3
file=
dir=${TMPDIR:-/tmp}/wsinspect-bench
while [[ $# -gt 0 ]]; do
    case $1 in
        --size) size=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --file) file=$2; shift 2 ;;
        *) echo "usage: $0 [--size 1G] [--runs 3] [--file CAPTURE]" >&2; exit 2 ;;
    esac
done

if [[ ! -x /usr/bin/time ]]; then
    if [[ $(id -u) == 0 ]]; then
        apt-get install -y -q time >/dev/null
    else
        echo "needs GNU time for peak memory: sudo apt-get install -y time" >&2
        exit 1
    fi
fi

cargo build --release --quiet --bin wsinspect --example gencap --example stages --example tui_index
bin=target/release
if [[ -z $file ]]; then
    mkdir -p "$dir"
    file=$dir/ws-$size.pcap
    [[ -s $file ]] || "$bin/examples/gencap" --size "$size" --out "$file"
fi
bytes=$(stat -c %s "$file")
cat "$file" >/dev/null # the same warm page cache for every tool
frames=$("$bin/wsinspect" "$file" --json | grep -c '"type":"frame"' || true)
echo "capture: $file, $bytes bytes, $frames WebSocket frames; median of $runs runs"
echo

# measure NAME COMMAND...: runs the command $runs times; sets SECS and KB (medians).
measure() {
    local name=$1 out
    shift
    out=$(mktemp)
    for _ in $(seq "$runs"); do
        /usr/bin/time -f "%e %M" -o "$out" -a "$@" >/dev/null 2>/dev/null || true
    done
    SECS=$(awk '{print $1}' "$out" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    KB=$(awk '{print $2}' "$out" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    rm -f "$out"
    RESULTS+=("$name|$SECS|$KB")
}

RESULTS=()
measure "wsinspect --print" "$bin/wsinspect" "$file" --print
measure "wsinspect --json" "$bin/wsinspect" "$file" --json
tshark_secs=
if command -v tshark >/dev/null; then
    # tshark's equivalent of decoding every frame: dissect every packet, show the WebSocket
    # frames' numbers and opcodes (8080 is dissected as HTTP, so the upgrade is followed).
    measure "tshark -Y websocket" tshark -r "$file" -Y websocket -T fields \
        -e frame.number -e websocket.opcode
    tshark_secs=$SECS
else
    echo "tshark is not installed (sudo apt-get install -y tshark): wsinspect's own figures only"
fi

printf '%-22s %9s %9s %12s %10s %12s\n' tool "wall s" "MB/s" "frames/s" "peak MiB" "vs tshark"
for r in "${RESULTS[@]}"; do
    IFS='|' read -r name secs kb <<<"$r"
    ratio=-
    if [[ -n $tshark_secs ]]; then
        ratio=$(awk -v t="$tshark_secs" -v s="$secs" 'BEGIN {printf "%.1fx", t / s}')
    fi
    awk -v n="$name" -v s="$secs" -v b="$bytes" -v f="$frames" -v k="$kb" -v r="$ratio" \
        'BEGIN {printf "%-22s %9.2f %9.0f %12.0f %10.1f %12s\n", n, s, b / 1e6 / s, f / s, k / 1024, r}'
done
echo
echo "Where wsinspect's time goes (best of 3 per stage):"
"$bin/examples/stages" "$file"
echo
echo "The terminal UI on the same file (no terminal needed):"
"$bin/examples/tui_index" "$file"

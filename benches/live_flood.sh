#!/usr/bin/env bash
# Live capture under load: a Python `websockets` client floods a server on loopback with small
# JSON texts for a few seconds while `wsinspect -i lo` decodes them; prints what the client
# sent, what wsinspect decoded, and the kernel's drop counter. Needs root and
# `pip install websockets`.
#
#   sudo benches/live_flood.sh [SECONDS] [extra wsinspect options, e.g. -B 2048]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
shift || true
[[ $(id -u) == 0 ]] || { echo "live capture needs root: sudo $0" >&2; exit 1; }
python3 -c 'import websockets' 2>/dev/null || { echo "needs: pip install websockets" >&2; exit 1; }
cargo build --release --quiet --bin wsinspect
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
port=9877
target/release/wsinspect -i lo -p "$port" --print "$@" >"$work/out" 2>"$work/err" &
ws=$!
sleep 1
python3 - "$secs" "$port" 2>"$work/sent" <<'PY'
import asyncio, sys, time, websockets
async def sink(ws):
    async for _ in ws:
        pass
async def main(secs, port):
    async with websockets.serve(sink, "127.0.0.1", port, compression=None):
        async with websockets.connect(f"ws://127.0.0.1:{port}/flood", compression=None) as c:
            n, end = 0, time.time() + secs
            while time.time() < end:
                for _ in range(100):
                    await c.send('{"seq":%d,"price":101.5}' % n)
                    n += 1
    print(n, file=sys.stderr)
asyncio.run(main(float(sys.argv[1]), int(sys.argv[2])))
PY
sleep 1
kill -INT "$ws"
wait "$ws" || true
sent=$(cat "$work/sent")
got=$(grep -c 'client → server text' "$work/out" || true)
echo "client sent $sent messages in $secs s ($((sent / secs))/s); wsinspect decoded $got"
grep -E 'captured|received|dropped' "$work/err"

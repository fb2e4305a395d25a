#!/usr/bin/env python3
"""midstream.pcap: a capture that starts after the WebSocket handshake.

A websockets server and client (one process, 127.0.0.1:8765) connect and exchange one message
each way; then this program creates READY_FILE and waits (at most 30 s) for the recording script
to start tcpdump and create GO_FILE. After that: more messages both ways, a ping from each side
and a close (1000 "bye") from the client. Events before the capture are tagged with the phase
"before_capture" (finalize_log.py writes them to midstream.before.log.jsonl).

usage: midstream.py --log raw.jsonl --ready READY_FILE --go GO_FILE
"""
import argparse
import asyncio
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wslog  # noqa: E402

from websockets.asyncio.client import connect  # noqa: E402
from websockets.asyncio.server import serve  # noqa: E402

OPTS = dict(ping_interval=None, close_timeout=5, compression=None)


async def handler(ws):
    async for message in ws:
        if message == "your turn":
            await ws.send("The server speaks first this time.")
            pong = await ws.ping(b"server ping")
            await asyncio.wait_for(pong, 10)
            await ws.send(bytes(range(16)))
        else:
            await ws.send(message)


async def main(args):
    async with serve(handler, "127.0.0.1", 8765, **OPTS):
        async with connect("ws://127.0.0.1:8765/live", open_timeout=10, **OPTS) as ws:
            wslog.set_phase("before_capture")
            await ws.send("Hi, my name is Ivan")
            await asyncio.wait_for(ws.recv(), 10)
            await asyncio.sleep(0.2)
            wslog.set_phase(None)
            open(args.ready, "w").close()
            for _ in range(300):
                if os.path.exists(args.go):
                    break
                await asyncio.sleep(0.1)
            else:
                raise SystemExit("midstream: the capture never started")
            await ws.send("Is anybody recording this?")
            await asyncio.wait_for(ws.recv(), 10)
            await ws.send("your turn")
            for _ in range(2):
                await asyncio.wait_for(ws.recv(), 10)
            pong = await ws.ping(b"client ping")
            await asyncio.wait_for(pong, 10)
            await ws.send(b"\xca\xfe" * 40)
            await asyncio.wait_for(ws.recv(), 10)
            await ws.close(1000, "bye")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--ready", required=True)
    ap.add_argument("--go", required=True)
    args = ap.parse_args()
    wslog.enable(args.log)
    asyncio.run(asyncio.wait_for(main(args), 60))

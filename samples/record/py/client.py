#!/usr/bin/env python3
"""The Python `websockets` clients of the samples; each scenario is one function below.

Every scenario talks to server.py (which greets or echoes) and waits for each answer before the
next step, so the capture is sequential and the same on every run (data comes from seeded
random generators). Every message sent and received, including the library's own pongs and
close echoes, is logged by wslog.py.

usage: client.py SCENARIO --uri ws://127.0.0.1:8765/ --log raw.jsonl [--name Alice]
"""
import argparse
import asyncio
import json
import os
import random
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wslog  # noqa: E402

from websockets.asyncio.client import connect  # noqa: E402
from websockets.exceptions import InvalidStatus  # noqa: E402
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory  # noqa: E402

OPTS = dict(ping_interval=None, close_timeout=5, open_timeout=10, max_size=2**22)


async def exchange(ws, message):
    """Send one message and wait (bounded) for the server's answer."""
    await ws.send(message)
    return await asyncio.wait_for(ws.recv(), 10)


async def ping(ws, payload):
    """Send a ping and wait (bounded) for its pong."""
    pong = await ws.ping(payload)
    await asyncio.wait_for(pong, 10)


async def greet(args):
    """The classic demo: introduce yourself, chat a little, close normally (1000)."""
    async with connect(args.uri, compression=None, **OPTS) as ws:
        await exchange(ws, f"Hi, my name is {args.name}")
        await exchange(ws, "How are you today?")
        await exchange(ws, bytes([0x00, 0x01, 0x02, 0x7f, 0x80, 0xfe, 0xff]))
        if args.ping:
            await ping(ws, b"are you there?")
        if args.long:
            # longer than a snapped packet: the capture keeps only its beginning
            await exchange(ws, "The quick brown fox jumps over the lazy dog. " * 6)
        await ws.close(1000)


async def deflate(args):
    """permessage-deflate: context takeover (default offer), then no context takeover with
    small windows. Similar JSON messages let later ones back-reference earlier ones."""
    rng = random.Random(2)
    messages = [json.dumps({"type": "quote", "symbol": sym, "price": round(rng.uniform(90, 110), 2),
                            "volume": rng.randrange(1000, 5000), "exchange": "NASDAQ"})
                for sym in ["ACME", "ACME", "INIT", "ACME", "INIT", "GLOB"]]
    async with connect(args.uri, compression="deflate", **OPTS) as ws:
        for m in messages:
            await exchange(ws, m)
        await exchange(ws, rng.randbytes(64) + bytes(200))       # binary, half zeros
        # a compressed message sent in 3 fragments (only the first frame has RSV1)
        await ws.send([json.dumps({"type": "note", "part": i, "text": "fragmented " * 4}) for i in range(3)])
        await asyncio.wait_for(ws.recv(), 10)
        await ws.close(1000, "done")
    factory = ClientPerMessageDeflateFactory(
        server_no_context_takeover=True, client_no_context_takeover=True,
        server_max_window_bits=10, client_max_window_bits=9)
    async with connect(args.uri, extensions=[factory], compression=None, **OPTS) as ws:
        print("deflate: negotiated", ws.response.headers.get("Sec-WebSocket-Extensions"), file=sys.stderr)
        for m in messages[:4]:
            await exchange(ws, m)
        await ws.close(1000)


async def lossy(args):
    """Thirty-odd messages of mixed sizes in bursts of five, so several segments are in flight
    when the network drops, delays and duplicates them; some are larger than the MTU."""
    rng = random.Random(7)
    async with connect(args.uri, compression=None, **OPTS) as ws:
        await exchange(ws, f"Hi, my name is {args.name}")
        for burst in range(6):
            batch = []
            for i in range(5):
                size = rng.choice([20, 90, 400, 1500, 3000])
                if rng.random() < 0.5:
                    batch.append(rng.randbytes(size))
                else:
                    batch.append("".join(rng.choice("abcdefghij klmnopqrstuvwxyz") for _ in range(size)))
            for m in batch:
                await ws.send(m)
            for m in batch:
                assert await asyncio.wait_for(ws.recv(), 20) == m
            await ping(ws, f"burst {burst}".encode())
        await ws.close(1000, "that was bumpy")


async def segments(args):
    """A few messages (3000-8000 bytes) larger than one TCP segment (the base of lost-segment and truncated)."""
    rng = random.Random(12)
    async with connect(args.uri, compression=None, **OPTS) as ws:
        await exchange(ws, f"Hi, my name is {args.name}")
        await exchange(ws, rng.randbytes(5000))
        await exchange(ws, "".join(rng.choice("0123456789abcdef") for _ in range(8000)))
        await exchange(ws, "a short one between the big ones")
        await exchange(ws, rng.randbytes(3000))
        await ws.close(1000)


async def rejected(args):
    """First an upgrade the server refuses (403 on /forbidden), then a good one on /chat."""
    base = args.uri.rstrip("/")
    try:
        async with connect(base + "/forbidden", compression=None, **OPTS):
            raise SystemExit("the server should have refused /forbidden")
    except InvalidStatus as exc:
        print(f"rejected: as expected, {exc}", file=sys.stderr)
    async with connect(base + "/chat", compression=None, **OPTS) as ws:
        await exchange(ws, f"Hi, my name is {args.name}")
        await exchange(ws, "So this path works.")
        await ws.close(1000)


async def keepalive(args):
    """One TCP connection: a plain GET /health (200, Content-Length), then on the same
    connection the WebSocket upgrade (websockets' client takes over the connected socket)."""
    host, port = args.uri.split("/")[2].rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.sendall(f"GET /health HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: keep-alive\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            raise SystemExit("server closed before answering /health")
        head += chunk
    head, body = head.split(b"\r\n\r\n", 1)
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        body += sock.recv(4096)
    print(f"keepalive: {head.splitlines()[0].decode()} {body!r}", file=sys.stderr)
    sock.settimeout(None)
    sock.setblocking(False)
    async with connect(args.uri, sock=sock, compression=None, **OPTS) as ws:
        await exchange(ws, f"Hi, my name is {args.name}")
        await exchange(ws, "Same TCP connection as the health check.")
        await ws.close(1000)


async def chatty(args):
    """Many small messages on two connections open side by side, so that a decoder's steady state
    can be watched over hundreds of frames: conn 0 without compression, 600 texts and binaries of
    1-2000 bytes (most under 64) with a ping every 50; conn 1 with permessage-deflate (context
    takeover), 150 JSON texts of varied length, one after every 4 messages of conn 0. Both close
    with 1000 and no reason at the end."""
    rng = random.Random(21)

    def size():
        roll = rng.random()
        if roll < 0.7:
            return rng.randint(1, 64)
        if roll < 0.95:
            return rng.randint(65, 400)
        return rng.randint(401, 2000)

    async with connect(args.uri, compression=None, **OPTS) as plain, \
            connect(args.uri, compression="deflate", **OPTS) as packed:
        for i in range(600):
            n = size()
            if rng.random() < 0.5:
                message = rng.randbytes(n)
            else:
                message = "".join(rng.choice("abcdefghij klmnopqrstuvwxyz,.") for _ in range(n))
            assert await exchange(plain, message) == message
            if i % 50 == 49:
                await ping(plain, f"ping {i // 50}".encode())
            if i % 4 == 3:
                note = json.dumps({"n": i // 4, "tick": rng.randrange(10**6),
                                   "words": " ".join(rng.choice(["alpha", "beta", "gamma", "delta"])
                                                     for _ in range(rng.randint(0, size() // 6)))})
                assert await exchange(packed, note) == note
                if i % 200 == 199:
                    await ping(packed, b"still there?")
        await plain.close(1000)
        await packed.close(1000)


SCENARIOS = {f.__name__: f for f in [greet, deflate, lossy, segments, rejected, keepalive, chatty]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", choices=SCENARIOS)
    ap.add_argument("--uri", default="ws://127.0.0.1:8765/")
    ap.add_argument("--log", required=True)
    ap.add_argument("--name", default="Alice")
    ap.add_argument("--ping", action="store_true", help="greet: also ping")
    ap.add_argument("--long", action="store_true", help="greet: also a 270-byte message")
    ap.add_argument("--timeout", type=float, default=60)
    args = ap.parse_args()
    wslog.enable(args.log)
    asyncio.run(asyncio.wait_for(SCENARIOS[args.scenario](args), args.timeout))


if __name__ == "__main__":
    main()

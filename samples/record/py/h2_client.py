#!/usr/bin/env python3
"""The HTTP/2 client of the h2c-websocket and h2-websocket samples (hyper-h2 + wsproto).

One HTTP/2 connection to h2_server.py, cleartext with prior knowledge (the `PRI * HTTP/2.0`
preface straight away) or TLS 1.3 with ALPN h2 (--tls; the TLS secrets go to --keylog, in the
NSS key log format, through Python's ssl `keylog_filename`). It waits for the server's SETTINGS
and checks SETTINGS_ENABLE_CONNECT_PROTOCOL = 1, then, interleaved on the one connection:

  stream 1  extended CONNECT /chat, offering `sec-websocket-protocol: chat` (no compression)
  stream 3  extended CONNECT /feed, offering permessage-deflate (client_max_window_bits=12;
            server_max_window_bits=10), both HEADERS frames in one write
  stream 5  GET /health, an ordinary request (200, a 16-byte JSON body)

/chat: greeting and answer; a 7-byte binary; a ping "are you there?" and a text in one DATA frame;
an 18000-byte text (larger than the 16384-byte maximum frame size, so it spans two DATA frames,
and so does the echo); a text whose DATA frame is cut inside the masking key; close 1000
"bye chat" (the server's close reply carries END_STREAM; the client's END_STREAM follows in an
empty DATA frame).
/feed (every data message compressed): a subscribe, answered by 3 JSON updates (two of them in
one DATA frame), a ping (the client's pong), a text in 2 fragments; a 20000-byte seeded random
binary (incompressible: its compressed frame spans two DATA frames) and its echo; an unsubscribe,
answered by the server's close 1000 "feed over", which the client echoes.
The greeting on /chat and the subscribe on /feed go out in one write (DATA of streams 1 and 3 in
one TCP segment). Data is seeded: the same run gives the same messages.

usage: h2_client.py --port 8081 --log raw.jsonl [--tls --keylog FILE]
"""
import argparse
import asyncio
import json
import os
import random
import ssl
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import h2_ws  # noqa: E402
from h2_ws import H2Peer, LoggedDeflate, SETTINGS_ENABLE_CONNECT_PROTOCOL  # noqa: E402


async def expect(ws, opcode, data=None):
    got = await ws.recv()
    if got[0] != opcode or (data is not None and got[1] != data):
        raise RuntimeError(f"stream {ws.stream_id}: expected opcode {opcode} {data!r:.60}, got {got!r:.80}")
    return got[1]


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8081)
    ap.add_argument("--log", required=True)
    ap.add_argument("--tls", action="store_true")
    ap.add_argument("--keylog")
    args = ap.parse_args()
    h2_ws.enable_log(args.log)
    rnd = random.Random(8441)

    ctx = None
    if args.tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.set_alpn_protocols(["h2"])
        if args.keylog:
            ctx.keylog_filename = args.keylog
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(args.host, args.port, ssl=ctx, server_hostname="localhost" if ctx else None), 10)
    if ctx:
        alpn = writer.get_extra_info("ssl_object").selected_alpn_protocol()
        if alpn != "h2":
            sys.exit(f"h2_client: ALPN gave {alpn!r}")
    scheme = "https" if args.tls else "http"
    authority = f"localhost:{args.port}"
    peer = H2Peer(reader, writer, client=True)
    await peer.start()
    settings = await peer.wait_settings()
    if settings.get(SETTINGS_ENABLE_CONNECT_PROTOCOL) != 1:
        sys.exit("h2_client: the server does not offer SETTINGS_ENABLE_CONNECT_PROTOCOL")

    chat = peer.connect_ws(authority, "/chat", scheme, subprotocols=["chat"])
    feed = peer.connect_ws(authority, "/feed", scheme,
                           deflate=LoggedDeflate(client_max_window_bits=12, server_max_window_bits=10))
    await peer.flush()
    chat_headers = await peer.accepted(chat)
    await peer.accepted(feed)
    assert chat_headers.get(b"sec-websocket-protocol") == b"chat", chat_headers
    assert feed.deflate is not None, "permessage-deflate not accepted on /feed"

    # greeting and subscribe in one write: DATA frames of streams 1 and 3 in one segment
    await chat.send_text("Hi, my name is Alice", flush=False)
    await feed.send_text(json.dumps({"op": "subscribe", "topic": "prices", "symbols": ["ACME"]}))
    health = peer.request(authority, "GET", "/health", scheme, extra=[("accept", "application/json")])
    await peer.flush()
    await expect(chat, 1, b"Hi Alice, nice to meet you!")
    for _ in range(3):
        await expect(feed, 1)
    await expect(feed, 9, b"feed-ping-1")
    await expect(feed, 1, b"first half of a fragmented update, and its second half")
    headers, body = await peer.response(health)
    assert headers[b":status"] == b"200" and body == b'{"status":"ok"}\n', (headers, body)

    blob = bytes([1, 2, 3, 4, 5, 250, 255])
    await chat.send_binary(blob)
    await expect(chat, 2, blob)
    # a ping and a text in one DATA frame
    await chat.send_wire(chat.encode_ping(b"are you there?") + chat.encode_text("ping and text share a DATA frame"))
    await expect(chat, 10, b"are you there?")
    await expect(chat, 1, b"ping and text share a DATA frame")

    noise = rnd.randbytes(20000)
    await feed.send_binary(noise)
    big = "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(18000))
    await chat.send_text(big)
    await expect(feed, 2, noise)
    await expect(chat, 1, big.encode())
    # DATA frame cut after 4 bytes: inside the masking key (2 header bytes + 2 of the 4 key bytes)
    await chat.send_text("this frame's DATA is cut inside the masking key", cuts=[4])
    await expect(chat, 1, b"this frame's DATA is cut inside the masking key")

    await feed.send_text(json.dumps({"op": "unsubscribe", "topic": "prices"}))
    await expect(feed, 8, b"\x03\xe8feed over")   # our echo goes out with END_STREAM
    await chat.close(1000, "bye chat")
    await expect(chat, 8, b"\x03\xe8bye chat")
    for ws in (chat, feed):
        await asyncio.wait_for(ws.ended.wait(), 10)
    await peer.goaway()
    await peer.close()


if __name__ == "__main__":
    asyncio.run(main())

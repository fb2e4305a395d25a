#!/usr/bin/env python3
"""The HTTP/2 server of the h2* samples: WebSocket over HTTP/2 (RFC 8441) with hyper-h2 + wsproto.

Its SETTINGS carry SETTINGS_ENABLE_CONNECT_PROTOCOL = 1. It answers
  - an extended CONNECT with `:protocol websocket` (and `sec-websocket-version: 13`) with
    `:status 200`, choosing the subprotocol `chat` if offered and accepting permessage-deflate
    (wsproto's PerMessageDeflate.accept) if offered and --compression deflate; then per path:
      /chat, /browser: greets ("Hi, my name is X" -> "Hi X, nice to meet you!") and echoes every
          other message with the same type (as py/server.py does);
      /feed: a little push feed: on `{"op":"subscribe",...}` it sends 3 similar JSON updates, a
          ping and a text in 2 fragments; it echoes a binary; on `{"op":"unsubscribe"}` it
          closes with 1000 "feed over". A DATA split is forced on some of its messages (see below);
  - GET /health: 200, application/json, `{"status":"ok"}` + newline;
  - GET / with --page FILE: the page (text/html); GET /favicon.ico: 404; anything else: 404.
Every WebSocket message is logged (h2_ws.py). It exits once --conns WebSocket streams have ended
and their HTTP/2 connections are gone; a connection the client keeps open (a browser) gets a
GOAWAY and is closed --linger seconds after its WebSocket streams ended.

usage: h2_server.py --port 8081 --log raw.jsonl [--tls CERT KEY] [--conns 2] [--compression deflate]
                    [--page FILE]
"""
import argparse
import asyncio
import json
import os
import ssl
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import h2_ws  # noqa: E402
from h2_ws import H2Peer, H2WebSocket, LoggedDeflate, SETTINGS_ENABLE_CONNECT_PROTOCOL  # noqa: E402

GREETING = "Hi, my name is "


def reply_to(opcode, data):
    if opcode == 1:
        text = data.decode("utf-8")
        if text.startswith(GREETING):
            return f"Hi {text[len(GREETING):]}, nice to meet you!"
        return text
    return data


async def echo(ws):
    while True:
        opcode, data = await ws.recv(timeout=30)
        if opcode == 8:
            return
        if opcode in (1, 2):
            reply = reply_to(opcode, data)
            if isinstance(reply, str):
                await ws.send_text(reply)
            else:
                await ws.send_binary(reply)


async def feed(ws):
    while True:
        opcode, data = await ws.recv(timeout=30)
        if opcode == 8:
            return
        if opcode == 2:
            await ws.send_binary(data)
        elif opcode == 1:
            op = json.loads(data).get("op")
            if op == "subscribe":
                # three similar updates, the 2nd and 3rd in one DATA frame
                u = [json.dumps({"topic": "prices", "seq": i, "symbol": "ACME", "price": 100 + 1.25 * i,
                                 "currency": "EUR", "venue": "XETRA"}) for i in (1, 2, 3)]
                await ws.send_text(u[0])
                await ws.send_wire(ws.encode_text(u[1]) + ws.encode_text(u[2]))
                await ws.send_ping(b"feed-ping-1")
                # a text in 2 fragments (RSV1 on the first frame only), the DATA frame cut
                # between the two bytes of the second WebSocket frame's header
                frames = ws.encode_fragments(["first half of a fragmented update, ",
                                              "and its second half"], text=True)
                await ws.send_wire(b"".join(frames), cuts=[len(frames[0]) + 1])
            elif op == "unsubscribe":
                await ws.close(1000, "feed over")


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8081)
    ap.add_argument("--log", required=True)
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--conns", type=int, default=2, help="WebSocket streams to serve before exiting")
    ap.add_argument("--compression", choices=["none", "deflate"], default="deflate")
    ap.add_argument("--page", help="HTML file served on GET /")
    ap.add_argument("--linger", type=float, default=1.0)
    ap.add_argument("--timeout", type=float, default=60)
    args = ap.parse_args()
    h2_ws.enable_log(args.log)

    done = 0
    all_done = asyncio.Event()
    peers = []

    async def on_request(peer, ev):
        headers = dict(ev.headers)
        sid = ev.stream_id
        method, path = headers.get(b":method"), headers.get(b":path", b"").decode()
        if method == b"CONNECT" and headers.get(b":protocol") == b"websocket":
            if headers.get(b"sec-websocket-version") != b"13":
                peer.conn.send_headers(sid, [(b":status", b"400")], end_stream=True)
                await peer.flush()
                return
            resp = [(b":status", b"200")]
            offered = [p.strip() for p in headers.get(b"sec-websocket-protocol", b"").decode().split(",") if p.strip()]
            if "chat" in offered:
                resp.append((b"sec-websocket-protocol", b"chat"))
            deflate = None
            ext = headers.get(b"sec-websocket-extensions", b"").decode()
            if args.compression == "deflate" and ext:
                for offer in ext.split(","):
                    if offer.strip().split(";")[0].strip() == "permessage-deflate":
                        candidate = LoggedDeflate()
                        accepted = candidate.accept(offer.strip())
                        if accepted is not None:
                            deflate = candidate
                            resp.append((b"sec-websocket-extensions",
                                         ("permessage-deflate; " + accepted if accepted else "permessage-deflate").encode()))
                            break
            ws = H2WebSocket(peer, sid, client=False, deflate=deflate)
            peer.streams[sid] = ws
            peer.conn.send_headers(sid, resp)
            await peer.flush()
            try:
                await (feed if path == "/feed" else echo)(ws)
                await asyncio.wait_for(ws.ended.wait(), 10)
            except Exception as exc:  # a broken stream still counts as ended
                print(f"h2_server: stream {sid} ended: {exc!r}", file=sys.stderr)
            nonlocal done
            done += 1
            if done >= args.conns:
                all_done.set()
            return
        if method == b"GET" and path == "/health":
            body, ctype, status = b'{"status":"ok"}\n', b"application/json", b"200"
        elif method == b"GET" and path == "/" and args.page:
            with open(args.page, "rb") as f:
                body = f.read()
            ctype, status = b"text/html; charset=utf-8", b"200"
        else:
            body, ctype, status = b"not found\n", b"text/plain", b"404"
        peer.conn.send_headers(sid, [(b":status", status), (b"content-type", ctype),
                                     (b"content-length", str(len(body)).encode()),
                                     (b"cache-control", b"no-store")])
        await peer.send_data(sid, body, end_stream=True)

    async def on_connection(reader, writer):
        if args.tls:
            alpn = writer.get_extra_info("ssl_object").selected_alpn_protocol()
            if alpn != "h2":
                print(f"h2_server: ALPN {alpn!r}, not h2: closing", file=sys.stderr)
                writer.close()
                return
        peer = H2Peer(reader, writer, client=False, settings={SETTINGS_ENABLE_CONNECT_PROTOCOL: 1},
                      on_request=on_request)
        peers.append(peer)
        await peer.start()
        await peer.closed.wait()
        writer.close()

    ctx = None
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.load_cert_chain(*args.tls)
        ctx.set_alpn_protocols(["h2"])

    server = await asyncio.start_server(on_connection, args.host, args.port, ssl=ctx)
    print(f"h2_server: listening on {args.host} port {args.port}", file=sys.stderr, flush=True)
    try:
        await asyncio.wait_for(all_done.wait(), args.timeout)
    except asyncio.TimeoutError:
        print("h2_server: timeout", file=sys.stderr)
        sys.exit(1)
    server.close()
    # the client should now go away by itself; a browser keeps its connection: GOAWAY, close
    for peer in peers:
        try:
            await asyncio.wait_for(peer.closed.wait(), args.linger)
        except asyncio.TimeoutError:
            await peer.goaway()
            await peer.close()


if __name__ == "__main__":
    asyncio.run(main())

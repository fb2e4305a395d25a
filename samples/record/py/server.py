#!/usr/bin/env python3
"""The Python `websockets` server of most samples: greets, echoes, and logs every message.

It answers a text "Hi, my name is NAME" with "Hi NAME, nice to meet you!" and echoes every other
message with the same type. Pings are answered by the library itself (a pong with the same
payload) and a close is echoed; both are logged (see wslog.py). Besides WebSocket it
  - refuses the upgrade on path /forbidden with "403 Forbidden" and a short body (rejected.pcap),
  - serves --page FILE as text/html on a plain GET / (the browser sample),
and exits once --conns WebSocket connections have ended, or after --timeout seconds.
With --tls-cert it speaks TLS (wss:// and https://, the wss samples): see tls_context().

usage: server.py --host 127.0.0.1 --port 8765 --log raw.jsonl [--conns 1] [--compression deflate]
       [--tls-cert CERT.pem,KEY.pem ...] [--tls-ciphers STRING] [--alpn http/1.1]
       [--tls-client-renegotiation]
"""
import argparse
import asyncio
import http
import os
import ssl
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wslog  # noqa: E402

from websockets.asyncio.server import serve  # noqa: E402
from websockets.datastructures import Headers  # noqa: E402
from websockets.http11 import Response  # noqa: E402

GREETING = "Hi, my name is "
# SSL_OP_ALLOW_CLIENT_RENEGOTIATION: SSL_OP_BIT(8) in OpenSSL 3.0's <openssl/ssl.h> (new in 3.0:
# client-initiated renegotiation is refused unless it is set); Python's ssl module has no name for it.
OP_ALLOW_CLIENT_RENEGOTIATION = 1 << 8


def reply_to(message):
    if isinstance(message, str) and message.startswith(GREETING):
        return f"Hi {message[len(GREETING):]}, nice to meet you!"
    return message


def tls_context(args):
    """The server's TLS settings: every --tls-cert pair loaded (one RSA and one ECDSA certificate
    can sit side by side; OpenSSL picks the one the negotiated suite needs), OpenSSL's default
    protocol versions (TLS 1.2 and 1.3; the client chooses), the --tls-ciphers list for TLS 1.2
    (Python's default excludes the SHA-1 CBC suites) and ALPN. The key logs of the samples come
    from the clients.
    Session tickets and the session cache are OpenSSL's defaults (resumption allowed).
    With --tls-client-renegotiation the server also accepts a TLS 1.2 renegotiation started by the
    client (OpenSSL 3.0 refuses those by default)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    for pair in args.tls_cert:
        cert, key = pair.split(",")
        ctx.load_cert_chain(cert, key)
    if args.tls_ciphers:
        ctx.set_ciphers(args.tls_ciphers)
    if args.alpn:
        ctx.set_alpn_protocols(args.alpn)
    if args.tls_client_renegotiation:
        ctx.options |= OP_ALLOW_CLIENT_RENEGOTIATION
    return ctx


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--log", required=True)
    ap.add_argument("--conns", type=int, default=1, help="exit after this many WebSocket connections")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--compression", choices=["none", "deflate"], default="none")
    ap.add_argument("--page", help="HTML file served on GET / without Upgrade")
    ap.add_argument("--tls-cert", action="append", default=[], metavar="CERT,KEY",
                    help="speak TLS with this certificate and key (PEM); may be repeated")
    ap.add_argument("--tls-ciphers", help="OpenSSL cipher list for TLS 1.2")
    ap.add_argument("--alpn", action="append", default=[], help="ALPN protocol to accept (TLS)")
    ap.add_argument("--tls-client-renegotiation", action="store_true",
                    help="accept a renegotiation started by the client (TLS 1.2)")
    args = ap.parse_args()
    wslog.enable(args.log)

    done = 0
    all_done = asyncio.Event()

    async def handler(ws):
        nonlocal done
        try:
            async for message in ws:
                await ws.send(reply_to(message))
        except Exception as exc:  # a broken connection still counts as ended
            print(f"server: connection ended: {exc!r}", file=sys.stderr)
        finally:
            await ws.wait_closed()
            done += 1
            if done >= args.conns:
                all_done.set()

    def process_request(connection, request):
        if request.path == "/forbidden":
            return connection.respond(http.HTTPStatus.FORBIDDEN, "Forbidden: this path takes no WebSocket.\n")
        if args.page and request.path == "/" and "Upgrade" not in request.headers:
            with open(args.page, "rb") as f:
                body = f.read()
            headers = Headers([("Content-Type", "text/html; charset=utf-8"),
                               ("Content-Length", str(len(body))), ("Cache-Control", "no-store")])
            return Response(200, "OK", headers, body)
        if args.page and request.path == "/favicon.ico":
            return connection.respond(http.HTTPStatus.NOT_FOUND, "")
        return None

    async with serve(handler, args.host, args.port, ping_interval=None, close_timeout=5,
                     compression=None if args.compression == "none" else "deflate",
                     process_request=process_request, max_size=2**22,
                     ssl=tls_context(args) if args.tls_cert else None) as server:
        print(f"server: listening on {args.host} port {args.port}", file=sys.stderr, flush=True)
        try:
            await asyncio.wait_for(all_done.wait(), args.timeout)
        except asyncio.TimeoutError:
            print("server: timeout", file=sys.stderr)
            server.close()
            sys.exit(1)


if __name__ == "__main__":
    asyncio.run(main())

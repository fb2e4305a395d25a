#!/usr/bin/env python3
"""The Python `websockets` clients of the wss samples (TLS); each scenario is one function below.

Every scenario talks to server.py started with --tls-cert (it greets and echoes) over wss://,
waiting for each answer before the next step; data comes from seeded generators. Each TCP
connection gets its own SSLContext, built by tls_context(): the test CA(s) trusted, ALPN
`http/1.1` offered, the NSS key log written by OpenSSL through `SSLContext.keylog_filename`
(--keylog; every context appends to the same file), and per connection the TLS version, the
cipher suites offered, encrypt-then-MAC and session tickets as the scenario asks.

The URI names the server as the certificate does (wss://wss.test:8443/, so that name is the SNI
and the Host header) while --connect gives the address actually dialled (127.0.0.1).

For each connection a line of TLS facts as the client's OpenSSL saw them (client port, version,
suite, ALPN, session reused) goes to stderr and, with --info, to that file as JSON.

usage: wssclient.py SCENARIO --uri wss://wss.test:8443/ --connect 127.0.0.1 --ca CERT.pem
                    --keylog KEYS --log raw.jsonl [--info info.jsonl]
"""
import argparse
import asyncio
import json
import os
import random
import ssl
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wslog  # noqa: E402
from client import OPTS, exchange, ping  # noqa: E402

from websockets.asyncio.client import connect  # noqa: E402

# SSL_OP_NO_ENCRYPT_THEN_MAC: SSL_OP_BIT(19) in OpenSSL 3.0's <openssl/ssl.h> (0x00080000 in
# 1.1.1 too); Python's ssl module has no name for it.
OP_NO_ENCRYPT_THEN_MAC = 1 << 19
assert ssl.OPENSSL_VERSION_INFO[:2] in ((1, 1), (3, 0), (3, 1), (3, 2), (3, 3), (3, 4), (3, 5)), \
    f"check SSL_OP_NO_ENCRYPT_THEN_MAC for {ssl.OPENSSL_VERSION}"


class ClientContext(ssl.SSLContext):
    """An SSLContext that hands `resume_session` to every connection it makes: asyncio (which
    websockets uses) creates the SSLObject with wrap_bio() and has no way to pass session=."""
    resume_session = None

    def wrap_bio(self, incoming, outgoing, server_side=False, server_hostname=None, session=None):
        return super().wrap_bio(incoming, outgoing, server_side, server_hostname,
                                session=session or self.resume_session)


def tls_context(args, *, tls12=False, ciphers=None, etm=True, tickets=True):
    ctx = ClientContext(ssl.PROTOCOL_TLS_CLIENT)
    for ca in args.ca:
        ctx.load_verify_locations(ca)
    ctx.set_alpn_protocols(["http/1.1"])
    ctx.keylog_filename = args.keylog
    if tls12:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    if ciphers:
        ctx.set_ciphers(ciphers)
    if not etm:
        ctx.options |= OP_NO_ENCRYPT_THEN_MAC
    if not tickets:
        ctx.options |= ssl.OP_NO_TICKET
    return ctx


def wss(args, ctx, path="", compression=None):
    """Connect to the server (TCP to --connect, TLS SNI and Host from the URI)."""
    return connect(args.uri.rstrip("/") + "/" + path.lstrip("/"), ssl=ctx, host=args.connect,
                   compression=compression, proxy=None, **OPTS)


def tls_facts(args, ws, label):
    """Record what OpenSSL negotiated on this connection (stderr and --info)."""
    tls = ws.transport.get_extra_info("ssl_object")
    facts = {"label": label, "client_port": ws.transport.get_extra_info("sockname")[1],
             "version": tls.version(), "cipher": tls.cipher()[0],
             "alpn": tls.selected_alpn_protocol(), "session_reused": tls.session_reused,
             "sni": tls.server_hostname}
    print("tls: " + json.dumps(facts), file=sys.stderr)
    if args.info:
        with open(args.info, "a", encoding="utf-8") as f:
            f.write(json.dumps(facts) + "\n")
    return facts


async def python(args):
    """wss-python: one TLS 1.3 connection (OpenSSL's default suites), permessage-deflate
    (websockets' default offer): greeting, texts, a binary, a ping, close 1000."""
    rng = random.Random(31)
    async with wss(args, tls_context(args), "/echo", compression="deflate") as ws:
        tls_facts(args, ws, "tls13")
        await exchange(ws, f"Hi, my name is {args.name}")
        await exchange(ws, "Is this line encrypted? It should be.")
        await exchange(ws, json.dumps({"type": "status", "user": args.name, "online": True,
                                       "tags": ["tls", "deflate", "tls", "deflate"]}))
        await exchange(ws, rng.randbytes(40) + bytes(120))
        await ping(ws, b"tls ping")
        await ws.close(1000)


async def short_chat(ws, name, rng, extra=()):
    """The few messages of each connection in the multi-connection samples."""
    await exchange(ws, f"Hi, my name is {name}")
    await exchange(ws, f"{name} says hello over {ws.transport.get_extra_info('ssl_object').cipher()[0]}")
    await exchange(ws, rng.randbytes(rng.randint(5, 60)))
    for m in extra:
        await exchange(ws, m)
    await ws.close(1000)


async def tls12_gcm(args):
    """wss-tls12-gcm: TLS 1.2, one connection per AEAD suite (the ECDSA one needs the server's
    ECDSA certificate)."""
    rng = random.Random(41)
    for i, suite in enumerate(["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
                               "ECDHE-RSA-CHACHA20-POLY1305"]):
        async with wss(args, tls_context(args, tls12=True, ciphers=suite), f"/gcm{i}") as ws:
            facts = tls_facts(args, ws, suite)
            assert facts["cipher"] == suite and facts["version"] == "TLSv1.2", facts
            await short_chat(ws, f"{args.name}{i}", rng)


async def tls12_cbc(args):
    """wss-tls12-cbc: TLS 1.2 CBC suites, with and without encrypt-then-MAC. The first
    connection also sends a 17000-byte binary (two TLS records each way)."""
    rng = random.Random(51)
    plan = [("ECDHE-RSA-AES128-SHA", True), ("ECDHE-RSA-AES256-SHA384", False),
            ("ECDHE-RSA-AES128-SHA256", True), ("ECDHE-RSA-AES128-SHA", False)]
    for i, (suite, etm) in enumerate(plan):
        extra = [rng.randbytes(17000)] if i == 0 else []
        # short texts of 4 consecutive lengths (1-4 bytes on the first connection, 5-8 on the
        # second, ...): 4 different CBC padding lengths on each connection
        extra += ["x" * (i * 4 + k + 1) for k in range(4)]
        async with wss(args, tls_context(args, tls12=True, ciphers=suite, etm=etm), f"/cbc{i}") as ws:
            facts = tls_facts(args, ws, f"{suite} {'EtM' if etm else 'no EtM'}")
            assert facts["cipher"] == suite and facts["version"] == "TLSv1.2", facts
            await short_chat(ws, f"{args.name}{i}", rng, extra)


async def resumed(args):
    """wss-resumed: TLS 1.3 full handshake, then a connection resuming it with the PSK of a
    ticket the first received (read after the handshake); TLS 1.2 full handshake with a session
    ticket, then resumption by that ticket; TLS 1.2 without tickets (session ID in the server's
    cache), then resumption by session ID."""
    rng = random.Random(61)
    pairs = [("tls13", dict()), ("tls12-ticket", dict(tls12=True)),
             ("tls12-session-id", dict(tls12=True, tickets=False))]
    i = 0
    for label, opts in pairs:
        ctx = tls_context(args, **opts)  # a session resumes only through its own SSLContext
        for attempt in ("full", "resumed"):
            async with wss(args, ctx, f"/{label}/{attempt}") as ws:
                facts = tls_facts(args, ws, f"{label} {attempt}")
                assert facts["session_reused"] == (attempt == "resumed"), facts
                await exchange(ws, f"Hi, my name is {args.name}{i}")
                # with TLS 1.3 the tickets come after the handshake: by now they have arrived
                ctx.resume_session = ws.transport.get_extra_info("ssl_object").session
                await exchange(ws, f"{label}, {attempt} handshake")
                await exchange(ws, rng.randbytes(12))
                await ws.close(1000)
            i += 1


async def missing_key(args):
    """wss-missing-key: two TLS 1.3 connections one after the other; the script keeps only the
    first one's lines in the sample's key log."""
    rng = random.Random(71)
    for i in range(2):
        async with wss(args, tls_context(args), f"/conn{i}") as ws:
            tls_facts(args, ws, f"conn{i}")
            await short_chat(ws, f"{args.name}{i}", rng,
                             [f"connection {i}: " + ("readable" if i == 0 else "no keys for this one")])


SCENARIOS = {"python": python, "tls12-gcm": tls12_gcm, "tls12-cbc": tls12_cbc,
             "resumed": resumed, "missing-key": missing_key}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", choices=SCENARIOS)
    ap.add_argument("--uri", default="wss://wss.test:8443/")
    ap.add_argument("--connect", default="127.0.0.1", help="address to dial (the URI's host is the SNI)")
    ap.add_argument("--ca", action="append", default=[], help="certificate to trust (PEM)")
    ap.add_argument("--keylog", required=True, help="NSS key log file (appended)")
    ap.add_argument("--log", required=True)
    ap.add_argument("--info", help="append each connection's TLS facts here (JSON lines)")
    ap.add_argument("--name", default="Walter")
    ap.add_argument("--timeout", type=float, default=60)
    args = ap.parse_args()
    wslog.enable(args.log)
    asyncio.run(asyncio.wait_for(SCENARIOS[args.scenario](args), args.timeout))


if __name__ == "__main__":
    main()

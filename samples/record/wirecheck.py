#!/usr/bin/env python3
"""Check a sample's log against its capture without tshark: reassemble each TCP direction here
(scapy reads the packets), skip the HTTP handshake, parse the WebSocket frames, join fragments,
inflate (permessage-deflate), and compare with what the peers logged as sent.

usage: wirecheck.py CAPTURE NAME.log.jsonl [--quiet]

This is the second reference beside tshark (NAME.tshark.jsonl); it is simple on purpose:
segments are placed by sequence number wherever they arrive in the file, so reordering,
retransmissions and duplicates do not matter, and a hole (bytes never seen) is reported.
Exits 1 if a direction does not give exactly the logged messages.
"""
import json
import sys
import zlib

from scapy.layers.inet import IP, TCP
from scapy.layers.inet6 import IPv6
from scapy.utils import PcapReader


def reassemble(capture, client_port):
    """{direction: (bytes, holes)}; direction "c->s" or "s->c". The stream starts after the SYN,
    or at the lowest sequence number seen if there is no SYN (capture started later)."""
    segs = {"c->s": [], "s->c": []}
    isn = {}
    with PcapReader(capture) as reader:
        for pkt in reader:
            if TCP not in pkt or (IP not in pkt and IPv6 not in pkt):
                continue
            tcp = pkt[TCP]
            if client_port not in (tcp.sport, tcp.dport):
                continue
            d = "c->s" if tcp.sport == client_port else "s->c"
            if tcp.flags.S:
                isn[d] = tcp.seq + 1
            payload = bytes(tcp.payload)
            ip = pkt[IP] if IP in pkt else pkt[IPv6]
            wire_len = (ip.len - ip.ihl * 4 if IP in pkt else ip.plen) - tcp.dataofs * 4
            payload = payload[:wire_len]  # drop Ethernet padding
            if payload:
                segs[d].append((tcp.seq, payload, wire_len))
    out = {}
    for d, items in segs.items():
        if not items:
            out[d] = (b"", [])
            continue
        base = isn.get(d, min(s for s, _, _ in items))
        end = max((s - base) % 2**32 + n for s, _, n in items)
        buf = bytearray(end)
        have = bytearray(end)
        for seq, payload, _ in items:
            off = (seq - base) % 2**32
            buf[off:off + len(payload)] = payload
            have[off:off + len(payload)] = b"\x01" * len(payload)
        holes, i = [], 0
        while i < end:
            if not have[i]:
                j = i
                while j < end and not have[j]:
                    j += 1
                holes.append((i, j))
                i = j
            else:
                i += 1
        out[d] = (bytes(buf), holes)
    return out


def skip_http(data, direction):
    """Offset where WebSocket frames start: after the request that carries Upgrade (client) or
    the 101 response (server); 0 if the stream does not start with HTTP (midstream capture)."""
    if not data.startswith((b"GET ", b"HTTP/")):
        return 0
    pos = 0
    while True:
        end = data.find(b"\r\n\r\n", pos)
        if end < 0:
            return len(data)
        head = data[pos:end].decode("latin-1")
        lines = head.split("\r\n")
        if direction == "s->c" and " 101 " in lines[0] + " ":
            return end + 4
        if direction == "c->s" and any(h.lower().startswith("upgrade:") for h in lines[1:]):
            return end + 4
        length = next((int(h.split(":")[1]) for h in lines[1:] if h.lower().startswith("content-length:")), 0)
        pos = end + 4 + length


def messages(data, start):
    """[(opcode, hex, fin-count)] of the complete frames from `start`; stops at the end of data."""
    inflater = zlib.decompressobj(-15)
    out, pos, current = [], start, None
    while pos + 2 <= len(data):
        b0, b1 = data[pos], data[pos + 1]
        n, off = b1 & 0x7F, pos + 2
        if n == 126:
            n, off = int.from_bytes(data[off:off + 2], "big"), off + 2
        elif n == 127:
            n, off = int.from_bytes(data[off:off + 8], "big"), off + 8
        key = None
        if b1 & 0x80:
            key, off = data[off:off + 4], off + 4
        if off + n > len(data):
            break
        payload = data[off:off + n]
        if key:
            payload = bytes(c ^ key[i & 3] for i, c in enumerate(payload))
        pos = off + n
        fin, rsv1, opcode = b0 & 0x80, b0 & 0x40, b0 & 0x0F
        if opcode >= 8:
            out.append((opcode, payload.hex()))
            continue
        if opcode in (1, 2):
            current = [opcode, [], bool(rsv1)]
        current[1].append(payload)
        if fin:
            op, parts, compressed = current
            msg = b"".join(parts)
            if compressed:
                msg = inflater.decompress(msg + b"\x00\x00\xff\xff")
            out.append((op, msg.hex()))
            current = None
    return out


def main():
    capture, log_path = sys.argv[1], sys.argv[2]
    quiet = "--quiet" in sys.argv
    with open(log_path, encoding="utf-8") as f:
        log = [json.loads(line) for line in f if line.strip()]
    ok = True
    for conn, port in sorted({(r["conn"], r["client_port"]) for r in log}):
        streams = reassemble(capture, port)
        for d, sender in (("c->s", "client"), ("s->c", "server")):
            data, holes = streams[d]
            wire = messages(data, skip_http(data, d))
            receiver = "server" if sender == "client" else "client"
            sent = [(r["opcode"], r["hex"]) for r in log
                    if r["conn"] == conn and r["peer"] == sender and r["event"] == "sent"]
            if not any(r["conn"] == conn and r["peer"] == sender for r in log):
                # only the other peer logged (e.g. the browser sample): use what it received
                sent = [(r["opcode"], r["hex"]) for r in log
                        if r["conn"] == conn and r["peer"] == receiver and r["event"] == "received"]
            first_diff = next((i for i, (a, b) in enumerate(zip(sent, wire)) if a != b), None)
            good = first_diff is None and len(sent) == len(wire)
            ok &= good
            if good and not quiet:
                print(f"  conn {conn} {d}: {len(sent)} messages: OK")
            elif not good:
                print(f"  conn {conn} {d}: MISMATCH: log {len(sent)} messages, capture {len(wire)}"
                      + (f", first difference #{first_diff}" if first_diff is not None else "")
                      + (f", holes at stream bytes {holes[:3]}" if holes else ""))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

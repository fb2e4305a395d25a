#!/usr/bin/env python3
"""Compare a sample's peer log with tshark's dissection of its capture.

usage: crosscheck.py NAME.log.jsonl NAME.tshark.jsonl [--quiet]

For every connection and direction it checks that
  1. what one peer logged as sent is what the other logged as received (the logs are complete), and
  2. the frames tshark dissected give the same messages, in the same order (opcode and bytes):
     control frames as they are, data frames joined into messages here and inflated here when
     RSV1 is set (one inflater per direction, which fits context takeover and its absence).
It also notes where tshark's own reassembled/inflated message (message_hex) differs: tshark 4.0
leaves a compressed message that was sent in several fragments deflated.
Prints one line per connection and direction; exits 1 if a check fails.
"""
import json
import sys
import zlib


def wire_messages(frames):
    """Messages from tshark's frames: (opcode, hex) by our own joining and inflating,
    and tshark's own message_hex (or None) for each."""
    inflater = zlib.decompressobj(-15)
    ours, theirs, current = [], [], None
    for f in frames:
        payload = f["payload_hex"]
        if f["opcode"] >= 8:
            ours.append((f["opcode"], payload))
            theirs.append((f["opcode"], payload))
            continue
        if f["opcode"] in (1, 2):
            current = [f["opcode"], [], bool(f["rsv"] & 4)]
        if current is None:  # continuation without a start (capture began mid-message)
            continue
        current[1].append(payload)
        if f["fin"]:
            opcode, parts, compressed = current
            current = None
            if any(p is None for p in parts):
                ours.append((opcode, None))
            else:
                data = bytes.fromhex("".join(parts))
                if compressed:
                    try:
                        data = inflater.decompress(data + b"\x00\x00\xff\xff")
                    except zlib.error:
                        data = None
                ours.append((opcode, data.hex() if data is not None else None))
            theirs.append((f.get("message_opcode"), f.get("message_hex")))
    return ours, theirs


def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def short(msg):
    op, hx = msg
    return f"op{op}:{hx[:24]}{'...' if hx and len(hx) > 24 else ''}({len(hx) // 2 if hx else '?'}B)"


def main():
    log_path, tshark_path = sys.argv[1], sys.argv[2]
    quiet = "--quiet" in sys.argv
    log, frames = load(log_path), load(tshark_path)
    conns = sorted({(r["conn"], r["client_port"]) for r in log})
    ok = True
    for conn, port in conns:
        for sender, receiver, arrow in (("client", "server", "c->s"), ("server", "client", "s->c")):
            sent = [(r["opcode"], r["hex"]) for r in log
                    if r["conn"] == conn and r["peer"] == sender and r["event"] == "sent"]
            recv = [(r["opcode"], r["hex"]) for r in log
                    if r["conn"] == conn and r["peer"] == receiver and r["event"] == "received"]
            mine = [f for f in frames if (f["src_port"] == port) == (sender == "client")
                    and port in (f["src_port"], f["dst_port"])]
            wire, tshark_own = wire_messages(mine)
            peers = {r["peer"] for r in log if r["conn"] == conn}
            if sender not in peers:   # only the other peer logged (e.g. the browser sample)
                sent = recv
            elif receiver not in peers:
                recv = sent
            problems = []
            if sent != recv:
                problems.append(f"{sender} sent {len(sent)} but {receiver} received {len(recv)}")
            if len(wire) != len(sent):
                problems.append(f"tshark shows {len(wire)} messages, log {len(sent)}")
            for i, (a, b) in enumerate(zip(sent, wire)):
                if a != b:
                    problems.append(f"#{i}: log {short(a)} != tshark {short(b)}")
                    break
            notes = [f"tshark's own message_hex differs for #{i}" for i, (a, b) in
                     enumerate(zip(sent, tshark_own)) if b[1] is not None and a != b]
            status = "OK" if not problems else "MISMATCH " + "; ".join(problems)
            ok &= not problems
            if problems or not quiet:
                print(f"  conn {conn} {arrow}: {len(sent)} messages: {status}"
                      + "".join(f" ({n})" for n in notes))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

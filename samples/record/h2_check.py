#!/usr/bin/env python3
"""Compare an h2 sample's peer log with the WebSocket frames inside tshark's HTTP/2 frames.

usage: h2_check.py NAME.log.jsonl NAME.tshark-h2.jsonl [--quiet]

tshark 4.0 does not dissect WebSocket inside HTTP/2 (RFC 8441), so this does it from tshark's
HTTP/2 view (h2_frames.py): it finds each extended CONNECT (`:method CONNECT`, `:protocol
websocket`) and its `:status 200` answer, reads the negotiated subprotocol and permessage-deflate
parameters from the two header lists, concatenates the stream's DATA payloads per direction (in
capture order), parses the WebSocket frames in them, unmasks, joins fragments and inflates
messages with RSV1 set (one inflater per direction with the negotiated window bits, reset per
message under *_no_context_takeover). For every WebSocket stream and direction it checks that
  1. what one peer logged as sent is what the other logged as received (when both log),
  2. the messages on the wire are the logged ones, in order (opcode and bytes), and a data
     message was compressed exactly when the log says "compressed",
  3. client frames are masked and server frames are not, no bytes are left over after the last
     frame, and the direction ends with END_STREAM after its close frame.
It prints one line per stream and direction, with what the DATA frames did: how many DATA frames,
how many WebSocket frames, frames spanning 2 or more DATA frames, DATA frames holding several
WebSocket frames (or only part of one). Exits 1 if a check fails.
"""
import json
import struct
import sys
import zlib


def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def deflate_params(value):
    """permessage-deflate parameters of an accepted sec-websocket-extensions value, or None."""
    for ext in (value or "").split(","):
        parts = [p.strip() for p in ext.split(";")]
        if parts[0] == "permessage-deflate":
            params = {}
            for p in parts[1:]:
                k, _, v = p.partition("=")
                params[k.strip()] = int(v.strip().strip('"')) if v else True
            return params
    return None


def parse_ws(chunks):
    """WebSocket frames from a list of DATA payloads (bytes). Each frame: dict with fin, rsv,
    opcode, masked, payload (unmasked), and first/last: the DATA chunk indexes it came from.
    Returns (frames, leftover byte count)."""
    buf = b"".join(chunks)
    starts, pos = [], 0
    for c in chunks:
        starts.append(pos)
        pos += len(c)

    def chunk_of(offset):
        i = 0
        while i + 1 < len(starts) and starts[i + 1] <= offset:
            i += 1
        return i

    frames, pos = [], 0
    while True:
        if len(buf) - pos < 2:
            break
        b0, b1 = buf[pos], buf[pos + 1]
        n, hdr = b1 & 0x7F, 2
        if n == 126:
            if len(buf) - pos < 4:
                break
            n, hdr = struct.unpack("!H", buf[pos + 2:pos + 4])[0], 4
        elif n == 127:
            if len(buf) - pos < 10:
                break
            n, hdr = struct.unpack("!Q", buf[pos + 2:pos + 10])[0], 10
        masked = bool(b1 & 0x80)
        key = buf[pos + hdr:pos + hdr + 4] if masked else b""
        hdr += 4 if masked else 0
        if len(buf) - pos < hdr + n:
            break
        payload = buf[pos + hdr:pos + hdr + n]
        if masked:
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
        end = pos + hdr + n
        frames.append({"fin": bool(b0 & 0x80), "rsv": (b0 >> 4) & 7, "opcode": b0 & 0xF, "masked": masked,
                       "payload": payload, "first": chunk_of(pos), "last": chunk_of(max(end - 1, pos))})
        pos = end
    return frames, len(buf) - pos


def messages(frames, wbits, no_takeover):
    """(opcode, bytes, compressed) per message: control frames as they are, data joined and inflated."""
    inflater = zlib.decompressobj(-wbits)
    out, cur = [], None
    for f in frames:
        if f["opcode"] >= 8:
            out.append((f["opcode"], f["payload"], False))
            continue
        if f["opcode"] in (1, 2):
            cur = [f["opcode"], [], bool(f["rsv"] & 4)]
        if cur is None:
            continue
        cur[1].append(f["payload"])
        if f["fin"]:
            opcode, parts, compressed = cur
            cur = None
            data = b"".join(parts)
            if compressed:
                data = inflater.decompress(data + b"\x00\x00\xff\xff")
                if no_takeover:
                    inflater = zlib.decompressobj(-wbits)
            out.append((opcode, data, compressed))
    return out


def short(op, data):
    hx = data.hex()
    return f"op{op}:{hx[:24]}{'...' if len(hx) > 24 else ''}({len(data)}B)"


def main():
    log_path, ref_path = sys.argv[1], sys.argv[2]
    quiet = "--quiet" in sys.argv
    log, ref = load(log_path), load(ref_path)
    ok = True

    # the extended CONNECT streams, by (client port, stream id)
    streams = {}
    for f in ref:
        if f.get("type") != 1:
            continue
        h = {}
        for k, v in f["headers"]:
            h.setdefault(k, v)
        key_c = (f["src_port"], f["stream_id"])
        if h.get(":method") == "CONNECT" and h.get(":protocol") == "websocket":
            streams[key_c] = {"tcp_stream": f["tcp_stream"], "request": h, "response": None}
        key_s = (f["dst_port"], f["stream_id"])
        if ":status" in h and key_s in streams and streams[key_s]["response"] is None:
            streams[key_s]["response"] = h

    logged = {(r["client_port"], r["h2_stream"]): r["conn"] for r in log}
    for key in sorted(set(logged) - set(streams)):
        print(f"  client port {key[0]} stream {key[1]}: logged but no extended CONNECT in the capture")
        ok = False

    for (port, sid), s in sorted(streams.items(), key=lambda kv: logged.get(kv[0], 1 << 30)):
        resp = s["response"] or {}
        conn = logged.get((port, sid))
        status = resp.get(":status")
        params = deflate_params(resp.get("sec-websocket-extensions"))
        sub = resp.get("sec-websocket-protocol")
        desc = (f"conn {conn} stream {sid} {s['request'].get(':path')} :status {status}"
                + (f", subprotocol {sub}" if sub else "")
                + (f", permessage-deflate {params}" if params is not None else ""))
        if status != "200":
            print(f"  {desc}: not accepted")
            continue
        if conn is None:
            print(f"  {desc}: accepted but not in the log")
            ok = False
            continue
        print(f"  {desc}")
        for sender, receiver, arrow in (("client", "server", "c->s"), ("server", "client", "s->c")):
            data_frames = [f for f in ref if f.get("type") == 0 and f["stream_id"] == sid
                           and f["tcp_stream"] == s["tcp_stream"]
                           and (f["src_port"] == port) == (sender == "client")]
            chunks = [bytes.fromhex(f["data_hex"]) for f in data_frames]
            frames, leftover = parse_ws(chunks)
            if params is None:
                wbits, no_takeover = 15, False
            else:
                side = "client" if sender == "client" else "server"
                bits = params.get(f"{side}_max_window_bits")
                wbits = bits if isinstance(bits, int) else 15
                no_takeover = bool(params.get(f"{side}_no_context_takeover"))
            problems = []
            try:
                wire = messages(frames, wbits, no_takeover)
            except zlib.error as exc:
                wire = []
                problems.append(f"inflate failed: {exc}")
            rows = [r for r in log if r["conn"] == conn]
            peers = {r["peer"] for r in rows}
            sent = [(r["opcode"], bytes.fromhex(r["hex"]), bool(r.get("compressed"))) for r in rows
                    if r["peer"] == sender and r["event"] == "sent"]
            recv = [(r["opcode"], bytes.fromhex(r["hex"]), bool(r.get("compressed"))) for r in rows
                    if r["peer"] == receiver and r["event"] == "received"]
            if sender not in peers:      # only the other peer logged (the browser sample)
                sent = recv
            elif receiver not in peers:
                recv = sent
            if sent != recv:
                problems.append(f"{sender} sent {len(sent)} but {receiver} received {len(recv)}")
            if len(wire) != len(sent):
                problems.append(f"the DATA frames hold {len(wire)} messages, the log {len(sent)}")
            for i, (a, b) in enumerate(zip(sent, wire)):
                if a[:2] != b[:2]:
                    problems.append(f"#{i}: log {short(*a[:2])} != wire {short(*b[:2])}")
                    break
                if a[0] in (1, 2) and a[2] != b[2]:
                    problems.append(f"#{i}: log compressed={a[2]}, wire RSV1={b[2]}")
                    break
            if any(f["masked"] != (sender == "client") for f in frames):
                problems.append("masking wrong")
            if leftover:
                problems.append(f"{leftover} bytes after the last complete frame")
            ends = [i for i, f in enumerate(data_frames) if f["end_stream"]]
            closes = [f for f in frames if f["opcode"] == 8]
            if closes and (not ends or ends[0] < closes[-1]["last"]):
                problems.append("no END_STREAM after the close")
            spanning = sum(1 for f in frames if f["last"] > f["first"])
            multi = sum(1 for i in range(len(chunks)) if sum(1 for f in frames if f["first"] <= i <= f["last"]) > 1)
            partial = sum(1 for i, c in enumerate(chunks) if c and not any(
                f["first"] == i == f["last"] for f in frames))
            empty = sum(1 for c in chunks if not c)
            ok &= not problems
            status = "OK" if not problems else "MISMATCH " + "; ".join(problems)
            if problems or not quiet:
                counts = {}
                for op, _, _ in sent:
                    counts[op] = counts.get(op, 0) + 1
                kinds = ", ".join(f"{n} {dict([(1, 'text'), (2, 'binary'), (8, 'close'), (9, 'ping'), (10, 'pong')]).get(op, op)}"
                                  for op, n in sorted(counts.items()))
                print(f"    {arrow}: {len(sent)} messages ({kinds}); {len(frames)} WebSocket frames in "
                      f"{len(chunks)} DATA frames ({empty} empty, END_STREAM {'yes' if ends else 'no'}); "
                      f"{spanning} frames span 2+ DATA frames, {multi} DATA frames touch 2+ WebSocket frames, "
                      f"{partial} DATA frames hold only part of a frame: {status}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Turn the h2 peers' raw event files (py/h2_ws.py) into a sample's NAME.log.jsonl.

usage: h2_finalize.py --pcap CAPTURE --out NAME.log.jsonl RAW...

As finalize_log.py, but a TCP connection may carry several WebSocket connections, one per
extended-CONNECT stream (RFC 8441). They are numbered 0, 1, ... in the order the CONNECT streams
were opened: by TCP connection (its SYN in the capture, as finalize_log.py does), then by stream
id (a client opens its streams in increasing id order). Each line keeps the client's TCP port
and gets "h2_stream", the stream id:

  {"conn": 0, "peer": "client", "event": "sent", "opcode": 1, "hex": "...", "client_port": 39264, "h2_stream": 1}
"""
import argparse
import heapq
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from finalize_log import tcp_connections  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("raw", nargs="+")
    args = ap.parse_args()

    files = []
    for path in args.raw:
        with open(path, encoding="utf-8") as f:
            files.append([json.loads(line) for line in f if line.strip()])
    keys = {(ev["client_port"], ev["h2_stream"]) for evs in files for ev in evs}

    streams = tcp_connections(args.pcap)
    port_order = {}
    for port in {p for p, _ in keys}:
        found = [s for s in streams.values()
                 if s.get("client_port") == port or ("client_port" not in s and port in s["ports"])]
        if len(found) != 1:
            sys.exit(f"client port {port}: {len(found)} TCP connections in {args.pcap}")
        s = found[0]
        port_order[port] = s["syn"] if s["syn"] is not None else s["first"]
    ordered = sorted(keys, key=lambda k: (port_order[k[0]], k[1]))
    conn_of = {k: i for i, k in enumerate(ordered)}

    def conn(ev):
        return conn_of[(ev["client_port"], ev["h2_stream"])]

    files = [sorted(evs, key=conn) for evs in files]
    with open(args.out, "w", encoding="utf-8") as out:
        for ev in heapq.merge(*files, key=lambda ev: (conn(ev), ev["t"])):
            rec = {"conn": conn(ev), "peer": ev["peer"], "event": ev["event"], "opcode": ev["opcode"],
                   "hex": ev["hex"]}
            for extra in ("fragments", "compressed"):
                if extra in ev:
                    rec[extra] = ev[extra]
            rec["client_port"] = ev["client_port"]
            rec["h2_stream"] = ev["h2_stream"]
            out.write(json.dumps(rec) + "\n")


if __name__ == "__main__":
    main()

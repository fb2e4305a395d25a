#!/usr/bin/env python3
"""Turn the peers' raw event files into a sample's NAME.log.jsonl.

usage: finalize_log.py --pcap CAPTURE --out NAME.log.jsonl [--phase PHASE=OTHER.log.jsonl] RAW...

Each peer program (py/wslog.py, node/wslog.js) writes raw events carrying the client's TCP port.
This script looks those ports up in the capture (with tshark) and numbers the WebSocket
connections 0, 1, ... in the order their TCP connections were opened (the client's SYN; for a
connection whose SYN is not in the capture, its first packet). TCP connections of the capture that
carried no WebSocket message (plain HTTP, rejected upgrades) get no number.

Lines are grouped by connection; within a connection the events of all peers are merged by time,
keeping each peer's own order. Raw events tagged with a phase (see wslog.set_phase) go to the file
given with --phase PHASE=FILE instead.
"""
import argparse
import heapq
import json
import subprocess
import sys


def tcp_connections(pcap):
    """client port -> (order key, tshark stream) for every TCP connection in the capture."""
    out = subprocess.run(
        ["tshark", "-r", pcap, "-Y", "tcp", "-T", "fields", "-E", "separator=,",
         "-e", "frame.number", "-e", "tcp.stream", "-e", "tcp.srcport", "-e", "tcp.dstport",
         "-e", "tcp.flags.syn", "-e", "tcp.flags.ack"],
        capture_output=True, text=True, timeout=120)
    streams = {}
    for line in out.stdout.splitlines():
        frame, stream, sport, dport, syn, ack = line.split(",")
        frame, stream, sport, dport = int(frame), int(stream), int(sport), int(dport)
        s = streams.setdefault(stream, {"first": frame, "syn": None, "ports": {sport, dport}})
        if syn in ("1", "True") and ack in ("0", "False") and s["syn"] is None:
            s["syn"] = frame
            s["client_port"] = sport
    return streams


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--phase", action="append", default=[], help="PHASE=FILE")
    ap.add_argument("raw", nargs="+")
    args = ap.parse_args()

    files = []
    for path in args.raw:
        with open(path, encoding="utf-8") as f:
            files.append([json.loads(line) for line in f if line.strip()])
    ports = {ev["client_port"] for evs in files for ev in evs}

    streams = tcp_connections(args.pcap)
    port_key = {}
    for port in ports:
        found = [s for s in streams.values()
                 if s.get("client_port") == port or ("client_port" not in s and port in s["ports"])]
        if len(found) != 1:
            sys.exit(f"client port {port}: {len(found)} TCP connections in {args.pcap}")
        s = found[0]
        port_key[port] = s["syn"] if s["syn"] is not None else s["first"]
    conn_of = {port: i for i, port in enumerate(sorted(ports, key=port_key.get))}

    outputs = {None: open(args.out, "w", encoding="utf-8")}
    for spec in args.phase:
        phase, path = spec.split("=", 1)
        outputs[phase] = open(path, "w", encoding="utf-8")
    # heapq.merge needs each input sorted by the key: sort per file by connection, stably.
    files = [sorted(evs, key=lambda ev: conn_of[ev["client_port"]]) for evs in files]
    merged = heapq.merge(*files, key=lambda ev: (conn_of[ev["client_port"]], ev["t"]))
    for ev in merged:
        rec = {"conn": conn_of[ev["client_port"]], "peer": ev["peer"], "event": ev["event"],
               "opcode": ev["opcode"], "hex": ev["hex"]}
        for extra in ("fragments", "compressed"):
            if extra in ev:
                rec[extra] = ev[extra]
        rec["client_port"] = ev["client_port"]
        outputs[ev.get("phase")].write(json.dumps(rec) + "\n")
    for f in outputs.values():
        f.close()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""A bad network in user space, for lossy.pcap (the kernel here has no netem).

An iptables rule sends this namespace's outgoing WebSocket packets to NFQUEUE; this program
holds every packet --latency seconds (10 ms: a round trip of 20 ms, so that tshark, which
judges by the round-trip time, tells reordered segments from retransmitted ones), and decides,
with a seeded random generator, what happens to each one carrying TCP payload:
  drop       (--drop)   TCP retransmits it later; a segment is dropped at most once
  duplicate  (--dup)    sent, and a copy re-injected 1-8 ms later through a raw socket
                        (marked so the rule lets it pass, checksums recomputed with scapy)
  delay      (--delay)  held 3-15 ms more while later packets pass: they arrive out of order
  else                  sent after the latency; packets without payload (ACK, SYN, FIN) too.
The timing of a real network stack varies, so the exact packets hit differ between runs.
Runs until SIGTERM/SIGINT or --duration seconds, then releases what it holds, and writes
its statistics (JSON) to --stats.

usage: impair.py --queue 0 --seed 11 --stats stats.json [--drop 0.07 --dup 0.07 --delay 0.15]
"""
import argparse
import json
import random
import select
import signal
import socket
import struct
import sys
import time

from netfilterqueue import NetfilterQueue
from scapy.layers.inet import IP, TCP

MARK = 1  # packets with this mark skip the NFQUEUE rule (our re-injected duplicates)


def tcp_info(ip):
    """(src port, dst port, seq, payload length) of an IPv4/TCP packet."""
    ihl = (ip[0] & 0x0F) * 4
    total = struct.unpack("!H", ip[2:4])[0]
    sport, dport, seq = struct.unpack("!HHI", ip[ihl:ihl + 8])
    doff = (ip[ihl + 12] >> 4) * 4
    return sport, dport, seq, total - ihl - doff


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--queue", type=int, default=0)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--drop", type=float, default=0.07)
    ap.add_argument("--dup", type=float, default=0.07)
    ap.add_argument("--delay", type=float, default=0.15)
    ap.add_argument("--latency", type=float, default=0.010)
    ap.add_argument("--duration", type=float, default=120)
    ap.add_argument("--stats", required=True)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    held = []          # (release time, packet)
    dups = []          # (send time, bytes)
    dropped_seqs = set()
    stats = {"seed": args.seed, "packets": 0, "data_packets": 0, "dropped": [], "duplicated": [],
             "delayed": []}
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, MARK)

    def hold(pkt, extra=0.0):
        pkt.retain()
        held.append((time.monotonic() + args.latency + extra, stats["packets"], pkt))

    def on_packet(pkt):
        stats["packets"] += 1
        data = pkt.get_payload()
        sport, dport, seq, length = tcp_info(data)
        if length == 0:
            hold(pkt)
            return
        stats["data_packets"] += 1
        what = f"{sport}->{dport} seq={seq} len={length}"
        r = rng.random()
        if r < args.drop and seq not in dropped_seqs:
            dropped_seqs.add(seq)
            stats["dropped"].append(what)
            pkt.drop()
        elif r < args.drop + args.dup:
            stats["duplicated"].append(what)
            copy = IP(data)
            del copy[IP].chksum
            del copy[TCP].chksum
            dups.append((time.monotonic() + args.latency + rng.uniform(0.001, 0.008), bytes(copy)))
            hold(pkt)
        elif r < args.drop + args.dup + args.delay:
            stats["delayed"].append(what)
            hold(pkt, rng.uniform(0.003, 0.015))
        else:
            hold(pkt)

    stop = False

    def on_signal(*_):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    nfq = NetfilterQueue()
    nfq.bind(args.queue, on_packet)
    sock = socket.fromfd(nfq.get_fd(), socket.AF_NETLINK, socket.SOCK_RAW)
    print(f"impair: queue {args.queue} ready", file=sys.stderr, flush=True)
    deadline = time.monotonic() + args.duration
    try:
        while not stop and time.monotonic() < deadline:
            ready, _, _ = select.select([sock], [], [], 0.002)
            if ready:
                nfq.run(block=False)
            now = time.monotonic()
            for item in sorted(h for h in held if h[0] <= now):
                held.remove(item)
                item[2].accept()
            for item in [d for d in dups if d[0] <= now]:
                dups.remove(item)
                dst = socket.inet_ntoa(item[1][16:20])
                raw.sendto(item[1], (dst, 0))
    finally:
        for _, _, pkt in sorted(held):
            pkt.accept()
        nfq.unbind()
        with open(args.stats, "w") as f:
            json.dump(stats, f, indent=1)
        print(f"impair: queue {args.queue}: {stats['data_packets']} data packets, "
              f"{len(stats['dropped'])} dropped, {len(stats['duplicated'])} duplicated, "
              f"{len(stats['delayed'])} delayed", file=sys.stderr)


if __name__ == "__main__":
    main()

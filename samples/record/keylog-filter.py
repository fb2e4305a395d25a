#!/usr/bin/env python3
"""Keep only some connections' lines of an NSS key log (for wss-missing-key).

usage: keylog-filter.py KEYS --pcap CAPTURE --keep-port CLIENT_PORT [--keep-port ...] > OUT.keys

Looks up the ClientHello random of each kept connection (by its client TCP port) in the capture
with tshark, and writes the key log's comment lines and the lines keyed by those randoms,
unchanged and in their order. Every other line is left out. Fails if a kept connection has no
line in the key log.
"""
import argparse
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("keys")
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--keep-port", type=int, action="append", required=True)
    args = ap.parse_args()
    out = subprocess.run(["tshark", "-r", args.pcap, "-Y", "tls.handshake.type == 1", "-T", "fields",
                          "-e", "tcp.srcport", "-e", "tls.handshake.random"],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    randoms = {}
    for line in out.splitlines():
        port, random = line.split("\t")
        randoms.setdefault(int(port), set()).add(random.replace(":", "").lower())
    keep = set()
    for port in args.keep_port:
        if port not in randoms:
            sys.exit(f"no ClientHello from port {port} in {args.pcap}")
        keep |= randoms[port]
    found = set()
    with open(args.keys, encoding="utf-8") as f:
        for line in f:
            fields = line.split()
            if line.startswith("#") or not fields:
                sys.stdout.write(line)
            elif len(fields) == 3 and fields[1].lower() in keep:
                found.add(fields[1].lower())
                sys.stdout.write(line)
    if found != keep:
        sys.exit(f"no key log line for client random(s) {sorted(keep - found)}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Every TLS record of a capture as tshark reads it, one JSON line each, in capture order:
the packet it completes in, its TCP stream and sender port, its outer content type (what the
wire says: 23 for every protected TLS 1.3 record), version and length, and what it carried
once decrypted (`content`: 23 for application data, 22 handshake, 21 alert …).

    tls_records.py NAME.pcap NAME.keys PORT > NAME.tls-records.jsonl

PORT is the server's TCP port, decoded as TLS (`-d tcp.port==PORT,tls`). The key log lets
tshark decrypt, so that it follows the connection past the handshake as wsinspect does; the
lines say only what the wire carried. The tests number each sender's records from 0 in the
order of these lines (tshark lists a record at the packet that completes it).
"""

import json
import subprocess
import sys


def layers_of(packet, name):
    """A layer that may appear once (a dict) or several times (a list)."""
    found = packet["_source"]["layers"].get(name)
    if found is None:
        return []
    return found if isinstance(found, list) else [found]


def main():
    pcap, keys, port = sys.argv[1:4]
    out = subprocess.run(
        [
            "tshark", "-r", pcap, "-o", f"tls.keylog_file:{keys}",
            "-d", f"tcp.port=={port},tls", "-T", "json", "--no-duplicate-keys",
            "-Y", "tls.record",
        ],
        check=True, capture_output=True, text=True,
    ).stdout
    for packet in json.loads(out):
        number = int(layers_of(packet, "frame")[0]["frame.number"])
        tcp = layers_of(packet, "tcp")[0]
        for tls in layers_of(packet, "tls"):
            if not isinstance(tls, dict):
                continue
            records = tls.get("tls.record", [])
            if isinstance(records, dict):
                records = [records]
            for r in records:
                inner = r.get("tls.record.content_type")
                outer = r.get("tls.record.opaque_type", inner)
                print(json.dumps({
                    "packet": number,
                    "tcp_stream": int(tcp["tcp.stream"]),
                    "src_port": int(tcp["tcp.srcport"]),
                    "type": int(outer),
                    "version": r["tls.record.version"],
                    "length": int(r["tls.record.length"]),
                    "content": int(inner) if inner is not None else None,
                }))


if __name__ == "__main__":
    main()

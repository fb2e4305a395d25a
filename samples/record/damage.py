#!/usr/bin/env python3
"""Make the damaged samples from an intact capture (segments.pcap) and describe the damage.

  damage.py lost-segment BASE.pcap BASE.tshark.jsonl OUT.pcap OUT.info.json
      Deletes (editcap) one TCP segment from the middle of the largest server->client message,
      as if tcpdump had dropped it: the hole is never retransmitted in the file.
  damage.py truncate BASE.pcap BASE.tshark.jsonl OUT.pcap OUT.info.json
      Cuts the file in the middle of the record of the packet that completes the last data
      message from the server, as a capture file cut short (disk full, killed tcpdump) looks.

The info file says which packet, how many bytes of which direction are missing, and which logged
messages are affected (their index among the messages of that direction in NAME.log.jsonl).
"""
import json
import struct
import subprocess
import sys

SERVER_PORT = 8765


def packets(pcap):
    """[(frame number, src port, tcp seq (relative), tcp payload length)] of TCP packets."""
    out = subprocess.run(["tshark", "-r", pcap, "-Y", "tcp", "-T", "fields", "-E", "separator=,",
                          "-e", "frame.number", "-e", "tcp.srcport", "-e", "tcp.seq", "-e", "tcp.len"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    return [tuple(int(x) for x in line.split(",")) for line in out.splitlines()]


def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def direction(frame):
    return "server->client" if frame["src_port"] == SERVER_PORT else "client->server"


def message_index(frames, target):
    """Index of the message completed by `target` among the messages of its direction."""
    same = [f for f in frames if direction(f) == direction(target) and (f["opcode"] >= 8 or f["fin"])]
    return same.index(target)


def lost_segment(base, ref, out, info_path):
    frames = load(ref)
    # the largest message the server sent, and the data packets that carried it
    target = max((f for f in frames if f["src_port"] == SERVER_PORT), key=lambda f: f["payload_length"])
    header = 2 + (2 if target["payload_length_field"] == 126 else 8 if target["payload_length_field"] == 127 else 0)
    carried, total = [], 0
    for num, sport, seq, length in reversed(packets(base)):
        if num > target["frame"] or sport != SERVER_PORT or length == 0:
            continue
        carried.insert(0, (num, seq, length))
        total += length
        if total >= target["payload_length"] + header:
            break
    assert total == target["payload_length"] + header, "the message shares a segment with other data"
    num, seq, length = carried[len(carried) // 2]
    offset = sum(n for _, _, n in carried[:len(carried) // 2]) - header
    subprocess.run(["editcap", base, out, str(num)], check=True, timeout=60)
    info = {
        "base": "segments.pcap",
        "deleted_packet": num,
        "tool": f"editcap segments.pcap lost-segment.pcap {num}",
        "direction": "server->client",
        "tcp_seq_relative": seq,
        "missing_bytes": length,
        "message": {
            "conn": 0, "peer": "server", "event": "sent",
            "index_in_direction": message_index(frames, target),
            "opcode": target["opcode"], "payload_length": target["payload_length"],
            "segments": len(carried), "deleted_segment": len(carried) // 2 + 1,
            "missing_payload_range": [offset, offset + length],
        },
        "expect": "every other message intact; this one (and the copy the client received) has a "
                  "gap of missing_bytes bytes; later packets of the connection follow the hole",
    }
    with open(info_path, "w") as f:
        json.dump(info, f, indent=2)
        f.write("\n")


def record_offsets(pcap):
    """Byte offset, captured length and original length of each record of a classic pcap file."""
    with open(pcap, "rb") as f:
        data = f.read()
    endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    pos, records = 24, []
    while pos + 16 <= len(data):
        _, _, incl, orig = struct.unpack(endian + "IIII", data[pos:pos + 16])
        records.append((pos, incl, orig))
        pos += 16 + incl
    return records, len(data)


def truncate(base, ref, out, info_path):
    frames = load(ref)
    last = [f for f in frames if f["src_port"] == SERVER_PORT and f["opcode"] in (0, 1, 2) and f["fin"]][-1]
    records, size = record_offsets(base)
    pos, incl, _ = records[last["frame"] - 1]
    keep_in_record = incl // 2
    cut = pos + 16 + keep_in_record
    with open(base, "rb") as f:
        data = f.read(cut)
    with open(out, "wb") as f:
        f.write(data)
    lost = [{"frame": f["frame"], "direction": direction(f), "opcode": f["opcode"],
             "payload_length": f["payload_length"], "index_in_direction": message_index(frames, f)}
            for f in frames if f["frame"] >= last["frame"] and (f["opcode"] >= 8 or f["fin"])]
    info = {
        "base": "segments.pcap",
        "original_size": size,
        "size": cut,
        "tool": f"head -c {cut} segments.pcap > truncated.pcap",
        "complete_records": last["frame"] - 1,
        "cut_in_record": last["frame"],
        "record_bytes_kept": f"{keep_in_record} of {incl} captured bytes (after its 16-byte header)",
        "record_bytes_kept_n": 16 + keep_in_record,
        "lost_messages": lost,
        "expect": "the last record is incomplete: a reader reports a truncated file after "
                  f"{last['frame'] - 1} packets; the messages in lost_messages are not (completely) seen",
    }
    with open(info_path, "w") as f:
        json.dump(info, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    {"lost-segment": lost_segment, "truncate": truncate}[sys.argv[1]](*sys.argv[2:6])

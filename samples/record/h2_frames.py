#!/usr/bin/env python3
"""tshark's view of every HTTP/2 frame in a capture, one JSON object per line.

usage: h2_frames.py CAPTURE [tshark options ...] > NAME.tshark-h2.jsonl
  e.g. h2_frames.py samples/h2c-websocket.pcap -d tcp.port==8081,http2          (cleartext, prior knowledge)
       h2_frames.py samples/h2-websocket.pcap -o tls.keylog_file:samples/h2-websocket.keys

tshark 4.0 does not dissect the WebSocket frames carried in an RFC 8441 stream (it marks the
DATA frames of an extended CONNECT "tunneled data" and stops there), so the h2 samples get this
reference of tshark's HTTP/2 layer instead of tshark_frames.py's WebSocket one.

Each line has: frame (packet number), time_epoch, tcp_stream, src_ip, src_port, dst_ip, dst_port,
index_in_packet (0-based, among the HTTP/2 frames tshark shows in that packet), then
  - for the client's connection preface: "preface": true (no other HTTP/2 field);
  - for a frame: stream_id, type (number), type_name, flags (number), length (the 24-bit length
    field), end_stream (DATA, HEADERS), and by type:
      HEADERS / CONTINUATION / PUSH_PROMISE: headers, the decoded header list as [name, value]
          pairs in order (tshark's HPACK decoding; values as UTF-8 text);
      DATA: data_hex (the payload without padding), pad_length when padded;
      SETTINGS: ack, settings as [id, value] pairs in order;
      WINDOW_UPDATE: window_size_increment; RST_STREAM: error_code;
      PING: ack, opaque_hex; GOAWAY: last_stream_id, error_code, debug_hex;
      PRIORITY: stream_dependency, weight, exclusive.
A frame that spans several TCP segments is reported at the packet that completes it, as tshark
shows it. TCP reassembly out of order is turned on, as in tshark_frames.py.
"""
import json
import subprocess
import sys

BASE_OPTS = ["-o", "tcp.desegment_tcp_streams:TRUE", "-o", "tcp.reassemble_out_of_order:TRUE"]

TYPE_NAMES = {0: "DATA", 1: "HEADERS", 2: "PRIORITY", 3: "RST_STREAM", 4: "SETTINGS", 5: "PUSH_PROMISE",
              6: "PING", 7: "GOAWAY", 8: "WINDOW_UPDATE", 9: "CONTINUATION", 10: "ALTSVC", 12: "ORIGIN",
              16: "PRIORITY_UPDATE"}


def get(pairs, key, default=None):
    for k, v in pairs:
        if k == key:
            return v
    return default


def get_all(pairs, key):
    return [v for k, v in pairs if k == key]


def is_tree(v):
    return isinstance(v, list) and v and isinstance(v[0], tuple)


def raw(v):
    """The hex of a field from its "_raw" entry ([hex, offset, length, bitmask, type])."""
    return v[0] if isinstance(v, list) and v and isinstance(v[0], str) else None


def text(hexstr):
    return bytes.fromhex(hexstr).decode("utf-8", errors="replace") if hexstr is not None else None


def frame_record(node):
    """The fields of one http2.stream node (one HTTP/2 frame, or the preface)."""
    if get(node, "http2.magic") is not None:
        return {"preface": True}
    ftype = int(get(node, "http2.type"))
    flags = int(get(node, "http2.flags"), 16)
    rec = {"stream_id": int(get(node, "http2.streamid")), "type": ftype,
           "type_name": TYPE_NAMES.get(ftype, f"UNKNOWN_{ftype}"), "flags": flags,
           "length": int(get(node, "http2.length"))}
    if ftype in (0, 1):
        rec["end_stream"] = bool(flags & 0x1)
    if ftype in (1, 9, 5):
        rec["end_headers"] = bool(flags & 0x4)
        headers = []
        for h in get_all(node, "http2.header") + get_all(node, "http2.push_promise.header") \
                + get_all(node, "http2.continuation.header"):
            if is_tree(h):
                headers.append([text(raw(get(h, "http2.header.name_raw"))) or get(h, "http2.header.name"),
                                text(raw(get(h, "http2.header.value_raw"))) if get(h, "http2.header.value_raw")
                                else get(h, "http2.header.value", "")])
        rec["headers"] = headers
    if ftype == 0:
        rec["data_hex"] = raw(get(node, "http2.data.data_raw")) or ""
        if flags & 0x8:
            rec["pad_length"] = int(get(node, "http2.pad_length", 0))
    elif ftype == 4:
        rec["ack"] = bool(flags & 0x1)
        settings = []
        for s in get_all(node, "http2.settings"):
            if is_tree(s):
                sid = int(get(s, "http2.settings.id"))
                value = [v for k, v in s if k not in ("http2.settings.id",) and not k.endswith("_raw")]
                settings.append([sid, int(value[0]) if value else None])
        rec["settings"] = settings
    elif ftype == 8:
        rec["window_size_increment"] = int(get(node, "http2.window_update.window_size_increment"))
    elif ftype == 3:
        rec["error_code"] = int(get(node, "http2.rst_stream.error"))
    elif ftype == 6:
        rec["ack"] = bool(flags & 0x1)
        rec["opaque_hex"] = raw(get(node, "http2.ping_raw")) or raw(get(node, "http2.pong_raw"))
    elif ftype == 7:
        rec["last_stream_id"] = int(get(node, "http2.goaway.last_stream_id"))
        rec["error_code"] = int(get(node, "http2.goaway.error"))
        rec["debug_hex"] = raw(get(node, "http2.goaway.addata_raw")) or ""
    elif ftype == 2 or (ftype == 1 and flags & 0x20):
        if get(node, "http2.stream_dependency") is not None:
            rec["stream_dependency"] = int(get(node, "http2.stream_dependency"))
            rec["weight"] = int(get(node, "http2.headers.weight"))
            rec["exclusive"] = get(node, "http2.exclusive") in ("1", "True", "true")
    return rec


def frames_from_json(blob):
    out = []
    for pkt in json.loads(blob, object_pairs_hook=lambda p: p):
        layers = get(get(pkt, "_source"), "layers")
        info = {}
        index = 0
        for name, val in layers:
            if name == "frame":
                info["frame"] = int(get(val, "frame.number"))
                info["time_epoch"] = get(val, "frame.time_epoch")
            elif name in ("ip", "ipv6"):
                info["src_ip"] = get(val, f"{name}.src")
                info["dst_ip"] = get(val, f"{name}.dst")
            elif name == "tcp":
                info["tcp_stream"] = int(get(val, "tcp.stream"))
                info["src_port"] = int(get(val, "tcp.srcport"))
                info["dst_port"] = int(get(val, "tcp.dstport"))
            elif name == "http2" and is_tree(val):
                for node in get_all(val, "http2.stream"):
                    if is_tree(node):
                        out.append({**info, "index_in_packet": index, **frame_record(node)})
                        index += 1
    return out


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd = ["tshark", "-r", sys.argv[1], *BASE_OPTS, *sys.argv[2:], "-Y", "http2", "-T", "json", "-x"]
    res = subprocess.run(cmd, capture_output=True, timeout=300)
    if res.returncode != 0:
        sys.exit(res.stderr.decode(errors="replace").strip() or f"tshark failed: {' '.join(cmd)}")
    for rec in frames_from_json(res.stdout):
        print(json.dumps(rec, ensure_ascii=False))


if __name__ == "__main__":
    main()

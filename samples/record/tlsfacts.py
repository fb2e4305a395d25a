#!/usr/bin/env python3
"""What the TLS handshakes of a wss capture say, per TCP connection, as tshark dissects them.

usage: tlsfacts.py CAPTURE [--keys NAME.keys] [tshark options ...]   (prints JSON lines)
  e.g. tlsfacts.py samples/wss-python.pcap --keys samples/wss-python.keys -d tcp.port==8443,tls

One line per TCP connection, in the order of the capture: client_port, server_port,
client_random, sni, alpn_offered (ClientHello), version (ServerHello's supported_versions, else
its legacy version), suite (IANA name), alpn (ServerHello for TLS 1.2, EncryptedExtensions for
TLS 1.3, so only when tshark decrypted the handshake), resumed (how: "psk" when the ServerHello
accepts a pre_shared_key, "ticket" / "session id" when a TLS 1.2 ServerHello echoes the
ClientHello's session id, which it does only on resumption, with or without a ticket offered),
etm (ServerHello has extension 0x0016; TLS 1.2 CBC only), certificate (the server sent one),
tickets (NewSessionTicket messages seen), records_c2s / records_s2c (TLS records, counted after
TCP reassembly), websocket_frames (frames tshark dissected, i.e. decrypted), and with --keys
key_lines: the key log's labels for this connection's client random.
record-wss.sh prints these to check each sample; README's wss table was written from them.
"""
import json
import subprocess
import sys

SUITES = {
    0x1301: "TLS_AES_128_GCM_SHA256", 0x1302: "TLS_AES_256_GCM_SHA384",
    0x1303: "TLS_CHACHA20_POLY1305_SHA256",
    0xc02b: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0xc02c: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    0xc02f: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xc030: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    0xcca8: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    0xcca9: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    0xc013: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 0xc014: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    0xc027: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", 0xc028: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
}
VERSIONS = {0x0304: "TLSv1.3", 0x0303: "TLSv1.2", 0x0302: "TLSv1.1", 0x0301: "TLSv1.0"}


def pairs(blob):
    return json.loads(blob, object_pairs_hook=lambda p: p)


def items(node, key):
    """Every value stored under `key` anywhere below `node` (a pair list)."""
    if not isinstance(node, list):
        return
    for k, v in node:
        if k == key:
            yield v
        if isinstance(v, list) and v and isinstance(v[0], tuple):
            yield from items(v, key)


def first(node, key, default=None):
    return next(items(node, key), default)


def extensions(hs):
    """[(type, length)] of a handshake message's extensions."""
    out = []
    for k, v in hs:
        if k.startswith("Extension: ") and isinstance(v, list):
            out.append((int(first(v, "tls.handshake.extension.type")), int(first(v, "tls.handshake.extension.len", 0))))
    return out


def main():
    args = sys.argv[1:]
    keys = None
    if "--keys" in args:
        i = args.index("--keys")
        keys = args[i + 1]
        del args[i:i + 2]
    capture, topts = args[0], args[1:]
    if keys:
        topts = ["-o", f"tls.keylog_file:{keys}", *topts]
    res = subprocess.run(["tshark", "-r", capture, "-o", "tcp.desegment_tcp_streams:TRUE", *topts,
                          "-Y", "tcp", "-T", "json"], capture_output=True, timeout=300)
    if res.returncode != 0:
        sys.exit(res.stderr.decode(errors="replace"))
    conns = {}
    for pkt in pairs(res.stdout):
        layers = first(pkt, "layers")
        tcp = first(layers, "tcp")
        stream = int(first(tcp, "tcp.stream"))
        sport, dport = int(first(tcp, "tcp.srcport")), int(first(tcp, "tcp.dstport"))
        flags = int(first(tcp, "tcp.flags"), 16)
        c = conns.setdefault(stream, {"client_port": None, "server_port": None, "records_c2s": 0,
                                      "records_s2c": 0, "websocket_frames": 0, "tickets": 0,
                                      "certificate": False, "resumed": None, "etm": None,
                                      "_ports": (sport, dport)})
        if flags & 0x12 == 0x02:  # SYN without ACK
            c["client_port"], c["server_port"] = sport, dport
        to_server = c["client_port"] == sport if c["client_port"] else None
        for k, v in layers:
            if k == "websocket":
                c["websocket_frames"] += 1
            if k != "tls":
                continue
            for rec in items(v, "tls.record"):
                if to_server is not None:
                    c["records_c2s" if to_server else "records_s2c"] += 1
                for hs in items(rec, "tls.handshake"):
                    htype = first(hs, "tls.handshake.type")
                    if htype is None:
                        continue
                    htype = int(htype)
                    ext = extensions(hs)
                    if htype == 1:    # ClientHello
                        if c["client_port"] is None:
                            c["client_port"], c["server_port"] = sport, dport
                        c["client_random"] = first(hs, "tls.handshake.random", "").replace(":", "")
                        c["sni"] = first(hs, "tls.handshake.extensions_server_name")
                        c["alpn_offered"] = list(items(hs, "tls.handshake.extensions_alpn_str"))
                        c["_ch_session_id"] = first(hs, "tls.handshake.session_id", "")
                        c["_ch_ticket"] = any(t == 35 and n > 0 for t, n in ext)
                        c["_ch_psk"] = any(t == 41 for t, _ in ext)
                    elif htype == 2:  # ServerHello
                        sv = first(hs, "tls.handshake.extensions.supported_version")
                        legacy = first(hs, "tls.handshake.version")
                        c["version"] = VERSIONS.get(int(sv or legacy, 16), sv or legacy)
                        suite = int(first(hs, "tls.handshake.ciphersuite"), 16)
                        c["suite"] = SUITES.get(suite, f"0x{suite:04x}")
                        alpn = first(hs, "tls.handshake.extensions_alpn_str")
                        if alpn:
                            c["alpn"] = alpn
                        sid = first(hs, "tls.handshake.session_id", "")
                        if c["version"] == "TLSv1.3":
                            c["resumed"] = "psk" if any(t == 41 for t, _ in ext) else False
                        else:
                            c["etm"] = any(t == 22 for t, _ in ext)
                            if sid and sid == c.get("_ch_session_id"):
                                c["resumed"] = "ticket" if c.get("_ch_ticket") else "session id"
                            else:
                                c["resumed"] = False
                    elif htype == 8:  # EncryptedExtensions (TLS 1.3, decrypted)
                        alpn = first(hs, "tls.handshake.extensions_alpn_str")
                        if alpn:
                            c["alpn"] = alpn
                    elif htype == 11:
                        c["certificate"] = True
                    elif htype == 4:
                        c["tickets"] += 1
    key_lines = {}
    if keys:
        with open(keys, encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if len(parts) == 3 and not line.startswith("#"):
                    key_lines.setdefault(parts[1].lower(), []).append(parts[0])
    for stream in sorted(conns):
        c = {k: v for k, v in conns[stream].items() if not k.startswith("_")}
        order = ["client_port", "server_port", "client_random", "sni", "alpn_offered", "version", "suite",
                 "alpn", "resumed", "etm", "certificate", "tickets", "records_c2s", "records_s2c",
                 "websocket_frames"]
        c = {k: c[k] for k in order if k in c}
        if keys:
            c["key_lines"] = key_lines.get(c.get("client_random", ""), [])
        if c.get("version") != "TLSv1.2" or "CBC" not in c.get("suite", ""):
            c.pop("etm")
        print(json.dumps({"tcp_stream": stream, **c}))


if __name__ == "__main__":
    main()

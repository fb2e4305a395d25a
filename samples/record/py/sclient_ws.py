#!/usr/bin/env python3
"""A WebSocket client whose TLS is OpenSSL's command-line client, `openssl s_client`, for the wss
samples that need what only s_client's interactive commands do mid-connection: `k` / `K` (a TLS 1.3
KeyUpdate; `K` also asks the peer to update its keys) and `R` (a TLS 1.2 renegotiation).

The WebSocket side is the Sans-I/O `websockets.client.ClientProtocol`: it writes the handshake
request and the masked frames, and parses what comes back; this script only moves its bytes
through s_client's stdin and stdout. wslog.py logs every frame the protocol sends and receives, as
for the other Python peers (the client port is looked up in /proc, s_client's socket).

How s_client is driven (OpenSSL 3.0 apps/s_client.c): it reads stdin with one read() of at most
16 KB and sends what it read as one TLS record of application data, unless the chunk starts with
a command letter (Q, R, K, k; then the whole chunk is the command). `-brief` keeps the interactive
commands on (unlike `-quiet`, which also sets `-ign_eof`) and sends the connection summary to
stderr, so stdout carries only the decrypted application data. A read() may return a larger write
cut at a page boundary (seen: 8192 of 12006 bytes), so every write here goes into an empty pipe
(FIONREAD on it is 0), is at most PIPE_BUF (4096) bytes, so that it is read whole, and does not
start with a command letter; longer data is cut into such pieces, each its own TLS record. A
command goes alone ("k\\n"), and the script waits until s_client has read it and said so on
stderr (KEYUPDATE / RENEGOTIATING). s_client sends a KeyUpdate at once (it follows the command
with a zero-length SSL_write), and only reads stdin again after a renegotiation is complete;
the script also waits for the new handshake's Finished in s_client's -msg output before going on.
The key log is s_client's own (-keylogfile).

usage: sclient_ws.py SCENARIO --uri wss://wss.test:8443/ --connect 127.0.0.1 --ca CERT.pem
                     --keylog KEYS --log raw.jsonl [--msgfile FILE] [--info info.jsonl]
scenarios: keyupdate (TLS 1.3: k, K, k between messages), renegotiation (TLS 1.2: R once)
"""
import argparse
import fcntl
import json
import os
import queue
import random
import re
import select
import subprocess
import sys
import termios
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wslog  # noqa: E402

from websockets.client import ClientProtocol  # noqa: E402
from websockets.frames import Opcode  # noqa: E402
from websockets.http11 import Response  # noqa: E402
from websockets.uri import parse_uri  # noqa: E402

COMMAND_LETTERS = b"QRKk"
CHUNK = select.PIPE_BUF   # 4096 on Linux: a write this size into an empty pipe is read whole
GREETING = "Hi, my name is "


class SClient:
    """openssl s_client as a child process: stdin for data and commands, stdout for the data
    received, stderr for its brief messages."""

    def __init__(self, args, version):
        uri = parse_uri(args.uri)
        self.msgfile = args.msgfile or (args.log + ".msg")
        cmd = ["openssl", "s_client", "-brief", f"-{version}",
               "-connect", f"{args.connect}:{uri.port}", "-servername", uri.host,
               "-verify_hostname", uri.host, "-CAfile", args.ca, "-verify_return_error",
               "-alpn", "http/1.1", "-keylogfile", args.keylog, "-msg", "-msgfile", self.msgfile]
        print("sclient_ws: " + " ".join(cmd), file=sys.stderr, flush=True)
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, bufsize=0)
        self.stdin = self.proc.stdin.fileno()
        self.data = queue.Queue()
        self.err_lines = []
        self.err_cond = threading.Condition()
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read_stdout(self):
        while True:
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            self.data.put(chunk)
            if not chunk:
                return

    def _read_stderr(self):
        for line in self.proc.stderr:
            text = line.decode(errors="replace").rstrip("\n")
            print(f"s_client: {text}", file=sys.stderr, flush=True)
            with self.err_cond:
                self.err_lines.append(text)
                self.err_cond.notify_all()

    def wait_stderr(self, text, count=1, timeout=10, prefix=False):
        """Wait until `text` has been a line of stderr (or, with prefix, begun one) `count` times."""
        def seen():
            return sum(line.startswith(text) if prefix else line == text for line in self.err_lines)
        with self.err_cond:
            ok = self.err_cond.wait_for(lambda: seen() >= count, timeout)
        if not ok:
            raise RuntimeError(f"s_client did not say {text!r} ({count}x) within {timeout}s")

    def pending_stdin(self):
        return int.from_bytes(fcntl.ioctl(self.stdin, termios.FIONREAD, b"\0\0\0\0"), "little")

    def drained(self, timeout=10):
        """Wait until s_client has read everything written to its stdin."""
        end = time.monotonic() + timeout
        while self.pending_stdin():
            if time.monotonic() > end:
                raise RuntimeError("s_client does not read its stdin")
            time.sleep(0.005)

    def write_chunk(self, data):
        assert 0 < len(data) <= CHUNK and data[0] not in COMMAND_LETTERS, data[:8]
        self.drained()
        n = os.write(self.stdin, data)
        assert n == len(data)
        self.drained()

    def write(self, data):
        """Application data, cut so that no read() of s_client starts with a command letter."""
        while data:
            n = min(CHUNK, len(data))
            while n < len(data) and data[n] in COMMAND_LETTERS:
                n -= 1
            self.write_chunk(data[:n])
            data = data[n:]

    def command(self, letter, said):
        before = self.err_lines.count(said)
        self.drained()
        os.write(self.stdin, letter.encode() + b"\n")
        self.drained()
        self.wait_stderr(said, before + 1)

    def msg_lines(self):
        with open(self.msgfile, encoding="utf-8", errors="replace") as f:
            return [line for line in f if not line.startswith(" ")]

    def wait_msg(self, pattern, count, timeout=10):
        """Wait until s_client's -msg output has `count` lines matching `pattern`."""
        end = time.monotonic() + timeout
        while sum(bool(re.search(pattern, line)) for line in self.msg_lines()) < count:
            if time.monotonic() > end:
                raise RuntimeError(f"s_client -msg: no {count}x {pattern!r} within {timeout}s")
            time.sleep(0.01)

    def client_port(self, server_port):
        """The local port of s_client's TCP connection to server_port (from /proc)."""
        inodes = set()
        fd_dir = f"/proc/{self.proc.pid}/fd"
        for fd in os.listdir(fd_dir):
            try:
                link = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            m = re.fullmatch(r"socket:\[(\d+)\]", link)
            if m:
                inodes.add(m.group(1))
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with open(table) as f:
                next(f)
                for line in f:
                    cols = line.split()
                    local, remote, inode = cols[1], cols[2], cols[9]
                    if inode in inodes and int(remote.split(":")[1], 16) == server_port:
                        return int(local.split(":")[1], 16)
        raise RuntimeError("s_client's connection not found in /proc")


class Client:
    """The WebSocket client: ClientProtocol's bytes through SClient."""

    def __init__(self, args, version, path):
        self.args = args
        self.uri = parse_uri(args.uri.rstrip("/") + path)
        self.tls = SClient(args, version)
        self.proto = ClientProtocol(self.uri)
        self.frames = []          # frames received (data and control)
        self.eof = False

    def start(self):
        self.tls.wait_stderr("CONNECTION ESTABLISHED")
        self.tls.wait_stderr("Server Temp Key: ", prefix=True)   # the summary's last line
        port = self.tls.client_port(self.uri.port)
        self.proto._wslog_client_port = port
        facts = {"label": "s_client", "client_port": port}
        with self.tls.err_cond:
            for line in self.tls.err_lines:
                if ": " in line:
                    k, v = line.split(": ", 1)
                    facts[k.lower().replace(" ", "_")] = v
        print("tls: " + json.dumps(facts), file=sys.stderr, flush=True)
        if self.args.info:
            with open(self.args.info, "a", encoding="utf-8") as f:
                f.write(json.dumps(facts) + "\n")
        self.proto.send_request(self.proto.connect())
        self.flush()
        self.receive_until(lambda: self.proto.handshake_exc is not None or self.response is not None)
        if self.proto.handshake_exc is not None:
            raise self.proto.handshake_exc
        assert self.response.status_code == 101, self.response

    response = None

    def flush(self):
        data = b"".join(self.proto.data_to_send())
        if data:
            self.tls.write(data)
        # an empty write (the protocol's end of stream) is left to s_client: it ends when the
        # server closes the connection

    def receive_until(self, cond, timeout=10):
        end = time.monotonic() + timeout
        while not cond():
            left = end - time.monotonic()
            if left <= 0:
                raise RuntimeError("timeout waiting for the server")
            try:
                chunk = self.tls.data.get(timeout=left)
            except queue.Empty:
                continue
            if chunk:
                self.proto.receive_data(chunk)
            else:
                self.eof = True
                self.proto.receive_eof()
            for ev in self.proto.events_received():
                if isinstance(ev, Response):
                    self.response = ev
                else:
                    self.frames.append(ev)
            self.flush()
            if self.eof and not cond():
                raise RuntimeError("s_client ended early")

    def exchange(self, kind, data):
        """Send a message, wait for the server's answer (the echo, a pong)."""
        n = len(self.frames)
        {"text": self.proto.send_text, "binary": self.proto.send_binary,
         "ping": self.proto.send_ping}[kind](data)
        self.flush()
        self.receive_until(lambda: len(self.frames) > n)

    def close(self, code, reason):
        self.proto.send_close(code, reason)
        self.flush()
        self.receive_until(lambda: any(f.opcode is Opcode.CLOSE for f in self.frames))
        # the server closes the TCP connection after the close handshake; s_client then ends
        self.receive_until(lambda: self.eof, timeout=15)
        try:
            rc = self.tls.proc.wait(10)
        finally:
            self.tls.proc.stdin.close()
        print(f"sclient_ws: s_client exited with {rc}", file=sys.stderr, flush=True)


def keyupdate(args):
    """wss-keyupdate: TLS 1.3. Messages before any update; `k` (the client updates its sending
    keys); more messages; `K` (the client updates again and asks the server to update: the server's
    next record is its own KeyUpdate); more messages both ways; `k` once more; close."""
    rng = random.Random(71)
    c = Client(args, "tls1_3", "/keyupdate")
    c.start()
    c.exchange("text", (GREETING + "KeyUpdate").encode())
    c.exchange("text", b"before any key update")
    c.exchange("binary", rng.randbytes(300))
    c.tls.command("k", "KEYUPDATE")
    c.tls.wait_msg(r"^>>> .*KeyUpdate", 1)
    c.exchange("text", b"after the client's first key update (k)")
    c.exchange("ping", b"ping after k")
    c.tls.command("K", "KEYUPDATE")
    c.tls.wait_msg(r"^>>> .*KeyUpdate", 2)
    c.exchange("text", b"after K: the client updated again and the server answers with its own update")
    c.tls.wait_msg(r"^<<< .*KeyUpdate", 1)
    c.exchange("binary", rng.randbytes(12000))
    c.exchange("text", json.dumps({"type": "status", "client_updates": 2, "server_updates": 1}).encode())
    c.tls.command("k", "KEYUPDATE")
    c.tls.wait_msg(r"^>>> .*KeyUpdate", 3)
    c.exchange("text", b"third client key update, last text")
    c.close(1000, "keyupdate done")


def renegotiation(args):
    """wss-renegotiation: TLS 1.2. Messages; `R` (s_client renegotiates: a full second handshake
    inside the encrypted connection, new client random and master secret); more messages; close."""
    rng = random.Random(72)
    c = Client(args, "tls1_2", "/renegotiation")
    c.start()
    c.exchange("text", (GREETING + "Renegotiation").encode())
    c.exchange("text", b"before the renegotiation")
    c.exchange("binary", rng.randbytes(200))
    c.exchange("ping", b"ping before R")
    c.tls.command("R", "RENEGOTIATING")
    c.tls.wait_msg(r"^<<< .*Handshake.*Finished", 2)
    c.exchange("text", b"after the renegotiation: new keys both ways")
    c.exchange("binary", rng.randbytes(5000))
    c.exchange("ping", b"ping after R")
    c.exchange("text", json.dumps({"type": "status", "handshakes": 2}).encode())
    c.close(1000, "renegotiation done")


SCENARIOS = {"keyupdate": keyupdate, "renegotiation": renegotiation}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", choices=SCENARIOS)
    ap.add_argument("--uri", required=True)
    ap.add_argument("--connect", default="127.0.0.1")
    ap.add_argument("--ca", required=True)
    ap.add_argument("--keylog", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--msgfile")
    ap.add_argument("--info")
    args = ap.parse_args()
    wslog.enable(args.log)
    SCENARIOS[args.scenario](args)


if __name__ == "__main__":
    main()

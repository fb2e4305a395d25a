"""Exact log of every WebSocket message a Python `websockets` peer sends or receives.

Importing this module and calling `enable(path)` hooks the Sans-I/O core of `websockets`
(websockets.protocol.Protocol), the one place every frame passes through:

  - Protocol.send_frame(frame) sees each outgoing frame *before* permessage-deflate, i.e. the
    application bytes; this includes the pong answering a ping and the close echoing a close,
    which the library sends by itself.
  - Protocol.recv_frame(frame) sees each incoming frame *after* inflating.

Fragments are joined into one message, logged when its last fragment goes out / comes in, with
the pieces in "fragments". Control frames are logged as they pass, so a ping sent between two
fragments comes before the fragmented message in the log.

Each line written is a "raw" event: {"t", "client_port", "peer", "event", "opcode", "hex", ...}.
record/finalize_log.py turns raw events into the sample's NAME.log.jsonl (it gives each
connection its index by looking the client port up in the capture).
"""
import json
import threading
import time

from websockets.asyncio.connection import Connection
from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.frames import Opcode
from websockets.protocol import Protocol, Side

_lock = threading.Lock()
_out = None
_phase = None

DATA = (Opcode.TEXT, Opcode.BINARY)


def set_phase(name):
    """Tag the following events (e.g. "before_capture"); None to stop tagging."""
    global _phase
    _phase = name


def _emit(proto, event, opcode, data, fragments=None, compressed=None):
    rec = {
        "t": time.time(),
        "client_port": getattr(proto, "_wslog_client_port", None),
        "peer": "client" if proto.side is Side.CLIENT else "server",
        "event": event,
        "opcode": int(opcode),
        "hex": bytes(data).hex(),
    }
    if fragments is not None and len(fragments) > 1:
        rec["fragments"] = [bytes(f).hex() for f in fragments]
    if compressed:
        rec["compressed"] = True
    if _phase:
        rec["phase"] = _phase
    with _lock:
        _out.write(json.dumps(rec) + "\n")
        _out.flush()


def _track(proto, direction, frame, compressed):
    """Join fragments per connection and direction; emit complete messages and control frames."""
    state = proto.__dict__.setdefault("_wslog_partial", {})
    event = "sent" if direction == "out" else "received"
    if frame.opcode in DATA:
        if frame.fin:
            _emit(proto, event, frame.opcode, frame.data, compressed=compressed)
        else:
            state[direction] = (frame.opcode, [frame.data], compressed)
    elif frame.opcode is Opcode.CONT:
        opcode, parts, first_compressed = state[direction]
        parts.append(frame.data)
        if frame.fin:
            del state[direction]
            _emit(proto, event, opcode, b"".join(parts), parts, first_compressed)
    else:
        _emit(proto, event, frame.opcode, frame.data)


_orig_send_frame = Protocol.send_frame
_orig_recv_frame = Protocol.recv_frame
_orig_decode = PerMessageDeflate.decode
_orig_connection_made = Connection.connection_made


def _send_frame(self, frame):
    _orig_send_frame(self, frame)
    # The serialized frame is the last write; its first byte carries RSV1 (compressed).
    compressed = bool(self.writes[-1][0] & 0x40) if frame.opcode in DATA else None
    _track(self, "out", frame, compressed)


def _recv_frame(self, frame):
    compressed = None
    if frame.opcode in DATA:
        compressed = any(getattr(ext, "_wslog_rsv1", False) for ext in self.extensions)
    _track(self, "in", frame, compressed)
    _orig_recv_frame(self, frame)


def _decode(self, frame, *, max_size=None):
    if frame.opcode in DATA:
        self._wslog_rsv1 = frame.rsv1
    return _orig_decode(self, frame, max_size=max_size)


def _connection_made(self, transport):
    # The client's own port identifies the TCP connection in the capture.
    if self.protocol.side is Side.CLIENT:
        port = transport.get_extra_info("sockname")[1]
    else:
        port = transport.get_extra_info("peername")[1]
    self.protocol._wslog_client_port = port
    _orig_connection_made(self, transport)


def enable(path):
    """Start logging raw events of this process to `path` (appending)."""
    global _out
    _out = open(path, "a", encoding="utf-8")
    Protocol.send_frame = _send_frame
    Protocol.recv_frame = _recv_frame
    PerMessageDeflate.decode = _decode
    Connection.connection_made = _connection_made

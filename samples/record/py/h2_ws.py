"""WebSocket over HTTP/2 (RFC 8441) for the h2* samples: hyper-h2 for HTTP/2, wsproto for WebSocket.

Both are Sans-I/O libraries; this module drives them over one asyncio TCP (or TLS) connection:

  - H2Peer: one HTTP/2 connection (h2.connection.H2Connection). A reader task feeds the socket's
    bytes to h2 and routes its events to the streams; DATA is acknowledged at once (h2 sends
    WINDOW_UPDATE as it sees fit); outgoing DATA waits for flow-control window and is cut into
    frames no larger than the peer's SETTINGS_MAX_FRAME_SIZE, or where the caller says.
  - H2WebSocket: the WebSocket connection on one extended-CONNECT stream: a wsproto
    `Connection` (post-handshake framing, permessage-deflate through wsproto's
    `PerMessageDeflate`) whose bytes are the stream's DATA payloads. Pings are answered with a
    pong and a close with a close echoing its code and reason, as websockets and ws do by
    themselves; once a peer has both sent and received a close it ends its side of the stream
    (END_STREAM, the equivalent of a TCP FIN in RFC 8441), on the DATA frame of the close reply
    itself when it is the one replying.

Every WebSocket message sent or received is logged as a "raw" event, as py/wslog.py does for the
`websockets` peers, plus "h2_stream" (the stream id): {"t", "client_port", "h2_stream", "peer",
"event", "opcode", "hex", ["fragments"], ["compressed"]}. record/h2_finalize.py turns these into
the sample's NAME.log.jsonl.
"""
import asyncio
import json
import struct
import threading
import time

import h2.config
import h2.connection
import h2.events
import h2.settings
from wsproto.connection import CLIENT, SERVER, Connection, ConnectionState
from wsproto.events import BytesMessage, CloseConnection, Message, Ping, Pong, TextMessage
from wsproto.extensions import PerMessageDeflate
from wsproto.frame_protocol import Opcode

SETTINGS_ENABLE_CONNECT_PROTOCOL = h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL

_lock = threading.Lock()
_out = None


def enable_log(path):
    """Log this process's raw events to `path` (appending)."""
    global _out
    _out = open(path, "a", encoding="utf-8")


def _emit(ws, event, opcode, data, fragments=None, compressed=None):
    if _out is None:
        return
    rec = {"t": time.time(), "client_port": ws.peer.client_port, "h2_stream": ws.stream_id,
           "peer": "client" if ws.client else "server", "event": event, "opcode": int(opcode),
           "hex": bytes(data).hex()}
    if fragments is not None and len(fragments) > 1:
        rec["fragments"] = [bytes(f).hex() for f in fragments]
    if compressed:
        rec["compressed"] = True
    with _lock:
        _out.write(json.dumps(rec) + "\n")
        _out.flush()


def close_payload(code, reason):
    """The close frame's payload as wsproto writes it: 2-byte code + UTF-8 reason, or nothing."""
    if code is None or code == 1005:
        return b""
    return struct.pack("!H", code) + (reason or "").encode("utf-8")


class LoggedDeflate(PerMessageDeflate):
    """wsproto's permessage-deflate, noting whether the message being received had RSV1."""

    rsv1_of_message = False

    def frame_inbound_header(self, proto, opcode, rsv, payload_length):
        if opcode in (Opcode.TEXT, Opcode.BINARY):
            self.rsv1_of_message = rsv.rsv1
        return super().frame_inbound_header(proto, opcode, rsv, payload_length)


def deflate_header(ext):
    """The sec-websocket-extensions offer for wsproto's PerMessageDeflate `ext`."""
    offer = ext.offer()
    return "permessage-deflate; " + offer if isinstance(offer, str) and offer else "permessage-deflate"


class H2WebSocket:
    """One WebSocket connection on one HTTP/2 stream (RFC 8441)."""

    def __init__(self, peer, stream_id, client, deflate=None):
        self.peer = peer
        self.stream_id = stream_id
        self.client = client
        self.deflate = deflate
        self.ws = Connection(CLIENT if client else SERVER, extensions=[deflate] if deflate else [])
        self.messages = asyncio.Queue()  # (opcode, bytes) of each message received
        self._partial = None             # (opcode, [pieces]) of a data message being received
        self.sent_close = False
        self.got_close = False
        self.ended = asyncio.Event()     # our END_STREAM sent and the peer's received
        self.remote_ended = False
        self.local_ended = False

    # --- sending: each encode_* logs the message and returns its wire bytes (whole frames) ---

    def _encode_data(self, payload, text):
        wire = self.ws.send(Message(data=payload))
        data = payload.encode("utf-8") if text else bytes(payload)
        _emit(self, "sent", 1 if text else 2, data,
              compressed=bool(wire[0] & 0x40) if self.deflate else None)
        return bytes(wire)

    def encode_text(self, s):
        return self._encode_data(s, True)

    def encode_binary(self, b):
        return self._encode_data(bytes(b), False)

    def encode_fragments(self, pieces, text):
        """One data message sent as several frames (a continuation frame per further piece);
        returns the list of the frames' wire bytes."""
        frames = []
        for i, piece in enumerate(pieces):
            ev = (TextMessage if text else BytesMessage)(data=piece, message_finished=i == len(pieces) - 1)
            frames.append(bytes(self.ws.send(ev)))
        raw = [p.encode("utf-8") if text else bytes(p) for p in pieces]
        _emit(self, "sent", 1 if text else 2, b"".join(raw), fragments=raw,
              compressed=bool(frames[0][0] & 0x40) if self.deflate else None)
        return frames

    def encode_ping(self, payload):
        wire = self.ws.send(Ping(payload=payload))
        _emit(self, "sent", 9, payload)
        return bytes(wire)

    def encode_pong(self, payload):
        wire = self.ws.send(Pong(payload=payload))
        _emit(self, "sent", 10, payload)
        return bytes(wire)

    def encode_close(self, code, reason=""):
        wire = self.ws.send(CloseConnection(code=code, reason=reason))
        _emit(self, "sent", 8, close_payload(code, reason))
        self.sent_close = True
        return bytes(wire)

    async def send_wire(self, wire, cuts=None, end_stream=False, flush=True):
        """Send wire bytes as DATA frames: cut at the given offsets, and anyway into frames no
        larger than the peer's maximum frame size."""
        await self.peer.send_data(self.stream_id, wire, cuts=cuts, end_stream=end_stream, flush=flush)
        if end_stream:
            self.local_ended = True
            self._check_ended()

    async def send_text(self, s, **kw):
        await self.send_wire(self.encode_text(s), **kw)

    async def send_binary(self, b, **kw):
        await self.send_wire(self.encode_binary(b), **kw)

    async def send_ping(self, payload, **kw):
        await self.send_wire(self.encode_ping(payload), **kw)

    async def close(self, code, reason="", **kw):
        """Start the closing handshake; END_STREAM follows once the peer's close is in."""
        await self.send_wire(self.encode_close(code, reason), **kw)
        if self.got_close and not self.local_ended:
            await self.end_stream()

    async def end_stream(self):
        await self.send_wire(b"", end_stream=True)

    async def recv(self, timeout=10):
        """The next message received: (opcode, bytes)."""
        return await asyncio.wait_for(self.messages.get(), timeout)

    # --- receiving (called by H2Peer's reader) ---

    async def _data(self, data):
        if data and self.ws.state not in (ConnectionState.CLOSED, ConnectionState.REJECTING):
            self.ws.receive_data(data)
        for ev in self.ws.events():
            if isinstance(ev, Message):
                piece = ev.data.encode("utf-8") if isinstance(ev, TextMessage) else bytes(ev.data)
                if self._partial is None:
                    self._partial = (1 if isinstance(ev, TextMessage) else 2, [])
                self._partial[1].append(piece)
                if ev.message_finished:
                    opcode, pieces = self._partial
                    self._partial = None
                    data = b"".join(pieces)
                    _emit(self, "received", opcode, data,
                          compressed=self.deflate.rsv1_of_message if self.deflate else None)
                    await self.messages.put((opcode, data))
            elif isinstance(ev, Ping):
                _emit(self, "received", 9, ev.payload)
                await self.messages.put((9, bytes(ev.payload)))
                await self.send_wire(self.encode_pong(ev.payload))
            elif isinstance(ev, Pong):
                _emit(self, "received", 10, ev.payload)
                await self.messages.put((10, bytes(ev.payload)))
            elif isinstance(ev, CloseConnection):
                payload = close_payload(ev.code, ev.reason)
                _emit(self, "received", 8, payload)
                self.got_close = True
                await self.messages.put((8, payload))
                if not self.sent_close:
                    # the close reply carries END_STREAM on its own DATA frame
                    await self.send_wire(self.encode_close(ev.code, ev.reason), end_stream=True)
                elif not self.local_ended:
                    await self.end_stream()

    def _remote_end(self):
        self.remote_ended = True
        self._check_ended()

    def _check_ended(self):
        if self.remote_ended and self.local_ended:
            self.ended.set()


class H2Peer:
    """One HTTP/2 connection driven over asyncio streams."""

    def __init__(self, reader, writer, client, settings=None, on_request=None):
        self.reader, self.writer, self.client = reader, writer, client
        config = h2.config.H2Configuration(client_side=client, header_encoding=None)
        self.conn = h2.connection.H2Connection(config=config)
        if settings:
            values = {h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 100,
                      h2.settings.SettingCodes.MAX_HEADER_LIST_SIZE: 65536, **settings}
            self.conn.local_settings = h2.settings.Settings(client=client, initial_values=values)
        names = (writer.get_extra_info("sockname"), writer.get_extra_info("peername"))
        self.client_port = (names[0] if client else names[1])[1]
        self.on_request = on_request        # server: async callback(peer, RequestReceived)
        self.streams = {}                   # stream id -> H2WebSocket
        self.responses = {}                 # stream id -> asyncio.Future of the response headers
        self.bodies = {}                    # stream id -> bytearray (plain HTTP responses)
        self.body_done = {}                 # stream id -> asyncio.Event
        self.window = asyncio.Event()
        self.remote_settings = asyncio.Event()
        self.closed = asyncio.Event()
        self._write_lock = asyncio.Lock()
        self.tasks = set()

    async def start(self):
        self.conn.initiate_connection()
        await self.flush()
        self.reader_task = asyncio.create_task(self._read_loop())

    async def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.writer.write(data)
            await self.writer.drain()

    async def wait_settings(self, timeout=10):
        await asyncio.wait_for(self.remote_settings.wait(), timeout)
        return self.conn.remote_settings

    async def send_data(self, stream_id, data, cuts=None, end_stream=False, flush=True):
        bounds = sorted({c for c in (cuts or []) if 0 < c < len(data)} | {len(data)})
        chunks, start = [], 0
        for end in bounds:
            while end - start > self.conn.max_outbound_frame_size:
                chunks.append(data[start:start + self.conn.max_outbound_frame_size])
                start += self.conn.max_outbound_frame_size
            chunks.append(data[start:end])
            start = end
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            for _ in range(200):
                if self.conn.local_flow_control_window(stream_id) >= len(chunk):
                    break
                await self.flush()
                self.window.clear()
                await asyncio.wait_for(self.window.wait(), 10)
            self.conn.send_data(stream_id, chunk, end_stream=end_stream and last)
        if flush:
            await self.flush()

    # --- client side ---

    def connect_ws(self, authority, path, scheme, subprotocols=(), deflate=None, extra=()):
        """Send an extended CONNECT (RFC 8441) for a WebSocket on a new stream; not flushed."""
        sid = self.conn.get_next_available_stream_id()
        headers = [(b":method", b"CONNECT"), (b":protocol", b"websocket"), (b":scheme", scheme.encode()),
                   (b":path", path.encode()), (b":authority", authority.encode()),
                   (b"sec-websocket-version", b"13")]
        if subprotocols:
            headers.append((b"sec-websocket-protocol", ", ".join(subprotocols).encode()))
        if deflate is not None:
            headers.append((b"sec-websocket-extensions", deflate_header(deflate).encode()))
        headers += [(k.encode(), v.encode()) for k, v in extra]
        self.conn.send_headers(sid, headers)
        ws = H2WebSocket(self, sid, client=True, deflate=deflate)
        self.streams[sid] = ws
        self.responses[sid] = asyncio.get_running_loop().create_future()
        return ws

    async def accepted(self, ws, timeout=10):
        """Wait for the answer to a CONNECT; returns the response headers (dict) if 200."""
        headers = dict(await asyncio.wait_for(self.responses[ws.stream_id], timeout))
        if headers.get(b":status") != b"200":
            raise RuntimeError(f"stream {ws.stream_id}: CONNECT answered {headers}")
        ext = headers.get(b"sec-websocket-extensions")
        if ws.deflate is not None:
            if ext and ext.decode().startswith("permessage-deflate"):
                ws.deflate.finalize(ext.decode())
                ws.ws = Connection(CLIENT, extensions=[ws.deflate])
            else:
                ws.deflate = None
                ws.ws = Connection(CLIENT)
        return headers

    def request(self, authority, method, path, scheme, extra=()):
        """An ordinary request without body on a new stream; not flushed."""
        sid = self.conn.get_next_available_stream_id()
        headers = [(b":method", method.encode()), (b":scheme", scheme.encode()), (b":path", path.encode()),
                   (b":authority", authority.encode())] + [(k.encode(), v.encode()) for k, v in extra]
        self.conn.send_headers(sid, headers, end_stream=True)
        self.responses[sid] = asyncio.get_running_loop().create_future()
        self.bodies[sid] = bytearray()
        self.body_done[sid] = asyncio.Event()
        return sid

    async def response(self, sid, timeout=10):
        headers = dict(await asyncio.wait_for(self.responses[sid], timeout))
        await asyncio.wait_for(self.body_done[sid].wait(), timeout)
        return headers, bytes(self.bodies[sid])

    async def goaway(self):
        self.conn.close_connection()
        await self.flush()

    async def close(self):
        self.writer.close()
        try:
            await asyncio.wait_for(self.writer.wait_closed(), 5)
        except (asyncio.TimeoutError, ConnectionError, OSError):
            pass
        await asyncio.wait_for(self.closed.wait(), 5)

    # --- events ---

    async def _read_loop(self):
        try:
            while True:
                data = await self.reader.read(65536)
                if not data:
                    break
                for ev in self.conn.receive_data(data):
                    await self._event(ev)
                await self.flush()
        except (ConnectionError, OSError) as exc:
            print(f"h2: connection ended: {exc!r}", flush=True)
        finally:
            self.closed.set()
            self.window.set()

    async def _event(self, ev):
        if isinstance(ev, h2.events.RemoteSettingsChanged):
            self.remote_settings.set()
            self.window.set()
        elif isinstance(ev, h2.events.WindowUpdated):
            self.window.set()
        elif isinstance(ev, h2.events.ResponseReceived):
            fut = self.responses.get(ev.stream_id)
            if fut and not fut.done():
                fut.set_result(ev.headers)
        elif isinstance(ev, h2.events.RequestReceived):
            if self.on_request:
                # run it apart: a handler may wait for window updates this loop delivers
                task = asyncio.create_task(self.on_request(self, ev))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
        elif isinstance(ev, h2.events.DataReceived):
            self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            if ev.stream_id in self.streams:
                await self.streams[ev.stream_id]._data(ev.data)
            elif ev.stream_id in self.bodies:
                self.bodies[ev.stream_id] += ev.data
        elif isinstance(ev, h2.events.StreamEnded):
            if ev.stream_id in self.streams:
                self.streams[ev.stream_id]._remote_end()
            elif ev.stream_id in self.body_done:
                self.body_done[ev.stream_id].set()
        elif isinstance(ev, h2.events.StreamReset):
            print(f"h2: stream {ev.stream_id} reset: {ev.error_code!r}", flush=True)
            if ev.stream_id in self.streams:
                ws = self.streams[ev.stream_id]
                ws.remote_ended = ws.local_ended = True
                ws.ended.set()
        elif isinstance(ev, h2.events.ConnectionTerminated):
            for ws in self.streams.values():
                ws.ended.set()

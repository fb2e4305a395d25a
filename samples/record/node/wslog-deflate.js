// Exact log of every WebSocket message sent or received through `ws`, with permessage-deflate on.
//
// wslog.js reads each frame as serialized (Sender.prototype.sendFrame), which with compression
// would be the deflated bytes; this logger takes the application bytes one step earlier:
//   - Sender.prototype.dispatch(data, compress, options) is called once per data frame (message
//     or fragment) with the bytes before compression, in wire order (ws queues sends while it
//     deflates, and dispatches from that queue in order); `compress` says whether the frame goes
//     out with RSV1 (for a fragmented message, whether the message is compressed).
//   - Sender.prototype.sendFrame still sees the control frames (ping, pong, close: never
//     compressed; those queued while a message is being deflated pass through dispatch first,
//     which leaves them to sendFrame); data frames are skipped there.
//   - Receiver.prototype.emit as in wslog.js ('message', 'ping', 'pong', 'conclude'), and
//     receiver._compressed (RSV1 of the message's first frame) for "compressed".
// Raw events carry the client's TCP port (read when ws attaches the socket; for TLS the
// TLSSocket's ports are the TCP connection's). Same raw format as wslog.js, plus
// "compressed": true on data messages that went over the wire with RSV1.
'use strict';
const fs = require('fs');
const path = require('path');
const { performance } = require('perf_hooks');

let out = null;

function emit(clientPort, peer, event, opcode, data, extra = {}) {
  const rec = {
    t: (performance.timeOrigin + performance.now()) / 1000,
    client_port: clientPort,
    peer,
    event,
    opcode,
    hex: Buffer.from(data).toString('hex'),
  };
  if (extra.fragments && extra.fragments.length > 1) {
    rec.fragments = extra.fragments.map((f) => Buffer.from(f).toString('hex'));
  }
  if (extra.compressed) rec.compressed = true;
  fs.appendFileSync(out, JSON.stringify(rec) + '\n');
}

function toBuffer(data) {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (Buffer.isBuffer(data)) return Buffer.from(data); // a copy: ws may mask it in place
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return Buffer.from(new Uint8Array(data));
  return Buffer.from(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

// Header of a serialized frame: {opcode, masked, payload (unmasked)}.
function parseControl(buf) {
  const opcode = buf[0] & 0x0f;
  const masked = (buf[1] & 0x80) !== 0;
  const len = buf[1] & 0x7f; // control frames: at most 125 bytes
  let off = 2;
  let payload;
  if (masked) {
    const key = buf.subarray(off, off + 4);
    off += 4;
    payload = Buffer.alloc(len);
    for (let i = 0; i < len; i++) payload[i] = buf[off + i] ^ key[i & 3];
  } else {
    payload = Buffer.from(buf.subarray(off, off + len));
  }
  return { opcode, masked, payload };
}

function hook(wsDir, logPath) {
  out = logPath;
  const lib = path.join(wsDir, 'lib');
  const Sender = require(path.join(lib, 'sender.js'));
  const Receiver = require(path.join(lib, 'receiver.js'));
  const WebSocket = require(path.join(lib, 'websocket.js'));
  const { kWebSocket } = require(path.join(lib, 'constants.js'));
  if (Sender.prototype.dispatch.__wslog) return;

  const origSetSocket = WebSocket.prototype.setSocket;
  WebSocket.prototype.setSocket = function (socket, ...rest) {
    socket.__wslogPort = this._isServer ? socket.remotePort : socket.localPort;
    socket.__wslogPeer = this._isServer ? 'server' : 'client';
    return origSetSocket.call(this, socket, ...rest);
  };

  const origDispatch = Sender.prototype.dispatch;
  Sender.prototype.dispatch = function (data, compress, options, cb) {
    // control frames queued while deflating come through here too: sendFrame logs them
    if (options.opcode >= 8) return origDispatch.call(this, data, compress, options, cb);
    const socket = this._socket;
    const payload = toBuffer(data);
    if (options.opcode !== 0) socket.__wslogPartial = { opcode: options.opcode, parts: [], compress };
    const partial = socket.__wslogPartial;
    partial.parts.push(payload);
    if (options.fin) {
      emit(socket.__wslogPort, socket.__wslogPeer, 'sent', partial.opcode, Buffer.concat(partial.parts),
        { fragments: partial.parts, compressed: partial.compress });
      socket.__wslogPartial = null;
    }
    return origDispatch.call(this, data, compress, options, cb);
  };
  Sender.prototype.dispatch.__wslog = true;

  const origSendFrame = Sender.prototype.sendFrame;
  Sender.prototype.sendFrame = function (list, cb) {
    const first = typeof list[0] === 'string' ? Buffer.from(list[0]) : list[0];
    if ((first[0] & 0x0f) >= 8) {
      const buf = Buffer.concat(list.map((b) => (typeof b === 'string' ? Buffer.from(b) : b)));
      const frame = parseControl(buf);
      emit(this._socket.__wslogPort, frame.masked ? 'client' : 'server', 'sent', frame.opcode, frame.payload);
    }
    return origSendFrame.call(this, list, cb);
  };

  const origEmit = Receiver.prototype.emit;
  Receiver.prototype.emit = function (name, ...args) {
    const ws = this[kWebSocket];
    const peer = this._isServer ? 'server' : 'client';
    const port = ws && ws._socket && ws._socket.__wslogPort;
    if (name === 'message') {
      emit(port, peer, 'received', args[1] ? 2 : 1, toBuffer(args[0]), { compressed: this._compressed });
    } else if (name === 'ping' || name === 'pong') {
      emit(port, peer, 'received', name === 'ping' ? 9 : 10, args[0]);
    } else if (name === 'conclude') {
      const [code, reason] = args;
      let payload = Buffer.alloc(0);
      if (code !== 1005) {
        payload = Buffer.alloc(2 + reason.length);
        payload.writeUInt16BE(code, 0);
        Buffer.from(reason).copy(payload, 2);
      }
      emit(port, peer, 'received', 8, payload);
    }
    return origEmit.call(this, name, ...args);
  };
}

function hookAll(logPath) {
  hook(path.dirname(require.resolve('ws/package.json', { paths: [__dirname] })), logPath);
}

module.exports = { hook, hookAll };

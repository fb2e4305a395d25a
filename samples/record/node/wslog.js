// Exact log of every WebSocket message sent or received through the `ws` library.
//
// hook(wsDir, path) patches one copy of ws (socket.io and engine.io-client may each load their
// own copy from a nested node_modules, so hook every copy that is used):
//   - Sender.prototype.sendFrame(list) receives each outgoing frame fully serialized: we parse
//     the header and unmask the payload, so what is logged is exactly what goes on the wire,
//     including the pongs and close echoes that ws sends by itself. Fragments (opcode 0) are
//     joined into their message, logged once with "fragments".
//   - Receiver.prototype.emit sees each received message ('message', joined by ws), 'ping',
//     'pong' and 'conclude' (close: code and reason; code 1005 means the close had no payload).
// Raw events go to `path` as JSON lines carrying the client's TCP port; finalize_log.py turns
// them into the sample log. permessage-deflate must be off (the payload logged for a sent
// compressed frame would be the deflated bytes).
'use strict';
const fs = require('fs');
const path = require('path');
const { performance } = require('perf_hooks');

let out = null;

function emit(clientPort, peer, event, opcode, data, fragments) {
  const rec = {
    t: (performance.timeOrigin + performance.now()) / 1000,
    client_port: clientPort,
    peer,
    event,
    opcode,
    hex: Buffer.from(data).toString('hex'),
  };
  if (fragments && fragments.length > 1) rec.fragments = fragments.map((f) => Buffer.from(f).toString('hex'));
  fs.appendFileSync(out, JSON.stringify(rec) + '\n');
}

function toBuffer(data) {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

// Parse one serialized frame: {fin, opcode, masked, payload (unmasked)}.
function parseFrame(buf) {
  const fin = (buf[0] & 0x80) !== 0;
  const opcode = buf[0] & 0x0f;
  const masked = (buf[1] & 0x80) !== 0;
  let len = buf[1] & 0x7f;
  let off = 2;
  if (len === 126) { len = buf.readUInt16BE(2); off = 4; }
  else if (len === 127) { len = Number(buf.readBigUInt64BE(2)); off = 10; }
  let payload;
  if (masked) {
    const key = buf.subarray(off, off + 4);
    off += 4;
    payload = Buffer.alloc(len);
    for (let i = 0; i < len; i++) payload[i] = buf[off + i] ^ key[i & 3];
  } else {
    payload = Buffer.from(buf.subarray(off, off + len));
  }
  if (off + len !== buf.length) throw new Error(`wslog: ${buf.length - off - len} extra bytes after a frame`);
  if (buf[0] & 0x40) throw new Error('wslog: compressed frame, turn perMessageDeflate off');
  return { fin, opcode, masked, payload };
}

function hook(wsDir, logPath) {
  out = logPath;
  const lib = path.join(wsDir, 'lib');
  const Sender = require(path.join(lib, 'sender.js'));
  const Receiver = require(path.join(lib, 'receiver.js'));
  const WebSocket = require(path.join(lib, 'websocket.js'));
  const { kWebSocket } = require(path.join(lib, 'constants.js'));
  if (Sender.prototype.sendFrame.__wslog) return;

  // The client port is read once the socket is attached (it may be gone by the last event).
  const origSetSocket = WebSocket.prototype.setSocket;
  WebSocket.prototype.setSocket = function (socket, ...rest) {
    socket.__wslogPort = this._isServer ? socket.remotePort : socket.localPort;
    return origSetSocket.call(this, socket, ...rest);
  };

  const origSendFrame = Sender.prototype.sendFrame;
  Sender.prototype.sendFrame = function (list, cb) {
    const socket = this._socket;
    // an unmasked text payload may still be a string here
    const frame = parseFrame(Buffer.concat(list.map((b) => (typeof b === 'string' ? Buffer.from(b) : b))));
    const peer = frame.masked ? 'client' : 'server';
    const port = socket.__wslogPort;
    if (frame.opcode >= 8) {
      emit(port, peer, 'sent', frame.opcode, frame.payload);
    } else {
      if (frame.opcode !== 0) socket.__wslogPartial = { opcode: frame.opcode, parts: [] };
      const partial = socket.__wslogPartial;
      partial.parts.push(frame.payload);
      if (frame.fin) {
        emit(port, peer, 'sent', partial.opcode, Buffer.concat(partial.parts), partial.parts);
        socket.__wslogPartial = null;
      }
    }
    return origSendFrame.call(this, list, cb);
  };
  Sender.prototype.sendFrame.__wslog = true;

  const origEmit = Receiver.prototype.emit;
  Receiver.prototype.emit = function (name, ...args) {
    const ws = this[kWebSocket];
    const peer = this._isServer ? 'server' : 'client';
    const port = ws && ws._socket && ws._socket.__wslogPort;
    if (name === 'message') {
      emit(port, peer, 'received', args[1] ? 2 : 1, toBuffer(args[0]));
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

// Every distinct copy of ws that the given packages (and this directory) resolve to.
function wsCopies(packages) {
  const dirs = new Set([path.dirname(require.resolve('ws/package.json', { paths: [__dirname] }))]);
  for (const pkg of packages) {
    const pkgDir = path.dirname(require.resolve(pkg, { paths: [__dirname] }));
    dirs.add(path.dirname(require.resolve('ws/package.json', { paths: [pkgDir] })));
  }
  return [...dirs];
}

function hookAll(logPath, packages = []) {
  for (const dir of wsCopies(packages)) hook(dir, logPath);
}

module.exports = { hook, hookAll, wsCopies };

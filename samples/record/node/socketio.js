// socketio.pcap: a socket.io server and a socket.io-client (Node), one process, 127.0.0.1:8767.
// The client starts with HTTP long-polling (engine.io handshake and the socket.io connect
// packet go over plain HTTP requests), then upgrades to WebSocket: "2probe" / "3probe" / "5".
// Over the WebSocket: chat events both ways (42["chat",...]), an event with an
// acknowledgement (421[...] / 431[...]), an event with a binary attachment (451-[...] followed by
// a binary frame), then the client disconnects (41) and closes the WebSocket.
// Only WebSocket messages are logged, by hooking the ws copies engine.io and engine.io-client use.
// permessage-deflate is off on both sides.
//
// usage: node socketio.js RAW_LOG [PORT]
'use strict';
const wslog = require('./wslog');

const logPath = process.argv[2];
const port = Number(process.argv[3] || 8767);
wslog.hookAll(logPath, ['engine.io', 'engine.io-client']);
const { Server } = require('socket.io');
const { io } = require('socket.io-client');

function within(promise, ms, what) {
  return Promise.race([promise, new Promise((_, reject) =>
    setTimeout(() => reject(new Error(`timeout: ${what}`)), ms))]);
}

async function main() {
  const server = new Server(port, { perMessageDeflate: false, pingInterval: 60000, pingTimeout: 20000 });
  console.error(`socketio: listening on port ${port}`);
  const got = [];
  server.on('connection', (socket) => {
    socket.on('chat', (text) => {
      got.push(text);
      socket.emit('chat', `echo: ${text}`);
    });
    socket.on('add', (a, b, ack) => ack(a + b));
    socket.on('file', (name, data) => {
      got.push(name);
      socket.emit('file-received', name, data.length);
    });
  });

  const client = io(`http://127.0.0.1:${port}`, {
    transports: ['polling', 'websocket'], perMessageDeflate: false, reconnection: false,
  });
  await within(new Promise((r) => client.on('connect', r)), 10000, 'connect');
  // the upgrade may already be done by now: poll the transport's name (bounded)
  await within(new Promise((r) => {
    const check = () => (client.io.engine.transport.name === 'websocket' ? r() : setTimeout(check, 10));
    check();
  }), 10000, 'upgrade');
  console.error(`socketio: upgraded to ${client.io.engine.transport.name}`);

  const reply = () => new Promise((r) => client.once('chat', r));
  let answer = reply();
  client.emit('chat', 'hello');
  console.error(`socketio: ${await within(answer, 5000, 'chat reply')}`);
  answer = reply();
  client.emit('chat', 'héllo wörld ✓');
  await within(answer, 5000, 'chat reply');
  const sum = await within(new Promise((r) => client.emit('add', 2, 3, r)), 5000, 'ack');
  console.error(`socketio: 2 + 3 = ${sum}`);
  const received = new Promise((r) => client.once('file-received', (name, n) => r(n)));
  client.emit('file', 'blob.bin', Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02, 0x03]));
  console.error(`socketio: server got ${await within(received, 5000, 'file')} bytes`);

  const gone = new Promise((r) => [...server.sockets.sockets.values()][0].once('disconnect', r));
  client.disconnect();
  await within(gone, 5000, 'disconnect');
  await new Promise((r) => setTimeout(r, 300));
  server.close();
}

const watchdog = setTimeout(() => { console.error('socketio: timeout'); process.exit(1); }, 60000);
main().then(() => { clearTimeout(watchdog); setTimeout(() => process.exit(0), 500); },
  (err) => { console.error(err); process.exit(1); });

// mixed.pcap: a Node `ws` client and server (one process, real TCP on 127.0.0.1:8766) going
// through the framing cases a decoder must handle, one step at a time:
//   binary; 300 bytes (16-bit length); 70000 bytes (64-bit length); pings with and without
//   payload (pongs are sent by ws itself); a 3-fragment text message with a ping between
//   fragments; empty text and binary messages; UTF-8 text fragmented in the middle of code
//   points; messages, a ping and a 2-fragment binary message from the server; finally the
//   server closes with 4000 "bye" and the client echoes it.
// permessage-deflate is off so every payload is readable in the capture.
//
// usage: node mixed.js RAW_LOG [PORT]
'use strict';
const path = require('path');
const wslog = require('./wslog');

const logPath = process.argv[2];
const port = Number(process.argv[3] || 8766);
wslog.hookAll(logPath);
const WebSocket = require('ws');

// Seeded bytes (xorshift32), so every run sends the same data.
function seeded(n, seed) {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

// waitFor(cond): resolve once cond() is true, polling; reject after `ms`.
function waitFor(cond, what, ms = 10000) {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const tick = () => {
      if (cond()) return resolve();
      if (Date.now() - start > ms) return reject(new Error(`timeout waiting for ${what}`));
      setTimeout(tick, 5);
    };
    tick();
  });
}

async function main() {
  const wss = new WebSocket.Server({ host: '127.0.0.1', port, perMessageDeflate: false });
  await new Promise((r) => wss.once('listening', r));
  console.error(`mixed: listening on 127.0.0.1 port ${port}`);

  let serverWs = null;
  const atServer = [];   // what the server received (messages, pings, pongs)
  const atClient = [];
  wss.on('connection', (ws) => {
    serverWs = ws;
    ws.on('message', (data) => atServer.push(data));
    ws.on('ping', () => atServer.push('ping'));
    ws.on('pong', () => atServer.push('pong'));
  });

  const client = new WebSocket(`ws://127.0.0.1:${port}/mixed`, { perMessageDeflate: false });
  client.on('message', (data) => atClient.push(data));
  client.on('ping', () => atClient.push('ping'));
  client.on('pong', () => atClient.push('pong'));
  const clientClosed = new Promise((r) => client.on('close', (code, reason) => r([code, reason.toString()])));
  await new Promise((resolve, reject) => { client.once('open', resolve); client.once('error', reject); });
  await waitFor(() => serverWs, 'the server side');

  // step(n): wait until the server (or the client) has received n items in total.
  const toServer = (n, what) => waitFor(() => atServer.length >= n, what);
  const toClient = (n, what) => waitFor(() => atClient.length >= n, what);
  let s = 0;
  let c = 0;

  client.send(seeded(16, 1));                                  // binary, 7-bit length
  await toServer(++s, 'binary');
  client.send('x'.repeat(100) + 'y'.repeat(100) + 'z'.repeat(100)); // 300 bytes: 16-bit length
  await toServer(++s, '300 bytes');
  client.send(seeded(70000, 2));                               // 64-bit length
  await toServer(++s, '70000 bytes');

  client.ping('ping with payload');                            // the server's ws pongs by itself
  await toServer(++s, 'ping'); await toClient(++c, 'pong');
  client.ping();                                               // ping without payload
  await toServer(++s, 'empty ping'); await toClient(++c, 'pong');

  // a text message in 3 fragments, a ping between the first and the second
  client.send('fragment one, ', { fin: false });
  client.ping('between fragments');
  client.send('fragment two, ', { fin: false });
  client.send('fragment three', { fin: true });
  s += 2; c += 1;
  await toServer(s, 'fragmented text'); await toClient(c, 'pong');

  client.send('');                                             // empty text
  client.send(Buffer.alloc(0));                                // empty binary
  s += 2;
  await toServer(s, 'empty messages');

  // multi-byte UTF-8 split inside code points: "é" (2 bytes), "✓" (3), "😀" (4)
  const utf8 = Buffer.from('héllo wörld ✓ 😀', 'utf8');
  const cuts = [2, utf8.indexOf(Buffer.from('✓')) + 1, utf8.length - 2];
  let prev = 0;
  for (const cut of cuts) {
    client.send(utf8.subarray(prev, cut), { binary: false, fin: false });
    prev = cut;
  }
  client.send(utf8.subarray(prev), { binary: false, fin: true });
  await toServer(++s, 'utf-8 text');

  // server-initiated traffic
  serverWs.send('Hello from the server');
  serverWs.send(seeded(200, 3));
  serverWs.ping('server ping');
  serverWs.send(seeded(1000, 4).subarray(0, 600), { fin: false });
  serverWs.send(seeded(1000, 4).subarray(600), { fin: true });
  c += 3;
  await toClient(c, 'server messages'); await toServer(++s, 'pong');

  serverWs.close(4000, 'bye');
  const [code, reason] = await Promise.race([
    clientClosed, new Promise((_, reject) => setTimeout(() => reject(new Error('close timeout')), 10000))]);
  console.error(`mixed: client closed with ${code} ${reason}`);
  await new Promise((r) => wss.close(r));
}

const watchdog = setTimeout(() => { console.error('mixed: timeout'); process.exit(1); }, 60000);
main().then(() => clearTimeout(watchdog), (err) => { console.error(err); process.exit(1); });

// wss-hrr.pcap: a Node `ws` client and server (one process, real TCP on 127.0.0.1:8443) over
// TLS 1.3 where the handshake needs a HelloRetryRequest. The client allows the groups X25519 and
// P-256 (`ecdhCurve: 'X25519:P-256'`), and OpenSSL sends a key share for the first one only; the
// server allows P-256 only (`ecdhCurve: 'P-256'`), so it answers the first ClientHello with a
// HelloRetryRequest (a ServerHello whose random is the fixed HRR value, naming P-256), and the
// client sends a second ClientHello with a P-256 key share. ALPN http/1.1, SNI wss.test, no
// permessage-deflate. The server echoes every message; the client waits for each echo:
//   greeting; a JSON text; a 700-byte seeded binary; a ping; a 3000-byte text (16-bit length);
//   a short text; then the client closes with 1000 "hrr done" and the server echoes the close.
// The NSS key log comes from the client's TLSSocket 'keylog' event, appended to KEYS. Messages
// are logged by wslog.js (compression is off).
//
// usage: node wss-hrr.js RAW_LOG KEYS CERT.pem KEY.pem [PORT]
'use strict';
const fs = require('fs');
const https = require('https');
const tls = require('tls');
const wslog = require('./wslog');

const [logPath, keysPath, certPath, keyPath] = process.argv.slice(2, 6);
const port = Number(process.argv[6] || 8443);
wslog.hookAll(logPath);
const WebSocket = require('ws');

const cert = fs.readFileSync(certPath);

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
  const server = https.createServer({
    key: fs.readFileSync(keyPath), cert, minVersion: 'TLSv1.3', ALPNProtocols: ['http/1.1'],
    ecdhCurve: 'P-256',
  });
  const wss = new WebSocket.Server({ server, perMessageDeflate: false });
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  console.error(`wss-hrr: listening on 127.0.0.1 port ${port}`);

  let tlsSocket = null;
  const client = new WebSocket(`wss://wss.test:${port}/retry`, {
    perMessageDeflate: false,
    ca: cert,
    servername: 'wss.test',
    minVersion: 'TLSv1.3',
    ecdhCurve: 'X25519:P-256',
    ALPNProtocols: ['http/1.1'],
    // dial 127.0.0.1 (wss.test is only the name in the URI, the SNI and the certificate)
    createConnection: (opts) => {
      tlsSocket = tls.connect({ ...opts, host: '127.0.0.1' });
      tlsSocket.on('keylog', (line) => fs.appendFileSync(keysPath, line));
      return tlsSocket;
    },
  });
  const atClient = [];
  client.on('message', (data) => atClient.push(data));
  client.on('pong', () => atClient.push('pong'));
  const clientClosed = new Promise((r) => client.on('close', (code, reason) => r([code, reason.toString()])));
  await new Promise((resolve, reject) => { client.once('open', resolve); client.once('error', reject); });
  const group = tlsSocket.getEphemeralKeyInfo();
  console.error('tls: ' + JSON.stringify({
    label: 'node', client_port: tlsSocket.localPort, version: tlsSocket.getProtocol(),
    cipher: tlsSocket.getCipher().standardName, alpn: tlsSocket.alpnProtocol, sni: 'wss.test',
    group, session_reused: tlsSocket.isSessionReused(),
  }));
  if (tlsSocket.getProtocol() !== 'TLSv1.3' || group.name !== 'prime256v1') {
    throw new Error('expected TLS 1.3 with P-256 (after a HelloRetryRequest)');
  }

  let c = 0;
  const echo = async (data, opts, what) => {
    client.send(data, opts);
    await waitFor(() => atClient.length >= c + 1, what);
    c += 1;
  };
  await echo('Hi, my name is Retry', {}, 'greeting');
  await echo(JSON.stringify({ type: 'status', user: 'retry', group: 'P-256', hrr: true }), {}, 'json');
  await echo(seeded(700, 11), { binary: true }, '700 bytes');
  client.ping('hrr ping');
  await waitFor(() => atClient.length >= c + 1, 'pong');
  c += 1;
  await echo('HelloRetryRequest, then a second ClientHello. '.repeat(70).slice(0, 3000), {}, '3000-byte text');
  await echo('last text after the retry', {}, 'last text');

  client.close(1000, 'hrr done');
  const [code, reason] = await Promise.race([
    clientClosed, new Promise((_, reject) => setTimeout(() => reject(new Error('close timeout')), 10000))]);
  console.error(`wss-hrr: client closed with ${code} ${reason}`);
  await new Promise((r) => wss.close(r));
  await new Promise((r) => server.close(r));
}

const watchdog = setTimeout(() => { console.error('wss-hrr: timeout'); process.exit(1); }, 60000);
main().then(() => clearTimeout(watchdog), (err) => { console.error(err); process.exit(1); });

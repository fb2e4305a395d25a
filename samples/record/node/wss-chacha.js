// wss-node-chacha.pcap: a Node `ws` client and server (one process, real TCP on 127.0.0.1:8443)
// over TLS 1.3 with TLS_CHACHA20_POLY1305_SHA256 as the only suite either side allows, ALPN
// http/1.1, SNI wss.test, and permessage-deflate on both sides (ws compresses every data message
// unless told not to, since the default offer keeps the context). The server echoes every
// message; the client waits for each echo:
//   greeting; a JSON text; a 20000-byte seeded binary (incompressible: its compressed frame is
//   still over 16 KB, so it spans two TLS records); a 6000-byte repetitive text (a small frame
//   that inflates to much more); a binary sent with compress: false (no RSV1 although the extension is on); a ping; a text in 3
//   compressed fragments (RSV1 on the first) with a ping between the 1st and the 2nd; a last
//   short text; then the client closes with 1000 "chacha done" and the server echoes the close.
// The NSS key log comes from the client's TLSSocket 'keylog' event (the lines OpenSSL hands to
// Node), appended to KEYS. Messages are logged by wslog-deflate.js.
//
// usage: node wss-chacha.js RAW_LOG KEYS CERT.pem KEY.pem [PORT]
'use strict';
const fs = require('fs');
const https = require('https');
const tls = require('tls');
const wslog = require('./wslog-deflate');

const [logPath, keysPath, certPath, keyPath] = process.argv.slice(2, 6);
const port = Number(process.argv[6] || 8443);
wslog.hookAll(logPath);
const WebSocket = require('ws');

const SUITE = 'TLS_CHACHA20_POLY1305_SHA256';
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
    key: fs.readFileSync(keyPath), cert, ciphers: SUITE, minVersion: 'TLSv1.3', ALPNProtocols: ['http/1.1'],
  });
  const wss = new WebSocket.Server({ server, perMessageDeflate: true });
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  console.error(`wss-chacha: listening on 127.0.0.1 port ${port}`);

  let tlsSocket = null;
  const client = new WebSocket(`wss://wss.test:${port}/chacha`, {
    perMessageDeflate: true,
    ca: cert,
    servername: 'wss.test',
    ciphers: SUITE,
    minVersion: 'TLSv1.3',
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
  console.error('tls: ' + JSON.stringify({
    label: 'node', client_port: tlsSocket.localPort, version: tlsSocket.getProtocol(),
    cipher: tlsSocket.getCipher().standardName, alpn: tlsSocket.alpnProtocol, sni: 'wss.test',
    session_reused: tlsSocket.isSessionReused(),
    extensions: client.extensions,
  }));

  let c = 0;
  const echo = async (data, opts, what) => {
    client.send(data, opts);
    await waitFor(() => atClient.length >= c + 1, what);
    c += 1;
  };
  await echo('Hi, my name is Node', {}, 'greeting');
  await echo(JSON.stringify({ type: 'status', user: 'node', cipher: SUITE, online: true }), {}, 'json');
  await echo(seeded(20000, 5), { binary: true }, '20000 bytes');
  await echo('ChaCha20 and Poly1305, '.repeat(300).slice(0, 6000), {}, '6000-byte text');
  await echo(seeded(300, 6), { binary: true, compress: false }, 'uncompressed binary');
  client.ping('chacha ping');
  await waitFor(() => atClient.length >= c + 1, 'pong');
  c += 1;

  // a compressed text in 3 fragments, a ping between the first and the second
  client.send('fragment one of three, ', { fin: false });
  client.ping('between fragments');
  client.send('fragment two of three, ', { fin: false });
  client.send('fragment three of three', { fin: true });
  await waitFor(() => atClient.length >= c + 2, 'pong and fragmented echo');
  c += 2;
  await echo('and one more after the fragments', {}, 'last text');

  client.close(1000, 'chacha done');
  const [code, reason] = await Promise.race([
    clientClosed, new Promise((_, reject) => setTimeout(() => reject(new Error('close timeout')), 10000))]);
  console.error(`wss-chacha: client closed with ${code} ${reason}`);
  await new Promise((r) => wss.close(r));
  await new Promise((r) => server.close(r));
}

const watchdog = setTimeout(() => { console.error('wss-chacha: timeout'); process.exit(1); }, 60000);
main().then(() => clearTimeout(watchdog), (err) => { console.error(err); process.exit(1); });

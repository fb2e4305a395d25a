// The server of keepalive.pcap: Node's http server (keep-alive) answers GET /health with
// "200 OK" and a Content-Length body, and hands an Upgrade request arriving later on the same
// TCP connection to a `ws` server (noServer mode), which greets and echoes like server.py.
// Exits once one WebSocket connection has closed (or after 60 s).
//
// usage: node keepalive-server.js RAW_LOG [PORT]
'use strict';
const http = require('http');
const wslog = require('./wslog');

const logPath = process.argv[2];
const port = Number(process.argv[3] || 8766);
wslog.hookAll(logPath);
const WebSocket = require('ws');

const GREETING = 'Hi, my name is ';
const wss = new WebSocket.Server({ noServer: true, perMessageDeflate: false });
const server = http.createServer((req, res) => {
  const body = req.url === '/health' ? '{"status":"ok"}\n' : 'not found\n';
  res.writeHead(req.url === '/health' ? 200 : 404,
    { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 10000;
server.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => {
    ws.on('message', (data, isBinary) => {
      const text = data.toString();
      if (!isBinary && text.startsWith(GREETING)) ws.send(`Hi ${text.slice(GREETING.length)}, nice to meet you!`);
      else ws.send(data, { binary: isBinary });
    });
    ws.on('close', () => {
      server.close();
      server.closeAllConnections();
      setTimeout(() => process.exit(0), 200);
    });
  });
});
server.listen(port, '127.0.0.1', () => console.error(`keepalive: listening on 127.0.0.1 port ${port}`));
setTimeout(() => { console.error('keepalive: timeout'); process.exit(1); }, 60000);

/**
 * Child process: a bare Node `http.createServer` answering `200 hello world` (the RSS anchor, and the
 * CPU cost of one Node HTTP parse/serialize cycle). Usage: node bare-node-server.js <host> <port>
 */
import http from 'node:http';
import { RESPONSE_BODY } from './anchor-configs.js';

const [host, portText] = process.argv.slice(2);
const body = Buffer.from(RESPONSE_BODY);
const server = http.createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(Number(portText), host ?? '127.0.0.1');
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});

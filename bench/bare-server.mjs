// The benchmark's upper baseline: the cheapest possible auth_request answer, a bare Node server.
// `/` answers 200 with no body, as the gateway answers nginx's auth sub-requests. `/with-body` adds
// a small JSON body, which nginx never reads, so it cannot reuse the connection: the cost of that.
import { createServer } from 'node:http';

const JSON_BODY = '{"ok":true}';
const server = createServer((req, res) => {
  const body = req.url === '/with-body' ? JSON_BODY : '';
  res.writeHead(200, { 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body), Authorization: 'Bearer x' });
  res.end(body);
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
process.on('SIGTERM', () => process.exit(0));

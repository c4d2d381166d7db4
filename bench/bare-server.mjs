// The benchmark's upper baseline: the cheapest possible auth_request answer, a bare Node server.
// `/` answers 200 with no body, as the gateway answers nginx's auth sub-requests. `/with-body` adds
// a small JSON body, which nginx never reads, so it cannot reuse the connection: the cost of that.
// `/with-jwt` answers with an Authorization header as long as the gateway's signed JWT, which nginx
// carries back: the floor for a check that must return one.
import { createServer } from 'node:http';

const JSON_BODY = '{"ok":true}';
const JWT_SIZED = `Bearer ${'x'.repeat(560)}`;
const server = createServer((req, res) => {
  const body = req.url === '/with-body' ? JSON_BODY : '';
  const authorization = req.url === '/with-jwt' ? JWT_SIZED : 'Bearer x';
  res.writeHead(200, { 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body), Authorization: authorization });
  res.end(body);
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
process.on('SIGTERM', () => process.exit(0));

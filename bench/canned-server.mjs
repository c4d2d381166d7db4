// The floor of any Node process answering auth_request: no HTTP parser, no request objects. Each
// request head read from the socket gets the same canned answer (200, a JWT-sized Authorization,
// no body), written straight to it. Only for the benchmark: it understands nothing of HTTP but
// where a head without a body ends.
import { createServer } from 'node:net';

const ANSWER = Buffer.from(`HTTP/1.1 200 OK\r\nAuthorization: Bearer ${'x'.repeat(560)}\r\nCache-Control: no-store\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n`);
const HEAD_END = Buffer.from('\r\n\r\n');

const server = createServer((socket) => {
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    let data = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
    let answers = 0;
    for (let end = data.indexOf(HEAD_END); end !== -1; end = data.indexOf(HEAD_END)) {
      answers++;
      data = data.subarray(end + HEAD_END.length);
    }
    pending = Buffer.from(data);
    if (answers === 1) socket.write(ANSWER);
    else if (answers > 1) socket.write(Buffer.concat(Array.from({ length: answers }, () => ANSWER)));
  });
  socket.on('error', () => socket.destroy());
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
process.on('SIGTERM', () => process.exit(0));

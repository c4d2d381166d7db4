import { once } from 'node:events';
import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MaybePromise } from '@/lib/gateway/maybe';
import type { GatewayRequest, GatewayResponse } from '@/lib/gateway/types';
import { type FastPath, installFastPath, parseHead, serialise } from '@/lib/server/fast-path';

const PATHS: ReadonlySet<string> = new Set(['/api/authenticate', '/authenticate']);
const WAIT_MS = 3000;

/** A head as parseHead takes it: lines joined by CRLF, without the final blank line. */
const head = (...lines: string[]) => lines.join('\r\n');
/** A whole request without a body, as bytes on the wire (latin1 text). */
const req = (method: string, target: string, ...fields: string[]) => `${head(`${method} ${target} HTTP/1.1`, 'Host: auth.test', ...fields)}\r\n\r\n`;
const auth = (uri = '/app', ...fields: string[]) => req('GET', '/api/authenticate', `X-Original-URI: ${uri}`, ...fields);

// ---------------------------------------------------------------------------------------------
// Raw HTTP client: writes bytes, splits what comes back into responses by Content-Length.

interface RawResponse {
  statusLine: string;
  status: number;
  /** Lower-case names; a repeated name keeps its last value. */
  headers: Record<string, string>;
  body: string;
}

/** The whole responses in `data`; a response without Content-Length has no body, `headOnly(i)` says the i-th answers a HEAD. */
function parseResponses(data: Buffer, headOnly: (index: number) => boolean): RawResponse[] {
  const responses: RawResponse[] = [];
  let offset = 0;
  for (;;) {
    const end = data.indexOf('\r\n\r\n', offset);
    if (end === -1) return responses;
    const [statusLine = '', ...lines] = data.toString('latin1', offset, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = headOnly(responses.length) ? 0 : Number(headers['content-length'] ?? 0);
    if (data.length < end + 4 + length) return responses;
    responses.push({ statusLine, status: Number(statusLine.split(' ')[1]), headers, body: data.toString('utf8', end + 4, end + 4 + length) });
    offset = end + 4 + length;
  }
}

class RawClient {
  private data = Buffer.alloc(0);
  private readonly waiters = new Set<() => void>();
  closed = false;

  constructor(
    readonly socket: Socket,
    private readonly headOnly: (index: number) => boolean,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.data = Buffer.concat([this.data, chunk]);
      this.notify();
    });
    socket.on('close', () => {
      this.closed = true;
      this.notify();
    });
    socket.on('error', () => {}); // a reset after the server closed: `closed` says all a test needs
  }

  write(bytes: string): void {
    this.socket.write(Buffer.from(bytes, 'latin1'));
  }

  responses(): RawResponse[] {
    return parseResponses(this.data, this.headOnly);
  }

  /** The first `count` responses, once they are all in. */
  async read(count: number): Promise<RawResponse[]> {
    await this.until(() => this.responses().length >= count, `${count} response(s)`);
    return this.responses().slice(0, count);
  }

  untilClosed(): Promise<void> {
    return this.until(() => this.closed, 'the server to close the connection', true);
  }

  private notify(): void {
    for (const waiter of this.waiters) waiter();
  }

  private until(condition: () => boolean, what: string, closing = false): Promise<void> {
    return new Promise((resolve, reject) => {
      const fail = (why: string) => reject(new Error(`${why} waiting for ${what}; received ${JSON.stringify(this.data.toString('latin1'))}`));
      const check = () => {
        if (condition()) settle(resolve);
        else if (this.closed && !closing) settle(() => fail('connection closed'));
      };
      const timer = setTimeout(() => settle(() => fail('timed out')), WAIT_MS);
      const settle = (then: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        then();
      };
      this.waiters.add(check);
      check();
    });
  }
}

const clients: RawClient[] = [];

async function connect(port: number, headOnly: (index: number) => boolean = () => false): Promise<RawClient> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const client = new RawClient(socket, headOnly);
  clients.push(client);
  return client;
}

/** Polls until a server-side effect is visible (a socket's 'close' reaches the server a moment after the client's). */
async function eventually(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Servers: Node answers with its marker, the fast path records what it got and answers with its own.

interface Harness {
  port: number;
  server: Server;
  fast: FastPath;
  /** Every request the fast path's `handle` was called with. */
  handled: GatewayRequest[];
  errors: unknown[];
}

const servers: Array<{ server: Server; fast?: FastPath }> = [];

function fastAnswer(request: GatewayRequest): GatewayResponse {
  return { status: 200, headers: { 'X-Served-By': 'fast', 'X-Auth-User': 'alice' }, body: `fast:${request.method} ${request.header('x-original-uri') ?? '-'}` };
}

function nodeHandler(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = `node:${req.method} ${req.url}`;
    res.writeHead(200, { 'X-Served-By': 'node', 'X-Request-Body': Buffer.concat(chunks).toString('latin1'), 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function startServer(
  options: { answer?: (request: GatewayRequest) => MaybePromise<GatewayResponse>; keepAliveMs?: number; node?: (req: IncomingMessage, res: ServerResponse) => void } = {},
): Promise<Harness> {
  const { answer = fastAnswer, keepAliveMs = 65_000, node = nodeHandler } = options;
  const server = http.createServer(node);
  server.keepAliveTimeout = keepAliveMs;
  const handled: GatewayRequest[] = [];
  const errors: unknown[] = [];
  const fast = installFastPath(server, {
    paths: PATHS,
    handle: (request) => {
      handled.push(request);
      return answer(request);
    },
    keepAliveMs,
    maxHeadBytes: 65_536,
    onError: (error) => errors.push(error),
  });
  servers.push({ server, fast });
  return { port: await listen(server), server, fast, handled, errors };
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.socket.destroy();
  await Promise.all(
    servers.splice(0).map(({ server, fast }) => {
      fast?.closeAll();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    }),
  );
});

const servedBy = (responses: RawResponse[]) => responses.map((r) => r.headers['x-served-by']);

// ---------------------------------------------------------------------------------------------

describe('parseHead', () => {
  it('reads a typical nginx auth sub-request', () => {
    const request = parseHead(
      head(
        'GET /api/authenticate?rd=%2Fapp HTTP/1.1',
        'Host: auth.example',
        'Authorization: Basic YWxpY2U6c2VjcmV0',
        'X-Original-URI: /app/page?x=1',
        'X-Original-Method: DELETE',
        'X-Padded: \t spaced  value \t ',
        'X-Nbsp: \xa0kept\xa0',
        'X-Empty:',
      ),
      PATHS,
      '10.0.0.7',
    );
    expect(request).toMatchObject({ method: 'GET', path: '/api/authenticate', remoteAddress: '10.0.0.7' });
    expect(request?.header('host')).toBe('auth.example');
    expect(request?.header('authorization')).toBe('Basic YWxpY2U6c2VjcmV0');
    expect(request?.header('x-original-uri')).toBe('/app/page?x=1');
    expect(request?.header('x-original-method')).toBe('DELETE');
    expect(request?.header('x-padded')).toBe('spaced  value');
    expect(request?.header('x-nbsp')).toBe('\xa0kept\xa0'); // U+00A0 is not optional whitespace
    expect(request?.header('x-empty')).toBe('');
    expect(request?.header('x-absent')).toBeUndefined();
  });

  const base = 'GET /api/authenticate HTTP/1.1';

  it('accepts a sub-request with many headers, up to the limit', () => {
    expect(parseHead(head(base, 'Host: h', ...Array.from({ length: 99 }, (_, i) => `X-${i}: v`)), PATHS, undefined)?.header('x-98')).toBe('v');
  });

  it('keeps the method, takes the path before a query or fragment, and allows a zero length and keep-alive', () => {
    const post = parseHead(head('POST /authenticate#top HTTP/1.1', 'host: h', 'Content-Length: 0', 'Connection: Keep-Alive'), PATHS, undefined);
    expect(post).toMatchObject({ method: 'POST', path: '/authenticate' });
    expect(post?.header('content-length')).toBe('0');
    expect(parseHead(head('POST /api/authenticate HTTP/1.1', 'Host: h'), PATHS, undefined)).toMatchObject({ method: 'POST', path: '/api/authenticate' });
  });

  it('answers paths under the prefix (Envoy appends the original path), keeping the target as sent', () => {
    const prefix = '/api/authenticate/';
    const envoy = parseHead(head('DELETE /api/authenticate/v1/../admin/x?y=1 HTTP/1.1', 'host: api.example.org', 'content-length: 0'), PATHS, '127.0.0.1', prefix);
    expect(envoy).toMatchObject({ method: 'DELETE', path: '/api/authenticate/v1/../admin/x', target: '/api/authenticate/v1/../admin/x?y=1' });
    expect(parseHead(head(base, 'Host: h'), PATHS, undefined, prefix)).toMatchObject({ path: '/api/authenticate', target: '/api/authenticate' });
    expect(parseHead(head('GET /api/authenticatex HTTP/1.1', 'Host: h'), PATHS, undefined, prefix)).toBeUndefined();
    expect(parseHead(head('GET /api/authenticate/x HTTP/1.1', 'Host: h'), PATHS, undefined)).toBeUndefined(); // no prefix, no match
  });

  it.each([
    ['HTTP/1.0', head('GET /api/authenticate HTTP/1.0', 'Host: h')],
    ['an absolute-form target', head('GET http://h/api/authenticate HTTP/1.1', 'Host: h')],
    ['a longer path', head('GET /api/authenticate/x HTTP/1.1', 'Host: h')],
    ['a path in another case', head('GET /API/authenticate HTTP/1.1', 'Host: h')],
    ['a repeated header', head(base, 'Host: h', 'Authorization: Basic a', 'Authorization: Basic b')],
    ['a repeated header in another case', head(base, 'Host: h', 'Authorization: Basic a', 'authorization: Basic a')],
    ['no Host', head(base, 'Authorization: Basic a')],
    ['Transfer-Encoding', head(base, 'Host: h', 'Transfer-Encoding: chunked')],
    ['a body length', head(base, 'Host: h', 'Content-Length: 5')],
    ['a zero length with Transfer-Encoding', head(base, 'Host: h', 'Content-Length: 0', 'Transfer-Encoding: chunked')],
    ['Connection: close', head(base, 'Host: h', 'Connection: close')],
    ['Upgrade', head(base, 'Host: h', 'Connection: keep-alive', 'Upgrade: websocket')],
    ['Expect', head(base, 'Host: h', 'Expect: 100-continue')],
    ['a folded line (space)', head(base, 'Host: h', 'X-A: one', ' two')],
    ['a folded line (tab)', head(base, 'Host: h', 'X-A: one', '\ttwo')],
    ['a bare LF in a header line', head(base, 'Host: h', 'X-A: one\nX-B: two')],
    ['a NUL in a value', head(base, 'Host: h', 'X-A: a\0b')],
    ['a line without a colon', head(base, 'Host: h', 'X-A')],
    ['a space before the colon', head(base, 'Host: h', 'X-A : value')],
    ['an empty header name', head(base, 'Host: h', ': value')],
    ['more headers than any sub-request carries', head(base, 'Host: h', ...Array.from({ length: 100 }, (_, i) => `X-${i}: v`))],
  ])('hands off %s', (_, text) => {
    expect(parseHead(text, PATHS, '127.0.0.1')).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------

describe('parseHead reads requests as Node does', () => {
  let echo: Server;
  let echoPort: number;

  beforeAll(async () => {
    echo = http.createServer((req, res) => {
      const body = JSON.stringify({ method: req.method, url: req.url, headers: req.headers });
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    });
    echoPort = await listen(echo);
  });
  afterAll(async () => {
    echo.closeAllConnections();
    await new Promise((resolve) => echo.close(resolve));
  });

  /** Node's reading of `text` (a head) on a fresh connection; undefined when Node does not answer 200. */
  async function nodeReads(text: string): Promise<{ method: string; url: string; headers: Record<string, string> } | undefined> {
    const client = await connect(echoPort);
    try {
      client.write(`${text}\r\n\r\n`);
      const [response] = await client.read(1).catch(() => []);
      return response?.status === 200 ? JSON.parse(response.body) : undefined;
    } finally {
      client.socket.destroy();
    }
  }

  const NAMES = ['authorization', 'x-original-uri', 'x-original-method', 'x-auth-realm', 'cookie', 'x-forwarded-for', 'user-agent', 'accept'];
  const printable = (from: number) => fc.integer({ min: from, max: 0x7e }).map((code) => String.fromCharCode(code));
  const blanks = fc.string({ unit: fc.constantFrom(' ', '\t'), maxLength: 3 });
  const value = fc.tuple(blanks, fc.string({ unit: printable(0x20), maxLength: 24 }), blanks).map(([before, core, after]) => before + core + after);
  const field = (name: string) => fc.tuple(fc.mixedCase(fc.constant(name)), value);
  const heads = fc.record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
    path: fc.constantFrom(...PATHS),
    query: fc.option(fc.string({ unit: printable(0x21), maxLength: 12 }), { nil: undefined }),
    fields: fc.shuffledSubarray(NAMES, { maxLength: 6 }).chain((names) => fc.tuple(...['host', ...names].map(field))),
    hostAt: fc.nat(),
  });

  it('the same method, path and header values (differential, against a plain node:http server)', async () => {
    await fc.assert(
      fc.asyncProperty(heads, async ({ method, path, query, fields, hostAt }) => {
        const [host, ...others] = fields;
        others.splice(hostAt % (others.length + 1), 0, host!);
        const target = query === undefined ? path : `${path}?${query}`;
        const text = head(`${method} ${target} HTTP/1.1`, ...others.map(([name, v]) => `${name}:${v}`));

        const request = parseHead(text, PATHS, '127.0.0.1');
        expect(request, 'a well-formed sub-request is accepted').toBeDefined();
        if (!request) return;
        const node = await nodeReads(text);
        expect(node, 'Node answers it').toBeDefined();
        expect(request.method).toBe(node?.method);
        expect(request.path).toBe(node?.url.split(/[?#]/)[0]);
        for (const [name] of others) expect(request.header(name.toLowerCase()), name).toBe(node?.headers[name.toLowerCase()]);
      }),
      { numRuns: 100 },
    );
  });

  // Node refuses these (400 for a method its parser does not know, or a lower-case one, or HTTP/2's
  // preface; CONNECT is a tunnel request, dropped without a 'connect' listener), so they must go to Node.
  it.each(['get', 'FOO', 'PRI', 'CONNECT'])('a %s request, which Node refuses, is not accepted', async (method) => {
    const text = head(`${method} /api/authenticate HTTP/1.1`, 'Host: h');
    expect(await nodeReads(text)).toBeUndefined();
    expect(parseHead(text, PATHS, '127.0.0.1')).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------

describe('installFastPath on a real server', () => {
  it('answers an authenticate request itself and leaves any other path to Node', async () => {
    const { port, handled } = await startServer();
    const client = await connect(port);
    client.write(auth('/app?x=1', 'Authorization: Bearer t0k'));
    const [fast] = await client.read(1);
    expect(fast?.statusLine).toBe('HTTP/1.1 200 OK');
    expect(fast?.headers).toMatchObject({
      'x-served-by': 'fast',
      'x-auth-user': 'alice',
      'content-length': String(Buffer.byteLength('fast:GET /app?x=1')),
      connection: 'keep-alive',
      'keep-alive': 'timeout=65',
    });
    expect(Number.isNaN(Date.parse(fast?.headers.date ?? ''))).toBe(false);
    expect(fast?.body).toBe('fast:GET /app?x=1');
    expect(handled).toHaveLength(1);
    expect(handled[0]).toMatchObject({ method: 'GET', path: '/api/authenticate', remoteAddress: '127.0.0.1' });
    expect(handled[0]?.header('authorization')).toBe('Bearer t0k');

    client.write(req('GET', '/portal?x=1'));
    const [, node] = await client.read(2);
    expect(node?.headers['x-served-by']).toBe('node');
    expect(node?.body).toBe('node:GET /portal?x=1');
    expect(handled).toHaveLength(1);
  });

  it('answers pipelined requests in order, and Node keeps the connection after a hand-off', async () => {
    const { port, handled } = await startServer();
    const client = await connect(port);
    client.write(auth('/1') + auth('/2') + req('GET', '/other') + auth('/4'));
    const responses = await client.read(4);
    expect(servedBy(responses)).toEqual(['fast', 'fast', 'node', 'node']);
    expect(responses.map((r) => r.body)).toEqual(['fast:GET /1', 'fast:GET /2', 'node:GET /other', 'node:GET /api/authenticate']);
    expect(handled).toHaveLength(2);
  });

  it('leaves a head split across reads to Node, which answers it', async () => {
    const { port, handled } = await startServer();
    const client = await connect(port);
    const request = auth('/split');
    client.write(request.slice(0, 30));
    await delay(50);
    client.write(request.slice(30));
    const [response] = await client.read(1);
    expect(response?.headers['x-served-by']).toBe('node');
    expect(response?.body).toBe('node:GET /api/authenticate');
    expect(handled).toHaveLength(0);
  });

  it('keeps answers in request order when an earlier one is asynchronous', async () => {
    const { port } = await startServer({
      answer: (request) => (request.header('x-original-uri') === '/slow' ? delay(50).then(() => fastAnswer(request)) : fastAnswer(request)),
    });
    const client = await connect(port);
    client.write(auth('/slow') + auth('/quick'));
    const responses = await client.read(2);
    expect(responses.map((r) => r.body)).toEqual(['fast:GET /slow', 'fast:GET /quick']);
  });

  it('leaves a request with a body to Node, which reads the body as the body', async () => {
    const { port, handled } = await startServer();
    const client = await connect(port);
    client.write(`${head('POST /api/authenticate HTTP/1.1', 'Host: auth.test', 'Content-Length: 5')}\r\n\r\nhello`);
    const [post] = await client.read(1);
    expect(post).toMatchObject({ status: 200, body: 'node:POST /api/authenticate' });
    expect(post?.headers['x-request-body']).toBe('hello');
    // Had `hello` been taken for a request, the next answer would be Node's 400 for it.
    client.write(req('GET', '/after'));
    const responses = await client.read(2);
    expect(responses[1]).toMatchObject({ status: 200, body: 'node:GET /after' });
    expect(handled).toHaveLength(0);
  });

  it('leaves Content-Length: 0 with Transfer-Encoding to Node (which refuses it)', async () => {
    const { port, handled } = await startServer();
    const client = await connect(port);
    client.write(`${head('GET /api/authenticate HTTP/1.1', 'Host: auth.test', 'Content-Length: 0', 'Transfer-Encoding: chunked')}\r\n\r\n0\r\n\r\n`);
    const [response] = await client.read(1);
    expect(response?.status).toBe(400);
    expect(response?.headers['x-served-by']).toBeUndefined();
    await client.untilClosed();
    expect(handled).toHaveLength(0);
  });

  it('answers HEAD with the length of the body but no body', async () => {
    const { port, handled } = await startServer();
    const client = await connect(port, (index) => index === 0);
    client.write(req('HEAD', '/api/authenticate', 'X-Original-URI: /h') + auth('/next'));
    const [headResponse, next] = await client.read(2);
    expect(headResponse?.headers['content-length']).toBe(String(Buffer.byteLength('fast:HEAD /h')));
    expect(headResponse?.body).toBe('');
    expect(next?.body).toBe('fast:GET /next'); // framing intact: nothing was sent between the two
    expect(handled[0]?.method).toBe('HEAD');
  });

  it.each([
    ['a non-ASCII value', { 'X-Bad': 'café' }],
    ['a CR LF in a value', { 'X-Bad': 'a\r\nX-Injected: yes' }],
    ['a name that is not a token', { 'X Bad': 'a' }],
  ])('answers 503 and closes when the gateway sets %s', async (_, headers) => {
    const { port, errors } = await startServer({ answer: () => ({ status: 200, headers, body: 'x' }) });
    const client = await connect(port);
    client.write(auth());
    const [response] = await client.read(1);
    expect(response?.status).toBe(503);
    expect(response?.headers['retry-after']).toBe('5');
    expect(response?.headers['x-injected']).toBeUndefined();
    await client.untilClosed();
    expect(errors).toHaveLength(1);
  });

  it('handles none of the requests pipelined behind one it failed (the connection is closing)', async () => {
    const { port, handled, errors } = await startServer({
      answer: (request) => (request.header('x-original-uri') === '/bad' ? { status: 200, headers: { 'X-Bad': 'café' }, body: '' } : fastAnswer(request)),
    });
    const client = await connect(port);
    client.write(auth('/bad') + auth('/2') + auth('/3'));
    const responses = await client.read(1);
    await client.untilClosed();
    expect(responses[0]?.status).toBe(503);
    expect(client.responses()).toHaveLength(1);
    expect(errors).toHaveLength(1);
    expect(handled.map((r) => r.header('x-original-uri'))).toEqual(['/bad']);
  });

  it('still answers a request whose client half-closed, then closes', async () => {
    const { port } = await startServer({ answer: (request) => delay(50).then(() => fastAnswer(request)) });
    const client = await connect(port);
    client.write(auth('/late'));
    client.socket.end();
    const [response] = await client.read(1);
    expect(response?.body).toBe('fast:GET /late');
    await client.untilClosed();
  });

  it('closes a connection idle for keepAliveMs', async () => {
    const { port, fast } = await startServer({ keepAliveMs: 100 });
    const client = await connect(port);
    client.write(auth());
    await client.read(1);
    await client.untilClosed();
    await eventually(() => fast.size === 0, 'the server to drop the connection');
  });

  it('drains for shutdown: idle connections close now, a waiting one answers with Connection: close and then closes', async () => {
    let release = () => {};
    const { port, fast } = await startServer({
      answer: (request) => (request.header('x-original-uri') === '/wait' ? new Promise<GatewayResponse>((resolve) => (release = () => resolve(fastAnswer(request)))) : fastAnswer(request)),
    });
    const idle = await connect(port);
    idle.write(auth());
    await idle.read(1);
    const waiting = await connect(port);
    waiting.write(auth('/wait'));
    const node = await connect(port);
    node.write(req('GET', '/other'));
    await node.read(1);
    await eventually(() => fast.size === 2, 'two fast-path connections');

    fast.drain(50);
    await idle.untilClosed();
    await eventually(() => fast.size === 1, 'the idle connection to go');
    expect(waiting.closed).toBe(false);
    release();
    const [answer] = await waiting.read(1);
    expect(answer?.body).toBe('fast:GET /wait');
    expect(answer?.headers.connection).toBe('close');
    await waiting.untilClosed();
    node.write(req('GET', '/still-open')); // Node's connections are Node's to close (server.close)
    expect((await node.read(2))[1]?.body).toBe('node:GET /still-open');
  });

  it('drains for shutdown: a request that arrives on an idle connection within the grace is answered, with Connection: close', async () => {
    const { port, fast } = await startServer();
    const client = await connect(port);
    client.write(auth('/before'));
    await client.read(1);
    fast.drain(300);
    await delay(20);
    client.write(auth('/during-grace'));
    const answers = await client.read(2);
    expect(answers[1]?.body).toBe('fast:GET /during-grace');
    expect(answers[1]?.headers.connection).toBe('close');
    await client.untilClosed();
  });

  it('drains pipelined requests received before shutdown: every one answered, only the last says close', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), async (later) => {
        const { port, fast, handled } = await startServer({
          answer: (request) =>
            request.header('x-original-uri')?.includes('later') ? delay(request.header('x-original-uri') === '/first-later' ? 40 : 2).then(() => fastAnswer(request)) : fastAnswer(request),
        });
        const client = await connect(port);
        client.write(auth('/first-later') + later.map((l, i) => auth(l ? `/later-${i}` : `/now-${i}`)).join(''));
        await eventually(() => handled.length === 1, 'the first check to wait');
        fast.drain(50);
        const answers = await client.read(1 + later.length);
        expect(answers.map((a) => a.body)).toEqual(['fast:GET /first-later', ...later.map((l, i) => `fast:GET ${l ? `/later-${i}` : `/now-${i}`}`)]);
        expect(answers.map((a) => a.headers.connection)).toEqual([...Array(later.length).fill('keep-alive'), 'close']);
        await client.untilClosed();
      }),
      { numRuns: 15 },
    );
  });

  it('stops counting a connection once it is handed to Node', async () => {
    const { port, fast } = await startServer();
    const client = await connect(port);
    client.write(auth());
    await client.read(1);
    expect(fast.size).toBe(1);
    client.write(req('GET', '/other'));
    await client.read(2);
    expect(fast.size).toBe(0);
  });

  it('answers 503 and closes when the gateway throws, and goes on serving', async () => {
    const boom = new Error('boom');
    const { port, errors } = await startServer({
      answer: (request) => {
        if (request.header('x-original-uri') === '/throw') throw boom;
        return fastAnswer(request);
      },
    });
    const client = await connect(port);
    client.write(auth('/throw'));
    const [response] = await client.read(1);
    expect(response?.status).toBe(503);
    expect(response?.headers['retry-after']).toBe('5');
    await client.untilClosed();
    expect(errors).toEqual([boom]);

    const next = await connect(port);
    next.write(auth('/fine'));
    expect((await next.read(1))[0]?.body).toBe('fast:GET /fine');
  });
});

describe('a client that half-closes its side after its requests (FIN, as `printf ... | nc` sends)', () => {
  /** How a request is answered: by the fast path at once or after a wait, or handed to Node, which answers at once or after a wait. */
  type Answer = 'fast' | 'fast-later' | 'node' | 'node-later';
  const later = (how: string | undefined) => how?.endsWith('-later') === true;

  /** Request `i`; one for Node is on a path the fast path does not answer, so it and every request behind it go to Node. */
  const request = (i: number, how: Answer, waitMs = 5) => req('GET', how.startsWith('fast') ? '/api/authenticate' : `/other/${i}`, `X-Original-URI: /${i}`, `X-Answer: ${how}`, `X-Wait: ${waitMs}`);

  const answer = (request: GatewayRequest): MaybePromise<GatewayResponse> => {
    const response = { status: 200, headers: { 'X-Served-By': 'fast' }, body: `fast:${request.header('x-original-uri') ?? '-'}` };
    return later(request.header('x-answer')) ? delay(Number(request.header('x-wait'))).then(() => response) : response;
  };
  const node = (req: IncomingMessage, res: ServerResponse) => {
    const body = `node:${String(req.headers['x-original-uri'])}`;
    const send = () => {
      res.writeHead(200, { 'X-Served-By': 'node', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (later(String(req.headers['x-answer']))) setTimeout(send, Number(req.headers['x-wait']));
    else send();
  };

  const openConnections = (server: Server) => new Promise<number>((resolve, reject) => server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
  /** The server has let go of every connection: none on the fast path, none open at all. */
  const released = (harness: Harness) => eventually(async () => harness.fast.size === 0 && (await openConnections(harness.server)) === 0, 'the server to release the connection');

  /** What the client gets for `hows`: the fast path answers up to the first request it hands off; Node answers that one and the rest. */
  const expected = (hows: readonly Answer[]) => {
    const handOff = hows.findIndex((how) => how.startsWith('node'));
    return hows.map((_, i) => `${handOff === -1 || i < handOff ? 'fast' : 'node'}:/${i}`);
  };

  async function pipelineThenEnd(harness: Harness, bytes: string): Promise<RawResponse[]> {
    const client = await connect(harness.port);
    client.write(bytes);
    client.socket.end();
    await client.untilClosed();
    await released(harness);
    return client.responses();
  }

  it('answers every one of several checks whose answers wait, in order, then closes', async () => {
    const harness = await startServer({ answer, node });
    const hows: Answer[] = ['fast-later', 'fast-later', 'fast', 'fast-later'];
    const responses = await pipelineThenEnd(harness, hows.map((how, i) => request(i, how)).join(''));
    expect(responses.map((r) => r.body)).toEqual(expected(hows));
  });

  it('a request handed to Node behind the FIN is answered by Node, even when its answer waits, then the connection closes', async () => {
    const harness = await startServer({ answer, node });
    for (const hows of [
      ['fast', 'node-later', 'fast'],
      ['fast-later', 'node', 'fast-later'],
    ] satisfies Answer[][]) {
      const responses = await pipelineThenEnd(harness, hows.map((how, i) => request(i, how)).join(''));
      expect(responses.map((r) => r.body)).toEqual(expected(hows));
    }
  });

  it('answers 2 to 20 pipelined requests, in order, then closes (property: answered at once or later, by the fast path or by Node)', async () => {
    const harness = await startServer({ answer, node });
    const requests = fc.array(fc.record({ how: fc.constantFrom<Answer>('fast', 'fast-later', 'node', 'node-later'), waitMs: fc.integer({ min: 0, max: 10 }) }), {
      minLength: 2,
      maxLength: 20,
    });
    await fc.assert(
      fc.asyncProperty(requests, async (sent) => {
        const responses = await pipelineThenEnd(harness, sent.map(({ how, waitMs }, i) => request(i, how, waitMs)).join(''));
        expect(responses.map((r) => r.body)).toEqual(expected(sent.map(({ how }) => how)));
      }),
      { numRuns: 60 },
    );
  });

  it('answers the whole requests before one the FIN cut short, then closes (property)', async () => {
    const harness = await startServer({ answer, node });
    const requests = fc.array(fc.record({ how: fc.constantFrom<Answer>('fast', 'fast-later'), waitMs: fc.integer({ min: 0, max: 10 }) }), { minLength: 1, maxLength: 10 });
    await fc.assert(
      fc.asyncProperty(requests, fc.nat(), async (sent, cut) => {
        const whole = request(sent.length, 'fast');
        const partial = whole.slice(0, 1 + (cut % (whole.length - 1)));
        const responses = await pipelineThenEnd(harness, sent.map(({ how, waitMs }, i) => request(i, how, waitMs)).join('') + partial);
        expect(responses.slice(0, sent.length).map((r) => r.body)).toEqual(expected(sent.map(({ how }) => how)));
        // The cut-short request is Node's to judge: at most its 400, never an answer to it.
        expect(responses.slice(sent.length).map((r) => r.status)).toEqual(responses.length > sent.length ? [400] : []);
      }),
      { numRuns: 40 },
    );
  });

  it('closes a connection the client half-closes without sending anything', async () => {
    const harness = await startServer({ answer, node });
    expect(await pipelineThenEnd(harness, '')).toEqual([]);
  });

  it('answers 503 to a check whose answer fails after a wait, drops the requests behind it, and closes', async () => {
    const harness = await startServer({
      answer: (request) => (request.header('x-original-uri') === '/0' ? delay(5).then(() => ({ status: 200, headers: { 'X-Bad': 'café' }, body: '' })) : answer(request)),
    });
    const responses = await pipelineThenEnd(harness, request(0, 'fast-later') + request(1, 'fast') + request(2, 'fast-later'));
    expect(responses.map((r) => r.status)).toEqual([503]);
    expect(harness.handled.map((r) => r.header('x-original-uri'))).toEqual(['/0']);
    expect(harness.errors).toHaveLength(1);
  });
});

describe('serialise', () => {
  it('writes a shared (frozen) header object the same way every time, and still refuses an unsafe one every time', () => {
    const headers = Object.freeze({ Authorization: 'Bearer abc', 'Cache-Control': 'no-store' });
    const first = serialise({ status: 200, headers, body: '' }, false, 'timeout=65');
    expect(first).toMatch(
      /^HTTP\/1\.1 200 OK\r\nAuthorization: Bearer abc\r\nCache-Control: no-store\r\nContent-Length: 0\r\nDate: [^\r]+\r\nConnection: keep-alive\r\nKeep-Alive: timeout=65\r\n\r\n$/,
    );
    expect(serialise({ status: 200, headers, body: '' }, false, 'timeout=65').replace(/Date: [^\r]+/, '')).toBe(first.replace(/Date: [^\r]+/, ''));
    const unsafe = Object.freeze({ 'X-Bad': 'a\r\nSet-Cookie: x=1' });
    for (let i = 0; i < 2; i++) expect(() => serialise({ status: 200, headers: unsafe, body: '' }, false, 'timeout=65')).toThrow(/unsafe response header/);
  });
});

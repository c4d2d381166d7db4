import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';

/** One request as the upstream saw it. */
export interface UpstreamRequest {
  method: string;
  path: string;
  /** The raw path and query, as sent (to check encoding). */
  rawUrl: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON or as a form, when it is one. */
  json?: Record<string, unknown>;
  form?: URLSearchParams;
}

/** What the upstream answers; the misbehaviours are what a provider must survive. */
export type Reply =
  | { status: number; json?: unknown; contentType?: string; delayMs?: number }
  | { status: number; text: string; contentType?: string; delayMs?: number }
  | { hang: true }
  /** A JSON body of about `bytes` bytes, streamed without Content-Length. */
  | { oversized: number }
  /** Closes the connection without answering. */
  | { reset: true };

export type Handler = (request: UpstreamRequest) => Reply | Promise<Reply>;

/** A real HTTP server on 127.0.0.1 whose answers each test scripts (no stubbed fetch). */
export interface Upstream {
  url: string;
  requests: UpstreamRequest[];
  setHandler(handler: Handler): void;
  close(): Promise<void>;
}

export async function startUpstream(handler: Handler): Promise<Upstream> {
  let current = handler;
  const requests: UpstreamRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://upstream');
      const body = Buffer.concat(chunks).toString('utf8');
      const type = req.headers['content-type'] ?? '';
      const request: UpstreamRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        rawUrl: req.url ?? '/',
        query: url.searchParams,
        headers: req.headers,
        body,
        ...(type.startsWith('application/json') && body ? { json: JSON.parse(body) as Record<string, unknown> } : {}),
        ...(type.startsWith('application/x-www-form-urlencoded') ? { form: new URLSearchParams(body) } : {}),
      };
      requests.push(request);
      Promise.resolve(current(request)).then(
        (reply) => send(res, reply),
        () => send(res, { status: 500, text: 'handler failed' }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setHandler: (next) => (current = next),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: ServerResponse, reply: Reply): void {
  if ('hang' in reply) return; // keeps the socket open, never answers
  if ('reset' in reply) return void res.socket?.destroy();
  if ('oversized' in reply) {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.write('{"uid":"x","padding":"');
    const chunk = 'a'.repeat(16 * 1024);
    for (let sent = 0; sent < reply.oversized; sent += chunk.length) res.write(chunk);
    return void res.end('"}');
  }
  const write = () => {
    const isJson = 'json' in reply && reply.json !== undefined;
    const body = 'text' in reply ? reply.text : isJson ? JSON.stringify(reply.json) : '';
    const contentType = reply.contentType ?? (isJson ? 'application/json' : 'text/plain');
    if (!res.destroyed) res.writeHead(reply.status, { 'Content-Type': contentType }).end(body);
  };
  if (reply.delayMs) setTimeout(write, reply.delayMs);
  else write();
}

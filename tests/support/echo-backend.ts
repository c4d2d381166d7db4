import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';

export interface EchoBackendOptions {
  /** Where the gateway publishes its keys (`<app>/.well-known/jwks.json`). */
  jwksUrl: string;
  issuer: string;
  audience: string;
}

/** One request as the protected backend saw it. */
export interface ReceivedRequest {
  method: string;
  /** The raw request target, exactly as nginx sent it. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The verified claims; undefined when the JWT was missing or invalid. */
  claims?: JWTPayload;
  error?: string;
}

export interface EchoBackend {
  url: string;
  /** `127.0.0.1:<port>`, for an nginx upstream. */
  address: string;
  received: ReceivedRequest[];
  clear(): void;
  close(): Promise<void>;
}

const LEGACY_HEADERS = ['x-auth-username', 'x-auth-realm', 'x-auth-roles'] as const;

/**
 * The service behind nginx, doing what a real backend must: accept a request only with a JWT that
 * verifies against the gateway's JWKS, for our issuer and audience.
 */
export async function startEchoBackend(options: EchoBackendOptions): Promise<EchoBackend> {
  const jwks = createRemoteJWKSet(new URL(options.jwksUrl));
  const received: ReceivedRequest[] = [];

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const record: ReceivedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() };
      received.push(record);
      verify(req.headers.authorization)
        .then((claims) => {
          record.claims = claims;
          const legacy = Object.fromEntries(LEGACY_HEADERS.map((h) => [h, req.headers[h]]));
          send(res, 200, { method: record.method, path: record.path, claims, headers: legacy });
        })
        .catch((error: unknown) => {
          record.error = error instanceof Error ? error.message : String(error);
          send(res, 401, { error: record.error });
        });
    });
  });

  async function verify(authorization: string | undefined): Promise<JWTPayload> {
    const match = /^Bearer (\S+)$/.exec(authorization ?? '');
    if (!match?.[1]) throw new Error('no bearer JWT');
    const { payload } = await jwtVerify(match[1], jwks, { issuer: options.issuer, audience: options.audience, requiredClaims: ['exp', 'sub'] });
    return payload;
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    address: `127.0.0.1:${port}`,
    received,
    clear: () => void received.splice(0),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections(); // nginx keeps upstream connections alive
        server.close(() => resolve());
      }),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';

export type JwksMode = 'ok' | 'hang' | 'error' | 'garbage';

/** A real identity provider's JWKS endpoint on loopback, with a key generated at test time. */
export interface TestIssuer {
  issuer: string;
  jwksUri: string;
  /** Signs a JWT with the published key (override claims or header as a test needs). */
  sign(claims: JWTPayload, options?: { expiresIn?: string | number; kid?: string; alg?: string; issuer?: string }): Promise<string>;
  publicJwk: JWK;
  setMode(mode: JwksMode): void;
  requests(): number;
  close(): Promise<void>;
}

export async function startTestIssuer(): Promise<TestIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid: 'test-key-1', alg: 'RS256', use: 'sig' };
  let mode: JwksMode = 'ok';
  let count = 0;
  const server: Server = createServer((req, res) => {
    count += 1;
    if (mode === 'hang') return; // never answers
    if (mode === 'error') return void res.writeHead(500).end('boom');
    if (mode === 'garbage') return void res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"keys": 42');
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ keys: [publicJwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const issuer = `http://127.0.0.1:${port}`;
  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    publicJwk,
    async sign(claims, options = {}) {
      return new SignJWT(claims)
        .setProtectedHeader({ alg: options.alg ?? 'RS256', kid: options.kid ?? 'test-key-1' })
        .setIssuer(options.issuer ?? issuer)
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? '5m')
        .sign(privateKey);
    },
    setMode: (next) => (mode = next),
    requests: () => count,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashSecret } from '../../lib/crypto/secrets';
import { DATABASE_KINDS, startApp, type RunningApp } from '../support/app';
import { startEchoBackend, type EchoBackend } from '../support/echo-backend';
import { startTestIssuer, type TestIssuer } from '../support/jwks-server';
import { freePort, rawRequest, startNginx, TEST_PROXY_SECRET, type RawResponse, type RunningNginx } from '../support/nginx';

const ISS = 'https://auth.nginx-test.example';
const AUD = 'nginx-test-backend';
// Generated per run: nothing here is a real secret, and nothing can be guessed from the repository.
const ALICE = { username: 'alice', password: `alice-${randomBytes(12).toString('base64url')}` };
const BOB = { username: 'bob', password: `bob-${randomBytes(12).toString('base64url')}` };
const CHALLENGE = 'Basic realm="local", Bearer realm="ecmwf"';
const INTERNAL_HOST = 'internal.example.org';

// auth-o-tron's own nginx example, verbatim in shape (docs/src/deployment/nginx.md): its configs keep working.
const AUTH_O_TRON_LOCATIONS = `
        location = /_aot_auth {
            internal;
            proxy_pass http://auth_o_tron/authenticate;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-URI $request_uri;
            proxy_set_header X-Original-Method $request_method;
            proxy_set_header X-Original-Host $host;
        }
        location /legacy/ {
            auth_request /_aot_auth;
            auth_request_set $auth_jwt $upstream_http_authorization;
            proxy_set_header Authorization $auth_jwt;
            proxy_pass http://backend;
        }`;

function basic(user: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;
}

function json(response: RawResponse): Record<string, unknown> {
  return JSON.parse(response.body) as Record<string, unknown>;
}

/** Values of one header as sent on the wire (Node would merge duplicates). */
function headerValues(response: RawResponse, name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < response.rawHeaders.length; i += 2) {
    if (response.rawHeaders[i]?.toLowerCase() === name) values.push(response.rawHeaders[i + 1] ?? '');
  }
  return values;
}

async function appConfig(issuer: TestIssuer): Promise<Record<string, unknown>> {
  return {
    version: '2.0.0',
    providers: [
      {
        type: 'plain',
        name: 'local-users',
        realm: 'local',
        users: [
          { username: ALICE.username, password_hash: await hashSecret(ALICE.password), roles: ['editor'] },
          { username: BOB.username, password: BOB.password, roles: ['viewer'] }, // auth-o-tron's plaintext form
        ],
      },
      // Its JWKS answers 500 throughout: a Bearer JWT for it yields the gateway's 503.
      { type: 'jwt', name: 'flaky-idp', realm: 'ecmwf', cert_uri: issuer.jwksUri },
    ],
    services: [{ name: 'polytope', scopes: ['read', 'write'] }],
    // A method rule, a path-only rule and a host rule (none of these users is an admin).
    policies: [
      { match: { methods: ['POST'], path: '/api/v1/**' }, require: { roles_any: ['editor'] } },
      { match: { path: '/api/v1/admin/**' }, require: { roles_any: ['admin'] } },
      { match: { host: INTERNAL_HOST }, require: { roles_any: ['admin'] } },
    ],
    include_legacy_headers: true,
    jwt: { iss: ISS, aud: AUD, exp: 120 },
    auth: { timeout_in_ms: 2000 },
  };
}

describe.each(DATABASE_KINDS)('nginx in front of the gateway (%s)', (database) => {
  let issuer: TestIssuer;
  let app: RunningApp;
  let backend: EchoBackend;
  let nginx: RunningNginx;

  beforeAll(async () => {
    issuer = await startTestIssuer();
    issuer.setMode('error');
    app = await startApp({ config: await appConfig(issuer), database });
    backend = await startEchoBackend({ jwksUrl: `${app.url}/.well-known/jwks.json`, issuer: ISS, audience: AUD });
    nginx = await startNginx({ appAddresses: [`127.0.0.1:${app.port}`], backendAddress: backend.address, extraServerConfig: AUTH_O_TRON_LOCATIONS });
  });

  afterAll(async () => {
    await nginx?.stop();
    await backend?.close();
    await app?.stop();
    await issuer?.close();
  });

  beforeEach(() => backend.clear());

  it('passes an allowed request to the backend with a verified JWT instead of the password', async () => {
    const response = await rawRequest(nginx.url, '/api/v1/items?page=2', {
      // Forged legacy headers must not reach the backend.
      headers: { Authorization: basic(ALICE), 'X-Auth-Username': 'mallory', 'X-Auth-Roles': 'admin' },
    });
    expect(response.status, nginx.errorLog()).toBe(200);
    expect(backend.received).toHaveLength(1);
    const [seen] = backend.received;
    expect(seen?.error).toBeUndefined();
    expect(seen?.path).toBe('/api/v1/items?page=2');
    expect(seen?.claims).toMatchObject({
      iss: ISS,
      aud: AUD,
      sub: 'local-alice',
      username: 'alice',
      realm: 'local',
      roles: ['editor'],
      scopes: { polytope: ['read', 'write'] },
      auth: { method: 'plain', provider: 'local-users' },
    });
    const claims = seen?.claims ?? {};
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBeLessThanOrEqual(120);
    expect(seen?.headers['x-auth-username']).toBe('alice');
    expect(seen?.headers['x-auth-realm']).toBe('local');
    expect(seen?.headers['x-auth-roles']).toBe('editor');

    const everything = JSON.stringify(seen?.headers);
    expect(everything).not.toContain(ALICE.password);
    expect(everything).not.toContain(basic(ALICE).slice('Basic '.length));
    expect(json(response)).toMatchObject({ method: 'GET', claims: { sub: 'local-alice' } });
  });

  it('accepts the plaintext user too, with its own roles', async () => {
    const response = await rawRequest(nginx.url, '/api/v1/items', { headers: { Authorization: basic(BOB) } });
    expect(response.status).toBe(200);
    expect(backend.received[0]?.claims).toMatchObject({ sub: 'local-bob', username: 'bob', roles: ['viewer'] });
    expect(backend.received[0]?.headers['x-auth-roles']).toBe('viewer');
  });

  it('answers 401 with the gateway challenge, once, without reaching the backend', async () => {
    const direct = await rawRequest(app.url, '/api/authenticate');
    expect(direct.headers['www-authenticate']).toBe(CHALLENGE);

    const wrong = { ...ALICE, password: 'not-her-password' };
    const unknown = { username: 'mallory', password: ALICE.password };
    for (const authorization of [undefined, basic(wrong), basic(unknown), 'Bearer not-a-jwt']) {
      const headers: Record<string, string> = authorization ? { Authorization: authorization } : {};
      const response = await rawRequest(nginx.url, '/api/v1/items', { headers });
      expect(response.status).toBe(401);
      expect(headerValues(response, 'www-authenticate')).toEqual([CHALLENGE]);
      expect(response.headers.location).toBeUndefined(); // API clients are never redirected
      expect(json(response)).toMatchObject({ error: 'unauthorized' });
    }
    expect(backend.received).toHaveLength(0);
  });

  it('forwards X-Auth-Realm: a realm without a Basic provider refuses and narrows the challenge', async () => {
    const response = await rawRequest(nginx.url, '/api/v1/items', { headers: { Authorization: basic(ALICE), 'X-Auth-Realm': 'ecmwf' } });
    expect(response.status).toBe(401);
    expect(headerValues(response, 'www-authenticate')).toEqual(['Bearer realm="ecmwf"']);
    expect(backend.received).toHaveLength(0);
  });

  it('answers 403 when a policy denies, and lets the allowed method through', async () => {
    const denied = await rawRequest(nginx.url, '/api/v1/items', { method: 'POST', headers: { Authorization: basic(BOB), 'Content-Type': 'application/json' }, body: '{"a":1}' });
    expect(denied.status).toBe(403);
    expect(json(denied)).toMatchObject({ error: 'forbidden' });
    // The reason survives nginx (which drops the auth sub-request's body) in a header.
    expect(JSON.parse(headerValues(denied, 'x-auth-denied')[0] ?? '{}')).toMatchObject({ missing: { roles_any: expect.any(Array) } });
    expect(backend.received).toHaveLength(0);

    const allowed = await rawRequest(nginx.url, '/api/v1/items', { method: 'POST', headers: { Authorization: basic(ALICE), 'Content-Type': 'application/json' }, body: '{"a":1}' });
    expect(allowed.status).toBe(200);
    expect(backend.received).toHaveLength(1);
    expect(backend.received[0]).toMatchObject({ method: 'POST', body: '{"a":1}' });
  });

  it.each([
    ['the path rule', '/api/v1/admin/users', 'api.example.org', { rule: 1, missing: { roles_any: ['admin'] } }],
    ['the path rule, through a dot segment', '/api/v1/public/%2e%2e/admin/users', 'api.example.org', { rule: 1 }],
    ['the host rule', '/api/v1/items', INTERNAL_HOST, { rule: 2, missing: { roles_any: ['admin'] } }],
    ['the host rule, in another case and with a port', '/api/v1/items', 'Internal.Example.org:80', { rule: 2 }],
  ])('answers 403 for %s, with X-Auth-Denied, and 200 elsewhere', async (_, rawPath, host, rule) => {
    const denied = await rawRequest(nginx.url, rawPath, { headers: { Authorization: basic(ALICE), Host: host } });
    expect(denied.status, nginx.errorLog()).toBe(403);
    expect(JSON.parse(headerValues(denied, 'x-auth-denied')[0] ?? '{}')).toMatchObject(rule);
    expect(backend.received).toHaveLength(0);
    expect((await rawRequest(nginx.url, '/api/v1/items', { headers: { Authorization: basic(ALICE), Host: 'api.example.org' } })).status).toBe(200);
    expect((await rawRequest(nginx.url, '/api/v1/public/users', { headers: { Authorization: basic(ALICE), Host: 'api.example.org' } })).status).toBe(200);
    expect(backend.received).toHaveLength(2);
  });

  it.each(['/api/v1/../v1/items', '/api//v1/items', '/api/v1/%2e%2e/v1/items', '/api/x/../v1/items', '/api/v1/./items', '/api/v1//../v1/items'])(
    'does not let %s slip past the policy',
    async (rawPath) => {
      const response = await rawRequest(nginx.url, rawPath, { method: 'POST', headers: { Authorization: basic(BOB) }, body: '{}' });
      expect(response.status).toBe(403);
      expect(backend.received).toHaveLength(0);
    },
  );

  it('redirects a browser path to sign-in on 401, but not the API path', async () => {
    const browser = await rawRequest(nginx.url, '/app/dashboard?tab=tokens');
    expect(browser.status).toBe(302);
    expect(browser.headers.location).toBe('/signin?callbackUrl=/app/dashboard?tab=tokens');

    const api = await rawRequest(nginx.url, '/api/v1/dashboard');
    expect(api.status).toBe(401);
    expect(api.headers.location).toBeUndefined();
    expect(backend.received).toHaveLength(0);

    const signedIn = await rawRequest(nginx.url, '/app/dashboard', { headers: { Authorization: basic(ALICE) } });
    expect(signedIn.status).toBe(200);
    expect(backend.received[0]?.claims).toMatchObject({ sub: 'local-alice' });
  });

  it('publishes the JWKS through nginx, and its keys verify the JWT from /authenticate', async () => {
    const viaNginx = await rawRequest(nginx.url, '/.well-known/jwks.json');
    expect(viaNginx.status).toBe(200);
    const jwks = JSON.parse(viaNginx.body) as JSONWebKeySet;
    expect(jwks.keys.length).toBeGreaterThan(0);
    expect(jwks).toEqual(JSON.parse((await rawRequest(app.url, '/.well-known/jwks.json')).body));

    // auth-o-tron's path, through the portal location: with policies configured, a check that names no
    // original request is refused (nginx clears X-Original-* there); asked as an auth sub-request, it answers.
    const direct = await rawRequest(nginx.url, '/authenticate', { headers: { Authorization: basic(ALICE), 'X-Original-URI': '/api/v1/items' } });
    expect(direct.status).toBe(403);
    expect(json(direct)).toMatchObject({ message: 'original request unknown' });
    const answer = await rawRequest(app.url, '/authenticate', {
      headers: { Authorization: basic(ALICE), 'X-Original-URI': '/api/v1/items', 'X-Original-Method': 'GET', 'X-Original-Host': 'api.example.org' },
    });
    expect(answer.status).toBe(200);
    const token = /^Bearer (\S+)$/.exec(answer.headers.authorization ?? '')?.[1] ?? '';
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer: ISS, audience: AUD });
    expect(payload).toMatchObject({ sub: 'local-alice', roles: ['editor'] });
  });

  it('reuses its connections to the gateway: checks, allowed, refused and denied, pay no TCP connection each', async () => {
    const connections = async () => Number(/^authotron_http_connections_total (\d+)$/m.exec(await (await fetch(`${app.url}/api/metrics`)).text())?.[1]);
    const before = await connections();
    for (let i = 0; i < 10; i++) {
      expect((await rawRequest(nginx.url, '/api/v1/items', { headers: { Authorization: basic(ALICE) } })).status).toBe(200);
      expect((await rawRequest(nginx.url, '/api/v1/items', { headers: { Authorization: 'Bearer nonsense' } })).status).toBe(401);
      expect((await rawRequest(nginx.url, '/api/v1/items', { method: 'POST', headers: { Authorization: basic(BOB) } })).status).toBe(403);
    }
    // 30 checks; the metrics calls above and below add one connection each.
    expect((await connections()) - before).toBeLessThanOrEqual(4);
  });

  it('keeps an auth-o-tron nginx config working (auth_request to /authenticate)', async () => {
    const allowed = await rawRequest(nginx.url, '/legacy/thing', { headers: { Authorization: basic(ALICE) } });
    expect(allowed.status).toBe(200);
    expect(backend.received[0]?.claims).toMatchObject({ sub: 'local-alice', aud: AUD });

    const refused = await rawRequest(nginx.url, '/legacy/thing');
    expect(refused.status).toBe(401);
    expect(headerValues(refused, 'www-authenticate')).toEqual([CHALLENGE]);
    expect(backend.received).toHaveLength(1);
  });

  it('turns a gateway 503 (nginx: 500) back into 503 with Retry-After', async () => {
    const token = await issuer.sign({ sub: 'carol' });
    const direct = await rawRequest(app.url, '/api/authenticate', { headers: { Authorization: `Bearer ${token}` } });
    expect(direct.status).toBe(503);

    const response = await rawRequest(nginx.url, '/api/v1/items', { headers: { Authorization: `Bearer ${token}` } });
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(json(response)).toMatchObject({ error: 'unavailable' });
    expect(backend.received).toHaveLength(0);
  });

  it('fails over between app replicas, and answers 503 when none is reachable', async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const failover = await startNginx({ appAddresses: [dead, `127.0.0.1:${app.port}`], backendAddress: backend.address });
    const down = await startNginx({ appAddresses: [dead], backendAddress: backend.address });
    try {
      for (let i = 0; i < 4; i += 1) {
        // POST too: an auth check has no side effect, so nginx may retry it on the next replica.
        const response = await rawRequest(failover.url, '/api/v1/items', { method: 'POST', headers: { Authorization: basic(ALICE) }, body: '{}' });
        expect(response.status, failover.errorLog()).toBe(200);
      }
      const unavailable = await rawRequest(down.url, '/api/v1/items', { headers: { Authorization: basic(ALICE) } });
      expect(unavailable.status).toBe(503);
      expect(unavailable.headers['retry-after']).toBe('5');
      const browser = await rawRequest(down.url, '/app/dashboard');
      expect(browser.status).toBe(503);
    } finally {
      await failover.stop();
      await down.stop();
    }
    expect(backend.received).toHaveLength(4);
  });
});

/** A stand-in gateway that records exactly what nginx's /_auth sub-request carries. */
interface StubGateway {
  address: string;
  jwksUrl: string;
  seen: IncomingHttpHeaders[];
  close(): Promise<void>;
}

async function startStubGateway(): Promise<StubGateway> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'stub', alg: 'ES256' };
  const seen: IncomingHttpHeaders[] = [];
  const server: Server = createServer((req, res) => {
    if (req.url === '/.well-known/jwks.json') return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    seen.push(req.headers);
    // A client certificate or the stub's one password is enough.
    if (!req.headers['x-ssl-client-cert'] && req.headers.authorization !== 'Basic c3R1Yjpvaw==') {
      return void res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="stub"' }).end();
    }
    new SignJWT({ username: 'stub' })
      .setProtectedHeader({ alg: 'ES256', kid: 'stub' })
      .setIssuer(ISS)
      .setAudience(AUD)
      .setSubject('stub-stub')
      .setExpirationTime('1m')
      .sign(privateKey)
      .then((jwt) => res.writeHead(200, { Authorization: `Bearer ${jwt}` }).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    address: `127.0.0.1:${port}`,
    jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A CA, a server certificate for 127.0.0.1, a client certificate it signed, and one from a stranger CA. */
function makeCertificates(dir: string): Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey' | 'strangerCert' | 'strangerKey', string> {
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl('req', '-x509', ...newKey, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=nginx test CA', '-days', '1');
  openssl('req', '-x509', ...newKey, '-keyout', 'stranger-ca.key', '-out', 'stranger-ca.crt', '-subj', '/CN=stranger CA', '-days', '1');
  const issue = (name: string, subject: string, ca: string, extensions: string[] = []) => {
    openssl('req', ...newKey, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', ...extensions);
  };
  issue('server', '/CN=127.0.0.1', 'ca', ['-extfile', writeExtensions(dir)]);
  issue('client', '/CN=alice', 'ca');
  issue('stranger', '/CN=mallory', 'stranger-ca');
  return {
    ca: file('ca.crt'),
    serverCert: file('server.crt'),
    serverKey: file('server.key'),
    clientCert: file('client.crt'),
    clientKey: file('client.key'),
    strangerCert: file('stranger.crt'),
    strangerKey: file('stranger.key'),
  };
}

function writeExtensions(dir: string): string {
  const extensions = path.join(dir, 'server.ext');
  writeFileSync(extensions, 'subjectAltName=IP:127.0.0.1\n'); // so Node accepts the server certificate for 127.0.0.1
  return extensions;
}

describe('nginx TLS listener and what /_auth forwards', () => {
  let dir: string;
  let files: ReturnType<typeof makeCertificates>;
  let gateway: StubGateway;
  let backend: EchoBackend;
  let nginx: RunningNginx;
  const pem = (name: keyof typeof files) => readFileSync(files[name], 'utf8');

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'aot-nginx-tls-'));
    files = makeCertificates(dir);
    gateway = await startStubGateway();
    backend = await startEchoBackend({ jwksUrl: gateway.jwksUrl, issuer: ISS, audience: AUD });
    nginx = await startNginx({
      appAddresses: [gateway.address],
      backendAddress: backend.address,
      tls: { certFile: files.serverCert, keyFile: files.serverKey, clientCaFile: files.ca },
    });
  });

  afterAll(async () => {
    await nginx?.stop();
    await backend?.close();
    await gateway?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    gateway.seen.splice(0);
    backend.clear();
  });

  it('passes a verified client certificate to the gateway as X-SSL-Client-Cert', async () => {
    const response = await rawRequest(nginx.tlsUrl ?? '', '/api/v1/items', { tls: { ca: pem('ca'), cert: pem('clientCert'), key: pem('clientKey') } });
    expect(response.status, nginx.errorLog()).toBe(200);
    const forwarded = gateway.seen[0]?.['x-ssl-client-cert'];
    expect(typeof forwarded).toBe('string');
    expect(decodeURIComponent(String(forwarded)).trim()).toBe(pem('clientCert').trim());
    expect(backend.received[0]?.claims).toMatchObject({ sub: 'stub-stub' });
  });

  it('sends no certificate header over TLS without a client certificate', async () => {
    const response = await rawRequest(nginx.tlsUrl ?? '', '/api/v1/items', { tls: { ca: pem('ca') } });
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Basic realm="stub"');
    expect(gateway.seen[0]?.['x-ssl-client-cert']).toBeUndefined();
  });

  it('refuses a client certificate from another CA before asking the gateway', async () => {
    const response = await rawRequest(nginx.tlsUrl ?? '', '/api/v1/items', { tls: { ca: pem('ca'), cert: pem('strangerCert'), key: pem('strangerKey') } });
    expect(response.status).toBe(400);
    expect(gateway.seen).toHaveLength(0);
    expect(backend.received).toHaveLength(0);
  });

  const FORGED = {
    'X-Original-URI': '/public',
    'X-Original-URL': 'http://elsewhere.example/public',
    'X-Original-Method': 'GET',
    'X-Original-Host': 'elsewhere.example',
    'X-Forwarded-Uri': '/public',
    'X-Forwarded-Method': 'GET',
    'X-SSL-Client-Cert': 'forged',
    'X-Aot-Proxy-Secret': 'guessed',
    'X-Forwarded-For': '203.0.113.66',
    'X-Real-IP': '203.0.113.66',
  };
  // The client address headers are nginx's own word on the way to the app; every other one is gone.
  const OVERWRITTEN: Record<string, string> = { 'x-forwarded-for': '127.0.0.1', 'x-real-ip': '127.0.0.1' };

  it('forwards only what the gateway reads to the API check: forged X-Original-*, certificate, secret and cookies are dropped', async () => {
    const response = await rawRequest(nginx.url, '/api/v1/items?x=1', {
      method: 'DELETE',
      headers: {
        Authorization: 'Basic c3R1Yjpvaw==',
        'X-Auth-Realm': 'stub-realm',
        ...FORGED,
        'X-Forwarded-For': '203.0.113.9',
        Cookie: 'session=secret',
        Origin: 'https://evil.example',
        Host: 'api.example.org',
      },
    });
    expect(response.status).toBe(200);
    const seen = gateway.seen[0] ?? {};
    expect(seen).toMatchObject({
      authorization: 'Basic c3R1Yjpvaw==',
      'x-auth-realm': 'stub-realm',
      'x-original-uri': '/api/v1/items?x=1',
      'x-original-method': 'DELETE',
      'x-original-host': 'api.example.org',
      'x-forwarded-for': '203.0.113.9, 127.0.0.1', // the app trusts only what its trusted proxies appended
      'x-real-ip': '127.0.0.1',
      'x-aot-proxy-secret': TEST_PROXY_SECRET,
    });
    for (const name of ['x-ssl-client-cert', 'x-original-url', 'x-forwarded-uri', 'x-forwarded-method', 'content-length', 'origin']) expect(seen[name], name).toBeUndefined();
    expect(seen.cookie).toBeUndefined(); // API locations never carry the portal session (CSRF)
  });

  it('forwards the cookie, Origin and Sec-Fetch-Site for browser locations only', async () => {
    const response = await rawRequest(nginx.url, '/app/page', {
      method: 'POST',
      headers: { Authorization: 'Basic c3R1Yjpvaw==', ...FORGED, Cookie: 'authjs.session-token=x', Origin: 'http://api.example.org', 'Sec-Fetch-Site': 'same-origin', Host: 'api.example.org' },
    });
    expect(response.status).toBe(200);
    expect(gateway.seen[0]).toMatchObject({
      cookie: 'authjs.session-token=x',
      origin: 'http://api.example.org',
      'sec-fetch-site': 'same-origin',
      'x-original-uri': '/app/page',
      'x-original-method': 'POST',
      'x-aot-proxy-secret': TEST_PROXY_SECRET,
    });
    expect(gateway.seen[0]?.['x-ssl-client-cert']).toBeUndefined();
  });

  it.each(['/api/authenticate', '/authenticate', '/api/whoami', '/whoami', '/tokens', '/api/tokens', '/api/metrics'])(
    'clears every header the gateway trusts on the way to the app itself (%s)',
    async (appPath) => {
      await rawRequest(nginx.url, appPath, { method: 'POST', headers: { Authorization: 'Basic c3R1Yjpvaw==', ...FORGED } });
      await rawRequest(nginx.tlsUrl ?? '', appPath, { headers: FORGED, tls: { ca: pem('ca'), cert: pem('clientCert'), key: pem('clientKey') } });
      expect(gateway.seen).toHaveLength(2);
      for (const seen of gateway.seen) {
        for (const name of Object.keys(FORGED).map((n) => n.toLowerCase())) expect(seen[name], `${appPath}: ${name}`).toBe(OVERWRITTEN[name]);
      }
    },
  );
});

describe('client certificates end to end: nginx verifies TLS, the x509 provider maps the user', () => {
  let dir: string;
  let files: ReturnType<typeof makeCertificates>;
  let app: RunningApp;
  let backend: EchoBackend;
  let nginx: RunningNginx;
  const pem = (name: keyof typeof files) => readFileSync(files[name], 'utf8');

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'aot-x509-e2e-'));
    files = makeCertificates(dir);
    app = await startApp({
      config: {
        server: { proxy_secret: TEST_PROXY_SECRET },
        providers: [{ type: 'x509', name: 'client-certificates', realm: 'certs', ca: files.ca, roles: ['certificate-user'] }],
        jwt: { iss: ISS, aud: AUD, exp: 120 },
      },
    });
    backend = await startEchoBackend({ jwksUrl: `${app.url}/.well-known/jwks.json`, issuer: ISS, audience: AUD });
    nginx = await startNginx({
      appAddresses: [`127.0.0.1:${app.port}`],
      backendAddress: backend.address,
      tls: { certFile: files.serverCert, keyFile: files.serverKey, clientCaFile: files.ca },
    });
  });

  afterAll(async () => {
    await nginx?.stop();
    await backend?.close();
    await app?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lets a client with a certificate from the CA through as its CN, with the configured roles', async () => {
    const response = await rawRequest(nginx.tlsUrl ?? '', '/api/v1/items', { tls: { ca: pem('ca'), cert: pem('clientCert'), key: pem('clientKey') } });
    expect(response.status).toBe(200);
    expect(backend.received.at(-1)?.claims).toMatchObject({ sub: 'certs-alice', username: 'alice', realm: 'certs', roles: ['certificate-user'], auth: { method: 'x509' } });
  });

  it('answers 401 without a certificate, and nginx refuses one from another CA', async () => {
    expect((await rawRequest(nginx.tlsUrl ?? '', '/api/v1/items', { tls: { ca: pem('ca') } })).status).toBe(401);
    expect((await rawRequest(nginx.tlsUrl ?? '', '/api/v1/items', { tls: { ca: pem('ca'), cert: pem('strangerCert'), key: pem('strangerKey') } })).status).toBe(400);
  });

  it("gives no JWT for a forged certificate header (someone's public certificate) on any path", async () => {
    backend.clear();
    const forged = { 'X-SSL-Client-Cert': encodeURIComponent(pem('clientCert')), 'X-Aot-Proxy-Secret': 'a-guess-at-the-secret' };
    for (const base of [nginx.url, nginx.tlsUrl ?? '']) {
      for (const target of ['/api/v1/items', '/app/x', '/api/authenticate', '/authenticate', '/api/whoami', '/whoami']) {
        const response = await rawRequest(base, target, { headers: forged, ...(base.startsWith('https') ? { tls: { ca: pem('ca') } } : {}) });
        expect(response.status, `${base}${target}`).toBe(target.startsWith('/app/') ? 302 : 401); // browsers go to sign-in
        expect(response.headers.authorization, `${base}${target}`).toBeUndefined();
        expect(response.body).not.toContain('alice');
      }
    }
    // Straight at the app from a trusted peer: the header alone, or with a wrong secret, proves nothing either.
    for (const headers of [{ 'X-SSL-Client-Cert': forged['X-SSL-Client-Cert'] }, forged]) {
      for (const target of ['/api/authenticate', '/api/whoami']) expect((await rawRequest(app.url, target, { headers })).status).toBe(401);
    }
    expect(backend.received.filter((r) => r.claims?.username === 'alice')).toHaveLength(0);
  });
});

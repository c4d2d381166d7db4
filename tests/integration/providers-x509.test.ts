import { X509Certificate } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '@/lib/config/schema';
import { createLogger } from '@/lib/log/logger';
import { createRuntime, type Runtime } from '@/lib/runtime';
import { startApp, type RunningApp } from '../support/app';
import { certWorkspace, escapePem, type CertWorkspace } from '../support/certs';
import { authenticate } from '../support/gateway-client';

const ALICE_EXTENSIONS = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=clientAuth', 'subjectAltName=email:alice@example.org'];

let ws: CertWorkspace;
let caPem: string;
let app: RunningApp;
let untrusting: RunningApp;
const certs: Record<string, string> = {};
const PROXY_SECRET = `proxy-${crypto.randomUUID()}`;
/** What nginx's auth location sends: the certificate and the proxy secret that proves where it came from. */
const cert = (pem: string, realm: string, secret: string | null = PROXY_SECRET) => ({
  'X-SSL-Client-Cert': escapePem(pem),
  'X-Auth-Realm': realm,
  ...(secret === null ? {} : { 'X-Aot-Proxy-Secret': secret }),
});
const stamp = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';

beforeAll(async () => {
  ws = certWorkspace();
  const ca = await ws.createCa('Gateway Test CA');
  caPem = ca.pem;
  const otherCa = await ws.createCa('Some Other CA');
  const day = 86_400_000;
  certs.alice = await ca.issue({ subject: '/CN=alice', extensions: ALICE_EXTENSIONS });
  certs.bob = await ca.issue({ subject: '/CN=bob/emailAddress=bob@example.org' });
  certs.noEku = await ca.issue({ subject: '/CN=noeku', extensions: ['basicConstraints=critical,CA:FALSE'] });
  certs.expired = await ca.issue({ subject: '/CN=alice', startDate: stamp(new Date(Date.now() - 30 * day)), endDate: stamp(new Date(Date.now() - day)) });
  certs.notYet = await ca.issue({ subject: '/CN=alice', startDate: stamp(new Date(Date.now() + day)), endDate: stamp(new Date(Date.now() + 10 * day)) });
  certs.serverOnly = await ca.issue({ subject: '/CN=alice', extensions: ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth'] });
  certs.encipherOnly = await ca.issue({ subject: '/CN=alice', extensions: ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,keyEncipherment', 'extendedKeyUsage=clientAuth'] });
  certs.otherCa = await otherCa.issue({ subject: '/CN=alice', extensions: ALICE_EXTENSIONS });
  certs.selfSigned = await ws.selfSigned('/CN=alice');
  certs.caItself = ca.pem;
  const aliceFingerprint = new X509Certificate(certs.alice).fingerprint256; // colon form, as openssl prints it

  const providers = [
    { type: 'x509', name: 'x509-cn', realm: 'certs', ca: ca.file, roles: ['cert-user'] },
    { type: 'x509', name: 'x509-email', realm: 'certs-email', ca: ca.pem, username_from: 'email' },
    { type: 'x509', name: 'x509-fingerprint', realm: 'certs-fp', ca: `${otherCa.pem}\n${ca.pem}`, username_from: 'fingerprint', users: { [aliceFingerprint]: 'alice-by-fingerprint' } },
    { type: 'plain', name: 'local', realm: 'local', users: [{ username: 'zoe', password: 'zoe-password', roles: [] }] },
  ];
  [app, untrusting] = await Promise.all([
    startApp({ config: { server: { proxy_secret: PROXY_SECRET }, logging: { level: 'debug' }, providers } }),
    startApp({ config: { server: { trusted_proxies: [], proxy_secret: PROXY_SECRET }, providers } }),
  ]);
});

afterAll(async () => {
  await Promise.all([app?.stop(), untrusting?.stop()]);
  ws?.cleanup();
});

describe('x509 provider (certificate from a trusted proxy)', () => {
  it('accepts a client certificate of the CA: CN → username, configured roles, JWT no longer than the certificate', async () => {
    const answer = await authenticate(app.url, cert(certs.alice ?? '', 'certs'));
    expect(answer.status).toBe(200);
    expect(answer.claims).toMatchObject({ username: 'alice', realm: 'certs', roles: ['cert-user'], attributes: { email: 'alice@example.org' }, auth: { method: 'x509', provider: 'x509-cn' } });
    expect(answer.claims?.attributes?.['x509-fingerprint']).toMatch(/^[0-9a-f]{64}$/);
    expect(answer.claims?.exp).toBeLessThanOrEqual(Math.floor(Date.parse(new X509Certificate(certs.alice ?? '').validTo) / 1000));
  });

  it('accepts a certificate without extended key usage', async () => {
    expect((await authenticate(app.url, cert(certs.noEku ?? '', 'certs'))).claims?.username).toBe('noeku');
  });

  it('maps the e-mail (SAN, else subject emailAddress) when username_from is email', async () => {
    expect((await authenticate(app.url, cert(certs.alice ?? '', 'certs-email'))).claims?.username).toBe('alice@example.org');
    expect((await authenticate(app.url, cert(certs.bob ?? '', 'certs-email'))).claims?.username).toBe('bob@example.org');
  });

  it('maps the SHA-256 fingerprint through `users`, refusing unmapped certificates', async () => {
    expect((await authenticate(app.url, cert(certs.alice ?? '', 'certs-fp'))).claims?.username).toBe('alice-by-fingerprint');
    expect((await authenticate(app.url, cert(certs.bob ?? '', 'certs-fp'))).status).toBe(401);
  });

  it.each([
    ['expired', 'client certificate expired'],
    ['notYet', 'client certificate not yet valid'],
    ['otherCa', 'client certificate not issued by a trusted CA'],
    ['selfSigned', 'client certificate not issued by a trusted CA'],
    ['serverOnly', 'certificate not meant for client authentication'],
    ['encipherOnly', 'certificate key usage does not allow signing'],
    ['caItself', 'a CA certificate is not a client certificate'],
  ])('refuses the %s certificate with 401 (%s)', async (name, reason) => {
    const before = app.output().length;
    const answer = await authenticate(app.url, cert(certs[name] ?? '', 'certs'));
    expect(answer.status).toBe(401);
    // pino writes asynchronously: give the log line a moment to arrive
    await expect.poll(() => app.output().slice(before), { timeout: 2_000 }).toContain(`"reason":"${reason}"`);
  });

  it('refuses malformed headers with 401, never 500', async () => {
    const pem = certs.alice ?? '';
    const broken = [
      'garbage',
      '%E0%A4%A', // invalid percent-encoding
      escapePem(pem.replace(/[A-Za-z]{10}\n/, 'AAAAAAAAAA\n')), // corrupted body
      escapePem(pem.slice(0, pem.length / 2)), // truncated
      escapePem('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'),
      'x'.repeat(40_000),
    ];
    for (const value of broken) {
      const answer = await authenticate(app.url, { 'X-SSL-Client-Cert': value, 'X-Aot-Proxy-Secret': PROXY_SECRET, 'X-Auth-Realm': 'certs' });
      expect(answer.status, value.slice(0, 40)).toBe(401);
    }
  });

  it('does not offer a challenge for certificates', async () => {
    const answer = await authenticate(app.url, cert(certs.expired ?? '', 'certs'));
    expect(answer.headers.get('www-authenticate')).not.toContain('ClientCert');
  });

  it('tries the certificate alongside Authorization credentials', async () => {
    const headers = { 'X-SSL-Client-Cert': escapePem(certs.alice ?? ''), 'X-Aot-Proxy-Secret': PROXY_SECRET, Authorization: `Basic ${Buffer.from('zoe:wrong').toString('base64')}` };
    expect((await authenticate(app.url, headers)).claims?.username).toBe('alice');
    const both = { ...headers, Authorization: `Basic ${Buffer.from('zoe:zoe-password').toString('base64')}` };
    expect((await authenticate(app.url, both)).claims?.username).toBe('alice'); // config order: x509-cn comes first
    expect((await authenticate(app.url, { ...both, 'X-Auth-Realm': 'local' })).claims?.username).toBe('zoe');
  });

  it('ignores an empty header (nginx sends one without a certificate)', async () => {
    expect((await authenticate(app.url, { 'X-SSL-Client-Cert': '', 'X-Aot-Proxy-Secret': PROXY_SECRET })).status).toBe(401);
  });
});

describe('x509 provider when the peer is not a trusted proxy', () => {
  it('ignores the header: anyone could have sent it', async () => {
    const answer = await authenticate(untrusting.url, cert(certs.alice ?? '', 'certs'));
    expect(answer.status).toBe(401);
    // Authorization still works there.
    const basic = await authenticate(untrusting.url, { Authorization: `Basic ${Buffer.from('zoe:zoe-password').toString('base64')}` });
    expect(basic.status).toBe(200);
  });
});

describe('x509 provider from a trusted proxy without the proxy secret', () => {
  it('ignores the header unless the request carries server.proxy_secret: a certificate is public, and the proxy forwards client headers to its other locations', async () => {
    const alice = certs.alice ?? '';
    for (const secret of [null, '', 'wrong', PROXY_SECRET.slice(0, -1), `${PROXY_SECRET}x`, PROXY_SECRET.toUpperCase()]) {
      const answer = await authenticate(app.url, cert(alice, 'certs', secret));
      expect(answer.status, String(secret)).toBe(401);
      expect(answer.jwt).toBeUndefined();
    }
    const whoami = await fetch(`${app.url}/api/whoami`, { headers: cert(alice, 'certs', 'wrong') });
    expect(whoami.status).toBe(401);
    expect((await authenticate(app.url, cert(alice, 'certs'))).status).toBe(200);
  });
});

describe('x509 refusals and the failure delay', () => {
  let runtime: Runtime;

  beforeAll(async () => {
    const config = configSchema.parse({
      server: { proxy_secret: PROXY_SECRET },
      providers: [{ type: 'x509', name: 'x509', realm: 'certs', ca: caPem }],
      database: { path: 'memory://' },
      auth: { failure_delay_ms: 5000 },
    });
    runtime = await createRuntime({ config, demo: false, source: 'test', warnings: [] }, createLogger({ level: 'fatal', format: 'json' }, new Writable({ write: (_c, _e, done) => done() })));
  });
  afterAll(() => runtime?.close());

  const ask = (value: string) => {
    const headers: Record<string, string> = { 'x-ssl-client-cert': value, 'x-aot-proxy-secret': PROXY_SECRET };
    return runtime.http.handle({ method: 'GET', path: '/api/authenticate', header: (name) => headers[name], remoteAddress: '127.0.0.1' });
  };
  const settledSoon = (answer: unknown) => Promise.race([Promise.resolve(answer).then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 200))]);

  it('answers a malformed certificate at once (refused on its form), and holds back one refused after checking', async () => {
    expect(await settledSoon(ask('garbage'))).toBe(true);
    expect(await settledSoon(ask(escapePem('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')))).toBe(true);
    expect(await settledSoon(ask(escapePem(certs.otherCa ?? '')))).toBe(false);
  });
});

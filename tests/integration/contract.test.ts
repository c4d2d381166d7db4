import { generateKeyPairSync } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_PATHS } from '@/lib/gateway/routes';
import { startApp, type RunningApp } from '../support/app';
import { startTestIssuer, type TestIssuer } from '../support/jwks-server';

/**
 * Production answers the gateway paths in server.ts before Next sees them; `next dev` (and plain
 * `next start`) answer them with the App Router's route handlers. Both must say the same thing.
 */
describe('the custom server and the App Router routes give the same answers', () => {
  let custom: RunningApp;
  let nextOnly: RunningApp;
  let idp: TestIssuer;

  beforeAll(async () => {
    idp = await startTestIssuer();
    const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const config = {
      providers: [
        {
          type: 'plain',
          name: 'users',
          realm: 'local',
          users: [
            { username: 'alice', password: 'alice-pw', roles: ['user'] },
            { username: 'ed', password: 'ed-pw', roles: ['editor'] },
          ],
        },
        { type: 'jwt', name: 'idp', realm: 'idp', cert_uri: idp.jwksUri },
      ],
      services: [{ name: 'polytope', scopes: ['read', 'write'] }],
      policies: [{ match: { methods: ['POST'], path: '/v1/**' }, require: { roles_any: ['editor'] } }],
      include_legacy_headers: true,
      jwt: { iss: 'contract', aud: 'backends', exp: 60, keys: [{ kid: 'shared', private_key: pem }] },
    };
    [custom, nextOnly] = await Promise.all([startApp({ config }), startApp({ config, server: 'next' })]);
  });

  afterAll(async () => {
    await Promise.all([custom?.stop(), nextOnly?.stop(), idp?.close()]);
  });

  const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
  // Trusted only from a trusted peer, which plain `next start` cannot see (route handlers have no
  // socket), so both servers are compared on what needs no trust; the policy cases follow below.
  const FORWARDED = {};
  const cases: Array<[string, string, string, () => Promise<Record<string, string>>]> = [
    ['authenticate ok', 'GET', '/api/authenticate', async () => ({ Authorization: basic('alice', 'alice-pw'), ...FORWARDED })],
    ['auth-o-tron path', 'POST', '/authenticate', async () => ({ Authorization: basic('alice', 'alice-pw'), ...FORWARDED })],
    ['no credentials', 'GET', '/api/authenticate', async () => ({})],
    ['wrong password', 'GET', '/api/authenticate', async () => ({ Authorization: basic('alice', 'nope') })],
    ['duplicate scheme', 'GET', '/api/authenticate', async () => ({ Authorization: `${basic('alice', 'alice-pw')}, ${basic('ed', 'ed-pw')}` })],
    ['realm filter', 'GET', '/api/authenticate', async () => ({ Authorization: basic('alice', 'alice-pw'), 'X-Auth-Realm': 'idp' })],
    ['no original request, policies configured', 'GET', '/api/authenticate', async () => ({ Authorization: basic('ed', 'ed-pw') })],
    ['sub-request refused', 'GET', '/api/authenticate', async () => ({ Authorization: 'Bearer nonsense', 'X-Original-URI': '/v1/x' })],
    // Envoy's ext_authz appends the original path to /api/authenticate.
    ['Envoy check, no credentials', 'GET', '/api/authenticate/v1/x?y=1', async () => ({})],
    ['Envoy check, wrong password', 'DELETE', '/api/authenticate/v1/x', async () => ({ Authorization: basic('alice', 'nope') })],
    ['IdP JWT', 'GET', '/api/authenticate', async () => ({ Authorization: `Bearer ${await idp.sign({ sub: 'carol', realm_access: { roles: ['r'] } })}`, ...FORWARDED })],
    ['expired IdP JWT', 'GET', '/api/authenticate', async () => ({ Authorization: `Bearer ${await idp.sign({ sub: 'carol' }, { expiresIn: Math.floor(Date.now() / 1000) - 600 })}` })],
    ['whoami', 'GET', '/api/whoami', async () => ({ Authorization: basic('ed', 'ed-pw') })],
    ['whoami without /api', 'GET', '/whoami', async () => ({})],
    ['providers', 'GET', '/providers', async () => ({})],
    ['augmenters', 'GET', '/api/augmenters', async () => ({})],
    ['health (auth-o-tron: text OK)', 'GET', '/health', async () => ({})],
    ['health as JSON', 'GET', '/api/health', async () => ({})],
    ['ready', 'GET', '/api/ready', async () => ({})],
    ['ready without /api', 'GET', '/ready', async () => ({})],
    ['jwks', 'GET', '/.well-known/jwks.json', async () => ({})],
  ];
  const compared = ['www-authenticate', 'cache-control', 'content-type', 'retry-after', 'x-auth-denied', 'x-auth-username', 'x-auth-realm', 'x-auth-roles'];

  async function observe(app: RunningApp, method: string, path: string, headers: Record<string, string>) {
    const response = await fetch(`${app.url}${path}`, { method, headers, redirect: 'manual' });
    const text = await response.text();
    const bearer = response.headers.get('authorization');
    const claims = bearer ? (({ iat: _iat, exp: _exp, jti: _jti, ...rest }) => rest)(decodeJwt(bearer.slice(7))) : null;
    return {
      status: response.status,
      headers: Object.fromEntries(compared.map((h) => [h, response.headers.get(h)])),
      body: response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text,
      claims,
    };
  }

  it.each(cases)('%s', async (_, method, path, headers) => {
    const sent = await headers();
    const [a, b] = await Promise.all([observe(custom, method, path, sent), observe(nextOnly, method, path, sent)]);
    expect(b).toEqual(a);
  });

  // Every path of the one route table, as an anonymous client asks it (metrics: compared below).
  const tablePaths = [...GATEWAY_PATHS.keys()].filter((path) => !path.endsWith('/metrics'));
  it.each(tablePaths)('route table: %s', async (path) => {
    const [a, b] = await Promise.all([observe(custom, 'GET', path, {}), observe(nextOnly, 'GET', path, {})]);
    expect(a.status).not.toBe(404);
    expect(b).toEqual(a);
  });

  // The gateway's catch-all (app/api/[...gateway]) must leave the portal's API routes theirs, and
  // paths nobody answers 404 on both.
  it.each([
    ['GET', '/api/tokens'],
    ['GET', '/api/admin/users'],
    ['GET', '/api/auth/session'],
    ['GET', '/api/nothing-here'],
    ['GET', '/authenticate/x'],
  ])('portal and unknown paths: %s %s', async (method, path) => {
    const [a, b] = await Promise.all([observe(custom, method, path, {}), observe(nextOnly, method, path, {})]);
    expect({ status: b.status, type: b.headers['content-type'] }).toEqual({ status: a.status, type: a.headers['content-type'] });
    if (path.startsWith('/api/tokens') || path.startsWith('/api/admin')) expect(a.status).toBe(401);
    if (path.includes('nothing') || path.startsWith('/authenticate/')) expect(a.status).toBe(404);
  });

  it('metrics: the same families, with and without /api (the counts differ: each server has its own traffic)', async () => {
    const families = async (app: RunningApp, path: string) => {
      const response = await fetch(`${app.url}${path}`);
      const text = await response.text();
      return {
        status: response.status,
        type: response.headers.get('content-type'),
        families: text
          .split('\n')
          .filter((l) => l.startsWith('# TYPE '))
          .sort(),
      };
    };
    for (const path of ['/api/metrics', '/metrics']) {
      const [a, b] = await Promise.all([families(custom, path), families(nextOnly, path)]);
      expect(a.families).toEqual(expect.arrayContaining(['# TYPE auth_requests_total counter', '# TYPE authotron_build_info gauge', '# TYPE authotron_http_requests_total counter']));
      expect(b, path).toEqual(a);
    }
  });

  it('plain `next start` cannot see the peer, so it believes no original request (fails closed); the custom server does', async () => {
    const sent = { Authorization: basic('ed', 'ed-pw'), 'X-Original-Method': 'POST', 'X-Original-URI': '/v1/x' };
    const [a, b] = await Promise.all([observe(custom, 'GET', '/api/authenticate', sent), observe(nextOnly, 'GET', '/api/authenticate', sent)]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(403);
    expect(JSON.parse(b.headers['x-auth-denied'] ?? '{}')).toEqual({ rule: 'original-request', reason: 'original request unknown' });
  });
});

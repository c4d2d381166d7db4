import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS, startApp, type RunningApp } from '../support/app';
import { startEchoBackend, type EchoBackend } from '../support/echo-backend';
import { startNginx, type RunningNginx } from '../support/nginx';
import { ALICE, BOB, ROOT, localUsers } from '../support/local-users';
import { jsonApi } from '../support/json-api';

interface TokenBody {
  id: string;
  restrictions: Record<string, string[]>;
}
interface Created {
  token: TokenBody;
  secret: string;
}

/** Restrictions per token (DESIGN.md "Token lifecycle"): allowed and refused, directly and through real nginx. */
describe.each(DATABASE_KINDS)('token restrictions (%s)', (database) => {
  let app: RunningApp;
  let backend: EchoBackend;
  let nginx: RunningNginx;

  beforeAll(async () => {
    app = await startApp({
      database,
      config: {
        providers: [localUsers(), { type: 'tokens', name: 'tokens' }],
        portal: { realm: 'local' },
        tokens: { cache_ttl: '5m', creations_per_minute: 1000 }, // long: a PATCH must make every cached verdict go
        jwt: { iss: 'restrictions', aud: 'backend', exp: 60 },
        auth: { failure_delay_ms: 0 },
      },
    });
    backend = await startEchoBackend({ jwksUrl: `${app.url}/.well-known/jwks.json`, issuer: 'restrictions', audience: 'backend' });
    nginx = await startNginx({ appAddresses: [`127.0.0.1:${app.port}`], backendAddress: backend.address });
  });
  afterAll(async () => {
    await nginx?.stop();
    await backend?.close();
    await app?.stop();
  });

  const api = jsonApi(() => app.url);
  const create = async (restrictions: Record<string, string[]>, auth = ALICE): Promise<Created> => {
    const answer = await api('POST', '/api/tokens', auth, { name: `restricted ${Object.keys(restrictions).join('+')}`, restrictions });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    return answer.body as Created;
  };
  /** A check as nginx's auth location sends it (127.0.0.1 is a trusted proxy by default). */
  const check = (secret: string, original: Record<string, string> = {}) =>
    fetch(`${app.url}/api/authenticate`, {
      headers: { Authorization: `Bearer ${secret}`, 'X-Original-URI': '/v1/data', 'X-Original-Method': 'GET', 'X-Original-Host': 'api.example.org', ...original },
    });
  const denied = async (response: Response) => JSON.parse(response.headers.get('x-auth-denied') ?? '{}') as { rule?: string; restriction?: string };
  /** Through nginx; `host` is what the client sends as Host (nginx passes it on as X-Original-Host). */
  const viaNginx = (secret: string, path: string, method = 'GET', host = 'api.example.org') =>
    new Promise<{ status: number; denied: string | undefined }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: nginx.port, path, method, headers: { Authorization: `Bearer ${secret}`, Host: host } }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, denied: res.headers['x-auth-denied'] as string | undefined }));
      });
      req.on('error', reject);
      req.end();
    });

  it('ips: allowed from inside a range, 403 naming the restriction from outside; the client address comes from the trusted proxy', async () => {
    const local = await create({ ips: ['127.0.0.0/8', '2001:db8::/32'] });
    expect((await check(local.secret)).status).toBe(200);
    const office = await create({ ips: ['10.0.0.0/8'] });
    const refused = await check(office.secret);
    expect(refused.status).toBe(403);
    expect(await denied(refused)).toEqual({ rule: 'token-restriction', restriction: 'ips' });
    // 127.0.0.1 is a trusted proxy: the address it forwards is the client's.
    expect((await check(office.secret, { 'X-Forwarded-For': '10.1.2.3' })).status).toBe(200);
    expect((await check(office.secret, { 'X-Forwarded-For': '192.0.2.1' })).status).toBe(403);
    // The address restriction applies to identity-only callers too.
    const whoami = await fetch(`${app.url}/api/whoami`, { headers: { Authorization: `Bearer ${office.secret}` } });
    expect(whoami.status).toBe(403);
    expect(await whoami.json()).toMatchObject({ error: 'forbidden', rule: 'token-restriction', restriction: 'ips' });
    expect((await fetch(`${app.url}/api/whoami`, { headers: { Authorization: `Bearer ${local.secret}` } })).status).toBe(200);

    expect(await viaNginx(local.secret, '/api/v1/data')).toMatchObject({ status: 200 });
    const throughNginx = await viaNginx(office.secret, '/api/v1/data');
    expect(throughNginx.status).toBe(403);
    expect(JSON.parse(throughNginx.denied ?? '{}')).toEqual({ rule: 'token-restriction', restriction: 'ips' });
  });

  it('methods: the original method must be listed', async () => {
    const { secret } = await create({ methods: ['get', 'HEAD'] });
    expect((await check(secret, { 'X-Original-Method': 'GET' })).status).toBe(200);
    const refused = await check(secret, { 'X-Original-Method': 'POST' });
    expect(refused.status).toBe(403);
    expect(await denied(refused)).toEqual({ rule: 'token-restriction', restriction: 'methods' });
    expect((await viaNginx(secret, '/api/v1/data', 'GET')).status).toBe(200);
    const post = await viaNginx(secret, '/api/v1/data', 'POST');
    expect(post.status).toBe(403);
    expect(JSON.parse(post.denied ?? '{}')).toMatchObject({ restriction: 'methods' });
  });

  it('methods and hosts: a check naming only the path is refused as unknown, never judged on its own GET', async () => {
    const onlyPath = (secret: string, method = 'GET') => fetch(`${app.url}/api/authenticate`, { method, headers: { Authorization: `Bearer ${secret}`, 'X-Original-URI': '/v1/data' } });
    const methods = await create({ methods: ['GET'] });
    for (const method of ['GET', 'POST']) {
      const refused = await onlyPath(methods.secret, method);
      expect(refused.status, method).toBe(403);
      expect(await denied(refused), method).toEqual({ rule: 'original-request', reason: 'original request unknown: no X-Original-Method (nginx)' });
    }
    const hosts = await create({ hosts: ['*.example.org'] });
    const refused = await onlyPath(hosts.secret);
    expect(refused.status).toBe(403);
    expect(await denied(refused)).toEqual({ rule: 'original-request', reason: 'original request unknown: no X-Original-Host (nginx)' });
    expect((await onlyPath((await create({ paths: ['/v1/**'] })).secret)).status).toBe(200); // a path restriction needs neither
  });

  it('paths: globs over the decoded path; a check naming no original request is refused (fail closed)', async () => {
    const { secret } = await create({ paths: ['/api/v1/data/**', '/v1/data'] });
    expect((await check(secret)).status).toBe(200);
    const refused = await check(secret, { 'X-Original-URI': '/v1/other' });
    expect(refused.status).toBe(403);
    expect(await denied(refused)).toEqual({ rule: 'token-restriction', restriction: 'paths' });
    // Decoded and resolved as nginx does: a dot segment cannot climb out of the allowed tree.
    expect((await check(secret, { 'X-Original-URI': '/api/v1/data/../secret' })).status).toBe(403);
    expect((await fetch(`${app.url}/api/authenticate`, { headers: { Authorization: `Bearer ${secret}` } })).status).toBe(403);

    expect((await viaNginx(secret, '/api/v1/data/2026/file.grib')).status).toBe(200);
    const other = await viaNginx(secret, '/api/v1/reports');
    expect(other.status).toBe(403);
    expect(JSON.parse(other.denied ?? '{}')).toMatchObject({ restriction: 'paths' });
  });

  it('hosts: globs over the original host, case-insensitive', async () => {
    const { secret } = await create({ hosts: ['*.example.org'] });
    expect((await check(secret, { 'X-Original-Host': 'API.Example.org' })).status).toBe(200);
    const refused = await check(secret, { 'X-Original-Host': 'example.com' });
    expect(refused.status).toBe(403);
    expect(await denied(refused)).toEqual({ rule: 'token-restriction', restriction: 'hosts' });
    expect((await viaNginx(secret, '/api/v1/data', 'GET', 'data.example.org')).status).toBe(200);
    const elsewhere = await viaNginx(secret, '/api/v1/data', 'GET', 'data.example.net');
    expect(elsewhere.status).toBe(403);
    expect(JSON.parse(elsewhere.denied ?? '{}')).toMatchObject({ restriction: 'hosts' });
  });

  it('are editable later by the owner or an admin (audited); the change applies at once although the token was cached', async () => {
    const { secret, token } = await create({});
    expect((await check(secret, { 'X-Original-Method': 'DELETE' })).status).toBe(200); // cached for 5 minutes
    const patched = await api('PATCH', `/api/tokens/${token.id}`, ALICE, { restrictions: { methods: ['GET'] } });
    expect(patched).toMatchObject({ status: 200, body: { id: token.id, restrictions: { methods: ['GET'] } } });
    await expect.poll(async () => (await check(secret, { 'X-Original-Method': 'DELETE' })).status, { timeout: 1000, interval: 50 }).toBe(403);
    expect((await check(secret)).status).toBe(200);

    expect((await api('PATCH', `/api/tokens/${token.id}`, BOB, { restrictions: {} })).status).toBe(404);
    expect((await api('PATCH', `/api/admin/tokens/${token.id}`, ROOT, { restrictions: {} })).body).toMatchObject({ restrictions: {} });
    await expect.poll(async () => (await check(secret, { 'X-Original-Method': 'DELETE' })).status, { timeout: 1000, interval: 50 }).toBe(200);

    const audit = (await api('GET', '/api/admin/audit?page=1', ROOT)).body.entries as Array<{ actor: string; action: string; token_id: string }>;
    expect(audit.filter((e) => e.action === 'token.update' && e.token_id === token.id).map((e) => e.actor)).toEqual(['local/root', 'local/alice']);
  });

  it('cannot be changed once the token is revoked (409, nothing written)', async () => {
    const { token } = await create({ methods: ['GET'] });
    expect((await api('DELETE', `/api/tokens/${token.id}`, ALICE)).status).toBe(200);
    const audits = (await api('GET', '/api/admin/audit?page=1', ROOT)).body.total;
    expect((await api('PATCH', `/api/tokens/${token.id}`, ALICE, { restrictions: {} })).status).toBe(409);
    expect((await api('PATCH', `/api/admin/tokens/${token.id}`, ROOT, { restrictions: {} })).status).toBe(409);
    expect((await api('GET', `/api/tokens/${token.id}`, ALICE)).body.restrictions).toEqual({ methods: ['GET'] });
    expect((await api('GET', '/api/admin/audit?page=1', ROOT)).body.total).toBe(audits);
  });

  it.each([
    ['an invalid CIDR', { ips: ['10.0.0.0/33'] }, 'restrictions.ips.0'],
    ['a host name as address', { ips: ['example.org'] }, 'restrictions.ips.0'],
    ['an unbalanced path glob', { paths: ['/v1/[abc'] }, 'restrictions.paths.0'],
    ['a path glob without a leading slash', { paths: ['v1/**'] }, 'restrictions.paths.0'],
    ['an invalid host glob', { hosts: ['exa mple.org'] }, 'restrictions.hosts.0'],
    ['an unbalanced host glob', { hosts: ['{a,b.example.org'] }, 'restrictions.hosts.0'],
    ['a method that is not one', { methods: ['GET /'] }, 'restrictions.methods.0'],
    ['an unknown kind', { ports: ['443'] }, 'restrictions'],
  ])('refuses %s with 422 naming the field, at creation and in a PATCH, writing nothing', async (_, restrictions, field) => {
    const before = (await api('GET', '/api/tokens', BOB)).body.tokens.length;
    const created = await api('POST', '/api/tokens', BOB, { name: 'bad', restrictions });
    expect(created.status).toBe(422);
    expect(Object.keys(created.body.fields)).toContain(field);
    expect((await api('GET', '/api/tokens', BOB)).body.tokens.length).toBe(before);

    const { token } = await create({ methods: ['GET'] }, BOB);
    const audits = (await api('GET', '/api/admin/audit?page=1', ROOT)).body.total;
    for (const [path, auth] of [
      [`/api/tokens/${token.id}`, BOB],
      [`/api/admin/tokens/${token.id}`, ROOT],
    ] as const) {
      const patched = await api('PATCH', path, auth, { restrictions });
      expect(patched.status, path).toBe(422);
      expect(Object.keys(patched.body.fields), path).toContain(field);
    }
    expect((await api('GET', `/api/tokens/${token.id}`, BOB)).body.restrictions).toEqual({ methods: ['GET'] });
    expect((await api('GET', '/api/admin/audit?page=1', ROOT)).body.total).toBe(audits);
  });

  it.each([
    ['the owner', '/api/tokens/', ALICE],
    ['an admin', '/api/admin/tokens/', ROOT],
  ])('refuses a PATCH body by %s that is not JSON: 400 malformed, 415 another type, 413 too big; nothing written', async (_, base, auth) => {
    const { token } = await create({});
    const audits = (await api('GET', '/api/admin/audit?page=1', ROOT)).body.total;
    const send = (body: string, type: string) => fetch(`${app.url}${base}${token.id}`, { method: 'PATCH', headers: { Authorization: auth, 'Content-Type': type }, body });
    expect((await send('{"restrictions": ', 'application/json')).status).toBe(400);
    expect((await send('restrictions=x', 'text/plain')).status).toBe(415);
    expect((await send(JSON.stringify({ restrictions: { paths: ['/'.repeat(2 * 1024 * 1024)] } }), 'application/json')).status).toBe(413);
    // Just over the 256 kB limit is refused too, not only a 2 MB body.
    expect((await send(JSON.stringify({ restrictions: { paths: ['/'.repeat(256 * 1024)] } }), 'application/json')).status).toBe(413);
    expect((await api('GET', `/api/tokens/${token.id}`, ALICE)).body.restrictions).toEqual({});
    expect((await api('GET', '/api/admin/audit?page=1', ROOT)).body.total).toBe(audits);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS, startApp, type RunningApp } from '../support/app';
import { ROOT, basic } from '../support/local-users';

const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'] as const;
const as = (user: (typeof USERS)[number]) => basic(user, `${user}-pw`);

interface TokenBody {
  id: string;
  status: string;
  owner: { realm: string; username: string };
}
interface Created {
  token: TokenBody;
  secret: string;
}
interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown> & { message?: string };
}

const configWith = (tokens: Record<string, unknown>) => ({
  providers: [
    {
      type: 'plain',
      name: 'users',
      realm: 'local',
      users: [...USERS.map((username) => ({ username, password: `${username}-pw`, roles: ['user'] })), { username: 'root', password: 'root-pw', roles: ['admin'] }],
    },
    { type: 'tokens', name: 'portal-tokens' },
  ],
  services: [{ name: 'polytope', scopes: ['read'] }],
  portal: { realm: 'local', admin_roles: ['admin'] },
  tokens,
});

/** The JSON API of one running app. */
function client(app: () => RunningApp) {
  const api = async (method: string, path: string, auth: string, body?: unknown): Promise<Answer> => {
    const response = await fetch(`${app().url}${path}`, {
      method,
      headers: { Authorization: auth, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Answer['body']) : {} };
  };
  return {
    api,
    create: (auth: string, name: string) => api('POST', '/api/tokens', auth, { name }),
    async created(auth: string, name: string): Promise<Created> {
      const answer = await api('POST', '/api/tokens', auth, { name });
      expect(answer.status, JSON.stringify(answer.body)).toBe(201);
      return answer.body as unknown as Created;
    },
    /** Every token of the user, whatever its status. */
    async tokens(auth: string): Promise<TokenBody[]> {
      return (await api('GET', '/api/tokens', auth)).body.tokens as TokenBody[];
    },
    async active(auth: string): Promise<number> {
      return ((await api('GET', '/api/tokens?status=active', auth)).body.tokens as TokenBody[]).length;
    },
    async auditTotal(): Promise<number> {
      return (await api('GET', '/api/admin/audit', ROOT)).body.total as number;
    },
    gateway: (secret: string) => fetch(`${app().url}/api/authenticate`, { headers: { Authorization: `Bearer ${secret}` } }),
  };
}

describe.each(DATABASE_KINDS)('token limits (%s)', (database) => {
  describe('active tokens per user (tokens.max_per_user: 3)', () => {
    let app: RunningApp;
    const { api, create, created, tokens, active, auditTotal, gateway } = client(() => app);

    beforeAll(async () => {
      app = await startApp({ database, config: configWith({ max_per_user: 3, creations_per_minute: 1000 }) });
    });
    afterAll(() => app?.stop());

    it('refuses one more at the cap with 409 naming the limit, writes nothing, and lets the next through once one is revoked', async () => {
      const alice = as('alice');
      const [first] = [await created(alice, 'one'), await created(alice, 'two'), await created(alice, 'three')];
      const rows = (await tokens(alice)).length;
      const audit = await auditTotal();

      const refused = await create(alice, 'four');
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ error: 'conflict', max_per_user: 3, active: 3 });
      expect(refused.body.message).toBe('you have 3 active tokens and at most 3 are allowed (tokens.max_per_user); revoke one first');
      expect((await tokens(alice)).length).toBe(rows);
      expect(await auditTotal()).toBe(audit);

      expect((await api('DELETE', `/api/tokens/${first!.token.id}`, alice)).status).toBe(200);
      const next = await created(alice, 'four');
      expect((await gateway(next.secret)).status).toBe(200);
      expect((await create(alice, 'five')).status).toBe(409);
    });

    it("counts an admin's tokens for a user against that user's cap", async () => {
      const bob = as('bob');
      await created(bob, 'own');
      for (const name of ['by admin 1', 'by admin 2']) {
        expect((await api('POST', '/api/admin/tokens', ROOT, { user: { realm: 'local', username: 'bob' }, name })).status).toBe(201);
      }
      const refused = await api('POST', '/api/admin/tokens', ROOT, { user: { realm: 'local', username: 'bob' }, name: 'by admin 3' });
      expect(refused.status).toBe(409);
      expect(refused.body.message).toBe('local/bob has 3 active tokens and at most 3 are allowed (tokens.max_per_user); revoke one first');
      expect((await create(bob, 'own 2')).status).toBe(409);
      expect(await active(bob)).toBe(3);
      // The admin's own cap is untouched.
      expect((await create(ROOT, 'admin own')).status).toBe(201);
    });

    it('rotates at the cap, with or without a grace period, as often as wanted: a rotation keeps the token, so it adds none', async () => {
      const carol = as('carol');
      const [a, b] = [await created(carol, 'a'), await created(carol, 'b'), await created(carol, 'c')];

      const now = await api('POST', `/api/tokens/${a!.token.id}/rotate`, carol, {});
      expect(now.status, JSON.stringify(now.body)).toBe(201);
      const graced = await api('POST', `/api/tokens/${b!.token.id}/rotate`, carol, { grace_period: '1h' });
      expect(graced.status, JSON.stringify(graced.body)).toBe(201);
      // b's old secret still works for an hour beside its new one: one token, two secrets.
      expect((await gateway(b!.secret)).status).toBe(200);
      expect((await gateway((graced.body as unknown as Created).secret)).status).toBe(200);
      expect((await create(carol, 'd')).status).toBe(409);

      const again = await api('POST', `/api/tokens/${b!.token.id}/rotate`, carol, {});
      expect(again.status, JSON.stringify(again.body)).toBe(201);
      expect((await tokens(carol)).length).toBe(3);

      // Revoking one token makes room for exactly one.
      expect((await api('DELETE', `/api/tokens/${a!.token.id}`, carol)).status).toBe(200);
      expect((await create(carol, 'd')).status).toBe(201);
      expect((await create(carol, 'e')).status).toBe(409);
    });

    it('never exceeds the cap under concurrent creations', async () => {
      const dave = as('dave');
      const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => create(dave, `parallel ${i}`)));
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses).toEqual([...Array(3).fill(201), ...Array(9).fill(409)]);
      expect(await active(dave)).toBe(3);
      expect((await tokens(dave)).length).toBe(3);
    });

    it('keeps one token when it is rotated several times at once at the cap; the last secret issued works', async () => {
      const erin = as('erin');
      const [a] = [await created(erin, 'a'), await created(erin, 'b'), await created(erin, 'c')];
      const answers = await Promise.all([0, 1, 2, 3].map(() => api('POST', `/api/tokens/${a!.token.id}/rotate`, erin, {})));
      expect(answers.map((r) => r.status)).toEqual([201, 201, 201, 201]);
      expect((await tokens(erin)).length).toBe(3);
      const working = await Promise.all(answers.map(async (r) => (await gateway((r.body as unknown as Created).secret)).status));
      expect(working.filter((status) => status === 200)).toHaveLength(1);
    });
  });

  describe('creations per minute (tokens.creations_per_minute: 3)', () => {
    let app: RunningApp;
    const { api, create, created, tokens, auditTotal } = client(() => app);

    beforeAll(async () => {
      app = await startApp({ database, config: configWith({ max_per_user: 100, creations_per_minute: 3 }) });
    });
    afterAll(() => app?.stop());

    it('answers 429 with Retry-After over the rate, and writes nothing', async () => {
      const alice = as('alice');
      for (const name of ['one', 'two', 'three']) await created(alice, name);
      const rows = (await tokens(alice)).length;
      const audit = await auditTotal();

      const refused = await create(alice, 'four');
      expect(refused.status).toBe(429);
      const retryAfter = refused.headers.get('retry-after');
      expect(retryAfter).toMatch(/^\d+$/);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(retryAfter)).toBeLessThanOrEqual(60);
      expect(refused.body).toMatchObject({ error: 'too_many_requests', retry_after: Number(retryAfter) });
      expect(refused.body.message).toMatch(/^too many tokens created or rotated: at most 3 a minute \(tokens\.creations_per_minute\); try again in \d+ s$/);
      expect((await tokens(alice)).length).toBe(rows);
      expect(await auditTotal()).toBe(audit);
    });

    it('counts rotations (each is a new secret), per acting user', async () => {
      const bob = as('bob');
      const [first, second] = [await created(bob, 'one'), await created(bob, 'two')];
      expect((await api('POST', `/api/tokens/${first!.token.id}/rotate`, bob, {})).status).toBe(201);
      const refused = await api('POST', `/api/tokens/${second!.token.id}/rotate`, bob, {});
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
      // Others are not held back by bob; an admin creating for bob spends the admin's allowance.
      expect((await create(as('carol'), 'carol')).status).toBe(201);
      expect((await api('POST', '/api/admin/tokens', ROOT, { user: { realm: 'local', username: 'bob' }, name: 'for bob' })).status).toBe(201);
    });

    it('does not count requests refused before any secret is made', async () => {
      const dave = as('dave');
      for (let i = 0; i < 5; i++) expect((await api('POST', '/api/tokens', dave, { name: ' ' })).status).toBe(422);
      for (const name of ['one', 'two', 'three']) await created(dave, name);
      expect((await create(dave, 'four')).status).toBe(429);
    });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS, startApp, type RunningApp } from '../support/app';
import { BOB, ROOT, localUsers } from '../support/local-users';

const CREATED = 55;

// The portal API's lists page alike (tokens, admin tokens, users, audit): nothing is cut off unsaid.
describe.each(DATABASE_KINDS)('paged portal API lists (%s)', (database) => {
  let app: RunningApp;
  const get = (path: string, auth = BOB) => fetch(`${app.url}${path}`, { headers: { Authorization: auth } });
  const json = async (path: string, auth = BOB) => {
    const response = await get(path, auth);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> & { tokens?: unknown[]; entries?: unknown[]; users?: unknown[]; fields?: Record<string, string[]> } };
  };

  beforeAll(async () => {
    app = await startApp({
      database,
      config: {
        providers: [localUsers('bob', 'root'), { type: 'tokens', name: 'portal-tokens' }],
        services: [{ name: 'polytope', scopes: ['read'] }],
        portal: { realm: 'local', admin_roles: ['admin'] },
        tokens: { creations_per_minute: 200 },
      },
    });
    for (let i = 0; i < CREATED; i += 1) {
      const response = await fetch(`${app.url}/api/tokens`, {
        method: 'POST',
        headers: { Authorization: BOB, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: `paged ${String(i).padStart(2, '0')}`, expires_in: '7d' }),
      });
      expect(response.status).toBe(201);
    }
  }, 180_000);
  afterAll(() => app?.stop());

  it('pages 50 at a time by default and says how many there are', async () => {
    const first = await json('/api/tokens');
    expect(first.status).toBe(200);
    expect({ ...first.body, tokens: first.body.tokens?.length }).toEqual({ tokens: 50, page: 1, per_page: 50, total: CREATED, pages: 2 });
    const second = await json('/api/tokens?page=2');
    expect(second.body.tokens).toHaveLength(CREATED - 50);
    // Newest first, and no token on two pages.
    const ids = [...(first.body.tokens ?? []), ...(second.body.tokens ?? [])].map((t) => (t as { id: string }).id);
    expect(new Set(ids).size).toBe(CREATED);
    expect(first.body.tokens?.[0]).toMatchObject({ name: `paged ${CREATED - 1}` });
  });

  it('past the end: an empty page with the same totals', async () => {
    const past = await json('/api/tokens?page=9');
    expect(past.body).toEqual({ tokens: [], page: 9, per_page: 50, total: CREATED, pages: 2 });
  });

  it('per_page chooses the size; admins page everyone the same way', async () => {
    expect((await json('/api/tokens?per_page=20&page=3')).body.tokens).toHaveLength(CREATED - 40);
    const admin = await json('/api/admin/tokens?search=local/bob&per_page=10', ROOT);
    expect({ ...admin.body, tokens: admin.body.tokens?.length }).toEqual({ tokens: 10, page: 1, per_page: 10, total: CREATED, pages: 6 });
    const users = await json('/api/admin/users?per_page=1', ROOT);
    expect(users.body).toMatchObject({ page: 1, per_page: 1, pages: users.body.total });
    expect(users.body.users).toHaveLength(1);
  });

  it('refuses bad paging and filters with 422 naming the parameter', async () => {
    for (const [query, field] of [
      ['page=0', 'page'],
      ['page=abc', 'page'],
      ['per_page=201', 'per_page'],
      ['per_page=1.5', 'per_page'],
      ['status=bogus', 'status'],
    ] as const) {
      const answer = await json(`/api/tokens?${query}`);
      expect(answer.status, query).toBe(422);
      expect(Object.keys(answer.body.fields ?? {}), query).toEqual([field]);
    }
    // The admin lists page the same way, and so refuse the same way.
    for (const path of ['/api/admin/tokens?per_page=0', '/api/admin/users?page=-1', '/api/admin/audit?per_page=201', '/api/admin/tokens?status=bogus']) {
      const answer = await json(path, ROOT);
      expect(answer.status, path).toBe(422);
      expect(Object.keys(answer.body.fields ?? {}), path).toHaveLength(1);
    }
    for (const [query, field] of [
      ['from=12/01/2026', 'from'],
      ['to=2026-13-01', 'to'],
      ['format=xml', 'format'],
      ['format=csv&from=yesterday', 'from'],
    ] as const) {
      const answer = await json(`/api/admin/audit?${query}`, ROOT);
      expect(answer.status, query).toBe(422);
      expect(Object.keys(answer.body.fields ?? {}), query).toEqual([field]);
    }
  });

  it('the audit log: per_page (and the old page_size), filters, totals', async () => {
    const paged = await json('/api/admin/audit?page_size=10&action=token.create&actor=local/bob', ROOT);
    expect(paged.status).toBe(200);
    expect({ ...paged.body, entries: paged.body.entries?.length }).toEqual({ entries: 10, page: 1, per_page: 10, total: CREATED, pages: 6 });
    const today = new Date().toISOString().slice(0, 10);
    expect((await json(`/api/admin/audit?action=token.create&from=${today}&to=${today}`, ROOT)).body.total).toBe(CREATED);
    expect((await json('/api/admin/audit?action=token.create&to=2001-01-01', ROOT)).body.total).toBe(0);
    expect((await json('/api/admin/audit?target_user=nobody', ROOT)).body.total).toBe(0);
    expect((await json('/api/admin/audit', BOB)).status).toBe(403);
  });

  it('exports the filtered audit log as CSV with a header row', async () => {
    const response = await get('/api/admin/audit?action=token.create&format=csv', ROOT);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="audit-\d{4}-\d{2}-\d{2}\.csv"$/);
    const lines = (await response.text()).trimEnd().split('\r\n');
    expect(lines[0]).toBe('time,actor,action,action_code,target_user,token_id,token_name,client_address,user_agent,details');
    expect(lines).toHaveLength(1 + CREATED);
    expect(lines[1]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z,local\/bob,Token created,token\.create,local\/bob,[0-9A-Za-z]{16},paged \d\d,/);
    expect((await get('/api/admin/audit?format=csv', BOB)).status).toBe(403);
  });
});

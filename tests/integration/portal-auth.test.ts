import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app';
import { createPostgresDatabase, type TestDatabase } from '../support/postgres';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

const GATEWAY_ONLY = {
  version: '2.0.0',
  providers: [{ type: 'plain', name: 'basic', realm: 'local', users: [{ username: 'alice', password: 'alice-password', roles: ['user'] }] }],
};

// An IdP that is never contacted: next-auth only discovers it when someone signs in.
const WITH_PORTAL = {
  ...GATEWAY_ONLY,
  portal: { realm: 'local', oidc: { issuer: 'http://127.0.0.1:9/realms/test', client_id: 'portal', client_secret: 'portal-client-secret' } },
};

describe('a gateway-only config (no portal section)', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp({ config: GATEWAY_ONLY });
  });
  afterAll(() => app?.stop());

  it('starts and authenticates on /api/authenticate', async () => {
    const ok = await fetch(`${app.url}/api/authenticate`, { headers: { Authorization: basic('alice', 'alice-password') } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('authorization')).toMatch(/^Bearer ey/);
    const wrong = await fetch(`${app.url}/api/authenticate`, { headers: { Authorization: basic('alice', 'nope') } });
    expect(wrong.status).toBe(401);
  });

  it('runs no demo identity provider and says sign-in is not configured', async () => {
    const home = await fetch(`${app.url}/`);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('Sign-in is not configured');
    const auth = await fetch(`${app.url}/api/auth/session`);
    expect(auth.status).toBe(404);
    const tokens = await fetch(`${app.url}/tokens`, { redirect: 'manual' });
    expect(tokens.status).toBe(307);
    expect(tokens.headers.get('location')).toContain('/signin');
    expect(app.output()).not.toContain('demo identity provider');
  });
});

interface SecretStore {
  /** The stored session secrets (name, value) as the database holds them now. */
  secrets(): Promise<{ name: string; value: string }[]>;
  start(env?: Record<string, string>): Promise<RunningApp>;
  dispose(): Promise<void>;
}

async function pgliteStore(): Promise<SecretStore> {
  const dir = mkdtempSync(path.join(tmpdir(), 'aot-secret-'));
  const dataDir = path.join(dir, 'pglite');
  return {
    async secrets() {
      const db = new PGlite(dataDir);
      try {
        return (await db.query<{ name: string; value: string }>('select name, value from app_secrets')).rows;
      } finally {
        await db.close();
      }
    },
    start: (env) => startApp({ config: WITH_PORTAL, pglitePath: dataDir, env }),
    async dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgresStore(): Promise<SecretStore> {
  const database: TestDatabase = await createPostgresDatabase();
  return {
    async secrets() {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        return (await client.query<{ name: string; value: string }>('select name, value from app_secrets')).rows;
      } finally {
        await client.end();
      }
    },
    start: (env) => startApp({ config: WITH_PORTAL, databaseUrl: database.url, env }),
    dispose: () => database.drop(),
  };
}

/** Asks next-auth for a CSRF token; with the cookie of an earlier answer, the same token comes back only if the secret is the same. */
async function csrf(app: RunningApp, cookie?: string): Promise<{ token: string; cookie: string }> {
  const response = await fetch(`${app.url}/api/auth/csrf`, { headers: cookie ? { Cookie: cookie } : {} });
  expect(response.status).toBe(200);
  const { csrfToken } = (await response.json()) as { csrfToken: string };
  const setCookie = response.headers.getSetCookie().find((c) => c.startsWith('authjs.csrf-token='));
  return { token: csrfToken, cookie: setCookie?.split(';')[0] ?? cookie ?? '' };
}

describe.each([
  ['pglite', pgliteStore],
  ['postgres', postgresStore],
] as const)('the session secret (%s)', (_kind, makeStore) => {
  let store: SecretStore;
  beforeAll(async () => {
    store = await makeStore();
  });
  afterAll(() => store?.dispose());

  it('is generated once, stored, and reused after a restart', async () => {
    const first = await store.start();
    let issued: { token: string; cookie: string };
    try {
      issued = await csrf(first);
    } finally {
      await first.stop();
    }
    const stored = await store.secrets();
    expect(stored).toHaveLength(1);
    expect(stored[0]?.value.length).toBeGreaterThanOrEqual(32);

    const second = await store.start();
    try {
      // The restarted app accepts the cookie the first one signed: same secret.
      expect((await csrf(second, issued.cookie)).token).toBe(issued.token);
      expect(await store.secrets()).toEqual(stored);
      for (const output of [first.output(), second.output()]) expect(output).not.toContain(stored[0]?.value);
    } finally {
      await second.stop();
    }
  });
});

describe('AUTH_SECRET', () => {
  it('is used instead of a stored secret', async () => {
    const store = await pgliteStore();
    try {
      const withEnv = await store.start({ AUTH_SECRET: 'an-operator-provided-secret-of-enough-length' });
      let issued: { token: string; cookie: string };
      try {
        issued = await csrf(withEnv);
      } finally {
        await withEnv.stop();
      }
      expect(await store.secrets()).toEqual([]);

      // Without it a secret is generated, and the earlier cookie no longer verifies.
      const generated = await store.start();
      try {
        expect((await csrf(generated, issued.cookie)).token).not.toBe(issued.token);
      } finally {
        await generated.stop();
      }
      expect(await store.secrets()).toHaveLength(1);
    } finally {
      await store.dispose();
    }
  });
});

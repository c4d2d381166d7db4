import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test as base, expect, type Page } from '@playwright/test';
import pg from 'pg';
import { DEMO_USERS } from '../lib/config/demo';
import { startApp, type RunningApp } from '../tests/support/app';

/** The portal as the tests run it: a gateway config with a portal section and no `portal.oidc`. */
const TEST_CONFIG = {
  version: '2.0.0',
  providers: [{ type: 'plain', name: 'basic', realm: 'local', users: [{ username: 'script', password: 'script-password', roles: ['user'] }] }],
  services: [
    { name: 'polytope', scopes: ['read', 'write'] },
    { name: 'mars', scopes: ['retrieve'] },
  ],
  portal: { realm: 'local', admin_roles: ['admin'] },
};

export type DemoUsername = (typeof DEMO_USERS)[number]['username'];

/** What a person does in the portal, so specs read as steps rather than selectors. */
export class PortalPage {
  constructor(readonly page: Page) {}

  /** From any portal page with a "Sign in" button: through the IdP's login form and back. */
  async signInWithIdp(username: DemoUsername, password = passwordOf(username)): Promise<void> {
    await this.page.getByRole('button', { name: 'Sign in' }).click();
    await this.page.waitForURL((url) => url.hostname === '127.0.0.1');
    await this.page.locator('input[name=login]').fill(username);
    await this.page.locator('input[name=password]').fill(password);
    await this.page.getByRole('button', { name: 'Sign-in' }).click();
  }

  /** Signs in from the sign-in page and waits to be back on `returnTo`. */
  async signIn(username: DemoUsername, returnTo = '/tokens'): Promise<void> {
    await this.page.goto(`/signin?callbackUrl=${encodeURIComponent(returnTo)}`);
    await this.signInWithIdp(username);
    await this.page.waitForURL((url) => url.hostname === 'localhost' && url.pathname === returnTo);
  }

  /** The page's own alert (Next adds an empty route announcer with the same role). */
  alert() {
    return this.page.getByRole('main').getByRole('alert');
  }

  signedInUser() {
    return this.page.getByTestId('signed-in-user');
  }

  async screenshot(name: string): Promise<void> {
    await this.page.screenshot({ path: base.info().outputPath(`${name}.png`), fullPage: true });
  }
}

function passwordOf(username: DemoUsername): string {
  const user = DEMO_USERS.find((u) => u.username === username);
  if (!user) throw new Error(`no demo user ${username}`);
  return user.password;
}

interface WorkerFixtures {
  portalApp: RunningApp;
  /** SQL against the app's database, for arranging state the UI cannot (disabling a user). */
  sql: (text: string, values?: unknown[]) => Promise<void>;
}

/**
 * One built app per worker, started like production (`server.ts` over `.next`) on Postgres, with
 * the built-in demo IdP (a real oidc-provider) on 127.0.0.1: the browser goes through the real
 * authorization-code + PKCE flow and the real login form.
 */
export const test = base.extend<{ portal: PortalPage }, WorkerFixtures>({
  portalApp: [
    async ({}, use, workerInfo) => {
      const app = await startApp({ config: TEST_CONFIG, database: 'postgres', urlHost: 'localhost', env: { AOT_DEMO_IDP_PORT: '0' } });
      try {
        await use(app);
      } finally {
        await app.stop();
        // The server's log beside the screenshots, for whoever reads a failure.
        writeFileSync(path.join(workerInfo.project.outputDir, `app-worker-${workerInfo.workerIndex}.log`), app.output());
      }
    },
    { scope: 'worker', timeout: 90_000 },
  ],
  sql: [
    async ({ portalApp }, use) => {
      const client = new pg.Client({ connectionString: portalApp.databaseUrl });
      await client.connect();
      await use(async (text, values) => void (await client.query(text, values)));
      await client.end();
    },
    { scope: 'worker' },
  ],
  baseURL: async ({ portalApp }, use) => use(portalApp.url),
  portal: async ({ page }, use) => use(new PortalPage(page)),
});

export { expect };

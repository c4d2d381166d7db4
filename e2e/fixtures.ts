import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test as base, expect, type Locator, type Page } from '@playwright/test';
import pg from 'pg';
import { DEMO_USERS } from '../lib/config/demo';
import { startApp, type RunningApp } from '../tests/support/app';
import { startEchoBackend, type EchoBackend } from '../tests/support/echo-backend';
import { startNginx, type RunningNginx } from '../tests/support/nginx';

const JWT = { iss: 'auth-o-tron-e2e', aud: 'e2e-backend', exp: 120 };

/**
 * The portal as the tests run it: a gateway config with a portal section and no `portal.oidc` (the
 * demo IdP is injected), the portal's own opaque tokens as a provider, and no policies, so whatever
 * a token authenticates reaches the backend and the tests see its claims.
 */
const TEST_CONFIG = {
  version: '2.0.0',
  providers: [
    { type: 'plain', name: 'basic', realm: 'local', users: [{ username: 'script', password: 'script-password', roles: ['user'] }] },
    { type: 'tokens', name: 'portal-tokens' },
  ],
  services: [
    { name: 'polytope', scopes: ['read', 'write'] },
    { name: 'mars', scopes: ['retrieve'] },
  ],
  default_policy: 'allow',
  jwt: JWT,
  portal: { realm: 'local', admin_roles: ['admin'] },
  // alice creates and rotates about 10 tokens within a minute across the specs (the default limit).
  tokens: { creations_per_minute: 100 },
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

  /** A screenshot of one part of the page (a section of /admin). */
  async screenshotOf(locator: Locator, name: string): Promise<void> {
    await locator.screenshot({ path: base.info().outputPath(`${name}.png`) });
  }

  /** Presses Tab (nothing else) until `target` has the focus; fails if it never does. */
  async tabTo(target: Locator, maxPresses = 60): Promise<void> {
    for (let i = 0; i < maxPresses; i += 1) {
      if (await target.evaluate((el) => el === document.activeElement)) return;
      await this.page.keyboard.press('Tab');
    }
    await expect(target, `not reachable with ${maxPresses} Tab presses`).toBeFocused();
  }

  get tokens(): TokensPage {
    return new TokensPage(this.page);
  }

  get admin(): AdminPage {
    return new AdminPage(this.page);
  }
}

export interface TokenInput {
  name: string;
  description?: string;
  scopes: string[];
  /** A preset as labelled ("7 days", "30 days", ...) or a date `YYYY-MM-DD`. */
  expiry?: string;
}

/** The create-token form, on /tokens or (with a user to pick) on /admin. */
export class TokenForm {
  constructor(readonly root: Locator) {}

  name = () => this.root.getByLabel('Name', { exact: true });
  description = () => this.root.getByLabel('Description');
  scope = (scope: string) => this.root.getByRole('checkbox', { name: scope, exact: true });
  expiryPreset = (label: string) => this.root.getByRole('radio', { name: `in ${label}` });
  expiryDate = () => this.root.getByLabel('Expiry date');
  submit = () => this.root.getByRole('button', { name: 'Create token' });
  secretPanel = () => this.root.getByTestId('secret-panel');

  async fill(input: TokenInput): Promise<void> {
    await this.name().fill(input.name);
    if (input.description) await this.description().fill(input.description);
    for (const scope of input.scopes) await this.scope(scope).check();
    if (input.expiry && /^\d{4}-\d{2}-\d{2}$/.test(input.expiry)) {
      await this.root.getByRole('radio', { name: 'on a date' }).check(); // the date field shows only then
      await this.expiryDate().fill(input.expiry);
    } else if (input.expiry) await this.expiryPreset(input.expiry).check();
  }

  /** Creates the token and returns its secret, read from the page's once-only panel. */
  async create(input: TokenInput): Promise<string> {
    await this.fill(input);
    await this.submit().click();
    return this.revealedSecret();
  }

  async revealedSecret(): Promise<string> {
    const secret = this.secretPanel().getByTestId('token-secret');
    await expect(secret).toBeVisible();
    return ((await secret.textContent()) ?? '').trim();
  }

  async dismissSecret(): Promise<void> {
    await this.secretPanel().getByRole('button', { name: 'I have stored it, hide it' }).click();
    await expect(this.secretPanel()).toHaveCount(0);
  }
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Cards of a token list, found by token name (and status, since a rotated token keeps its name). */
class TokenRows {
  constructor(readonly table: Locator) {}

  /** Every card of the list (its direct items). */
  items(): Locator {
    return this.table.locator(':scope > li');
  }

  row(name: string, status?: 'Active' | 'Expired' | 'Revoked'): Locator {
    // The card's link is named "<name> (aot_AbCdEfGh…)": the name alone, then the start of the token.
    const rows = this.items().filter({ has: this.table.page().getByRole('link', { name: new RegExp(`^${escapeRegExp(name)} \\(`) }) });
    return status ? rows.filter({ has: this.table.page().getByText(status, { exact: true }) }) : rows;
  }

  /** The same card however its status changes. */
  async stableRow(name: string, status: 'Active' | 'Expired' | 'Revoked' = 'Active'): Promise<Locator> {
    const id = await this.row(name, status).getAttribute('data-token-id');
    return this.table.locator(`li[data-token-id="${id}"]`);
  }

  /** Revokes through the two-step confirmation; the page's notice says it worked. */
  async revoke(name: string): Promise<Locator> {
    const row = await this.stableRow(name);
    await row.getByRole('button', { name: /^Revoke/ }).click();
    await row.getByRole('button', { name: /^Yes, revoke/ }).click();
    await expect(this.table.page().getByTestId('notice')).toContainText('revoked');
    return row;
  }
}

export class TokensPage {
  readonly form: TokenForm;
  readonly list: TokenRows;

  constructor(readonly page: Page) {
    this.form = new TokenForm(page.getByRole('region', { name: 'Create a token', exact: true }));
    this.list = new TokenRows(page.getByRole('list', { name: 'Your API tokens' }));
  }

  async goto(query = ''): Promise<void> {
    await this.page.goto(`/tokens${query}`);
  }

  /** Rotates from the row's dialog and returns the new secret shown there. */
  async rotate(name: string, oldSecretStops: 'Now' | 'After 1 hour' | 'After 24 hours'): Promise<string> {
    const row = await this.list.stableRow(name);
    await row.getByRole('button', { name: /^Rotate/ }).click();
    const dialog = this.page.getByRole('dialog', { name: `Rotate ${name}` });
    await dialog.getByRole('radio', { name: oldSecretStops }).check();
    await dialog.getByRole('button', { name: 'Rotate token' }).click();
    const secret = dialog.getByTestId('token-secret');
    await expect(secret).toBeVisible();
    const value = ((await secret.textContent()) ?? '').trim();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect(dialog).toBeHidden();
    return value;
  }
}

/** The administration pages: /admin/tokens, /admin/tokens/new, /admin/users, /admin/audit. */
export class AdminPage {
  readonly tokensSection: Locator;
  readonly usersSection: Locator;
  readonly auditSection: Locator;
  readonly createForm: TokenForm;
  readonly tokens: TokenRows;

  constructor(readonly page: Page) {
    const section = (name: string) => page.getByRole('region', { name, exact: true });
    this.tokensSection = section('Tokens of every user');
    this.usersSection = section('User list');
    this.auditSection = section('Audit entries');
    this.createForm = new TokenForm(section('Create a token for a user'));
    this.tokens = new TokenRows(page.getByRole('list', { name: 'Tokens of every user' }));
  }

  async goto(query = ''): Promise<void> {
    await this.page.goto(`/admin/tokens${query}`);
  }

  /** The search form (posted, so a pasted token never reaches the address): the filter ends up in the address. */
  async search(text: string, status: '' | 'active' | 'expired' | 'revoked' = '', expectInUrl = text): Promise<void> {
    if (!this.page.url().includes('/admin/tokens')) await this.goto();
    await this.tokensSection.getByLabel('User, token name, token id or whole token').fill(text);
    await this.tokensSection.getByLabel('Status').selectOption(status);
    await this.tokensSection.getByRole('button', { name: 'Search' }).click();
    await this.page.waitForURL((url) => url.pathname === '/admin/tokens' && url.searchParams.get('search') === expectInUrl && (url.searchParams.get('status') ?? '') === status);
  }

  async createFor(user: string, input: TokenInput): Promise<string> {
    await this.page.goto('/admin/tokens/new');
    await this.createForm.root.getByLabel('User', { exact: true }).selectOption({ label: user });
    return this.createForm.create(input);
  }

  userRow(handle: string): Locator {
    return this.usersSection
      .getByRole('list', { name: 'Users' })
      .locator(':scope > li')
      .filter({ has: this.page.getByRole('heading', { name: handle, exact: true }) });
  }

  /** Disables or enables through the confirmation; the page's notice says it worked. */
  async setUserDisabled(handle: string, disabled: boolean): Promise<void> {
    if (!this.page.url().includes('/admin/users')) await this.page.goto('/admin/users');
    const row = this.userRow(handle);
    await row.getByRole('button', { name: disabled ? /^Disable/ : /^Enable/ }).click();
    await row.getByRole('button', { name: disabled ? /^Yes, disable/ : /^Yes, enable/ }).click();
    await expect(this.page.getByTestId('notice')).toHaveText(`✓ ${handle} ${disabled ? 'disabled' : 'enabled'}.`);
    await expect(row.getByText(disabled ? 'Disabled' : 'Enabled', { exact: true })).toBeVisible();
  }

  /** Entries of the audit log page, newest first. */
  auditRows(): Locator {
    return this.auditSection.getByRole('list', { name: 'Audit log, newest first' }).locator(':scope > li');
  }

  /** Entries of one action (by its code). */
  auditEntries(action: string): Locator {
    return this.auditSection.locator(`li[data-action="${action}"]`);
  }
}

/** The id of a built server action, as a browser would send it in `Next-Action`. */
export function serverActionId(file: string, exportedName: string): string {
  const manifestPath = path.join(import.meta.dirname, '../.next/server/server-reference-manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { node: Record<string, { filename: string; exportedName: string }> };
  const found = Object.entries(manifest.node).find(([, entry]) => entry.filename === file && entry.exportedName === exportedName);
  if (!found) throw new Error(`no server action ${exportedName} in ${file}: rebuild the app`);
  return found[0];
}

function passwordOf(username: DemoUsername): string {
  const user = DEMO_USERS.find((u) => u.username === username);
  if (!user) throw new Error(`no demo user ${username}`);
  return user.password;
}

/** nginx with the shipped config in front of the app, and the echo backend behind it. */
export interface ApiGateway {
  nginx: RunningNginx;
  backend: EchoBackend;
  /** `GET /api/v1/data` through nginx with `Authorization: Bearer <secret>`. */
  call(secret: string): Promise<Response>;
  status(secret: string): Promise<number>;
}

interface WorkerFixtures {
  portalApp: RunningApp;
  /** SQL against the app's database, for arranging state the UI cannot (disabling a user); returns the rows. */
  sql: (text: string, values?: unknown[]) => Promise<Array<Record<string, unknown>>>;
  gateway: ApiGateway;
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
      await use(async (text, values) => (await client.query(text, values)).rows as Array<Record<string, unknown>>);
      await client.end();
    },
    { scope: 'worker' },
  ],
  gateway: [
    async ({ portalApp }, use) => {
      const backend = await startEchoBackend({ jwksUrl: `http://127.0.0.1:${portalApp.port}/.well-known/jwks.json`, issuer: JWT.iss, audience: JWT.aud });
      const nginx = await startNginx({ appAddresses: [`127.0.0.1:${portalApp.port}`], backendAddress: backend.address });
      const call = (secret: string) => fetch(`${nginx.url}/api/v1/data`, { headers: { Authorization: `Bearer ${secret}` } });
      try {
        await use({
          nginx,
          backend,
          call,
          status: async (secret) => {
            const response = await call(secret);
            await response.arrayBuffer(); // drain, so keep-alive connections are reused
            return response.status;
          },
        });
      } finally {
        await nginx.stop();
        await backend.close();
      }
    },
    { scope: 'worker', timeout: 30_000 },
  ],
  baseURL: async ({ portalApp }, use) => use(portalApp.url),
  portal: async ({ page }, use) => use(new PortalPage(page)),
});

export { expect };

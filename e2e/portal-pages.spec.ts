import { mkdirSync } from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, PortalPage, test } from './fixtures';

// The portal's pages as people meet them: every page at desktop and phone width (no sideways
// scrolling, actions in view, no axe violations), paging, search by a whole token, the audit log's
// filters and CSV, names that tell tokens apart, and sign-ins in the audit log.

// docs/portal.md's pictures are refreshed with AOT_DOCS_SCREENSHOTS=1; other runs keep theirs in test-results (a test run leaves the tree clean).
const SCREENSHOTS = path.join(import.meta.dirname, process.env.AOT_DOCS_SCREENSHOTS ? '../docs/screenshots' : '../test-results/screenshots');
const WIDTHS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;

async function noSidewaysOverflow(page: Page, width: number): Promise<void> {
  expect(await page.evaluate(() => document.documentElement.scrollWidth), `${page.url()} scrolls sideways at ${width} px`).toBeLessThanOrEqual(width);
}

async function noAxeViolations(page: Page): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  expect(
    violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`),
    page.url(),
  ).toEqual([]);
}

/** Inserts expired tokens straight into the database (arranging, not clicking): they count against no cap and never verify. */
async function insertExpiredTokens(sql: (text: string, values?: unknown[]) => Promise<unknown[]>, username: string, prefix: string, count: number): Promise<void> {
  await sql(
    `insert into tokens (id, owner_id, name, scopes, secret_hash, expires_at, created_at, created_by)
     select 'e2epg' || lpad(n::text, 11, '0'), u.id, $2 || ' ' || lpad(n::text, 3, '0'), '[]', 'not-a-hash', now() - interval '1 day', now() - interval '2 days' - n * interval '1 minute', 'local/' || u.username
     from users u, generate_series(1, $3::int) n where u.realm = 'local' and u.username = $1
     on conflict (id) do nothing`,
    [username, prefix, count],
  );
}

test('every page fits 1280 and 390 px, keeps its actions in view and passes axe', async ({ page, portal, sql }) => {
  test.setTimeout(180_000);
  mkdirSync(SCREENSHOTS, { recursive: true });
  await portal.signIn('admin', '/tokens');
  const secret = await portal.tokens.form.create({ name: 'e2e pages tour', description: 'for the screenshots', scopes: ['polytope:read'], expiry: '30 days' });
  expect(secret).toMatch(/^aot_/);
  const id = (await portal.tokens.list.row('e2e pages tour', 'Active').first().getAttribute('data-token-id')) ?? '';
  await portal.tokens.form.dismissSecret();
  await sql(`insert into users (realm, username, name, email, roles) values ('local', 'e2e-someone', 'Some One', 'someone@example.org', '["user"]') on conflict do nothing`);

  const pages: Array<{ path: string; shot: string; action?: RegExp }> = [
    { path: '/', shot: 'home' },
    { path: '/tokens', shot: 'tokens', action: /^Revoke token e2e pages tour/ },
    { path: `/tokens/${id}`, shot: 'token-details', action: /^Rotate token e2e pages tour/ },
    { path: '/admin', shot: 'admin' },
    { path: '/admin/tokens', shot: 'admin-tokens', action: /^Revoke token e2e pages tour/ },
    { path: '/admin/tokens/new', shot: 'admin-new-token' },
    { path: '/admin/users', shot: 'admin-users', action: /^Disable local\/e2e-someone/ },
    { path: '/admin/audit', shot: 'admin-audit' },
    { path: '/no-such-page', shot: 'not-found' },
  ];
  for (const { name, width, height } of WIDTHS) {
    await page.setViewportSize({ width, height });
    for (const entry of pages) {
      await page.goto(entry.path);
      await expect(page.getByRole('main')).toBeVisible();
      await noSidewaysOverflow(page, width);
      if (entry.action) {
        const button = page.getByRole('main').getByRole('button', { name: entry.action }).first();
        await button.scrollIntoViewIfNeeded();
        await expect(button).toBeInViewport();
        const box = await button.boundingBox();
        expect(box && box.x >= 0 && box.x + box.width <= width, `${entry.path}: the action is cut off at ${width} px`).toBe(true);
      }
      await noAxeViolations(page);
      await page.screenshot({ path: path.join(SCREENSHOTS, `${entry.shot}-${name}.png`), fullPage: true });
    }
  }
  // The 404 is inside the site: its header and a way back.
  await page.goto('/no-such-page');
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await expect(page.getByRole('banner').getByRole('link', { name: 'Auth-O-Tron' })).toBeVisible();
  await expect(page.getByRole('main').getByRole('link', { name: 'Your tokens' })).toBeVisible();
  // A favicon, and operator links only for admins.
  expect((await page.request.get('/icon.svg')).headers()['content-type']).toContain('image/svg+xml');
  await page.goto('/');
  await expect(page.getByRole('link', { name: 'Health' })).toBeVisible();
});

test('an end user sees no operator links; signed out, the sign-in page explains itself', async ({ page, portal }) => {
  await page.goto('/signin');
  await noAxeViolations(page);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'signin-desktop.png'), fullPage: true });
  await portal.signIn('alice', '/');
  await expect(page.getByRole('link', { name: 'Providers' })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Health' })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Admin' })).toHaveCount(0);
});

test('120 tokens page by 50, by keyboard, and past the end the page says so and links back', async ({ page, portal, sql }) => {
  await portal.signIn('admin', '/tokens');
  await insertExpiredTokens(sql, 'admin', 'e2e paged', 120);
  expect(await sql(`select count(*)::int as n from tokens where name like 'e2e paged %'`)).toEqual([{ n: 120 }]);
  await page.goto('/tokens?search=e2e+paged');
  const summary = page.getByTestId('list-summary');
  await expect(summary).toHaveText('120 tokens match; showing 1–50.');
  await expect(portal.tokens.list.items()).toHaveCount(50);
  await expect(portal.tokens.list.items().first()).toContainText('e2e paged 001');

  const pages = page.getByRole('navigation', { name: 'Token pages' });
  await expect(pages).toContainText('Page 1 of 3');
  await portal.tabTo(pages.getByRole('link', { name: /Next page/ }), 400);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/[?&]page=2/);
  await expect(summary).toHaveText('120 tokens match; showing 51–100.');
  await expect(portal.tokens.list.items().first()).toContainText('e2e paged 051');
  await portal.tabTo(pages.getByRole('link', { name: /Next page/ }), 400);
  await page.keyboard.press('Enter');
  await expect(summary).toHaveText('120 tokens match; showing 101–120.');
  await expect(portal.tokens.list.items()).toHaveCount(20);
  await expect(pages.getByRole('link', { name: /Next page/ })).toHaveCount(0);

  await page.goto('/tokens?search=e2e+paged&page=7');
  await expect(pages).toContainText('There is no page 7: the list has 3 pages.');
  await pages.getByRole('link', { name: 'Go to page 3' }).click();
  await expect(page).toHaveURL(/[?&]page=3/);
  await expect(portal.tokens.list.items()).toHaveCount(20);

  // The JSON API pages the same way, with the same default.
  const api = (await (await page.request.get('/api/tokens?search=e2e+paged&page=3')).json()) as { tokens: unknown[]; page: number; per_page: number; total: number; pages: number };
  expect({ ...api, tokens: api.tokens.length }).toEqual({ tokens: 20, page: 3, per_page: 50, total: 120, pages: 3 });
  // The status filter: none of them is active.
  await page.goto('/tokens?search=e2e+paged&status=active');
  await expect(summary).toHaveText('0 tokens match.');
});

test('an admin finds a token by its whole value, which never reaches the address', async ({ page, portal }) => {
  await portal.signIn('admin', '/tokens');
  const secret = await portal.tokens.form.create({ name: 'e2e found by value', scopes: [], expiry: '7 days' });
  const id = secret.split('_')[1] ?? '';
  await portal.admin.search(secret, '', id);
  expect(page.url()).not.toContain(secret.slice(-20));
  await expect(portal.admin.tokens.items()).toHaveCount(1);
  await expect(portal.admin.tokens.items().first()).toHaveAttribute('data-token-id', id);
  // By realm/user and by id too.
  await portal.admin.search('local/admin', 'active');
  await expect(portal.admin.tokens.row('e2e found by value')).toHaveCount(1);
  await portal.admin.search(id, 'active');
  await expect(portal.admin.tokens.items()).toHaveCount(1);
  // Revoked in an "active only" view, the card leaves the list; the message stays and has the focus.
  const card = portal.admin.tokens.items().first();
  await card.getByRole('button', { name: /^Revoke/ }).click();
  await card.getByRole('button', { name: /^Yes, revoke/ }).click();
  const notice = page.getByTestId('notice');
  await expect(notice).toHaveText('✓ Token "e2e found by value" of local/admin revoked.');
  await expect(notice).toBeFocused();
  await expect(portal.admin.tokens.items()).toHaveCount(0);
  await expect(page.getByTestId('list-summary')).toHaveText('0 tokens match.');
});

test('two tokens of one name: a warning, and every control names which one it acts on', async ({ page, portal }) => {
  await portal.signIn('admin', '/tokens');
  const { form } = portal.tokens;
  await form.create({ name: 'e2e twin', scopes: [], expiry: '7 days' });
  await form.dismissSecret();
  await form.create({ name: 'e2e twin', scopes: [], expiry: '7 days' });
  await expect(form.secretPanel()).toContainText('You already have an active token named "e2e twin"');
  await form.dismissSecret();

  await page.goto('/tokens?search=e2e+twin');
  const list = page.getByRole('list', { name: 'Your API tokens' });
  const revokes = list.getByRole('button', { name: /^Revoke token e2e twin \(aot_[0-9A-Za-z]{8}…\)$/ });
  await expect(revokes).toHaveCount(2);
  // Accessible names (what a screen reader says), each unique in the list.
  const accessible = await Promise.all(
    (await list.getByRole('button').all()).concat(await list.getByRole('link').all()).map(async (c) => c.evaluate((el) => el.textContent?.replace(/\s+/g, ' ').trim())),
  );
  expect(new Set(accessible).size, accessible.join(' | ')).toBe(accessible.length);
});

test('disable and enable a user by keyboard, with a confirmation and a message', async ({ page, portal, sql }) => {
  await sql(`insert into users (realm, username, roles) values ('local', 'e2e-keyboard-user', '[]') on conflict (realm, username) do update set disabled_at = null`);
  await portal.signIn('admin', '/admin/users');
  await page.goto('/admin/users?search=e2e-keyboard-user');
  const row = portal.admin.userRow('local/e2e-keyboard-user');
  await portal.tabTo(row.getByRole('button', { name: 'Disable local/e2e-keyboard-user' }));
  await page.keyboard.press('Enter');
  await expect(row).toContainText('Their portal session ends and every token of theirs stops working at once.');
  await expect(row.getByRole('button', { name: 'Yes, disable local/e2e-keyboard-user' })).toBeFocused();
  await page.keyboard.press('Enter');
  const notice = page.getByTestId('notice');
  await expect(notice).toHaveText('✓ local/e2e-keyboard-user disabled.');
  await expect(notice).toBeFocused();
  await expect(row.getByText('Disabled', { exact: true })).toBeVisible();

  await portal.tabTo(row.getByRole('button', { name: 'Enable local/e2e-keyboard-user' }));
  await page.keyboard.press('Enter');
  await page.keyboard.press('Enter');
  await expect(notice).toHaveText('✓ local/e2e-keyboard-user enabled.');
  expect((await sql(`select disabled_at from users where username = 'e2e-keyboard-user'`))[0]?.disabled_at).toBeNull();
});

test('sign-ins and refused sign-ins are in the audit log; a disabled session is told why', async ({ page, portal, sql, browser, portalApp }) => {
  await portal.signIn('alice', '/tokens');
  try {
    await sql(`update users set disabled_at = now(), disabled_by = 'admin' where realm = 'local' and username = 'alice'`);
    await page.goto('/tokens');
    await expect(page).toHaveURL(/\/signin\?.*reason=disabled/);
    await expect(portal.alert()).toContainText('Your account has been disabled');
    // Signing in again is refused (the IdP still knows alice: no login form), and recorded.
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname === '/signin' && url.searchParams.get('error') === 'AccessDenied');
  } finally {
    await sql(`update users set disabled_at = null, disabled_by = null where realm = 'local' and username = 'alice'`);
  }

  const adminContext = await browser.newContext({ baseURL: portalApp.url });
  const adminPage = await adminContext.newPage();
  const admin = new PortalPage(adminPage);
  await admin.signIn('admin', '/admin/audit');
  await adminPage.goto('/admin/audit?actor=local%2Falice&action=user.sign_in_refused');
  const refused = admin.admin.auditEntries('user.sign_in_refused').first();
  await expect(refused).toContainText('Sign-in refused');
  await expect(refused).toContainText('the account is disabled');
  await adminPage.goto('/admin/audit?actor=local%2Falice&action=user.sign_in');
  await expect(admin.admin.auditEntries('user.sign_in').first()).toContainText('Signed in');
  await adminContext.close();
});

test('the audit log filters by actor, action, user and dates, to the second, and exports CSV', async ({ page, portal }) => {
  await portal.signIn('admin', '/tokens');
  await portal.tokens.form.create({ name: 'e2e audited', scopes: [], expiry: '7 days' });
  await page.goto('/admin/audit');
  const section = portal.admin.auditSection;
  await section.getByLabel('Actor (realm/username)').fill('local/admin');
  await section.getByLabel('Action').selectOption({ label: 'Token created' });
  const today = new Date().toISOString().slice(0, 10);
  await section.getByLabel('From (UTC day)').fill(today);
  await section.getByLabel('To (UTC day, included)').fill(today);
  await section.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/action=token.create/);
  const rows = portal.admin.auditRows();
  await expect(rows.first()).toBeVisible();
  expect(await rows.evaluateAll((items) => items.every((li) => li.getAttribute('data-action') === 'token.create'))).toBe(true);
  await expect(rows.filter({ hasText: 'e2e audited' })).toHaveCount(1);
  await expect(rows.first().locator('time')).toHaveText(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/); // seconds
  await expect(rows.first()).toContainText('User agent');
  await expect(rows.first()).toContainText('Chrome');

  // A day with nothing in it.
  await page.goto('/admin/audit?from=2001-01-01&to=2001-01-02');
  await expect(page.getByTestId('list-summary')).toHaveText('0 entries match.');
  // A date that is not one: said next to the field.
  await page.goto('/admin/audit?from=01/02/2026');
  await expect(section.getByLabel('From (UTC day)')).toHaveAccessibleDescription(/expected a date yyyy-mm-dd/i);

  await page.goto(`/admin/audit?actor=local%2Fadmin&action=token.create&from=${today}`);
  const [download] = await Promise.all([page.waitForEvent('download'), section.getByRole('link', { name: 'Download as CSV' }).click()]);
  expect(download.suggestedFilename()).toMatch(/^audit-\d{4}-\d{2}-\d{2}\.csv$/);
  const href = (await section.getByRole('link', { name: 'Download as CSV' }).getAttribute('href')) ?? '';
  const response = await page.request.get(href);
  expect(response.headers()['content-type']).toBe('text/csv; charset=utf-8');
  const lines = (await response.text()).trimEnd().split('\r\n');
  expect(lines[0]).toBe('time,actor,action,action_code,target_user,token_id,token_name,client_address,user_agent,details');
  expect(lines.slice(1).every((line) => line.includes(',Token created,token.create,'))).toBe(true);
  expect(lines.some((line) => line.includes('e2e audited'))).toBe(true);
});

import AxeBuilder from '@axe-core/playwright';
import { expect, test } from './fixtures';

// A token's page after real use through nginx: usage counted (flushed every 10 s, so polled),
// the address it came from, restrictions edited by keyboard and enforced at the gateway, and an
// admin revoking all of a user's tokens at once. The tokens are the admin's own (from /tokens):
// tokens.spec.ts, run later by the same app, counts alice's.

const USES = 3;

test('the token page shows the uses made through the gateway, the address and the restrictions set at creation', async ({ page, portal, gateway }) => {
  test.setTimeout(90_000);
  await portal.signIn('admin', '/tokens');
  const form = portal.tokens.form;
  await form.fill({ name: 'e2e usage', scopes: ['polytope:read'], expiry: '7 days' });
  // The restrictions part is collapsed until asked for.
  const ips = form.root.getByLabel('Client addresses');
  await expect(ips).toBeHidden();
  await form.root.locator('summary', { hasText: 'Restrictions' }).click();
  await ips.fill('127.0.0.0/8, ::1');
  // A bad entry is refused on its own field, which takes the focus; the typed entries stay.
  const paths = form.root.getByLabel('Paths');
  await paths.fill('v1/**');
  await form.submit().click();
  await expect(paths).toBeFocused();
  await expect(paths).toHaveAccessibleDescription(/“v1\/\*\*”: expected a path glob starting with \//);
  await expect(ips).toHaveValue('127.0.0.0/8, ::1');
  await expect(portal.tokens.list.row('e2e usage')).toHaveCount(0);
  await paths.fill('');
  await form.submit().click();
  const secret = await form.revealedSecret();
  const id = (await portal.tokens.list.row('e2e usage', 'Active').first().getAttribute('data-token-id')) ?? '';

  for (let i = 0; i < USES; i += 1) expect(await gateway.status(secret)).toBe(200);

  await page.goto(`/tokens/${id}`);
  const usage = page.getByTestId('usage-section');
  await expect(async () => {
    await page.reload();
    await expect(usage.getByTestId('usage-total')).toHaveText(`${USES} requests`, { timeout: 1_000 });
  }).toPass({ timeout: 40_000, intervals: [2_000] });
  // Both charts say the count in words; the table alternative has the numbers.
  const charts = usage.getByTestId('usage-chart');
  await expect(charts).toHaveCount(2);
  for (const chart of await charts.all()) await expect(chart.locator('figcaption')).toContainText(`${USES} requests in`);
  await charts.first().getByText('Requests per day as a table').click();
  await expect(charts.first().getByRole('table')).toContainText(String(USES));
  await expect(usage.getByRole('list', { name: 'Recent client addresses' })).toContainText('127.0.0.1');
  await expect(page.getByRole('definition').filter({ hasText: '127.0.0.0/8' })).toContainText('::1');

  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  expect(violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`)).toEqual([]);
});

test('restrictions edited by keyboard: an invalid range is refused on its field, a valid one saved and enforced', async ({ page, portal, gateway }) => {
  test.setTimeout(90_000);
  await portal.signIn('admin', '/tokens');
  const secret = await portal.tokens.form.create({ name: 'e2e restricted', scopes: [], expiry: '7 days' });
  const id = (await portal.tokens.list.row('e2e restricted', 'Active').first().getAttribute('data-token-id')) ?? '';
  expect(await gateway.status(secret)).toBe(200);

  await page.goto(`/tokens/${id}`);
  const section = page.getByTestId('restrictions-section');
  await expect(section).toContainText('None: the token works from any address');
  const ips = section.getByLabel('Client addresses');
  const save = section.getByRole('button', { name: 'Save restrictions' });

  await portal.tabTo(ips);
  await page.keyboard.type('192.0.2.0/24\n10.0.0.0/33');
  await portal.tabTo(save);
  await page.keyboard.press('Enter');
  await expect(section.getByRole('alert')).toContainText('Some fields need your attention');
  await expect(ips).toBeFocused();
  await expect(ips).toHaveAttribute('aria-invalid', 'true');
  await expect(ips).toHaveAccessibleDescription(/“10\.0\.0\.0\/33”: expected an IP address or CIDR range/);
  await expect(ips).toHaveValue('192.0.2.0/24\n10.0.0.0/33');
  // Nothing saved: still unrestricted, still usable.
  await page.reload();
  await expect(section).toContainText('None: the token works from any address');
  expect(await gateway.status(secret)).toBe(200);

  await portal.tabTo(ips);
  await page.keyboard.type('192.0.2.0/24');
  await portal.tabTo(save);
  await page.keyboard.press('Enter');
  await expect(section.getByRole('status')).toHaveText('Restrictions of "e2e restricted" saved.');
  await expect(section.getByRole('definition')).toHaveText('192.0.2.0/24');
  // The test's own address (loopback, through nginx) is outside the range: refused at the gateway.
  await expect.poll(() => gateway.status(secret), { timeout: 10_000 }).toBe(403);

  // Once revoked, the restrictions are history: shown, no longer editable.
  await page
    .getByRole('main')
    .getByRole('button', { name: /^Revoke token e2e restricted/ })
    .click();
  await page
    .getByRole('main')
    .getByRole('button', { name: /^Yes, revoke token e2e restricted/ })
    .click();
  await expect(section).toContainText('The token is revoked: its restrictions can no longer be changed.');
  await expect(save).toHaveCount(0);
  await expect(section.getByRole('definition')).toHaveText('192.0.2.0/24');
});

test('an admin revokes all of a user’s tokens at once from /admin/users, after a confirmation', async ({ page, portal, gateway, sql }) => {
  test.setTimeout(90_000);
  await sql(`insert into users (realm, username, name, roles) values ('local', 'e2e-bulk', 'Bulk User', '["user"]') on conflict (realm, username) do update set disabled_at = null`);
  await portal.signIn('admin', '/tokens');
  const secrets = [];
  for (const name of ['e2e bulk one', 'e2e bulk two']) secrets.push(await portal.admin.createFor('local/e2e-bulk (Bulk User)', { name, scopes: [], expiry: '7 days' }));
  for (const secret of secrets) expect(await gateway.status(secret)).toBe(200);

  await page.goto('/admin/users?search=e2e-bulk');
  const row = portal.admin.userRow('local/e2e-bulk');
  await row.getByRole('button', { name: 'Revoke all tokens of local/e2e-bulk' }).click();
  await expect(row).toContainText('Revoke every active token of local/e2e-bulk?');
  await row.getByRole('button', { name: 'Yes, revoke all tokens of local/e2e-bulk' }).click();
  await expect(page.getByTestId('notice')).toHaveText('✓ 2 tokens of local/e2e-bulk revoked.');
  for (const secret of secrets) await expect.poll(() => gateway.status(secret), { timeout: 10_000 }).toBe(401);
});

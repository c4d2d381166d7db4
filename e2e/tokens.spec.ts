import { expect, serverActionId, test } from './fixtures';

const dateIn = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

// One story, in order: what alice does with her tokens, then what the admin sees and does about it.
// The secrets travel from the page to nginx exactly as a person would copy them into a script.
test.describe
  .serial('tokens from the portal, used through nginx', () => {
    /** alice's token that the admin revokes later, and the ids the audit log must name. */
    let backupSecret = '';
    const ids: Record<string, string> = {};

    test('alice creates a scoped token, sees its secret once, uses it through nginx and revokes it', async ({ page, portal, gateway, context, portalApp }) => {
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: portalApp.url });
      await portal.signIn('alice');
      const { form, list } = portal.tokens;

      const secret = await form.create({ name: 'e2e ci pipeline', description: 'nightly data pull', scopes: ['polytope:read', 'mars:retrieve'], expiry: '30 days' });
      expect(secret).toMatch(/^aot_[0-9A-Za-z]+_[0-9A-Za-z]+$/);
      const panel = form.secretPanel();
      await expect(panel).toContainText('This is the only time it is shown');
      await expect(panel).toContainText('cannot be shown again');
      await expect(panel.getByRole('heading', { name: 'Copy your new token now' })).toBeFocused();
      await panel.getByRole('button', { name: 'Copy token' }).click();
      await expect(panel.getByRole('status')).toHaveText('✓ Copied');
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
      await portal.screenshot('secret-panel');

      // The backend behind nginx gets a verified JWT for alice with exactly the token's scopes.
      gateway.backend.clear();
      const response = await gateway.call(secret);
      expect(response.status, gateway.nginx.errorLog()).toBe(200);
      const claims = gateway.backend.received.at(-1)?.claims;
      expect(claims).toMatchObject({ sub: 'local-alice', username: 'alice', realm: 'local', auth: { method: 'tokens', provider: 'portal-tokens' } });
      expect(claims?.scopes).toEqual({ polytope: ['read'], mars: ['retrieve'] });

      // Shown once: a reload has no panel and no secret anywhere on the page.
      await page.reload();
      await expect(form.secretPanel()).toHaveCount(0);
      expect(await page.content()).not.toContain(secret);

      const row = await list.stableRow('e2e ci pipeline');
      ids.ci = (await row.getAttribute('data-token-id')) ?? '';
      await expect(row).toContainText('Active');
      await expect(row).toContainText('nightly data pull');
      await expect(row).toContainText('polytope:read, mars:retrieve');
      // Last use is recorded off the request path (batched every few seconds).
      await expect(async () => {
        await page.reload();
        await expect(row).toContainText('from 127.0.0.1', { timeout: 1000 });
      }).toPass({ timeout: 20_000 });
      await portal.screenshot('tokens-list');

      await list.revoke('e2e ci pipeline');
      await expect(row).toContainText(/Revoked.*by local\/alice/);
      await expect.poll(() => gateway.status(secret), { timeout: 5000 }).toBe(401);
    });

    test('alice rotates tokens: the old secret stops at once, or after the grace period', async ({ portal, gateway }) => {
      await portal.signIn('alice');
      const { form, list } = portal.tokens;

      const old = await form.create({ name: 'e2e nightly', scopes: ['polytope:write'], expiry: '7 days' });
      await form.dismissSecret();
      expect(await gateway.status(old)).toBe(200);
      ids.nightly = (await list.row('e2e nightly', 'Active').getAttribute('data-token-id')) ?? '';
      const fresh = await portal.tokens.rotate('e2e nightly', 'Now');
      expect(fresh).not.toBe(old);
      expect(fresh.startsWith(`aot_${ids.nightly}_`)).toBe(true); // the same token, with a new secret
      await expect.poll(() => gateway.status(old), { timeout: 5000 }).toBe(401);
      expect(await gateway.status(fresh)).toBe(200);
      await expect(list.row('e2e nightly')).toHaveCount(1);
      await expect(list.row('e2e nightly', 'Active')).toHaveAttribute('data-token-id', ids.nightly);

      const graceOld = await form.create({ name: 'e2e with grace', scopes: [], expiry: '7 days' });
      await form.dismissSecret();
      const graceNew = await portal.tokens.rotate('e2e with grace', 'After 1 hour');
      expect(await gateway.status(graceNew)).toBe(200);
      expect(await gateway.status(graceOld)).toBe(200); // still within its hour

      // A custom date: the token expires at 00:00 UTC that day.
      const date = dateIn(45);
      backupSecret = await form.create({ name: 'e2e backup', scopes: ['mars:retrieve'], expiry: date });
      await form.dismissSecret();
      await expect(list.row('e2e backup')).toContainText(`${date} 00:00:00 UTC`);
      expect(await gateway.status(backupSecret)).toBe(200);
    });

    test('the admin finds, revokes and issues tokens, disables alice, and the audit log shows every step', async ({ page, portal, gateway, sql }) => {
      await portal.signIn('admin', '/admin/tokens');
      const admin = portal.admin;

      await admin.search('local/alice');
      await expect(admin.tokens.row('e2e ci pipeline')).toContainText('local/alice');
      await expect(admin.tokens.items()).toHaveCount(4); // alice's four tokens (rotations keep the token)
      await admin.search('nightly', 'active');
      await expect(page).toHaveURL(/[?&]status=active/);
      await expect(admin.tokens.items()).toHaveCount(1); // one token, rotated in place
      await admin.search('backup');
      await expect(admin.tokens.items()).toHaveCount(1);
      await portal.screenshotOf(admin.tokensSection, 'admin-tokens');

      const revoked = await admin.tokens.revoke('e2e backup');
      ids.backup = (await revoked.getAttribute('data-token-id')) ?? '';
      await expect(page.getByTestId('notice')).toContainText('Token "e2e backup" of local/alice revoked.');
      await expect(revoked).toContainText('by local/admin');
      await expect.poll(() => gateway.status(backupSecret), { timeout: 5000 }).toBe(401);

      const issued = await admin.createFor('local/alice (Alice Example)', { name: 'e2e issued by admin', scopes: ['polytope:read'], expiry: '7 days' });
      gateway.backend.clear();
      expect(await gateway.status(issued)).toBe(200);
      expect(gateway.backend.received.at(-1)?.claims).toMatchObject({ username: 'alice', scopes: { polytope: ['read'] } });

      try {
        await admin.setUserDisabled('local/alice', true);
        await portal.screenshotOf(admin.usersSection, 'admin-users');
        // A disabled user's tokens stop at once.
        await expect.poll(() => gateway.status(issued), { timeout: 5000 }).toBe(401);

        await page.goto('/admin/audit');
        const entry = (action: string, actor: string, tokenId?: string) => {
          let found = admin.auditEntries(action).filter({ hasText: actor }).filter({ hasText: 'local/alice' }).filter({ hasText: '127.0.0.1' });
          if (tokenId) found = found.filter({ hasText: tokenId });
          return found;
        };
        await expect(entry('token.create', 'local/alice', ids.ci)).toHaveCount(1);
        await expect(entry('token.revoke', 'local/alice', ids.ci)).toHaveCount(1);
        await expect(entry('token.rotate', 'local/alice', ids.nightly)).toHaveCount(1);
        await expect(entry('token.revoke', 'local/admin', ids.backup)).toHaveCount(1);
        await expect(entry('token.create_for_user', 'local/admin')).toHaveCount(1);
        await expect(entry('user.disable', 'local/admin')).toHaveCount(1);
        await expect(admin.auditEntries('token.rotate').filter({ hasText: ids.nightly }).first()).toContainText('Token rotated');
        await expect(admin.auditEntries('token.rotate').filter({ hasText: ids.nightly }).first()).toContainText('e2e nightly');
        await portal.screenshotOf(admin.auditSection, 'audit-log');

        await admin.setUserDisabled('local/alice', false);
        expect(await gateway.status(issued)).toBe(200);
      } finally {
        await sql(`update users set disabled_at = null where realm = 'local' and username = 'alice'`);
      }
    });
  });

test('the audit log pages past its end say so and link back', async ({ page, portal }) => {
  await portal.signIn('admin', '/admin/audit');
  await page.goto('/admin/audit?page=99');
  const pages = portal.admin.auditSection.getByRole('navigation', { name: 'Audit log pages' });
  await expect(pages).toContainText('There is no page 99');
  await pages.getByRole('link', { name: /^Go to page/ }).click();
  await expect(page).toHaveURL(/\/admin\/audit(\?page=\d+)?$/);
  await expect(portal.admin.auditRows().first()).toBeVisible();
});

test('invalid input is explained next to the field it concerns', async ({ page, portal }) => {
  await portal.signIn('alice');
  const { form } = portal.tokens;

  await form.fill({ name: '   ', scopes: ['polytope:read'] });
  await form.submit().click();
  await expect(portal.alert()).toContainText('Some fields need your attention.');
  await expect(form.name()).toHaveAttribute('aria-invalid', 'true');
  await expect(form.name()).toHaveAccessibleDescription(/A name is required/);
  await expect(form.name()).toBeFocused(); // the first field to fix, not the submit button
  await expect(form.scope('polytope:read')).toBeChecked(); // what was typed and ticked stays
  await form.name().pressSequentially('e2e too long');
  await expect(form.name()).not.toHaveAttribute('aria-invalid', 'true'); // fixed: the error goes at once
  await expect(form.name()).not.toHaveAccessibleDescription(/A name is required/);

  await expect(form.expiryDate()).toHaveCount(0); // only with "on a date"
  await form.root.getByRole('radio', { name: 'on a date' }).check();
  await expect(form.expiryDate()).toHaveAccessibleDescription(/As yyyy-mm-dd/);
  await form.expiryDate().fill(dateIn(800));
  await form.submit().click();
  await expect(form.expiryDate()).toHaveAttribute('aria-invalid', 'true');
  await expect(form.expiryDate()).toHaveAccessibleDescription(/At most 365 days from now/);
  await expect(form.expiryDate()).toBeFocused();
  await expect(form.secretPanel()).toHaveCount(0);

  await form.expiryDate().fill('03/01/2027');
  await form.submit().click();
  await expect(form.expiryDate()).toHaveAccessibleDescription(/Write the date as yyyy-mm-dd/);
  await portal.screenshot('tokens-form-errors');
});

test('a token is created, copied, rotated and revoked with the keyboard alone', async ({ page, portal, context, portalApp }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: portalApp.url });
  await portal.signIn('alice');
  const { form, list } = portal.tokens;
  const press = (key: string) => page.keyboard.press(key);

  await portal.tabTo(form.name());
  await page.keyboard.type('e2e keyboard');
  await portal.tabTo(form.scope('polytope:read'));
  await press('Space');
  await portal.tabTo(form.scope('mars:retrieve'));
  await press('Space');
  await portal.tabTo(form.submit()); // the expiry keeps its default preset
  await press('Enter');

  const panel = form.secretPanel();
  await expect(panel.getByRole('heading', { name: 'Copy your new token now' })).toBeFocused();
  const copy = panel.getByRole('button', { name: 'Copy token' });
  await portal.tabTo(copy);
  await press('Space');
  await expect(panel.getByRole('status')).toHaveText('✓ Copied');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(await form.revealedSecret());

  // Rotate through the modal dialog: it takes the focus, Space picks a choice, Enter submits.
  await portal.tabTo((await list.stableRow('e2e keyboard')).getByRole('button', { name: /^Rotate/ }));
  await press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Rotate e2e keyboard' });
  await portal.tabTo(dialog.getByRole('radio', { name: 'Now' }));
  await press('Space');
  await portal.tabTo(dialog.getByRole('button', { name: 'Rotate token' }));
  await press('Enter');
  await expect(dialog.getByRole('heading', { name: 'Copy your new token now' })).toBeFocused();
  await expect(dialog.getByTestId('token-secret')).toHaveText(/^aot_/);
  await portal.tabTo(dialog.getByRole('button', { name: 'Close' }));
  await press('Enter');
  await expect(dialog).toBeHidden();
  await expect(list.row('e2e keyboard')).toHaveCount(1); // rotation keeps the token: one row, still active
  await expect(list.row('e2e keyboard', 'Active')).toHaveCount(1);

  const row = await list.stableRow('e2e keyboard');
  await expect(row).toContainText('polytope:read');
  await portal.tabTo(row.getByRole('button', { name: /^Revoke/ }));
  await press('Enter');
  await expect(row.getByRole('button', { name: /^Yes, revoke/ })).toBeFocused();
  await press('Enter');
  await expect(page.getByTestId('notice')).toContainText('revoked');
  await expect(page.getByTestId('notice')).toBeFocused();
  await expect(row).toContainText('Revoked');
});

test('a plain user cannot call the admin actions directly', async ({ page, portal, portalApp, sql }) => {
  const [victim] = await sql(`insert into users (realm, username, roles) values ('local', 'e2e-victim', '[]') on conflict (realm, username) do update set disabled_at = null returning id`);
  await portal.signIn('alice');
  const secret = await portal.tokens.form.create({ name: 'e2e own token', scopes: [], expiry: '7 days' });
  expect(secret).toMatch(/^aot_/);
  const tokenId = (await portal.tokens.list.row('e2e own token', 'Active').getAttribute('data-token-id')) ?? '';

  // Posted as React posts a form action (`Next-Action` and an encoded reply), with alice's session
  // cookie, to the page that holds the actions (elsewhere Next would forward it there first).
  const callAction = async (name: string, fields: Record<string, string>) => {
    // The argument's fields first and the root `0` last, as React sends them: the server decodes the stream in order.
    const multipart = new FormData();
    for (const [key, value] of Object.entries(fields)) multipart.append(`_1_${key}`, value); // fields of argument $K1
    multipart.append('0', JSON.stringify([{ status: 'idle' }, '$K1']));
    const response = await page.request.post('/admin', {
      headers: { 'Next-Action': serverActionId('app/(portal)/admin/actions.ts', name), Origin: portalApp.url, Accept: 'text/x-component' },
      multipart,
    });
    return { status: response.status(), body: await response.text() };
  };

  const disable = await callAction('setUserDisabledAction', { user_id: String(victim?.id), disabled: 'true' });
  expect(disable.body).toContain('"code":"forbidden"');
  const revoke = await callAction('adminRevokeTokenAction', { id: tokenId });
  expect(revoke.body).toContain('"code":"forbidden"');
  const create = await callAction('adminCreateTokenAction', { user_id: String(victim?.id), name: 'e2e sneaky', expires_in: '7d' });
  expect(create.body).toContain('"code":"forbidden"');
  expect(create.body).not.toContain('aot_');
  // Even on her own tokens: revoking everyone's tokens of a user is for admins.
  const [alice] = await sql(`select id from users where realm = 'local' and username = 'alice'`);
  const revokeAll = await callAction('revokeAllTokensAction', { user_id: String(alice?.id) });
  expect(revokeAll.body).toContain('"code":"forbidden"');

  const [state] = await sql(
    `select (select disabled_at from users where id = $1) as disabled_at,
            (select revoked_at from tokens where id = $2) as revoked_at,
            (select count(*)::int from tokens where name = 'e2e sneaky') as sneaky`,
    [victim?.id, tokenId],
  );
  expect(state).toEqual({ disabled_at: null, revoked_at: null, sneaky: 0 });

  // The same shape of request from an admin works, so the refusals above are about the role.
  await page.context().clearCookies();
  await portal.signIn('admin', '/admin');
  const allowed = await callAction('setUserDisabledAction', { user_id: String(victim?.id), disabled: 'true' });
  expect(allowed.body).toContain('"status":"success"');
  expect((await sql(`select disabled_at from users where id = $1`, [victim?.id]))[0]?.disabled_at).not.toBeNull();
});

test.describe('on a phone-sized screen', () => {
  test.use({ viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true });

  test('/tokens fits the width; each token is a card with its actions in view', async ({ page, portal }) => {
    await portal.signIn('alice');
    await portal.tokens.form.create({ name: 'e2e phone', scopes: ['polytope:read'], expiry: '7 days' });
    await portal.tokens.form.dismissSecret();
    // Against the device width: a mobile browser widens its layout viewport (innerWidth) to fit overflowing content.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    const card = await portal.tokens.list.stableRow('e2e phone');
    await card.getByRole('button', { name: /^Revoke/ }).scrollIntoViewIfNeeded();
    await expect(card.getByRole('button', { name: /^Revoke/ })).toBeInViewport();
    await expect(portal.tokens.form.submit()).toBeVisible();
    await portal.screenshot('tokens-phone');
  });
});

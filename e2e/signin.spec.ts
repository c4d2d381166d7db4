import { expect, test } from './fixtures';

test.describe('portal sign-in', () => {
  test('a user signs in through the identity provider and sees their tokens page', async ({ page, portal }) => {
    await page.goto('/');
    await expect(page.getByRole('heading', { name: 'Sign in to manage your API tokens' })).toBeVisible();
    await portal.screenshot('home-signed-out');

    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.hostname === '127.0.0.1');
    await expect(page.getByLabel('Username')).toBeVisible();
    await portal.screenshot('idp-login');
    await page.locator('input[name=login]').fill('alice');
    await page.locator('input[name=password]').fill('alice-demo-password');
    await page.getByRole('button', { name: 'Sign-in' }).click();

    await page.waitForURL((url) => url.hostname === 'localhost' && url.pathname === '/tokens');
    await expect(portal.signedInUser()).toContainText('Alice Example');
    await expect(page.getByRole('heading', { name: 'Your tokens' })).toBeVisible();
    await expect(page.getByRole('link', { name: 'Tokens' })).toBeVisible();
    await expect(page.getByRole('link', { name: 'Admin' })).toHaveCount(0);
    await portal.screenshot('tokens');

    await page.goto('/');
    await expect(page.getByRole('heading', { name: 'Welcome, Alice Example' })).toBeVisible();
    await portal.screenshot('home-signed-in');
  });

  test('sign-in started at 127.0.0.1 (the address the demo prints) ends signed in', async ({ page, portal, portalApp }) => {
    await page.goto(`http://127.0.0.1:${portalApp.port}/signin?callbackUrl=%2Ftokens`);
    await expect(page).toHaveURL(`http://localhost:${portalApp.port}/signin?callbackUrl=%2Ftokens`);
    await portal.signInWithIdp('alice');
    await page.waitForURL((url) => url.hostname === 'localhost' && url.pathname === '/tokens');
    await expect(portal.signedInUser()).toContainText('Alice Example');
  });

  test('the identity provider refuses a wrong password', async ({ page, portal }) => {
    await page.goto('/signin');
    await portal.signInWithIdp('alice', 'not-the-password');
    await expect(page.getByRole('alert')).toHaveText('Unknown user or wrong password.');
    expect(new URL(page.url()).hostname).toBe('127.0.0.1');
  });

  test('a signed-out visitor of /tokens is sent to sign in and brought back', async ({ page, portal }) => {
    await page.goto('/tokens');
    await expect(page).toHaveURL(/\/signin\?callbackUrl=%2Ftokens$/);
    await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
    await portal.screenshot('signin');
    await portal.signInWithIdp('alice');
    await page.waitForURL((url) => url.hostname === 'localhost' && url.pathname === '/tokens');
    await expect(page.getByRole('heading', { name: 'Your tokens' })).toBeVisible();
  });

  test('an admin sees the Admin link and page', async ({ page, portal }) => {
    await portal.signIn('admin', '/tokens');
    await expect(portal.signedInUser()).toContainText('Ada Admin');
    await page.getByRole('link', { name: 'Admin' }).click();
    await expect(page).toHaveURL(/\/admin$/);
    await expect(page.getByRole('heading', { name: 'Administration' })).toBeVisible();
    await portal.screenshot('admin');
  });

  test('a plain user gets 403 on /admin', async ({ page, portal }) => {
    await portal.signIn('alice', '/tokens');
    const response = await page.goto('/admin');
    expect(response?.status()).toBe(403);
    await expect(page.getByRole('heading', { name: /403/ })).toBeVisible();
    await portal.screenshot('admin-forbidden');
  });

  test('sign out ends the session, at the identity provider too (the next sign-in asks for the password again)', async ({ page, portal }) => {
    await portal.signIn('alice', '/tokens');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((url) => url.hostname === 'localhost' && url.pathname === '/');
    await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
    await expect(portal.signedInUser()).toHaveCount(0);
    await page.goto('/tokens');
    await expect(page).toHaveURL(/\/signin/);
    // On a shared machine the next person must not get the previous account.
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.hostname === '127.0.0.1');
    await expect(page.locator('input[name=password]')).toBeVisible();
  });

  test('a disabled user loses the session and cannot sign in again', async ({ page, portal, sql }) => {
    await portal.signIn('alice', '/tokens');
    try {
      await sql(`update users set disabled_at = now() where realm = 'local' and username = 'alice'`);
      await page.reload();
      await expect(page).toHaveURL(/\/signin/);
      await page.getByRole('button', { name: 'Sign in' }).click();
      // The IdP session is still alive, so no login form: straight back with a refusal.
      await page.waitForURL((url) => url.hostname === 'localhost' && url.pathname === '/signin' && url.searchParams.has('error'));
      await expect(portal.alert()).toContainText('Sign-in was refused');
    } finally {
      await sql(`update users set disabled_at = null where realm = 'local' and username = 'alice'`);
    }
  });
});

test.describe('on a phone-sized screen', () => {
  test.use({ viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true });

  test('the home page fits and can be used', async ({ page, portal }) => {
    await page.goto('/');
    const signIn = page.getByRole('button', { name: 'Sign in' });
    await expect(signIn).toBeInViewport();
    // Against the device width: a mobile browser widens its layout viewport (innerWidth) to fit overflowing content.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await portal.screenshot('home-phone');

    await portal.signIn('admin', '/');
    await expect(page.getByRole('link', { name: 'Admin' })).toBeInViewport();
    await expect(page.getByRole('button', { name: 'Sign out' })).toBeInViewport();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await portal.screenshot('home-phone-signed-in');
  });
});

test('the first Tab stop skips to the content', async ({ page }) => {
  await page.goto('/');
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
});

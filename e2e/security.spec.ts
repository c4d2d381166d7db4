import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIResponse, Page, Response } from '@playwright/test';
import { expect, test } from './fixtures';

const EVIL_HOST = 'evil.example';

/** Every host the page asked for (documents, redirects, assets), and every 5xx answer it got. */
function watch(page: Page): { hosts: Set<string>; serverErrors: string[] } {
  const seen = { hosts: new Set<string>(), serverErrors: [] as string[] };
  page.on('request', (request) => seen.hosts.add(new URL(request.url()).hostname));
  page.on('response', (response) => {
    if (response.status() >= 500) seen.serverErrors.push(`${response.status()} ${response.url()}`);
  });
  return seen;
}

test.describe('return path after sign-in', () => {
  // `%09` is a tab: browsers drop it, so `/\t/evil.example` would be read as `//evil.example`.
  const variants = [
    ['tab', '/%09/evil.example/x'],
    ['newline', '/%0A/evil.example/x'],
    ['CRLF', '/%0D%0A/evil.example/x'],
    ['ideographic space', '/%E3%80%80/evil.example/x'],
  ] as const;

  for (const [name, callbackUrl] of variants) {
    test(`a ${name} after the first slash neither fails nor leaves the portal`, async ({ page, portal, portalApp }) => {
      const { hosts, serverErrors } = watch(page);
      const signinUrl = `/signin?callbackUrl=${callbackUrl}`;

      const signedOut = await page.goto(signinUrl);
      expect(signedOut?.status()).toBe(200);
      await portal.signInWithIdp('alice');
      await page.waitForURL((url) => url.hostname === 'localhost');
      expect(new URL(page.url()).origin).toBe(portalApp.url);
      expect(serverErrors).toEqual([]);
      // Signed in (not `/signin?error=…`), on the default page since the value was refused.
      expect(`${new URL(page.url()).pathname}${new URL(page.url()).search}`).toBe('/tokens');

      // Signed in, the sign-in page redirects at once: the same value must not send the browser away either.
      // A navigation off-site fails (the host does not resolve): its message says where it went.
      const signedIn = await page.goto(signinUrl).then(
        (response) => response?.status(),
        (error: unknown) => String(error),
      );
      expect(signedIn).toBe(200);
      expect(new URL(page.url()).origin).toBe(portalApp.url);
      expect([...hosts].filter((host) => host.includes(EVIL_HOST))).toEqual([]);
      expect(serverErrors).toEqual([]);
      // Both times the refused value gave the default, the tokens page.
      expect(new URL(page.url()).pathname).toBe('/tokens');
      await expect(page.getByRole('heading', { name: 'Your tokens' })).toBeVisible();
    });
  }

  test('a return path on the portal is still honoured', async ({ page, portal }) => {
    await portal.signIn('admin', '/admin');
    await expect(page.getByRole('heading', { name: 'Administration' })).toBeVisible();
  });
});

test.describe('security headers', () => {
  /** The headers every portal response must carry; the policy's directives as a map. */
  function expectSecurityHeaders(response: Response | APIResponse | null, what: string): Map<string, string[]> {
    expect(response, what).not.toBeNull();
    const headers = response?.headers() ?? {};
    expect(headers['x-content-type-options'], what).toBe('nosniff');
    expect(headers['referrer-policy'], what).toBe('same-origin');
    expect(headers['x-frame-options'], what).toBe('DENY');
    const csp = headers['content-security-policy'];
    expect(csp, what).toBeTruthy();
    const directives = new Map(
      (csp ?? '')
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .filter((parts) => parts[0])
        .map(([directive = '', ...sources]) => [directive, sources] as const),
    );
    expect(directives.get('frame-ancestors'), what).toEqual(["'none'"]);
    expect(directives.get('default-src'), what).toEqual(["'self'"]);
    expect(directives.get('base-uri'), what).toEqual(["'self'"]);
    expect(directives.get('form-action'), what).toContain("'self'");
    return directives;
  }

  test('pages, redirects, the portal API and 404s carry them', async ({ request }) => {
    // Each response as it is, not the page a redirect leads to.
    const get = (path: string) => request.get(path, { maxRedirects: 0 });
    const cases: Array<[string, number]> = [
      ['/', 200],
      ['/signin', 200],
      ['/tokens', 307], // signed out: sent to sign in
      ['/admin', 307],
      ['/no-such-page', 404],
      ['/api/tokens', 401],
      ['/api/ping', 200],
      ['/api/auth/session', 200],
    ];
    for (const [path, status] of cases) {
      const response = await get(path);
      expect(response.status(), path).toBe(status);
      expectSecurityHeaders(response, path);
    }
  });

  test('signed-in pages carry them, and form-action allows the identity provider', async ({ page, portal }) => {
    const idpOrigins = new Set<string>();
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.hostname === '127.0.0.1') idpOrigins.add(url.origin);
    });
    // The policy must not break the portal: the browser reports what it blocks on the console.
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    const signinResponse = await page.goto('/signin?callbackUrl=%2Fadmin');
    await portal.signInWithIdp('admin');
    await page.waitForURL((url) => url.hostname === 'localhost' && url.pathname === '/admin');
    await expect(page.getByRole('heading', { name: 'Administration' })).toBeVisible();

    const signin = expectSecurityHeaders(signinResponse, '/signin');
    expect([...idpOrigins]).toHaveLength(1);
    expect(signin.get('form-action')).toEqual(["'self'", ...idpOrigins]);
    expectSecurityHeaders(await page.goto('/tokens'), '/tokens (signed in)');
    expectSecurityHeaders(await page.goto('/admin'), '/admin (signed in)');
    const assetUrl = await page.locator('script[src^="/_next/"]').first().getAttribute('src');
    expect(assetUrl).toBeTruthy();
    expectSecurityHeaders(await page.request.get(assetUrl ?? ''), 'a Next asset');
    // Client-side navigation and a server action (sign out) under the policy.
    await page.getByRole('banner').getByRole('link', { name: 'Tokens' }).click();
    await expect(page.getByRole('heading', { name: 'Your tokens' })).toBeVisible();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((url) => url.pathname === '/');
    await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
    expect(violations).toEqual([]);
  });

  test.describe('without JavaScript', () => {
    test.use({ javaScriptEnabled: false });

    // The sign-in form posts to the portal, which answers with a redirect to the IdP: browsers check
    // form-action on that redirect (with JavaScript, Next follows it from script instead).
    test('the sign-in form still reaches the identity provider and comes back', async ({ page, portal, portalApp }) => {
      await portal.signIn('alice');
      expect(new URL(page.url()).origin).toBe(portalApp.url);
      await expect(page.getByRole('heading', { name: 'Your tokens' })).toBeVisible();
    });
  });

  test('a page on another origin cannot display the portal in a frame', async ({ page, portalApp }) => {
    // Same page, two frames: one of the framing site's own pages (shown: the check can see content)
    // and the portal's sign-in page (refused by frame-ancestors / X-Frame-Options).
    const framer: Server = createServer((req, res) => {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      if (req.url === '/own') return res.end('<!doctype html><title>own</title><h1>Framer content</h1>');
      res.end(`<!doctype html><title>framer</title>
        <iframe id="own" src="/own"></iframe>
        <iframe id="portal" src="${portalApp.url}/signin"></iframe>`);
    });
    await new Promise<void>((resolve) => framer.listen(0, '127.0.0.1', resolve));
    try {
      const framerUrl = `http://127.0.0.1:${(framer.address() as AddressInfo).port}/`;
      const portalAnswered = page.waitForResponse((response) => response.url() === `${portalApp.url}/signin`);
      await page.goto(framerUrl);
      expect((await portalAnswered).status()).toBe(200); // the portal was asked and answered ...

      await expect(page.frameLocator('#own').getByRole('heading', { name: 'Framer content' })).toBeVisible();
      // ... but the frame does not show it: the browser puts its own error page there instead.
      const portalFrame = await (await page.locator('#portal').elementHandle())?.contentFrame();
      if (!portalFrame) throw new Error('no frame for the portal iframe');
      await expect.poll(() => portalFrame.url(), { message: 'the frame navigates somewhere' }).not.toMatch(/^(about:blank)?$/);
      expect(portalFrame.url()).not.toContain(portalApp.url);
      const frameLocator = page.frameLocator('#portal');
      await expect(frameLocator.getByRole('heading', { name: 'Sign in' })).toHaveCount(0);
      await expect(frameLocator.getByRole('button', { name: 'Sign in' })).toHaveCount(0);
    } finally {
      framer.closeAllConnections();
      await new Promise<void>((resolve) => framer.close(() => resolve()));
    }
  });
});

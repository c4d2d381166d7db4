import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app';

// A gateway-only config (no `portal` section): the portal's pages still render, but offer nothing
// that cannot work. Page rendering only: one database kind is enough here.
describe('the portal without sign-in configured', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp({ database: 'pglite', config: { providers: [{ type: 'plain', name: 'basic', realm: 'local', users: [{ username: 'u', password: 'p' }] }] } });
  });
  afterAll(() => app?.stop());

  it('the header offers no "Sign in", the home page says why, and no operator links show', async () => {
    const response = await fetch(`${app.url}/`);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('Sign-in is not configured on this server');
    expect(html).not.toMatch(/<a [^>]*href="\/signin"/);
    expect(html).not.toContain('href="/api/health"');
    expect(html).not.toContain('href="/api/providers"');
  });

  it('an unknown address is a 404 page inside the site, with a favicon', async () => {
    const response = await fetch(`${app.url}/no-such-page`);
    expect(response.status).toBe(404);
    const html = await response.text();
    expect(html).toContain('Page not found');
    expect(html).toContain('Skip to content'); // the portal's own layout, not the framework's page
    expect(html).toMatch(/<link rel="icon" href="\/icon\.svg/);
    const icon = await fetch(`${app.url}/icon.svg`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toContain('image/svg+xml');
  });
});

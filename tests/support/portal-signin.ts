import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CookieJar, type TestIdp } from './oidc-idp';

/** A person's two browsers' worth of cookies: the portal's and the IdP's (its session lives there). */
export interface PortalBrowser {
  portal: CookieJar;
  idp: CookieJar;
}

export function newBrowser(): PortalBrowser {
  return { portal: new CookieJar(), idp: new CookieJar() };
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/**
 * Signs `username` in to the portal at `appUrl` through the IdP's devInteractions login, with plain
 * HTTP as a browser would (next-auth's CSRF token, the authorization code flow with PKCE, state and
 * nonce, the callback). Returns the portal's session cookie (`name=value`).
 */
export async function signInToPortal(appUrl: string, idp: TestIdp, username: string, browser: PortalBrowser = newBrowser()): Promise<string> {
  const app = new URL(appUrl).origin;
  // Next names the portal `localhost` in its redirects even when reached at 127.0.0.1: anything but the IdP is the portal.
  const jarFor = (url: string) => (new URL(url).origin === new URL(idp.issuer).origin ? browser.idp : browser.portal);
  const send = async (url: string, init: RequestInit = {}): Promise<Response> => {
    const jar = jarFor(url);
    const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: jar.header() } });
    jar.store(response);
    return response;
  };

  const csrf = await send(`${app}/api/auth/csrf`);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  let response = await send(`${app}/api/auth/signin/oidc`, { method: 'POST', headers: FORM, body: new URLSearchParams({ csrfToken, callbackUrl: `${app}/tokens` }).toString() });

  for (let step = 0; step < 12; step += 1) {
    const location = response.headers.get('location');
    const text = await response.text();
    if (!location)
      throw new Error(
        `sign-in stopped at HTTP ${response.status} after ${step} steps: ${text
          .replace(/\s+/g, ' ')
          .replace(/<style>.*<\/style>/, '')
          .slice(0, 1000)}`,
      );
    const next = new URL(location, response.url || app).toString();
    if (jarFor(next) === browser.portal && !new URL(next).pathname.startsWith('/api/auth/')) {
      const session = browser.portal.get('authjs.session-token');
      if (!session) throw new Error(`signed in nowhere: sent to ${new URL(next).pathname}${new URL(next).search}`);
      return `authjs.session-token=${session}`;
    }
    response = await send(next);
    if (response.status === 200 && new URL(next).pathname.includes('/interaction/')) {
      const page = await response.text();
      // devInteractions: the login form first, then (for a new grant) the consent form.
      const fields: Record<string, string> = page.includes('name="login"') ? { prompt: 'login', login: username, password: 'any' } : { prompt: 'consent' };
      response = await send(next, { method: 'POST', headers: FORM, body: new URLSearchParams(fields).toString() });
    }
  }
  throw new Error('sign-in did not finish in 12 steps');
}

/** The id Next gave a server action at build time (its manifest), to call it as the page's form would. */
function serverActionId(file: string, exportedName: string): string {
  const manifest = JSON.parse(readFileSync(path.join(import.meta.dirname, '../../.next/server/server-reference-manifest.json'), 'utf8')) as {
    node: Record<string, { filename: string; exportedName: string }>;
  };
  const found = Object.entries(manifest.node).find(([, entry]) => entry.filename === file && entry.exportedName === exportedName);
  if (!found) throw new Error(`no server action ${exportedName} in ${file}: rebuild the app`);
  return found[0];
}

/** Presses the portal's "Sign out" (its server action); returns where it sends the browser (the IdP's logout, when it has one). */
export async function signOutOfPortal(appUrl: string, browser: PortalBrowser): Promise<string> {
  const app = new URL(appUrl).origin;
  const response = await fetch(`${app}/tokens`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'Next-Action': serverActionId('app/(portal)/actions.ts', 'signOutAction'),
      Origin: app,
      Accept: 'text/x-component',
      'Content-Type': 'text/plain;charset=UTF-8',
      cookie: browser.portal.header(),
    },
    body: '[]',
  });
  browser.portal.store(response);
  await response.arrayBuffer();
  const target = response.headers.get('x-action-redirect')?.split(';')[0] ?? response.headers.get('location');
  if (!target) throw new Error(`sign-out answered HTTP ${response.status} without a redirect`);
  return new URL(target, app).toString();
}

/**
 * Ends the person's IdP session at the IdP (by default as signing out of another application would;
 * with `endSessionUrl`, the RP-initiated logout the portal sent the browser to). oidc-provider then
 * posts a logout token to every client of the session that has a back-channel URI, before answering.
 */
export async function signOutAtIdp(idp: TestIdp, browser: PortalBrowser, endSessionUrl = `${idp.issuer}/session/end`): Promise<void> {
  const page = await fetch(endSessionUrl, { headers: { cookie: browser.idp.header() } });
  browser.idp.store(page);
  const html = await page.text();
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1];
  if (!xsrf) throw new Error(`no logout form at the IdP (HTTP ${page.status})`);
  const action = /action="([^"]+)"/.exec(html)?.[1] ?? `${idp.issuer}/session/end/confirm`;
  const confirmed = await fetch(new URL(action, endSessionUrl), {
    method: 'POST',
    redirect: 'manual',
    headers: { ...FORM, cookie: browser.idp.header() },
    body: new URLSearchParams({ xsrf, logout: 'yes' }).toString(),
  });
  browser.idp.store(confirmed);
  await confirmed.arrayBuffer();
  if (confirmed.status !== 303 && confirmed.status !== 302) throw new Error(`IdP logout answered HTTP ${confirmed.status}`);
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import { loginPage } from './login-page';
import { checkDemoLogin } from './users';

const INTERACTION_PATH = /^\/interaction\/([A-Za-z0-9_-]+)$/;
const MAX_BODY_BYTES = 16 * 1024;

/** The interaction URL oidc-provider sends browsers to; answered by `handleInteraction`. */
export const interactionUrl = (uid: string) => `/interaction/${uid}`;

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > MAX_BODY_BYTES) reject(new Error('form too large'));
    });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'X-Frame-Options': 'DENY' });
  res.end(html);
}

/**
 * Our login step instead of oidc-provider's devInteractions, which accept any login without a
 * password. Consent never appears: the one client is first-party (see `loadExistingGrant`).
 * Returns false when the request is not an interaction.
 */
export async function handleInteraction(provider: Provider, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const path = new URL(req.url ?? '/', 'http://idp').pathname;
  if (!INTERACTION_PATH.test(path)) return false;
  if (req.method !== 'GET' && req.method !== 'POST') {
    res.writeHead(405, { Allow: 'GET, POST' }).end();
    return true;
  }

  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch {
    sendHtml(res, 400, '<!doctype html><title>Sign-in expired</title><p>This sign-in has expired. Go back to the application and start again.</p>');
    return true;
  }
  if (details.prompt.name !== 'login') {
    sendHtml(res, 501, '<!doctype html><title>Not supported</title><p>The demo identity provider only supports signing in.</p>');
    return true;
  }

  const action = interactionUrl(details.uid);
  if (req.method === 'GET') {
    sendHtml(res, 200, loginPage({ action }));
    return true;
  }
  const form = await readForm(req);
  const login = form.get('login') ?? '';
  const account = checkDemoLogin(login, form.get('password') ?? '');
  if (!account) {
    sendHtml(res, 401, loginPage({ action, login, error: 'Unknown user or wrong password.' }));
    return true;
  }
  await provider.interactionFinished(req, res, { login: { accountId: account.username } }, { mergeWithLastSubmission: false });
  return true;
}

import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { expect, test } from '@playwright/test';
import { startApp, type RunningApp } from '../tests/support/app';

/**
 * A small identity provider of our own (oidc-provider always returns the nonce it was given, so it
 * cannot show a tampered one): authorization code flow, an ID token it signs, and a switch that
 * makes it answer with another nonce than the one the portal sent.
 */
interface NonceIdp {
  issuer: string;
  /** The nonce of the last authorization request, as the portal sent it. */
  lastNonce(): string | undefined;
  setTampering(on: boolean): void;
  /** Makes the authorization endpoint refuse, as an IdP does that wants something the request lacks. */
  setRefusing(on: boolean): void;
  close(): Promise<void>;
}

const CLIENT_ID = 'nonce-portal';
const CLIENT_SECRET = 'nonce-portal-secret-0123456789';

async function startNonceIdp(): Promise<NonceIdp> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'nonce-idp', alg: 'RS256', use: 'sig' };
  const codes = new Map<string, string | undefined>();
  let lastNonce: string | undefined;
  let tampering = false;
  let refusing = false;
  let issuer = '';
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    const json = (body: unknown) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    if (url.pathname === '/.well-known/openid-configuration') {
      return json({
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        userinfo_endpoint: `${issuer}/userinfo`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      });
    }
    if (url.pathname === '/jwks') return json({ keys: [jwk] });
    if (url.pathname === '/userinfo') return json({ sub: 'nina-sub', preferred_username: 'nina', name: 'Nina Nonce', roles: ['user'] });
    if (url.pathname === '/authorize') {
      lastNonce = url.searchParams.get('nonce') ?? undefined;
      const code = `code-${codes.size}`;
      codes.set(code, lastNonce);
      const back = new URL(url.searchParams.get('redirect_uri') ?? '');
      if (refusing) {
        back.searchParams.set('error', 'invalid_request');
        back.searchParams.set('error_description', 'nonce required');
      } else back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      return void res.writeHead(302, { Location: back.toString() }).end();
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const code = new URLSearchParams(body).get('code') ?? '';
        const nonce = tampering ? 'a-nonce-from-another-sign-in' : codes.get(code);
        new SignJWT({ preferred_username: 'nina', name: 'Nina Nonce', roles: ['user'], ...(nonce ? { nonce } : {}) })
          .setProtectedHeader({ alg: 'RS256', kid: 'nonce-idp' })
          .setIssuer(issuer)
          .setAudience(CLIENT_ID)
          .setSubject('nina-sub')
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(privateKey)
          .then((idToken) => json({ access_token: 'nonce-access-token', token_type: 'Bearer', expires_in: 300, id_token: idToken }));
      });
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    issuer,
    lastNonce: () => lastNonce,
    setTampering: (on) => (tampering = on),
    setRefusing: (on) => (refusing = on),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

test.describe('sign-in sends a nonce and checks it in the ID token', () => {
  let idp: NonceIdp;
  let app: RunningApp;

  test.beforeAll(async () => {
    idp = await startNonceIdp();
    app = await startApp({
      database: 'postgres',
      urlHost: 'localhost',
      config: { portal: { realm: 'local', oidc: { issuer: idp.issuer, client_id: CLIENT_ID, client_secret: CLIENT_SECRET } }, providers: [{ type: 'tokens', name: 'tokens' }] },
    });
  });

  test.afterAll(async () => {
    await app?.stop();
    await idp?.close();
  });

  test('an ID token with the nonce of this sign-in signs in', async ({ page }) => {
    idp.setTampering(false);
    await page.goto(`${app.url}/signin?callbackUrl=%2Ftokens`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname === '/tokens');
    await expect(page.getByTestId('signed-in-user')).toContainText('Nina Nonce');
    expect(idp.lastNonce()).toMatch(/^[A-Za-z0-9_-]{20,}$/); // sent, and not guessable
  });

  test('an ID token with another nonce is refused, and the log says why', async ({ page }) => {
    idp.setTampering(true);
    await page.goto(`${app.url}/signin?callbackUrl=%2Ftokens`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname === '/signin' && url.searchParams.has('error'));
    await expect(page.getByTestId('signed-in-user')).toHaveCount(0);
    await page.goto(`${app.url}/tokens`);
    await expect(page).toHaveURL(/\/signin/);
    const line = app
      .output()
      .split('\n')
      .find((l) => l.includes('"portal sign-in failed"'));
    expect(JSON.parse(line ?? '{}')).toMatchObject({ step: 'ID token check', reason: expect.stringContaining('nonce') });
  });

  test('a refusal by the IdP is logged with its error and error_description, never the code or state', async ({ page }) => {
    idp.setTampering(false);
    idp.setRefusing(true);
    try {
      await page.goto(`${app.url}/signin?callbackUrl=%2Ftokens`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL((url) => url.pathname === '/signin' && url.searchParams.has('error'));
      await expect
        .poll(
          () =>
            app
              .output()
              .split('\n')
              .filter((l) => l.includes('"invalid_request"')).length,
          {
            message: app
              .output()
              .split('\n')
              .filter((l) => l.includes('sign-in'))
              .join('\n'),
          },
        )
        .toBeGreaterThan(0);
      const line =
        app
          .output()
          .split('\n')
          .find((l) => l.includes('"invalid_request"')) ?? '{}';
      expect(JSON.parse(line)).toMatchObject({ msg: 'portal sign-in refused by the identity provider', step: 'authorization', error: 'invalid_request', error_description: 'nonce required' });
      expect(line).not.toContain('"state"');
    } finally {
      idp.setRefusing(false);
    }
  });
});

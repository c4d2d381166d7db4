import { randomBytes } from 'node:crypto';
import { hashSecret } from '../../lib/crypto/secrets';
import { startApp, type RunningApp } from './app';
import { certWorkspace, escapePem, type CertWorkspace } from './certs';
import { startEchoBackend, type EchoBackend } from './echo-backend';
import { startTestIssuer, type TestIssuer } from './jwks-server';
import type { DatabaseKind } from './postgres';

/**
 * One app behind whichever proxy a test runs, with a rule of each kind policies have, and the
 * credentials that exercise every answer: the same cases for Caddy, ingress-nginx, Traefik, Envoy.
 */
export const ISS = 'https://auth.proxies-test.example';
export const AUD = 'proxies-test-backend';
export const API_HOST = 'api.example.org';
/** The host rule's host. */
export const INTERNAL_HOST = 'internal.example.org';
export const CHALLENGE = 'Basic realm="local", Bearer realm="ecmwf"';

/** Policies on the original request: a path rule, a method rule and a host rule, in that order. */
export const POLICIES = [
  { match: { path: '/api/v1/admin/**' }, require: { roles_all: ['admin'] } },
  { match: { methods: ['POST', 'PUT', 'PATCH', 'DELETE'], path: '/api/v1/**' }, require: { roles_any: ['editor'] } },
  { match: { host: INTERNAL_HOST }, require: { roles_any: ['staff'] } },
];

/** A client address a client claims (README, "Trust model": X-Forwarded-For and X-Real-IP count only from the proxy). */
const FORGED_ADDRESS = { 'X-Forwarded-For': '203.0.113.66', 'X-Real-IP': '203.0.113.66' };

/** Headers a client sends to name an allowed request, in each proxy family's header set: a proxy's own copies must win. */
export const FORGED_ORIGINALS: Array<[string, Record<string, string>]> = [
  ['X-Original-*', { 'X-Original-URI': '/api/v1/data', 'X-Original-Method': 'GET', 'X-Original-Host': API_HOST, ...FORGED_ADDRESS }],
  ['X-Original-URL', { 'X-Original-URL': `https://${API_HOST}/api/v1/data`, 'X-Original-Method': 'GET', ...FORGED_ADDRESS }],
  ['X-Forwarded-*', { 'X-Forwarded-Uri': '/api/v1/data', 'X-Forwarded-Method': 'GET', 'X-Forwarded-Host': API_HOST, ...FORGED_ADDRESS }],
];

/** Requests (method, path, host) the viewer is refused by the path, method and host rules of POLICIES. */
export const VIEWER_REFUSED: Array<[string, string, string]> = [
  ['GET', '/api/v1/admin/users', API_HOST],
  ['DELETE', '/api/v1/data', API_HOST],
  ['GET', '/api/v1/data', INTERNAL_HOST],
];

export interface ProxyFixture {
  app: RunningApp;
  backend: EchoBackend;
  /** `server.proxy_secret` (unless turned off), which each shipped proxy config sends from its check only. */
  proxySecret: string;
  /** Basic credentials of a `viewer`, whom every rule denies. */
  viewer: string;
  /** Basic credentials of someone every rule allows. */
  admin: string;
  /** A JWT of the identity provider whose JWKS answers 500: the gateway's 503. */
  flakyJwt: string;
  /** A valid client certificate of an admin, as nginx escapes it: public, so a client can send it. */
  forgedCertificate: string;
  stop(): Promise<void>;
}

export interface ProxyFixtureOptions {
  database?: DatabaseKind;
  trustedProxies?: string[];
  /** `false`: no `server.proxy_secret` (and so no x509 provider, which requires one). */
  proxySecret?: boolean;
}

export async function startProxyFixture(options: ProxyFixtureOptions = {}): Promise<ProxyFixture> {
  const issuer: TestIssuer = await startTestIssuer();
  issuer.setMode('error');
  const certs: CertWorkspace = certWorkspace();
  let app: RunningApp | undefined;
  let backend: EchoBackend | undefined;
  try {
    const ca = await certs.createCa('Proxy Test CA');
    const certificate = await ca.issue({ subject: '/CN=carol' });
    // Generated per run: nothing here is a real secret.
    const proxySecret = `proxy-secret-${randomBytes(12).toString('base64url')}`;
    const withSecret = options.proxySecret !== false;
    const passwords = { viewer: `viewer-${randomBytes(9).toString('base64url')}`, admin: `admin-${randomBytes(9).toString('base64url')}` };
    app = await startApp({
      database: options.database,
      config: {
        version: '2.0.0',
        server: { ...(withSecret ? { proxy_secret: proxySecret } : {}), ...(options.trustedProxies ? { trusted_proxies: options.trustedProxies } : {}) },
        providers: [
          {
            type: 'plain',
            name: 'local-users',
            realm: 'local',
            users: [
              { username: 'vera', password_hash: await hashSecret(passwords.viewer), roles: ['viewer'] },
              { username: 'ada', password_hash: await hashSecret(passwords.admin), roles: ['admin', 'editor', 'staff'] },
            ],
          },
          { type: 'jwt', name: 'flaky-idp', realm: 'ecmwf', cert_uri: issuer.jwksUri },
          // Certificates count only with the proxy secret: a forged header through a proxy that sends it must be cleared.
          ...(withSecret ? [{ type: 'x509', name: 'certificates', realm: 'certs', ca: ca.pem, roles: ['admin', 'editor', 'staff'] }] : []),
        ],
        policies: POLICIES,
        default_policy: 'allow',
        jwt: { iss: ISS, aud: AUD, exp: 120 },
        auth: { timeout_in_ms: 2000 },
      },
    });
    backend = await startEchoBackend({ jwksUrl: `${app.url}/.well-known/jwks.json`, issuer: ISS, audience: AUD });
    const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    const started = { app, backend };
    return {
      ...started,
      proxySecret,
      viewer: basic('vera', passwords.viewer),
      admin: basic('ada', passwords.admin),
      flakyJwt: await issuer.sign({ sub: 'dave' }),
      forgedCertificate: escapePem(certificate),
      async stop() {
        await Promise.all([started.app.stop(), started.backend.close(), issuer.close()]);
        certs.cleanup();
      },
    };
  } catch (error) {
    await Promise.all([app?.stop(), backend?.close(), issuer.close()]);
    certs.cleanup();
    throw error;
  }
}

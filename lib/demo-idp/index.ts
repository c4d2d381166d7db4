import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Provider from 'oidc-provider';
import type { Runtime } from '../runtime';
import { handleInteraction } from './interactions';
import { DEMO_ACCOUNTS } from './users';

export interface DemoIdp {
  issuer: string;
  clientId: string;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
const CLIENT_ID = 'auth-o-tron-portal';

function idpPort(appPort: number, env: NodeJS.ProcessEnv): number {
  const configured = env.AOT_DEMO_IDP_PORT;
  if (configured === undefined || configured === '') return appPort + 1;
  const port = Number(configured);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`AOT_DEMO_IDP_PORT: not a port number: ${configured}`);
  return port;
}

/**
 * The demo IdP (published passwords) in demo mode, or when asked for with `AOT_DEMO_IDP_PORT` and the
 * config has a portal without `portal.oidc`; never by accident in a configured installation.
 */
export async function startDemoIdpIfNeeded(runtime: Runtime, appPort: number, env: NodeJS.ProcessEnv = process.env): Promise<DemoIdp | undefined> {
  const portal = runtime.config.portal;
  if (!portal || portal.oidc) return undefined;
  if (runtime.demo || env.AOT_DEMO_IDP_PORT !== undefined) return startDemoIdp(runtime, appPort, env);
  runtime.logger.warn('portal sign-in is off: set portal.oidc (or AOT_DEMO_IDP_PORT for the development identity provider)');
  return undefined;
}

/**
 * Starts the development IdP on 127.0.0.1 (its cookies then live on another host than the portal's
 * `localhost`) and points `portal.oidc` at it. Refuses when a real IdP is configured; the client
 * secret is random per start and never shown.
 */
export async function startDemoIdp(runtime: Runtime, appPort: number, env: NodeJS.ProcessEnv = process.env): Promise<DemoIdp> {
  const portal = runtime.config.portal;
  if (!portal) throw new Error('the demo identity provider needs a portal section in the config');
  if (portal.oidc) throw new Error('the demo identity provider does not run when portal.oidc is configured');
  if (!runtime.demo) runtime.logger.warn('portal.oidc is not set: starting the built-in demo identity provider with published passwords; it is for development only');

  let ready: { provider: Provider; handle: ReturnType<Provider['callback']> } | undefined;
  const server = createServer((req, res) => {
    if (!ready) return void res.writeHead(503).end();
    const { provider, handle } = ready;
    handleInteraction(provider, req, res)
      .then((handled) => handled || handle(req, res))
      .catch((error: unknown) => {
        runtime.logger.warn({ err: error }, 'demo identity provider request failed');
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
  });
  // Listen first: with port 0 the issuer (which names the port) is only known afterwards.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(idpPort(appPort, env), HOST, resolve);
  });
  const issuer = `http://${HOST}:${(server.address() as AddressInfo).port}`;
  const clientSecret = randomBytes(24).toString('base64url');
  const redirectUris = ['localhost', '127.0.0.1'].map((host) => `http://${host}:${appPort}/api/auth/callback/oidc`);
  let provider: Provider;
  try {
    // Loaded only here: oidc-provider is sizeable and warns about the Node version on import.
    const { createDemoProvider } = await import('./provider');
    provider = await createDemoProvider(issuer, { clientId: CLIENT_ID, clientSecret, redirectUris });
  } catch (error) {
    server.close();
    throw error;
  }
  ready = { provider, handle: provider.callback() };
  for (const event of ['grant.error', 'authorization.error', 'server_error', 'userinfo.error']) {
    provider.on(event, (_ctx, error) =>
      runtime.logger.warn({ event, error: error.error ?? error.message, description: error.error_description, detail: error.error_detail }, 'demo identity provider refused a request'),
    );
  }

  runtime.config.portal = { ...portal, oidc: { issuer, client_id: CLIENT_ID, client_secret: clientSecret } };
  runtime.logger.info({ issuer }, 'demo identity provider listening');
  return {
    issuer,
    clientId: CLIENT_ID,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Lines for the start banner: who can sign in to the portal through the demo IdP. */
export function demoIdpBanner(idp: DemoIdp, portalUrl: string): string[] {
  return [
    `Demo identity provider (development only): ${idp.issuer}`,
    `  Sign in to the portal at ${portalUrl} as:`,
    ...DEMO_ACCOUNTS.map((a) => `    ${a.username} / ${a.password}   roles: ${a.roles.join(', ')}`),
  ];
}

import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import next from 'next';
import { ConfigError, loadConfig } from './lib/config/load';
import { DEMO_USERS } from './lib/config/demo';
import { demoIdpBanner, startDemoIdpIfNeeded } from './lib/demo-idp';
import { createRuntime, installRuntime } from './lib/runtime';
import { AUTHENTICATE_PATHS, ENVOY_CHECK_PREFIX } from './lib/gateway/http';
import { installFastPath } from './lib/server/fast-path';
import { fromNodeRequest, pathnameOf, writeNodeResponse } from './lib/server/node-adapter';
import { PEER_ADDRESS_HEADER } from './lib/server/peer';
import type { GatewayResponse } from './lib/gateway/types';

type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** Room for a 16 KB credential, so an oversized header gets our 401 rather than Node's 431. */
const MAX_HEADER_BYTES = 64 * 1024;

/**
 * One process, one port: the gateway's paths are answered here directly with the core (no framework
 * routing on the hot path); every other request goes to Next (portal pages, portal API).
 */
async function main(): Promise<void> {
  // next-auth v5 refuses requests unless told the Host header is trustworthy: here it is, since the
  // app sits behind nginx (or is reached directly). Set AUTH_URL to pin one public origin instead.
  process.env.AUTH_TRUST_HOST ??= 'true';

  const configProblems = (error: unknown): never => {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) console.error(`config error: ${problem}`);
    process.exit(2);
  };
  let loaded: ReturnType<typeof loadConfig>;
  try {
    loaded = loadConfig();
  } catch (error) {
    return configProblems(error);
  }

  if (!existsSync(path.join(process.cwd(), '.next', 'BUILD_ID'))) {
    console.error('no production build in .next: run `npm run build` (npm start does it for you)');
    process.exit(1);
  }
  const runtime = await createRuntime(loaded).catch(configProblems);
  installRuntime(Promise.resolve(runtime));
  const { logger, config } = runtime;
  const host = config.server.host ?? '0.0.0.0';
  const port = config.server.port ?? 3000;

  // Next (the portal) is loaded on the first request that needs it: a replica that only answers
  // auth_request never pays its memory. It needs the real port (port 0 in tests): some server
  // action requests are forwarded by port.
  let nextReady: Promise<RequestHandler> | undefined;
  let actualPort = port;
  const portal = (): Promise<RequestHandler> =>
    (nextReady ??= (async () => {
      const app = next({ dev: false, dir: process.cwd(), hostname: host === '0.0.0.0' ? 'localhost' : host, port: actualPort });
      await app.prepare();
      return app.getRequestHandler();
    })().catch((error: unknown) => {
      nextReady = undefined; // try again on the next request
      throw error;
    }));

  const failed = (res: ServerResponse) => (error: unknown) => {
    logger.error({ err: error }, 'request failed');
    if (!res.headersSent) res.writeHead(503, { 'Retry-After': '5' });
    res.end();
  };
  const send = (req: IncomingMessage, res: ServerResponse, response: GatewayResponse | null): void => {
    if (response) return writeNodeResponse(res, response, req.method);
    req.headers[PEER_ADDRESS_HEADER] = req.socket.remoteAddress ?? '';
    portal()
      .then((handleNext) => handleNext(req, res))
      .catch(failed(res));
  };
  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => {
    const path = pathnameOf(req.url);
    const answer = path === undefined ? null : runtime.http.handle(fromNodeRequest(req, path));
    // A cached check is answered within this call; only checks that wait go through a promise.
    if (answer instanceof Promise) {
      answer.then((response) => send(req, res, response)).catch(failed(res));
      return;
    }
    try {
      send(req, res, answer);
    } catch (error) {
      failed(res)(error);
    }
  });
  server.keepAliveTimeout = 65_000; // longer than nginx's upstream keepalive_timeout default
  // Auth checks are answered from the socket; everything else (and anything unusual) goes to `server`.
  const fastPath = installFastPath(server, {
    paths: AUTHENTICATE_PATHS,
    prefix: ENVOY_CHECK_PREFIX,
    handle: (request) => runtime.http.check(request),
    keepAliveMs: server.keepAliveTimeout,
    maxHeadBytes: MAX_HEADER_BYTES,
    onError: (error) => logger.error({ err: error }, 'request failed'),
  });
  server.prependListener('connection', () => runtime.metrics.connectionAccepted());

  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const address = server.address();
  actualPort = typeof address === 'object' && address ? address.port : port;
  // Before "listening" is announced, so sign-in works by the time anyone is told to try it.
  const demoIdp = await startDemoIdpIfNeeded(runtime, actualPort);
  logger.info({ host, port: actualPort, config: loaded.source, database: runtime.database.kind }, 'auth-o-tron listening');
  if (runtime.demo) printDemoBanner(host, actualPort);
  if (demoIdp) console.log([...demoIdpBanner(demoIdp, portalUrl(host, actualPort)), ''].join('\n'));

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    server.close();
    server.closeIdleConnections();
    fastPath.closeIdle();
    setTimeout(() => {
      server.closeAllConnections();
      fastPath.closeAll();
    }, 5000).unref();
    Promise.allSettled([demoIdp?.close(), runtime.close()]).finally(() => process.exit(0));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/** Browsers should use `localhost`: next-auth loops on a CSRF error when Next rewrites 127.x hosts. */
function portalUrl(host: string, port: number): string {
  return `http://${['0.0.0.0', '127.0.0.1', '::', '::1'].includes(host) ? 'localhost' : host}:${port}/`;
}

function printDemoBanner(host: string, port: number): void {
  const base = `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`;
  const lines = [
    '',
    'Demo mode: no config.yaml found, using the built-in example config and an embedded database in ./data.',
    `  Portal:  ${portalUrl(host, port)}`,
    `  Gateway: ${base}/api/authenticate   JWKS: ${base}/.well-known/jwks.json`,
    '  Demo users (Basic, realm "local"):',
    ...DEMO_USERS.map((u) => `    ${u.username} / ${u.password}   roles: ${u.roles.join(', ')}`),
    `  Try: curl -i -u alice:alice-demo-password ${base}/api/authenticate`,
    '',
  ];
  console.log(lines.join('\n'));
}

main().catch((error: unknown) => {
  console.error(`auth-o-tron failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import next from 'next';
import { ConfigError, loadConfig } from './lib/config/load';
import { DEMO_USERS } from './lib/config/demo';
import { demoIdpBanner, startDemoIdpIfNeeded } from './lib/demo-idp';
import { createRuntime, installRuntime } from './lib/runtime';
import { fromNodeRequest, pathnameOf, writeNodeResponse } from './lib/server/node-adapter';
import { PEER_ADDRESS_HEADER } from './lib/server/peer';

type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * One process, one port: the gateway's paths are answered here directly with the core (no framework
 * routing on the hot path); every other request goes to Next (portal pages, portal API).
 */
async function main(): Promise<void> {
  // next-auth v5 refuses requests unless told the Host header is trustworthy: here it is, since the
  // app sits behind nginx (or is reached directly). Set AUTH_URL to pin one public origin instead.
  process.env.AUTH_TRUST_HOST ??= 'true';

  let loaded;
  try {
    loaded = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) console.error(`config error: ${problem}`);
    process.exit(2);
  }

  const runtime = await createRuntime(loaded);
  installRuntime(Promise.resolve(runtime));
  const { logger, config } = runtime;
  const host = config.server.host ?? '0.0.0.0';
  const port = config.server.port ?? 3000;

  // Next is prepared once the real port is known (port 0 in tests): it forwards some server action
  // requests to itself by port. Gateway paths are answered meanwhile; portal requests wait for it.
  let resolveNext: (handler: RequestHandler) => void = () => undefined;
  const nextReady = new Promise<RequestHandler>((resolve) => (resolveNext = resolve));

  // Room for a 16 KB credential, so an oversized header gets our 401 rather than Node's 431.
  const server = createServer({ maxHeaderSize: 64 * 1024 }, (req, res) => {
    const path = pathnameOf(req.url);
    const answer = path === undefined ? Promise.resolve(null) : runtime.http.handle(fromNodeRequest(req, path));
    answer
      .then((response) => {
        if (response) return writeNodeResponse(res, response, req.method);
        req.headers[PEER_ADDRESS_HEADER] = req.socket.remoteAddress ?? '';
        return nextReady.then((handleNext) => handleNext(req, res));
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'request failed');
        if (!res.headersSent) res.writeHead(503, { 'Retry-After': '5' });
        res.end();
      });
  });
  server.keepAliveTimeout = 65_000; // longer than nginx's upstream keepalive_timeout default

  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const app = next({ dev: false, dir: process.cwd(), hostname: host === '0.0.0.0' ? 'localhost' : host, port: actualPort });
  await app.prepare();
  resolveNext(app.getRequestHandler());
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
    setTimeout(() => server.closeAllConnections(), 5000).unref();
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

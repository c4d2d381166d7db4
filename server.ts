import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Server as NetServer } from 'node:net';
import path from 'node:path';
import next from 'next';
import cluster from 'node:cluster';
import { ConfigError, loadConfig, type LoadedConfig } from './lib/config/load';
import { createLogger } from './lib/log/logger';
import { superviseWorkers } from './lib/server/workers';
import { DEMO_USERS } from './lib/config/demo';
import { demoIdpBanner, startDemoIdpIfNeeded } from './lib/demo-idp';
import { createRuntime, installRuntime } from './lib/runtime';
import { AUTHENTICATE_PATHS, ENVOY_CHECK_PREFIX, tokenStoreLabel } from './lib/gateway/routes';
import { andThen, isPending } from './lib/gateway/maybe';
import { startMetricsListener, type MetricsListener } from './lib/server/metrics-listener';
import { AggregatorRegistry } from 'prom-client';
import { installFastPath } from './lib/server/fast-path';
import { fromNodeRequest, pathnameOf, writeNodeResponse } from './lib/server/node-adapter';
import { preparePortalRequest } from './lib/server/peer';
import { CanonicalOrigin, publicOrigin } from './lib/portal/canonical-origin';
import { securityHeadersFor } from './lib/portal/security-headers';
import type { GatewayResponse } from './lib/gateway/types';

type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** At shutdown, how long an idle keep-alive connection may still bring a request before it is closed. */
const IDLE_GRACE_MS = 1000;

/** Room for a 16 KB credential, so an oversized header gets our 401 rather than Node's 431. */
const MAX_HEADER_BYTES = 64 * 1024;

/**
 * One process, one port: the gateway's paths are answered here directly with the core (no framework
 * routing on the hot path); every other request goes to Next (portal pages, portal API).
 */
function configProblems(error: unknown): never {
  if (!(error instanceof ConfigError)) throw error;
  for (const problem of error.problems) console.error(`config error: ${problem}`);
  for (const warning of error.warnings) console.error(`config warning: ${warning}`);
  process.exit(2);
}

async function start(): Promise<void> {
  let loaded: LoadedConfig;
  try {
    loaded = loadConfig();
  } catch (error) {
    return configProblems(error);
  }
  const { server, logging, metrics } = loaded.config;
  if (server.workers > 1 && cluster.isPrimary) {
    const logger = createLogger(logging);
    // Each worker counts its own requests: the primary answers scrapes with their sum, so a scrape
    // is the whole pod's and not one worker's picked at random.
    if (metrics?.enabled) {
      const aggregator = new AggregatorRegistry();
      await startMetricsListener({
        host: server.host ?? '0.0.0.0',
        port: metrics.port,
        logger,
        render: async () => ({ contentType: aggregator.contentType, body: await aggregator.clusterMetrics() }),
      }).catch(metricsBindFailed);
    }
    return superviseWorkers({ count: server.workers, shutdownTimeoutS: server.shutdown_timeout, logger });
  }
  // A worker answers the primary's requests for its metrics from its first moment (with nothing until
  // its runtime exists): a starting worker must not make a scrape wait for it.
  if (cluster.isWorker) new AggregatorRegistry();
  await main(loaded);
}

function metricsBindFailed(error: unknown): never {
  console.error(`could not start the metrics listener: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

/** The metrics route label of a request Next answers: auth-o-tron's token-store patterns, else a few bounded groups. */
function nextRouteLabel(path: string | undefined, status: number): string {
  const tokenStore = path === undefined ? undefined : tokenStoreLabel(path);
  if (tokenStore) return tokenStore;
  if (status === 404 || path === undefined) return 'unmatched';
  if (path.startsWith('/_next/')) return 'portal-assets';
  return path.startsWith('/api/') ? 'portal-api' : 'portal';
}

async function main(loaded: LoadedConfig): Promise<void> {
  // next-auth v5 refuses requests unless told the Host header is trustworthy: here it is, since the
  // app sits behind nginx (or is reached directly), and X-Forwarded-Host/-Proto reach it only from
  // server.trusted_proxies (preparePortalRequest). Set AUTH_URL to pin one public origin instead.
  process.env.AUTH_TRUST_HOST ??= 'true';
  const canonicalUrl = loaded.config.portal?.url;
  // next-auth builds its callback URL from this; it must be the origin the IdP has registered.
  if (canonicalUrl && !process.env.AUTH_URL) process.env.AUTH_URL = `${new URL(canonicalUrl).origin}/api/auth`;

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
  // Set here rather than in next.config.ts: the policy names the IdP's origin, known only at run time
  // (config, or the demo IdP once it listens). Next keeps headers already set, on pages, API and 404s.
  const securityHeaders = securityHeadersFor(() => runtime.config.portal?.oidc?.issuer);
  const canonical = new CanonicalOrigin({
    portalUrl: config.portal?.url,
    listenHost: host,
    port: () => actualPort,
    adopted: (origin) => logger.info({ origin }, 'canonical portal origin adopted (the first one served): set portal.url to fix one for every replica'),
  });
  const send = (req: IncomingMessage, res: ServerResponse, response: GatewayResponse | null): void => {
    if (response) return writeNodeResponse(res, response, req.method);
    preparePortalRequest(req.headers, req.socket.remoteAddress, runtime.addresses);
    // Only where people sign in (an IdP configured, or the demo's, injected once it listens): the callback must match.
    const location =
      config.portal?.oidc &&
      canonical.redirect({
        requestOrigin: publicOrigin(req.headers),
        proxied: req.headers['x-forwarded-host'] !== undefined, // a trusted proxy's: preparePortalRequest removed any other
        method: req.method,
        path: req.url ?? '/',
      });
    if (location) return void res.writeHead(302, { Location: location, 'Cache-Control': 'no-store' }).end();
    for (const [name, value] of Object.entries(securityHeaders())) res.setHeader(name, value);
    portal()
      .then((handleNext) => handleNext(req, res))
      .catch(failed(res));
  };
  // Responses Node is still working out: at shutdown each is told to close its connection after it.
  const inFlight = new Set<ServerResponse>();
  let stopping = false;
  const { metrics } = runtime;
  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => {
    if (stopping) res.shouldKeepAlive = false;
    inFlight.add(res);
    const path = pathnameOf(req.url);
    const method = req.method ?? 'GET';
    const route = path === undefined ? undefined : runtime.http.routeOf(path);
    // The in-flight gauge is per method: a request Next answers learns its route label only at the end.
    const started = metrics.http(route ?? 'unmatched', method).begin();
    res.once('close', () => {
      inFlight.delete(res);
      metrics.http(route ?? nextRouteLabel(path, res.statusCode), method).end(started, res.statusCode);
    });
    const answer = path === undefined ? null : runtime.http.handle(fromNodeRequest(req, path));
    // A cached check is answered within this call; only checks that wait go through a promise.
    if (isPending(answer)) {
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
    handle: (request) => {
      // The route's fixed pattern, never the raw path: a path the fast path takes must not grow the series.
      const series = metrics.http(runtime.http.routeOf(request.path) ?? 'unmatched', request.method);
      const started = series.begin();
      return andThen(runtime.http.check(request), (response) => {
        series.end(started, response.status);
        return response;
      });
    },
    keepAliveMs: server.keepAliveTimeout,
    maxHeadBytes: MAX_HEADER_BYTES,
    onError: (error) => logger.error({ err: error }, 'request failed'),
  });
  server.prependListener('connection', () => runtime.metrics.connectionAccepted());

  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const address = server.address();
  actualPort = typeof address === 'object' && address ? address.port : port;
  // auth-o-tron's separate listener, on server.host as it; a cluster's primary serves it for its workers.
  let metricsListener: MetricsListener | undefined;
  if (cluster.isWorker) {
    AggregatorRegistry.setRegistries([metrics.registry]); // what this worker answers the primary with
  } else if (config.metrics?.enabled) {
    const { registry } = metrics;
    metricsListener = await startMetricsListener({ host, port: config.metrics.port, logger, render: async () => ({ contentType: registry.contentType, body: await registry.metrics() }) }).catch(
      metricsBindFailed,
    );
  }
  // Before "listening" is announced, so sign-in works by the time anyone is told to try it.
  const demoIdp = await startDemoIdpIfNeeded(runtime, actualPort);
  logger.info({ host, port: actualPort, config: loaded.source, database: runtime.database.kind }, 'auth-o-tron listening');
  if (runtime.demo) printDemoBanner(host, actualPort);
  if (demoIdp) console.log([...demoIdpBanner(demoIdp, portalUrl(host, actualPort)), ''].join('\n'));

  /**
   * Rolling restarts lose nothing: stop accepting, answer every request already received (the fast
   * path's and Node's, the last on each connection with `Connection: close`), close idle connections,
   * and only then close the database, so nothing in flight finds it gone. Bounded by
   * `server.shutdown_timeout`, after which the remaining connections are cut.
   */
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    const timeoutMs = config.server.shutdown_timeout * 1000;
    logger.info({ signal, timeout_s: config.server.shutdown_timeout }, 'shutting down: answering the requests in hand');
    // Stop accepting, but give connections that look idle a moment: a request the client sent just
    // before the signal may still be on its way (a busy event loop reads late). Node's own close()
    // would drop its idle keep-alive connections at once, so the listener is closed directly.
    const drained = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
    for (const res of inFlight) if (!res.headersSent) res.shouldKeepAlive = false;
    fastPath.drain(IDLE_GRACE_MS);
    setTimeout(() => server.closeIdleConnections(), IDLE_GRACE_MS).unref();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    Promise.race([drained, deadline])
      .then((outcome) => {
        clearTimeout(timer);
        if (outcome === 'timeout') {
          logger.warn({ open: inFlight.size }, 'shutdown timeout reached: closing the remaining connections');
          server.closeAllConnections();
          fastPath.closeAll();
        }
        return Promise.allSettled([demoIdp?.close(), metricsListener?.close(), runtime.close()]);
      })
      .finally(() => {
        logger.info('stopped');
        logger.flush?.();
        process.exit(0);
      });
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
    `  Try: curl -i -u alice:alice-demo-password -H 'X-Original-URI: /data' ${base}/api/authenticate`,
    '',
  ];
  console.log(lines.join('\n'));
}

start().catch((error: unknown) => {
  console.error(`auth-o-tron failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from '../log/logger';

export interface MetricsListenerOptions {
  host: string;
  port: number;
  /** The exposition to serve: this process's registry, or the cluster primary's aggregate of its workers. */
  render(): Promise<{ contentType: string; body: string }>;
  logger: Logger;
}

export interface MetricsListener {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * auth-o-tron's metrics listener (`metrics: {enabled, port}`): `/metrics` and `/health` on a port of
 * their own, so a ServiceMonitor scrapes it without the app's port being exposed to it, and the app
 * port's Ingress never carries metrics. Nothing else is answered here.
 */
export async function startMetricsListener(options: MetricsListenerOptions): Promise<MetricsListener> {
  const { logger } = options;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, headers: Record<string, string>, body: string) => {
      res.writeHead(status, { 'Cache-Control': 'no-store', 'Content-Length': String(Buffer.byteLength(body)), ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (path !== '/metrics' && path !== '/health') return send(404, {}, '');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { Allow: 'GET, HEAD' }, '');
    if (path === '/health') return send(200, { 'Content-Type': 'text/plain; charset=utf-8' }, 'OK');
    options.render().then(
      ({ contentType, body }) => send(200, { 'Content-Type': contentType }, body),
      (error: unknown) => {
        logger.error({ err: error }, 'failed to render metrics');
        send(500, { 'Content-Type': 'text/plain; charset=utf-8' }, 'failed to render metrics\n');
      },
    );
  });
  server.keepAliveTimeout = 65_000; // longer than Prometheus keeps a scrape connection idle
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  logger.info({ host: options.host, port }, 'metrics listening');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // scrapes are short; nothing worth waiting for
      }),
  };
}

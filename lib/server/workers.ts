import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../log/logger';

export interface WorkerOptions {
  count: number;
  /** `server.shutdown_timeout` in seconds: each worker drains within it; past it (and a margin) they are killed. */
  shutdownTimeoutS: number;
  logger: Logger;
}

const RESTART_DELAY_MS = 1000;

/**
 * `server.workers: N`: N processes share the port (the primary accepts, workers answer), so every
 * core answers checks. Each worker has its own caches and revocation listener. A worker that dies is
 * started again; SIGTERM reaches every worker, each shuts down gracefully, then the primary exits.
 */
export function superviseWorkers(options: WorkerOptions): void {
  const { logger } = options;
  let stopping = false;
  const fork = () => cluster.fork();
  for (let i = 0; i < options.count; i++) fork();
  cluster.on('exit', (worker: Worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    logger.error({ pid: worker.process.pid, code, signal }, 'worker exited; starting another');
    setTimeout(fork, RESTART_DELAY_MS).unref();
  });
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, workers: options.count }, 'shutting down workers');
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
    setTimeout(
      () => {
        for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
        process.exit(1);
      },
      (options.shutdownTimeoutS + 5) * 1000,
    ).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

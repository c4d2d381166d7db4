import { randomBytes } from 'node:crypto';
import type { Database } from '../../db/client';
import { describeError } from '../errors';
import type { Logger } from '../log/logger';
import type { Metrics } from '../metrics/registry';
import { Heartbeat, shouldRestartListener } from './heartbeat';

/** How often the process proves its revocation listener receives; a beat must be back within one interval. */
export const HEARTBEAT_INTERVAL_MS = 2000;

export interface ListenerReadiness {
  receiving: boolean;
  /** Why not, when not receiving. */
  reason?: string;
}

export interface ListenerWatch {
  readiness(): ListenerReadiness;
  close(): void;
}

const NOT_CONNECTED = 'the revocation listener is not receiving notifications: it is not connected to the database';
const NOT_DELIVERED =
  'the revocation listener is not receiving notifications: its heartbeat NOTIFY did not come back. When database.url goes through a transaction-mode pooler (pgbouncer), set database.listen_url to a direct or session-mode connection';

/**
 * Keeps an eye on the LISTEN connection that carries revocations: logs it dropping and coming back
 * (once each), sends itself a heartbeat every interval, and reports through readiness, metrics and
 * one error line per missed interval when notifications stop arriving.
 */
export async function watchListener(database: Database, logger: Logger, metrics: Metrics, intervalMs = HEARTBEAT_INTERVAL_MS): Promise<ListenerWatch> {
  const listener = database.listener;
  if (!listener) {
    // PGlite delivers notifications inside the process: nothing can drop them.
    metrics.revocationListenerUp.set(1);
    return { readiness: () => ({ receiving: true }), close: () => undefined };
  }

  const channel = `aot_heartbeat_${randomBytes(6).toString('hex')}`;
  const heartbeat = new Heartbeat({
    intervalMs,
    send: (payload) => database.notify(channel, payload),
    onMiss(missed, sendError) {
      metrics.revocationListenerUp.set(0);
      metrics.revocationHeartbeatsMissed.inc();
      const connected = listener.connected;
      const fields = { missed, listener_connected: connected, ...(sendError === undefined ? {} : { notify_error: describeError(sendError) }) };
      logger.error(fields, connected ? NOT_DELIVERED : NOT_CONNECTED);
      if (connected && shouldRestartListener(missed)) listener.restart(`${missed} heartbeats missed`);
    },
    onRecovered(missed) {
      metrics.revocationListenerUp.set(1);
      logger.info({ missed }, 'revocation listener receiving notifications again');
    },
  });
  listener.watch((event) => {
    if (event.kind === 'lost') {
      heartbeat.connectionLost();
      metrics.revocationListenerUp.set(0);
      if (event.restarted) logger.warn({ reason: event.reason }, 'restarting the revocation listener: its connection may be dead without knowing it');
      else logger.error({ reason: event.reason }, 'revocation listener lost its database connection; reconnecting');
    } else {
      metrics.revocationListenerReconnects.inc();
      logger.info({ down_ms: event.downMs, attempts: event.attempts }, 'revocation listener reconnected; caches resynchronised');
      heartbeat.beatNow();
    }
  });
  await database.listen(channel, (payload) => heartbeat.received(payload));
  await heartbeat.start();
  if (heartbeat.receiving) metrics.revocationListenerUp.set(1);

  return {
    readiness: () => (heartbeat.receiving && listener.connected ? { receiving: true } : { receiving: false, reason: listener.connected ? NOT_DELIVERED : NOT_CONNECTED }),
    close: () => heartbeat.stop(),
  };
}

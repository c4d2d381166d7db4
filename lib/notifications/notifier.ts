import 'server-only';
import type { Db } from '../../db/client';
import {
  advanceCursor,
  claimDueNotifications,
  markFailed,
  markSent,
  queueNotifications,
  revocationsAfter,
  tokensToWarn,
  type Expiring,
  type NewNotification,
  type NotificationChannel,
  type NotificationRow,
  type Revocation,
} from '../../db/notifications';
import type { Config } from '../config/schema';
import type { Logger } from '../log/logger';
import { SECRET_SCANNING_ACTOR } from '../secret-scanning/github';
import { sendersOf, type Sender } from './channels';
import { notificationPayload, type NotificationPayload } from './messages';

const CURSOR = 'notifications.revocations';
const BATCH = 200;
const MAX_RETRY_SECONDS = 6 * 3600;
const SEND_CONCURRENCY = 10;

export interface NotifierOptions {
  db: Db;
  config: NonNullable<Config['notifications']>;
  /** `tokens.prefix`, for the token's display form. */
  prefix: string;
  /** `portal.url`: links to the token's page. */
  portalUrl: string | undefined;
  logger: Logger;
  /** Channels by name (default: from the config); tests pass their own. */
  senders?: Partial<Record<NotificationChannel, Sender>>;
}

/**
 * The background job behind owner notifications, on every replica: it queues what happened (the
 * audit log's revocations, tokens nearing expiry) in the outbox, one row per event and channel so
 * nothing is queued twice, then sends what is due, retrying failures with a doubling delay.
 */
export class Notifier {
  private readonly senders: Partial<Record<NotificationChannel, Sender>>;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: NotifierOptions) {
    this.senders = options.senders ?? sendersOf(options.config);
  }

  get enabled(): boolean {
    return Object.keys(this.senders).length > 0;
  }

  start(): void {
    if (!this.enabled || this.timer) return;
    this.timer = setInterval(() => void this.run(), this.options.config.poll_interval * 1000);
    this.timer.unref();
    void this.run();
  }

  /** One pass (a pass already under way is joined, not doubled). */
  run(): Promise<void> {
    this.running ??= this.pass()
      .catch((error: unknown) => this.options.logger.warn({ err: error }, 'notifications: a pass failed; the next one retries'))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.running;
    for (const sender of Object.values(this.senders)) sender.close?.();
  }

  private async pass(): Promise<void> {
    await this.queueRevocations();
    await this.queueExpiryWarnings();
    // Until nothing is due (bounded: a pass that never ends would hold up close).
    for (let i = 0; i < 20 && !this.closed; i++) if ((await this.deliver()) < BATCH) break;
  }

  private async queueRevocations(): Promise<void> {
    const { db } = this.options;
    for (let i = 0; i < 20; i++) {
      const { rows, position } = await revocationsAfter(db, CURSOR, BATCH);
      await queueNotifications(
        db,
        rows.flatMap((row) => this.rowsFor(`audit:${row.audit_id}`, row, this.revocationPayload(row))),
      );
      const full = rows.length === BATCH;
      const next = await advanceCursor(db, CURSOR, full ? rows.at(-1)?.audit_id : undefined);
      // A full batch of rows too young to pass is read again next pass.
      if (!full || next <= position) return;
    }
  }

  private async queueExpiryWarnings(): Promise<void> {
    const warnings = [...new Set(this.options.config.expiry_warnings)].sort((a, b) => a - b);
    for (const [i, warning] of warnings.entries()) {
      const rows = await tokensToWarn(this.options.db, warning, warnings.slice(0, i), { needsEmail: !this.senders.webhook, limit: 1000 });
      await queueNotifications(
        this.options.db,
        rows.flatMap((row) => this.rowsFor(row.event_key, row, this.expiryPayload(row, warning))),
      );
    }
  }

  /** One outbox row per configured channel; e-mail only to owners with an address. */
  private rowsFor(eventKey: string, owner: Revocation | Expiring, payload: NotificationPayload): NewNotification[] {
    const base = { eventKey, event: payload.event, tokenId: payload.token.id, payload };
    const rows: NewNotification[] = [];
    if (this.senders.webhook) rows.push({ ...base, channel: 'webhook' });
    if (this.senders.email && owner.email) rows.push({ ...base, channel: 'email', recipient: owner.email });
    return rows;
  }

  private common(eventKey: string, row: Revocation | Expiring) {
    const { prefix, portalUrl } = this.options;
    return {
      id: eventKey,
      token: { id: row.token_id, name: row.name, display: `${prefix}_${row.token_id}_…`, expires_at: row.expires_at.toISOString() },
      owner: { realm: row.realm, username: row.username },
      ...(portalUrl ? { portal_url: new URL(`/tokens/${row.token_id}`, portalUrl).toString() } : {}),
    };
  }

  private revocationPayload(row: Revocation): NotificationPayload {
    const leaked = row.actor === SECRET_SCANNING_ACTOR;
    const details = row.details ?? {};
    const text = (value: unknown) => (typeof value === 'string' ? value : null);
    return notificationPayload.parse({
      ...this.common(`audit:${row.audit_id}`, row),
      event: leaked ? 'token.leaked' : 'token.revoked',
      occurred_at: row.at.toISOString(),
      revoked_by: row.actor,
      ...(leaked ? { leak: { reported_by: text(details.reported_by) ?? 'secret scanning', url: text(details.url), source: text(details.source) } } : {}),
    });
  }

  private expiryPayload(row: Expiring, warning: number): NotificationPayload {
    return notificationPayload.parse({ ...this.common(row.event_key, row), event: 'token.expiring', occurred_at: new Date().toISOString(), warning_seconds: warning });
  }

  /** Sends one batch of due notifications; returns how many were claimed. */
  private async deliver(): Promise<number> {
    const claimed = await claimDueNotifications(this.options.db, BATCH);
    for (let i = 0; i < claimed.length; i += SEND_CONCURRENCY) await Promise.all(claimed.slice(i, i + SEND_CONCURRENCY).map((row) => this.send(row)));
    return claimed.length;
  }

  private async send(row: NotificationRow): Promise<void> {
    const { db, config, logger } = this.options;
    const sender = this.senders[row.channel];
    try {
      if (!sender) throw new Error(`${row.channel}: not configured any more`);
      await sender.send(notificationPayload.parse(row.payload), row.recipient);
      await markSent(db, row.id);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const last = row.attempts >= config.max_attempts;
      const retryIn = last ? null : Math.min(MAX_RETRY_SECONDS, config.retry_delay * 2 ** (row.attempts - 1));
      logger.warn({ notification: row.id, event: row.event, channel: row.channel, attempts: row.attempts, reason, retry_in_seconds: retryIn }, 'notifications: could not send');
      await markFailed(db, row.id, reason, retryIn);
    }
  }
}

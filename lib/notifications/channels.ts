import { createHmac } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import type { Config } from '../config/schema';
import { emailOf, type NotificationPayload } from './messages';

const SEND_TIMEOUT_MS = 10_000;

export interface Sender {
  send(payload: NotificationPayload, recipient: string | null): Promise<void>;
  close?(): void;
}

/** `X-Aot-Signature`: hex HMAC-SHA256 of the raw body with `notifications.webhook.secret`. */
export function webhookSignature(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** POSTs the payload as JSON, signed; anything but a 2xx answer is a failure (retried). */
export class WebhookSender implements Sender {
  constructor(private readonly options: { url: string; secret: string }) {}

  async send(payload: NotificationPayload): Promise<void> {
    const body = JSON.stringify(payload);
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        method: 'POST',
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'auth-o-tron-notifications',
          'X-Aot-Event': payload.event,
          'X-Aot-Delivery': payload.id,
          'X-Aot-Signature': webhookSignature(this.options.secret, body),
        },
      });
    } catch (error) {
      // The cause's code (ECONNREFUSED…), never the URL: it may carry a secret of the receiver.
      const cause = (error as { cause?: { code?: unknown } }).cause;
      throw new Error(`webhook: ${typeof cause?.code === 'string' ? cause.code : error instanceof Error ? error.name : 'request failed'}`);
    }
    await response.body?.cancel().catch(() => undefined);
    if (response.status < 200 || response.status > 299) throw new Error(`webhook: answered HTTP ${response.status}`);
  }
}

/** Mails the owner over SMTP (`smtps://` TLS from the start; `smtp://` upgrades with STARTTLS when the server offers it). */
export class EmailSender implements Sender {
  private readonly transport: Transporter;

  constructor(private readonly options: { url: string; from: string }) {
    const url = new URL(options.url);
    const secure = url.protocol === 'smtps:';
    const pooled: SMTPPool.Options & { maxRequeues: number } = {
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port ? Number(url.port) : secure ? 465 : 587,
      secure,
      // A few connections, reused: a pass may send hundreds of mails.
      pool: true,
      maxConnections: 3,
      // The pool sends a message again, without limit by default, when its connection closes without an
      // error: a server that hangs up at once would hold the send, and the job's pass with it, for ever.
      // One more try, then the failure is the outbox's to retry with backoff.
      maxRequeues: 1,
      auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
      connectionTimeout: SEND_TIMEOUT_MS,
      greetingTimeout: SEND_TIMEOUT_MS,
      socketTimeout: SEND_TIMEOUT_MS,
    };
    this.transport = nodemailer.createTransport(pooled);
  }

  async send(payload: NotificationPayload, recipient: string | null): Promise<void> {
    if (!recipient) throw new Error('email: no recipient');
    const { subject, text } = emailOf(payload);
    try {
      await this.transport.sendMail({ from: this.options.from, to: recipient, subject, text, headers: { 'X-Aot-Event': payload.event } });
    } catch (error) {
      // nodemailer's code (ECONNECTION, EAUTH…) and the server's reply code: never the URL, which may hold a password.
      const { code, responseCode } = error as { code?: unknown; responseCode?: unknown };
      throw new Error(`email: ${typeof code === 'string' ? code : 'could not send'}${typeof responseCode === 'number' ? ` (${responseCode})` : ''}`);
    }
  }

  close(): void {
    this.transport.close();
  }
}

export function sendersOf(config: NonNullable<Config['notifications']>): Partial<Record<'email' | 'webhook', Sender>> {
  return {
    ...(config.smtp ? { email: new EmailSender(config.smtp) } : {}),
    ...(config.webhook ? { webhook: new WebhookSender(config.webhook) } : {}),
  };
}

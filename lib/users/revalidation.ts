import { z } from 'zod';
import type { Database } from '../../db/client';
import { claimUsersForRevalidation, replaceRefreshToken } from '../../db/users';
import type { Config } from '../config/schema';
import type { Sealer } from '../crypto/sealed';
import { describeError } from '../errors';
import type { Logger } from '../log/logger';
import { discover } from '../portal/discovery';
import { combinePlans, disablePlan, type UserStatus } from './status';

type OidcConfig = NonNullable<NonNullable<Config['portal']>['oidc']>;

export interface RevalidatorOptions {
  database: Database;
  users: UserStatus;
  logger: Logger;
  realm: string;
  everySeconds: number;
  timeoutMs: number;
  /** Read at each round: the development IdP is only known once the server listens. */
  oidc: () => OidcConfig | undefined;
  sealer: () => Promise<Sealer>;
}

const BATCH = 20;
const PARALLEL = 4;
const MAX_BATCHES_PER_ROUND = 50;

const tokenAnswer = z.object({ refresh_token: z.string().min(1).optional() });
const errorAnswer = z.object({ error: z.string() });

type Verdict = { kind: 'valid'; refreshToken?: string } | { kind: 'refused' } | { kind: 'unknown'; detail: string };

/**
 * Periodic revalidation at the IdP (`portal.revalidate_every`): each signed-in user's refresh token,
 * kept sealed since sign-in, is exchanged once a period. `invalid_grant` means the IdP no longer
 * vouches for them (disabled, deleted, sessions revoked): they are disabled on every replica until
 * they sign in again. Anything else (IdP down, a misconfigured client) disables nobody.
 * Replicas share the work: each claims due users with `for update skip locked`.
 */
export class Revalidator {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: RevalidatorOptions) {}

  start(): void {
    // Often enough that nobody waits much longer than a period; never more than once a minute or less than twice a second.
    const tickMs = Math.min(60_000, Math.max(500, (this.options.everySeconds * 1000) / 4));
    this.timer = setInterval(() => void this.round(), tickMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** One round: every due user, a batch at a time. Rounds never overlap. */
  round(): Promise<void> {
    this.running ??= this.runRound()
      // The cause only: a failed query's message would carry its parameters (sealed refresh tokens).
      .catch((error: unknown) => this.options.logger.error({ reason: describeError(error) }, 'revalidation round failed; will retry'))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async runRound(): Promise<void> {
    const oidc = this.options.oidc();
    if (!oidc) return;
    const endpoint = await this.tokenEndpoint(oidc);
    if (!endpoint) return;
    const sealer = await this.options.sealer();
    for (let batch = 0; batch < MAX_BATCHES_PER_ROUND && !this.closed; batch += 1) {
      const due = await claimUsersForRevalidation(this.options.database.db, this.options.realm, new Date(Date.now() - this.options.everySeconds * 1000), BATCH);
      for (let i = 0; i < due.length; i += PARALLEL) {
        await Promise.all(due.slice(i, i + PARALLEL).map((user) => this.revalidate(user, endpoint, oidc, sealer)));
      }
      if (due.length < BATCH) return;
    }
  }

  private async tokenEndpoint(oidc: OidcConfig): Promise<string | undefined> {
    try {
      const { token_endpoint: endpoint } = await discover(oidc.issuer, this.options.timeoutMs);
      if (!endpoint) this.options.logger.error('revalidation is off: the identity provider has no token_endpoint');
      return endpoint;
    } catch (error) {
      this.options.logger.warn({ reason: describeError(error) }, 'revalidation postponed: identity provider discovery failed');
      return undefined;
    }
  }

  private async revalidate(user: { id: string; username: string; refreshToken: string | null }, endpoint: string, oidc: OidcConfig, sealer: Sealer): Promise<void> {
    const sealed = user.refreshToken;
    if (!sealed) return;
    const log = { realm: this.options.realm, username: user.username };
    const refreshToken = sealer.open(sealed, user.id);
    if (refreshToken === undefined) {
      // Another encryption key (portal.encryption_key changed): unusable, dropped; the next sign-in stores a new one.
      this.options.logger.warn(log, 'stored refresh token cannot be decrypted (encryption key changed?): dropped; this user stays enabled and is not revalidated until they sign in again');
      await replaceRefreshToken(this.options.database.db, user.id, sealed, null);
      return;
    }
    const verdict = await this.exchange(endpoint, oidc, refreshToken);
    if (verdict.kind === 'unknown') return void this.options.logger.warn({ ...log, reason: verdict.detail }, 'revalidation inconclusive; the user stays enabled');
    if (verdict.kind === 'valid') {
      // IdPs that rotate refresh tokens (Okta, Entra ID) accept only the newest: keep it.
      if (verdict.refreshToken && verdict.refreshToken !== refreshToken) await replaceRefreshToken(this.options.database.db, user.id, sealed, sealer.seal(verdict.refreshToken, user.id));
      return;
    }
    const result = await this.options.users.update(user.id, (row) =>
      // A sign-in since the claim stored a new token: that one speaks for the user now.
      row.refreshToken !== sealed
        ? null
        : combinePlans(disablePlan(row, 'revalidation', { actor: 'revalidation', details: { reason: 'the identity provider refused the refresh token (invalid_grant)' } }), {
            set: { refreshToken: null },
            audit: [],
          }),
    );
    if (result?.changed) this.options.logger.info(log, 'user disabled: the identity provider no longer accepts their refresh token');
  }

  /** The refresh grant at the token endpoint (client_secret_basic, as the sign-in uses). Never logs the token. */
  private async exchange(endpoint: string, oidc: OidcConfig, refreshToken: string): Promise<Verdict> {
    const credentials = Buffer.from(`${encodeURIComponent(oidc.client_id)}:${encodeURIComponent(oidc.client_secret)}`).toString('base64');
    let response: Response;
    try {
      response = await fetch(endpoint, {
        method: 'POST',
        headers: { Authorization: `Basic ${credentials}`, 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      return { kind: 'unknown', detail: `token endpoint unreachable: ${describeError(error)}` };
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      body = undefined;
    }
    if (response.ok) return { kind: 'valid', refreshToken: tokenAnswer.safeParse(body).data?.refresh_token };
    const error = errorAnswer.safeParse(body).data?.error;
    if (response.status === 400 && error === 'invalid_grant') return { kind: 'refused' };
    // invalid_client and the like are our configuration's fault, not the user's.
    return { kind: 'unknown', detail: `token endpoint answered HTTP ${response.status}${error ? ` ${error}` : ''}` };
  }
}

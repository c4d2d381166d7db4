import 'server-only';
import { verify } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../errors';
import { parseJsonBody } from '../http/body';
import type { Logger } from '../log/logger';
import type { TokenHolders } from '../tokens/holders';
import type { GithubKeys } from './github-keys';

/** The audit actor of revocations by secret scanning (notifications call these "leaked"). */
export const SECRET_SCANNING_ACTOR = 'secret-scanning';
/** GitHub sends matches in batches; more than this in one request is refused. */
const MAX_ALERTS = 1000;

const alerts = z
  .array(
    z.object({
      token: z.string().max(1000),
      type: z.string().max(200),
      url: z.string().max(2000).optional(),
      source: z.string().max(100).optional(),
    }),
  )
  .max(MAX_ALERTS);

export const alertAnswer = z.array(z.object({ token_raw: z.string(), token_type: z.string(), label: z.enum(['true_positive', 'false_positive']) }));
export type AlertAnswer = z.infer<typeof alertAnswer>;

export interface SignedRequest {
  body: Buffer;
  keyIdentifier: string | undefined;
  signature: string | undefined;
  clientAddress: string | undefined;
  userAgent: string | undefined;
}

export interface GithubSecretScanningOptions {
  /** Revokes by value exactly as `POST /api/revoke` does (the gateway's own check of the secret). */
  holders: TokenHolders;
  keys: GithubKeys;
  logger: Logger;
}

/**
 * GitHub's secret scanning partner alerts: the signature (ECDSA P-256, SHA-256 over the raw body,
 * base64 DER) is checked before anything else; each real, active token is revoked at once.
 */
export class GithubSecretScanning {
  constructor(private readonly options: GithubSecretScanningOptions) {}

  async handle(request: SignedRequest): Promise<AlertAnswer> {
    await this.checkSignature(request);
    const found = alerts.parse(parseJsonBody(request.body));
    const answer: AlertAnswer = [];
    for (const alert of found) {
      const revoked = await this.revoke(alert, request);
      answer.push({ token_raw: alert.token, token_type: alert.type, label: revoked ? 'true_positive' : 'false_positive' });
    }
    return alertAnswer.parse(answer);
  }

  private async checkSignature({ body, keyIdentifier, signature }: SignedRequest): Promise<void> {
    if (!keyIdentifier || !signature) throw new AppError('unauthorized', 'missing Github-Public-Key-Identifier or Github-Public-Key-Signature');
    const lookup = await this.options.keys.find(keyIdentifier);
    if (lookup.status === 'unavailable') throw new AppError('unavailable', 'the GitHub signing keys could not be fetched; try again');
    if (lookup.status === 'unknown') throw new AppError('unauthorized', 'unknown signing key');
    let valid = false;
    try {
      valid = verify('sha256', body, { key: lookup.key, dsaEncoding: 'der' }, Buffer.from(signature, 'base64'));
    } catch {
      valid = false; // not a DER signature, or not one for this key type
    }
    if (!valid) throw new AppError('unauthorized', 'bad signature');
  }

  /** Whether the alert names one of our tokens, real and active (then revoked now). */
  private async revoke(alert: z.infer<typeof alerts>[number], request: SignedRequest): Promise<boolean> {
    const { holders, logger } = this.options;
    const found = await holders.revokeByValue(alert.token, {
      actor: SECRET_SCANNING_ACTOR,
      clientAddress: request.clientAddress,
      userAgent: request.userAgent,
      details: { reported_by: 'github', url: alert.url ?? null, source: alert.source ?? null },
    });
    if (!found) return false;
    logger.warn({ token_id: found.tokenId, owner: found.targetUser, source: alert.source }, 'secret scanning: a leaked token was revoked');
    return true;
  }
}

import 'server-only';
import type { Db } from '../../db/client';
import { getTokenForVerification, type TokenForVerification } from '../../db/tokens';
import { verifySecret } from '../crypto/secrets';
import { parseToken } from './format';

/**
 * The active token (not revoked, not expired) whose whole value is `token`: shape and checksum first,
 * then the indexed lookup by id, then the argon2 check of the secret. Undefined for anything else.
 */
export async function findActiveTokenByValue(db: Db, prefix: string, token: string, now = new Date()): Promise<TokenForVerification | undefined> {
  const parsed = parseToken(prefix, token);
  if (!parsed) return undefined;
  const row = await getTokenForVerification(db, parsed.id);
  if (!row || row.revokedAt || row.expiresAt <= now) return undefined;
  return (await verifySecret(row.secretHash, parsed.secret)) ? row : undefined;
}

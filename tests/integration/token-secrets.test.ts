import { eq, isNotNull, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '@/db/client';
import { tokens } from '@/db/schema';
import { insertToken, recordTokenUse } from '@/db/tokens';
import { ensureUser } from '@/db/users';
import { hashSecret, PASSWORD_HASH } from '@/lib/crypto/secrets';
import { presented } from '@/lib/gateway/credentials';
import type { ProviderContext } from '@/lib/gateway/types';
import { createLanes } from '@/lib/guard/lanes';
import { createLogger } from '@/lib/log/logger';
import { TokensProvider } from '@/lib/providers/tokens';
import { fingerprintKey, secretFingerprint } from '@/lib/tokens/fingerprint';
import { formatToken, newToken, newTokenId } from '@/lib/tokens/format';
import { LastUsedRecorder } from '@/lib/tokens/last-used';
import { createPostgresDatabase, DATABASE_KINDS, type TestDatabase } from '../support/postgres';

const TOKEN_HASH = { memory_kib: 256, iterations: 1, parallelism: 1 };
/** Each check from its own address, so no guess waits in the narrow lane (that is another test's subject). */
let addresses = 0;
const fresh = (): ProviderContext => {
  const address = `192.0.2.${(addresses += 1) % 250}`;
  return { signal: new AbortController().signal, clientAddress: () => address };
};
const wrongSecret = (i: number) => `W${String(i).padStart(35, '0')}`;

// The provider against a real database (PGlite and Postgres), counting argon2 runs through its hook.
describe.each(DATABASE_KINDS)('stored token secrets (%s)', (kind) => {
  let postgres: TestDatabase | undefined;
  let database: Database;
  let provider: TokensProvider;
  let lastUsed: LastUsedRecorder;
  let ownerId: string;
  let argon2Runs = 0;

  beforeAll(async () => {
    postgres = kind === 'postgres' ? await createPostgresDatabase() : undefined;
    database = await openDatabase({ url: postgres?.url, path: 'memory://' });
    ownerId = (await ensureUser(database.db, { realm: 'local', username: 'alice' })).id;
    const logger = createLogger({ level: 'silent', format: 'json' });
    lastUsed = new LastUsedRecorder(database.db, logger);
    provider = new TokensProvider({
      name: 'tokens',
      realm: 'local',
      prefix: 'aot',
      cacheTtlSeconds: 30,
      hash: TOKEN_HASH,
      database,
      lanes: createLanes(),
      lastUsed,
      logger,
      onArgon2: () => (argon2Runs += 1),
    });
    await provider.start();
  });
  afterAll(async () => {
    await provider?.close();
    await lastUsed?.close();
    await database?.close();
    await postgres?.drop();
  });

  /** A token row as the portal writes it (`fingerprint`) or as it was written before fingerprints (OWASP hash, none). */
  const seed = async (style: 'current' | 'old') => {
    const id = newTokenId();
    const { token, secret } = newToken('aot', id);
    const key = await fingerprintKey(database);
    const stored =
      style === 'current' ? { secretHash: await hashSecret(secret, TOKEN_HASH), secretFingerprint: secretFingerprint(key, secret) } : { secretHash: await hashSecret(secret, PASSWORD_HASH) };
    const audit = { actor: 'test', action: 'token.create', targetUser: 'local/alice', tokenId: id, clientAddress: null, userAgent: null, details: {} };
    const written = await insertToken(database.db, { id, ownerId, name: style, scopes: [], expiresAt: new Date(Date.now() + 86_400_000), ...stored }, audit, 100);
    expect(written.written).toBe(true);
    return { id, token, secret };
  };
  const bearer = (token: string) => presented('Bearer', token);
  const row = async (id: string) => (await database.db.select({ hash: tokens.secretHash, fingerprint: tokens.secretFingerprint }).from(tokens).where(eq(tokens.id, id)))[0];

  it('refuses wrong secrets with a valid checksum by their fingerprint, without argon2', async () => {
    const { id, token } = await seed('current');
    const before = argon2Runs;
    for (let i = 0; i < 20; i++) {
      const outcome = await provider.verify(bearer(formatToken('aot', id, wrongSecret(i))), fresh());
      expect(outcome).toMatchObject({ status: 'rejected', offline: false });
    }
    expect(argon2Runs).toBe(before);
    expect(await provider.verify(bearer(token), fresh())).toMatchObject({ status: 'accepted', identity: { username: 'alice', tokenId: id } });
    expect(argon2Runs).toBe(before + 1);
  });

  it('checks a token without a fingerprint with argon2, then upgrades its hash to the token parameters and adds the fingerprint', async () => {
    const { id, token, secret } = await seed('old');
    expect((await row(id))?.hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);

    const before = argon2Runs;
    expect(await provider.verify(bearer(formatToken('aot', id, wrongSecret(1))), fresh())).toMatchObject({ status: 'rejected' });
    expect(argon2Runs).toBe(before + 1); // nothing to refuse it with yet

    expect(await provider.verify(bearer(token), fresh())).toMatchObject({ status: 'accepted' });
    await expect.poll(async () => (await row(id))?.hash, { timeout: 5000, interval: 100 }).toMatch(/^\$argon2id\$v=19\$m=256,t=1,p=1\$/);
    expect((await row(id))?.fingerprint).toBe(secretFingerprint(await fingerprintKey(database), secret));

    // From now on a wrong secret costs no argon2, and the right one verifies against the new hash.
    const upgraded = argon2Runs;
    expect(await provider.verify(bearer(formatToken('aot', id, wrongSecret(2))), fresh())).toMatchObject({ status: 'rejected' });
    expect(argon2Runs).toBe(upgraded);
    provider.invalidate(`token:${id}`);
    expect(await provider.verify(bearer(token), fresh())).toMatchObject({ status: 'accepted' });
    expect(argon2Runs).toBe(upgraded + 1); // the proof was for the old hash
  });

  it('keeps the stored hash of a token already made with the token parameters', async () => {
    const { id, token } = await seed('current');
    const stored = await row(id);
    expect(await provider.verify(bearer(token), fresh())).toMatchObject({ status: 'accepted' });
    await new Promise((resolve) => setTimeout(resolve, 1500)); // longer than a flush interval
    expect(await row(id)).toEqual(stored);
  });

  it('records the last use of more tokens at once than one statement can carry parameters for', async () => {
    const count = 25_000; // × 3 parameters each > 65,535
    await database.db.execute(sql`
      insert into tokens (id, owner_id, name, scopes, secret_hash, expires_at)
      select 'many' || lpad(g::text, 12, '0'), ${ownerId}::uuid, 'many', '[]', 'x', now() + interval '1 day' from generate_series(1, ${count}::integer) g`);
    const at = new Date();
    await recordTokenUse(
      database.db,
      Array.from({ length: count }, (_, i) => ({ id: `many${String(i + 1).padStart(12, '0')}`, at, address: '192.0.2.1' })),
    );
    const [used] = await database.db.select({ n: sql<number>`count(*)::integer` }).from(tokens).where(isNotNull(tokens.lastUsedAt));
    expect(used?.n).toBeGreaterThanOrEqual(count);
  });
});

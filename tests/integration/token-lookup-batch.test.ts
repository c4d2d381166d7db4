import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '@/db/client';
import { getTokensForVerification, insertToken, type TokenForVerification } from '@/db/tokens';
import { ensureUser } from '@/db/users';
import { hashSecret } from '@/lib/crypto/secrets';
import { presented } from '@/lib/gateway/credentials';
import { createLanes } from '@/lib/guard/lanes';
import { createLogger } from '@/lib/log/logger';
import { TokensProvider } from '@/lib/providers/tokens';
import { BatchedLookup } from '@/lib/tokens/batched-lookup';
import { fingerprintKey, secretFingerprint } from '@/lib/tokens/fingerprint';
import { newToken, newTokenId } from '@/lib/tokens/format';
import { LastUsedRecorder } from '@/lib/tokens/last-used';
import { createPostgresDatabase, DATABASE_KINDS, type TestDatabase } from '../support/postgres';

const TOKEN_HASH = { memory_kib: 256, iterations: 1, parallelism: 1 };

// A burst of first uses reads its rows in one statement; every token still gets its own row.
describe.each(DATABASE_KINDS)('token lookups in batches (%s)', (kind) => {
  let postgres: TestDatabase | undefined;
  let database: Database;
  let ownerId: string;

  beforeAll(async () => {
    postgres = kind === 'postgres' ? await createPostgresDatabase() : undefined;
    database = await openDatabase({ url: postgres?.url, path: 'memory://' });
    ownerId = (await ensureUser(database.db, { realm: 'local', username: 'alice' })).id;
  });
  afterAll(async () => {
    await database?.close();
    await postgres?.drop();
  });

  const seed = async (name: string) => {
    const id = newTokenId();
    const { token, secret } = newToken('aot', id);
    const key = await fingerprintKey(database);
    const audit = { actor: 'test', action: 'token.create', targetUser: 'local/alice', tokenId: id, clientAddress: null, userAgent: null, details: {} };
    const stored = { secretHash: await hashSecret(secret, TOKEN_HASH), secretFingerprint: secretFingerprint(key, secret) };
    const scopes = [`svc:${name}`];
    expect((await insertToken(database.db, { id, ownerId, name, scopes, expiresAt: new Date(Date.now() + 86_400_000), ...stored }, audit, 100)).written).toBe(true);
    return { id, token, scopes };
  };

  it('answers the lookups of one turn with one statement, each with its own row (or none)', async () => {
    const seeded = await Promise.all(['a', 'b', 'c'].map(seed));
    const statements: string[][] = [];
    const lookup = new BatchedLookup<string, TokenForVerification>((ids) => {
      statements.push(ids);
      return getTokensForVerification(database.db, ids);
    });
    const missing = newTokenId();
    const [a, b, c, none, again] = await Promise.all([...seeded.map((s) => lookup.load(s.id)), lookup.load(missing), lookup.load(seeded[0]?.id ?? '')]);
    expect(statements).toHaveLength(1);
    expect(statements[0]).toHaveLength(4); // the repeated id is asked once
    expect([a?.id, b?.id, c?.id]).toEqual(seeded.map((s) => s.id));
    expect([a?.scopes, b?.scopes, c?.scopes]).toEqual(seeded.map((s) => s.scopes));
    expect(a?.owner.username).toBe('alice');
    expect(none).toBeUndefined();
    expect(again).toBe(a);
    // The next turn is a statement of its own.
    await lookup.load(seeded[1]?.id ?? '');
    expect(statements).toHaveLength(2);
  });

  it('a failed statement fails every lookup of its batch, and the next batch tries again', async () => {
    let fail = true;
    const lookup = new BatchedLookup<string, number>(async (ids) => {
      if (fail) throw new Error('database down');
      return new Map(ids.map((id) => [id, id.length]));
    });
    const results = await Promise.allSettled([lookup.load('x'), lookup.load('yy')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await lookup.load('zzz')).toBe(3);
  });

  it('a burst of distinct cold tokens through the provider: each accepted as itself', async () => {
    const logger = createLogger({ level: 'silent', format: 'json' });
    const lastUsed = new LastUsedRecorder(database.db, logger);
    const provider = new TokensProvider({ name: 'tokens', realm: 'local', prefix: 'aot', cacheTtlSeconds: 30, hash: TOKEN_HASH, database, lanes: createLanes(), lastUsed, logger });
    try {
      await provider.start();
      const seeded = await Promise.all(Array.from({ length: 12 }, (_, i) => seed(`burst${i}`)));
      const context = { signal: new AbortController().signal, clientAddress: () => '192.0.2.1' };
      const outcomes = await Promise.all(seeded.map((s) => provider.verify(presented('Bearer', s.token), context)));
      for (const [i, outcome] of outcomes.entries()) {
        expect(outcome.status).toBe('accepted');
        if (outcome.status === 'accepted') expect({ tokenId: outcome.identity.tokenId, scopes: outcome.identity.scopes }).toEqual({ tokenId: seeded[i]?.id, scopes: { svc: [`burst${i}`] } });
      }
    } finally {
      await provider.close();
      await lastUsed.close();
    }
  });
});

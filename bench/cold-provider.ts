// `node --import tsx --import ./scripts/server-only-hook.mjs bench/cold-provider.ts [memory_kib]`: the
// CPU one cold token costs inside the process, step by step, without HTTP, nginx or wrk (what the
// cold rows of `npm run bench` cost on the app's side, taken apart). Needs Postgres (TEST_POSTGRES_URL).
import { openDatabase } from '../db/client';
import { getTokensForVerification } from '../db/tokens';
import { ensureUser } from '../db/users';
import { hashSecret, verifySecret } from '../lib/crypto/secrets';
import { presented } from '../lib/gateway/credentials';
import { createLanes } from '../lib/guard/lanes';
import { createLogger } from '../lib/log/logger';
import { TokensProvider } from '../lib/providers/tokens';
import { fingerprintKey, secretFingerprint } from '../lib/tokens/fingerprint';
import { formatToken } from '../lib/tokens/format';
import { LastUsedRecorder } from '../lib/tokens/last-used';
import { UsageRecorder } from '../lib/tokens/usage';
import { createPostgresDatabase } from '../tests/support/postgres';

const COUNT = 4000;
const CONCURRENCY = 32;
const SECRET = 'B'.repeat(36);
const hash = { memory_kib: Number(process.argv[2] ?? 256), iterations: 1, parallelism: 1 };

const postgres = await createPostgresDatabase();
const database = await openDatabase({ url: postgres.url, path: '' });
const owner = await ensureUser(database.db, { realm: 'local', username: 'alice' });
const stored = await hashSecret(SECRET, hash);
const fingerprint = secretFingerprint(await fingerprintKey(database), SECRET);
const ids = Array.from({ length: COUNT * 2 }, (_, i) => `c${String(i).padStart(15, '0')}`);
await database.db.execute(
  (await import('drizzle-orm')).sql`insert into tokens (id, owner_id, name, scopes, secret_hash, secret_fingerprint, expires_at)
    select v, ${owner.id}, v, '["polytope:read"]', ${stored}, ${fingerprint}, now() + interval '1 day' from jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb) v`,
);

/** CPU µs per item of `run` over `items`, CONCURRENCY at a time (user + system, all threads). */
async function cpuPer<T>(label: string, items: T[], run: (item: T) => unknown): Promise<void> {
  const before = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < items.length; i += CONCURRENCY) await Promise.all(items.slice(i, i + CONCURRENCY).map((item) => run(item)));
  const used = process.cpuUsage(before);
  const seconds = (performance.now() - started) / 1000;
  console.log(`${label.padEnd(44)} ${((used.user + used.system) / items.length).toFixed(0).padStart(5)} µs CPU each, ${(items.length / seconds).toFixed(0)}/s`);
}

const logger = createLogger({ level: 'silent', format: 'json' });
const lastUsed = new LastUsedRecorder(database.db, logger, new UsageRecorder(database.db, logger));
const provider = new TokensProvider({ name: 'tokens', realm: 'local', prefix: 'aot', cacheTtlSeconds: 30, hash, database, lanes: createLanes(), lastUsed, logger });
await provider.start();
const context = { signal: new AbortController().signal, clientAddress: () => '192.0.2.1' };
console.log(`argon2id m=${hash.memory_kib} KiB, t=1, ${COUNT} tokens, ${CONCURRENCY} at a time`);
await cpuPer('argon2 verification alone', ids.slice(0, COUNT), () => verifySecret(stored, SECRET));
await cpuPer('row lookup alone (one statement per token)', ids.slice(0, COUNT), (id) => getTokensForVerification(database.db, [id]));
await cpuPer('provider: a cold token, whole', ids.slice(COUNT), async (id) => {
  const outcome = await provider.verify(presented('Bearer', formatToken('aot', id, SECRET)), context);
  if (outcome.status !== 'accepted') throw new Error(`not accepted: ${JSON.stringify(outcome)}`);
});
await cpuPer('flushing their last use and usage', [0], () => lastUsed.flush());
await provider.close();
await lastUsed.close();
await database.close();
await postgres.drop();

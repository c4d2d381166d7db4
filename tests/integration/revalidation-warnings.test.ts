import { Writable } from 'node:stream';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '@/db/client';
import { users } from '@/db/schema';
import { getUserById, upsertUserOnSignIn } from '@/db/users';
import { Sealer } from '@/lib/crypto/sealed';
import { createLogger } from '@/lib/log/logger';
import { Revalidator } from '@/lib/users/revalidation';
import { UserStatus } from '@/lib/users/status';
import { startTestIdp, type TestIdp } from '../support/oidc-idp';

/** Revalidation never skips a user silently: what it cannot revalidate, it says (naming the user, never the token). */
describe('revalidation of a refresh token it cannot decrypt', () => {
  let database: Database;
  let idp: TestIdp;
  beforeAll(async () => {
    database = await openDatabase({ path: 'memory://' });
    idp = await startTestIdp('reval');
  });
  afterAll(async () => {
    await database?.close();
    await idp?.close();
  });

  it('drops it, keeps the user enabled and logs a warning naming the user', async () => {
    const signedIn = await upsertUserOnSignIn(database.db, { realm: 'people', username: 'ada', roles: [], idpSubject: 'ada-sub' });
    if (!('row' in signedIn)) throw new Error('sign-in refused');
    const id = signedIn.row.id;
    const refreshToken = 'refresh-token-value-that-must-never-be-logged';
    // Sealed under a key the portal no longer has (portal.encryption_key changed).
    const stale = new Sealer('the key the portal had before, at least thirty-two characters').seal(refreshToken, id);
    await database.db.update(users).set({ refreshToken: stale }).where(eq(users.id, id));

    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const revalidator = new Revalidator({
      database,
      users: new UserStatus(database),
      logger: createLogger({ level: 'info', format: 'json' }, sink),
      realm: 'people',
      everySeconds: 60,
      timeoutMs: 2000,
      oidc: () => ({ issuer: idp.issuer, client_id: 'portal', client_secret: 'portal-secret' }),
      sealer: async () => new Sealer('the key the portal has now, also thirty-two characters'),
    });
    await revalidator.round();

    const warnings = lines.map((line) => JSON.parse(line) as { level: number; username?: string; realm?: string; msg: string }).filter((entry) => entry.level === 40);
    expect(warnings).toEqual([expect.objectContaining({ realm: 'people', username: 'ada', msg: expect.stringMatching(/cannot be decrypted.*stays enabled and is not revalidated/) })]);
    expect(lines.join('')).not.toContain(refreshToken);
    expect(lines.join('')).not.toContain(stale);
    const row = await getUserById(database.db, id);
    expect(row).toMatchObject({ disabledAt: null, refreshToken: null });
  });
});

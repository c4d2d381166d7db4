import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { credentialKey, hashSecret } from '@/lib/crypto/secrets';
import { presented } from '@/lib/gateway/credentials';
import type { SingleFlightCache } from '@/lib/http/cache';
import { WorkQueue } from '@/lib/crypto/work-queue';
import { PlainProvider } from '@/lib/providers/plain';

class CountingQueue extends WorkQueue {
  runs = 0;
  override run<T>(task: () => Promise<T>): Promise<T> {
    this.runs += 1;
    return super.run(task);
  }
}

const basic = (user: string, password: string) => presented('Basic', Buffer.from(`${user}:${password}`).toString('base64'));

describe('plain provider', async () => {
  const hash = await hashSecret('right');
  const setup = (verdictTtlMs?: number) => {
    const main = new CountingQueue(2, 32);
    const suspect = new CountingQueue(1, 4);
    const provider = new PlainProvider(
      { type: 'plain', name: 'p', realm: 'r', users: [{ username: 'ann', password_hash: hash, roles: ['x'], attributes: {} }] },
      { main, narrow: suspect },
      { verdictTtlMs },
    );
    return { main, suspect, provider };
  };

  it('verifies a credential once for many concurrent requests, then answers from the cache', async () => {
    const { main, provider } = setup();
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => provider.verify(basic('ann', 'right'))));
    expect(outcomes.every((o) => o.status === 'accepted')).toBe(true);
    await provider.verify(basic('ann', 'right'));
    expect(main.runs).toBe(1);
  });

  it('sends further guesses for a user with a recent wrong password to the narrow lane', async () => {
    const { main, suspect, provider } = setup();
    expect((await provider.verify(basic('ann', 'guess-1'))).status).toBe('rejected');
    expect(main.runs).toBe(1);
    expect((await provider.verify(basic('ann', 'guess-2'))).status).toBe('rejected');
    expect((await provider.verify(basic('ann', 'right'))).status).toBe('accepted'); // the owner still gets in
    expect(suspect.runs).toBe(2);
    expect(main.runs).toBe(1);
  });

  it('lets the owner back in after the verdict expires without argon2 or the narrow lane, while guesses still go there', async () => {
    const { main, suspect, provider } = setup(50);
    expect((await provider.verify(basic('ann', 'right'))).status).toBe('accepted');
    expect((await provider.verify(basic('ann', 'guess-1'))).status).toBe('rejected'); // ann is now a suspect
    await new Promise((resolve) => setTimeout(resolve, 80)); // both verdicts have expired
    expect((await provider.verify(basic('ann', 'right'))).status).toBe('accepted');
    expect(main.runs).toBe(2);
    expect(suspect.runs).toBe(0);
    expect((await provider.verify(basic('ann', 'guess-1'))).status).toBe('rejected'); // a wrong password proves nothing
    expect(suspect.runs).toBe(1);
  });

  it('counts guesses against the address they come from: the owner from another address is checked in the main lane', async () => {
    const { main, suspect, provider } = setup();
    const from = (address: string) => ({ signal: new AbortController().signal, clientAddress: () => address });
    expect((await provider.verify(basic('ann', 'guess-1'), from('203.0.113.1'))).status).toBe('rejected');
    expect((await provider.verify(basic('ann', 'guess-2'), from('203.0.113.1'))).status).toBe('rejected');
    expect(suspect.runs).toBe(1); // the guesser's second try
    expect((await provider.verify(basic('ann', 'right'), from('198.51.100.2'))).status).toBe('accepted');
    expect(suspect.runs).toBe(1);
    expect(main.runs).toBe(2);
  });

  it('answers "unavailable" rather than queueing without bound', async () => {
    const { provider } = setup();
    const outcomes = await Promise.all(Array.from({ length: 60 }, (_, i) => provider.verify(basic('ann', `burst-${i}`))));
    expect(outcomes.some((o) => o.status === 'unavailable')).toBe(true);
    expect(outcomes.every((o) => o.status !== 'accepted')).toBe(true);
  });

  it('keys its verdicts by the keyed hash, never by the credential (base64 of the password) or a plain hash of it', async () => {
    const { provider } = setup();
    const credential = basic('ann', 'right');
    await provider.verify(credential);
    await provider.verify(basic('ann', 'wrong'));
    const keys = (provider as unknown as { checker: { verdicts: SingleFlightCache<unknown> } }).checker.verdicts.keys();
    expect(keys).toHaveLength(2);
    const plainHashes = [credential.value, 'ann:right'].flatMap((v) =>
      ['sha256', 'sha1', 'md5'].flatMap((alg) =>
        ['hex', 'base64', 'base64url'].map((enc) =>
          createHash(alg)
            .update(v)
            .digest(enc as 'hex'),
        ),
      ),
    );
    for (const key of keys) {
      expect(key).not.toContain(credential.value);
      expect(key).not.toContain('right');
      expect(plainHashes).not.toContain(key);
    }
    expect(keys).toContain(credentialKey(credential.value));
  });
});

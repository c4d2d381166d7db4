import { createHash } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { credentialKey } from '@/lib/crypto/secrets';
import { SingleFlightCache, type Step } from '@/lib/http/cache';

const deferred = <T>() => {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
};

describe('SingleFlightCache', () => {
  it('shares one fill between concurrent misses of the same credential', async () => {
    const cache = new SingleFlightCache<string>({ ttlMs: 60_000 });
    const gate = deferred<Step<string>>();
    const fill = vi.fn(() => gate.promise);
    const waits = Array.from({ length: 10 }, () => cache.get('key-a', fill));
    gate.resolve({ status: 'ok', value: 'alice' });
    const results = await Promise.all(waits);
    expect(fill).toHaveBeenCalledTimes(1);
    expect(results.every((r) => r.status === 'ok' && r.value === 'alice')).toBe(true);
    await cache.get('key-a', fill);
    expect(fill).toHaveBeenCalledTimes(1); // now a hit
  });

  it('fills different credentials concurrently (no global lock)', async () => {
    const cache = new SingleFlightCache<string>({ ttlMs: 60_000 });
    const gateA = deferred<Step<string>>();
    const a = cache.get('a', () => gateA.promise);
    // b completes although a's fill is still pending
    await expect(cache.get('b', async () => ({ status: 'ok', value: 'b' }))).resolves.toMatchObject({ value: 'b' });
    gateA.resolve({ status: 'ok', value: 'a' });
    await expect(a).resolves.toMatchObject({ value: 'a' });
  });

  it('caches rejections briefly and never caches unavailability', async () => {
    {
      let now = 1_000;
      const advance = (ms: number) => (now += ms);
      const cache = new SingleFlightCache<string>({ ttlMs: 60_000, negativeTtlMs: 10_000, now: () => now });
      const rejected = vi.fn(async (): Promise<Step<string>> => ({ status: 'rejected', reason: 'no' }));
      await cache.get('bad', rejected);
      await cache.get('bad', rejected);
      expect(rejected).toHaveBeenCalledTimes(1);
      advance(10_001);
      await cache.get('bad', rejected);
      expect(rejected).toHaveBeenCalledTimes(2);

      const down = vi.fn(async (): Promise<Step<string>> => ({ status: 'unavailable', reason: 'down' }));
      await cache.get('x', down);
      await cache.get('x', down);
      expect(down).toHaveBeenCalledTimes(2);

      const throws = vi.fn(async (): Promise<Step<string>> => {
        throw new Error('bug');
      });
      await expect(cache.get('y', throws)).resolves.toMatchObject({ status: 'unavailable' });
      await cache.get('y', throws);
      expect(throws).toHaveBeenCalledTimes(2);
    }
  });

  it('expires accepted answers after the TTL, or earlier when the step says so', async () => {
    {
      let now = 1_000;
      const advance = (ms: number) => (now += ms);
      const cache = new SingleFlightCache<string>({ ttlMs: 60_000, now: () => now });
      const fill = vi.fn(async (): Promise<Step<string>> => ({ status: 'ok', value: 'v' }));
      await cache.get('k', fill);
      advance(59_000);
      await cache.get('k', fill);
      expect(fill).toHaveBeenCalledTimes(1);
      advance(2_000);
      await cache.get('k', fill);
      expect(fill).toHaveBeenCalledTimes(2);

      const short = vi.fn(async (): Promise<Step<string>> => ({ status: 'ok', value: 'v', ttlMs: 1_000 }));
      await cache.get('s', short);
      advance(1_500);
      await cache.get('s', short);
      expect(short).toHaveBeenCalledTimes(2);
    }
  });

  it('is bounded', async () => {
    const cache = new SingleFlightCache<number>({ ttlMs: 60_000, max: 100 });
    for (let i = 0; i < 1000; i += 1) await cache.get(`k${i}`, async () => ({ status: 'ok', value: i }));
    expect(cache.size).toBe(100);
  });

  it('lets an aborted caller stop waiting without cancelling the shared fill', async () => {
    const cache = new SingleFlightCache<string>({ ttlMs: 60_000 });
    const gate = deferred<Step<string>>();
    const controller = new AbortController();
    const first = cache.get('k', () => gate.promise, controller.signal);
    const second = cache.get('k', () => gate.promise);
    controller.abort();
    await expect(first).resolves.toMatchObject({ status: 'unavailable', reason: 'aborted' });
    gate.resolve({ status: 'ok', value: 'v' });
    await expect(second).resolves.toMatchObject({ status: 'ok' });
  });
});

describe('SingleFlightCache invalidation', () => {
  it('forgets the accepted answers a predicate matches, and keeps the others', async () => {
    const cache = new SingleFlightCache<{ owner: string }>({ ttlMs: 60_000 });
    await cache.get('a', async () => ({ status: 'ok', value: { owner: 'ann' } }));
    await cache.get('b', async () => ({ status: 'ok', value: { owner: 'bob' } }));
    cache.invalidate((value) => value.owner === 'ann');
    expect(cache.peek('a')).toBeUndefined();
    expect(cache.peek('b')).toMatchObject({ status: 'ok' });
  });

  it('stores nothing from a fill that an invalidation raced, and starts a new fill for later callers', async () => {
    const cache = new SingleFlightCache<string>({ ttlMs: 60_000 });
    const gate = deferred<Step<string>>();
    const early = cache.get('k', () => gate.promise);
    cache.invalidate(() => true); // e.g. the token is revoked while its row is being read
    const later = vi.fn(async (): Promise<Step<string>> => ({ status: 'rejected', reason: 'revoked' }));
    await expect(cache.get('k', later)).resolves.toMatchObject({ status: 'rejected' });
    expect(later).toHaveBeenCalledTimes(1);
    gate.resolve({ status: 'ok', value: 'stale' });
    await expect(early).resolves.toMatchObject({ status: 'ok', value: 'stale' }); // its own caller was already under way
    expect(cache.peek('k')).toMatchObject({ status: 'rejected' }); // the stale answer was not stored
  });

  it('does not remember a rejection with ttlMs 0', async () => {
    const cache = new SingleFlightCache<string>({ ttlMs: 60_000, negativeTtlMs: 10_000 });
    await cache.get('k', async () => ({ status: 'rejected', reason: 'owner disabled', ttlMs: 0 }));
    expect(cache.peek('k')).toBeUndefined();
  });
});

describe('credentialKey', () => {
  it('is a keyed hash: stable in a process, never the credential itself nor a plain hash of it', () => {
    expect(credentialKey('secret-api-key')).toBe(credentialKey('secret-api-key'));
    expect(credentialKey('secret-api-key')).not.toContain('secret');
    expect(credentialKey('a')).not.toBe(credentialKey('b'));
    // Someone who reads the cache keys (a heap dump) must not be able to test guesses against them.
    const plain = ['sha256', 'sha1', 'sha512', 'md5'].flatMap((alg) => (['hex', 'base64', 'base64url'] as const).map((enc) => createHash(alg).update('secret-api-key').digest(enc)));
    expect(plain).not.toContain(credentialKey('secret-api-key'));
  });
});

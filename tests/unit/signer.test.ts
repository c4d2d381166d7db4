import { generateKeyPair } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { User } from '@/lib/gateway/types';
import { JwtSigner } from '@/lib/jwt/signer';

const user = (roles: string[] = ['a'], expiresAt?: number): User => ({ username: 'u', realm: 'r', roles, attributes: {}, scopes: {}, auth: { method: 'plain', provider: 'p' }, expiresAt });

describe('JwtSigner.signOrReuse', () => {
  afterEach(() => vi.useRealTimers());

  async function signer(lifetimeSeconds: number) {
    const { privateKey } = await generateKeyPair('ES256');
    let kid = 'k1';
    const instance = new JwtSigner(() => ({ active: { kid, alg: 'ES256', key: privateKey }, published: [] }), { issuer: 'test', lifetimeSeconds });
    return { instance, rotate: () => (kid = 'k2') };
  }

  it('reuses the JWT of the same identity while more than half its life is left', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { instance } = await signer(100);
    const first = await instance.signOrReuse(user());
    vi.advanceTimersByTime(40_000);
    expect((await instance.signOrReuse(user())).token).toBe(first.token);
    vi.advanceTimersByTime(20_000); // 60 s of 100 gone: re-issue
    expect((await instance.signOrReuse(user())).token).not.toBe(first.token);
  });

  it('never reuses across identities, upstream expiries or signing keys', async () => {
    const { instance, rotate } = await signer(100);
    const first = await instance.signOrReuse(user());
    expect((await instance.signOrReuse(user(['a', 'b']))).token).not.toBe(first.token);
    expect((await instance.signOrReuse(user(['a'], Math.floor(Date.now() / 1000) + 50))).token).not.toBe(first.token);
    rotate();
    expect((await instance.signOrReuse(user())).token).not.toBe(first.token);
  });
});

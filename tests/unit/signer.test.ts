import { spawnSync } from 'node:child_process';
import { createLocalJWKSet, decodeProtectedHeader, exportPKCS8, exportSPKI, generateKeyPair, jwtVerify } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { User } from '@/lib/gateway/types';
import { generateStoredKey, keySetFromConfig, keySetFromStored } from '@/lib/jwt/keys';
import { JwtSigner, emittedAudience } from '@/lib/jwt/signer';

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

describe('JwtSigner.sign: a JWS every backend library verifies', () => {
  const alice: User = { username: 'alice', realm: 'local', roles: ['user'], attributes: { team: 'é' }, scopes: { svc: ['read'] }, auth: { method: 'plain', provider: 'users' } };

  it.each(['ES256', 'EdDSA', 'RS256'] as const)('%s, from a PEM key (config) and from a stored JWK (the database)', async (alg) => {
    const stored = await generateStoredKey(alg);
    const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
    const fromConfig = await keySetFromConfig({ iss: 'issuer', exp: 60, algorithm: 'ES256', keys: [{ kid: 'pem', private_key: (await exportPKCS8(privateKey)).toString() }] });
    for (const keys of [await keySetFromStored(stored, [stored]), fromConfig!]) {
      const signer = new JwtSigner(() => keys, { issuer: 'issuer', audience: 'backends', lifetimeSeconds: 60 });
      const { token, expiresAt } = signer.sign(alice, 1_000);
      const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet({ keys: keys.published }), { audience: 'backends', issuer: 'issuer', currentDate: new Date(1_010_000) });
      expect(protectedHeader).toEqual({ alg, typ: 'JWT', kid: keys.active.kid });
      expect(payload).toMatchObject({ username: 'alice', realm: 'local', roles: ['user'], attributes: { team: 'é' }, scopes: { svc: ['read'] }, sub: 'local-alice', iat: 1_000, exp: 1_060 });
      expect(expiresAt).toBe(1_060);
      // A token with its payload changed is refused: the signature covers what the backend reads.
      const [h, , sig] = token.split('.');
      const forged = `${h}.${Buffer.from(JSON.stringify({ ...payload, roles: ['admin'] })).toString('base64url')}.${sig}`;
      await expect(jwtVerify(forged, createLocalJWKSet({ keys: keys.published }), { currentDate: new Date(1_010_000) })).rejects.toThrow();
    }
  });
});

/**
 * PyJWT as a Python backend uses it by default: `jwt.decode(token, key, algorithms=[...])`, no
 * `audience=`. It refuses a token carrying an aud it was not told to expect (InvalidAudienceError).
 * Debian's python3-jwt (and python3-cryptography for ES256), outside any pyenv: .ci/run installs them.
 */
function pyjwtDecode(token: string, key: string, algorithm: string, audience?: string): { claims?: Record<string, unknown>; error?: string } {
  const script = [
    'import json, sys, jwt',
    'a = json.load(sys.stdin)',
    'kw = {"audience": a["audience"]} if a.get("audience") else {}',
    'try: print(json.dumps({"claims": jwt.decode(a["token"], a["key"], algorithms=[a["alg"]], **kw)}))',
    'except jwt.PyJWTError as e: print(json.dumps({"error": type(e).__name__}))',
  ].join('\n');
  const run = spawnSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify({ token, key, alg: algorithm, audience }), encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`python3 failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as { claims?: Record<string, unknown>; error?: string };
}

describe('HS256 compatibility: aud only on request (checked with PyJWT, as a Python backend verifies)', () => {
  const secret = 'a-shared-secret-for-backends-0123456789';
  const alice: User = { username: 'alice', realm: 'local', roles: ['user'], attributes: {}, scopes: {}, auth: { method: 'plain', provider: 'users' } };

  async function issued(jwt: { aud?: string; secret?: string; emit_aud?: boolean }) {
    const keys = await keySetFromConfig({ iss: 'issuer', exp: 60, algorithm: 'ES256', ...jwt });
    const signer = new JwtSigner(() => keys!, { issuer: 'issuer', audience: emittedAudience(jwt), lifetimeSeconds: 60 });
    return { token: (await signer.sign(alice)).token, signer };
  }

  it('with jwt.secret and jwt.aud, emits no aud: PyJWT with its defaults keeps verifying', async () => {
    const { token } = await issued({ secret, aud: 'my-backends' });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const { claims, error } = pyjwtDecode(token, secret, 'HS256');
    expect(error).toBeUndefined();
    expect(claims).toMatchObject({ iss: 'issuer', sub: 'local-alice', username: 'alice', realm: 'local', roles: ['user'] });
    expect(claims).not.toHaveProperty('aud');
    expect(pyjwtDecode(token, 'another-secret-for-backends-0123456789', 'HS256').error).toBe('InvalidSignatureError');
  });

  it('with jwt.emit_aud: true, emits it: PyJWT with its defaults raises InvalidAudienceError, with audience= it verifies', async () => {
    const { token } = await issued({ secret, aud: 'my-backends', emit_aud: true });
    expect(pyjwtDecode(token, secret, 'HS256')).toEqual({ error: 'InvalidAudienceError' });
    expect(pyjwtDecode(token, secret, 'HS256', 'my-backends').claims).toMatchObject({ aud: 'my-backends', sub: 'local-alice' });
  });

  it('asymmetric keys emit aud by default (unless emit_aud: false): PyJWT then needs audience=', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const pem = (await exportPKCS8(privateKey)).toString();
    const publicPem = await exportSPKI(publicKey);
    const keys = await keySetFromConfig({ iss: 'issuer', exp: 60, algorithm: 'ES256', keys: [{ kid: 'k1', private_key: pem }] });
    for (const [jwt, aud] of [
      [{ aud: 'my-backends' }, 'my-backends'],
      [{ aud: 'my-backends', emit_aud: false }, undefined],
    ] as const) {
      const signer = new JwtSigner(() => keys!, { issuer: 'issuer', audience: emittedAudience(jwt), lifetimeSeconds: 60 });
      const { token } = await signer.sign(alice);
      const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(signer.jwks()));
      expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: 'k1' });
      expect(payload.aud).toBe(aud);
      if (aud) {
        expect(pyjwtDecode(token, publicPem, 'ES256')).toEqual({ error: 'InvalidAudienceError' });
        expect(pyjwtDecode(token, publicPem, 'ES256', aud).claims).toMatchObject({ aud, sub: 'local-alice' });
      } else {
        expect(pyjwtDecode(token, publicPem, 'ES256').claims).toMatchObject({ sub: 'local-alice' });
      }
    }
  });

  it('without jwt.aud there is nothing to emit', () => {
    expect(emittedAudience({ secret, emit_aud: true })).toBeUndefined();
    expect(emittedAudience({ aud: 'x', secret: '' })).toBe('x'); // an empty secret is no secret: asymmetric keys sign
  });
});

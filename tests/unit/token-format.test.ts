import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newToken, newTokenId, parseToken, SECRET_LENGTH } from '@/lib/tokens/format';

describe('opaque token format', () => {
  it('round-trips prefix, id and secret, with ≥ 192 bits of secret', () => {
    const id = newTokenId();
    const { token, secret } = newToken('aot', id);
    expect(token).toMatch(/^aot_[0-9A-Za-z]{16}_[0-9A-Za-z]{42}$/);
    expect(parseToken('aot', token)).toEqual({ id, secret });
    expect(SECRET_LENGTH * Math.log2(62)).toBeGreaterThanOrEqual(192);
  });

  it('refuses another prefix, a wrong length and any single changed character', () => {
    const { token } = newToken('aot', newTokenId());
    expect(parseToken('xyz', token)).toBeNull();
    expect(parseToken('aot', token.slice(0, -1))).toBeNull();
    expect(parseToken('aot', `${token}x`)).toBeNull();
    fc.assert(
      fc.property(fc.integer({ min: 4, max: token.length - 1 }), fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_'), (position, replacement) => {
        fc.pre(token[position] !== replacement);
        const changed = token.slice(0, position) + replacement + token.slice(position + 1);
        expect(parseToken('aot', changed)).toBeNull();
      }),
    );
  });

  it('never throws on arbitrary input', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 100 }), (input) => void parseToken('aot', input)));
  });
});

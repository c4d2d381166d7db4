import { describe, expect, it } from 'vitest';
import { decodeBasic, parseAuthorization } from '@/lib/gateway/credentials';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

describe('parseAuthorization', () => {
  it('reads one to three credentials with case-insensitive schemes', () => {
    expect(parseAuthorization('bearer abc')).toEqual({ ok: true, credentials: [{ scheme: 'Bearer', value: 'abc' }] });
    expect(parseAuthorization('BASIC xyz=, Bearer a.b.c')).toEqual({
      ok: true,
      credentials: [
        { scheme: 'Basic', value: 'xyz=' },
        { scheme: 'Bearer', value: 'a.b.c' },
      ],
    });
    expect(parseAuthorization('Plain xyz=')).toMatchObject({ ok: true, credentials: [{ scheme: 'Basic' }] });
  });

  it('tolerates extra spaces around and between parts', () => {
    expect(parseAuthorization('  Bearer    abc  ,  ')).toEqual({ ok: true, credentials: [{ scheme: 'Bearer', value: 'abc' }] });
  });

  it('refuses what cannot be read unambiguously', () => {
    expect(parseAuthorization(undefined)).toMatchObject({ ok: false });
    expect(parseAuthorization('')).toMatchObject({ ok: false });
    expect(parseAuthorization('Bearer')).toMatchObject({ ok: false, reason: 'malformed credential' });
    expect(parseAuthorization('Bearer a b')).toMatchObject({ ok: false, reason: 'malformed credential' });
    expect(parseAuthorization('Bearer a, bearer b')).toMatchObject({ ok: false, reason: 'two credentials of the same scheme' });
    expect(parseAuthorization('Bearer a, Basic b, Foo c, Bar d')).toMatchObject({ ok: false, reason: 'more than 3 credentials' });
    expect(parseAuthorization(`Bearer ${'a'.repeat(16 * 1024)}`)).toMatchObject({ ok: false, reason: 'authorization header too long' });
    expect(parseAuthorization('Bearer a\u0001b')).toMatchObject({ ok: false });
    expect(parseAuthorization('Bearer abc\u00e9')).toMatchObject({ ok: false });
  });

  it('treats an exact repeat as one credential', () => {
    expect(parseAuthorization('Bearer a, Bearer a')).toEqual({ ok: true, credentials: [{ scheme: 'Bearer', value: 'a' }] });
  });

  it('keeps unknown schemes as Other so no provider accepts them', () => {
    expect(parseAuthorization('Negotiate abc')).toEqual({ ok: true, credentials: [{ scheme: 'Other', value: 'abc' }] });
  });
});

describe('decodeBasic', () => {
  it('decodes UTF-8 user:password and splits at the first colon', () => {
    expect(decodeBasic(b64('jörg:pa:ss'))).toEqual({ username: 'jörg', password: 'pa:ss' });
    expect(decodeBasic(b64('alice:'))).toEqual({ username: 'alice', password: '' });
  });

  it('refuses non-base64, missing colon, empty user, invalid UTF-8 and control characters', () => {
    expect(decodeBasic('not base64!')).toBeNull();
    expect(decodeBasic('YWxpY2U')).toBeNull(); // unpadded
    expect(decodeBasic(b64('alice'))).toBeNull();
    expect(decodeBasic(b64(':secret'))).toBeNull();
    expect(decodeBasic(Buffer.from([0xff, 0xfe, 0x3a, 0x61]).toString('base64'))).toBeNull();
    expect(decodeBasic(b64('al\u0000ice:x'))).toBeNull();
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { safeReturnPath } from '@/lib/portal/return-path';

const ORIGIN = 'http://localhost:3000';
const FALLBACK = '/tokens';

/** What a browser does with the answer as a `Location`: resolve it against the page's origin. */
const resolvedOrigin = (path: string, origin = ORIGIN) => new URL(path, origin).origin;

describe('safeReturnPath', () => {
  it('keeps paths on this site, normalised as a browser would', () => {
    expect(safeReturnPath('/admin?q=1')).toBe('/admin?q=1');
    expect(safeReturnPath('/tokens#new')).toBe('/tokens#new');
    expect(safeReturnPath('/')).toBe('/');
    expect(safeReturnPath('/admin?search=a b')).toBe('/admin?search=a%20b');
    expect(safeReturnPath('/a/../tokens')).toBe('/tokens');
    // Still encoded: a browser does not decode %2F or %09 before reading the host.
    expect(safeReturnPath('/%2F%2Fevil')).toBe('/%2F%2Fevil');
    expect(safeReturnPath('/%09/evil.example/x')).toBe('/%09/evil.example/x');
  });

  it('accepts an absolute URL only on the given origin (next-auth passes those)', () => {
    expect(safeReturnPath(`${ORIGIN}/admin?x=1`, FALLBACK, ORIGIN)).toBe('/admin?x=1');
    expect(safeReturnPath('http://localhost:3001/admin', FALLBACK, ORIGIN)).toBe(FALLBACK);
    expect(safeReturnPath('https://localhost:3000/admin', FALLBACK, ORIGIN)).toBe(FALLBACK);
    expect(safeReturnPath('http://localhost:3000.evil.example/', FALLBACK, ORIGIN)).toBe(FALLBACK);
    expect(safeReturnPath(`${ORIGIN}@evil.example/`, FALLBACK, ORIGIN)).toBe(FALLBACK);
  });

  // Each would leave the site, or make the page answer 500, if passed through as it is.
  const hostile: Array<[string, unknown]> = [
    ['tab after the slash', '/\t/evil.example/x'],
    ['tab', '/tok\tens'],
    ['CR', '/\r/evil.example'],
    ['LF', '/\n/evil.example'],
    ['CRLF header injection', '/tokens\r\nSet-Cookie: a=b'],
    ['NUL', '/\u0000/evil.example'],
    ['DEL', '/\u007f/evil.example'],
    ['C1 control', '/\u0085/evil.example'],
    ['ideographic space', '/\u3000/evil.example'],
    ['no-break space', '/\u00a0/evil.example'],
    ['byte order mark', '/\ufeff/evil.example'],
    ['zero-width space', '/\u200b/evil.example'],
    ['line separator', '/\u2028/evil.example'],
    ['lone surrogate', '/\ud800/evil.example'],
    ['leading space', ' //evil.example'],
    ['protocol-relative', '//evil.example'],
    ['protocol-relative, three slashes', '///evil.example'],
    ['backslash', '/\\evil.example'],
    ['backslashes', '\\\\evil.example'],
    ['dot segment to //', '/.//evil.example'],
    ['dot-dot segment to //', '/a/..//evil.example'],
    ['absolute https', 'https://evil.example'],
    ['absolute http', 'http://evil.example/tokens'],
    ['scheme without slashes', 'http:evil.example'],
    ['javascript', 'javascript:alert(1)'],
    ['data', 'data:text/html,<script>alert(1)</script>'],
    ['relative, no slash', 'tokens'],
    ['empty', ''],
    ['very long', `/${'a'.repeat(10_000)}`],
    ['very long hostile', `/\t/${'evil.'.repeat(100_000)}example`],
    ['undefined', undefined],
    ['null', null],
    ['number', 42],
    ['array', ['/tokens', '//evil.example']],
    ['object', { toString: () => '/tokens' }],
  ];

  it.each(hostile)('refuses %s', (_name, value) => {
    const result = safeReturnPath(value, FALLBACK, ORIGIN);
    expect(resolvedOrigin(result)).toBe(ORIGIN);
    expect(result).toBe(FALLBACK);
    // Without the origin (the sign-in page and action) the answer is the same.
    expect(safeReturnPath(value)).toBe(FALLBACK);
  });

  it('never throws, even with an unusable origin', () => {
    expect(safeReturnPath('/tokens', FALLBACK, 'not a url')).toBe(FALLBACK);
    expect(safeReturnPath('/tokens', FALLBACK, 'javascript:alert(1)')).toBe(FALLBACK);
  });

  // Strings made of the pieces that matter (slashes, dots, schemes, controls, odd spaces) as well as any string.
  const pieces = fc.constantFrom(
    '/',
    '//',
    '\\',
    '.',
    '..',
    '%2F',
    '%09',
    '%',
    '?',
    '#',
    '@',
    ':',
    'http:',
    'https://',
    'javascript:',
    'evil.example',
    'localhost:3000',
    'a',
    ' ',
    '\t',
    '\n',
    '\r',
    '\u0000',
    '\u3000',
    '\ufeff',
    '\u00a0',
    'é',
    '\ud800',
  );
  const tricky = fc.array(pieces, { maxLength: 12 }).map((parts) => parts.join(''));
  const anyString = fc.oneof(tricky, fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }));

  it('for any string, the answer stays on the portal origin (property)', () => {
    fc.assert(
      fc.property(anyString, fc.constantFrom(ORIGIN, 'https://portal.example.org'), (value, origin) => {
        for (const result of [safeReturnPath(value, FALLBACK, origin), safeReturnPath(value)]) {
          expect(result.startsWith('/') && !result.startsWith('//')).toBe(true);
          expect(resolvedOrigin(result, origin)).toBe(origin);
          // Only printable ASCII: safe in a Location header, and nothing a browser would strip.
          expect(result).toMatch(/^[\x21-\x7e]+$/);
          // Stable: checking the answer again gives the answer.
          expect(safeReturnPath(result, FALLBACK, origin)).toBe(result);
        }
      }),
      { numRuns: 5000 },
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAuthorization } from '@/lib/gateway/credentials';
import { decodePath } from '@/lib/gateway/paths';

// The hot path takes shortcuts for the common shapes of input; each must give the general code's answer.
describe('hot-path shortcuts agree with the general code', () => {
  const headerChars = fc.constantFrom(...'Basic Bearer xyz09+/=_-.~:,;\t "\'\\é€\n'.split(''));
  const header = fc.oneof(
    fc.string({ unit: headerChars, maxLength: 40 }),
    fc.tuple(fc.constantFrom('Basic', 'bearer', 'BEARER', 'Plain', 'x', ''), fc.constantFrom(' ', '  ', '\t', ''), fc.string({ maxLength: 30 })).map(([s, gap, v]) => `${s}${gap}${v}`),
  );

  it('a single credential reads the same as through the comma-separated parser', () => {
    fc.assert(
      fc.property(header, (h) => {
        fc.pre(!h.includes(','));
        // A trailing comma adds an empty part, which the general parser drops: same meaning, general path.
        expect(parseAuthorization(h)).toEqual(parseAuthorization(`${h},`));
      }),
      { numRuns: 2000 },
    );
  });

  const pathChars = fc.constantFrom(...'/./..abc%2e%2F?#~-_'.split(''));
  it('a path that needs no normalising is the one the normaliser would produce', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: pathChars, maxLength: 30 }), fc.webPath()), (p) => {
        fc.pre(p !== '');
        // With a query the shortcut never applies; the query is dropped either way.
        expect(decodePath(p)).toEqual(decodePath(`${p}?q=1`));
      }),
      { numRuns: 2000 },
    );
  });
});

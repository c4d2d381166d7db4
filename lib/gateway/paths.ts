/** A path as the proxy routes it, or why it cannot be known. */
export type DecodedPath = { ok: true; path: string } | { ok: false; reason: string };

// Nothing to decode, resolve or strip: visible ASCII, no `%`, query, fragment, dot or empty segment.
const NEEDS_DECODING = /[^\x21-\x7e]|[%?#]|\/\.|\/\//;
const HEX = /^[0-9a-fA-F]{2}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });
// A legitimate path never carries control characters once decoded; nginx refuses some of them too.
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Decodes a request path the way nginx routes it: percent-escapes decoded byte-wise (so `%2F` is a
 * separator and `%2e%2e` a dot segment), dot segments resolved after decoding, repeated slashes
 * merged, query and fragment dropped. Anything that cannot be decoded unambiguously (a bad escape,
 * bytes that are not UTF-8, control characters, a climb above the root) is refused, never matched raw:
 * a policy that sees another path than the backend would be bypassed.
 */
export function decodePath(uri: string): DecodedPath {
  if (uri.startsWith('/') && !NEEDS_DECODING.test(uri)) return { ok: true, path: uri };
  const end = uri.search(/[?#]/);
  const raw = end === -1 ? uri : uri.slice(0, end);
  if (!raw.startsWith('/')) return { ok: false, reason: 'the path does not start with /' };

  // Header values reach us as Latin-1: each character is one byte of what the client sent.
  const bytes = new Uint8Array(raw.length);
  let length = 0;
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if (code > 0xff) return { ok: false, reason: 'the path is not made of bytes' };
    if (code !== 0x25) {
      bytes[length++] = code;
      continue;
    }
    const hex = raw.slice(i + 1, i + 3);
    if (!HEX.test(hex)) return { ok: false, reason: 'the path has an invalid percent-escape' };
    bytes[length++] = Number.parseInt(hex, 16);
    i += 2;
  }
  let decoded: string;
  try {
    decoded = utf8.decode(bytes.subarray(0, length));
  } catch {
    return { ok: false, reason: 'the path is not valid UTF-8' };
  }
  if (CONTROL.test(decoded)) return { ok: false, reason: 'the path has control characters' };

  const segments: string[] = [];
  let trailingSlash = false;
  for (const segment of decoded.split('/').slice(1)) {
    trailingSlash = segment === '' || segment === '.' || segment === '..';
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (segments.pop() === undefined) return { ok: false, reason: 'the path climbs above the root' };
    } else segments.push(segment);
  }
  return { ok: true, path: `/${segments.join('/')}${trailingSlash && segments.length > 0 ? '/' : ''}` };
}

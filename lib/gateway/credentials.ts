import { credentialKey } from '../crypto/secrets';
import type { BasicCredential, Credential, Scheme } from './types';

export const MAX_CREDENTIALS = 3;
/** Longer than any real credential; refusing early keeps garbage away from providers. */
export const MAX_AUTHORIZATION_LENGTH = 8192;

export type ParsedAuthorization = { ok: true; credentials: Credential[] } | { ok: false; reason: string };

// Visible ASCII only: header values are Latin-1 on the wire and credentials are base64 or JWT-safe.
const CREDENTIAL_CHARS = /^[\x21-\x7e]+$/;
/** `<scheme> <credential>` with optional blanks around, and no comma (which would start a second credential). */
const SINGLE_CREDENTIAL = /^[ \t]*([\x21-\x2b\x2d-\x7e]+)[ \t]+([\x21-\x2b\x2d-\x7e]+)[ \t]*$/;

function schemeOf(name: string): Scheme {
  switch (name.toLowerCase()) {
    case 'basic':
    case 'plain': // auth-o-tron's alias
      return 'Basic';
    case 'bearer':
      return 'Bearer';
    default:
      return 'Other';
  }
}

/**
 * Reads `Authorization: <scheme> <credential>[, <scheme> <credential>]...`. One to three distinct
 * credentials; the same scheme twice is ambiguous and refused (auth-o-tron silently kept the last).
 */
export function parseAuthorization(header: string | undefined): ParsedAuthorization {
  if (header === undefined || header.trim() === '') return { ok: false, reason: 'no credentials' };
  if (header.length > MAX_AUTHORIZATION_LENGTH) return { ok: false, reason: 'authorization header too long' };
  // Nearly every request carries one credential: read it without splitting and de-duplicating.
  const single = SINGLE_CREDENTIAL.exec(header);
  if (single) return { ok: true, credentials: [presented(schemeOf(single[1] ?? ''), single[2] ?? '')] };

  const parts = [
    ...new Set(
      header
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p !== ''),
    ),
  ];
  if (parts.length === 0) return { ok: false, reason: 'no credentials' }; // only commas and blanks
  if (parts.length > MAX_CREDENTIALS) return { ok: false, reason: `more than ${MAX_CREDENTIALS} credentials` };

  const credentials: Credential[] = [];
  const seen = new Set<string>();
  for (const part of parts) {
    const match = /^(\S+)[ \t]+(\S+)$/.exec(part);
    if (!match || !CREDENTIAL_CHARS.test(match[2] ?? '')) return { ok: false, reason: 'malformed credential' };
    const rawScheme = (match[1] ?? '').toLowerCase();
    const scheme = schemeOf(rawScheme);
    const schemeKey = scheme === 'Other' ? rawScheme : scheme;
    if (seen.has(schemeKey)) return { ok: false, reason: 'two credentials of the same scheme' };
    seen.add(schemeKey);
    credentials.push(presented(scheme, match[2] ?? ''));
  }
  return { ok: true, credentials };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** Decodes a Basic credential; null when it is not strict base64 of UTF-8 `user:password` with a user. */
export function decodeBasic(value: string): BasicCredential | null {
  if (!BASE64.test(value)) return null;
  let text: string;
  try {
    text = utf8.decode(Buffer.from(value, 'base64'));
  } catch {
    return null;
  }
  const colon = text.indexOf(':');
  if (colon <= 0) return null;
  const username = text.slice(0, colon);
  const password = text.slice(colon + 1);
  if (CONTROL_CHARS.test(username)) return null;
  return { username, password };
}

/** A credential as presented; its decoded form and cache key are worked out once per request however many providers ask. */
class PresentedCredential implements Credential {
  private decoded: BasicCredential | null | undefined;
  private hashed: string | undefined;

  constructor(
    readonly scheme: Scheme,
    readonly value: string,
  ) {}

  get basic(): BasicCredential | null {
    if (this.decoded === undefined) this.decoded = this.scheme === 'Basic' ? decodeBasic(this.value) : null;
    return this.decoded;
  }

  get key(): string {
    return (this.hashed ??= credentialKey(this.value));
  }
}

export function presented(scheme: Scheme, value: string): Credential {
  return new PresentedCredential(scheme, value);
}

// next-auth's session cookie (`__Secure-` over https); large ones are split into `.0`, `.1`, …
const SESSION_COOKIE_NAMES = ['__Secure-authjs.session-token', 'authjs.session-token'];

/** The session cookie from a `Cookie` header, joining chunks; undefined when there is none. */
export function sessionCookie(header: string): { name: string; value: string } | undefined {
  const cookies = new Map<string, string>();
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) cookies.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  for (const name of SESSION_COOKIE_NAMES) {
    const whole = cookies.get(name);
    if (whole) return { name, value: whole };
    const chunks: string[] = [];
    for (let i = 0; cookies.has(`${name}.${i}`); i++) chunks.push(cookies.get(`${name}.${i}`) ?? '');
    if (chunks.length > 0) return { name, value: chunks.join('') };
  }
  return undefined;
}

export function hasSessionCookie(header: string | undefined): boolean {
  return header !== undefined && SESSION_COOKIE_NAMES.some((name) => header.includes(name));
}

import { randomInt } from 'node:crypto';
import { crc32 } from 'node:zlib';

// `<prefix>_<id>_<secret><checksum>`, all base62 so a double-click selects the whole token.
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const ID_LENGTH = 16;
/** 36 base62 characters ≈ 214 bits of randomness (≥ 192 required). */
export const SECRET_LENGTH = 36;
/** CRC32 fits in 6 base62 characters; lets us and secret scanners refuse typos and garbage offline. */
const CHECKSUM_LENGTH = 6;

export interface ParsedToken {
  id: string;
  secret: string;
}

function randomBase62(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += BASE62[randomInt(62)];
  return out;
}

function checksum(body: string): string {
  let value = crc32(body);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = BASE62[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

export function newTokenId(): string {
  return randomBase62(ID_LENGTH);
}

/** A new token for `id`; the caller stores only a hash of `secret`. */
export function newToken(prefix: string, id: string): { token: string; secret: string } {
  const secret = randomBase62(SECRET_LENGTH);
  return { token: formatToken(prefix, id, secret), secret };
}

export function formatToken(prefix: string, id: string, secret: string): string {
  const body = `${prefix}_${id}_${secret}`;
  return `${body}${checksum(body)}`;
}

const BASE62_ONLY = /^[0-9A-Za-z]+$/;

/** Whether `token` has the shape of one of ours (`<prefix>_<id>_<secret><checksum>`); the checksum is not checked. */
export function hasTokenShape(prefix: string, token: string): boolean {
  return (
    token.length === prefix.length + 2 + ID_LENGTH + SECRET_LENGTH + CHECKSUM_LENGTH &&
    token.startsWith(prefix) &&
    token[prefix.length] === '_' &&
    token[prefix.length + 1 + ID_LENGTH] === '_' &&
    BASE62_ONLY.test(token.slice(prefix.length + 1, prefix.length + 1 + ID_LENGTH)) &&
    BASE62_ONLY.test(token.slice(prefix.length + 2 + ID_LENGTH))
  );
}

/** Splits a presented token; null when its shape, prefix or checksum is wrong (no database work needed). */
export function parseToken(prefix: string, token: string): ParsedToken | null {
  if (!hasTokenShape(prefix, token)) return null;
  const id = token.slice(prefix.length + 1, prefix.length + 1 + ID_LENGTH);
  const rest = token.slice(prefix.length + 2 + ID_LENGTH);
  const secret = rest.slice(0, SECRET_LENGTH);
  if (checksum(`${prefix}_${id}_${secret}`) !== rest.slice(SECRET_LENGTH)) return null;
  return { id, secret };
}

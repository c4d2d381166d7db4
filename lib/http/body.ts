import { AppError } from '../errors';
import { readLimitedBytes } from './client';

/** Bodies of the JSON API are small: a bulk revocation of 1,000 tokens is about 80 kB. */
export const MAX_BODY_BYTES = 256 * 1024;

export interface BodyOptions {
  /** Also accept `application/x-www-form-urlencoded` (RFC 7009 and 7662 clients send forms). */
  form?: boolean;
  maxBytes?: number;
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/;
const FORM_TYPE = 'application/x-www-form-urlencoded';

/**
 * A request body as a plain value: JSON, or a form as an object of strings. Bad input is refused
 * before anything happens: too big → 413 (read no further), another content type → 415,
 * malformed → 400. An empty body is `{}`.
 */
export async function readBody(request: Request, options: BodyOptions = {}): Promise<unknown> {
  const maxBytes = options.maxBytes ?? MAX_BODY_BYTES;
  const bytes = await readLimitedBytes(request, maxBytes);
  if (bytes === null) throw tooLarge(maxBytes);
  const text = bytes.toString('utf8');
  if (text.trim() === '') return {};
  const type = mediaType(request);
  if (JSON_TYPE.test(type)) return parseJsonBody(bytes);
  if (options.form && type === FORM_TYPE) return parseForm(text);
  throw new AppError('unsupported_media_type', `send the body as application/json${options.form ? ` or ${FORM_TYPE}` : ''}`);
}

/** The raw bytes of a body (what a signature covers), refused before they are parsed: another media type → 415, larger than `maxBytes` → 413. */
export async function readRawBody(request: Request, rules: { maxBytes: number; types: readonly string[] }): Promise<Buffer> {
  if (!rules.types.includes(mediaType(request))) throw new AppError('unsupported_media_type', `send the body as ${rules.types.join(' or ')}`);
  const bytes = await readLimitedBytes(request, rules.maxBytes);
  if (bytes === null) throw tooLarge(rules.maxBytes);
  return bytes;
}

/** JSON bytes to a value; malformed JSON → 400. */
export function parseJsonBody(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new AppError('bad_request', 'the body is not valid JSON');
  }
}

const mediaType = (request: Request) => (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

function tooLarge(maxBytes: number): AppError {
  return new AppError('payload_too_large', `the body is larger than ${Math.floor(maxBytes / 1024)} kB`);
}

/** A form as an object; a parameter given twice is malformed (RFC 6749 section 3.1, which 7009 and 7662 follow). */
function parseForm(text: string): Record<string, string> {
  const form: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(text)) {
    if (Object.hasOwn(form, name)) throw new AppError('bad_request', `the form gives "${name}" more than once`);
    form[name] = value;
  }
  return form;
}

import { AppError } from '../errors';
import { readLimited } from './client';

export interface BodyRules {
  maxBytes: number;
  /** Accepted media types (lower case, no parameters). */
  types: readonly string[];
}

/** The raw body of a request, refused before it is parsed: wrong content type → 415, larger than `maxBytes` → 413. */
export async function readRawBody(request: Request, rules: BodyRules): Promise<string> {
  const type = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (!type || !rules.types.includes(type)) throw new AppError('unsupported_media_type', `send the body as ${rules.types.join(' or ')}`);
  const text = await readLimited(request, rules.maxBytes);
  if (text === null) throw new AppError('payload_too_large', `the body is larger than ${rules.maxBytes} bytes`);
  return text;
}

/** JSON text to a value; malformed JSON → 400. */
export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError('bad_request', 'the body is not valid JSON');
  }
}

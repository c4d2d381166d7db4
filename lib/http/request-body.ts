import { AppError } from '../errors';
import { readLimitedBytes } from './client';

export interface BodyRules {
  maxBytes: number;
  /** Accepted media types (lower case, no parameters). */
  types: readonly string[];
}

/** The raw bytes of a request body, refused before they are parsed: wrong content type → 415, larger than `maxBytes` → 413. */
export async function readRawBody(request: Request, rules: BodyRules): Promise<Buffer> {
  const type = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (!type || !rules.types.includes(type)) throw new AppError('unsupported_media_type', `send the body as ${rules.types.join(' or ')}`);
  const bytes = await readLimitedBytes(request, rules.maxBytes);
  if (bytes === null) throw new AppError('payload_too_large', `the body is larger than ${rules.maxBytes} bytes`);
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

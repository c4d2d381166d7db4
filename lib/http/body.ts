import { AppError } from '../errors';

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
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const text = await readLimited(request, maxBytes);
  if (text.trim() === '') return {};
  const type = (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (JSON_TYPE.test(type)) return parseJson(text);
  if (options.form && type === FORM_TYPE) return parseForm(text);
  throw new AppError('unsupported_media_type', `send the body as application/json${options.form ? ` or ${FORM_TYPE}` : ''}`);
}

function tooLarge(maxBytes: number): AppError {
  return new AppError('payload_too_large', `the body is larger than ${Math.floor(maxBytes / 1024)} kB`);
}

async function readLimited(request: Request, maxBytes: number): Promise<string> {
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError('bad_request', 'the body is not valid JSON');
  }
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

import type { z } from 'zod';

/** Larger than any identity answer we expect; a bigger body is refused unread rather than buffered. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

export interface JsonRequest<S extends z.ZodType> {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** An object is sent as JSON; URLSearchParams as an HTML form. */
  body?: Record<string, unknown> | URLSearchParams;
  schema: S;
  timeoutMs: number;
  maxBytes?: number;
}

/** Why a call gave no usable answer. Only `status` carries the upstream's own verdict. */
export type HttpFailureKind = 'network' | 'timeout' | 'status' | 'content-type' | 'too-large' | 'invalid-json' | 'invalid-body';

export type HttpResult<T> = { ok: true; status: number; data: T } | { ok: false; kind: HttpFailureKind; status?: number; detail: string };

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * One upstream JSON call with a deadline, a body size limit, a content-type check and schema
 * validation. It never throws and its `detail` never contains the URL (query strings carry API
 * keys), so callers can log it as is.
 */
export async function requestJson<S extends z.ZodType>(request: JsonRequest<S>): Promise<HttpResult<z.output<S>>> {
  const maxBytes = request.maxBytes ?? DEFAULT_MAX_BODY_BYTES;
  const signal = AbortSignal.timeout(request.timeoutMs);
  const headers: Record<string, string> = { Accept: 'application/json', ...request.headers };
  let body: string | undefined;
  if (request.body instanceof URLSearchParams) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = request.body.toString();
  } else if (request.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(request.body);
  }

  let response: Response;
  try {
    // No redirects: an identity endpoint that redirects is misconfigured, and following could leak the credential.
    response = await fetch(request.url, { method: request.method ?? 'GET', headers, body, signal, redirect: 'manual' });
  } catch (error) {
    return signal.aborted ? timedOut(request.timeoutMs) : { ok: false, kind: 'network', detail: networkDetail(error) };
  }

  const { status } = response;
  if (status < 200 || status > 299) {
    await response.body?.cancel().catch(() => undefined);
    return { ok: false, kind: 'status', status, detail: `answered HTTP ${status}` };
  }
  const contentType = response.headers.get('content-type') ?? '';
  if (!JSON_TYPE.test(contentType)) {
    await response.body?.cancel().catch(() => undefined);
    return { ok: false, kind: 'content-type', status, detail: `answered ${contentType || 'no content type'}, not JSON` };
  }

  let text: string;
  try {
    const read = await readLimited(response, maxBytes);
    if (read === null) return { ok: false, kind: 'too-large', status, detail: `answer larger than ${maxBytes} bytes` };
    text = read;
  } catch (error) {
    return signal.aborted ? timedOut(request.timeoutMs) : { ok: false, kind: 'network', detail: networkDetail(error) };
  }

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, kind: 'invalid-json', status, detail: 'answer is not valid JSON' };
  }
  const parsed = request.schema.safeParse(json);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
    return { ok: false, kind: 'invalid-body', status, detail: `answer has unexpected fields: ${fields}` };
  }
  return { ok: true, status, data: parsed.data };
}

function timedOut(ms: number): HttpResult<never> {
  return { ok: false, kind: 'timeout', detail: `no answer within ${ms} ms` };
}

/** undici hides the cause (ECONNREFUSED...) one level down; its messages never include the URL. */
function networkDetail(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.name : 'request failed';
}

/** Reads the body (of an answer or a request) as UTF-8, or returns null as soon as it exceeds `maxBytes`. */
export async function readLimited(message: Request | Response, maxBytes: number): Promise<string | null> {
  return (await readLimitedBytes(message, maxBytes))?.toString('utf8') ?? null;
}

/** The body's bytes as sent (what a signature covers), or null as soon as they exceed `maxBytes`. */
export async function readLimitedBytes(message: Request | Response, maxBytes: number): Promise<Buffer | null> {
  const declared = Number(message.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await message.body?.cancel().catch(() => undefined);
    return null;
  }
  if (!message.body) return Buffer.alloc(0);
  const reader = message.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

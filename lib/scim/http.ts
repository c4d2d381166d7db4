import 'server-only';
import { isAppError } from '../errors';
import { isZodError } from '../portal/error-classifier';
import { portalOrigin } from '../portal/canonical-origin';
import { getRuntime, type Runtime } from '../runtime';
import { clientAddressOf } from '../server/peer';
import { isScimError, ScimError } from './errors';
import { ERROR_SCHEMA, SCIM_CONTENT_TYPE } from './schemas';
import type { ScimService } from './service';

export interface ScimContext<P> {
  runtime: Runtime;
  scim: ScimService;
  params: P;
  /** The origin resources' `meta.location` is given under. */
  base: string;
  /** Where the call came from, for the audit log. */
  caller: { clientAddress: string | null; userAgent: string | null };
  /** The JSON body; malformed JSON is a 400 (invalidSyntax). */
  body(): Promise<unknown>;
  query(): Record<string, string | undefined>;
}

export interface ScimAnswer {
  status?: number;
  body?: unknown;
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
// RFC 7644 §3.1: application/scim+json; plain JSON is what several clients send.
const JSON_TYPES = new Set([SCIM_CONTENT_TYPE, 'application/json']);
const MAX_BODY_BYTES = 1 << 20;

function respond(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  const hasBody = body !== undefined;
  return new Response(hasBody ? JSON.stringify(body) : null, { status, headers: { ...(hasBody ? { 'Content-Type': SCIM_CONTENT_TYPE } : {}), 'Cache-Control': 'no-store', ...headers } });
}

/**
 * Wraps a SCIM handler: configured at all, the bearer secret, the content type and JSON of a body,
 * and the one mapping of errors to SCIM's error schema. The secret is never logged or echoed.
 */
export function scimRoute<P extends Record<string, string> = Record<string, never>>(handler: (context: ScimContext<P>) => Promise<ScimAnswer>) {
  return async (request: Request, context: { params: Promise<P> }): Promise<Response> => {
    let runtime: Runtime | undefined;
    try {
      runtime = await getRuntime();
      const scim = runtime.scim;
      if (!scim) throw new ScimError(404, 'SCIM provisioning is not configured (scim.token_hash)');
      await authorize(scim, request);
      if (BODY_METHODS.has(request.method)) checkContentType(request);
      const header = (name: string) => request.headers.get(name) ?? undefined;
      const url = new URL(request.url);
      const answer = await handler({
        runtime,
        scim,
        params: await context.params,
        base: portalOrigin(runtime.config.portal?.url, request.headers) ?? url.origin,
        caller: { clientAddress: clientAddressOf(runtime.addresses, header) ?? null, userAgent: header('user-agent')?.slice(0, 300) ?? null },
        body: () => readJson(request),
        query: () => Object.fromEntries(url.searchParams),
      });
      return respond(answer.status ?? 200, answer.body);
    } catch (error) {
      return scimErrorResponse(error, runtime);
    }
  };
}

async function authorize(scim: ScimService, request: Request): Promise<void> {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(request.headers.get('authorization') ?? '');
  if (!match?.[1] || !(await scim.authorize(match[1]))) throw new ScimError(401, 'a valid bearer secret is required');
}

function checkContentType(request: Request): void {
  const type = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (!type || !JSON_TYPES.has(type)) throw new ScimError(415, `send the body as ${SCIM_CONTENT_TYPE}`);
}

async function readJson(request: Request): Promise<unknown> {
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) throw new ScimError(413, 'the body is too large');
  const text = await request.text();
  if (text.length > MAX_BODY_BYTES) throw new ScimError(413, 'the body is too large');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ScimError(400, 'the body is not valid JSON', 'invalidSyntax');
  }
}

/** The one place errors become SCIM error responses (RFC 7644 §3.12: the status is a string). */
export function scimErrorResponse(error: unknown, runtime: Runtime | undefined): Response {
  const scimError = (status: number, detail: string, scimType?: string, headers: Record<string, string> = {}) =>
    respond(status, { schemas: [ERROR_SCHEMA], status: String(status), ...(scimType ? { scimType } : {}), detail }, headers);
  if (isScimError(error)) return scimError(error.status, error.message, error.scimType, error.status === 401 ? { 'WWW-Authenticate': 'Bearer realm="scim"' } : {});
  if (isZodError(error)) {
    const issue = error.issues[0];
    const where = issue?.path.map(String).join('.');
    return scimError(400, `${where ? `${where}: ` : ''}${issue?.message ?? 'invalid value'}`, 'invalidValue');
  }
  if (isAppError(error)) return scimError(error.status, error.message, error.code === 'conflict' ? 'uniqueness' : undefined, error.code === 'unavailable' ? { 'Retry-After': '5' } : {});
  runtime?.logger.error({ err: error }, 'SCIM request failed');
  return scimError(runtime ? 500 : 503, 'something went wrong; it has been logged');
}

import 'server-only';
import { AppError } from '../errors';
import { readRawBody } from '../http/body';
import { errorResponse } from '../portal/api';
import { getRuntime } from '../runtime';
import { clientAddressOf } from '../server/peer';

const MAX_BODY_BYTES = 1 << 20;

/** `POST /api/secret-scanning/github`: no credential but GitHub's signature; off (404) unless `secret_scanning.github` is configured. */
export async function githubAlertRoute(request: Request): Promise<Response> {
  const runtime = await getRuntime();
  try {
    const scanning = runtime.secretScanning;
    if (!scanning) throw new AppError('not_found', 'secret scanning is not configured (secret_scanning.github)');
    const body = await readRawBody(request, { maxBytes: MAX_BODY_BYTES, types: ['application/json'] });
    const header = (name: string) => request.headers.get(name) ?? undefined;
    const answer = await scanning.handle({
      body,
      keyIdentifier: header('github-public-key-identifier'),
      signature: header('github-public-key-signature'),
      clientAddress: clientAddressOf(runtime.addresses, header),
      userAgent: header('user-agent')?.slice(0, 300),
    });
    return new Response(JSON.stringify(answer), { status: 200, headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' } });
  } catch (error) {
    return errorResponse(error, runtime);
  }
}

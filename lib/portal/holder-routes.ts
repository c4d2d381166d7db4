import 'server-only';
import { AppError } from '../errors';
import { readBody } from '../http/body';
import { clientAddressOf } from '../server/peer';
import { authenticateCaller, jsonResponse, publicRoute } from './api';

/**
 * `POST /api/revoke` (RFC 7009): the token is the only credential. 200 whether or not anything was
 * revoked (unknown, wrong or garbage values look the same), so it tells nobody anything.
 */
export const revokeRoute = publicRoute(async (request, runtime) => {
  const body = await readBody(request, { form: true });
  const header = (name: string) => request.headers.get(name) ?? undefined;
  const clientAddress = clientAddressOf(runtime.addresses, header);
  await runtime.holders.revoke(body, { clientAddress, userAgent: header('user-agent')?.slice(0, 300) });
  return jsonResponse(200, {});
});

/**
 * `POST /api/introspect` (RFC 7662): the caller authenticates as at the gateway (never with the
 * portal's cookie) and needs a role in `tokens.introspect_roles`.
 */
export const introspectRoute = publicRoute(async (request, runtime) => {
  const { user, clientAddress, userAgent } = await authenticateCaller(runtime, request, { session: false });
  if (!runtime.holders.mayIntrospect(user)) throw new AppError('forbidden', `introspection needs one of the roles ${runtime.config.tokens.introspect_roles.join(', ')} (tokens.introspect_roles)`);
  const body = await readBody(request, { form: true });
  return jsonResponse(200, await runtime.holders.introspect(body, { clientAddress, userAgent }));
});

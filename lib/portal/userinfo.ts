import 'server-only';

type Claims = Record<string, unknown>;

const endpoints = new Map<string, Promise<string | undefined>>();

async function fetchJson(url: string, init: RequestInit, timeoutMs: number): Promise<Claims | undefined> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) return undefined;
  const body: unknown = await response.json();
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Claims) : undefined;
}

function userinfoEndpoint(issuer: string, timeoutMs: number): Promise<string | undefined> {
  let endpoint = endpoints.get(issuer);
  if (!endpoint) {
    const discovery = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    endpoint = fetchJson(discovery, {}, timeoutMs).then((doc) => (typeof doc?.userinfo_endpoint === 'string' ? doc.userinfo_endpoint : undefined));
    // A failed discovery is retried on the next sign-in rather than remembered.
    endpoint.then(
      (url) => url ?? endpoints.delete(issuer),
      () => endpoints.delete(issuer),
    );
    endpoints.set(issuer, endpoint);
  }
  return endpoint;
}

/**
 * The userinfo claims for `sub`, for IdPs that put roles there rather than in the ID token. Best
 * effort: any failure (or a userinfo answer about another subject) yields undefined.
 */
export async function fetchUserinfo(issuer: string, accessToken: string, sub: string, timeoutMs: number): Promise<Claims | undefined> {
  try {
    const url = await userinfoEndpoint(issuer, timeoutMs);
    if (!url) return undefined;
    const claims = await fetchJson(url, { headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' } }, timeoutMs);
    return claims?.sub === sub ? claims : undefined;
  } catch {
    return undefined;
  }
}

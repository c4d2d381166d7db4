import { decodeJwt, type JWTPayload } from 'jose';

export interface GatewayAnswer {
  status: number;
  headers: Headers;
  body: string;
  /** Claims of the issued JWT (unverified), when the answer is 200. */
  claims?: JWTPayload & { username?: string; realm?: string; roles?: string[]; attributes?: Record<string, string>; auth?: Record<string, string> };
  jwt?: string;
}

/** Asks the running app's gateway the way nginx's auth_request does. */
export async function authenticate(baseUrl: string, headers: Record<string, string>): Promise<GatewayAnswer> {
  const response = await fetch(`${baseUrl}/api/authenticate`, { headers });
  const body = await response.text();
  const jwt = response.headers.get('authorization')?.replace(/^Bearer /, '');
  return { status: response.status, headers: response.headers, body, ...(jwt ? { jwt, claims: decodeJwt(jwt) as GatewayAnswer['claims'] } : {}) };
}

export const bearer = (token: string, realm?: string): Record<string, string> => ({
  Authorization: `Bearer ${token}`,
  ...(realm ? { 'X-Auth-Realm': realm } : {}),
});

/** Unique per call, so the gateway's caches never carry an answer from one test into another. */
export function uniqueToken(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().replaceAll('-', '')}`;
}

/** Resolves once the app's output contains `text`: pino writes asynchronously, after the response. */
export async function waitForOutput(output: () => string, text: string | RegExp, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const found = () => (typeof text === 'string' ? output().includes(text) : text.test(output()));
  while (!found()) {
    if (Date.now() > deadline) throw new Error(`app output never contained ${String(text)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

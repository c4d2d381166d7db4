import { expect } from 'vitest';

/**
 * Calls the JSON API as a script does: `auth` as the Authorization header, `body` sent as JSON (a
 * string as it is). Every answer is checked never to carry a stored hash.
 */
export function jsonApi(baseUrl: () => string) {
  return async (method: string, path: string, auth: string | undefined, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${baseUrl()}${path}`, {
      method,
      headers: { ...(auth ? { Authorization: auth } : {}), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    expect(text).not.toContain('$argon2');
    return { status: response.status, headers: response.headers, text, body: text ? JSON.parse(text) : undefined };
  };
}

import type { GatewayResponse } from './types';
import { HTTP_TOKEN } from '../http/grammar';

const SAFE_VALUE = /^[\t\x20-\x7e]*$/;

/** Response headers as HTTP/1.1 lines, each checked (visible ASCII, a token for a name); throws on an unsafe one. */
export function headerLinesOf(headers: Readonly<Record<string, string>>): string {
  let lines = '';
  for (const name in headers) {
    const value = headers[name] ?? '';
    if (!HTTP_TOKEN.test(name) || !SAFE_VALUE.test(value)) throw new Error(`unsafe response header ${JSON.stringify(name)}`);
    lines += `${name}: ${value}\r\n`;
  }
  return lines;
}

/**
 * Headers shared by many answers (a 401's challenge, a user's 200), made once: frozen, with their
 * lines written once for a server that writes HTTP itself (GatewayResponse.headerLines).
 */
export interface PreparedHeaders {
  readonly headers: Readonly<Record<string, string>>;
  readonly lines: string;
}

export function prepareHeaders(headers: Record<string, string>): PreparedHeaders {
  return Object.freeze({ headers: Object.freeze(headers), lines: headerLinesOf(headers) });
}

/** An answer with prepared headers; the body (JSON for a direct caller) is made only when one is sent. */
export function preparedAnswer(status: number, prepared: PreparedHeaders, body: string): GatewayResponse {
  return { status, headers: prepared.headers, headerLines: prepared.lines, body };
}

/**
 * The one cache of the fast path's answers: what a 200 for one user is made of (the JWT and its
 * headers), keyed by the stable identity that stands for exactly that user while it lives (see
 * AuthResult.stable), so a cached check reads neither the user nor the signer's cache. `valid` says
 * whether a remembered entry may still be used (the JWT is fresh and signed with the active key).
 */
export class StableAnswers<T> {
  private readonly byIdentity = new WeakMap<object, T>();

  constructor(private readonly valid: (entry: T) => boolean) {}

  get(stable: object | undefined): T | undefined {
    const entry = stable && this.byIdentity.get(stable);
    return entry && this.valid(entry) ? entry : undefined;
  }

  remember(stable: object | undefined, entry: T): T {
    if (stable) this.byIdentity.set(stable, entry);
    return entry;
  }
}

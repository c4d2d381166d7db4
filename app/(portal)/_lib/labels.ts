import type { TokenView } from '@/lib/tokens/schemas';

/** The start of a token as lists show it: its prefix and the first characters of its id. */
export function tokenRef(token: Pick<TokenView, 'display' | 'id'>): string {
  const prefix = token.display.slice(0, token.display.length - token.id.length - 2);
  return `${prefix}${token.id.slice(0, 8)}…`;
}

/**
 * What a screen reader hears after a button's verb: the name and the start of the token, so two
 * tokens called "ci" are told apart ("Revoke token ci (aot_AbCdEfGh…)").
 */
export function tokenLabel(token: Pick<TokenView, 'name' | 'display' | 'id'>): string {
  return `token ${token.name} (${tokenRef(token)})`;
}

import type { Identity } from './types';

/**
 * Makes an identity safe to hand out to every request of one credential: providers cache it, the
 * gateway shares it, and a mistaken write throws instead of leaking into other requests.
 */
export function frozenIdentity(identity: Identity): Identity {
  Object.freeze(identity.roles);
  Object.freeze(identity.attributes);
  if (identity.scopes) {
    for (const scopes of Object.values(identity.scopes)) Object.freeze(scopes);
    Object.freeze(identity.scopes);
  }
  if (identity.upstreamScopes) Object.freeze(identity.upstreamScopes);
  return Object.freeze(identity);
}

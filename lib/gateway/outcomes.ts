import type { Identity, ProviderOutcome } from './types';

// Every provider outcome is made here: a refusal always says whether a secret was checked.

export function accept(identity: Identity): ProviderOutcome {
  return { status: 'accepted', identity };
}

/** Refused on its form alone (not ours, malformed, bad checksum): no secret was checked, answered at once. */
export function refuseForm(reason: string): ProviderOutcome {
  return { status: 'rejected', reason, offline: true };
}

/** A checked credential was refused (wrong, unknown, expired, revoked): answered after the failure delay. */
export function refuseSecret(reason: string): ProviderOutcome {
  return { status: 'rejected', reason, offline: false };
}

/** Could not find out (upstream down, timeout, queue full): 503, never 401. */
export function unavailable(reason: string): ProviderOutcome {
  return { status: 'unavailable', reason };
}

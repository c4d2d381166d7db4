import type { ProviderOutcome } from '../gateway/types';
import type { Step } from './cache';
import type { HttpResult } from './client';
import { refuseSecret, unavailable } from '../gateway/outcomes';

type HttpFailure = Extract<HttpResult<unknown>, { ok: false }>;

/**
 * Maps a failed upstream call to a verdict: only the statuses an upstream documents for "this
 * credential is not valid" reject it (401); everything else means we could not find out (503).
 */
export function failureStep(failure: HttpFailure, endpoint: string, rejectStatuses: readonly number[]): Step<never> {
  const reason = `${endpoint} ${failure.detail}`;
  if (failure.kind === 'status' && failure.status !== undefined && rejectStatuses.includes(failure.status)) {
    return { status: 'rejected', reason };
  }
  return { status: 'unavailable', reason };
}

/** A non-ok step as a provider outcome: the upstream checked the credential, or could not. */
export function outcomeOf(step: Exclude<Step<unknown>, { status: 'ok' }>): ProviderOutcome {
  return step.status === 'rejected' ? refuseSecret(step.reason) : unavailable(step.reason);
}

/** `uri` without its query string and credentials, fit for a log line. */
export function endpointName(uri: string): string {
  try {
    const url = new URL(uri);
    return `${url.origin}${url.pathname}`;
  } catch {
    return 'upstream';
  }
}

/** Joins a configured base URL and a path without doubling or losing the slash. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

/** How long a JWT stays valid from now, for capping a cache entry (undefined when it has no exp). */
export function msUntilExp(exp: number | undefined, marginSeconds = 5): number | undefined {
  return exp === undefined ? undefined : Math.max(0, (exp - marginSeconds) * 1000 - Date.now());
}

import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * A metric's child per label combination, made once: prom-client validates and hashes the labels on
 * every `inc({...})`, which shows on a hot path doing thousands of checks a second.
 */
function children<T>(make: (labels: Record<string, string>) => T, names: readonly string[]): (...values: string[]) => T {
  const made = new Map<string, T>();
  return (...values) => {
    const key = values.join('\u0000');
    let child = made.get(key);
    if (!child) {
      child = make(Object.fromEntries(names.map((name, i) => [name, values[i] ?? ''])));
      made.set(key, child);
    }
    return child;
  };
}

/** Prometheus metrics with auth-o-tron's family names, so its dashboards keep working. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const authRequests = new Counter({ name: 'auth_requests_total', help: 'Authentication requests by result', labelNames: ['result', 'realm'], registers: [registry] });
  const authDuration = new Histogram({ name: 'auth_duration_seconds', help: 'Authentication duration', labelNames: ['result'], registers: [registry], buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });
  const providerAttempts = new Counter({ name: 'auth_provider_attempts_total', help: 'Provider attempts by result', labelNames: ['provider_name', 'provider_type', 'result'], registers: [registry] });
  const augmenterAttempts = new Counter({ name: 'augmenter_attempts_total', help: 'Augmenter runs by result', labelNames: ['augmenter_name', 'augmenter_type', 'result'], registers: [registry] });
  return {
    registry,
    /** (result, realm) */
    authRequests: children((l) => authRequests.labels(l), ['result', 'realm']),
    /** (result) */
    authDuration: children((l) => authDuration.labels(l), ['result']),
    /** (provider_name, provider_type, result) */
    providerAttempts: children((l) => providerAttempts.labels(l), ['provider_name', 'provider_type', 'result']),
    /** (augmenter_name, augmenter_type, result) */
    augmenterAttempts: children((l) => augmenterAttempts.labels(l), ['augmenter_name', 'augmenter_type', 'result']),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics with auth-o-tron's family names, so its dashboards keep working. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    authRequests: new Counter({ name: 'auth_requests_total', help: 'Authentication requests by result', labelNames: ['result', 'realm'], registers: [registry] }),
    authDuration: new Histogram({ name: 'auth_duration_seconds', help: 'Authentication duration', labelNames: ['result'], registers: [registry], buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] }),
    providerAttempts: new Counter({ name: 'auth_provider_attempts_total', help: 'Provider attempts by result', labelNames: ['provider_name', 'provider_type', 'result'], registers: [registry] }),
    augmenterAttempts: new Counter({ name: 'augmenter_attempts_total', help: 'Augmenter runs by result', labelNames: ['augmenter_name', 'augmenter_type', 'result'], registers: [registry] }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

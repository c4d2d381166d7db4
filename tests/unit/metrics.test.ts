import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../lib/metrics/registry';

/** Our families' lines from a registry's text exposition (default process metrics left out). */
async function familyText(registry: Registry, prefix: string): Promise<string> {
  const text = await registry.metrics();
  return text.split('\n\n').map((block) => block.trim()).filter((block) => block.includes(`# TYPE ${prefix}`)).join('\n\n');
}

describe('gateway metrics', () => {
  it('expose exactly what prom-client’s own counter and histogram would for the same updates', async () => {
    const metrics = createMetrics();
    const reference = new Registry();
    const counter = new Counter({ name: 'auth_requests_total', help: 'Authentication requests by result', labelNames: ['result', 'realm'], registers: [reference] });
    const histogram = new Histogram({ name: 'auth_duration_seconds', help: 'Authentication duration', labelNames: ['result'], registers: [reference], buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });

    const updates: Array<[string, string, number]> = [
      ['success', 'local', 0.0004],
      ['success', 'local', 0.003],
      ['unauthorized', '', 0.2],
      ['success', 'ecmwf', 7],
      ['forbidden', 'local', 0.005],
      ['success', 'local', 0.0004],
    ];
    for (const [result, realm, seconds] of updates) {
      metrics.authRequests(result, realm).inc();
      metrics.authDuration(result).observe(seconds);
      counter.labels({ result, realm }).inc();
      histogram.labels({ result }).observe(seconds);
    }

    expect(await familyText(metrics.registry, 'auth_requests_total')).toBe(await familyText(reference, 'auth_requests_total'));
    expect(await familyText(metrics.registry, 'auth_duration_seconds')).toBe(await familyText(reference, 'auth_duration_seconds'));
    expect(await familyText(metrics.registry, 'auth_requests_total')).toContain('auth_requests_total{result="success",realm="local"} 3');
  });

  it('keep label sets apart even when their values could be joined the same way', async () => {
    const metrics = createMetrics();
    metrics.providerAttempts('a', 'b c', 'accepted').inc();
    metrics.providerAttempts('a b', 'c', 'accepted').inc();
    metrics.providerAttempts('a b', 'c', 'accepted').inc();
    const text = await metrics.registry.metrics();
    expect(text).toContain('auth_provider_attempts_total{provider_name="a",provider_type="b c",result="accepted"} 1');
    expect(text).toContain('auth_provider_attempts_total{provider_name="a b",provider_type="c",result="accepted"} 2');
    expect(text).toContain('# TYPE process_cpu_user_seconds_total counter'); // prom-client's default metrics stay
  });
});

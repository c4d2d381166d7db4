import { Writable } from 'node:stream';
import path from 'node:path';
import { Counter, Histogram, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@/lib/config/load';
import { createLogger } from '@/lib/log/logger';
import { createMetrics } from '@/lib/metrics/registry';
import { createRuntime, type Runtime } from '@/lib/runtime';
import packageJson from '../../package.json';
import { parseExposition, series, type PromSample } from '../support/prometheus';

/** Our families' lines from a registry's text exposition (default process metrics left out). */
async function familyText(registry: Registry, prefix: string): Promise<string> {
  const text = await registry.metrics();
  return text
    .split('\n\n')
    .map((block) => block.trim())
    .filter((block) => block.includes(`# TYPE ${prefix}`))
    .join('\n\n');
}

const AUTH_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

describe('gateway metrics', () => {
  it('expose exactly what prom-client’s own counter and histogram would for the same updates', async () => {
    const metrics = createMetrics();
    const reference = new Registry();
    const counter = new Counter({ name: 'auth_requests_total', help: 'Total number of authentication attempts', labelNames: ['result', 'realm'], registers: [reference] });
    const histogram = new Histogram({
      name: 'auth_duration_seconds',
      help: 'Authentication request duration in seconds',
      labelNames: ['result', 'realm'],
      registers: [reference],
      buckets: AUTH_BUCKETS,
    });

    const updates: Array<[string, string, number]> = [
      ['success', 'local', 0.0004],
      ['success', 'local', 0.003],
      ['all_failed', 'unknown', 0.2],
      ['success', 'ecmwf', 7],
      ['forbidden', 'local', 0.005],
      ['success', 'local', 0.0004],
    ];
    for (const [result, realm, seconds] of updates) {
      metrics.auth(result, realm).record(seconds);
      counter.labels({ result, realm }).inc();
      histogram.labels({ result, realm }).observe(seconds);
    }

    expect(await familyText(metrics.registry, 'auth_requests_total')).toBe(await familyText(reference, 'auth_requests_total'));
    expect(await familyText(metrics.registry, 'auth_duration_seconds')).toBe(await familyText(reference, 'auth_duration_seconds'));
    expect(await familyText(metrics.registry, 'auth_requests_total')).toContain('auth_requests_total{result="success",realm="local"} 3');
  });

  it('keep label sets apart even when their values could be joined the same way', async () => {
    const metrics = createMetrics();
    metrics.provider('a', 'b c', 'r').success.inc();
    metrics.provider('a b', 'c', 'r').success.inc();
    metrics.provider('a b', 'c', 'r').success.inc();
    const text = await metrics.registry.metrics();
    expect(text).toContain('auth_provider_attempts_total{provider_name="a",provider_type="b c",realm="r",result="success"} 1');
    expect(text).toContain('auth_provider_attempts_total{provider_name="a b",provider_type="c",realm="r",result="success"} 2');
    expect(text).toContain('# TYPE process_cpu_user_seconds_total counter'); // prom-client's default metrics stay
  });

  it('carry the version in authotron_build_info, constant 1', async () => {
    const samples = parseExposition(await createMetrics().registry.metrics());
    expect(series(samples, 'authotron_build_info')).toEqual([{ name: 'authotron_build_info', labels: { version: packageJson.version }, value: 1 }]);
  });

  it('count HTTP requests by route, method and status, and time them by route and method', async () => {
    const metrics = createMetrics();
    for (const status of [200, 200, 401]) {
      const request = metrics.http('/authenticate', 'GET');
      request.end(request.begin(), status);
    }
    const odd = metrics.http('unmatched', 'PROPFIND'); // methods outside the usual set share one label
    odd.end(odd.begin(), 404);
    const samples = parseExposition(await metrics.registry.metrics());
    expect(series(samples, 'authotron_http_requests_total', { route: '/authenticate', method: 'GET', status_code: '200' })[0]?.value).toBe(2);
    expect(series(samples, 'authotron_http_requests_total', { route: '/authenticate', method: 'GET', status_code: '401' })[0]?.value).toBe(1);
    expect(series(samples, 'authotron_http_requests_total', { route: 'unmatched', method: 'other', status_code: '404' })[0]?.value).toBe(1);
    expect(series(samples, 'authotron_http_request_duration_seconds_count', { route: '/authenticate', method: 'GET' })[0]?.value).toBe(3);
  });

  it('raise the in-flight gauge while a request is answered and lower it after, whichever route it ends in', async () => {
    const metrics = createMetrics();
    const inFlight = async () => series(parseExposition(await metrics.registry.metrics()), 'authotron_http_requests_in_flight', { method: 'GET' })[0]?.value;
    const started = metrics.http('unmatched', 'GET').begin();
    expect(await inFlight()).toBe(1);
    metrics.http('portal', 'GET').end(started, 200);
    expect(await inFlight()).toBe(0);
  });
});

/** The shapes of auth-o-tron's metrics tests, run on the gateway core with a config of the same shape. */
describe("auth-o-tron's metrics, through the gateway (fixture metrics.yml)", () => {
  let runtime: Runtime;
  const scrape = async (): Promise<PromSample[]> => parseExposition(await runtime.metrics.registry.metrics());
  const value = (samples: PromSample[], name: string, labels: Record<string, string>) => {
    const found = series(samples, name, labels);
    expect(found, `${name}${JSON.stringify(labels)}`).toHaveLength(1);
    return found[0]?.value;
  };
  const check = (authorization?: string) =>
    runtime.http.handle({ method: 'GET', path: '/authenticate', header: (name) => (name === 'authorization' ? authorization : undefined), remoteAddress: '127.0.0.1' });
  const basic = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`;

  beforeAll(async () => {
    const loaded = loadConfig({ AOT_CONFIG_PATH: path.resolve(import.meta.dirname, '../fixtures/auth-o-tron/metrics.yml'), AOT_DATABASE__PATH: 'memory://', AOT_AUTH__FAILURE_DELAY_MS: '0' });
    runtime = await createRuntime(loaded, createLogger({ level: 'fatal', format: 'json' }, new Writable({ write: (_c, _e, done) => done() })));
  });
  afterAll(() => runtime?.close());

  it('has the series alerts watch at zero before any request: configured providers, augmenters and realms, failures only as realm "unknown"', async () => {
    const samples = await scrape();
    for (const result of ['success', 'error', 'timeout', 'rejected']) {
      expect(value(samples, 'auth_provider_attempts_total', { provider_name: 'plain1', provider_type: 'Basic', realm: 'realm1', result })).toBe(0);
    }
    expect(value(samples, 'auth_provider_duration_seconds_count', { provider_name: 'plain1', provider_type: 'Basic', realm: 'realm1' })).toBe(0);
    for (const result of ['success', 'error']) expect(value(samples, 'augmenter_attempts_total', { augmenter_name: 'aug1', augmenter_type: 'plain', realm: 'realm1', result })).toBe(0);
    expect(value(samples, 'augmenter_duration_seconds_count', { augmenter_type: 'plain', realm: 'realm1' })).toBe(0);
    for (const result of ['no_auth_header', 'invalid_header', 'all_failed']) {
      expect(value(samples, 'auth_requests_total', { result, realm: 'unknown' })).toBe(0);
      expect(value(samples, 'auth_duration_seconds_count', { result, realm: 'unknown' })).toBe(0);
    }
    for (const realm of ['realm1', 'unknown']) expect(value(samples, 'auth_requests_total', { result: 'success', realm })).toBe(0);
    // Failures never carry a configured realm.
    expect(series(samples, 'auth_requests_total', { result: 'all_failed', realm: 'realm1' })).toEqual([]);
  });

  it("counts each kind of check under auth-o-tron's result: no_auth_header, invalid_header, all_failed, success with the realm", async () => {
    expect((await check())?.status).toBe(401);
    expect((await check('Basic'))?.status).toBe(401); // a scheme with no credential
    expect((await check(`${basic('a:b')}, Bearer x, Bearer y, Foo z`))?.status).toBe(401); // more than three
    expect((await check(basic('testuser:wrong')))?.status).toBe(401);
    expect((await check(basic('testuser:testpass')))?.status).toBe(200);
    const samples = await scrape();
    expect(value(samples, 'auth_requests_total', { result: 'no_auth_header', realm: 'unknown' })).toBe(1);
    expect(value(samples, 'auth_requests_total', { result: 'invalid_header', realm: 'unknown' })).toBe(2);
    expect(value(samples, 'auth_requests_total', { result: 'all_failed', realm: 'unknown' })).toBe(1);
    expect(value(samples, 'auth_requests_total', { result: 'success', realm: 'realm1' })).toBe(1);
    expect(value(samples, 'auth_duration_seconds_count', { result: 'success', realm: 'realm1' })).toBe(1);
    // The provider saw one wrong and one right password; the augmenter ran once (for the success).
    expect(value(samples, 'auth_provider_attempts_total', { provider_name: 'plain1', provider_type: 'Basic', realm: 'realm1', result: 'rejected' })).toBe(1);
    expect(value(samples, 'auth_provider_attempts_total', { provider_name: 'plain1', provider_type: 'Basic', realm: 'realm1', result: 'success' })).toBe(1);
    expect(value(samples, 'auth_provider_duration_seconds_count', { provider_name: 'plain1', provider_type: 'Basic', realm: 'realm1' })).toBe(2);
    expect(value(samples, 'augmenter_attempts_total', { augmenter_name: 'aug1', augmenter_type: 'plain', realm: 'realm1', result: 'success' })).toBe(1);
    expect(value(samples, 'augmenter_duration_seconds_count', { augmenter_type: 'plain', realm: 'realm1' })).toBe(1);
  });
});

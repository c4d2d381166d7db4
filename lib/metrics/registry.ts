import { readFileSync } from 'node:fs';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import packageJson from '../../package.json';

type Labels = Record<string, string>;

/** One sample as prom-client's registry formats it. */
interface Sample {
  metricName?: string;
  labels: Record<string, string | number>;
  value: number;
}

/**
 * The per-label-set state of a metric, found by walking one Map per label value: no label object,
 * join or hash per update. prom-client hashes the labels on every update, even through `labels()`
 * children, which costs a visible share of a check that takes tens of microseconds.
 */
class LabelledValues<T> {
  private readonly root = new Map<string, unknown>();
  readonly all: Array<{ labels: Labels; state: T }> = [];

  constructor(
    private readonly labelNames: readonly string[],
    private readonly initial: (values: readonly string[]) => T,
  ) {}

  get(values: readonly string[]): T {
    let level = this.root;
    for (let i = 0; i < this.labelNames.length - 1; i++) {
      const value = values[i] ?? '';
      let next = level.get(value) as Map<string, unknown> | undefined;
      if (!next) level.set(value, (next = new Map()));
      level = next;
    }
    const last = values[this.labelNames.length - 1] ?? '';
    let state = level.get(last) as T | undefined;
    if (state === undefined) {
      state = this.initial(values);
      level.set(last, state);
      this.all.push({ labels: Object.fromEntries(this.labelNames.map((name, i) => [name, values[i] ?? ''])), state });
    }
    return state;
  }

  reset(): void {
    this.root.clear();
    this.all.length = 0;
  }
}

/** The shape prom-client's registry reads from a metric; it formats and serves ours with its own. */
abstract class HotMetric {
  abstract readonly type: 'counter' | 'histogram' | 'gauge';
  /** How prom-client's cluster registry merges workers' values. */
  readonly aggregator: 'sum' | 'max' = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  abstract values(): Sample[];
  abstract reset(): void;

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }> {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.values() };
  }
}

export interface CounterChild {
  inc(): void;
}

class HotCounter extends HotMetric {
  readonly type = 'counter';
  private readonly children: LabelledValues<{ value: number; inc(): void }>;

  constructor(name: string, help: string, labelNames: readonly string[]) {
    super(name, help);
    this.children = new LabelledValues(labelNames, () => ({
      value: 0,
      inc() {
        this.value += 1;
      },
    }));
  }

  child(...values: string[]): CounterChild {
    return this.children.get(values);
  }

  values(): Sample[] {
    return this.children.all.map(({ labels, state }) => ({ labels, value: state.value }));
  }

  reset(): void {
    this.children.reset();
  }
}

export interface HistogramChild {
  observe(value: number): void;
}

class HotHistogram extends HotMetric {
  readonly type = 'histogram';
  private readonly children: LabelledValues<{ counts: number[]; sum: number; count: number; observe(value: number): void }>;

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    private readonly bounds: readonly number[],
  ) {
    super(name, help);
    this.children = new LabelledValues(labelNames, () => ({
      counts: bounds.map(() => 0),
      sum: 0,
      count: 0,
      observe(value: number) {
        this.sum += value;
        this.count += 1;
        // A plain loop: no closure per observation (several happen per check).
        for (let i = 0; i < bounds.length; i++) {
          if (value <= (bounds[i] ?? Number.POSITIVE_INFINITY)) {
            this.counts[i] = (this.counts[i] ?? 0) + 1;
            return;
          }
        }
      },
    }));
  }

  child(...values: string[]): HistogramChild {
    return this.children.get(values);
  }

  values(): Sample[] {
    return this.children.all.flatMap(({ labels, state }) => {
      let cumulative = 0;
      // `le` first: the order prom-client's own histograms print. All labels in `labels`, so
      // prom-client's cluster aggregation (server.workers) keeps the series apart.
      return [
        ...this.bounds.map((bound, i) => {
          cumulative += state.counts[i] ?? 0;
          return { metricName: `${this.name}_bucket`, labels: { le: bound, ...labels }, value: cumulative };
        }),
        { metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...labels }, value: state.count },
        { metricName: `${this.name}_sum`, labels, value: state.sum },
        { metricName: `${this.name}_count`, labels, value: state.count },
      ];
    });
  }

  reset(): void {
    this.children.reset();
  }
}

export interface GaugeChild {
  inc(): void;
  dec(): void;
}

class HotGauge extends HotMetric {
  readonly type = 'gauge';
  private readonly children: LabelledValues<{ value: number; inc(): void; dec(): void }>;

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    readonly aggregator: 'sum' | 'max' = 'sum',
  ) {
    super(name, help);
    this.children = new LabelledValues(labelNames, () => ({
      value: 0,
      inc() {
        this.value += 1;
      },
      dec() {
        this.value -= 1;
      },
    }));
  }

  child(...values: string[]): GaugeChild {
    return this.children.get(values);
  }

  values(): Sample[] {
    return this.children.all.map(({ labels, state }) => ({ labels, value: state.value }));
  }

  reset(): void {
    this.children.reset();
  }
}

/** One check's outcome at /authenticate: counted and timed under the same (result, realm). */
export interface AuthSeries {
  record(seconds: number): void;
}

/** A provider's series for one scheme, made once: `rejected` is ours (auth-o-tron counted a refused credential as `error`). */
export interface ProviderSeries {
  success: CounterChild;
  rejected: CounterChild;
  error: CounterChild;
  timeout: CounterChild;
  duration: HistogramChild;
}

export interface AugmenterSeries {
  success: CounterChild;
  error: CounterChild;
  duration: HistogramChild;
}

/** HTTP requests of one (route, method). The in-flight gauge is per method, as auth-o-tron's. */
export interface HttpRequestSeries {
  /** The request started: returns the time to hand to `end`. */
  begin(): number;
  /** The response is out (or the connection gone). A request may begin in one route's series and end in another of its method. */
  end(started: number, status: number): void;
}

/** auth-o-tron's bounded method label: any other token is `other`. */
const METHOD_LABELS: ReadonlySet<string> = new Set(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'CONNECT', 'TRACE']);
const methodLabel = (method: string) => (METHOD_LABELS.has(method) ? method : 'other');

const AUTH_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const PROVIDER_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const AUGMENTER_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** The realm label when none is known (a failed check, a provider without a realm), as auth-o-tron. */
export const UNKNOWN_REALM = 'unknown';

/**
 * Prometheus metrics with auth-o-tron's family names, labels and label values, so its Grafana
 * dashboard and alerts keep working, plus ours. Every series a request touches is made once and
 * kept (see LabelledValues): recording is a few additions.
 */
export function createMetrics(options: { version?: string } = {}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const register = <T extends HotMetric>(metric: T): T => {
    registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
    return metric;
  };
  // Dashboards pick namespace and job from this series and mark deploys by its version.
  register(new HotGauge('authotron_build_info', 'Build information; constant 1 with the version as a label', ['version'], 'max'))
    .child(options.version ?? packageJson.version)
    .inc();
  const authRequests = register(new HotCounter('auth_requests_total', 'Total number of authentication attempts', ['result', 'realm']));
  const authDuration = register(new HotHistogram('auth_duration_seconds', 'Authentication request duration in seconds', ['result', 'realm'], AUTH_BUCKETS));
  const providerAttempts = register(new HotCounter('auth_provider_attempts_total', 'Total authentication attempts per provider', ['provider_name', 'provider_type', 'realm', 'result']));
  const providerDuration = register(new HotHistogram('auth_provider_duration_seconds', 'Provider authentication duration in seconds', ['provider_name', 'provider_type', 'realm'], PROVIDER_BUCKETS));
  const augmenterAttempts = register(new HotCounter('augmenter_attempts_total', 'Total augmenter executions', ['augmenter_name', 'augmenter_type', 'realm', 'result']));
  const augmenterDuration = register(new HotHistogram('augmenter_duration_seconds', 'Augmenter execution duration in seconds', ['augmenter_type', 'realm'], AUGMENTER_BUCKETS));
  const httpRequests = register(
    new HotCounter('authotron_http_requests_total', 'HTTP requests by route, method and status code; requests no route answers are route="unmatched"', ['route', 'method', 'status_code']),
  );
  const httpDuration = register(
    new HotHistogram('authotron_http_request_duration_seconds', 'HTTP request duration in seconds by route and method, until the response is written', ['route', 'method'], AUTH_BUCKETS),
  );
  const httpInFlight = register(new HotGauge('authotron_http_requests_in_flight', 'HTTP requests being answered, by method', ['method']));
  // Behind nginx with upstream keepalive this stays nearly flat; growing with every check means each
  // check pays a new TCP connection (see deploy/nginx).
  const connections = register(new HotCounter('authotron_http_connections_total', 'TCP connections accepted by the server', []));
  // Revocations reach this replica only while its listener receives: 0 here means cached tokens may outlive their revocation.
  const revocationListenerUp = new Gauge({
    name: 'authotron_revocation_listener_up',
    help: 'Whether the revocation listener receives notifications (its heartbeat comes back)',
    registers: [registry],
  });
  const revocationHeartbeatsMissed = new Counter({
    name: 'authotron_revocation_heartbeats_missed_total',
    help: 'Heartbeat notifications that did not come back to the revocation listener in time',
    registers: [registry],
  });
  const revocationListenerReconnects = new Counter({
    name: 'authotron_revocation_listener_reconnects_total',
    help: 'Times the revocation listener reconnected (caches were resynchronised)',
    registers: [registry],
  });
  registerProcessThreads(registry);

  const authSeries = new LabelledValues<AuthSeries>(['result', 'realm'], ([result = '', realm = '']) => {
    const count = authRequests.child(result, realm);
    const duration = authDuration.child(result, realm);
    return {
      record(seconds: number) {
        count.inc();
        duration.observe(seconds);
      },
    };
  });
  // By route, then by the method as received (Node's parser bounds those): no string building per request.
  const httpSeries = new Map<string, Map<string, HttpRequestSeries>>();

  // Refused secrets should barely move it: guesses at a token are refused by their fingerprint.
  const argon2Verifications = register(new HotCounter('authotron_argon2_verifications_total', 'argon2 verifications started, by provider and lane', ['provider_name', 'lane']));
  return {
    registry,
    revocationListenerUp,
    revocationHeartbeatsMissed,
    revocationListenerReconnects,
    connectionAccepted: () => connections.child().inc(),
    /** The series of one (result, realm) of auth_requests_total and auth_duration_seconds. */
    auth(result: string, realm: string): AuthSeries {
      return authSeries.get([result, realm]);
    },
    provider(name: string, type: string, realm: string): ProviderSeries {
      const attempt = (result: string) => providerAttempts.child(name, type, realm, result);
      return { success: attempt('success'), rejected: attempt('rejected'), error: attempt('error'), timeout: attempt('timeout'), duration: providerDuration.child(name, type, realm) };
    },
    augmenter(name: string, type: string, realm: string): AugmenterSeries {
      return { success: augmenterAttempts.child(name, type, realm, 'success'), error: augmenterAttempts.child(name, type, realm, 'error'), duration: augmenterDuration.child(type, realm) };
    },
    /** The series of one route (a fixed pattern, never a raw path) and method; made on first use and kept. */
    http(route: string, method: string): HttpRequestSeries {
      let byMethod = httpSeries.get(route);
      if (!byMethod) httpSeries.set(route, (byMethod = new Map()));
      let series = byMethod.get(method);
      if (!series) {
        const label = methodLabel(method);
        const inFlight = httpInFlight.child(label);
        const duration = httpDuration.child(route, label);
        const byStatus = new Map<number, CounterChild>();
        series = {
          begin() {
            inFlight.inc();
            return performance.now();
          },
          end(started: number, status: number) {
            inFlight.dec();
            let count = byStatus.get(status);
            if (!count) byStatus.set(status, (count = httpRequests.child(route, label, String(status))));
            count.inc();
            duration.observe((performance.now() - started) / 1000);
          },
        };
        byMethod.set(method, series);
      }
      return series;
    },
    /** (provider_name, lane) */
    argon2Verifications: (provider: string, lane: string) => argon2Verifications.child(provider, lane),
  };
}

/** `process_threads`, which auth-o-tron's process collector has and prom-client's defaults lack (Linux only). */
function registerProcessThreads(registry: Registry): void {
  if (process.platform !== 'linux') return;
  new Gauge({
    name: 'process_threads',
    help: 'Number of OS threads in the process.',
    registers: [registry],
    collect() {
      try {
        const match = /^Threads:\s+(\d+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
        if (match) this.set(Number(match[1]));
      } catch {
        // /proc unreadable: the series stays absent rather than wrong.
      }
    },
  });
}

export type Metrics = ReturnType<typeof createMetrics>;

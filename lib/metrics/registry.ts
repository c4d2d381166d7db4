import { Registry, collectDefaultMetrics } from 'prom-client';

type Labels = Record<string, string>;

/** One sample as prom-client's registry formats it (`sharedLabels` print after `labels`). */
interface Sample {
  metricName?: string;
  labels: Record<string, string | number>;
  sharedLabels?: Labels;
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
    private readonly initial: () => T,
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
      state = this.initial();
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
  abstract readonly type: 'counter' | 'histogram';
  readonly aggregator = 'sum' as const;

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
    this.children = new LabelledValues(labelNames, () => ({ value: 0, inc() { this.value += 1; } }));
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

  constructor(name: string, help: string, labelNames: readonly string[], private readonly bounds: readonly number[]) {
    super(name, help);
    this.children = new LabelledValues(labelNames, () => ({
      counts: bounds.map(() => 0),
      sum: 0,
      count: 0,
      observe(value: number) {
        this.sum += value;
        this.count += 1;
        const index = bounds.findIndex((bound) => value <= bound);
        if (index !== -1) this.counts[index] = (this.counts[index] ?? 0) + 1;
      },
    }));
  }

  child(...values: string[]): HistogramChild {
    return this.children.get(values);
  }

  values(): Sample[] {
    return this.children.all.flatMap(({ labels, state }) => {
      let cumulative = 0;
      // `le` first and the labels as shared labels: the order prom-client's own histograms print.
      return [
        ...this.bounds.map((bound, i) => {
          cumulative += state.counts[i] ?? 0;
          return { metricName: `${this.name}_bucket`, labels: { le: bound }, sharedLabels: labels, value: cumulative };
        }),
        { metricName: `${this.name}_bucket`, labels: { le: '+Inf' }, sharedLabels: labels, value: state.count },
        { metricName: `${this.name}_sum`, labels, value: state.sum },
        { metricName: `${this.name}_count`, labels, value: state.count },
      ];
    });
  }

  reset(): void {
    this.children.reset();
  }
}

/** Prometheus metrics with auth-o-tron's family names, so its dashboards keep working. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const register = <T extends HotMetric>(metric: T): T => {
    registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
    return metric;
  };
  const authRequests = register(new HotCounter('auth_requests_total', 'Authentication requests by result', ['result', 'realm']));
  const authDuration = register(new HotHistogram('auth_duration_seconds', 'Authentication duration', ['result'], [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]));
  const providerAttempts = register(new HotCounter('auth_provider_attempts_total', 'Provider attempts by result', ['provider_name', 'provider_type', 'result']));
  const augmenterAttempts = register(new HotCounter('augmenter_attempts_total', 'Augmenter runs by result', ['augmenter_name', 'augmenter_type', 'result']));
  // Behind nginx with upstream keepalive this stays nearly flat; growing with every check means each
  // check pays a new TCP connection (see deploy/nginx).
  const connections = register(new HotCounter('authotron_http_connections_total', 'TCP connections accepted by the server', []));
  // Refused secrets should barely move it: guesses at a token are refused by their fingerprint.
  const argon2Verifications = register(new HotCounter('authotron_argon2_verifications_total', 'argon2 verifications started, by provider and lane', ['provider_name', 'lane']));
  return {
    registry,
    connectionAccepted: () => connections.child().inc(),
    /** (result, realm) */
    authRequests: (result: string, realm: string) => authRequests.child(result, realm),
    /** (result) */
    authDuration: (result: string) => authDuration.child(result),
    /** (provider_name, provider_type, result) */
    providerAttempts: (name: string, type: string, result: string) => providerAttempts.child(name, type, result),
    /** (augmenter_name, augmenter_type, result) */
    augmenterAttempts: (name: string, type: string, result: string) => augmenterAttempts.child(name, type, result),
    /** (provider_name, lane) */
    argon2Verifications: (provider: string, lane: string) => argon2Verifications.child(provider, lane),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** One sample line of a Prometheus text exposition. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The samples of a text exposition (comments skipped); label values unescaped. */
export function parseExposition(text: string): PromSample[] {
  const samples: PromSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, name = '', value = ''] of (match[2] ?? '').matchAll(LABEL)) labels[name] = value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    samples.push({ name: match[1] ?? '', labels, value: Number(match[3]) });
  }
  return samples;
}

/** The samples of one family and label subset, e.g. `series(samples, 'auth_requests_total', { result: 'success' })`. */
export function series(samples: PromSample[], name: string, labels: Record<string, string> = {}): PromSample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/**
 * Labels Prometheus adds to every series of a target when it scrapes (the ServiceMonitor's
 * namespace, job, pod…): a query may select or group by them, the app never exposes them.
 */
const TARGET_LABELS = new Set(['namespace', 'job', 'pod', 'instance', 'service', 'endpoint', 'container']);

type Matcher = { label: string; op: '=' | '!=' | '=~' | '!~'; value: string };

/**
 * The vector selectors of a dashboard query, written as dashboards write them (`name{matchers}`,
 * braces always present), with the labels the query groups by (`by (...)`).
 */
export function selectorsOf(expr: string): Array<{ metric: string; matchers: Matcher[]; by: string[] }> {
  const by = [...expr.matchAll(/\bby\s*\(([^)]*)\)/g)].flatMap((m) =>
    (m[1] ?? '')
      .split(',')
      .map((l) => l.trim())
      .filter(Boolean),
  );
  return [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{((?:[^}"]|"(?:[^"\\]|\\.)*")*)\}/g)].map((match) => ({
    metric: match[1] ?? '',
    matchers: [...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)].map(([, label = '', op = '=', value = '']) => ({
      label,
      op: op as Matcher['op'],
      value,
    })),
    by,
  }));
}

/**
 * Whether a query's selectors all select series in `samples`, as Prometheus would after scraping
 * them: target labels and template variables (`$namespace`) match anything; each selector must
 * select at least one series that has every label the query groups by (`le` only for buckets).
 */
export function unselected(expr: string, samples: PromSample[]): string[] {
  const problems: string[] = [];
  for (const { metric, matchers, by } of selectorsOf(expr)) {
    const candidates = samples.filter((s) => s.name === metric);
    if (candidates.length === 0) {
      problems.push(`${metric}: no such series`);
      continue;
    }
    const fits = candidates.filter((s) =>
      matchers.every(({ label, op, value }) => {
        if (TARGET_LABELS.has(label) || value.includes('$')) return true;
        const actual = s.labels[label] ?? '';
        const regex = new RegExp(`^(?:${value})$`);
        return op === '=' ? actual === value : op === '!=' ? actual !== value : op === '=~' ? regex.test(actual) : !regex.test(actual);
      }),
    );
    if (fits.length === 0) {
      problems.push(`${metric}{${matchers.map((m) => `${m.label}${m.op}"${m.value}"`).join(',')}}: selects nothing`);
      continue;
    }
    const grouping = by.filter((label) => !TARGET_LABELS.has(label) && (label !== 'le' || metric.endsWith('_bucket')));
    const missing = grouping.filter((label) => !fits.some((s) => label in s.labels));
    if (missing.length > 0) problems.push(`${metric}: no series with ${missing.join(', ')} (grouped by)`);
  }
  return problems;
}

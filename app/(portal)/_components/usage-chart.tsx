import { useId } from 'react';

export interface UsageChartProps {
  /** Requests per hour (or per day), oldest first; `hour` is an ISO timestamp or date. */
  hours: Array<{ hour: string; count: number }>;
  /** What one bar stands for, in the text alternative. */
  unit?: 'hour' | 'day';
}

const HEIGHT = 120;
const BAR = 10;
const GAP = 2;

/** `2026-12-03T14:00:00Z` → `2026-12-03 14:00`; a plain date stays as it is. */
function labelOf(hour: string, unit: 'hour' | 'day'): string {
  return unit === 'day' ? hour.slice(0, 10) : `${hour.slice(0, 10)} ${hour.slice(11, 16)}`;
}

/**
 * Requests over time as an SVG bar chart. The picture is decorative for assistive technology
 * (`aria-hidden`): the caption says the totals in words and the table beside it has every number.
 */
export function UsageChart({ hours, unit = 'hour' }: UsageChartProps) {
  const id = useId();
  const total = hours.reduce((sum, h) => sum + h.count, 0);
  const max = Math.max(1, ...hours.map((h) => h.count));
  const busiest = hours.reduce<UsageChartProps['hours'][number] | undefined>((best, h) => (best === undefined || h.count > best.count ? h : best), undefined);
  const width = Math.max(1, hours.length) * (BAR + GAP);
  const period = unit === 'day' ? 'day' : 'hour';

  if (hours.length === 0) return <p className="text-sm text-slate-700">No requests recorded yet.</p>;
  return (
    <figure aria-labelledby={`${id}-caption`} className="space-y-2" data-testid="usage-chart">
      <svg viewBox={`0 0 ${width} ${HEIGHT}`} preserveAspectRatio="none" className="h-32 w-full rounded border border-slate-300 bg-white" aria-hidden="true" focusable="false">
        {hours.map((h, i) => {
          const height = h.count === 0 ? 0 : Math.max(2, (h.count / max) * (HEIGHT - 4));
          return (
            <rect key={h.hour} x={i * (BAR + GAP) + GAP / 2} y={HEIGHT - height} width={BAR} height={height} className="fill-blue-700">
              <title>{`${labelOf(h.hour, unit)}: ${h.count}`}</title>
            </rect>
          );
        })}
      </svg>
      <figcaption id={`${id}-caption`} className="text-sm text-slate-700">
        {total === 1 ? '1 request' : `${total} requests`} in {hours.length === 1 ? `1 ${period}` : `${hours.length} ${period}s`} ({labelOf(hours[0]?.hour ?? '', unit)} to{' '}
        {labelOf(hours.at(-1)?.hour ?? '', unit)} UTC)
        {busiest && busiest.count > 0 && (
          <>
            ; busiest {period}: {labelOf(busiest.hour, unit)} with {busiest.count}
          </>
        )}
        .
      </figcaption>
      <details className="text-sm">
        <summary className="cursor-pointer font-medium text-blue-800">Requests per {period} as a table</summary>
        <table className="mt-2 border-collapse">
          <caption className="sr-only">Requests per {period}</caption>
          <thead>
            <tr>
              <th scope="col" className="border-b border-slate-300 px-2 py-1 text-left">
                {unit === 'day' ? 'Day' : 'Hour'} (UTC)
              </th>
              <th scope="col" className="border-b border-slate-300 px-2 py-1 text-right">
                Requests
              </th>
            </tr>
          </thead>
          <tbody>
            {hours.map((h) => (
              <tr key={h.hour}>
                <th scope="row" className="px-2 py-0.5 text-left font-normal">
                  {labelOf(h.hour, unit)}
                </th>
                <td className="px-2 py-0.5 text-right tabular-nums">{h.count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

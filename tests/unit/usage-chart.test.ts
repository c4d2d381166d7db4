import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { UsageChart } from '@/app/(portal)/_components/usage-chart';

// Rendered as the token page renders it (react-dom/server), from 24 hours of counts made here.
const hours = Array.from({ length: 24 }, (_, i) => ({ hour: new Date(Date.UTC(2026, 11, 3, i)).toISOString(), count: i === 13 ? 12 : i % 5 }));

describe('usage chart', () => {
  it('draws one bar per hour, scaled to the busiest, hidden from assistive technology', () => {
    const html = renderToStaticMarkup(createElement(UsageChart, { hours }));
    const bars = [...html.matchAll(/<rect [^>]*height="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(bars).toHaveLength(24);
    expect(Math.max(...bars)).toBe(bars[13]);
    expect(bars[0]).toBe(0); // no requests: no bar
    expect(html).toMatch(/<svg[^>]*aria-hidden="true"/);
  });

  it('says the totals in words and has every number in a table', () => {
    const html = renderToStaticMarkup(createElement(UsageChart, { hours }));
    const total = hours.reduce((s, h) => s + h.count, 0);
    expect(html).toContain(`${total} requests in 24 hours (2026-12-03 00:00 to 2026-12-03 23:00 UTC)`);
    expect(html).toContain('busiest hour: 2026-12-03 13:00 with 12');
    const rows = [...html.matchAll(/<tr><th scope="row"[^>]*>([^<]+)<\/th><td[^>]*>(\d+)<\/td><\/tr>/g)].map((m) => [m[1], Number(m[2])]);
    expect(rows).toEqual(hours.map((h) => [`${h.hour.slice(0, 10)} ${h.hour.slice(11, 16)}`, h.count]));
    // The figure is named by its caption.
    const captionId = html.match(/<figcaption id="([^"]+)"/)?.[1];
    expect(html).toContain(`<figure aria-labelledby="${captionId}"`);
  });

  it('says so when there is nothing to draw', () => {
    expect(renderToStaticMarkup(createElement(UsageChart, { hours: [] }))).toBe('<p class="text-sm text-slate-700">No requests recorded yet.</p>');
  });
});

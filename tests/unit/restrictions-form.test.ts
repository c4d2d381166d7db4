import { describe, expect, it } from 'vitest';
import { isAppError } from '@/lib/errors';
import { fieldOf } from '@/lib/portal/form-errors';
import { restrictionsFromForm, splitEntries } from '@/lib/portal/restrictions-form';
import { dailyTotals } from '@/lib/portal/usage';

function form(fields: Record<string, string>): FormData {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.set(name, value);
  return data;
}

describe('restriction fields of the portal forms', () => {
  it('takes entries one a line or comma separated, keeping commas inside braces', () => {
    expect(splitEntries('10.0.0.0/8, 192.0.2.1\n\n  2001:db8::/32  \r\n')).toEqual(['10.0.0.0/8', '192.0.2.1', '2001:db8::/32']);
    expect(splitEntries('/v1/{a,b}/**,/v2/**')).toEqual(['/v1/{a,b}/**', '/v2/**']);
    expect(splitEntries('  \n ,')).toEqual([]);
  });

  it('leaves empty fields out, so an empty form lifts every restriction', () => {
    expect(restrictionsFromForm(form({ 'restrictions.ips': '', 'restrictions.methods': ' ' }))).toEqual({});
    expect(restrictionsFromForm(form({ 'restrictions.methods': 'get, head', 'restrictions.hosts': 'API.example.org' }))).toEqual({ methods: ['GET', 'HEAD'], hosts: ['api.example.org'] });
  });

  it('refuses an invalid entry on its own field, naming the entry', () => {
    let caught: unknown;
    try {
      restrictionsFromForm(form({ 'restrictions.ips': '10.0.0.0/8\n10.0.0.0/33', 'restrictions.paths': '/ok/**' }));
    } catch (error) {
      caught = error;
    }
    expect(isAppError(caught) && caught.details?.fields).toEqual({ 'restrictions.ips': [expect.stringContaining('“10.0.0.0/33”: expected an IP address or CIDR range')] });
  });

  it('shows an error path on the longest field name holding it, else on the top-level name', () => {
    const names = ['id', 'restrictions.ips', 'restrictions.paths', 'scopes'];
    expect(fieldOf('restrictions.ips.0', names)).toBe('restrictions.ips');
    expect(fieldOf('scopes.3', names)).toBe('scopes');
    expect(fieldOf('restrictions.hosts.1', names)).toBe('restrictions');
    expect(fieldOf('', names)).toBe('_form');
  });

  it('sums hourly counts per UTC day for the chart', () => {
    expect(
      dailyTotals([
        { hour: '2026-12-02T22:00:00.000Z', count: 1 },
        { hour: '2026-12-02T23:00:00.000Z', count: 2 },
        { hour: '2026-12-03T00:00:00.000Z', count: 4 },
      ]),
    ).toEqual([
      { hour: '2026-12-02', count: 3 },
      { hour: '2026-12-03', count: 4 },
    ]);
  });
});

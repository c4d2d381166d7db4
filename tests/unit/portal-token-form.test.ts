import { describe, expect, it } from 'vitest';
import { expiryOptions } from '@/app/(portal)/_lib/expiry';
import { tokenBodyFromForm } from '@/app/(portal)/_lib/token-form';

const DAY = 86_400;
const tokens = { prefix: 'aot', max_lifetime: 90 * DAY, default_lifetime: 30 * DAY, cache_ttl: 30, max_per_user: 100, creations_per_minute: 10 };

const form = (entries: Array<[string, string]>) => {
  const data = new FormData();
  for (const [name, value] of entries) data.append(name, value);
  return data;
};

describe('expiry presets', () => {
  it('offers only presets within max_lifetime and checks the default lifetime', () => {
    const options = expiryOptions(tokens, Date.parse('2026-01-10T12:00:00Z'));
    expect(options.presets.map((p) => p.value)).toEqual(['7d', '30d', '90d']);
    expect(options.defaultValue).toBe('30d');
    expect(options).toMatchObject({ minDate: '2026-01-11', maxDate: '2026-04-10' });
  });

  it('falls back to the largest preset below the default, or to a date', () => {
    expect(expiryOptions({ max_lifetime: 365 * DAY, default_lifetime: 60 * DAY }).defaultValue).toBe('30d');
    expect(expiryOptions({ max_lifetime: 3 * DAY, default_lifetime: 1 * DAY })).toMatchObject({ presets: [], defaultValue: 'custom' });
  });
});

describe('the create-token form', () => {
  it('becomes the service body: scopes as a list, a preset as expires_in, no empty description', () => {
    const body = tokenBodyFromForm(
      form([
        ['name', 'ci'],
        ['description', ' '],
        ['scopes', 'polytope:read'],
        ['scopes', 'mars:retrieve'],
        ['expires_in', '7d'],
        ['expires_at', ''],
      ]),
      tokens,
    );
    expect(body).toEqual({ name: 'ci', description: undefined, scopes: ['polytope:read', 'mars:retrieve'], expires_in: '7d' });
  });

  it('turns a custom date into midnight UTC of that day', () => {
    const body = tokenBodyFromForm(
      form([
        ['name', 'ci'],
        ['expires_in', 'custom'],
        ['expires_at', '2026-03-01'],
      ]),
      tokens,
    );
    expect(body).toEqual({ name: 'ci', description: undefined, scopes: [], expires_at: '2026-03-01T00:00:00Z' });
  });

  it('names the field when the date is missing or the period was not offered', () => {
    expect(() =>
      tokenBodyFromForm(
        form([
          ['name', 'ci'],
          ['expires_in', 'custom'],
        ]),
        tokens,
      ),
    ).toThrow(expect.objectContaining({ code: 'invalid_input', details: { fields: { expires_at: ['enter a date as yyyy-mm-dd'] } } }));
    expect(() =>
      tokenBodyFromForm(
        form([
          ['name', 'ci'],
          ['expires_in', '365d'],
        ]),
        tokens,
      ),
    ).toThrow(expect.objectContaining({ details: { fields: { expires_in: [expect.any(String)] } } }));
    expect(() => tokenBodyFromForm(form([['name', 'ci']]), tokens)).toThrow(expect.objectContaining({ name: 'ZodError' }));
  });
});

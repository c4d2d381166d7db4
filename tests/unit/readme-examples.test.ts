import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { configSchema } from '@/lib/config/schema';

/** The config examples users copy from the documentation must load. */
describe('documented config examples', () => {
  const docs = ['README.md', 'docs/providers.md'];
  const blocks = docs.flatMap((file) =>
    [...readFileSync(path.resolve(import.meta.dirname, '../..', file), 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m, i) => [`${file} #${i + 1}`, m[1] ?? ''] as const),
  );

  it('finds the examples', () => expect(blocks.length).toBeGreaterThanOrEqual(3));

  it.each(blocks)('%s is a valid config (or a valid part of one)', (_, text) => {
    const value = parse(text) as Record<string, unknown> | unknown[];
    // Fragments that list providers without the key are wrapped as one.
    const config = Array.isArray(value) ? { providers: value } : value;
    const services = [{ name: 'polytope', scopes: ['read', 'write'] }];
    const result = configSchema.safeParse({ services, ...config });
    expect(result.success, JSON.stringify(result.error?.issues, null, 1)).toBe(true);
  });
});

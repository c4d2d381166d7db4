import { describe, expect, it } from 'vitest';
import { catalogOf, scopeDescriptions } from '@/app/(portal)/_lib/catalog';
import { configSchema } from '@/lib/config/schema';
import { ScopeCatalog } from '@/lib/tokens/scope-catalog';

const catalogFrom = (services: unknown) => catalogOf(new ScopeCatalog(configSchema.parse({ services }).services).list());

describe('the scope catalog as the portal shows it', () => {
  it('takes plain scope names, as configs write them today', () => {
    expect(catalogFrom([{ name: 'polytope', scopes: ['read', 'write'] }])).toEqual([{ name: 'polytope', scopes: [{ name: 'read' }, { name: 'write' }] }]);
  });

  it('shows descriptions where the config gives them', () => {
    const catalog = catalogFrom([{ name: 'mars', scopes: [{ name: 'retrieve', description: 'Download fields' }, 'list'] }]);
    expect(catalog).toEqual([{ name: 'mars', scopes: [{ name: 'retrieve', description: 'Download fields' }, { name: 'list' }] }]);
    expect(scopeDescriptions(catalog)).toEqual(
      new Map([
        ['mars:retrieve', 'Download fields'],
        ['mars:list', undefined],
      ]),
    );
  });
});

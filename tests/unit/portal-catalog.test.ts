import { describe, expect, it } from 'vitest';
import { catalogOf, scopeDescriptions } from '@/app/(portal)/_lib/catalog';
import type { Config } from '@/lib/config/schema';

describe('the scope catalog as the portal shows it', () => {
  it('takes plain scope names, as configs write them today', () => {
    expect(catalogOf({ services: [{ name: 'polytope', scopes: ['read', 'write'] }] })).toEqual([{ name: 'polytope', description: undefined, scopes: [{ name: 'read' }, { name: 'write' }] }]);
  });

  it('shows descriptions where the config gives them', () => {
    // The shape a catalog with descriptions has (services[].scopes[] as {name, description}).
    const services = [{ name: 'mars', description: 'MARS archive', scopes: [{ name: 'retrieve', description: 'Download fields' }, 'list'] }] as unknown as Config['services'];
    const catalog = catalogOf({ services });
    expect(catalog).toEqual([{ name: 'mars', description: 'MARS archive', scopes: [{ name: 'retrieve', description: 'Download fields' }, { name: 'list' }] }]);
    expect(scopeDescriptions(catalog)).toEqual(
      new Map([
        ['mars:retrieve', 'Download fields'],
        ['mars:list', undefined],
      ]),
    );
  });
});

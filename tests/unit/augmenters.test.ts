import { describe, expect, it } from 'vitest';
import { PlainAdvancedAugmenter, PlainAugmenter } from '@/lib/augmenters/plain';
import type { User } from '@/lib/gateway/types';

const user = (username: string, roles: string[] = []): User => ({ username, realm: 'r', roles, attributes: { keep: 'me' }, scopes: {}, auth: { method: 'plain', provider: 'p' } });

describe('plain augmenter', () => {
  it('adds each role that lists the user, without duplicates', async () => {
    const augmenter = new PlainAugmenter({ type: 'plain', name: 'a', realm: 'r', roles: { admin: ['ann'], ops: ['ann', 'bob'], viewer: ['bob'] } });
    const ann = user('ann', ['ops']);
    await augmenter.augment(ann);
    expect(ann.roles).toEqual(['ops', 'admin']);
    const carl = user('carl');
    await augmenter.augment(carl);
    expect(carl.roles).toEqual([]);
  });
});

describe('plain_advanced augmenter', () => {
  const augmenter = new PlainAdvancedAugmenter({
    type: 'plain_advanced',
    name: 'b',
    realm: 'r',
    match: { username: ['ann'], role: ['staff'] },
    augment: { roles: ['superuser', 'staff'], attributes: { department: 'engineering', keep: 'overwritten' } },
  });

  it('matches on username or an existing role, adds roles deduplicated and upserts attributes', async () => {
    const ann = user('ann');
    await augmenter.augment(ann);
    expect(ann).toMatchObject({ roles: ['superuser', 'staff'], attributes: { department: 'engineering', keep: 'overwritten' } });
    const bob = user('bob', ['staff']);
    await augmenter.augment(bob);
    expect(bob.roles).toEqual(['staff', 'superuser']);
  });

  it('leaves users that do not match untouched', async () => {
    const carl = user('carl', ['guest']);
    await augmenter.augment(carl);
    expect(carl).toMatchObject({ roles: ['guest'], attributes: { keep: 'me' } });
  });
});

import { describe, expect, it } from 'vitest';
import { Sealer } from '@/lib/crypto/sealed';
import { DISABLED_BY, type DisabledBy } from '@/db/schema';
import type { UserRow } from '@/db/users';
import { disabledByOf, disablePlan, enablePlan, type EnabledBy } from '@/lib/users/status';

const row = (disabledBy: DisabledBy | null, legacy = false): UserRow => ({ id: 'u1', realm: 'people', username: 'ada', disabledAt: disabledBy || legacy ? new Date(0) : null, disabledBy }) as UserRow;
const context = { actor: 'tester' };

describe('who may undo whose disabling', () => {
  const mayEnable: Record<EnabledBy, DisabledBy[]> = {
    admin: ['admin', 'scim', 'idp-logout', 'revalidation'],
    scim: ['scim', 'idp-logout', 'revalidation'],
    'sign-in': ['idp-logout', 'revalidation'],
  };

  it.each(Object.entries(mayEnable))('%s re-enables only what it may', (by, allowed) => {
    for (const disabledBy of DISABLED_BY) {
      const plan = enablePlan(row(disabledBy), by as EnabledBy, context);
      expect(plan !== null, `${by} after ${disabledBy}`).toBe(allowed.includes(disabledBy));
      if (plan) expect(plan.set).toEqual({ disabledAt: null, disabledBy: null });
    }
    expect(enablePlan(row(null), by as EnabledBy, context)).toBeNull(); // already enabled: nothing to write or audit
  });

  it('treats a user disabled before the reason was kept as disabled by an admin', () => {
    expect(disabledByOf(row(null, true))).toBe('admin');
    expect(enablePlan(row(null, true), 'sign-in', context)).toBeNull();
    expect(enablePlan(row(null, true), 'scim', context)).toBeNull();
  });

  it('lets a stronger disabler take over, keeping when the user was disabled, and a weaker one change nothing', () => {
    const takeover = disablePlan(row('revalidation'), 'admin', context);
    expect(takeover?.set).toEqual({ disabledAt: new Date(0), disabledBy: 'admin' });
    expect(takeover?.audit[0]).toMatchObject({ action: 'user.disable', actor: 'tester', targetUser: 'people/ada', details: { by: 'admin', previously_by: 'revalidation' } });
    expect(disablePlan(row('admin'), 'scim', context)).toBeNull();
    expect(disablePlan(row('scim'), 'idp-logout', context)).toBeNull();
    expect(disablePlan(row('idp-logout'), 'revalidation', context)).toBeNull();
    expect(disablePlan(row(null), 'revalidation', context)?.set.disabledBy).toBe('revalidation');
  });
});

describe('sealed refresh tokens', () => {
  const sealer = new Sealer('a key of at least thirty-two characters, for tests');

  it('open only with the same key and the same owner', () => {
    const sealed = sealer.seal('refresh-token-value', 'user-1');
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain('refresh-token-value');
    expect(sealer.open(sealed, 'user-1')).toBe('refresh-token-value');
    expect(sealer.open(sealed, 'user-2')).toBeUndefined(); // moved to another row
    expect(new Sealer('another key, also thirty-two characters long').open(sealed, 'user-1')).toBeUndefined();
  });

  it('use a new IV each time and refuse tampering or garbage', () => {
    const a = sealer.seal('same', 'u');
    expect(sealer.seal('same', 'u')).not.toBe(a);
    const [version, iv, body = ''] = a.split('.');
    const flipped = `${version}.${iv}.${body.slice(0, -2)}${body.endsWith('AA') ? 'BB' : 'AA'}`;
    for (const bad of [flipped, 'v2.x.y', 'v1..', 'v1.x', '', `${a}.extra`]) expect(sealer.open(bad, 'u'), bad).toBeUndefined();
  });
});

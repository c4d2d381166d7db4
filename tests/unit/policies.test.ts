import { describe, expect, it } from 'vitest';
import { PolicyEngine } from '@/lib/gateway/policies';
import type { User } from '@/lib/gateway/types';

const user = (overrides: Partial<User> = {}): User => ({
  username: 'u',
  realm: 'r',
  roles: ['reader'],
  attributes: { department: 'science' },
  scopes: { polytope: ['read'] },
  auth: { method: 'plain', provider: 'p' },
  ...overrides,
});

describe('PolicyEngine', () => {
  const engine = new PolicyEngine(
    [
      { match: { host: 'api.example.org', methods: ['POST', 'PUT'], path: '/v1/**' }, require: { roles_any: ['editor', 'admin'], scopes: ['polytope:write'] } },
      { match: { path: '/admin/**' }, require: { roles_all: ['admin', 'ops'], attributes: { department: 'engineering' } } },
      { match: { path: '/closed/*' }, require: { deny: true } },
    ],
    'deny',
  );

  it('lets the first matching rule decide and names everything missing', () => {
    expect(engine.decide({ method: 'post', host: 'API.example.org', path: '/v1/x/y' }, user())).toEqual({
      allowed: false,
      rule: 0,
      missing: { roles_any: ['editor', 'admin'], scopes: ['polytope:write'] },
    });
    expect(engine.decide({ method: 'POST', host: 'api.example.org', path: '/v1/x' }, user({ roles: ['editor'], scopes: { polytope: ['write'] } }))).toEqual({ allowed: true });
    expect(engine.decide({ method: 'GET', path: '/admin/a' }, user({ roles: ['admin'] }))).toMatchObject({
      allowed: false,
      rule: 1,
      missing: { roles_all: ['ops'], attributes: { department: 'engineering' } },
    });
    expect(engine.decide({ method: 'GET', path: '/closed/a' }, user())).toMatchObject({ allowed: false, missing: { denied: true } });
  });

  it('applies default_policy when no rule matches', () => {
    expect(engine.decide({ method: 'GET', path: '/public' }, user())).toMatchObject({ allowed: false, rule: 'default' });
    expect(new PolicyEngine([], 'allow').decide({ method: 'GET', path: '/x' }, user())).toEqual({ allowed: true });
    expect(new PolicyEngine([], 'allow').active).toBe(false);
    expect(engine.active).toBe(true);
  });

  it('refuses as unknown a rule that needs a method or host the proxy did not name, never matching a default', () => {
    // Rule 0 needs the host and the method; an unnamed one is not skipped (nginx's sub-request is a GET).
    expect(engine.decide({ method: undefined, host: 'api.example.org', path: '/v1/x' }, user())).toEqual({ allowed: false, rule: 0, unknown: 'method' });
    expect(engine.decide({ method: 'POST', path: '/v1/x' }, user())).toEqual({ allowed: false, rule: 0, unknown: 'host' });
    // A rule that cannot fit whatever the unknown part is does not need it.
    expect(engine.decide({ method: undefined, host: 'other.example.org', path: '/v1/x' }, user())).toMatchObject({ rule: 'default' });
    expect(engine.decide({ method: 'GET', path: '/v1/x' }, user())).toMatchObject({ rule: 'default' });
    expect(engine.decide({ method: undefined, path: '/admin/a' }, user({ roles: ['admin', 'ops'], attributes: { department: 'engineering' } }))).toEqual({ allowed: true });
  });
});

import picomatch from 'picomatch';
import type { PolicyConfig } from '../config/schema';
import type { User } from './types';

/** What rules match on: the original request with its path already decoded (lib/gateway/paths). */
export interface MatchedRequest {
  method: string;
  host?: string;
  path: string;
}

export interface Missing {
  roles_any?: string[];
  roles_all?: string[];
  scopes?: string[];
  attributes?: Record<string, string>;
  denied?: true;
}

export type PolicyDecision = { allowed: true } | { allowed: false; rule: number | 'default'; missing: Missing };

interface CompiledPolicy {
  index: number;
  matches: (request: MatchedRequest) => boolean;
  require: PolicyConfig['require'];
}

export class PolicyEngine {
  private readonly rules: CompiledPolicy[];

  constructor(
    policies: PolicyConfig[],
    private readonly defaultPolicy: 'allow' | 'deny',
  ) {
    this.active = policies.length > 0;
    this.rules = policies.map((policy, index) => {
      const { host, methods, path } = policy.match;
      const pathMatches = path ? picomatch(path, { dot: true }) : undefined;
      const lowerHost = host?.toLowerCase();
      return {
        index,
        require: policy.require,
        matches: (request) =>
          (!lowerHost || request.host?.toLowerCase().replace(/:\d+$/, '') === lowerHost) && (!methods || methods.includes(request.method.toUpperCase())) && (!pathMatches || pathMatches(request.path)),
      };
    });
  }

  /** Rules exist, so a check must say which request it is about (fail closed otherwise). */
  readonly active: boolean;

  /** The first rule whose match fits decides; `default_policy` applies when none does. */
  decide(request: MatchedRequest, user: User): PolicyDecision {
    const rule = this.rules.find((r) => r.matches(request));
    if (!rule) return this.defaultPolicy === 'allow' ? { allowed: true } : { allowed: false, rule: 'default', missing: { denied: true } };
    const missing = missingRequirements(rule.require, user);
    return missing ? { allowed: false, rule: rule.index, missing } : { allowed: true };
  }
}

function missingRequirements(require: PolicyConfig['require'], user: User): Missing | undefined {
  const missing: Missing = {};
  if (require.deny) missing.denied = true;
  if (require.roles_any && !require.roles_any.some((r) => user.roles.includes(r))) missing.roles_any = require.roles_any;
  const lackingRoles = require.roles_all?.filter((r) => !user.roles.includes(r)) ?? [];
  if (lackingRoles.length > 0) missing.roles_all = lackingRoles;
  const lackingScopes = require.scopes?.filter((s) => !hasScope(user, s)) ?? [];
  if (lackingScopes.length > 0) missing.scopes = lackingScopes;
  const lackingAttributes = Object.entries(require.attributes ?? {}).filter(([k, v]) => user.attributes[k] !== v);
  if (lackingAttributes.length > 0) missing.attributes = Object.fromEntries(lackingAttributes);
  return Object.keys(missing).length > 0 ? missing : undefined;
}

function hasScope(user: User, scope: string): boolean {
  const [service = '', name = ''] = scope.split(':');
  return user.scopes[service]?.includes(name) ?? false;
}

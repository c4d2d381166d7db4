import picomatch from 'picomatch';
import type { PolicyConfig } from '../config/schema';
import type { OriginalPart } from './original-request';
import type { User } from './types';

/**
 * What rules match on: the original request with its path already decoded (lib/gateway/paths).
 * An undefined method or host is one the proxy did not name: a rule on it cannot be judged.
 */
export interface MatchedRequest {
  method: string | undefined;
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

export type PolicyDecision =
  | { allowed: true }
  | { allowed: false; rule: number | 'default'; missing: Missing }
  /** The first rule that might fit needs a part the request does not name (fail closed: never skipped). */
  | { allowed: false; rule: number; unknown: OriginalPart };

/** Whether a rule fits, or which unknown part it would need to know. */
type Match = boolean | OriginalPart;

interface CompiledPolicy {
  index: number;
  matches: (request: MatchedRequest) => Match;
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
        // What is known decides first: a rule that cannot fit whatever the unknown part is, does not.
        matches: ({ method, host: named, path: requested }) => {
          if (lowerHost && named !== undefined && named.toLowerCase().replace(/:\d+$/, '') !== lowerHost) return false;
          if (methods && method !== undefined && !methods.includes(method.toUpperCase())) return false;
          if (pathMatches && !pathMatches(requested)) return false;
          if (methods && method === undefined) return 'method';
          return lowerHost && named === undefined ? 'host' : true;
        },
      };
    });
  }

  /** Rules exist, so a check must say which request it is about (fail closed otherwise). */
  readonly active: boolean;

  /** The first rule whose match fits decides; `default_policy` applies when none does. */
  decide(request: MatchedRequest, user: User): PolicyDecision {
    for (const rule of this.rules) {
      const match = rule.matches(request);
      if (match === false) continue;
      if (match !== true) return { allowed: false, rule: rule.index, unknown: match };
      const missing = missingRequirements(rule.require, user);
      return missing ? { allowed: false, rule: rule.index, missing } : { allowed: true };
    }
    return this.defaultPolicy === 'allow' ? { allowed: true } : { allowed: false, rule: 'default', missing: { denied: true } };
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

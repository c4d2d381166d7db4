import picomatch from 'picomatch';
import { z } from 'zod';
import type { OriginalRequest } from '../gateway/original-request';
import type { UnknownPart, UsageRestrictions } from '../gateway/types';
import { addressIn, blockListOf, cidrSchema } from '../net/cidr';

// A token's own limits (DESIGN.md "Token lifecycle"): checked at every use against the original
// request and the client address, so compiled once per verified token and answered synchronously.

export const RESTRICTION_KINDS = ['ips', 'methods', 'paths', 'hosts'] as const;
export type RestrictionKind = (typeof RESTRICTION_KINDS)[number];

const MAX_ENTRIES = 100;

/** A glob picomatch compiles with balanced brackets, braces and parentheses. */
function compiles(glob: string): boolean {
  try {
    picomatch.makeRe(glob, { strictBrackets: true, dot: true });
    return true;
  } catch {
    return false;
  }
}

const list = <T extends z.ZodType>(item: T) => z.array(item).min(1, 'give at least one entry, or leave the restriction out').max(MAX_ENTRIES, `at most ${MAX_ENTRIES} entries`);

/** Body field `restrictions` (creation and PATCH): every list optional; an invalid entry is a 422 naming it. */
export const restrictionsInput = z.strictObject({
  ips: list(cidrSchema).optional(),
  methods: list(
    z
      .string()
      .trim()
      .regex(/^[A-Za-z]{1,20}$/, 'expected an HTTP method, e.g. GET')
      .transform((v) => v.toUpperCase()),
  ).optional(),
  paths: list(
    z
      .string()
      .max(300, 'at most 300 characters')
      .regex(/^\/[^\s\p{Cc}]*$/u, 'expected a path glob starting with /, e.g. /v1/**')
      .refine(compiles, 'not a valid glob (unbalanced brackets or braces)'),
  ).optional(),
  hosts: list(
    z
      .string()
      .trim()
      .toLowerCase()
      .max(253, 'at most 253 characters')
      .regex(/^[a-z0-9.*?[\]{},-]+$/, 'expected a host name glob, e.g. *.example.org')
      .refine(compiles, 'not a valid glob (unbalanced brackets or braces)'),
  ).optional(),
});
export type RestrictionsInput = z.output<typeof restrictionsInput>;

/** Only the lists that are set, so `{}` means "no restrictions" wherever it is stored or shown. */
export function normalizeRestrictions(input: RestrictionsInput | undefined): RestrictionsInput {
  const out: RestrictionsInput = {};
  for (const kind of RESTRICTION_KINDS) {
    const entries = input?.[kind];
    if (entries && entries.length > 0) out[kind] = [...new Set(entries)];
  }
  return out;
}

export function hasRestrictions(restrictions: RestrictionsInput): boolean {
  return RESTRICTION_KINDS.some((kind) => restrictions[kind] !== undefined);
}

const UNKNOWN_METHOD: UnknownPart = Object.freeze({ unknown: 'method' });
const UNKNOWN_HOST: UnknownPart = Object.freeze({ unknown: 'host' });

/**
 * The stored restrictions made into a check; undefined when there are none (the common case costs
 * nothing). Stored entries were validated on the way in; one that no longer parses matches nothing.
 */
export function compileRestrictions(stored: RestrictionsInput): UsageRestrictions | undefined {
  if (!hasRestrictions(stored)) return undefined;
  const ips = stored.ips ? blockListOf(stored.ips) : undefined;
  const methods = stored.methods ? new Set(stored.methods) : undefined;
  const paths = stored.paths ? picomatch(stored.paths, { dot: true }) : undefined;
  const hosts = stored.hosts ? picomatch(stored.hosts, { dot: true, nocase: true }) : undefined;
  const needsOriginal = methods !== undefined || paths !== undefined || hosts !== undefined;
  return Object.freeze({
    refusal(clientAddress: string | undefined, original: OriginalRequest | undefined): RestrictionKind | UnknownPart | undefined {
      if (ips && !addressIn(ips, clientAddress)) return 'ips';
      if (!needsOriginal) return undefined;
      // A part the proxy did not name is refused as unknown, never judged on a default (fail closed).
      if (methods && original && original.method === undefined) return UNKNOWN_METHOD;
      if (methods && !(original?.method && methods.has(original.method.toUpperCase()))) return 'methods';
      if (paths && !(original?.path.ok && paths(original.path.path))) return 'paths';
      if (hosts && original && original.host === undefined) return UNKNOWN_HOST;
      if (hosts && !(original?.host && hosts(original.host))) return 'hosts';
      return undefined;
    },
    // Identity-only callers (whoami, introspection callers) name no request; checks must (fail closed).
    identityRefusal(clientAddress: string | undefined): 'ips' | undefined {
      return ips && !addressIn(ips, clientAddress) ? 'ips' : undefined;
    },
  });
}

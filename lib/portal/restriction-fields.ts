import type { RestrictionKind } from '../tokens/restrictions';

// What the restriction fields say, shared by the form fields (client) and the read-only view (server).

export const restrictionField = (kind: RestrictionKind) => `restrictions.${kind}` as const;

export const RESTRICTION_FIELDS: ReadonlyArray<{ kind: RestrictionKind; label: string; hint: string }> = [
  { kind: 'ips', label: 'Client addresses', hint: 'IP addresses or CIDR ranges, e.g. 192.0.2.0/24 or 2001:db8::/32.' },
  { kind: 'methods', label: 'HTTP methods', hint: 'e.g. GET, HEAD.' },
  { kind: 'paths', label: 'Paths', hint: 'Globs starting with /, e.g. /v1/** (* stays within one segment).' },
  { kind: 'hosts', label: 'Hosts', hint: 'Host name globs, e.g. api.example.org or *.example.org.' },
];

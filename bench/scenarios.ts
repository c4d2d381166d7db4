// What the benchmark measures, as data: bench/run.ts runs each list the way its kind says.

/** The credentials a run makes (seeded tokens, the plain user, IdP JWTs, garbage, guesses). */
export interface Credentials {
  seeded(n: number): string;
  basic: string;
  jwts: string[];
  garbage: string[];
  wrongSecret: string[];
  /** Distinct seeded tokens, none verified before: each request a cold one. */
  cold: string[];
}

/** nginx locations (bench/nginx.ts): `/<name>/` is protected by a sub-request to `uri` on `upstream`. */
export const LOCATIONS = [
  { name: 'gateway', upstream: 'app', uri: '/api/authenticate' },
  { name: 'workers', upstream: 'workers', uri: '/api/authenticate' },
  { name: 'next', upstream: 'framework', uri: '/api/ping' },
  { name: 'bare', upstream: 'bare', uri: '/' },
  { name: 'bare_body', upstream: 'bare', uri: '/with-body' },
  { name: 'bare_jwt', upstream: 'bare', uri: '/with-jwt' },
  { name: 'canned', upstream: 'canned', uri: '/' },
] as const;

export type Location = (typeof LOCATIONS)[number]['name'];
/** Whose CPU a row reports: the app (one process), the app with `server.workers: 2`, the baselines. */
export type Server = 'app' | 'workers' | 'bare' | 'canned' | 'framework';

/** One long run each, at the start: the table's fixed points. */
export interface Baseline {
  name: string;
  location: Location;
  server: Server;
  role?: 'bare' | 'next';
}

export const BASELINES: Baseline[] = [
  // The reference of every ratio (issue 14): 200, a JWT-sized Authorization, no body. First, so the rows below have it.
  { name: 'baseline: nginx → bare Node 200 with a JWT-sized Authorization', location: 'bare_jwt', server: 'bare', role: 'bare' },
  { name: 'bare Node 200, a short Authorization', location: 'bare', server: 'bare' },
  { name: 'bare Node 200 with a JSON body (no upstream keepalive)', location: 'bare_body', server: 'bare' },
  { name: 'baseline: nginx → Next.js route', location: 'next', server: 'framework', role: 'next' },
];

/**
 * Cached checks: rounds paired with bare Node answering 200 with a JWT-sized Authorization and no
 * body, given the same requests. `canned` marks the canned socket answer, whose ratio the other rows
 * are divided by for "× canned".
 */
export interface PairedScenario {
  name: string;
  expect: number;
  location: Location;
  /** Path under the location (the policy's 403 asks under /admin/). */
  path?: string;
  server: Server;
  headers(c: Credentials): string[];
  canned?: true;
}

export const PAIRED: PairedScenario[] = [
  { name: 'control: bare Node beside bare Node', expect: 200, location: 'bare_jwt', server: 'bare', headers: () => ['-'] },
  { name: 'floor: canned answer written to the socket', expect: 200, location: 'canned', server: 'canned', headers: () => ['-'], canned: true },
  { name: 'opaque token, warm cache', expect: 200, location: 'gateway', server: 'app', headers: (c) => [c.seeded(1)] },
  { name: 'opaque token, warm cache, server.workers: 2', expect: 200, location: 'workers', server: 'workers', headers: (c) => [c.seeded(1)] },
  { name: 'Basic plain user (cached)', expect: 200, location: 'gateway', server: 'app', headers: (c) => [c.basic] },
  { name: 'IdP JWT via JWKS', expect: 200, location: 'gateway', server: 'app', headers: (c) => c.jwts },
  { name: 'garbage token (bad checksum) → 401', expect: 401, location: 'gateway', server: 'app', headers: (c) => c.garbage },
  { name: 'policy denies → 403', expect: 403, location: 'gateway', path: '/admin/x', server: 'app', headers: (c) => [c.basic] },
];

/** Each request a token never verified before: argon2 and the database on every one. */
export interface ColdScenario {
  name: string;
  location: Location;
  server: Server;
}

export const COLD: ColdScenario[] = [
  { name: 'opaque token, cold (each request a new token)', location: 'gateway', server: 'app' },
  { name: 'opaque token, cold, server.workers: 2', location: 'workers', server: 'workers' },
];

/** wrk straight at the server and at bare Node (no nginx), for the server's own CPU per check. */
export interface DirectCase {
  name: string;
  originalUri: string;
  headers(c: Credentials): string[];
}

export const DIRECT: DirectCase[] = [
  { name: 'opaque token', originalUri: '/x', headers: (c) => [c.seeded(1)] },
  { name: 'Basic', originalUri: '/x', headers: (c) => [c.basic] },
  { name: 'IdP JWT', originalUri: '/x', headers: (c) => c.jwts },
  { name: 'garbage 401', originalUri: '/x', headers: (c) => c.garbage },
  { name: 'policy 403', originalUri: '/gateway/admin/x', headers: (c) => [c.basic] },
];

/** Valid users (two of whose tokens are under attack) alone, and beside a flood of garbage and guessed secrets. */
export const FLOOD = {
  valid: (c: Credentials) => [c.seeded(1), c.seeded(2), c.seeded(50), c.basic, ...c.jwts.slice(0, 3)],
  attack: (c: Credentials) => [...c.garbage, ...c.wrongSecret],
};

/** The mixed load over the seeded database. */
export const MIXED = (c: Credentials) => [
  ...Array.from({ length: 50 }, (_, i) => c.seeded(100 + (i % 200))),
  ...Array.from({ length: 20 }, () => c.basic),
  ...c.jwts.slice(0, 15),
  ...c.garbage.slice(0, 15),
];

// `node --import tsx --import ./scripts/server-only-hook.mjs bench/hot-handle.ts`: the gateway's own
// work for a cached check (runtime.http.handle, no socket), per kind of credential, in µs.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { ensureUser } from '../db/users';
import { loadConfig } from '../lib/config/load';
import { hashSecret } from '../lib/crypto/secrets';
import { isPending } from '../lib/gateway/maybe';
import type { GatewayRequest } from '../lib/gateway/types';
import { createLogger } from '../lib/log/logger';
import { createRuntime } from '../lib/runtime';

const dir = mkdtempSync(path.join(tmpdir(), 'aot-hot-'));
const config = {
  providers: [
    { type: 'plain', name: 'users', realm: 'local', users: [{ username: 'alice', password_hash: await hashSecret('alice-pw'), roles: ['user'] }] },
    { type: 'tokens', name: 'tokens' },
  ],
  services: [{ name: 'polytope', scopes: ['read', 'write'] }],
  portal: { realm: 'local' },
  policies: [{ match: { path: '/*/admin/**' }, require: { roles_any: ['admin'] } }],
  jwt: { iss: 'bench', aud: 'backend', exp: 300 },
  database: { path: path.join(dir, 'db') },
};
writeFileSync(path.join(dir, 'config.yaml'), stringify(config));
const runtime = await createRuntime(loadConfig({ AOT_CONFIG_PATH: path.join(dir, 'config.yaml') }), createLogger({ level: 'silent', format: 'json' }));
const basic = `Basic ${Buffer.from('alice:alice-pw').toString('base64')}`;
const request = (authorization: string): GatewayRequest => {
  const headers: Record<string, string> = { authorization, 'x-original-uri': '/gateway/x', 'x-original-method': 'GET', 'x-original-host': 'x', host: 'x' };
  return { method: 'GET', path: '/api/authenticate', header: (name) => headers[name], remoteAddress: '127.0.0.1' };
};
const owner = await ensureUser(runtime.database.db, { realm: 'local', username: 'alice', roles: ['user'] });
const created = await runtime.tokens.create({ userId: owner.id, realm: 'local', username: 'alice', isAdmin: false }, { name: 'hot', scopes: ['polytope:read'] });
const cases = { basic: request(basic), token: request(`Bearer ${created.secret}`), none: request('') };
for (const r of Object.values(cases)) {
  const first = runtime.http.handle(r);
  if (isPending(first)) await first;
}
for (let round = 0; round < 3; round++) {
  for (const [name, r] of Object.entries(cases)) {
    const n = 200_000;
    const started = performance.now();
    for (let i = 0; i < n; i++) {
      const answer = runtime.http.handle(r);
      if (isPending(answer)) throw new Error(`${name}: not answered from memory`);
    }
    console.log(`${name.padEnd(6)} ${(((performance.now() - started) / n) * 1000).toFixed(2)} µs`);
  }
}
await runtime.close();

import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app';
import { authenticate, waitForOutput } from '../support/gateway-client';
import { freePort, startSlapd, type Slapd } from '../support/slapd';

const S = 'dc=example,dc=org';
const person = (cn: string) => `dn: cn=${cn},ou=people,${S}
objectClass: inetOrgPerson
cn: ${cn}
sn: ${cn}
uid: ${cn}
`;
const group = (dn: string, members: string[]) => `dn: ${dn}
objectClass: groupOfNames
cn: ${/^cn=([^,]+)/.exec(dn)?.[1] ?? ''}
${members.map((m) => `member: cn=${m},ou=people,${S}`).join('\n')}
`;
const ou = (dn: string) => `dn: ${dn}
objectClass: organizationalUnit
ou: ${/^ou=([^,]+)/.exec(dn)?.[1] ?? ''}
`;
const LDIF = [
  person('alice'),
  person('bob'),
  person('erin'),
  person('dave'),
  group(`cn=admins,ou=groups,${S}`, ['alice']),
  group(`cn=readers,ou=groups,${S}`, ['alice', 'bob', 'erin']),
  ou(`ou=TeamA,ou=groups,${S}`),
  ou(`ou=TeamB,ou=TeamA,ou=groups,${S}`),
  group(`cn=forecasters,ou=TeamB,ou=TeamA,ou=groups,${S}`, ['alice', 'bob']),
].join('\n');

const USERS = ['alice', 'bob', 'erin', 'dave', 'carol', '*)(uid=*', 'alice*'];
const basic = (username: string, realm: string) => ({
  Authorization: `Basic ${Buffer.from(`${username}:pw-${username}`).toString('base64')}`,
  'X-Auth-Realm': realm,
});

let slapd: Slapd;
let app: RunningApp;
let silent: Server;
const sockets: Socket[] = [];

beforeAll(async () => {
  slapd = await startSlapd(LDIF);
  // An LDAP "server" that accepts connections and never answers.
  silent = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const silentPort = (silent.address() as { port: number }).port;
  const ldap = (realm: string, uri: string, extra: Record<string, unknown> = {}) => ({
    type: 'ldap',
    name: `ldap-${realm}`,
    realm,
    uri,
    search_base: `ou=people,${S}`,
    bind_dn: slapd.bindDn,
    ldap_password: slapd.password,
    ...extra,
  });
  const realms = ['all', 'filtered', 'tree', 'down', 'hang', 'badbind'];
  app = await startApp({
    config: {
      auth: { timeout_in_ms: 1000 },
      providers: realms.map((realm) => ({
        type: 'plain',
        name: `users-${realm}`,
        realm,
        users: USERS.map((u) => ({ username: u, password: `pw-${u}`, roles: ['staff'] })),
      })),
      augmenters: [
        ldap('all', slapd.url),
        ldap('filtered', slapd.url, { filter: 'ou=TeamA' }),
        ldap('tree', slapd.url, { filters: ['OU=TeamA', 'OU=TeamB'] }),
        ldap('down', `ldap://127.0.0.1:${await freePort()}`),
        ldap('hang', `ldap://127.0.0.1:${silentPort}`),
        { ...ldap('badbind', slapd.url), ldap_password: 'wrong-bind-password' },
      ],
    },
  });
});

afterAll(async () => {
  await app?.stop();
  await slapd?.stop();
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => (silent ? silent.close(resolve) : resolve(undefined)));
});

const rolesOf = async (username: string, realm: string) => {
  const answer = await authenticate(app.url, basic(username, realm));
  expect(answer.status).toBe(200);
  return answer.claims?.roles ?? [];
};

describe('ldap augmenter against slapd', () => {
  it('reuses one bound connection for many lookups', async () => {
    const before = slapd.connections();
    expect(await rolesOf('alice', 'all')).toEqual(['staff', 'admins', 'readers', 'forecasters']);
    expect(await rolesOf('bob', 'all')).toEqual(['staff', 'readers', 'forecasters']);
    expect(await rolesOf('dave', 'all')).toEqual(['staff']);
    expect(await rolesOf('carol', 'all')).toEqual(['staff']); // no LDAP entry
    await expect.poll(() => slapd.connections() - before).toBe(1); // slapd's log reaches us a little later
  });

  it('filter: keeps groups whose DN contains it, as their CN', async () => {
    expect(await rolesOf('alice', 'filtered')).toEqual(['staff', 'forecasters']);
  });

  it('filters: hierarchical roles from DN fragments', async () => {
    expect(await rolesOf('alice', 'tree')).toEqual(['staff', '/TeamA/TeamB/forecasters', '/TeamB/forecasters']);
  });

  it('escapes the username: filter injection finds nothing', async () => {
    expect(await rolesOf('*)(uid=*', 'all')).toEqual(['staff']);
    expect(await rolesOf('alice*', 'all')).toEqual(['staff']);
    await waitForOutput(slapd.log, '(cn=\\2A\\29\\28uid=\\2A)'); // what slapd received, escaped
  });

  it('an unreachable, silent or refusing LDAP server is logged, and the request still succeeds', async () => {
    for (const realm of ['down', 'hang', 'badbind']) {
      const started = Date.now();
      expect(await rolesOf('alice', realm)).toEqual(['staff']);
      expect(Date.now() - started).toBeLessThan(3_000);
      await waitForOutput(app.output, new RegExp(`"augmenter":"ldap-${realm}".*augmenter failed`));
    }
  });

  it('serves cached roles while LDAP is down, and logs the failure for others', async () => {
    await slapd.stop();
    expect(await rolesOf('alice', 'all')).toEqual(['staff', 'admins', 'readers', 'forecasters']); // cached 120 s
    expect(await rolesOf('erin', 'all')).toEqual(['staff']); // never looked up: failure, no roles
    await waitForOutput(app.output, /"augmenter":"ldap-all".*augmenter failed/);
  });

  it('never logs the bind password', () => {
    expect(app.output()).not.toContain(slapd.password);
    expect(app.output()).not.toContain('wrong-bind-password');
  });
});

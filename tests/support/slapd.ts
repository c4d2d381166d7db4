import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { stopProcess } from './app';

const run = promisify(execFile);

export const SLAPD_SUFFIX = 'dc=example,dc=org';
const ROOT_DN = `cn=admin,${SLAPD_SUFFIX}`;
const ROOT_PASSWORD = 'slapd-root-password';

/** A real OpenLDAP server on a free loopback port, with the memberof overlay and a read-only service account. */
export interface Slapd {
  url: string;
  port: number;
  suffix: string;
  /** The service account the augmenter binds as. */
  bindDn: string;
  password: string;
  /** Connections slapd accepted so far (from its stats log). */
  connections(): number;
  log(): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function slapdConf(dir: string): string {
  return [
    'include /etc/ldap/schema/core.schema',
    'include /etc/ldap/schema/cosine.schema',
    'include /etc/ldap/schema/inetorgperson.schema',
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    'moduleload memberof',
    `pidfile ${dir}/slapd.pid`,
    // The service account may read, nobody else (anonymous binds see nothing).
    'access to attrs=userPassword by self write by anonymous auth by * none',
    'access to * by users read by * none',
    'database mdb',
    'maxsize 10485760',
    `suffix "${SLAPD_SUFFIX}"`,
    `rootdn "${ROOT_DN}"`,
    `rootpw ${ROOT_PASSWORD}`,
    `directory ${dir}/db`,
    // memberOf on a person is maintained from the groups' `member` values, as in production directories.
    'overlay memberof',
    '',
  ].join('\n');
}

const BASE_LDIF = `dn: ${SLAPD_SUFFIX}
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=people,${SLAPD_SUFFIX}
objectClass: organizationalUnit
ou: people

dn: ou=groups,${SLAPD_SUFFIX}
objectClass: organizationalUnit
ou: groups

dn: cn=gateway,${SLAPD_SUFFIX}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: gateway
userPassword: gateway-bind-password
`;

/** Starts slapd with the base tree plus `ldif` (people first, then groups: the overlay needs the members to exist). */
export async function startSlapd(ldif: string): Promise<Slapd> {
  const dir = mkdtempSync(path.join(tmpdir(), 'aot-slapd-'));
  mkdirSync(path.join(dir, 'db'));
  writeFileSync(path.join(dir, 'slapd.conf'), slapdConf(dir));
  writeFileSync(path.join(dir, 'data.ldif'), `${BASE_LDIF}\n${ldif}`);
  const port = await freePort();
  const url = `ldap://127.0.0.1:${port}`;
  // -d 256 keeps slapd in the foreground and logs connections and operations (stats).
  const child: ChildProcess = spawn('/usr/sbin/slapd', ['-f', path.join(dir, 'slapd.conf'), '-h', `${url}/`, '-d', '256'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout?.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (log += c.toString()));
  const stop = async () => {
    await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, child, () => log);
    await run('ldapadd', ['-x', '-H', url, '-D', ROOT_DN, '-w', ROOT_PASSWORD, '-f', path.join(dir, 'data.ldif')]);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    port,
    suffix: SLAPD_SUFFIX,
    bindDn: `cn=gateway,${SLAPD_SUFFIX}`,
    password: 'gateway-bind-password',
    connections: () => (log.match(/ ACCEPT from /g) ?? []).length,
    log: () => log,
    stop,
  };
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`slapd exited with ${child.exitCode}:\n${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`slapd did not listen in 15 s:\n${log()}`);
}

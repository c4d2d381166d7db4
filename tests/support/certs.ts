import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const openssl = (args: string[]) => run('openssl', args);

/** A test CA made with the openssl CLI in a temp dir (never committed), able to issue client certificates. */
export interface TestCa {
  /** PEM of the CA certificate. */
  pem: string;
  /** Path of that PEM file. */
  file: string;
  issue(options: IssueOptions): Promise<string>;
}

export interface IssueOptions {
  subject: string;
  /** OpenSSL extension lines; defaults to a normal client certificate. */
  extensions?: string[];
  /** `YYYYMMDDHHMMSSZ` */
  startDate?: string;
  endDate?: string;
}

export const CLIENT_EXTENSIONS = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=clientAuth'];

export interface CertWorkspace {
  dir: string;
  createCa(name: string): Promise<TestCa>;
  /** A self-signed certificate that claims to be a client certificate. */
  selfSigned(subject: string): Promise<string>;
  cleanup(): void;
}

export function certWorkspace(): CertWorkspace {
  const dir = mkdtempSync(path.join(tmpdir(), 'aot-certs-'));
  let counter = 0;
  const file = (name: string) => path.join(dir, name);

  async function newKeyAndCsr(subject: string): Promise<string> {
    counter += 1;
    const base = `leaf${counter}`;
    await openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', file(`${base}.key`), '-out', file(`${base}.csr`), '-subj', subject]);
    return base;
  }

  return {
    dir,
    async createCa(name) {
      const caDir = file(name);
      mkdirSync(path.join(caDir, 'new'), { recursive: true });
      writeFileSync(path.join(caDir, 'index.txt'), '');
      writeFileSync(path.join(caDir, 'serial'), '1000\n');
      const caPem = path.join(caDir, 'ca.pem');
      await openssl([
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '30',
        '-keyout',
        path.join(caDir, 'ca.key'),
        '-out',
        caPem,
        '-subj',
        `/O=Auth-O-Tron tests/CN=${name}`,
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ]);
      // `openssl ca` (unlike `x509 -req` in OpenSSL 3.0) can set arbitrary start and end dates.
      writeFileSync(
        path.join(caDir, 'ca.cnf'),
        [
          '[ca]',
          'default_ca = test_ca',
          '[test_ca]',
          `database = ${caDir}/index.txt`,
          `new_certs_dir = ${caDir}/new`,
          `certificate = ${caPem}`,
          `private_key = ${caDir}/ca.key`,
          `serial = ${caDir}/serial`,
          'default_md = sha256',
          'default_days = 10',
          'policy = policy_any',
          'unique_subject = no',
          'email_in_dn = yes',
          'copy_extensions = none',
          '[policy_any]',
          'commonName = optional',
          'emailAddress = optional',
          'organizationName = optional',
          '',
        ].join('\n'),
      );
      return {
        pem: readFileSync(caPem, 'utf8'),
        file: caPem,
        async issue({ subject, extensions = CLIENT_EXTENSIONS, startDate, endDate }) {
          const base = await newKeyAndCsr(subject);
          writeFileSync(file(`${base}.ext`), `${extensions.join('\n')}\n`);
          await openssl([
            'ca',
            '-batch',
            '-notext',
            '-config',
            path.join(caDir, 'ca.cnf'),
            '-in',
            file(`${base}.csr`),
            '-out',
            file(`${base}.pem`),
            '-extfile',
            file(`${base}.ext`),
            ...(startDate ? ['-startdate', startDate] : []),
            ...(endDate ? ['-enddate', endDate] : []),
          ]);
          return readFileSync(file(`${base}.pem`), 'utf8');
        },
      };
    },
    async selfSigned(subject) {
      counter += 1;
      const base = `self${counter}`;
      await openssl([
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '10',
        '-keyout',
        file(`${base}.key`),
        '-out',
        file(`${base}.pem`),
        '-subj',
        subject,
        '-addext',
        'basicConstraints=critical,CA:FALSE',
        '-addext',
        'keyUsage=critical,digitalSignature',
        '-addext',
        'extendedKeyUsage=clientAuth',
      ]);
      return readFileSync(file(`${base}.pem`), 'utf8');
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** What nginx puts in `$ssl_client_escaped_cert`. */
export const escapePem = (pem: string) => encodeURIComponent(pem);

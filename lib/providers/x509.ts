import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ProviderConfig } from '../config/schema';
import { accept, refuseForm, refuseSecret } from '../gateway/outcomes';
import type { Credential, Provider, ProviderOutcome } from '../gateway/types';
import { keyUsageOf } from './x509-der';

type X509Config = Extract<ProviderConfig, { type: 'x509' }>;

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0';
/** An escaped PEM certificate is a few KB; anything far larger is not one. */
const MAX_ESCAPED_LENGTH = 32 * 1024;

/**
 * TLS client certificates that nginx verified and forwards URL-encoded in `X-SSL-Client-Cert`. We check
 * again: issued and signed by a certificate of the `ca` bundle, within its validity dates, meant for
 * client authentication; then map subject CN, e-mail or SHA-256 fingerprint to the username.
 */
export class X509Provider implements Provider {
  readonly type = 'x509';
  readonly schemes = ['ClientCert'] as const;
  readonly name: string;
  readonly realm: string;
  private readonly issuers: X509Certificate[];
  private readonly users: Map<string, string> | undefined;

  constructor(private readonly config: X509Config) {
    this.name = config.name;
    this.realm = config.realm;
    this.issuers = loadBundle(config.ca).filter((c) => c.ca);
    if (this.issuers.length === 0) throw new Error(`provider ${config.name}: "ca" holds no CA certificate`);
    this.users = config.users ? new Map(Object.entries(config.users).map(([key, username]) => [this.normaliseKey(key), username])) : undefined;
  }

  async verify(credential: Credential): Promise<ProviderOutcome> {
    const certificate = parseForwarded(credential.value);
    // Not even a certificate: refused on its form, at once (no failure delay).
    if (!certificate) return refuseForm('malformed client certificate');
    const problem = this.problemWith(certificate);
    if (problem) return refuseSecret(problem);

    const value = this.identifyingValue(certificate);
    if (!value) return refuseSecret(`client certificate has no ${this.config.username_from}`);
    const username = this.users ? this.users.get(this.normaliseKey(value)) : value;
    if (!username) return refuseSecret('client certificate is not mapped to a user');
    const email = emailOf(certificate);
    return accept({
      username,
      realm: this.realm,
      roles: [...this.config.roles],
      attributes: { 'x509-fingerprint': fingerprintOf(certificate), ...(email ? { email } : {}) },
      expiresAt: Math.floor(Date.parse(certificate.validTo) / 1000),
    });
  }

  private problemWith(certificate: X509Certificate): string | undefined {
    const now = Date.now();
    if (!(Date.parse(certificate.validFrom) <= now)) return 'client certificate not yet valid';
    if (!(now <= Date.parse(certificate.validTo))) return 'client certificate expired';
    if (certificate.ca) return 'a CA certificate is not a client certificate';
    const issuer = this.issuers.find((ca) => certificate.checkIssued(ca) && certificate.verify(ca.publicKey));
    if (!issuer) return 'client certificate not issued by a trusted CA';
    if (!(Date.parse(issuer.validFrom) <= now && now <= Date.parse(issuer.validTo))) return 'issuing CA certificate is not valid now';
    const extended = certificate.keyUsage; // Node names the extended key usage "keyUsage"
    if (extended && !extended.includes(CLIENT_AUTH) && !extended.includes(ANY_EXTENDED_KEY_USAGE)) return 'certificate not meant for client authentication';
    try {
      const usage = keyUsageOf(certificate.raw);
      if (usage && !usage.digitalSignature && !usage.keyAgreement) return 'certificate key usage does not allow signing';
    } catch {
      return 'malformed certificate extensions';
    }
    return undefined;
  }

  private identifyingValue(certificate: X509Certificate): string | undefined {
    switch (this.config.username_from) {
      case 'cn':
        return subjectField(certificate.subject, 'CN');
      case 'email':
        return emailOf(certificate);
      case 'fingerprint':
        return fingerprintOf(certificate);
    }
  }

  /** Fingerprints match with or without colons, in any case. */
  private normaliseKey(key: string): string {
    return this.config.username_from === 'fingerprint' ? key.replace(/:/g, '').toLowerCase() : key;
  }
}

/** `ca` is PEM text or the path of a PEM file; every certificate in it is a trusted issuer. */
function loadBundle(ca: string): X509Certificate[] {
  const pem = ca.includes('-----BEGIN') ? ca : readFileSync(ca, 'utf8');
  return (pem.match(PEM_CERTIFICATE) ?? []).map((block) => new X509Certificate(block));
}

/** nginx's `$ssl_client_escaped_cert`: the URL-encoded PEM of the leaf certificate. */
function parseForwarded(value: string): X509Certificate | undefined {
  if (value.length > MAX_ESCAPED_LENGTH) return undefined;
  try {
    const pem = decodeURIComponent(value).match(PEM_CERTIFICATE)?.[0];
    return pem ? new X509Certificate(pem) : undefined;
  } catch {
    return undefined;
  }
}

/** A field of Node's subject text (`C=GB\nO=ECMWF\nCN=alice`); the last one, the most specific, wins. */
function subjectField(subject: string, field: string): string | undefined {
  const values = subject
    .split('\n')
    .filter((line) => line.startsWith(`${field}=`))
    .map((line) => line.slice(field.length + 1));
  return values.at(-1) || undefined;
}

/** The first e-mail subject alternative name, else the subject's emailAddress. */
function emailOf(certificate: X509Certificate): string | undefined {
  const san = /(?:^|, )email:("(?:[^"\\]|\\.)*"|[^,]+)/.exec(certificate.subjectAltName ?? '')?.[1];
  if (san) {
    try {
      return san.startsWith('"') ? (JSON.parse(san) as string) : san;
    } catch {
      return undefined;
    }
  }
  return subjectField(certificate.subject, 'emailAddress');
}

function fingerprintOf(certificate: X509Certificate): string {
  return certificate.fingerprint256.replace(/:/g, '').toLowerCase();
}

import type { ProviderConfig } from '../config/schema';
import type { MaybePromise } from '../gateway/maybe';
import type { Credential, Provider, ProviderOutcome } from '../gateway/types';
import { verifierFor, type JwtVerifier } from './jwt-verifier';

type JwtConfig = Extract<ProviderConfig, { type: 'jwt' }>;

/** Bearer JWTs from an identity provider, checked against its JWKS (`cert_uri`). */
export class JwtProvider implements Provider {
  readonly type = 'jwt';
  readonly schemes = ['Bearer'] as const;
  readonly name: string;
  readonly realm: string;
  private readonly verifier: JwtVerifier;

  constructor(config: JwtConfig, timeoutMs: number) {
    this.name = config.name;
    this.realm = config.realm;
    this.verifier = verifierFor(config, timeoutMs);
  }

  claims(credential: Credential): boolean {
    return this.verifier.claims(credential.value, () => credential.key);
  }

  verify(credential: Credential): MaybePromise<ProviderOutcome> {
    return this.verifier.verify(credential.value, credential.key);
  }
}

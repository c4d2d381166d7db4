import type { Config, ProviderConfig } from '../config/schema';
import type { Provider } from '../gateway/types';
import { EcmwfApiProvider } from './ecmwf-api';
import { EfasApiProvider } from './efas-api';
import { JwtProvider } from './jwt';
import { OpenIdOfflineProvider } from './openid-offline';
import { PlainProvider } from './plain';
import { TokenGeneratorProvider } from './token-generator';
import { X509Provider } from './x509';
import { TokensProvider } from './tokens';
import type { Database } from '../../db/client';
import type { WorkQueue } from '../crypto/work-queue';
import type { LastUsedRecorder } from '../tokens/last-used';

export interface ProviderDependencies {
  config: Config;
  database: Database;
  /** Shared bound on argon2 work across providers. */
  argon2: WorkQueue;
  /** One slot for credentials someone is guessing at. */
  suspectArgon2: WorkQueue;
  lastUsed: LastUsedRecorder;
}

export function createProvider(config: ProviderConfig, deps: ProviderDependencies): Provider {
  const timeoutMs = deps.config.auth.timeout_in_ms;
  switch (config.type) {
    case 'plain':
      return new PlainProvider(config, deps.argon2, deps.suspectArgon2);
    case 'tokens':
      return new TokensProvider({
        name: config.name,
        realm: config.realm ?? deps.config.portal?.realm,
        prefix: deps.config.tokens.prefix,
        cacheTtlSeconds: deps.config.tokens.cache_ttl,
        database: deps.database,
        argon2: deps.argon2,
        suspectArgon2: deps.suspectArgon2,
        lastUsed: deps.lastUsed,
      });
    case 'jwt':
      return new JwtProvider(config, timeoutMs);
    case 'ecmwf-api':
      return new EcmwfApiProvider(config, timeoutMs);
    case 'efas-api':
      return new EfasApiProvider(config, timeoutMs);
    case 'ecmwf-token-generator':
      return new TokenGeneratorProvider(config, timeoutMs);
    case 'openid-offline':
      return new OpenIdOfflineProvider(config, timeoutMs);
    case 'x509':
      return new X509Provider(config);
  }
}

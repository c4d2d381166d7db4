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
import type { Lanes } from '../guard/lanes';
import type { Logger } from '../log/logger';
import type { Metrics } from '../metrics/registry';
import type { LastUsedRecorder } from '../tokens/last-used';

export interface ProviderDependencies {
  config: Config;
  database: Database;
  /** Where argon2 runs, shared by every provider that checks secrets. */
  lanes: Lanes;
  lastUsed: LastUsedRecorder;
  metrics: Metrics;
  logger: Logger;
}

export function createProvider(config: ProviderConfig, deps: ProviderDependencies): Provider {
  const timeoutMs = deps.config.auth.timeout_in_ms;
  const onArgon2 = (lane: string) => deps.metrics.argon2Verifications(config.name, lane).inc();
  switch (config.type) {
    case 'plain':
      return new PlainProvider(config, deps.lanes, { onArgon2 });
    case 'tokens':
      return new TokensProvider({
        name: config.name,
        realm: config.realm ?? deps.config.portal?.realm,
        prefix: deps.config.tokens.prefix,
        cacheTtlSeconds: deps.config.tokens.cache_ttl,
        hash: deps.config.tokens.hash,
        database: deps.database,
        lanes: deps.lanes,
        lastUsed: deps.lastUsed,
        logger: deps.logger,
        onArgon2,
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

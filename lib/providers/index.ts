import type { Config, ProviderConfig } from '../config/schema';
import type { Provider } from '../gateway/types';
import { JwtProvider } from './jwt';
import { PlainProvider } from './plain';
import { TokensProvider } from './tokens';
import type { Database } from '../../db/client';
import type { WorkQueue } from '../crypto/work-queue';
import type { LastUsedRecorder } from '../tokens/last-used';

export interface ProviderDependencies {
  config: Config;
  database: Database;
  /** Shared bound on argon2 work across providers. */
  argon2: WorkQueue;
  lastUsed: LastUsedRecorder;
}

export function createProvider(config: ProviderConfig, deps: ProviderDependencies): Provider {
  const timeoutMs = deps.config.auth.timeout_in_ms;
  switch (config.type) {
    case 'plain':
      return new PlainProvider(config, deps.argon2);
    case 'tokens':
      return new TokensProvider({
        name: config.name,
        realm: config.realm ?? deps.config.portal?.realm,
        prefix: deps.config.tokens.prefix,
        cacheTtlSeconds: deps.config.tokens.cache_ttl,
        database: deps.database,
        argon2: deps.argon2,
        lastUsed: deps.lastUsed,
      });
    case 'jwt':
      return new JwtProvider(config, timeoutMs);
    default:
      return new UnsupportedProvider(config);
  }
}

/** Loads from config but cannot verify yet: answers "unavailable" so nothing is wrongly refused or accepted. */
class UnsupportedProvider implements Provider {
  readonly schemes = ['Bearer'] as const;
  readonly name: string;
  readonly type: string;
  readonly realm: string | undefined;

  constructor(config: ProviderConfig) {
    this.name = config.name;
    this.type = config.type;
    this.realm = config.realm;
  }

  async verify() {
    return { status: 'unavailable' as const, reason: `provider type ${this.type} is not supported in this version` };
  }
}

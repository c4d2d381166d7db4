import type { Config, ProviderConfig } from '../config/schema';
import type { Provider } from '../gateway/types';
import { EcmwfApiProvider } from './ecmwf-api';
import { EfasApiProvider } from './efas-api';
import { JwtProvider } from './jwt';
import { OpenIdOfflineProvider } from './openid-offline';
import { PlainProvider } from './plain';
import { TokenGeneratorProvider } from './token-generator';
import { X509Provider } from './x509';

export interface ProviderDependencies {
  config: Config;
}

export function createProvider(config: ProviderConfig, deps: ProviderDependencies): Provider {
  const timeoutMs = deps.config.auth.timeout_in_ms;
  switch (config.type) {
    case 'plain':
      return new PlainProvider(config);
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

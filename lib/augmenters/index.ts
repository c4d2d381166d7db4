import type { AugmenterConfig } from '../config/schema';
import type { Augmenter } from '../gateway/types';
import { LdapAugmenter } from './ldap';
import { PlainAdvancedAugmenter, PlainAugmenter } from './plain';

export interface AugmenterDependencies {
  /** `auth.timeout_in_ms`: the limit of each network operation. */
  timeoutMs: number;
}

export function createAugmenter(config: AugmenterConfig, deps: AugmenterDependencies): Augmenter {
  switch (config.type) {
    case 'plain':
      return new PlainAugmenter(config);
    case 'plain_advanced':
      return new PlainAdvancedAugmenter(config);
    case 'ldap':
      return new LdapAugmenter(config, deps.timeoutMs);
  }
}

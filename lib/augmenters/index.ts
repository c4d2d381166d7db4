import type { AugmenterConfig } from '../config/schema';
import type { Augmenter } from '../gateway/types';
import { PlainAdvancedAugmenter, PlainAugmenter } from './plain';

export function createAugmenter(config: AugmenterConfig): Augmenter {
  switch (config.type) {
    case 'plain':
      return new PlainAugmenter(config);
    case 'plain_advanced':
      return new PlainAdvancedAugmenter(config);
    case 'ldap':
      return {
        name: config.name,
        type: config.type,
        realm: config.realm,
        sequential: false,
        augment: async () => {
          throw new Error('the ldap augmenter is not supported in this version');
        },
      };
  }
}

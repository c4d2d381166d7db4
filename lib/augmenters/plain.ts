import type { AugmenterConfig } from '../config/schema';
import type { Augmenter, User } from '../gateway/types';

type PlainConfig = Extract<AugmenterConfig, { type: 'plain' }>;
type AdvancedConfig = Extract<AugmenterConfig, { type: 'plain_advanced' }>;

function addRoles(user: User, roles: Iterable<string>): void {
  for (const role of roles) if (!user.roles.includes(role)) user.roles.push(role);
}

/** `roles: {role: [usernames]}`: gives each listed user the role. */
export class PlainAugmenter implements Augmenter {
  readonly type = 'plain';
  readonly sequential = false;
  readonly static = true;
  readonly name: string;
  readonly realm: string;
  private readonly rolesByUser = new Map<string, string[]>();

  constructor(config: PlainConfig) {
    this.name = config.name;
    this.realm = config.realm;
    for (const [role, usernames] of Object.entries(config.roles)) {
      for (const username of usernames) this.rolesByUser.set(username, [...(this.rolesByUser.get(username) ?? []), role]);
    }
  }

  augment(user: User): void {
    addRoles(user, this.rolesByUser.get(user.username) ?? []);
  }
}

/** When the username or any current role matches: add roles and set attributes (auth-o-tron semantics). */
export class PlainAdvancedAugmenter implements Augmenter {
  readonly type = 'plain_advanced';
  readonly sequential = true;
  readonly static = true;
  readonly name: string;
  readonly realm: string;

  constructor(private readonly config: AdvancedConfig) {
    this.name = config.name;
    this.realm = config.realm;
  }

  augment(user: User): void {
    const { username = [], role = [] } = this.config.match;
    const matches = username.includes(user.username) || user.roles.some((r) => role.includes(r));
    if (!matches) return;
    addRoles(user, this.config.augment.roles);
    Object.assign(user.attributes, this.config.augment.attributes);
  }
}

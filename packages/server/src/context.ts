import type { ServerConfig } from './config/defaults.js';
import type { KeyManager } from './keys/key-manager.js';
import type { Store, User } from './store/types.js';
import type { PasswordHasher } from './auth/passwords.js';
import type { RevocationHub } from './revocation/hub.js';

/** What every route group receives from `buildApp`. */
export interface AppContext {
  readonly config: ServerConfig;
  readonly store: Store;
  readonly keys: KeyManager;
  readonly passwords: PasswordHasher;
  readonly dummyHash: () => Promise<string>;
  /** epoch ms */
  readonly now: () => number;
  /** The revocation feed: every session revocation goes through it (auth/revoke.ts). */
  readonly revocations: RevocationHub;
}

/** The public view of a user (never the password hash). */
export interface UserJson {
  id: string;
  email: string;
  name: string | null;
  roles: string[];
  created_at: string;
}

export function userJson(user: User): UserJson {
  return { id: user.id, email: user.email, name: user.name, roles: [...user.roles], created_at: new Date(user.createdAt).toISOString() };
}

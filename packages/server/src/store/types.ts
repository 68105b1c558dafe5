/**
 * The storage interface every adapter implements (SQLite, PostgreSQL; Redis for rate limits). Async so
 * network-backed adapters fit; every adapter must pass the shared suite in test/store-suite.ts.
 * Times are epoch milliseconds. Network adapters throw `StoreUnavailableError` (503) when their
 * service is unreachable; every write is one statement or one transaction, so nothing is half-applied.
 */
import type { RateLimitStore } from './rate-limit.js';
import type { ClientStore } from './clients.js';
export type * from './clients.js';

export interface User {
  readonly id: string;
  /** Normalised email (trimmed, NFC, lower-case): unique. */
  readonly email: string;
  readonly name: string | null;
  readonly passwordHash: string;
  readonly roles: readonly string[];
  readonly disabled: boolean;
  readonly createdAt: number;
}

export interface NewUser {
  readonly email: string;
  readonly name?: string | null;
  readonly passwordHash: string;
  readonly roles?: readonly string[];
}

export type CreateUserResult = { readonly ok: true; readonly user: User } | { readonly ok: false; readonly reason: 'email_taken' };

export interface UserStore {
  create(user: NewUser, now: number): Promise<CreateUserResult>;
  findByEmail(email: string): Promise<User | null>;
  findById(id: string): Promise<User | null>;
  list(): Promise<User[]>;
  /** Returns false when no such user. */
  setDisabled(id: string, disabled: boolean): Promise<boolean>;
}

export type RevokeReason = 'logout' | 'logout_all' | 'refresh_reuse_detected' | 'user_disabled' | 'admin' | (string & {});

export interface Session {
  readonly id: string;
  readonly userId: string;
  /** `latchkey-web` (cookie mode) or `latchkey-native` (token mode). */
  readonly clientId: string;
  readonly userAgent: string | null;
  readonly createdAt: number;
  readonly lastUsedAt: number;
  readonly expiresAt: number;
  readonly revokedAt: number | null;
  readonly revokeReason: string | null;
  /** SHA-256 (base64url) of the current refresh secret. */
  readonly refreshHash: string;
  /** SHA-256 of the secret it replaced (null before the first rotation). */
  readonly previousRefreshHash: string | null;
  /** SHA-256 of the current CSRF token (cookie sessions only). */
  readonly csrfHash: string | null;
}

export interface NewSession {
  readonly id: string;
  readonly userId: string;
  readonly clientId: string;
  readonly userAgent: string | null;
  readonly expiresAt: number;
  readonly refreshHash: string;
  readonly csrfHash: string | null;
}

/**
 * - `rotated`: the presented hash was current; it is now the previous one and the new one is current.
 * - `reused`: the presented hash was one this session already rotated away from — theft assumed, the
 *   whole session is revoked with reason `refresh_reuse_detected`.
 * - `invalid`: no such session, revoked, expired, or a hash this session never had.
 */
export type RotateResult = 'rotated' | 'reused' | 'invalid';

export interface SessionStore {
  create(session: NewSession, now: number): Promise<Session>;
  get(id: string): Promise<Session | null>;
  /** Atomic compare-and-swap of the refresh secret (one transaction). */
  rotateRefresh(sessionId: string, presentedHash: string, newHash: string, newCsrfHash: string | null, now: number): Promise<RotateResult>;
  touch(id: string, now: number): Promise<void>;
  /** Returns false when the session did not exist or was already revoked. */
  revoke(id: string, reason: RevokeReason, now: number): Promise<boolean>;
  /** Returns how many sessions were revoked. */
  revokeAllForUser(userId: string, reason: RevokeReason, now: number): Promise<number>;
  /** Newest first, revoked ones included. */
  listForUser(userId: string): Promise<Session[]>;
  /** Deletes sessions whose absolute expiry is at or before `now` (with their retired hashes); returns how many. */
  deleteExpired(now: number): Promise<number>;
}

export type KeyStatus = 'next' | 'active' | 'retired';

export interface StoredSigningKey {
  readonly kid: string;
  readonly alg: string;
  /** Public JWK as JSON text. */
  readonly publicJwk: string;
  /** Private JWK, sealed by the key protector (see keys/protector.ts); `protection` says how. */
  readonly privateJwk: string;
  readonly protection: string;
  readonly status: KeyStatus;
  readonly createdAt: number;
}

export interface SigningKeyStore {
  insert(key: StoredSigningKey): Promise<void>;
  list(): Promise<StoredSigningKey[]>;
  setStatus(kid: string, status: KeyStatus, now: number): Promise<boolean>;
  /**
   * Runs `fn` while holding the store-wide key-management lock, so several auth-server instances never
   * generate or rotate keys at the same time (PostgreSQL: an advisory lock; SQLite: in-process). `fn`
   * re-reads the key set inside the lock before deciding anything.
   */
  withKeyLock<T>(fn: () => Promise<T>): Promise<T>;
}

export interface Store {
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly keys: SigningKeyStore;
  /** Counters for brute-force limits (Redis when configured, else the primary store). */
  readonly rateLimits: RateLimitStore;
  /** Resolves when every backing service answers; throws `StoreUnavailableError` otherwise. */
  ping(): Promise<void>;
  /** Machine clients (client credentials); see ./clients.ts. */
  readonly clients: ClientStore;
  close(): Promise<void>;
}

/** The one normalisation applied to emails before storing or looking up. */
export function normalizeEmail(email: string): string {
  return email.normalize('NFC').trim().toLowerCase();
}

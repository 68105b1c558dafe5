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
  /** SHA-256 of the CSRF token the last rotation replaced (accepted inside the grace window). */
  readonly previousCsrfHash: string | null;
  /** When the last rotation happened (null before the first one). */
  readonly rotatedAt: number | null;
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

/** What a rotation stores: the successor's hashes and the nonce they were derived from. */
export interface RotationSuccessor {
  /** SHA-256 of the successor refresh secret. */
  readonly hash: string;
  /** SHA-256 of the successor CSRF token (cookie sessions), else null. */
  readonly csrfHash: string | null;
  /**
   * Random nonce the successor secret and CSRF token were derived from (HMAC keyed by the presented
   * secret, see auth/rotation.ts). Kept so a concurrent refresh with the same secret inside the grace
   * window derives the *same* successor; useless without that secret, which the store never sees.
   */
  readonly nonce: string;
}

/**
 * - `rotated`: the presented hash was current; it is now the previous one and the successor is current.
 * - `grace`: the presented hash is the one the *last* rotation replaced, and that rotation happened at
 *   most `graceMs` ago (two tabs refreshing at once): nothing changes; `nonce` lets the caller derive
 *   the same successor the first request got.
 * - `reused`: the presented hash was rotated away from earlier (or outside the grace window) — theft
 *   assumed: the whole session is revoked with reason `refresh_reuse_detected` and a
 *   `refresh_reuse_detected` security event is recorded, in the same transaction.
 * - `invalid`: no such session, revoked, expired, or a hash this session never had.
 */
export type RotateResult =
  | { readonly outcome: 'rotated' }
  | { readonly outcome: 'grace'; readonly nonce: string }
  | { readonly outcome: 'reused' }
  | { readonly outcome: 'invalid' };

export interface SessionStore {
  create(session: NewSession, now: number): Promise<Session>;
  get(id: string): Promise<Session | null>;
  /**
   * Atomic compare-and-swap of the refresh secret with a grace window (one transaction; must be
   * race-free across processes sharing the store, so no in-memory locks). See {@link RotateResult}.
   */
  rotateRefresh(sessionId: string, presentedHash: string, successor: RotationSuccessor, now: number, graceMs: number): Promise<RotateResult>;
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

/** `next` (published, not signing yet) → `active` (signing) → `retired` (published, not signing) → `removed`. */
export type KeyStatus = 'next' | 'active' | 'retired' | 'removed';

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
  /** `next` keys: when they start signing. Active keys: when they did (null for keys made active at creation). */
  readonly activateAt?: number | null;
  /** `retired` keys: when they leave the JWKS (every token they signed has expired by then). */
  readonly publishUntil?: number | null;
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
  /**
   * Compare-and-set: moves the key from `from` to `to` (setting `publishUntil` when given) only if it
   * still has status `from`, so two instances ticking at once make one transition. False otherwise.
   */
  transition(kid: string, from: KeyStatus, to: KeyStatus, now: number, fields?: { readonly publishUntil?: number | null }): Promise<boolean>;
}

export interface SecurityEvent {
  readonly id: number;
  /** e.g. `refresh_reuse_detected`. */
  readonly type: string;
  readonly userId: string | null;
  readonly sessionId: string | null;
  readonly createdAt: number;
  readonly detail: Readonly<Record<string, unknown>>;
}

/** Append-only audit trail of security events. */
export interface SecurityEventStore {
  record(event: { type: string; userId: string | null; sessionId: string | null; detail?: Record<string, unknown> }, now: number): Promise<void>;
  /** Oldest first; optionally one session's or one type's. */
  list(filter?: { readonly sessionId?: string; readonly type?: string }): Promise<SecurityEvent[]>;
}

export interface RevocationRecord {
  /** Feed cursor: strictly increasing. */
  readonly seq: number;
  readonly sid: string;
  /** Latest `exp` (epoch seconds) of any access token of this session. */
  readonly exp: number;
  readonly reason: string;
  readonly createdAt: number;
}

/** The revocation feed's durable log (shared by every auth-server instance and the CLI). */
export interface RevocationLog {
  /** Appends one entry; returns its seq. */
  append(entry: { sid: string; exp: number; reason: string }, now: number): Promise<number>;
  /** Entries with seq > `afterSeq` whose exp is not before `nowSeconds`, oldest first, at most `limit`. */
  since(afterSeq: number, nowSeconds: number, limit: number): Promise<RevocationRecord[]>;
  /** Highest seq ever appended (0 when none). */
  latestSeq(): Promise<number>;
  /** Deletes entries whose exp is before `nowSeconds`; returns how many. */
  prune(nowSeconds: number): Promise<number>;
}

export interface Store {
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly keys: SigningKeyStore;
  readonly securityEvents: SecurityEventStore;
  readonly revocations: RevocationLog;
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

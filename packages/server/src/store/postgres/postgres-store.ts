import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import {
  normalizeEmail,
  type CreateUserResult,
  type KeyStatus,
  type NewSession,
  type NewUser,
  type RotateResult,
  type Session,
  type SessionStore,
  type SigningKeyStore,
  type Store,
  type StoredSigningKey,
  type User,
  type UserStore,
} from '../types.js';
import type { RateLimitStore } from '../rate-limit.js';
import { createPool, resolvePostgresOptions, withAdvisoryLock, type PostgresOptions } from './pool.js';
import { migratePostgres } from './migrate.js';
import { postgresRateLimits } from './rate-limits.js';
import { postgresClientStore } from './clients.js';
import type { ClientStore } from '../clients.js';
import { mapPgError } from './unavailable.js';

export interface PostgresStoreOptions extends PostgresOptions {
  /** Apply pending migrations before opening (default true). */
  readonly migrate?: boolean;
}

// bigint columns arrive as strings (they can exceed 2^53 in general); epoch ms never does.
type Big = string | number;
interface UserRow {
  id: string;
  email: string;
  name: string | null;
  password_hash: string;
  roles: string;
  disabled: boolean;
  created_at: Big;
}
interface SessionRow {
  id: string;
  user_id: string;
  client_id: string;
  user_agent: string | null;
  created_at: Big;
  last_used_at: Big;
  expires_at: Big;
  revoked_at: Big | null;
  revoke_reason: string | null;
  refresh_hash: string;
  previous_refresh_hash: string | null;
  csrf_hash: string | null;
}
interface KeyRow {
  kid: string;
  alg: string;
  public_jwk: string;
  private_jwk: string;
  protection: string;
  status: KeyStatus;
  created_at: Big;
}

const toUser = (r: UserRow): User => ({
  id: r.id,
  email: r.email,
  name: r.name,
  passwordHash: r.password_hash,
  roles: JSON.parse(r.roles) as string[],
  disabled: r.disabled,
  createdAt: Number(r.created_at),
});
const toSession = (r: SessionRow): Session => ({
  id: r.id,
  userId: r.user_id,
  clientId: r.client_id,
  userAgent: r.user_agent,
  createdAt: Number(r.created_at),
  lastUsedAt: Number(r.last_used_at),
  expiresAt: Number(r.expires_at),
  revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
  revokeReason: r.revoke_reason,
  refreshHash: r.refresh_hash,
  previousRefreshHash: r.previous_refresh_hash,
  csrfHash: r.csrf_hash,
});
const toKey = (r: KeyRow): StoredSigningKey => ({
  kid: r.kid,
  alg: r.alg,
  publicJwk: r.public_jwk,
  privateJwk: r.private_jwk,
  protection: r.protection,
  status: r.status,
  createdAt: Number(r.created_at),
});

/**
 * Rotation as one conditional UPDATE: under READ COMMITTED, concurrent rotations of one session queue
 * on the row lock and re-check `refresh_hash = $2` against the winner's committed row, so exactly one
 * matches — from any number of connections or instances. The retired hash is recorded in the same
 * statement, so a rotation is never half-applied.
 */
const ROTATE_SQL = `
  WITH rotated AS (
    UPDATE sessions
       SET previous_refresh_hash = refresh_hash, refresh_hash = $3, csrf_hash = $4, last_used_at = $5
     WHERE id = $1 AND refresh_hash = $2 AND revoked_at IS NULL AND expires_at > $5
    RETURNING id, previous_refresh_hash
  ), retired AS (
    INSERT INTO retired_refresh_hashes (session_id, hash, retired_at)
    SELECT id, previous_refresh_hash, $5 FROM rotated
    ON CONFLICT DO NOTHING
  )
  SELECT count(*)::int AS n FROM rotated`;

/** Not current: if it is a hash this live session rotated away from, that is theft — revoke it. */
const REUSE_SQL = `
  UPDATE sessions SET revoked_at = $3, revoke_reason = 'refresh_reuse_detected'
   WHERE id = $1 AND revoked_at IS NULL AND expires_at > $3
     AND EXISTS (SELECT 1 FROM retired_refresh_hashes WHERE session_id = $1 AND hash = $2)
  RETURNING id`;

/**
 * Opens a pooled PostgreSQL store, applying pending migrations first (under an advisory lock).
 * Throws `StoreUnavailableError` when the database cannot be reached.
 *
 * @example
 * const store = await openPostgresStore({ connectionString: process.env.LATCHKEY_DATABASE_URL! });
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const o = resolvePostgresOptions(options);
  if (options.migrate !== false) await migratePostgres(o);
  const pool = createPool(o);
  return new PostgresStore(pool, o.schema);
}

class PostgresStore implements Store {
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly keys: SigningKeyStore;
  readonly clients: ClientStore;
  readonly rateLimits: RateLimitStore;
  #pool: pg.Pool;
  #closed: Promise<void> | null = null;

  constructor(pool: pg.Pool, schema: string) {
    this.#pool = pool;
    const query = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> => {
      try {
        return await pool.query<R>(text, values);
      } catch (err) {
        return mapPgError(err);
      }
    };

    this.users = {
      async create(user: NewUser, now: number): Promise<CreateUserResult> {
        // ON CONFLICT DO NOTHING waits for a concurrent insert of the same email to commit, then
        // yields no row: of N concurrent signups exactly one gets the account.
        const r = await query<UserRow>(
          `INSERT INTO users (id, email, name, password_hash, roles, disabled, created_at) VALUES ($1, $2, $3, $4, $5, false, $6)
           ON CONFLICT (email) DO NOTHING RETURNING *`,
          [randomUUID(), normalizeEmail(user.email), user.name ?? null, user.passwordHash, JSON.stringify(user.roles ?? []), now],
        );
        const row = r.rows[0];
        return row === undefined ? { ok: false, reason: 'email_taken' } : { ok: true, user: toUser(row) };
      },
      async findByEmail(email: string): Promise<User | null> {
        const row = (await query<UserRow>('SELECT * FROM users WHERE email = $1', [normalizeEmail(email)])).rows[0];
        return row === undefined ? null : toUser(row);
      },
      async findById(id: string): Promise<User | null> {
        const row = (await query<UserRow>('SELECT * FROM users WHERE id = $1', [id])).rows[0];
        return row === undefined ? null : toUser(row);
      },
      async list(): Promise<User[]> {
        return (await query<UserRow>('SELECT * FROM users ORDER BY created_at, email')).rows.map(toUser);
      },
      async setDisabled(id: string, disabled: boolean): Promise<boolean> {
        return (await query('UPDATE users SET disabled = $1 WHERE id = $2', [disabled, id])).rowCount === 1;
      },
    };

    this.sessions = {
      async create(s: NewSession, now: number): Promise<Session> {
        const r = await query<SessionRow>(
          `INSERT INTO sessions (id, user_id, client_id, user_agent, created_at, last_used_at, expires_at, refresh_hash, csrf_hash)
           VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8) RETURNING *`,
          [s.id, s.userId, s.clientId, s.userAgent, now, s.expiresAt, s.refreshHash, s.csrfHash],
        );
        return toSession(r.rows[0] as SessionRow);
      },
      async get(id: string): Promise<Session | null> {
        const row = (await query<SessionRow>('SELECT * FROM sessions WHERE id = $1', [id])).rows[0];
        return row === undefined ? null : toSession(row);
      },
      async rotateRefresh(sessionId: string, presented: string, next: string, nextCsrf: string | null, now: number): Promise<RotateResult> {
        const rotated = (await query<{ n: number }>(ROTATE_SQL, [sessionId, presented, next, nextCsrf, now])).rows[0]?.n ?? 0;
        if (rotated === 1) return 'rotated';
        const reused = await query(REUSE_SQL, [sessionId, presented, now]);
        return reused.rowCount === 1 ? 'reused' : 'invalid';
      },
      async touch(id: string, now: number): Promise<void> {
        await query('UPDATE sessions SET last_used_at = $1 WHERE id = $2', [now, id]);
      },
      async revoke(id: string, reason: string, now: number): Promise<boolean> {
        return (await query('UPDATE sessions SET revoked_at = $1, revoke_reason = $2 WHERE id = $3 AND revoked_at IS NULL', [now, reason, id])).rowCount === 1;
      },
      async revokeAllForUser(userId: string, reason: string, now: number): Promise<number> {
        return (await query('UPDATE sessions SET revoked_at = $1, revoke_reason = $2 WHERE user_id = $3 AND revoked_at IS NULL', [now, reason, userId])).rowCount ?? 0;
      },
      async listForUser(userId: string): Promise<Session[]> {
        return (await query<SessionRow>('SELECT * FROM sessions WHERE user_id = $1 ORDER BY created_at DESC, id', [userId])).rows.map(toSession);
      },
      async deleteExpired(now: number): Promise<number> {
        return (await query('DELETE FROM sessions WHERE expires_at <= $1', [now])).rowCount ?? 0;
      },
    };

    this.keys = {
      async insert(k: StoredSigningKey): Promise<void> {
        await query(
          `INSERT INTO signing_keys (kid, alg, public_jwk, private_jwk, protection, status, created_at, status_changed_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`,
          [k.kid, k.alg, k.publicJwk, k.privateJwk, k.protection, k.status, k.createdAt],
        );
      },
      async list(): Promise<StoredSigningKey[]> {
        return (await query<KeyRow>('SELECT * FROM signing_keys ORDER BY created_at, kid')).rows.map(toKey);
      },
      async setStatus(kid: string, status: KeyStatus, now: number): Promise<boolean> {
        return (await query('UPDATE signing_keys SET status = $1, status_changed_at = $2 WHERE kid = $3', [status, now, kid])).rowCount === 1;
      },
      withKeyLock<T>(fn: () => Promise<T>): Promise<T> {
        return withAdvisoryLock(pool, `latchkey:keys:${schema}`, fn);
      },
    };

    this.clients = postgresClientStore(query);
    this.rateLimits = postgresRateLimits(query);
  }

  async ping(): Promise<void> {
    try {
      await this.#pool.query('SELECT 1');
    } catch (err) {
      mapPgError(err);
    }
  }

  /** Waits for checked-out connections to be returned, then closes the pool. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= this.#pool.end();
    return this.#closed;
  }
}

export type PgQuery = <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => Promise<pg.QueryResult<R>>;

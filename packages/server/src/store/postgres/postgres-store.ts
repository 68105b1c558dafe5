import { randomUUID, timingSafeEqual } from 'node:crypto';
import type pg from 'pg';
import {
  normalizeEmail,
  type CreateUserResult,
  type KeyStatus,
  type NewSession,
  type NewUser,
  type RevocationLog,
  type RevocationRecord,
  type RotateResult,
  type RotationSuccessor,
  type SecurityEvent,
  type SecurityEventStore,
  type Session,
  type SessionStore,
  type SigningKeyStore,
  type Store,
  type StoredSigningKey,
  type User,
  type UserStore,
} from '../types.js';
import type { RateLimitStore } from '../rate-limit.js';
import { advisoryLockId, createPool, resolvePostgresOptions, withAdvisoryLock, withTransaction, type PostgresOptions } from './pool.js';
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
  previous_csrf_hash: string | null;
  rotated_at: Big | null;
  rotation_nonce: string | null;
}
interface EventRow {
  id: Big;
  type: string;
  user_id: string | null;
  session_id: string | null;
  created_at: Big;
  detail: string;
}
interface RevocationRow {
  seq: Big;
  sid: string;
  exp: Big;
  reason: string;
  created_at: Big;
}
interface KeyRow {
  kid: string;
  alg: string;
  public_jwk: string;
  private_jwk: string;
  protection: string;
  status: KeyStatus;
  created_at: Big;
  activate_at: Big | null;
  publish_until: Big | null;
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
  previousCsrfHash: r.previous_csrf_hash,
  rotatedAt: r.rotated_at === null ? null : Number(r.rotated_at),
});
const toKey = (r: KeyRow): StoredSigningKey => ({
  kid: r.kid,
  alg: r.alg,
  publicJwk: r.public_jwk,
  privateJwk: r.private_jwk,
  protection: r.protection,
  status: r.status,
  createdAt: Number(r.created_at),
  activateAt: r.activate_at === null ? null : Number(r.activate_at),
  publishUntil: r.publish_until === null ? null : Number(r.publish_until),
});
const toEvent = (r: EventRow): SecurityEvent => ({
  id: Number(r.id),
  type: r.type,
  userId: r.user_id,
  sessionId: r.session_id,
  createdAt: Number(r.created_at),
  detail: JSON.parse(r.detail) as Record<string, unknown>,
});
const toRevocation = (r: RevocationRow): RevocationRecord => ({
  seq: Number(r.seq),
  sid: r.sid,
  exp: Number(r.exp),
  reason: r.reason,
  createdAt: Number(r.created_at),
});

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The swap itself (inside the row-locked transaction of rotateRefresh): the presented hash becomes the
 * previous one, the successor (and the nonce it was derived from) current; the retired hash is
 * recorded in the same statement, so a rotation is never half-applied.
 */
const ROTATE_SQL = `
  WITH rotated AS (
    UPDATE sessions
       SET previous_refresh_hash = refresh_hash, previous_csrf_hash = csrf_hash, refresh_hash = $3, csrf_hash = $4,
           rotation_nonce = $5, rotated_at = $6, last_used_at = $6
     WHERE id = $1 AND refresh_hash = $2
    RETURNING id, previous_refresh_hash
  )
  INSERT INTO retired_refresh_hashes (session_id, hash, retired_at)
  SELECT id, previous_refresh_hash, $6 FROM rotated
  ON CONFLICT DO NOTHING`;

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
  readonly securityEvents: SecurityEventStore;
  readonly revocations: RevocationLog;
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
      async rotateRefresh(sessionId: string, presented: string, next: RotationSuccessor, now: number, graceMs: number): Promise<RotateResult> {
        // One transaction holding the session's row lock: concurrent rotations of one session (from any
        // connection or instance) queue on it, and each sees exactly what the previous one committed —
        // so one rotates and the others get the grace answer (or the reuse verdict) for that state.
        return withTransaction(pool, async (tx) => {
          const row = (await tx<SessionRow>('SELECT * FROM sessions WHERE id = $1 FOR UPDATE', [sessionId])).rows[0];
          if (row === undefined || row.revoked_at !== null || Number(row.expires_at) <= now) return { outcome: 'invalid' };
          if (sameHash(row.refresh_hash, presented)) {
            await tx(ROTATE_SQL, [sessionId, row.refresh_hash, next.hash, next.csrfHash, next.nonce, now]);
            return { outcome: 'rotated' };
          }
          const rotatedAt = row.rotated_at === null ? null : Number(row.rotated_at);
          if (
            graceMs > 0 &&
            row.previous_refresh_hash !== null &&
            rotatedAt !== null &&
            row.rotation_nonce !== null &&
            sameHash(row.previous_refresh_hash, presented) &&
            // No lower bound: a request that read its clock before a concurrent rotation committed has
            // now < rotated_at, and is exactly the concurrent refresh the window exists for.
            now - rotatedAt <= graceMs
          ) {
            return { outcome: 'grace', nonce: row.rotation_nonce };
          }
          const retired = await tx('SELECT 1 FROM retired_refresh_hashes WHERE session_id = $1 AND hash = $2', [sessionId, presented]);
          if (retired.rowCount === 1) {
            await tx("UPDATE sessions SET revoked_at = $2, revoke_reason = 'refresh_reuse_detected' WHERE id = $1", [sessionId, now]);
            await tx('INSERT INTO security_events (type, user_id, session_id, created_at, detail) VALUES ($1, $2, $3, $4, $5)', [
              'refresh_reuse_detected',
              row.user_id,
              sessionId,
              now,
              JSON.stringify({ ms_since_last_rotation: rotatedAt === null ? null : now - rotatedAt }),
            ]);
            return { outcome: 'reused' };
          }
          return { outcome: 'invalid' };
        });
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
          `INSERT INTO signing_keys (kid, alg, public_jwk, private_jwk, protection, status, created_at, status_changed_at, activate_at, publish_until)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9)`,
          [k.kid, k.alg, k.publicJwk, k.privateJwk, k.protection, k.status, k.createdAt, k.activateAt ?? null, k.publishUntil ?? null],
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
      async transition(kid: string, from: KeyStatus, to: KeyStatus, now: number, fields: { readonly publishUntil?: number | null } = {}): Promise<boolean> {
        const r = await query(
          `UPDATE signing_keys SET status = $3, status_changed_at = $4,
             publish_until = CASE WHEN $5 THEN $6::bigint ELSE publish_until END,
             activate_at = CASE WHEN $3 = 'active' THEN COALESCE(activate_at, $4) ELSE activate_at END
           WHERE kid = $1 AND status = $2`,
          [kid, from, to, now, fields.publishUntil !== undefined, fields.publishUntil ?? null],
        );
        return r.rowCount === 1;
      },
    };

    this.securityEvents = {
      async record(e: { type: string; userId: string | null; sessionId: string | null; detail?: Record<string, unknown> }, now: number): Promise<void> {
        await query('INSERT INTO security_events (type, user_id, session_id, created_at, detail) VALUES ($1, $2, $3, $4, $5)', [
          e.type,
          e.userId,
          e.sessionId,
          now,
          JSON.stringify(e.detail ?? {}),
        ]);
      },
      async list(filter: { readonly sessionId?: string; readonly type?: string } = {}): Promise<SecurityEvent[]> {
        const r = await query<EventRow>(
          'SELECT * FROM security_events WHERE ($1::text IS NULL OR session_id = $1) AND ($2::text IS NULL OR type = $2) ORDER BY id',
          [filter.sessionId ?? null, filter.type ?? null],
        );
        return r.rows.map(toEvent);
      },
    };

    this.revocations = {
      async append(e: { sid: string; exp: number; reason: string }, now: number): Promise<number> {
        // Sequence values are handed out before commit, so two concurrent appends could commit out of
        // order and a feed reader could move its cursor past an entry not yet visible. A transaction-scoped
        // advisory lock serialises appends (they are rare: one per revocation), so seq order = commit order.
        return withTransaction(pool, async (tx) => {
          await tx('SELECT pg_advisory_xact_lock($1::bigint)', [advisoryLockId(`latchkey:revocations:${schema}`)]);
          const r = await tx<{ seq: Big }>('INSERT INTO revocations (sid, exp, reason, created_at) VALUES ($1, $2, $3, $4) RETURNING seq', [e.sid, e.exp, e.reason, now]);
          return Number(r.rows[0]?.seq ?? 0);
        });
      },
      async since(afterSeq: number, nowSeconds: number, limit: number): Promise<RevocationRecord[]> {
        const r = await query<RevocationRow>('SELECT * FROM revocations WHERE seq > $1 AND exp >= $2 ORDER BY seq LIMIT $3', [afterSeq, nowSeconds, limit]);
        return r.rows.map(toRevocation);
      },
      async latestSeq(): Promise<number> {
        const r = await query<{ seq: Big | null }>('SELECT max(seq) AS seq FROM revocations');
        return Number(r.rows[0]?.seq ?? 0);
      },
      async prune(nowSeconds: number): Promise<number> {
        return (await query('DELETE FROM revocations WHERE exp < $1', [nowSeconds])).rowCount ?? 0;
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

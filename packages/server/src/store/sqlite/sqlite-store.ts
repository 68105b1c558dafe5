import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations.js';
import { sqliteRateLimits } from './rate-limits.js';
import type { RateLimitStore } from '../rate-limit.js';
import { sqliteClientStore } from './sqlite-clients.js';
import {
  normalizeEmail,
  type CreateUserResult,
  type KeyStatus,
  type NewSession,
  type NewUser,
  type RevocationRecord,
  type RotateOptions,
  type RotateResult,
  type RotationSuccessor,
  type SecurityEvent,
  type Session,
  type Store,
  type StoredSigningKey,
  type User,
} from '../types.js';

export const SQLITE_FILE_NAME = 'latchkey.sqlite';

interface UserRow {
  id: string;
  email: string;
  name: string | null;
  password_hash: string;
  roles: string;
  disabled: number;
  created_at: number;
}
interface SessionRow {
  id: string;
  user_id: string;
  client_id: string;
  user_agent: string | null;
  created_at: number;
  last_used_at: number;
  expires_at: number;
  revoked_at: number | null;
  revoke_reason: string | null;
  refresh_hash: string;
  previous_refresh_hash: string | null;
  csrf_hash: string | null;
  previous_csrf_hash: string | null;
  rotated_at: number | null;
  rotation_nonce: string | null;
}
interface EventRow {
  id: number;
  type: string;
  user_id: string | null;
  session_id: string | null;
  created_at: number;
  detail: string;
}
interface RevocationRow {
  seq: number;
  sid: string;
  exp: number;
  reason: string;
  created_at: number;
}
interface KeyRow {
  kid: string;
  alg: string;
  public_jwk: string;
  private_jwk: string;
  protection: string;
  status: KeyStatus;
  created_at: number;
  activate_at: number | null;
  publish_until: number | null;
}

/**
 * Opens (creating if needed) `<dataDir>/latchkey.sqlite` in WAL mode and applies pending migrations.
 * The data folder is created with mode 0700 and the database file with 0600.
 * Pass `':memory:'` as `dataDir` for a throw-away in-memory database.
 */
export function openSqliteStore(dataDir: string): Store {
  let file = ':memory:';
  if (dataDir !== ':memory:') {
    if (!existsSync(dataDir)) {
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      chmodSync(dataDir, 0o700);
    }
    file = join(dataDir, SQLITE_FILE_NAME);
    if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  }
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode: a commit is appended to the WAL without an fsync; the WAL is synced at each
  // checkpoint. The database cannot be corrupted by a crash or power loss, and a process crash loses
  // nothing; a power loss (or OS crash) may lose the last transactions before the checkpoint — e.g.
  // a refresh rotation the client already received, whose next refresh then fails and signs the user
  // out. FULL synced every commit and was the largest cost of a refresh after signing.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return new SqliteStore(db, file === ':memory:' ? null : resolve(file));
}

/**
 * Key-management locks per database file, so several stores on one file in this process take turns.
 * SQLite serves one auth-server instance; several instances need PostgreSQL (see docs/deployment.md).
 */
const keyLocks = new Map<string, Promise<void>>();

function withFileLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const run = (keyLocks.get(name) ?? Promise.resolve()).then(fn, fn);
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  keyLocks.set(name, tail);
  void tail.then(() => {
    if (keyLocks.get(name) === tail) keyLocks.delete(name);
  });
  return run;
}

function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const applied = new Set((db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
  for (const m of MIGRATIONS) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
    }).immediate();
  }
}

function toUser(r: UserRow): User {
  return {
    id: r.id,
    email: r.email,
    name: r.name,
    passwordHash: r.password_hash,
    roles: JSON.parse(r.roles) as string[],
    disabled: r.disabled !== 0,
    createdAt: r.created_at,
  };
}
function toSession(r: SessionRow): Session {
  return {
    id: r.id,
    userId: r.user_id,
    clientId: r.client_id,
    userAgent: r.user_agent,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    revokeReason: r.revoke_reason,
    refreshHash: r.refresh_hash,
    previousRefreshHash: r.previous_refresh_hash,
    csrfHash: r.csrf_hash,
    previousCsrfHash: r.previous_csrf_hash,
    rotatedAt: r.rotated_at,
  };
}
function toKey(r: KeyRow): StoredSigningKey {
  return {
    kid: r.kid,
    alg: r.alg,
    publicJwk: r.public_jwk,
    privateJwk: r.private_jwk,
    protection: r.protection,
    status: r.status,
    createdAt: r.created_at,
    activateAt: r.activate_at,
    publishUntil: r.publish_until,
  };
}
function toEvent(r: EventRow): SecurityEvent {
  return {
    id: r.id,
    type: r.type,
    userId: r.user_id,
    sessionId: r.session_id,
    createdAt: r.created_at,
    detail: JSON.parse(r.detail) as Record<string, unknown>,
  };
}
function toRevocation(r: RevocationRow): RevocationRecord {
  return { seq: r.seq, sid: r.sid, exp: r.exp, reason: r.reason, createdAt: r.created_at };
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

class SqliteStore implements Store {
  readonly users;
  readonly sessions;
  readonly keys;
  readonly securityEvents;
  readonly revocations;
  readonly rateLimits: RateLimitStore;
  readonly clients;
  #db: Database.Database;

  constructor(db: Database.Database, file: string | null) {
    this.#db = db;
    const lockName = file ?? `memory:${randomUUID()}`;
    const q = {
      insertUser: db.prepare('INSERT INTO users (id, email, name, password_hash, roles, disabled, created_at) VALUES (?, ?, ?, ?, ?, 0, ?)'),
      userByEmail: db.prepare('SELECT * FROM users WHERE email = ?'),
      userById: db.prepare('SELECT * FROM users WHERE id = ?'),
      users: db.prepare('SELECT * FROM users ORDER BY created_at, email'),
      setDisabled: db.prepare('UPDATE users SET disabled = ? WHERE id = ?'),
      insertSession: db.prepare(
        `INSERT INTO sessions (id, user_id, client_id, user_agent, created_at, last_used_at, expires_at, refresh_hash, csrf_hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      session: db.prepare('SELECT * FROM sessions WHERE id = ?'),
      retiredHashes: db.prepare('SELECT hash FROM retired_refresh_hashes WHERE session_id = ?'),
      retireHash: db.prepare('INSERT OR IGNORE INTO retired_refresh_hashes (session_id, hash, retired_at) VALUES (?, ?, ?)'),
      rotate: db.prepare(
        `UPDATE sessions SET previous_refresh_hash = refresh_hash, previous_csrf_hash = csrf_hash, refresh_hash = ?,
           csrf_hash = ?, rotation_nonce = ?, rotated_at = ?, last_used_at = ?
         WHERE id = ? AND refresh_hash = ? AND revoked_at IS NULL`,
      ),
      insertEvent: db.prepare('INSERT INTO security_events (type, user_id, session_id, created_at, detail) VALUES (?, ?, ?, ?, ?)'),
      events: db.prepare(
        `SELECT * FROM security_events WHERE (@sessionId IS NULL OR session_id = @sessionId) AND (@type IS NULL OR type = @type)
         ORDER BY id`,
      ),
      appendRevocation: db.prepare('INSERT INTO revocations (sid, exp, reason, created_at) VALUES (?, ?, ?, ?)'),
      revocationsSince: db.prepare('SELECT * FROM revocations WHERE seq > ? AND exp >= ? ORDER BY seq LIMIT ?'),
      latestRevocation: db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'revocations'"),
      pruneRevocations: db.prepare('DELETE FROM revocations WHERE exp < ?'),
      touch: db.prepare('UPDATE sessions SET last_used_at = ? WHERE id = ?'),
      revoke: db.prepare('UPDATE sessions SET revoked_at = ?, revoke_reason = ? WHERE id = ? AND revoked_at IS NULL'),
      revokeAll: db.prepare('UPDATE sessions SET revoked_at = ?, revoke_reason = ? WHERE user_id = ? AND revoked_at IS NULL'),
      sessionsForUser: db.prepare('SELECT * FROM sessions WHERE user_id = ? ORDER BY created_at DESC, id'),
      deleteExpired: db.prepare('DELETE FROM sessions WHERE expires_at <= ?'),
      insertKey: db.prepare(
        `INSERT INTO signing_keys (kid, alg, public_jwk, private_jwk, protection, status, created_at, status_changed_at, activate_at, publish_until)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      keys: db.prepare('SELECT * FROM signing_keys ORDER BY created_at, kid'),
      setKeyStatus: db.prepare('UPDATE signing_keys SET status = ?, status_changed_at = ? WHERE kid = ?'),
      transitionKey: db.prepare(
        `UPDATE signing_keys SET status = @to, status_changed_at = @now,
           publish_until = CASE WHEN @setPublishUntil = 1 THEN @publishUntil ELSE publish_until END,
           activate_at = CASE WHEN @to = 'active' THEN COALESCE(activate_at, @now) ELSE activate_at END
         WHERE kid = @kid AND status = @from`,
      ),
    };

    // One IMMEDIATE transaction: read, compare, swap — so two refreshes with one token can never mint two
    // successors, even from two processes sharing the file. The grace answer and the reuse verdict are
    // taken inside the same transaction, so they see exactly the state the winner left.
    const rotateTx = db.transaction(
      (sessionId: string, presented: string, next: RotationSuccessor, now: number, graceMs: number, activeUser: boolean): RotateResult => {
        const row = q.session.get(sessionId) as SessionRow | undefined;
        if (row === undefined || row.revoked_at !== null || row.expires_at <= now) return { outcome: 'invalid' };
        let user: User | undefined;
        if (activeUser) {
          const u = q.userById.get(row.user_id) as UserRow | undefined;
          if (u === undefined || u.disabled) return { outcome: 'user_inactive' };
          user = toUser(u);
        }
        if (sameHash(row.refresh_hash, presented)) {
          const changed = q.rotate.run(next.hash, next.csrfHash, next.nonce, now, now, sessionId, row.refresh_hash).changes;
          if (changed !== 1) return { outcome: 'invalid' };
          q.retireHash.run(sessionId, row.refresh_hash, now);
          return user === undefined ? { outcome: 'rotated' } : { outcome: 'rotated', user };
        }
        if (
          graceMs > 0 &&
          row.previous_refresh_hash !== null &&
          row.rotated_at !== null &&
          row.rotation_nonce !== null &&
          sameHash(row.previous_refresh_hash, presented) &&
          // Either side of the rotation: a request that read its clock just before the rotation it lost
          // to committed (it started first, or another instance's clock runs a little ahead) is concurrent too.
          Math.abs(now - row.rotated_at) <= graceMs
        ) {
          return user === undefined ? { outcome: 'grace', nonce: row.rotation_nonce } : { outcome: 'grace', nonce: row.rotation_nonce, user };
        }
        const retired = q.retiredHashes.all(sessionId) as { hash: string }[];
        if (retired.some((r) => sameHash(r.hash, presented))) {
          q.revoke.run(now, 'refresh_reuse_detected', sessionId);
          const late = row.rotated_at === null ? null : now - row.rotated_at;
          q.insertEvent.run('refresh_reuse_detected', row.user_id, sessionId, now, JSON.stringify({ ms_since_last_rotation: late }));
          return { outcome: 'reused' };
        }
        return { outcome: 'invalid' };
      },
    );

    this.users = {
      async create(user: NewUser, now: number): Promise<CreateUserResult> {
        const email = normalizeEmail(user.email);
        const id = randomUUID();
        try {
          q.insertUser.run(id, email, user.name ?? null, user.passwordHash, JSON.stringify(user.roles ?? []), now);
        } catch (err) {
          if (err instanceof Database.SqliteError && err.code.startsWith('SQLITE_CONSTRAINT')) return { ok: false, reason: 'email_taken' };
          throw err;
        }
        return { ok: true, user: toUser(q.userById.get(id) as UserRow) };
      },
      async findByEmail(email: string): Promise<User | null> {
        const r = q.userByEmail.get(normalizeEmail(email)) as UserRow | undefined;
        return r ? toUser(r) : null;
      },
      async findById(id: string): Promise<User | null> {
        const r = q.userById.get(id) as UserRow | undefined;
        return r ? toUser(r) : null;
      },
      async list(): Promise<User[]> {
        return (q.users.all() as UserRow[]).map(toUser);
      },
      async setDisabled(id: string, disabled: boolean): Promise<boolean> {
        return q.setDisabled.run(disabled ? 1 : 0, id).changes === 1;
      },
    };

    this.sessions = {
      async create(s: NewSession, now: number): Promise<Session> {
        q.insertSession.run(s.id, s.userId, s.clientId, s.userAgent, now, now, s.expiresAt, s.refreshHash, s.csrfHash);
        return toSession(q.session.get(s.id) as SessionRow);
      },
      async get(id: string): Promise<Session | null> {
        const r = q.session.get(id) as SessionRow | undefined;
        return r ? toSession(r) : null;
      },
      async rotateRefresh(sessionId: string, presented: string, next: RotationSuccessor, now: number, graceMs: number, options: RotateOptions = {}): Promise<RotateResult> {
        return rotateTx.immediate(sessionId, presented, next, now, graceMs, options.activeUser === true);
      },
      async touch(id: string, now: number): Promise<void> {
        q.touch.run(now, id);
      },
      async revoke(id: string, reason: string, now: number): Promise<boolean> {
        return q.revoke.run(now, reason, id).changes === 1;
      },
      async revokeAllForUser(userId: string, reason: string, now: number): Promise<number> {
        return q.revokeAll.run(now, reason, userId).changes;
      },
      async listForUser(userId: string): Promise<Session[]> {
        return (q.sessionsForUser.all(userId) as SessionRow[]).map(toSession);
      },
      async deleteExpired(now: number): Promise<number> {
        return q.deleteExpired.run(now).changes;
      },
    };

    this.keys = {
      async insert(k: StoredSigningKey): Promise<void> {
        q.insertKey.run(k.kid, k.alg, k.publicJwk, k.privateJwk, k.protection, k.status, k.createdAt, k.createdAt, k.activateAt ?? null, k.publishUntil ?? null);
      },
      async list(): Promise<StoredSigningKey[]> {
        return (q.keys.all() as KeyRow[]).map(toKey);
      },
      async setStatus(kid: string, status: KeyStatus, now: number): Promise<boolean> {
        return q.setKeyStatus.run(status, now, kid).changes === 1;
      },
      withKeyLock<T>(fn: () => Promise<T>): Promise<T> {
        return withFileLock(lockName, fn);
      },
      async transition(kid: string, from: KeyStatus, to: KeyStatus, now: number, fields: { readonly publishUntil?: number | null } = {}): Promise<boolean> {
        const setPublishUntil = fields.publishUntil !== undefined ? 1 : 0;
        return q.transitionKey.run({ kid, from, to, now, setPublishUntil, publishUntil: fields.publishUntil ?? null }).changes === 1;
      },
    };

    this.securityEvents = {
      async record(e: { type: string; userId: string | null; sessionId: string | null; detail?: Record<string, unknown> }, now: number): Promise<void> {
        q.insertEvent.run(e.type, e.userId, e.sessionId, now, JSON.stringify(e.detail ?? {}));
      },
      async list(filter: { readonly sessionId?: string; readonly type?: string } = {}): Promise<SecurityEvent[]> {
        return (q.events.all({ sessionId: filter.sessionId ?? null, type: filter.type ?? null }) as EventRow[]).map(toEvent);
      },
    };

    this.revocations = {
      async append(e: { sid: string; exp: number; reason: string }, now: number): Promise<number> {
        return Number(q.appendRevocation.run(e.sid, e.exp, e.reason, now).lastInsertRowid);
      },
      async since(afterSeq: number, nowSeconds: number, limit: number): Promise<RevocationRecord[]> {
        return (q.revocationsSince.all(afterSeq, nowSeconds, limit) as RevocationRow[]).map(toRevocation);
      },
      async latestSeq(): Promise<number> {
        const r = q.latestRevocation.get() as { seq: number } | undefined;
        return r?.seq ?? 0;
      },
      async prune(nowSeconds: number): Promise<number> {
        return q.pruneRevocations.run(nowSeconds).changes;
      },
    };

    this.clients = sqliteClientStore(db);
    this.rateLimits = sqliteRateLimits(db);
  }

  async ping(): Promise<void> {
    this.#db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}

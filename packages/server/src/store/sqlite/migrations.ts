/**
 * Numbered, append-only schema migrations. Applied in order inside one transaction each; the applied
 * versions are recorded in `schema_migrations`. Never edit a released migration — add a new one.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'users_sessions_keys',
    sql: `
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        email TEXT NOT NULL UNIQUE,
        name TEXT,
        password_hash TEXT NOT NULL,
        roles TEXT NOT NULL DEFAULT '[]',
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        client_id TEXT NOT NULL,
        user_agent TEXT,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        revoked_at INTEGER,
        revoke_reason TEXT,
        refresh_hash TEXT NOT NULL,
        previous_refresh_hash TEXT,
        csrf_hash TEXT
      );
      CREATE INDEX sessions_user_id ON sessions(user_id);
      -- Every refresh hash a session rotated away from, so replaying any of them (not only the last)
      -- is detected as reuse.
      CREATE TABLE retired_refresh_hashes (
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        hash TEXT NOT NULL,
        retired_at INTEGER NOT NULL,
        PRIMARY KEY (session_id, hash)
      );
      CREATE TABLE signing_keys (
        kid TEXT PRIMARY KEY,
        alg TEXT NOT NULL,
        public_jwk TEXT NOT NULL,
        private_jwk TEXT NOT NULL,
        protection TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('next', 'active', 'retired')),
        created_at INTEGER NOT NULL,
        status_changed_at INTEGER NOT NULL
      );
    `,
  },
  {
    // Issue 3 (hybrid sessions). Everything this issue needs in the schema lives in this one migration.
    version: 2,
    name: 'refresh_grace_revocations_key_rotation',
    sql: `
      -- Grace window: the rotation that made refresh_hash current, when it happened, and the random
      -- nonce the successor secret and CSRF token were derived from (HMAC keyed by the old secret).
      ALTER TABLE sessions ADD COLUMN rotated_at INTEGER;
      ALTER TABLE sessions ADD COLUMN rotation_nonce TEXT;
      ALTER TABLE sessions ADD COLUMN previous_csrf_hash TEXT;
      -- Audit trail of security-relevant events (refresh_reuse_detected, ...). Append-only.
      CREATE TABLE security_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        type TEXT NOT NULL,
        user_id TEXT,
        session_id TEXT,
        created_at INTEGER NOT NULL,
        detail TEXT NOT NULL DEFAULT '{}'
      );
      CREATE INDEX security_events_session_id ON security_events(session_id);
      -- The revocation feed's durable log: revoked session ids with the latest exp (epoch seconds) of
      -- their access tokens. seq is the feed cursor; rows are pruned once exp has passed.
      CREATE TABLE revocations (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        sid TEXT NOT NULL,
        exp INTEGER NOT NULL,
        reason TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX revocations_exp ON revocations(exp);
      -- Key rotation: 'removed' joins the statuses (a CHECK cannot be altered in SQLite, so the table is
      -- rebuilt); activate_at = when a 'next' key starts signing, publish_until = when a 'retired' key
      -- leaves the JWKS.
      CREATE TABLE signing_keys_v2 (
        kid TEXT PRIMARY KEY,
        alg TEXT NOT NULL,
        public_jwk TEXT NOT NULL,
        private_jwk TEXT NOT NULL,
        protection TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('next', 'active', 'retired', 'removed')),
        created_at INTEGER NOT NULL,
        status_changed_at INTEGER NOT NULL,
        activate_at INTEGER,
        publish_until INTEGER
      );
      INSERT INTO signing_keys_v2 (kid, alg, public_jwk, private_jwk, protection, status, created_at, status_changed_at)
        SELECT kid, alg, public_jwk, private_jwk, protection, status, created_at, status_changed_at FROM signing_keys;
      DROP TABLE signing_keys;
      ALTER TABLE signing_keys_v2 RENAME TO signing_keys;
    `,
  },
  {
    // Version 3 is reserved for the client registry (issue 4); version 2 belongs to issue 3.
    version: 3,
    name: 'clients',
    sql: `
      CREATE TABLE clients (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        secret_hash TEXT NOT NULL,
        scopes TEXT NOT NULL,
        audiences TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        secret_updated_at INTEGER NOT NULL
      );
    `,
  },
];

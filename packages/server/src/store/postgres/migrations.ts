/**
 * PostgreSQL schema migrations: numbered, append-only, each applied in its own transaction and recorded
 * in `schema_migrations`. Version N mirrors SQLite migration N (store/sqlite/migrations.ts) with
 * PostgreSQL types (epoch-ms times as `bigint`); when a SQLite migration is added, add its twin here.
 * Rate-limit counters live in migration 1 here (SQLite creates its counter table on open).
 */
export interface PgMigration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    name: 'users_sessions_keys',
    sql: `
      CREATE TABLE users (
        id text PRIMARY KEY,
        email text NOT NULL UNIQUE,
        name text,
        password_hash text NOT NULL,
        roles text NOT NULL DEFAULT '[]',
        disabled boolean NOT NULL DEFAULT false,
        created_at bigint NOT NULL
      );
      CREATE TABLE sessions (
        id text PRIMARY KEY,
        user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        client_id text NOT NULL,
        user_agent text,
        created_at bigint NOT NULL,
        last_used_at bigint NOT NULL,
        expires_at bigint NOT NULL,
        revoked_at bigint,
        revoke_reason text,
        refresh_hash text NOT NULL,
        previous_refresh_hash text,
        csrf_hash text
      );
      CREATE INDEX sessions_user_id ON sessions (user_id);
      CREATE INDEX sessions_expires_at ON sessions (expires_at);
      -- Every refresh hash a session rotated away from, so replaying any of them is detected as reuse.
      CREATE TABLE retired_refresh_hashes (
        session_id text NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        hash text NOT NULL,
        retired_at bigint NOT NULL,
        PRIMARY KEY (session_id, hash)
      );
      CREATE TABLE signing_keys (
        kid text PRIMARY KEY,
        alg text NOT NULL,
        public_jwk text NOT NULL,
        private_jwk text NOT NULL,
        protection text NOT NULL,
        status text NOT NULL CHECK (status IN ('next', 'active', 'retired')),
        created_at bigint NOT NULL,
        status_changed_at bigint NOT NULL
      );
      CREATE TABLE rate_limits (
        key text PRIMARY KEY,
        window_start bigint NOT NULL,
        count integer NOT NULL,
        expires_at bigint NOT NULL
      );
      CREATE INDEX rate_limits_expires_at ON rate_limits (expires_at);
    `,
  },
  {
    // Twin of SQLite migration 2 (issue 3: hybrid sessions).
    version: 2,
    name: 'refresh_grace_revocations_key_rotation',
    sql: `
      ALTER TABLE sessions ADD COLUMN rotated_at bigint;
      ALTER TABLE sessions ADD COLUMN rotation_nonce text;
      ALTER TABLE sessions ADD COLUMN previous_csrf_hash text;
      CREATE TABLE security_events (
        id bigserial PRIMARY KEY,
        type text NOT NULL,
        user_id text,
        session_id text,
        created_at bigint NOT NULL,
        detail text NOT NULL DEFAULT '{}'
      );
      CREATE INDEX security_events_session_id ON security_events (session_id);
      CREATE TABLE revocations (
        seq bigserial PRIMARY KEY,
        sid text NOT NULL,
        exp bigint NOT NULL,
        reason text NOT NULL,
        created_at bigint NOT NULL
      );
      CREATE INDEX revocations_exp ON revocations (exp);
      ALTER TABLE signing_keys DROP CONSTRAINT IF EXISTS signing_keys_status_check;
      ALTER TABLE signing_keys ADD CONSTRAINT signing_keys_status_check CHECK (status IN ('next', 'active', 'retired', 'removed'));
      ALTER TABLE signing_keys ADD COLUMN activate_at bigint;
      ALTER TABLE signing_keys ADD COLUMN publish_until bigint;
    `,
  },
  {
    version: 3,
    name: 'clients',
    sql: `
      CREATE TABLE clients (
        id text PRIMARY KEY,
        name text NOT NULL,
        secret_hash text NOT NULL,
        scopes text NOT NULL,
        audiences text NOT NULL,
        disabled boolean NOT NULL DEFAULT false,
        created_at bigint NOT NULL,
        secret_updated_at bigint NOT NULL
      );
    `,
  },
];

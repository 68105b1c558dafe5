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

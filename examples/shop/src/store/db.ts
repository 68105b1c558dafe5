import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';

export type Db = Database.Database;

/**
 * Opens (creating) `<dataDir>/<file>` with WAL and foreign keys, then runs `schema` (idempotent DDL).
 * Like the auth server's `latchkey.sqlite`: a folder it creates is 0700, a database file it creates
 * is 0600 (SQLite gives the `-wal`/`-shm` files the database file's mode).
 */
export function openDb(dataDir: string, file: string, schema: string): Db {
  if (!existsSync(dataDir)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    chmodSync(dataDir, 0o700); // mkdir's mode is filtered by the umask
  }
  const path = join(dataDir, file);
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 2000');
  db.exec(schema);
  return db;
}

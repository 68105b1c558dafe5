import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export type Db = Database.Database;

/** Opens (creating) `<dataDir>/<file>` with WAL and foreign keys, then runs `schema` (idempotent DDL). */
export function openDb(dataDir: string, file: string, schema: string): Db {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const db = new Database(join(dataDir, file));
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 2000');
  db.exec(schema);
  return db;
}

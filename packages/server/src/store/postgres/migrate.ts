import pg from 'pg';
import { PG_MIGRATIONS, type PgMigration } from './migrations.js';
import { advisoryLockId, clientConfig, resolvePostgresOptions, type PostgresOptions } from './pool.js';
import { mapPgError } from './unavailable.js';

export interface MigrationReport {
  /** Versions applied by this call, in order. */
  readonly applied: number[];
  /** The schema version after the call. */
  readonly version: number;
}

/** Migrations may take longer than an ordinary statement. */
const MIGRATION_STATEMENT_TIMEOUT_MS = 60_000;

/**
 * Applies pending migrations under a PostgreSQL advisory lock (per schema), so several instances
 * starting at once never race: the first applies, the others wait, then find nothing to do.
 * Creates the schema when it is missing. Used on start-up and by `latchkey migrate`.
 */
export async function migratePostgres(options: PostgresOptions, migrations: readonly PgMigration[] = PG_MIGRATIONS): Promise<MigrationReport> {
  const o = resolvePostgresOptions(options);
  const client = new pg.Client(clientConfig(o, MIGRATION_STATEMENT_TIMEOUT_MS));
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    return mapPgError(err);
  }
  const lock = advisoryLockId(`latchkey:migrate:${o.schema}`);
  try {
    await client.query('SELECT pg_advisory_lock($1::bigint)', [lock]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${o.schema}"`);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)',
    );
    const done = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    const applied: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      }
      applied.push(m.version);
      done.add(m.version);
    }
    await client.query('SELECT pg_advisory_unlock($1::bigint)', [lock]);
    return { applied, version: Math.max(0, ...done) };
  } catch (err) {
    return mapPgError(err);
  } finally {
    // Ending the session also releases the advisory lock if the unlock above never ran.
    await client.end().catch(() => {});
  }
}

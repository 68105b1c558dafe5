import { createHash } from 'node:crypto';
import pg from 'pg';
import { mapPgError } from './unavailable.js';

/** Connection settings shared by the store, the migration runner and the CLI. */
export interface PostgresOptions {
  /** `postgres://user:pass@host:port/db` (libpq URL; `?sslmode=…` honoured by `pg`). */
  readonly connectionString: string;
  /** Schema holding Latchkey's tables (created if missing). Default `public`. */
  readonly schema?: string;
  /** Maximum pooled connections per instance; at least 2 (key management holds one while it works). Default 10. */
  readonly poolSize?: number;
  /** Give up opening a connection after this long → 503. Default 3000. */
  readonly connectTimeoutMs?: number;
  /** Server-side `statement_timeout`; the client also gives up 1 s later (dead sockets). Default 5000. */
  readonly statementTimeoutMs?: number;
  /** Close idle pooled connections after this long. Default 30000. */
  readonly idleTimeoutMs?: number;
}

export interface ResolvedPostgresOptions {
  readonly connectionString: string;
  readonly schema: string;
  readonly poolSize: number;
  readonly connectTimeoutMs: number;
  readonly statementTimeoutMs: number;
  readonly idleTimeoutMs: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function resolvePostgresOptions(o: PostgresOptions): ResolvedPostgresOptions {
  const schema = o.schema ?? 'public';
  if (!SCHEMA_NAME.test(schema)) throw new TypeError('PostgreSQL schema must match [a-z_][a-z0-9_]{0,62}');
  const poolSize = o.poolSize ?? 10;
  if (!Number.isInteger(poolSize) || poolSize < 2) throw new TypeError('PostgreSQL pool size must be an integer ≥ 2');
  return {
    connectionString: o.connectionString,
    schema,
    poolSize,
    connectTimeoutMs: o.connectTimeoutMs ?? 3000,
    statementTimeoutMs: o.statementTimeoutMs ?? 5000,
    idleTimeoutMs: o.idleTimeoutMs ?? 30_000,
  };
}

/** `pg` connection config: search_path pinned to the schema at connection start-up (no extra round trip). */
export function clientConfig(o: ResolvedPostgresOptions, statementTimeoutMs = o.statementTimeoutMs): pg.ClientConfig {
  return {
    connectionString: o.connectionString,
    options: `-c search_path=${o.schema}`,
    application_name: 'latchkey',
    connectionTimeoutMillis: o.connectTimeoutMs,
    statement_timeout: statementTimeoutMs,
    query_timeout: statementTimeoutMs + 1000,
    idle_in_transaction_session_timeout: statementTimeoutMs * 2,
    keepAlive: true,
  };
}

export function createPool(o: ResolvedPostgresOptions): pg.Pool {
  const pool = new pg.Pool({ ...clientConfig(o), max: o.poolSize, idleTimeoutMillis: o.idleTimeoutMs });
  // An idle connection dropped by a database restart emits 'error' on the pool; the pool discards it
  // and the next query opens a fresh one. Without a listener Node would crash the process.
  pool.on('error', () => {});
  return pool;
}

/** A stable 64-bit advisory-lock id for `name` (per schema), as the decimal string `pg` sends as bigint. */
export function advisoryLockId(name: string): string {
  return createHash('sha256').update(name).digest().readBigInt64BE(0).toString();
}

/**
 * Runs `fn` holding the session-level advisory lock `name` on one dedicated pooled connection. If
 * that connection dies, PostgreSQL releases the lock by itself.
 */
export async function withAdvisoryLock<T>(pool: pg.Pool, name: string, fn: () => Promise<T>): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    return mapPgError(err);
  }
  const id = advisoryLockId(name);
  // A socket error while the connection is checked out fails the running query; keep it from
  // becoming an unhandled 'error' event.
  const ignore = (): void => {};
  client.on('error', ignore);
  // A connection whose lock or unlock failed is thrown away, which releases the lock server-side.
  let discard: Error | undefined;
  try {
    try {
      await client.query('SELECT pg_advisory_lock($1::bigint)', [id]);
    } catch (err) {
      discard = err instanceof Error ? err : new Error('advisory lock failed');
      return mapPgError(err);
    }
    try {
      return await fn();
    } finally {
      try {
        await client.query('SELECT pg_advisory_unlock($1::bigint)', [id]);
      } catch (err) {
        discard = err instanceof Error ? err : new Error('advisory unlock failed');
      }
    }
  } finally {
    client.off('error', ignore);
    client.release(discard);
  }
}

/** A query function bound to one connection (inside {@link withTransaction}). */
export type TxQuery = <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => Promise<pg.QueryResult<R>>;

/**
 * Runs `fn` in one transaction on one pooled connection (READ COMMITTED; `fn` takes row locks with
 * `SELECT … FOR UPDATE` where it needs them). Commits when `fn` resolves, rolls back when it throws.
 * Connection failures map to `StoreUnavailableError`.
 */
export async function withTransaction<T>(pool: pg.Pool, fn: (query: TxQuery) => Promise<T>): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    return mapPgError(err);
  }
  const ignore = (): void => {};
  client.on('error', ignore);
  let discard: Error | undefined;
  const query: TxQuery = async (text, values = []) => {
    try {
      return await client.query(text, values);
    } catch (err) {
      return mapPgError(err);
    }
  };
  try {
    await query('BEGIN');
    try {
      const result = await fn(query);
      await query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackErr) {
        discard = rollbackErr instanceof Error ? rollbackErr : new Error('rollback failed');
      }
      throw err;
    }
  } finally {
    client.off('error', ignore);
    client.release(discard);
  }
}

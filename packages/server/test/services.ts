/**
 * Real PostgreSQL and Redis for tests. Targets: LATCHKEY_TEST_DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/test) and LATCHKEY_TEST_REDIS_URL (default redis://127.0.0.1:6379).
 * When a service is absent its suites are skipped with a message saying so — except under CI=true,
 * where they fail loudly instead. Every run isolates itself: its own PostgreSQL schema
 * (`latchkey_t_<random>`, dropped afterwards) and its own Redis key prefix (deleted afterwards).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';

export const PG_URL = process.env.LATCHKEY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.LATCHKEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

export type Service = 'postgres' | 'redis';

async function probePostgres(): Promise<string | null> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  c.on('error', () => {});
  try {
    await c.connect();
    await c.query('SELECT 1');
    return null;
  } catch (err) {
    return `PostgreSQL not reachable at ${new URL(PG_URL).host} (${(err as Error).message})`;
  } finally {
    await c.end().catch(() => {});
  }
}

async function probeRedis(): Promise<string | null> {
  const r = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => {});
  try {
    await r.connect();
    await r.ping();
    return null;
  } catch (err) {
    return `Redis not reachable at ${new URL(REDIS_URL).host} (${(err as Error).message})`;
  } finally {
    r.disconnect();
  }
}

const probes = new Map<Service, Promise<string | null>>();
function probe(s: Service): Promise<string | null> {
  let p = probes.get(s);
  if (p === undefined) {
    p = s === 'postgres' ? probePostgres() : probeRedis();
    probes.set(s, p);
  }
  return p;
}

/**
 * `describe` that needs real services: runs when they answer; otherwise skipped with the reason, or,
 * under CI=true, replaced by one failing test naming what is missing.
 */
export async function describeWith(services: readonly Service[], title: string, fn: () => void): Promise<void> {
  const missing = (await Promise.all(services.map(probe))).filter((m): m is string => m !== null);
  if (missing.length === 0) {
    describe(title, fn);
  } else if (IN_CI) {
    describe(title, () => {
      it('needs its services (CI=true: they must be running)', () => assert.fail(missing.join('; ')));
    });
  } else {
    describe(title, { skip: `${missing.join('; ')} — skipped (set CI=true to make this fail)` }, fn);
  }
}

export function testName(): string {
  return `latchkey_t_${randomBytes(6).toString('hex')}`;
}

/** Runs one statement against the test database on a short-lived connection. */
export async function pgAdmin<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<pg.QueryResult<T>> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5000 });
  c.on('error', () => {});
  await c.connect();
  try {
    return await c.query<T>(sql, values);
  } finally {
    await c.end().catch(() => {});
  }
}

export async function dropSchema(schema: string): Promise<void> {
  if (!/^latchkey_t_[0-9a-f]+$/.test(schema)) throw new Error(`refusing to drop ${schema}`);
  await pgAdmin(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/** The test database URL with host/port swapped (to go through a proxy). */
export function pgUrlVia(port: number, host = '127.0.0.1'): string {
  const u = new URL(PG_URL);
  u.hostname = host;
  u.port = String(port);
  return u.toString();
}
export function redisUrlVia(port: number, host = '127.0.0.1'): string {
  const u = new URL(REDIS_URL);
  u.hostname = host;
  u.port = String(port);
  return u.toString();
}

export function pgTarget(): { host: string; port: number } {
  const u = new URL(PG_URL);
  return { host: u.hostname, port: Number(u.port || 5432) };
}
export function redisTarget(): { host: string; port: number } {
  const u = new URL(REDIS_URL);
  return { host: u.hostname, port: Number(u.port || 6379) };
}

/** Deletes every Redis key under `prefix` (a test run's own prefix only). */
export async function deleteRedisPrefix(prefix: string): Promise<void> {
  if (!/^latchkey_t_[0-9a-f]+:$/.test(prefix)) throw new Error(`refusing to delete ${prefix}*`);
  const r = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  r.on('error', () => {});
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await r.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

import type { ServerConfig } from '../config/defaults.js';
import type { Store } from './types.js';
import { StoreUnavailableError } from '../errors.js';
import { openSqliteStore } from './sqlite/index.js';
import { openPostgresStore } from './postgres/index.js';
import { closeRedis, connectRedis, mapRedisError } from './redis/client.js';
import { redisRateLimits } from './redis/rate-limits.js';

/**
 * The store the configuration asks for: PostgreSQL when `databaseUrl` is set (migrations applied on
 * open), else SQLite in `dataDir`; rate-limit counters in Redis when `redisUrl` is set, else in the
 * primary store. `close()` closes everything it opened. Throws `StoreUnavailableError` when a service
 * cannot be reached at start-up.
 */
export async function openStore(config: ServerConfig): Promise<Store> {
  let primary: Store;
  if (config.databaseUrl === null) {
    primary = openSqliteStore(config.dataDir);
  } else {
    try {
      primary = await openPostgresStore({
        connectionString: config.databaseUrl,
        schema: config.databaseSchema,
        poolSize: config.databasePoolSize,
        statementTimeoutMs: config.databaseStatementTimeoutMs,
        connectTimeoutMs: config.storeConnectTimeoutMs,
      });
    } catch (err) {
      throw startupError(err, `PostgreSQL at ${safeUrl(config.databaseUrl)}`);
    }
  }
  if (config.redisUrl === null) return primary;
  let redis;
  try {
    redis = await connectRedis({ url: config.redisUrl, keyPrefix: config.redisKeyPrefix, connectTimeoutMs: config.storeConnectTimeoutMs });
  } catch (err) {
    await primary.close();
    throw startupError(err, `Redis at ${safeUrl(config.redisUrl)}`);
  }
  const client = redis;
  return {
    users: primary.users,
    sessions: primary.sessions,
    keys: primary.keys,
    securityEvents: primary.securityEvents,
    revocations: primary.revocations,
    clients: primary.clients,
    rateLimits: redisRateLimits(client, config.redisKeyPrefix),
    async ping() {
      await primary.ping();
      try {
        await client.ping();
      } catch (err) {
        mapRedisError(err);
      }
    },
    async close() {
      await Promise.all([primary.close(), closeRedis(client)]);
    },
  };
}

/** A URL without credentials or query (it may carry a password). */
function safeUrl(raw: string): string {
  const u = new URL(raw);
  return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
}

/** Start-up is not a request: say which service, where, and why, without secrets. */
function startupError(err: unknown, what: string): unknown {
  if (!(err instanceof StoreUnavailableError)) return err;
  const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
  const why = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message.slice(0, 120) : 'unreachable';
  return new StoreUnavailableError(`Cannot reach ${what} (${why}).`, { cause: err.cause });
}

/** One line saying where data lives, credentials removed (for `latchkey serve` and logs). */
export function describeStore(config: ServerConfig): string {
  const primary = config.databaseUrl === null ? `SQLite in ${config.dataDir}` : `PostgreSQL ${safeUrl(config.databaseUrl)} (schema ${config.databaseSchema})`;
  return config.redisUrl === null ? primary : `${primary} + Redis ${safeUrl(config.redisUrl)}`;
}

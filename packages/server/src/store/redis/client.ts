import { Redis, type RedisOptions as IoRedisOptions } from 'ioredis';
import { StoreUnavailableError } from '../../errors.js';

export interface RedisConnectionOptions {
  /** `redis://[user:pass@]host:port[/db]` or `rediss://…` (TLS). */
  readonly url: string;
  /** Prepended to every key and channel, so several deployments (or test runs) can share one Redis. Default `latchkey:`. */
  readonly keyPrefix?: string;
  /** Give up opening the connection after this long. Default 3000. */
  readonly connectTimeoutMs?: number;
  /** Fail a command that got no answer after this long → 503. Default 2000. */
  readonly commandTimeoutMs?: number;
}

const PREFIX = /^[A-Za-z0-9:_.-]{0,64}$/;

export function redisKeyPrefix(o: RedisConnectionOptions): string {
  const prefix = o.keyPrefix ?? 'latchkey:';
  if (!PREFIX.test(prefix)) throw new TypeError('Redis key prefix must match [A-Za-z0-9:_.-]{0,64}');
  return prefix;
}

/**
 * ioredis settings for fail-fast behaviour: no offline queue (a command while disconnected fails at
 * once instead of waiting, so requests get a prompt 503), one attempt per command, bounded timeouts,
 * and endless reconnection with capped back-off so the server recovers by itself.
 */
export function ioredisOptions(o: RedisConnectionOptions, extra: IoRedisOptions = {}): IoRedisOptions {
  return {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: o.connectTimeoutMs ?? 3000,
    commandTimeout: o.commandTimeoutMs ?? 2000,
    retryStrategy: (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 6), 2000),
    ...extra,
  };
}

/** Connects (throwing `StoreUnavailableError` when Redis cannot be reached) and returns the client. */
export async function connectRedis(o: RedisConnectionOptions, extra: IoRedisOptions = {}): Promise<Redis> {
  const client = new Redis(o.url, ioredisOptions(o, extra));
  // Connection errors also reject the command that hit them; the event itself only needs a listener
  // so Node does not treat it as unhandled.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    client.disconnect();
    throw new StoreUnavailableError('Redis is unavailable; retry shortly.', { cause: err });
  }
  return client;
}

/** Closes gracefully (QUIT, pending replies delivered), falling back to a hard disconnect. */
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  try {
    // QUIT waits for Redis to answer; a connection that is half-open (e.g. just after a network cut)
    // may never answer, and a subscriber connection has no command timeout: bound the wait, then drop it.
    if (client.status === 'ready') {
      await Promise.race([client.quit(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    }
  } catch {
    // fall through: the connection is dropped below either way
  }
  client.disconnect();
}

const TRANSIENT_REPLY = /^(LOADING|BUSY|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN)\b/;

/** Connection-level failures and transient server states → `StoreUnavailableError`; programming errors as is. */
export function mapRedisError(err: unknown): never {
  if (err instanceof Error && err.name === 'ReplyError' && !TRANSIENT_REPLY.test(err.message)) throw err;
  throw new StoreUnavailableError('Redis is unavailable; retry shortly.', { cause: err });
}

/**
 * Revocation transport over Redis, for scaled-out deployments (DESIGN §6): auth servers publish
 * "session `sid` is revoked; its access tokens live until `exp`", resource services subscribe.
 *
 * Two Redis structures, written together in one MULTI/EXEC:
 * - channel `<prefix>revocations`: pub/sub, JSON `{"sid": "...", "exp": <epoch seconds>}` — latency;
 * - sorted set `<prefix>revoked` (member sid, score exp): the live set, pruned on every publish — so a
 *   subscriber that was disconnected (pub/sub drops messages while you are away) catches up with
 *   `snapshot()` when its status turns back to `up`.
 *
 * Messages from the channel are validated; anything malformed is dropped, never thrown.
 */
import { closeRedis, connectRedis, mapRedisError, redisKeyPrefix, type RedisConnectionOptions } from '../store/redis/client.js';

export interface RevocationMessage {
  /** Session id (`sid` claim) whose access tokens must be refused. */
  readonly sid: string;
  /** Epoch seconds: the latest `exp` of any access token of that session; forget the entry after it. */
  readonly exp: number;
}

export interface RevocationPublisher {
  /** Records and broadcasts one revocation. Throws `StoreUnavailableError` when Redis is down. */
  publish(message: RevocationMessage, nowSeconds?: number): Promise<void>;
  close(): Promise<void>;
}

export type TransportStatus = 'up' | 'down';

export interface RevocationHandlers {
  onRevoked(message: RevocationMessage): void;
  /**
   * `up` once subscribed (and again after every reconnect — call `snapshot()` then to fill the gap);
   * `down` when the connection drops (apply your fail-open/fail-closed policy).
   */
  onStatus?(status: TransportStatus): void;
}

export interface RevocationSubscriber {
  /** Every revocation still live at `nowSeconds` (exp > now). */
  snapshot(nowSeconds?: number): Promise<RevocationMessage[]>;
  readonly status: TransportStatus;
  close(): Promise<void>;
}

const SID = /^[A-Za-z0-9_-]{1,128}$/;

/** Parses one channel message; `null` for anything that is not exactly `{sid, exp}` of the right shape. */
export function parseRevocationMessage(raw: string): RevocationMessage | null {
  if (raw.length > 512) return null;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const keys = Object.keys(v);
  if (keys.length !== 2 || !keys.includes('sid') || !keys.includes('exp')) return null;
  const { sid, exp } = v as { sid: unknown; exp: unknown };
  if (typeof sid !== 'string' || !SID.test(sid)) return null;
  if (typeof exp !== 'number' || !Number.isSafeInteger(exp) || exp <= 0) return null;
  return { sid, exp };
}

function names(o: RedisConnectionOptions) {
  const prefix = redisKeyPrefix(o);
  return { channel: `${prefix}revocations`, set: `${prefix}revoked` };
}

const nowSec = () => Math.floor(Date.now() / 1000);

/** Publisher: share one per auth-server process. */
export async function openRedisRevocationPublisher(o: RedisConnectionOptions): Promise<RevocationPublisher> {
  const { channel, set } = names(o);
  const redis = await connectRedis(o);
  return {
    async publish(message: RevocationMessage, now = nowSec()): Promise<void> {
      const payload = JSON.stringify({ sid: message.sid, exp: message.exp });
      if (parseRevocationMessage(payload) === null) throw new TypeError('revocation message must be {sid, exp}');
      let results: [Error | null, unknown][] | null;
      try {
        results = await redis
          .multi()
          // GT: a later exp wins; a new sid is added (GT never blocks additions).
          .zadd(set, 'GT', message.exp, message.sid)
          .zremrangebyscore(set, '-inf', now)
          .publish(channel, payload)
          .exec();
      } catch (err) {
        return mapRedisError(err);
      }
      // EXEC answers per command; a null reply means the transaction was discarded.
      const failed = results === null ? new Error('EXEC discarded') : results.find(([e]) => e !== null)?.[0];
      if (failed) mapRedisError(failed);
    },
    close: () => closeRedis(redis),
  };
}

/** Subscriber: one per resource-service process; reconnects by itself (capped back-off). */
export async function openRedisRevocationSubscriber(o: RedisConnectionOptions, handlers: RevocationHandlers): Promise<RevocationSubscriber> {
  const { channel, set } = names(o);
  // Subscriber mode needs its own connection; the reader serves snapshot().
  const sub = await connectRedis(o, { enableOfflineQueue: true, commandTimeout: undefined, autoResubscribe: true });
  const reader = await connectRedis(o);
  let status: TransportStatus = 'down';
  const setStatus = (s: TransportStatus) => {
    if (s === status) return;
    status = s;
    handlers.onStatus?.(s);
  };
  sub.on('message', (ch: string, raw: string) => {
    if (ch !== channel) return;
    const msg = parseRevocationMessage(raw);
    if (msg !== null) handlers.onRevoked(msg);
  });
  // `up` means both connections are usable: callers run snapshot() (the reader) as soon as they see
  // `up`, so reporting it while the reader is still reconnecting made that first snapshot fail.
  // After a reconnect ioredis re-subscribes before it reports ready.
  const bothReady = () => sub.status === 'ready' && reader.status === 'ready';
  sub.on('close', () => setStatus('down'));
  reader.on('close', () => setStatus('down'));
  sub.on('ready', () => bothReady() && setStatus('up'));
  reader.on('ready', () => bothReady() && setStatus('up'));
  try {
    // The subscriber connection has no command timeout (it waits for messages) and queues commands
    // while offline, so a SUBSCRIBE sent just as the network drops would wait forever: bound it.
    const limitMs = o.connectTimeoutMs ?? 3000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      sub.subscribe(channel),
      new Promise((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`SUBSCRIBE got no answer within ${limitMs} ms`)), limitMs);
      }),
    ]).finally(() => clearTimeout(timer));
  } catch (err) {
    await closeRedis(sub);
    await closeRedis(reader);
    return mapRedisError(err);
  }
  setStatus('up');
  return {
    get status() {
      return status;
    },
    async snapshot(now = nowSec()): Promise<RevocationMessage[]> {
      try {
        const flat = await reader.zrangebyscore(set, `(${now}`, '+inf', 'WITHSCORES');
        const out: RevocationMessage[] = [];
        for (let i = 0; i + 1 < flat.length; i += 2) out.push({ sid: flat[i] as string, exp: Number(flat[i + 1]) });
        return out;
      } catch (err) {
        return mapRedisError(err);
      }
    },
    async close(): Promise<void> {
      sub.removeAllListeners('close');
      reader.removeAllListeners('close');
      await Promise.all([closeRedis(sub), closeRedis(reader)]);
    },
  };
}


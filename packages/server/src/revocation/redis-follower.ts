import type { RevocationTransport } from '@latchkey/verify';
import type { RedisConnectionOptions } from '../store/redis/client.js';
import { openRedisRevocationSubscriber, type RevocationSubscriber } from './redis-transport.js';

/**
 * The revocation feed over Redis pub/sub, as a `@latchkey/verify` transport: scaled-out resource
 * services follow revocations from Redis instead of an auth server's SSE stream.
 *
 * @example
 * createVerifier({ issuer, audience, jwksUri, revocation: { transport: redisRevocationTransport({ url: process.env.REDIS_URL! }) } });
 *
 * One connection per `connect`: subscribe, then deliver the live snapshot (what was published while
 * this follower was away — pub/sub keeps nothing) and report ready; the connection ends when Redis
 * goes down (the follower then reconnects with backoff) or when the follower closes it.
 */
export function redisRevocationTransport(options: RedisConnectionOptions): RevocationTransport {
  return {
    name: 'redis',
    async connect(_cursor, handlers, signal) {
      let lost: (err: Error) => void = () => {};
      const ended = new Promise<void>((_resolve, reject) => {
        lost = reject;
      });
      let subscriber: RevocationSubscriber | undefined;
      const onAbort = (): void => void subscriber?.close().catch(() => {});
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        subscriber = await openRedisRevocationSubscriber(options, {
          onRevoked: (m) => {
            handlers.alive();
            handlers.revoked([m], undefined);
          },
          onStatus: (s) => {
            if (s === 'down') lost(new Error('the Redis revocation channel went down'));
          },
        });
        if (signal.aborted) return;
        const snapshot = await subscriber.snapshot();
        handlers.revoked(snapshot, undefined);
        handlers.ready(undefined);
        // Pub/sub sends no keep-alives the follower could see: keep its idle watchdog quiet while the
        // subscription is up (ioredis itself notices a dead connection and reports 'down').
        const heartbeat = setInterval(() => handlers.alive(), 10_000);
        heartbeat.unref();
        try {
          await Promise.race([ended, new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))]);
        } finally {
          clearInterval(heartbeat);
        }
      } finally {
        signal.removeEventListener('abort', onAbort);
        await subscriber?.close().catch(() => {});
      }
    },
  };
}

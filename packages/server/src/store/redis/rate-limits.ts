import type { Redis } from 'ioredis';
import { rateLimitKeyHash, rateLimitResult, rateLimitWindow, type RateLimitResult, type RateLimitStore } from '../rate-limit.js';
import { mapRedisError } from './client.js';

/**
 * One hash per key, `{w: window start, c: count}`, updated by a Lua script (atomic: Redis runs it
 * alone). A newer window starts the count again at 1 and resets the TTL; the same window increments.
 * Same semantics as the SQL stores' UPSERT. Expiry is relative (Redis' clock), windows are the caller's.
 */
const HIT_LUA = `
local ws = tonumber(ARGV[1])
local cur = tonumber(redis.call('HGET', KEYS[1], 'w'))
if cur == nil or ws > cur then
  redis.call('HSET', KEYS[1], 'w', ARGV[1], 'c', 1)
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1, ARGV[1]}
end
return {redis.call('HINCRBY', KEYS[1], 'c', 1), tostring(cur)}`;

/** Redis rate-limit counters: `<prefix>rl:<sha256(key)>`, expiring with their window. */
export function redisRateLimits(redis: Redis, prefix: string): RateLimitStore {
  let sha: string | null = null;
  const run = async (key: string, windowStart: number, ttlMs: number): Promise<[number, string]> => {
    if (sha !== null) {
      try {
        return (await redis.evalsha(sha, 1, key, windowStart, ttlMs)) as [number, string];
      } catch (err) {
        // After a Redis restart (or SCRIPT FLUSH) the script is gone: load it again below.
        if (!(err instanceof Error && err.message.startsWith('NOSCRIPT'))) throw err;
      }
    }
    sha = (await redis.script('LOAD', HIT_LUA)) as string;
    return (await redis.evalsha(sha, 1, key, windowStart, ttlMs)) as [number, string];
  };
  const redisKey = (key: string) => `${prefix}rl:${rateLimitKeyHash(key)}`;
  return {
    async hit(key: string, windowMs: number, limit: number, now: number): Promise<RateLimitResult> {
      const w = rateLimitWindow(key, windowMs, limit, now);
      // Kept a little past the window's end so clocks slightly apart across instances agree.
      const ttl = w.resetAt - now + 1000;
      try {
        const [count, windowStart] = await run(redisKey(key), w.windowStart, ttl);
        return rateLimitResult(count, limit, Number(windowStart) + windowMs);
      } catch (err) {
        return mapRedisError(err);
      }
    },
    async peek(key: string, windowMs: number, now: number): Promise<RateLimitResult> {
      const w = rateLimitWindow(key, windowMs, 0, now);
      try {
        const [ws, c] = await redis.hmget(redisKey(key), 'w', 'c');
        const count = ws !== null && Number(ws) === w.windowStart ? Number(c ?? 0) : 0;
        return rateLimitResult(count, 0, w.resetAt);
      } catch (err) {
        return mapRedisError(err);
      }
    },
    async reset(key: string): Promise<void> {
      try {
        await redis.del(redisKey(key));
      } catch (err) {
        mapRedisError(err);
      }
    },
    async deleteExpired(): Promise<number> {
      return 0;
    },
  };
}

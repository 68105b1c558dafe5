import { rateLimitKeyHash, rateLimitResult, rateLimitWindow, type RateLimitResult, type RateLimitStore } from '../rate-limit.js';
import type { PgQuery } from './postgres-store.js';

/** PostgreSQL rate-limit counters: one UPSERT per hit (row lock → atomic across instances). */
export function postgresRateLimits(query: PgQuery): RateLimitStore {
  return {
    async hit(key: string, windowMs: number, limit: number, now: number): Promise<RateLimitResult> {
      const w = rateLimitWindow(key, windowMs, limit, now);
      const r = await query<{ count: number; expires_at: string }>(
        `INSERT INTO rate_limits AS r (key, window_start, count, expires_at) VALUES ($1, $2, 1, $3)
         ON CONFLICT (key) DO UPDATE SET
           count = CASE WHEN excluded.window_start > r.window_start THEN 1 ELSE r.count + 1 END,
           expires_at = GREATEST(excluded.expires_at, r.expires_at),
           window_start = GREATEST(excluded.window_start, r.window_start)
         RETURNING count, expires_at`,
        [w.keyHash, w.windowStart, w.resetAt],
      );
      const row = r.rows[0];
      if (row === undefined) throw new Error('rate-limit upsert returned no row');
      return rateLimitResult(row.count, limit, Number(row.expires_at));
    },
    async peek(key: string, windowMs: number, now: number): Promise<RateLimitResult> {
      const w = rateLimitWindow(key, windowMs, 0, now);
      const r = await query<{ count: number }>('SELECT count FROM rate_limits WHERE key = $1 AND window_start = $2', [w.keyHash, w.windowStart]);
      return rateLimitResult(r.rows[0]?.count ?? 0, 0, w.resetAt);
    },
    async reset(key: string): Promise<void> {
      await query('DELETE FROM rate_limits WHERE key = $1', [rateLimitKeyHash(key)]);
    },
    async deleteExpired(now: number): Promise<number> {
      return (await query('DELETE FROM rate_limits WHERE expires_at <= $1', [now])).rowCount ?? 0;
    },
  };
}

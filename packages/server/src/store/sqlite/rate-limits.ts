import type Database from 'better-sqlite3';
import { rateLimitKeyHash, rateLimitResult, rateLimitWindow, type RateLimitResult, type RateLimitStore } from '../rate-limit.js';

/**
 * SQLite rate-limit counters. The table holds disposable counters, not data, so it is created here
 * (`IF NOT EXISTS`) rather than by a numbered migration. One UPSERT per hit: atomic, even across
 * processes sharing the file.
 */
export function sqliteRateLimits(db: Database.Database): RateLimitStore {
  db.exec(`CREATE TABLE IF NOT EXISTS rate_limits (
    key TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,
    count INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  )`);
  const hit = db.prepare(
    `INSERT INTO rate_limits (key, window_start, count, expires_at) VALUES (?, ?, 1, ?)
     ON CONFLICT (key) DO UPDATE SET
       count = CASE WHEN excluded.window_start > rate_limits.window_start THEN 1 ELSE rate_limits.count + 1 END,
       expires_at = MAX(excluded.expires_at, rate_limits.expires_at),
       window_start = MAX(excluded.window_start, rate_limits.window_start)
     RETURNING count, expires_at`,
  );
  const peek = db.prepare('SELECT count FROM rate_limits WHERE key = ? AND window_start = ?');
  const reset = db.prepare('DELETE FROM rate_limits WHERE key = ?');
  const sweep = db.prepare('DELETE FROM rate_limits WHERE expires_at <= ?');
  return {
    async hit(key: string, windowMs: number, limit: number, now: number): Promise<RateLimitResult> {
      const w = rateLimitWindow(key, windowMs, limit, now);
      const row = hit.get(w.keyHash, w.windowStart, w.resetAt) as { count: number; expires_at: number };
      return rateLimitResult(row.count, limit, row.expires_at);
    },
    async peek(key: string, windowMs: number, now: number): Promise<RateLimitResult> {
      const w = rateLimitWindow(key, windowMs, 0, now);
      const row = peek.get(w.keyHash, w.windowStart) as { count: number } | undefined;
      return rateLimitResult(row?.count ?? 0, 0, w.resetAt);
    },
    async reset(key: string): Promise<void> {
      reset.run(rateLimitKeyHash(key));
    },
    async deleteExpired(now: number): Promise<number> {
      return sweep.run(now).changes;
    },
  };
}

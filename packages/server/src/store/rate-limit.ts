/**
 * Rate-limit counters, a sub-store of `Store` (`store.rateLimits`). Implemented by SQLite, PostgreSQL
 * and Redis; all pass test/rate-limit-suite.ts.
 *
 * Fixed windows: the window containing `now` is `[floor(now / windowMs) * windowMs, + windowMs)`.
 * Every hit counts, blocked ones too, so an attacker who keeps trying stays blocked until the window
 * ends. Known limit of fixed windows: up to `2 * limit` hits can land around a window boundary; pick
 * `limit` with that in mind. Keys are hashed (SHA-256) before they are stored, so emails or IP
 * addresses used as keys are never kept in clear.
 *
 * @example
 * const r = await store.rateLimits.hit(`login:${email}`, 15 * 60_000, 10, Date.now());
 * if (r.blocked) reply.header('retry-after', Math.ceil((r.resetAt - now) / 1000));
 */
import { createHash } from 'node:crypto';

export interface RateLimitResult {
  /** Hits in the current window, this one included. */
  readonly count: number;
  readonly limit: number;
  /** `count > limit`. */
  readonly blocked: boolean;
  /** Epoch ms at which the current window ends and the count starts again from zero. */
  readonly resetAt: number;
}

export interface RateLimitStore {
  /** Counts one hit on `key` in the fixed window of `windowMs` containing `now`; atomic across instances. */
  hit(key: string, windowMs: number, limit: number, now: number): Promise<RateLimitResult>;
  /**
   * Reads `key`'s count in the window of `windowMs` containing `now` without counting a hit (0 when
   * the stored window is older). Lets callers count only failures yet refuse before doing the work.
   */
  peek(key: string, windowMs: number, now: number): Promise<RateLimitResult>;
  /** Forgets `key`'s counter (e.g. after a successful login). */
  reset(key: string): Promise<void>;
  /** Deletes counters whose window ended at or before `now`; returns how many (Redis: 0, keys expire by TTL). */
  deleteExpired(now: number): Promise<number>;
}

/** Validates the arguments every implementation shares and computes the window. */
export function rateLimitWindow(key: string, windowMs: number, limit: number, now: number): { keyHash: string; windowStart: number; resetAt: number } {
  if (typeof key !== 'string' || key.length === 0) throw new TypeError('rate-limit key must be a non-empty string');
  if (!Number.isSafeInteger(windowMs) || windowMs < 1) throw new TypeError('windowMs must be a positive integer');
  if (!Number.isSafeInteger(limit) || limit < 0) throw new TypeError('limit must be a non-negative integer');
  if (!Number.isSafeInteger(now) || now < 0) throw new TypeError('now must be epoch milliseconds');
  const windowStart = Math.floor(now / windowMs) * windowMs;
  return { keyHash: rateLimitKeyHash(key), windowStart, resetAt: windowStart + windowMs };
}

export function rateLimitKeyHash(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('base64url');
}

export function rateLimitResult(count: number, limit: number, resetAt: number): RateLimitResult {
  return { count, limit, blocked: count > limit, resetAt };
}

/**
 * Brute-force protection over `store.rateLimits` (SQLite, PostgreSQL or Redis, so every instance
 * shares the counts). Only failures count; a request is refused with `429 too_many_requests` and
 * `Retry-After` *before* any password or secret work once a key's failures in a window reach the
 * tier's limit. Tiers grow (progressive back-off): a minute, then a quarter of an hour, an hour, a
 * day. Keys are hashed by the store, so emails and addresses are never kept in clear.
 *
 * Per-account keys use the normalised email whether or not an account exists, so a 429 says nothing
 * about existence. A successful login clears its account's counts (a user who finally remembers the
 * password is not kept waiting), never the IP's. Known limits: peek-then-hit lets a burst of
 * concurrent attempts overshoot a limit by the burst size; a per-account limit lets a stranger delay
 * (not block for long) one account's sign-in — the first tiers are short for that reason.
 */
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { StoreUnavailableError, TooManyRequestsError } from '../errors.js';

/** Runs a counter operation; an unreachable counter store is ignored (fail open, see above). */
async function counters<T>(op: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof StoreUnavailableError) return fallback;
    throw err;
  }
}

export interface Tier {
  /** Failures allowed in one window; the next attempt is refused until the window ends. */
  readonly limit: number;
  readonly windowMs: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Every rule and its tiers (documented in docs/security.md). */
export const THROTTLE_RULES = Object.freeze({
  /** Failed logins per account (normalised email). */
  loginAccount: [
    { limit: 5, windowMs: MINUTE },
    { limit: 10, windowMs: 15 * MINUTE },
    { limit: 20, windowMs: HOUR },
    { limit: 50, windowMs: 24 * HOUR },
  ],
  /** Failed logins per client IP (any account). */
  loginIp: [
    { limit: 20, windowMs: MINUTE },
    { limit: 100, windowMs: HOUR },
    { limit: 500, windowMs: 24 * HOUR },
  ],
  /** Failed refreshes (unknown, expired, reused or malformed refresh tokens) per client IP. */
  refreshIp: [
    { limit: 30, windowMs: MINUTE },
    { limit: 200, windowMs: HOUR },
  ],
  /** Failed client authentications per client id at /oauth/token, /oauth/introspect, /oauth/revoke. */
  clientId: [
    { limit: 5, windowMs: MINUTE },
    { limit: 20, windowMs: HOUR },
  ],
  /** Failed client authentications per client IP. */
  clientIp: [
    { limit: 20, windowMs: MINUTE },
    { limit: 100, windowMs: HOUR },
  ],
} satisfies Record<string, readonly Tier[]>);

export type ThrottleRule = keyof typeof THROTTLE_RULES;

/** One counted thing: a rule and the subject it counts for (an email, an address, a client id). */
export type ThrottleKey = readonly [rule: ThrottleRule, subject: string];

function storeKey(rule: ThrottleRule, subject: string, tier: Tier): string {
  return `${rule}:${tier.windowMs}:${subject}`;
}

/**
 * The client's address: the socket peer, or — only when the peer is a configured trusted proxy
 * (`trustProxy`) — the nearest untrusted `X-Forwarded-For` entry (Fastify/proxy-addr semantics).
 */
export function clientIp(request: FastifyRequest): string {
  return request.ip;
}

/** Refuses (429 + Retry-After) when any key's failures reached a tier's limit. Counts nothing. */
export async function assertNotThrottled(ctx: AppContext, keys: readonly ThrottleKey[]): Promise<void> {
  if (!ctx.config.rateLimits) return;
  const now = ctx.now();
  let retryAfterMs = 0;
  await counters(
    () =>
      Promise.all(
        keys.flatMap(([rule, subject]) =>
          THROTTLE_RULES[rule].map(async (tier) => {
            const r = await ctx.store.rateLimits.peek(storeKey(rule, subject, tier), tier.windowMs, now);
            if (r.count >= tier.limit) retryAfterMs = Math.max(retryAfterMs, r.resetAt - now);
          }),
        ),
      ),
    [],
  );
  if (retryAfterMs > 0) throw new TooManyRequestsError(retryAfterMs / 1000);
}

/** Counts one failure on every key and tier. */
export async function recordFailure(ctx: AppContext, keys: readonly ThrottleKey[]): Promise<void> {
  if (!ctx.config.rateLimits) return;
  const now = ctx.now();
  await counters(
    () =>
      Promise.all(
        keys.flatMap(([rule, subject]) =>
          THROTTLE_RULES[rule].map((tier) => ctx.store.rateLimits.hit(storeKey(rule, subject, tier), tier.windowMs, tier.limit, now)),
        ),
      ),
    [],
  );
}

/** Forgets a key's failures on every tier (after a success). */
export async function clearFailures(ctx: AppContext, key: ThrottleKey): Promise<void> {
  if (!ctx.config.rateLimits) return;
  const [rule, subject] = key;
  await counters(() => Promise.all(THROTTLE_RULES[rule].map((tier) => ctx.store.rateLimits.reset(storeKey(rule, subject, tier)))), []);
}

/**
 * Runs `attempt` under the throttle: refuses first when blocked; counts a failure when `attempt`
 * throws one of `failures`; rethrows.
 */
export async function throttled<T>(
  ctx: AppContext,
  keys: readonly ThrottleKey[],
  isFailure: (err: unknown) => boolean,
  attempt: () => Promise<T>,
): Promise<T> {
  await assertNotThrottled(ctx, keys);
  try {
    return await attempt();
  } catch (err) {
    if (isFailure(err)) await recordFailure(ctx, keys);
    throw err;
  }
}

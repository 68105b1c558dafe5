import type { AppContext } from '../context.js';
import type { RevokeReason, Store } from '../store/types.js';

/**
 * Latest `exp` (epoch seconds) an access token of a session revoked at `revokedAt` can carry: tokens are
 * only minted while the session is live, each for `accessTokenTtlSeconds`.
 */
export function revocationExp(revokedAt: number, accessTokenTtlSeconds: number): number {
  return Math.ceil(revokedAt / 1000) + accessTokenTtlSeconds;
}

/** Revokes one session and publishes it on the feed. False when it was unknown or already revoked. */
export async function revokeSession(ctx: AppContext, sessionId: string, reason: RevokeReason): Promise<boolean> {
  const now = ctx.now();
  const revoked = await ctx.store.sessions.revoke(sessionId, reason, now);
  if (revoked) await publishRevoked(ctx, sessionId, reason, now);
  return revoked;
}

/** Publishes a session the store already revoked (e.g. by reuse detection inside its transaction). */
export async function publishRevoked(ctx: AppContext, sessionId: string, reason: RevokeReason, revokedAt: number): Promise<void> {
  await ctx.revocations.publish({ sid: sessionId, exp: revocationExp(revokedAt, ctx.config.accessTokenTtlSeconds), reason }, ctx.now());
}

/** Revokes every live session of a user and publishes each one. Returns the revoked session ids. */
export async function revokeAllSessions(ctx: AppContext, userId: string, reason: RevokeReason): Promise<string[]> {
  const now = ctx.now();
  const ids = await revokeAllInStore(ctx.store, userId, reason, now);
  for (const id of ids) await publishRevoked(ctx, id, reason, now);
  return ids;
}

/**
 * Store-level "revoke everything of this user" that also appends each session to the revocation log,
 * for callers without a running server (the CLI): the server's feed picks the entries up on its next
 * poll. Returns the revoked session ids.
 */
export async function revokeAllInStore(store: Store, userId: string, reason: RevokeReason, now: number, accessTokenTtlSeconds?: number): Promise<string[]> {
  await store.sessions.revokeAllForUser(userId, reason, now);
  // Read back what this call revoked (same timestamp and reason) rather than listing first, so a session
  // created concurrently is either revoked-and-published here or not revoked at all.
  const ids = (await store.sessions.listForUser(userId)).filter((s) => s.revokedAt === now && s.revokeReason === reason).map((s) => s.id);
  if (accessTokenTtlSeconds !== undefined) {
    for (const sid of ids) await store.revocations.append({ sid, exp: revocationExp(now, accessTokenTtlSeconds), reason }, now);
  }
  return ids;
}

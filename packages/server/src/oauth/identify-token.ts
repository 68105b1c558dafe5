import type { AppContext } from '../context.js';
import type { Session } from '../store/types.js';
import { MAX_TOKEN_LENGTH, verifyOwnAccessToken, type AccessTokenClaims } from '../tokens/access-token.js';
import { safeEqual, sha256 } from '../tokens/crypto.js';
import { parseRefreshToken } from '../tokens/refresh-token.js';

/** What a token presented to `/oauth/revoke` or `/oauth/introspect` turned out to be. */
export type IdentifiedToken =
  | { readonly kind: 'refresh'; readonly session: Session }
  | { readonly kind: 'access'; readonly claims: AccessTokenClaims };

/**
 * Recognises one of this server's tokens: a refresh token whose secret is its session's *current* one,
 * or an access token that verifies with our keys (any audience, not expired). Anything else — garbage,
 * a rotated-away refresh secret, an expired or foreign JWT — is null. Liveness (revoked session,
 * disabled user or client) is the caller's question.
 */
export async function identifyToken(ctx: AppContext, token: string): Promise<IdentifiedToken | null> {
  if (token.length > MAX_TOKEN_LENGTH) return null;
  const refresh = parseRefreshToken(token);
  if (refresh !== null) {
    const session = await ctx.store.sessions.get(refresh.sessionId);
    if (session === null || !safeEqual(session.refreshHash, sha256(refresh.secret))) return null;
    return { kind: 'refresh', session };
  }
  try {
    return { kind: 'access', claims: await verifyOwnAccessToken(ctx.keys, ctx.config, token, ctx.now(), { anyAudience: true }) };
  } catch {
    return null;
  }
}

/** True when a session-bound token's session is still usable (not revoked, not expired, user active). */
export async function sessionIsLive(ctx: AppContext, session: Session | null, userId?: string): Promise<boolean> {
  if (session === null || session.revokedAt !== null || session.expiresAt <= ctx.now()) return false;
  if (userId !== undefined && session.userId !== userId) return false;
  const user = await ctx.store.users.findById(session.userId);
  return user !== null && !user.disabled;
}

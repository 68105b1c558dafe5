import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { OPTIONAL_REFRESH_TOKEN_BODY, type OptionalRefreshTokenBody } from './shared.js';
import type { Session } from '../store/types.js';
import { assertSameSite } from '../http/origin-guard.js';
import { assertCsrfHeader } from '../auth/csrf.js';
import { ACCESS_COOKIE, clearedCookies, readCookie, REFRESH_COOKIE } from '../http/cookies.js';
import { verifyOwnAccessToken } from '../tokens/access-token.js';
import { safeEqual, sha256 } from '../tokens/crypto.js';
import { parseRefreshToken } from '../tokens/refresh-token.js';
import { revokeSession } from '../auth/revoke.js';

/**
 * `POST /auth/logout` → 204, session revoked, both cookies cleared.
 * Cookie mode: the session is found from the refresh cookie (or the access cookie's `sid`) and the
 * `X-CSRF-Token` header must match its stored CSRF hash (403 otherwise). Token mode: body {refresh_token}.
 * With no identifiable session it still answers 204 and clears the cookies (idempotent).
 */
export function logoutRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post<{ Body: OptionalRefreshTokenBody | undefined }>(
    '/auth/logout',
    OPTIONAL_REFRESH_TOKEN_BODY,
    async (request, reply) => {
      assertSameSite(request, ctx.config);
      const now = ctx.now();
      const bodyToken = request.body?.refresh_token;
      if (bodyToken !== undefined) {
        // Token mode: possession of the current refresh token is the proof (RFC 7009-like).
        const session = await sessionFromRefresh(ctx, bodyToken);
        if (session !== null) await revokeSession(ctx, session.id, 'logout');
        return reply.code(204).send();
      }

      let session = await sessionFromRefresh(ctx, readCookie(request.headers.cookie, REFRESH_COOKIE));
      if (session === null) {
        const at = readCookie(request.headers.cookie, ACCESS_COOKIE);
        if (at !== undefined) {
          try {
            const claims = await verifyOwnAccessToken(ctx.keys, ctx.config, at, now);
            if (typeof claims.sid === 'string') session = await ctx.store.sessions.get(claims.sid);
          } catch {
            session = null;
          }
        }
      }
      if (session !== null && session.revokedAt === null) {
        assertCsrfHeader(request, session.csrfHash);
        await revokeSession(ctx, session.id, 'logout');
      }
      return reply.header('set-cookie', clearedCookies()).code(204).send();
    },
  );
}

async function sessionFromRefresh(ctx: AppContext, value: string | undefined): Promise<Session | null> {
  const parsed = parseRefreshToken(value);
  if (parsed === null) return null;
  const session = await ctx.store.sessions.get(parsed.sessionId);
  if (session === null || !safeEqual(session.refreshHash, sha256(parsed.secret))) return null;
  return session;
}

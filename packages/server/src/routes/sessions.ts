import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { CsrfTokenMismatchError, CsrfTokenMissingError, SessionNotFoundError } from '../errors.js';
import { assertSameSite } from '../http/origin-guard.js';
import { clearedCookies, CSRF_HEADER } from '../http/cookies.js';
import { authenticate, type AccessCredential } from '../auth/read-access-token.js';
import { deviceLabel } from '../auth/device-label.js';
import { revokeAllSessions, revokeSession } from '../auth/revoke.js';
import type { AccessTokenClaims } from '../tokens/access-token.js';
import { safeEqual } from '../tokens/crypto.js';
import type { Session } from '../store/types.js';

/** One row of "your devices". */
export interface SessionJson {
  id: string;
  device: string;
  client_id: string;
  created_at: string;
  last_used_at: string;
  expires_at: string;
  current: boolean;
}

function sessionJson(s: Session, currentSid: string | undefined): SessionJson {
  return {
    id: s.id,
    device: deviceLabel(s.userAgent),
    client_id: s.clientId,
    created_at: new Date(s.createdAt).toISOString(),
    // Refreshes are the only server-side trace of use (access tokens are verified by the services alone).
    last_used_at: new Date(s.lastUsedAt).toISOString(),
    expires_at: new Date(s.expiresAt).toISOString(),
    current: s.id === currentSid,
  };
}

/**
 * Cookie credentials on an unsafe route: cross-site guard, then `X-CSRF-Token` must equal the access
 * token's `csrf` claim (constant time). Bearer credentials need neither (nothing attaches them by itself).
 */
function assertCookieIntent(request: FastifyRequest, ctx: AppContext, credential: AccessCredential, claims: AccessTokenClaims): void {
  if (credential.source !== 'cookie') return;
  assertSameSite(request, ctx.config);
  const header = request.headers[CSRF_HEADER.toLowerCase()];
  if (typeof header !== 'string' || header.length === 0) throw new CsrfTokenMissingError();
  if (typeof claims.csrf !== 'string' || header.length > 256 || !safeEqual(header, claims.csrf)) throw new CsrfTokenMismatchError();
}

/**
 * A user's devices: `GET /auth/sessions`, `DELETE /auth/sessions/:id`, `POST /auth/logout-all`.
 * Authenticated by the access token (cookie or Bearer); cookie requests that change state need the
 * CSRF header. Every revocation is published on the revocation feed.
 */
export function sessionRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/auth/sessions', async (request, reply) => {
    const { claims } = await authenticate(ctx, request);
    const now = ctx.now();
    const live = (await ctx.store.sessions.listForUser(claims.sub)).filter((s) => s.revokedAt === null && s.expiresAt > now);
    return reply.send({ sessions: live.map((s) => sessionJson(s, claims.sid)) });
  });

  app.delete<{ Params: { id: string } }>(
    '/auth/sessions/:id',
    { schema: { params: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } } },
    async (request, reply) => {
      const { claims, credential } = await authenticate(ctx, request);
      assertCookieIntent(request, ctx, credential, claims);
      const target = await ctx.store.sessions.get(request.params.id);
      // Someone else's session answers exactly like a missing one.
      if (target === null || target.userId !== claims.sub || target.revokedAt !== null || target.expiresAt <= ctx.now()) {
        throw new SessionNotFoundError();
      }
      await revokeSession(ctx, target.id, 'session_deleted');
      if (target.id === claims.sid && credential.source === 'cookie') reply.header('set-cookie', clearedCookies());
      return reply.code(204).send();
    },
  );

  app.post<{ Body: Record<string, never> | undefined }>(
    '/auth/logout-all',
    {
      preValidation: async (request) => {
        if (request.body === undefined) request.body = {};
      },
      schema: { body: { type: 'object', additionalProperties: false, properties: {} } },
    },
    async (request, reply) => {
      const { claims, credential } = await authenticate(ctx, request);
      assertCookieIntent(request, ctx, credential, claims);
      const ids = await revokeAllSessions(ctx, claims.sub, 'logout_all');
      if (credential.source === 'cookie') reply.header('set-cookie', clearedCookies());
      return reply.send({ sessions_revoked: ids.length });
    },
  );
}

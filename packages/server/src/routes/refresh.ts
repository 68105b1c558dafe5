import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppContext } from '../context.js';
import { InvalidRefreshTokenError, InvalidRequestError, RefreshTokenReusedError, type LatchkeyError } from '../errors.js';
import { assertSameSite } from '../http/origin-guard.js';
import { assertCsrfHeader } from '../auth/csrf.js';
import { clearedCookies, readCookie, REFRESH_COOKIE } from '../http/cookies.js';
import { sendError } from '../http/error-handler.js';
import { issueAccessToken, NATIVE_CLIENT_ID, WEB_CLIENT_ID } from '../tokens/access-token.js';
import { randomToken, safeEqual, sha256 } from '../tokens/crypto.js';
import { formatRefreshToken, newRefreshSecret, parseRefreshToken } from '../tokens/refresh-token.js';
import { sendBearerTokens, sendCookieTokens } from '../auth/sessions.js';

interface RefreshBody {
  refresh_token?: string;
}

/**
 * `POST /auth/refresh`
 * - cookie mode: refresh cookie + `X-CSRF-Token` (checked against the session's stored CSRF hash, since
 *   the access token may have expired) → 200 {expires_in, expires_at}, new cookies, new `X-CSRF-Token`.
 * - token mode: body {refresh_token} → 200 {access_token, token_type, expires_in, refresh_token, scope}.
 * Every refresh rotates the refresh token; presenting a rotated one revokes the session (401 refresh_token_reused).
 */
export function refreshRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post<{ Body: RefreshBody | undefined }>(
    '/auth/refresh',
    {
      // These endpoints take no body in cookie mode; validate an absent one as `{}`.
      preValidation: async (request) => {
        if (request.body === undefined) request.body = {};
      },
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { refresh_token: { type: 'string', maxLength: 128 } },
        },
      },
    },
    async (request, reply) => {
      assertSameSite(request, ctx.config);
      const cookieValue = readCookie(request.headers.cookie, REFRESH_COOKIE);
      const bodyValue = request.body?.refresh_token;
      if (cookieValue !== undefined && bodyValue !== undefined) {
        throw new InvalidRequestError('Send the refresh token either as the cookie or in the body, not both.');
      }
      const cookieMode = bodyValue === undefined;
      const fail = (err: LatchkeyError): FastifyReply => {
        if (cookieMode) reply.header('set-cookie', clearedCookies());
        return sendError(reply, err);
      };

      const parsed = parseRefreshToken(cookieMode ? cookieValue : bodyValue);
      if (parsed === null) return fail(new InvalidRefreshTokenError(cookieValue === undefined && cookieMode ? 'No refresh token was sent.' : undefined));
      const now = ctx.now();
      const session = await ctx.store.sessions.get(parsed.sessionId);
      const expectedClient = cookieMode ? WEB_CLIENT_ID : NATIVE_CLIENT_ID;
      if (session === null || session.clientId !== expectedClient) return fail(new InvalidRefreshTokenError());
      const presentedHash = sha256(parsed.secret);

      // The CSRF check guards the happy path. A stale (already rotated) secret skips it on purpose:
      // nothing is issued for it, and it must reach the store so reuse is detected and the session revoked.
      if (cookieMode && safeEqual(session.refreshHash, presentedHash)) {
        assertCsrfHeader(request, session.csrfHash);
      }

      const user = await ctx.store.users.findById(session.userId);
      if (user === null || user.disabled) {
        await ctx.store.sessions.revoke(session.id, 'user_disabled', now);
        return fail(new InvalidRefreshTokenError());
      }

      const secret = newRefreshSecret();
      const csrf = cookieMode ? randomToken(32) : undefined;
      const outcome = await ctx.store.sessions.rotateRefresh(session.id, presentedHash, sha256(secret), csrf === undefined ? null : sha256(csrf), now);
      if (outcome === 'reused') return fail(new RefreshTokenReusedError());
      if (outcome !== 'rotated') return fail(new InvalidRefreshTokenError());

      const access = await issueAccessToken(
        ctx.keys,
        ctx.config,
        { subject: user.id, sessionId: session.id, clientId: expectedClient, roles: user.roles, ...(csrf === undefined ? {} : { csrf }) },
        now,
      );
      const minted = { sessionId: session.id, access, refreshToken: formatRefreshToken(session.id, secret), csrf, sessionExpiresAt: session.expiresAt };
      return cookieMode ? sendCookieTokens(reply, ctx, minted) : sendBearerTokens(reply, ctx, minted);
    },
  );
}

import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppContext } from '../context.js';
import { InvalidRefreshTokenError, InvalidRequestError, RefreshTokenReusedError, type LatchkeyError } from '../errors.js';
import { assertSameSite } from '../http/origin-guard.js';
import { assertCsrfHeader } from '../auth/csrf.js';
import { clearedCookies, readCookie, REFRESH_COOKIE } from '../http/cookies.js';
import { sendError } from '../http/error-handler.js';
import { issueAccessToken, NATIVE_CLIENT_ID, WEB_CLIENT_ID } from '../tokens/access-token.js';
import { randomToken, safeEqual, sha256 } from '../tokens/crypto.js';
import { formatRefreshToken, parseRefreshToken } from '../tokens/refresh-token.js';
import { sendBearerTokens, sendCookieTokens } from '../auth/sessions.js';
import { deriveSuccessor } from '../auth/rotation.js';
import { publishRevoked, revokeSession } from '../auth/revoke.js';

interface RefreshBody {
  refresh_token?: string;
}

/**
 * `POST /auth/refresh`
 * - cookie mode: refresh cookie + `X-CSRF-Token` (checked against the session's stored CSRF hash, since
 *   the access token may have expired) → 200 {expires_in, expires_at}, new cookies, new `X-CSRF-Token`.
 * - token mode: body {refresh_token} → 200 {access_token, token_type, expires_in, refresh_token, scope}.
 * Every refresh rotates the refresh token. Presenting the token the last rotation replaced within
 * `refreshGraceSeconds` answers with the same successor (concurrent tabs); presenting any rotated token
 * later revokes the session (401 refresh_token_reused) and publishes the revocation.
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
      const graceMs = ctx.config.refreshGraceSeconds * 1000;
      const session = await ctx.store.sessions.get(parsed.sessionId);
      const expectedClient = cookieMode ? WEB_CLIENT_ID : NATIVE_CLIENT_ID;
      if (session === null || session.clientId !== expectedClient) return fail(new InvalidRefreshTokenError());
      const presentedHash = sha256(parsed.secret);

      // The CSRF check guards every answer that issues tokens: the current secret, or the one the last
      // rotation replaced while the grace window is open. Inside the window a tab may still hold the
      // previous CSRF token (it read it before the other tab's refresh landed), so both are accepted.
      // A stale secret outside the window skips it on purpose: nothing is issued for it, and it must
      // reach the store so reuse is detected and the session revoked.
      const recentRotation = graceMs > 0 && session.rotatedAt !== null && now - session.rotatedAt <= graceMs && now >= session.rotatedAt;
      const isCurrent = safeEqual(session.refreshHash, presentedHash);
      const isGraceCandidate = recentRotation && session.previousRefreshHash !== null && safeEqual(session.previousRefreshHash, presentedHash);
      if (cookieMode && (isCurrent || isGraceCandidate)) {
        assertCsrfHeader(request, recentRotation ? [session.csrfHash, session.previousCsrfHash] : session.csrfHash);
      }

      const user = await ctx.store.users.findById(session.userId);
      if (user === null || user.disabled) {
        await revokeSession(ctx, session.id, 'user_disabled');
        return fail(new InvalidRefreshTokenError());
      }

      const nonce = randomToken(32);
      let successor = deriveSuccessor(parsed.secret, nonce, cookieMode);
      const result = await ctx.store.sessions.rotateRefresh(
        session.id,
        presentedHash,
        { hash: sha256(successor.secret), csrfHash: successor.csrf === undefined ? null : sha256(successor.csrf), nonce },
        now,
        graceMs,
      );
      switch (result.outcome) {
        case 'rotated':
          break;
        case 'grace':
          // A concurrent refresh with this secret already rotated: hand out the very same successor.
          successor = deriveSuccessor(parsed.secret, result.nonce, cookieMode);
          break;
        case 'reused':
          request.log.warn({ sid: session.id, event: 'refresh_reuse_detected' }, 'refresh token reuse: session revoked');
          await publishRevoked(ctx, session.id, 'refresh_reuse_detected', now);
          return fail(new RefreshTokenReusedError());
        default:
          return fail(new InvalidRefreshTokenError());
      }

      const csrf = successor.csrf;
      const access = await issueAccessToken(
        ctx.keys,
        ctx.config,
        { subject: user.id, sessionId: session.id, clientId: expectedClient, roles: user.roles, ...(csrf === undefined ? {} : { csrf }) },
        now,
      );
      const minted = { sessionId: session.id, access, refreshToken: formatRefreshToken(session.id, successor.secret), csrf, sessionExpiresAt: session.expiresAt };
      return cookieMode ? sendCookieTokens(reply, ctx, minted) : sendBearerTokens(reply, ctx, minted);
    },
  );
}

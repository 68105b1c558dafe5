import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppContext } from '../context.js';
import { OPTIONAL_REFRESH_TOKEN_BODY, type OptionalRefreshTokenBody } from './shared.js';
import { InvalidRefreshTokenError, InvalidRequestError, RefreshTokenReusedError, type LatchkeyError } from '../errors.js';
import { assertSameSite } from '../http/origin-guard.js';
import { assertCsrfHeader } from '../auth/csrf.js';
import { clearedCookies, readCookie, REFRESH_COOKIE } from '../http/cookies.js';
import { sendError } from '../http/error-handler.js';
import type { Session } from '../store/types.js';
import { sendBearerTokens, sendCookieTokens, type MintedTokens } from '../auth/sessions.js';
import { refreshSession } from '../auth/refresh-session.js';
import { clientIp } from '../auth/throttle.js';

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
  app.post<{ Body: OptionalRefreshTokenBody | undefined }>(
    '/auth/refresh',
    OPTIONAL_REFRESH_TOKEN_BODY,
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
      if (cookieMode && cookieValue === undefined) return fail(new InvalidRefreshTokenError('No refresh token was sent.'));

      let minted: MintedTokens;
      try {
        minted = await refreshSession(ctx, {
          token: cookieMode ? cookieValue : bodyValue,
          mode: cookieMode ? 'cookie' : 'token',
          clientIp: clientIp(request),
          // The CSRF check guards every answer that issues tokens (see refreshSession for which CSRF
          // tokens are accepted and why a stale secret skips it).
          ...(cookieMode ? { checkCurrent: (_session: Session, csrfHashes: readonly (string | null)[]) => assertCsrfHeader(request, csrfHashes) } : {}),
        });
      } catch (err) {
        if (err instanceof InvalidRefreshTokenError || err instanceof RefreshTokenReusedError) return fail(err);
        throw err;
      }
      return cookieMode ? sendCookieTokens(reply, ctx, minted) : sendBearerTokens(reply, ctx, minted);
    },
  );
}

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import type { User } from '../store/types.js';
import { issueAccessToken, NATIVE_CLIENT_ID, WEB_CLIENT_ID, type IssuedAccessToken } from '../tokens/access-token.js';
import { randomToken, sha256 } from '../tokens/crypto.js';
import { formatRefreshToken, newRefreshSecret, newSessionId } from '../tokens/refresh-token.js';
import { accessCookie, CSRF_HEADER, refreshCookie } from '../http/cookies.js';

export type LoginMode = 'cookie' | 'token';

export interface MintedTokens {
  readonly sessionId: string;
  readonly access: IssuedAccessToken;
  readonly refreshToken: string;
  /** Cookie mode only. */
  readonly csrf: string | undefined;
  /** epoch ms */
  readonly sessionExpiresAt: number;
}

/** A brand-new session (new id on every login: no session fixation) and its first tokens. */
export async function startSession(ctx: AppContext, user: User, mode: LoginMode, request: FastifyRequest): Promise<MintedTokens> {
  const now = ctx.now();
  const sessionId = newSessionId();
  const secret = newRefreshSecret();
  const csrf = mode === 'cookie' ? randomToken(32) : undefined;
  const clientId = mode === 'cookie' ? WEB_CLIENT_ID : NATIVE_CLIENT_ID;
  const sessionExpiresAt = now + ctx.config.refreshTokenTtlSeconds * 1000;
  await ctx.store.sessions.create(
    {
      id: sessionId,
      userId: user.id,
      clientId,
      userAgent: userAgentLabel(request),
      expiresAt: sessionExpiresAt,
      refreshHash: sha256(secret),
      csrfHash: csrf === undefined ? null : sha256(csrf),
    },
    now,
  );
  const access = await issueAccessToken(ctx.keys, ctx.config, { subject: user.id, sessionId, clientId, roles: user.roles, ...(csrf === undefined ? {} : { csrf }) }, now);
  return { sessionId, access, refreshToken: formatRefreshToken(sessionId, secret), csrf, sessionExpiresAt };
}

/** Sets both cookies and the CSRF header; the body says when the access token expires. */
export function sendCookieTokens(reply: FastifyReply, ctx: AppContext, t: MintedTokens, extra: Record<string, unknown> = {}): FastifyReply {
  const refreshMaxAge = Math.max(0, Math.floor((t.sessionExpiresAt - ctx.now()) / 1000));
  reply.header('set-cookie', [accessCookie(t.access.token, ctx.config.accessTokenTtlSeconds), refreshCookie(t.refreshToken, refreshMaxAge)]);
  if (t.csrf !== undefined) reply.header(CSRF_HEADER, t.csrf);
  return reply.send({ ...extra, expires_in: ctx.config.accessTokenTtlSeconds, expires_at: t.access.expiresAt });
}

/** Token mode (RFC 6749 §5.1 shape). */
export function sendBearerTokens(reply: FastifyReply, ctx: AppContext, t: MintedTokens): FastifyReply {
  return reply.send({
    access_token: t.access.token,
    token_type: 'Bearer',
    expires_in: ctx.config.accessTokenTtlSeconds,
    refresh_token: t.refreshToken,
    scope: t.access.scope,
  });
}

function userAgentLabel(request: FastifyRequest): string | null {
  const ua = request.headers['user-agent'];
  if (typeof ua !== 'string' || ua.length === 0) return null;
  // Keep printable ASCII only and bound the length: it is a label for "your devices", not data.
  return ua.replace(/[^\x20-\x7e]/g, '').slice(0, 200);
}

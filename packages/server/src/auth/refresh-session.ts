import type { AppContext } from '../context.js';
import type { Session } from '../store/types.js';
import { InvalidRefreshTokenError, RefreshTokenReusedError } from '../errors.js';
import { issueAccessToken, NATIVE_CLIENT_ID, WEB_CLIENT_ID } from '../tokens/access-token.js';
import { randomToken, safeEqual, sha256 } from '../tokens/crypto.js';
import { formatRefreshToken, newRefreshSecret, parseRefreshToken } from '../tokens/refresh-token.js';
import type { LoginMode, MintedTokens } from './sessions.js';
import { throttled, type ThrottleKey } from './throttle.js';

export interface RefreshSessionRequest {
  /** The presented `<session id>.<secret>` (cookie value or body field). */
  readonly token: string | undefined;
  /** Cookie-mode tokens refresh only in cookie mode and token-mode ones only in token mode. */
  readonly mode: LoginMode;
  /**
   * Runs before rotating, and only when the presented secret is the session's current one (cookie mode:
   * the CSRF check). A stale secret skips it on purpose: nothing is issued for it, and it must reach the
   * store so reuse is detected and the session revoked.
   */
  readonly checkCurrent?: (session: Session) => void;
  /** Narrower `scope` for the new access token (already checked to be within the session's scope). */
  readonly scope?: string;
  /** The client's address: failed refreshes are counted per address (brute-force protection). */
  readonly clientIp?: string;
}

/**
 * The one refresh rule, shared by `POST /auth/refresh` and `POST /oauth/token` (`grant_type=refresh_token`):
 * find the session, check the user is still active, rotate the secret atomically in the store (a rotated-away
 * secret revokes the whole session) and mint the next access token. Throws `InvalidRefreshTokenError`,
 * `RefreshTokenReusedError`, or whatever `checkCurrent` throws; callers map them to their wire format.
 */
export async function refreshSession(ctx: AppContext, req: RefreshSessionRequest): Promise<MintedTokens> {
  const keys: ThrottleKey[] = req.clientIp === undefined ? [] : [['refreshIp', req.clientIp]];
  return throttled(ctx, keys, (err) => err instanceof InvalidRefreshTokenError || err instanceof RefreshTokenReusedError, () => rotate(ctx, req));
}

async function rotate(ctx: AppContext, req: RefreshSessionRequest): Promise<MintedTokens> {
  const parsed = parseRefreshToken(req.token);
  if (parsed === null) throw new InvalidRefreshTokenError();
  const cookieMode = req.mode === 'cookie';
  const now = ctx.now();
  const session = await ctx.store.sessions.get(parsed.sessionId);
  const expectedClient = cookieMode ? WEB_CLIENT_ID : NATIVE_CLIENT_ID;
  if (session === null || session.clientId !== expectedClient) throw new InvalidRefreshTokenError();
  const presentedHash = sha256(parsed.secret);

  if (req.checkCurrent !== undefined && safeEqual(session.refreshHash, presentedHash)) req.checkCurrent(session);

  const user = await ctx.store.users.findById(session.userId);
  if (user === null || user.disabled) {
    await ctx.store.sessions.revoke(session.id, 'user_disabled', now);
    throw new InvalidRefreshTokenError();
  }

  const secret = newRefreshSecret();
  const csrf = cookieMode ? randomToken(32) : undefined;
  const outcome = await ctx.store.sessions.rotateRefresh(session.id, presentedHash, sha256(secret), csrf === undefined ? null : sha256(csrf), now);
  if (outcome === 'reused') throw new RefreshTokenReusedError();
  if (outcome !== 'rotated') throw new InvalidRefreshTokenError();

  const access = await issueAccessToken(
    ctx.keys,
    ctx.config,
    {
      subject: user.id,
      sessionId: session.id,
      clientId: expectedClient,
      roles: user.roles,
      ...(csrf === undefined ? {} : { csrf }),
      ...(req.scope === undefined ? {} : { scope: req.scope }),
    },
    now,
  );
  return { sessionId: session.id, access, refreshToken: formatRefreshToken(session.id, secret), csrf, sessionExpiresAt: session.expiresAt };
}

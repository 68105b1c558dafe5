import type { AppContext } from '../context.js';
import type { Session, User } from '../store/types.js';
import { InvalidRefreshTokenError, RefreshTokenReusedError } from '../errors.js';
import { issueAccessToken, NATIVE_CLIENT_ID, WEB_CLIENT_ID } from '../tokens/access-token.js';
import { randomToken, safeEqual, sha256 } from '../tokens/crypto.js';
import { formatRefreshToken, parseRefreshToken } from '../tokens/refresh-token.js';
import type { LoginMode, MintedTokens } from './sessions.js';
import { deriveSuccessor } from './rotation.js';
import { publishRevoked, revokeSession } from './revoke.js';
import { throttled, type ThrottleKey } from './throttle.js';

export interface RefreshSessionRequest {
  /** The presented `<session id>.<secret>` (cookie value or body field). */
  readonly token: string | undefined;
  /** Cookie-mode tokens refresh only in cookie mode and token-mode ones only in token mode. */
  readonly mode: LoginMode;
  /**
   * Runs before rotating, and only when the presented secret will be answered with tokens: it is the
   * session's current one, or the one the last rotation replaced inside the grace window (cookie mode:
   * the CSRF check). `csrfHashes` are the CSRF hashes to accept — the current one, plus inside the
   * window the one the last rotation replaced (a tab may have read it before the other tab's refresh
   * landed). A stale secret outside the window skips it on purpose: nothing is issued for it, and it
   * must reach the store so reuse is detected and the session revoked.
   */
  readonly checkCurrent?: (session: Session, csrfHashes: readonly (string | null)[]) => void;
  /** Narrower `scope` for the new access token (already checked to be within the session's scope). */
  readonly scope?: string;
  /** The client's address: failed refreshes are counted per address (brute-force protection). */
  readonly clientIp?: string;
}

/**
 * The one refresh rule, shared by `POST /auth/refresh` and `POST /oauth/token` (`grant_type=refresh_token`):
 * find the session, check the user is still active, rotate the secret atomically in the store and mint
 * the next access token. Concurrent refreshes with the same secret inside `refreshGraceSeconds` get the
 * same successor (derived by HMAC from the secret and the rotation's nonce, see rotation.ts); a
 * rotated-away secret outside the window revokes the whole session and publishes the revocation.
 * Throws `InvalidRefreshTokenError`, `RefreshTokenReusedError`, or whatever `checkCurrent` throws.
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
  const graceMs = ctx.config.refreshGraceSeconds * 1000;
  const session = await ctx.store.sessions.get(parsed.sessionId);
  const expectedClient = cookieMode ? WEB_CLIENT_ID : NATIVE_CLIENT_ID;
  if (session === null || session.clientId !== expectedClient) throw new InvalidRefreshTokenError();
  const presentedHash = sha256(parsed.secret);

  const recentRotation = graceMs > 0 && session.rotatedAt !== null && Math.abs(now - session.rotatedAt) <= graceMs;
  const isCurrent = safeEqual(session.refreshHash, presentedHash);
  const isGraceCandidate = recentRotation && session.previousRefreshHash !== null && safeEqual(session.previousRefreshHash, presentedHash);
  if (req.checkCurrent !== undefined && (isCurrent || isGraceCandidate)) {
    req.checkCurrent(session, recentRotation ? [session.csrfHash, session.previousCsrfHash] : [session.csrfHash]);
  }

  const nonce = randomToken(32);
  let successor = deriveSuccessor(parsed.secret, nonce, cookieMode);
  // The store checks the user is still enabled in the same transaction as the swap (on PostgreSQL the
  // same statement) and hands the user back: no separate user read per refresh.
  const result = await ctx.store.sessions.rotateRefresh(
    session.id,
    presentedHash,
    { hash: sha256(successor.secret), csrfHash: successor.csrf === undefined ? null : sha256(successor.csrf), nonce },
    now,
    graceMs,
    { activeUser: true },
  );
  let user: User | null | undefined;
  switch (result.outcome) {
    case 'rotated':
      user = result.user;
      break;
    case 'grace':
      // A concurrent refresh with this secret already rotated: hand out the very same successor.
      successor = deriveSuccessor(parsed.secret, result.nonce, cookieMode);
      user = result.user;
      break;
    case 'user_inactive':
      await revokeSession(ctx, session.id, 'user_disabled');
      throw new InvalidRefreshTokenError();
    case 'reused':
      await publishRevoked(ctx, session.id, 'refresh_reuse_detected', now);
      throw new RefreshTokenReusedError();
    default:
      throw new InvalidRefreshTokenError();
  }

  // A store that does not return the user (older adapters): read it as before.
  if (user === undefined) user = await ctx.store.users.findById(session.userId);
  if (user === null || user.disabled) {
    await revokeSession(ctx, session.id, 'user_disabled');
    throw new InvalidRefreshTokenError();
  }

  const csrf = successor.csrf;
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
  return { sessionId: session.id, access, refreshToken: formatRefreshToken(session.id, successor.secret), csrf, sessionExpiresAt: session.expiresAt };
}

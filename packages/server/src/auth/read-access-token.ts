import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { InvalidRequestError, InvalidTokenError, MissingCredentialsError } from '../errors.js';
import { ACCESS_COOKIE, readCookie } from '../http/cookies.js';
import { verifyOwnAccessToken, type AccessTokenClaims } from '../tokens/access-token.js';

export interface AccessCredential {
  readonly token: string;
  readonly source: 'bearer' | 'cookie';
}

/** `Authorization: Bearer` wins over the cookie; any other scheme is refused, not ignored. */
export function readAccessToken(request: FastifyRequest): AccessCredential | null {
  const authz = request.headers.authorization;
  if (authz !== undefined) {
    const m = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(authz);
    if (m === null || m[1] === undefined) throw new InvalidRequestError('The Authorization header must be "Bearer <token>".');
    return { token: m[1], source: 'bearer' };
  }
  const cookie = readCookie(request.headers.cookie, ACCESS_COOKIE);
  return cookie === undefined ? null : { token: cookie, source: 'cookie' };
}

/** Verifies the request's access token with the server's own keys and checks its session is live. */
export async function authenticate(ctx: AppContext, request: FastifyRequest): Promise<{ claims: AccessTokenClaims; credential: AccessCredential }> {
  const credential = readAccessToken(request);
  if (credential === null) throw new MissingCredentialsError();
  let claims: AccessTokenClaims;
  try {
    claims = await verifyOwnAccessToken(ctx.keys, ctx.config, credential.token, ctx.now());
  } catch {
    throw new InvalidTokenError();
  }
  if (typeof claims.sid === 'string') {
    const session = await ctx.store.sessions.get(claims.sid);
    if (session === null || session.revokedAt !== null || session.userId !== claims.sub) throw new InvalidTokenError('The session has ended.');
  }
  return { claims, credential };
}

import { jwtVerify, type JWTPayload } from 'jose';
import type { ServerConfig } from '../config/defaults.js';
import { SIGNING_ALGORITHMS } from '../config/defaults.js';
import type { KeyManager } from '../keys/key-manager.js';
import { randomToken } from './crypto.js';
import { encodeSegment, signJws } from './jws-sign.js';

export const WEB_CLIENT_ID = 'latchkey-web';
export const NATIVE_CLIENT_ID = 'latchkey-native';

export interface AccessTokenInput {
  readonly subject: string;
  /** User sessions only; machine (client-credentials) tokens carry no `sid`. */
  readonly sessionId?: string;
  readonly clientId: string;
  /** Space-separated `scope` claim. Default `config.userScope`. */
  readonly scope?: string;
  /** `aud` claim. Default `config.audience`. */
  readonly audience?: string;
  /** Only for cookie-mode sessions. */
  readonly csrf?: string;
  readonly roles?: readonly string[];
}

export interface IssuedAccessToken {
  readonly token: string;
  readonly jti: string;
  /** epoch seconds */
  readonly issuedAt: number;
  /** epoch seconds */
  readonly expiresAt: number;
  /** The `scope` claim it carries. */
  readonly scope: string;
}

export interface AccessTokenClaims extends JWTPayload {
  sub: string;
  sid?: string;
  client_id: string;
  scope: string;
  csrf?: string;
  roles?: string[];
}

/** Signs an RFC 9068 access token with the active key. `now` is epoch ms. */
export async function issueAccessToken(keys: KeyManager, config: ServerConfig, input: AccessTokenInput, now: number): Promise<IssuedAccessToken> {
  const key = keys.signingKey();
  const iat = Math.floor(now / 1000);
  const exp = iat + config.accessTokenTtlSeconds;
  const jti = randomToken(16);
  const scope = input.scope ?? config.userScope;
  const claims: Record<string, unknown> = { client_id: input.clientId, scope };
  if (input.sessionId !== undefined) claims.sid = input.sessionId;
  if (input.csrf !== undefined) claims.csrf = input.csrf;
  if (input.roles !== undefined && input.roles.length > 0) claims.roles = [...input.roles];
  claims.iss = config.issuer;
  claims.sub = input.subject;
  claims.aud = input.audience ?? config.audience;
  claims.iat = iat;
  claims.exp = exp;
  claims.jti = jti;
  // node:crypto KeyObject, one synchronous sign (RFC 7515 compact serialization).
  const signingInput = `${key.headerSegment}.${encodeSegment(claims)}`;
  const token = `${signingInput}.${signJws(key.alg, key.privateKey, signingInput)}`;
  return { token, jti, issuedAt: iat, expiresAt: exp, scope };
}

/** Largest token the server will even try to verify. */
export const MAX_TOKEN_LENGTH = 8192;
const CLOCK_SKEW_SECONDS = 30;

export interface VerifyOwnOptions {
  /**
   * Accept any audience (introspection and revocation see tokens minted for every client audience);
   * `aud` must still be present. Default: only `config.audience`.
   */
  readonly anyAudience?: boolean;
}

/**
 * Verifies one of the server's own access tokens against its own key set: alg allow-list, `typ`,
 * signature, `iss`, `aud`, `exp` (30 s skew), lifetime bound. Throws jose errors on failure.
 */
export async function verifyOwnAccessToken(
  keys: KeyManager,
  config: ServerConfig,
  token: string,
  now: number,
  options: VerifyOwnOptions = {},
): Promise<AccessTokenClaims> {
  if (token.length > MAX_TOKEN_LENGTH) throw new Error('token too large');
  const { payload } = await jwtVerify(token, keys.keySet(), {
    algorithms: [...SIGNING_ALGORITHMS],
    typ: 'at+jwt',
    issuer: config.issuer,
    ...(options.anyAudience === true ? {} : { audience: config.audience }),
    clockTolerance: CLOCK_SKEW_SECONDS,
    currentDate: new Date(now),
    requiredClaims: ['sub', 'aud', 'exp', 'iat', 'jti'],
  });
  if (typeof payload.exp !== 'number' || typeof payload.iat !== 'number' || payload.exp - payload.iat > 3600) {
    throw new Error('token lifetime exceeds the maximum');
  }
  const aud = payload.aud;
  if (!(typeof aud === 'string' || (Array.isArray(aud) && aud.length > 0 && aud.every((a) => typeof a === 'string')))) {
    throw new Error('aud must be a string or a non-empty array of strings');
  }
  if (typeof payload.client_id !== 'string' || typeof payload.scope !== 'string' || typeof payload.sub !== 'string') {
    throw new Error('missing client_id/scope');
  }
  return payload as AccessTokenClaims;
}

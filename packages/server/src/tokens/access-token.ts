import type { JWTPayload } from 'jose';
import { createVerifier, TokenClaimInvalidError, TokenMalformedError } from '@latchkey/verify';
import type { ServerConfig } from '../config/defaults.js';
import { SIGNING_ALGORITHMS } from '../config/defaults.js';
import type { KeyManager } from '../keys/key-manager.js';
import { randomToken } from './crypto.js';
import { encodeSegment, signJws } from './jws-sign.js';

const CLOCK_SKEW_SECONDS = 30;
// Access tokens live at most accessTokenTtlSeconds (≤ 3600).
const MAX_LIFETIME_SECONDS = 3600;

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

export interface VerifyOwnOptions {
  /**
   * Accept any audience (introspection and revocation see tokens minted for every client audience);
   * `aud` must still be present. Default: only `config.audience`.
   */
  readonly anyAudience?: boolean;
}

/** The token's own `aud` (unverified; used only as "any audience" once the signature is checked). */
function claimedAudiences(token: string): string[] {
  try {
    const payload: unknown = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    const aud = (payload as { aud?: unknown } | null)?.aud;
    const list = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
    return list.every((a): a is string => typeof a === 'string' && a.length > 0 && a.length <= 2048) ? list : [];
  } catch {
    return [];
  }
}

/**
 * Verifies one of the server's own access tokens with the same core every resource service uses
 * (`@latchkey/verify`): size and canonical encoding, `alg` allow-list, `typ`, no `jku`/`x5u`/`jwk`/
 * `x5c`/`b64`/`crit`, `kid`, signature, then `iss`, `aud`, `exp`/`nbf`/`iat` (30 s skew), required
 * claims and the lifetime bound. The attack suite found that the server's former jose-only check
 * accepted its own tokens with `jwk`/`x5c`/`jku`/`x5u`/`b64` headers and an `iat` in the future.
 * Throws a `LatchkeyError` (from `@latchkey/verify`) on failure.
 */
export async function verifyOwnAccessToken(
  keys: KeyManager,
  config: ServerConfig,
  token: string,
  now: number,
  options: VerifyOwnOptions = {},
): Promise<AccessTokenClaims> {
  if (token.length > MAX_TOKEN_LENGTH) throw new TokenMalformedError('The access token is too large');
  const audience = options.anyAudience === true ? claimedAudiences(token) : [config.audience];
  if (audience.length === 0) throw new TokenClaimInvalidError('The access token claim "aud" is missing or invalid');
  // One verifier per call: the key set can change (rotation) and `now` is the request's clock.
  const verifier = createVerifier({
    issuer: config.issuer,
    audience,
    jwks: keys.jwks(),
    algorithms: [...SIGNING_ALGORITHMS],
    clockSkewSeconds: CLOCK_SKEW_SECONDS,
    maxTokenLifetimeSeconds: MAX_LIFETIME_SECONDS,
    now: () => now,
  });
  const payload = await verifier.verifyAccessToken(token);
  if (typeof payload.scope !== 'string') throw new TokenClaimInvalidError('The access token claim "scope" is missing');
  return payload as unknown as AccessTokenClaims;
}

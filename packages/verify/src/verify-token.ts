import { errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { ACCESS_TOKEN_TYP } from './defaults.js';
import type { AccessTokenClaims } from './claims.js';
import {
  LatchkeyError,
  TokenAlgorithmNotAllowedError,
  TokenClaimInvalidError,
  TokenExpiredError,
  TokenHeaderInvalidError,
  TokenMalformedError,
  TokenNotYetValidError,
  TokenSignatureInvalidError,
} from './errors.js';
import { inspectToken } from './inspect-token.js';
import type { ResolvedOptions } from './options.js';

// RFC 9068 §2.2 required claims.
const REQUIRED_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id'];

/** Maps whatever jose threw to our catalogue; the message names the claim, never its value. */
function mapJoseError(err: unknown): LatchkeyError {
  if (err instanceof LatchkeyError) return err;
  if (err instanceof errors.JWSSignatureVerificationFailed) return new TokenSignatureInvalidError(undefined, { cause: err });
  if (err instanceof errors.JWTExpired) return new TokenExpiredError(undefined, { cause: err });
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return new TokenNotYetValidError(undefined, { cause: err });
    if (err.claim === 'typ') return new TokenHeaderInvalidError('The access token header "typ" must be at+jwt', { cause: err });
    const claim = /^[a-z_]{1,32}$/.test(err.claim) ? err.claim : 'unknown';
    const why = err.reason === 'missing' ? 'is missing' : 'is invalid';
    return new TokenClaimInvalidError(`The access token claim "${claim}" ${why}`, { cause: err });
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return new TokenAlgorithmNotAllowedError(undefined, { cause: err });
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return new TokenMalformedError(undefined, { cause: err });
  if (err instanceof errors.JOSENotSupported) return new TokenHeaderInvalidError(undefined, { cause: err });
  // E.g. a key whose type does not fit the algorithm: the signature cannot be verified.
  return new TokenSignatureInvalidError('The access token signature could not be verified', { cause: err });
}

function claimError(claim: string, why: string): TokenClaimInvalidError {
  return new TokenClaimInvalidError(`The access token claim "${claim}" ${why}`);
}

function checkClaimTypes(p: Record<string, unknown>): void {
  for (const name of ['sub', 'jti', 'client_id']) {
    const v = p[name];
    if (typeof v !== 'string' || v.length === 0) throw claimError(name, 'must be a non-empty string');
  }
  for (const name of ['scope', 'sid', 'csrf']) {
    if (Object.hasOwn(p, name) && typeof p[name] !== 'string') throw claimError(name, 'must be a string');
  }
  if (Object.hasOwn(p, 'roles')) {
    const roles = p['roles'];
    if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string')) {
      throw claimError('roles', 'must be an array of strings');
    }
  }
}

/**
 * Verifies one access token in a fixed order: size and shape → JOSE header → key by `kid` →
 * signature → claims (`typ`, `iss`, `aud`, `exp`/`nbf` with skew, required claims) → lifetime.
 * Throws a {@link LatchkeyError}; never anything else.
 */
export async function verifyToken(token: string, options: ResolvedOptions, getKey: JWTVerifyGetKey): Promise<AccessTokenClaims> {
  try {
    inspectToken(token, options.algorithms, options.maxTokenBytes);
    const nowMs = options.now();
    const { payload } = await jwtVerify(token, getKey, {
      algorithms: [...options.algorithms],
      typ: ACCESS_TOKEN_TYP,
      issuer: options.issuer,
      audience: [...options.audience],
      clockTolerance: options.clockSkewSeconds,
      requiredClaims: REQUIRED_CLAIMS,
      currentDate: new Date(nowMs),
    });
    const p = payload as Record<string, unknown>;
    checkClaimTypes(p);
    const exp = p['exp'] as number;
    const iat = p['iat'] as number;
    const now = Math.floor(nowMs / 1000);
    if (iat > now + options.clockSkewSeconds) throw new TokenNotYetValidError('The access token was issued in the future');
    if (exp - iat > options.maxTokenLifetimeSeconds) {
      throw claimError('exp', 'is too far after "iat" (token lifetime exceeds the allowed maximum)');
    }
    return Object.freeze(payload) as AccessTokenClaims;
  } catch (err) {
    throw mapJoseError(err);
  }
}

import { errors } from 'jose';
import type { AccessTokenClaims } from './claims.js';
import { checkClaims, decodeClaims } from './check-claims.js';
import type { CryptoBackend } from './crypto-backend.js';
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
import { inspectToken, type HeaderCache } from './inspect-token.js';
import type { KeySet } from './key-set.js';
import type { ResolvedOptions } from './options.js';

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

/**
 * Verifies one token (no cache, no revocation): claims, or a thrown {@link LatchkeyError}. Synchronous
 * when the signature check is (node backend, key already resolved), a promise otherwise.
 */
export type TokenVerifier = (token: string) => AccessTokenClaims | Promise<AccessTokenClaims>;

/**
 * Builds the cold verification path, in a fixed order: size and shape → JOSE header → key by `kid`
 * → signature (the backend) → claims (`iss`, `aud`, `exp`/`nbf` with skew, required claims, types)
 * → lifetime. Nothing in the payload is looked at before the signature has verified.
 */
export function createTokenVerifier(options: ResolvedOptions, keys: KeySet, backend: CryptoBackend): TokenVerifier {
  const headerCache: HeaderCache = new Map();
  const checkSignature = backend.createSignatureCheck(keys, options.algorithms);
  const finish = (verified: Uint8Array): AccessTokenClaims => checkClaims(decodeClaims(verified), options, options.now());
  const fail = (err: unknown): never => {
    throw mapJoseError(err);
  };
  return (token) => {
    try {
      const parts = inspectToken(token, options.algorithms, options.maxTokenBytes, headerCache);
      const verified = checkSignature(parts);
      // No promise (and no microtask) when nothing was asynchronous: same checks, same order.
      return verified instanceof Promise ? verified.then(finish).catch(fail) : finish(verified);
    } catch (err) {
      throw mapJoseError(err);
    }
  };
}

import { backend as defaultBackend } from '#crypto-backend';
import type { AccessTokenClaims, Principal } from './claims.js';
import { toPrincipal } from './claims.js';
import { checkTimes } from './check-claims.js';
import type { CryptoBackend } from './crypto-backend.js';
import { checkCsrf, checkSameSite, isSafeMethod } from './csrf.js';
import {
  ConfigError,
  InvalidRequestError,
  LatchkeyError,
  RevocationUnavailableError,
  TokenExpiredError,
  TokenMalformedError,
  TokenRevokedError,
} from './errors.js';
import type { HeadersLike } from './headers.js';
import { createKeySet } from './key-set.js';
import { resolveOptions, type ResolvedOptions, type VerifierOptions } from './options.js';
import { readCredentials } from './read-credentials.js';
import { VerifiedTokenCache } from './token-cache.js';
import { createTokenVerifier } from './verify-token.js';

/** What {@link Verifier.authenticate} needs from a request. */
export interface AuthenticateInput {
  /** HTTP method (any case). */
  readonly method: string;
  /** Node `IncomingHttpHeaders` or a WHATWG `Headers`. */
  readonly headers: HeadersLike;
}

/** A configured verifier. Create one per process and share it: it owns the JWKS cache. */
export interface Verifier {
  /**
   * Authenticates a request: reads the credential (Bearer header, else the `__Host-lk_at` cookie),
   * verifies the token, and for cookie credentials on unsafe methods checks same-site and CSRF.
   * Throws only {@link LatchkeyError}.
   */
  authenticate(input: AuthenticateInput): Promise<Principal>;
  /** Verifies a token's signature and claims only (no CSRF). Throws only {@link LatchkeyError}. */
  verifyAccessToken(token: string): Promise<AccessTokenClaims>;
  /** The validated, frozen options. */
  readonly options: ResolvedOptions;
}

/**
 * Creates a verifier. Options are validated once here (unknown keys, out-of-range numbers, HMAC or
 * `none` algorithms → {@link ConfigError}) and frozen.
 *
 * @example
 * ```ts
 * const verifier = createVerifier({ issuer: 'http://localhost:8080', audience: 'shop-api',
 *   jwksUri: 'http://127.0.0.1:4000/.well-known/jwks.json' });
 * try {
 *   const principal = await verifier.authenticate({ method: req.method, headers: req.headers });
 * } catch (err) {
 *   const { status, headers, body } = errorResponse(err);
 * }
 * ```
 */
export function createVerifier(options: VerifierOptions): Verifier {
  return createVerifierWith(options, defaultBackend);
}

/**
 * {@link createVerifier} with an explicit crypto backend. Internal: tests run the same token table
 * against both backends through it.
 */
export function createVerifierWith(options: VerifierOptions, backend: CryptoBackend): Verifier {
  const resolved = resolveOptions(options);
  const keys = createKeySet(resolved);
  const verifyCold = createTokenVerifier(resolved, keys, backend);
  const cache = resolved.tokenCache.enabled
    ? new VerifiedTokenCache(resolved.tokenCache.maxEntries, resolved.tokenCache.maxBytes)
    : undefined;
  const isRevoked = resolved.isRevoked;
  // A principal depends only on the (frozen) claims and the credential source: build it once per
  // cached token instead of once per request.
  const principals = new WeakMap<AccessTokenClaims, Partial<Record<Principal['credential'], Principal>>>();
  function principalFor(claims: AccessTokenClaims, credential: Principal['credential']): Principal {
    let byCredential = principals.get(claims);
    if (byCredential === undefined) {
      byCredential = {};
      principals.set(claims, byCredential);
    }
    return (byCredential[credential] ??= toPrincipal(claims, credential));
  }

  async function checkRevoked(claims: AccessTokenClaims): Promise<void> {
    if (isRevoked === undefined) return;
    let revoked: boolean;
    try {
      const answer = isRevoked(claims);
      revoked = typeof answer === 'boolean' ? answer : await answer;
    } catch (err) {
      if (err instanceof LatchkeyError) throw err;
      throw new RevocationUnavailableError(undefined, { cause: err });
    }
    if (revoked !== false) throw new TokenRevokedError();
  }

  async function verifyAccessToken(token: string): Promise<AccessTokenClaims> {
    if (typeof token !== 'string') throw new TokenMalformedError('The access token must be a string');
    if (cache !== undefined) {
      const hit = cache.get(token);
      if (hit !== undefined) {
        // A hit only stands for "the signature verified under this key set": a changed or stale
        // key set sends the token back through the full path.
        if (hit.generation === keys.generation() && keys.fresh()) {
          try {
            checkTimes(hit.exp, hit.nbf, hit.iat, resolved, resolved.now());
          } catch (err) {
            if (err instanceof TokenExpiredError) cache.delete(token);
            throw err;
          }
          await checkRevoked(hit.claims);
          return hit.claims;
        }
        cache.delete(token);
      }
    }
    const generation = keys.generation();
    const claims = await verifyCold(token);
    await checkRevoked(claims);
    if (cache !== undefined && keys.generation() === generation) cache.set(token, claims, generation);
    return claims;
  }

  async function authenticate(input: AuthenticateInput): Promise<Principal> {
    try {
      const method = typeof input?.method === 'string' ? input.method : '';
      const headers = input?.headers;
      if (method.length === 0 || typeof headers !== 'object' || headers === null) {
        throw new InvalidRequestError('The request has no method or headers');
      }
      const credential = readCredentials(headers);
      const claims = await verifyAccessToken(credential.token);
      // Cookies ride along automatically, so cookie-authenticated writes must prove intent. These
      // checks depend on the request, so they run every time, cached token or not.
      if (credential.source === 'cookie' && !isSafeMethod(method)) {
        checkSameSite(headers, resolved.trustedOrigins);
        await checkCsrf(headers, claims, backend.secretsEqual);
      }
      return principalFor(claims, credential.source);
    } catch (err) {
      if (err instanceof LatchkeyError) throw err;
      throw new InvalidRequestError('The request could not be read', { cause: err });
    }
  }

  return Object.freeze({ authenticate, verifyAccessToken, options: resolved });
}

/** What adapters accept: verifier options, or an existing verifier (to share one JWKS cache). */
export type VerifierInput = VerifierOptions | { readonly verifier: Verifier };

/**
 * Returns `input.verifier` when given one, else creates a verifier from the options.
 *
 * @example
 * ```ts
 * const verifier = resolveVerifier(opts); // in an adapter
 * ```
 */
export function resolveVerifier(input: VerifierInput): Verifier {
  if (typeof input === 'object' && input !== null && 'verifier' in input) {
    const { verifier, ...rest } = input;
    if (Object.keys(rest).length > 0) {
      throw new ConfigError(`Invalid adapter option "${Object.keys(rest)[0] ?? ''}": give either { verifier } or verifier options`);
    }
    if (typeof verifier !== 'object' || verifier === null || typeof verifier.authenticate !== 'function') {
      throw new ConfigError('Invalid adapter option "verifier": must be a verifier from createVerifier()');
    }
    return verifier;
  }
  return createVerifier(input);
}

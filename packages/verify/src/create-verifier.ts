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
import { startRevocationFollower, type RevocationFollower } from './revocation-follower.js';
import { httpRevocationTransport } from './revocation-http-transport.js';

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
  /** The revocation feed follower (`status()`, `connected()`), when the `revocation` option is set. */
  readonly revocation: RevocationFollower | undefined;
  /** Stops background work (the revocation feed). Idempotent; the verifier still verifies afterwards. */
  close(): Promise<void>;
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
  const rev = resolved.revocation;
  const follower =
    rev === undefined
      ? undefined
      : startRevocationFollower({
          transport:
            rev.transport ??
            httpRevocationTransport({
              url: rev.url!,
              ...(rev.token === undefined ? {} : { token: rev.token }),
              ...(resolved.fetch === undefined ? {} : { fetch: resolved.fetch }),
            }),
          failurePolicy: rev.failurePolicy,
          failClosedAfterMs: rev.failClosedAfterMs,
          reconnectMinMs: rev.reconnectMinMs,
          reconnectMaxMs: rev.reconnectMaxMs,
          idleTimeoutMs: rev.idleTimeoutMs,
          clockSkewSeconds: resolved.clockSkewSeconds,
          now: resolved.now,
          log: rev.log,
        });
  // The feed follower answers from memory, synchronously (so the warm path stays synchronous); it
  // throws token_revoked, or revocation_feed_unavailable when fail-closed with the feed lost. A user
  // isRevoked hook, if any, runs after it. Both run after signature and claims, cache hits included.
  const userIsRevoked = resolved.isRevoked;
  const isRevoked: ((claims: AccessTokenClaims) => boolean | Promise<boolean>) | undefined =
    follower === undefined
      ? userIsRevoked
      : (claims) => {
          follower.check(claims);
          return userIsRevoked === undefined ? false : userIsRevoked(claims);
        };
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

  // The warm path stays synchronous (no promise per step) until something really is asynchronous:
  // an async isRevoked, a cold verification, the WebCrypto backend. Callers still get a Promise.
  function revocationError(err: unknown): LatchkeyError {
    return err instanceof LatchkeyError ? err : new RevocationUnavailableError(undefined, { cause: err });
  }
  function checkRevoked(claims: AccessTokenClaims): void | Promise<void> {
    if (isRevoked === undefined) return;
    let answer: boolean | Promise<boolean>;
    try {
      answer = isRevoked(claims);
    } catch (err) {
      throw revocationError(err);
    }
    if (typeof answer === 'boolean') {
      if (answer) throw new TokenRevokedError();
      return;
    }
    return Promise.resolve(answer).then(
      (revoked) => {
        if (revoked !== false) throw new TokenRevokedError();
      },
      (err: unknown) => {
        throw revocationError(err);
      },
    );
  }

  function verifyColdAndRemember(token: string): AccessTokenClaims | Promise<AccessTokenClaims> {
    const generation = keys.generation();
    const remember = (claims: AccessTokenClaims): AccessTokenClaims | Promise<AccessTokenClaims> => {
      const store = (): AccessTokenClaims => {
        if (cache !== undefined && keys.generation() === generation) cache.set(token, claims, generation);
        return claims;
      };
      const revoked = checkRevoked(claims);
      return revoked === undefined ? store() : revoked.then(store);
    };
    // Synchronous end to end when the signature check and the revocation check are.
    const claims = verifyCold(token);
    return claims instanceof Promise ? claims.then(remember) : remember(claims);
  }

  /** Claims, synchronously on a cache hit; throws or rejects with a {@link LatchkeyError}. */
  function verify(token: string): AccessTokenClaims | Promise<AccessTokenClaims> {
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
          const revoked = checkRevoked(hit.claims);
          return revoked === undefined ? hit.claims : revoked.then(() => hit.claims);
        }
        cache.delete(token);
      }
    }
    return verifyColdAndRemember(token);
  }

  function verifyAccessToken(token: string): Promise<AccessTokenClaims> {
    try {
      const claims = verify(token);
      return claims instanceof Promise ? claims : Promise.resolve(claims);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  function asRequestError(err: unknown): LatchkeyError {
    return err instanceof LatchkeyError ? err : new InvalidRequestError('The request could not be read', { cause: err });
  }

  function authenticate(input: AuthenticateInput): Promise<Principal> {
    try {
      const method = typeof input?.method === 'string' ? input.method : '';
      const headers = input?.headers;
      if (method.length === 0 || typeof headers !== 'object' || headers === null) {
        throw new InvalidRequestError('The request has no method or headers');
      }
      const credential = readCredentials(headers);
      const finish = (claims: AccessTokenClaims): Principal | Promise<Principal> => {
        // Cookies ride along automatically, so cookie-authenticated writes must prove intent. These
        // checks depend on the request, so they run every time, cached token or not.
        if (credential.source === 'cookie' && !isSafeMethod(method)) {
          checkSameSite(headers, resolved.trustedOrigins);
          const csrf = checkCsrf(headers, claims, backend.secretsEqual);
          if (csrf !== undefined) return csrf.then(() => principalFor(claims, credential.source));
        }
        return principalFor(claims, credential.source);
      };
      const claims = verify(credential.token);
      if (claims instanceof Promise) return claims.then(finish).catch((err: unknown) => Promise.reject(asRequestError(err)));
      const principal = finish(claims);
      return principal instanceof Promise
        ? principal.catch((err: unknown) => Promise.reject(asRequestError(err)))
        : Promise.resolve(principal);
    } catch (err) {
      return Promise.reject(asRequestError(err));
    }
  }

  return Object.freeze({
    authenticate,
    verifyAccessToken,
    options: resolved,
    revocation: follower,
    close: async () => follower?.close(),
  });
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

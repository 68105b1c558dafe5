import type { AccessTokenClaims, Principal } from './claims.js';
import { toPrincipal } from './claims.js';
import { checkCsrf, checkSameSite, isSafeMethod } from './csrf.js';
import { ConfigError, InvalidRequestError, LatchkeyError, TokenMalformedError } from './errors.js';
import type { HeadersLike } from './headers.js';
import { createKeySet } from './key-set.js';
import { resolveOptions, type ResolvedOptions, type VerifierOptions } from './options.js';
import { readCredentials } from './read-credentials.js';
import { verifyToken } from './verify-token.js';
import { startRevocationFollower, type RevocationFollower } from './revocation/follower.js';
import { httpRevocationTransport } from './revocation/http-transport.js';

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
  const resolved = resolveOptions(options);
  const getKey = createKeySet(resolved);
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

  /** Signature and claims first (a forged token is a 401 whatever the feed says), then revocation. */
  async function verifyAndCheck(token: string): Promise<AccessTokenClaims> {
    const claims = await verifyToken(token, resolved, getKey);
    follower?.check(claims);
    return claims;
  }

  async function verifyAccessToken(token: string): Promise<AccessTokenClaims> {
    if (typeof token !== 'string') throw new TokenMalformedError('The access token must be a string');
    return verifyAndCheck(token);
  }

  async function authenticate(input: AuthenticateInput): Promise<Principal> {
    try {
      const method = typeof input?.method === 'string' ? input.method : '';
      const headers = input?.headers;
      if (method.length === 0 || typeof headers !== 'object' || headers === null) {
        throw new InvalidRequestError('The request has no method or headers');
      }
      const credential = readCredentials(headers);
      const claims = await verifyAndCheck(credential.token);
      // Cookies ride along automatically, so cookie-authenticated writes must prove intent.
      if (credential.source === 'cookie' && !isSafeMethod(method)) {
        checkSameSite(headers, resolved.trustedOrigins);
        await checkCsrf(headers, claims);
      }
      return toPrincipal(claims, credential.source);
    } catch (err) {
      if (err instanceof LatchkeyError) throw err;
      throw new InvalidRequestError('The request could not be read', { cause: err });
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

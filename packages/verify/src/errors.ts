/**
 * The error catalogue of `@latchkey/verify`. Every failure has its own class with a stable
 * snake_case `code` (the same string travels on the wire as `error`) and an HTTP `status`.
 * Callers branch on `code`, never on message text. Messages never contain a token or secret.
 *
 * Keep `docs/errors.md` in step: `test/errors-docs.test.ts` compares the two.
 */

/** RFC 6750 §3.1 error attribute carried in `WWW-Authenticate`, when one applies. */
export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

/**
 * Base class of every error Latchkey throws on purpose.
 *
 * @example
 * ```ts
 * try { await verifier.authenticate(req) } catch (err) {
 *   if (err instanceof LatchkeyError && err.code === 'token_expired') { ... }
 * }
 * ```
 */
export class LatchkeyError extends Error {
  /** Stable snake_case code of this class. */
  static readonly code: string = 'latchkey_error';
  /** HTTP status this failure maps to. */
  static readonly status: number = 500;
  /** RFC 6750 error attribute for `WWW-Authenticate`, or `undefined` when none applies. */
  static readonly bearerError: BearerErrorCode | undefined = undefined;
  /** Default human-readable description. */
  static readonly description: string = 'Authentication failed';

  /** Stable snake_case code; also the wire `error`. */
  readonly code: string;
  /** HTTP status. */
  readonly status: number;
  /** RFC 6750 error attribute, if any. */
  readonly bearerError: BearerErrorCode | undefined;

  constructor(message?: string, options?: ErrorOptions) {
    const ctor = new.target as typeof LatchkeyError;
    super(message ?? ctor.description, options);
    this.name = ctor.name;
    this.code = ctor.code;
    this.status = ctor.status;
    this.bearerError = ctor.bearerError;
  }
}

/** Invalid verifier options (thrown by `createVerifier`, never while serving a request). */
export class ConfigError extends LatchkeyError {
  static override readonly code = 'config_error';
  static override readonly status = 500;
  static override readonly description = 'Invalid Latchkey configuration';
}

/** No access token was presented (no `Authorization` header and no access-token cookie). */
export class MissingCredentialsError extends LatchkeyError {
  static override readonly code = 'missing_credentials';
  static override readonly status = 401;
  static override readonly description = 'Authentication is required';
}

/** The credential could not be read: a non-Bearer scheme, a malformed header, a duplicated cookie. */
export class InvalidRequestError extends LatchkeyError {
  static override readonly code = 'invalid_request';
  static override readonly status = 400;
  static override readonly bearerError = 'invalid_request';
  static override readonly description = 'The credentials in the request are malformed';
}

/** The token is not a well-formed compact JWS/JWT (or is larger than allowed). */
export class TokenMalformedError extends LatchkeyError {
  static override readonly code = 'token_malformed';
  static override readonly status = 401;
  static override readonly bearerError = 'invalid_token';
  static override readonly description = 'The access token is malformed';
}

/** The JOSE header is refused: wrong `typ`, missing `kid`, `jku`/`x5u`/`jwk`/`x5c`, `crit`, `b64`. */
export class TokenHeaderInvalidError extends LatchkeyError {
  static override readonly code = 'token_header_invalid';
  static override readonly status = 401;
  static override readonly bearerError = 'invalid_token';
  static override readonly description = 'The access token header is not acceptable';
}

/** The header `alg` is not in the verifier's allow-list (`none` and HMAC never are). */
export class TokenAlgorithmNotAllowedError extends LatchkeyError {
  static override readonly code = 'token_algorithm_not_allowed';
  static override readonly status = 401;
  static override readonly bearerError = 'invalid_token';
  static override readonly description = 'The access token algorithm is not allowed';
}

/** No key in the key set matches the token's `kid` and `alg`. */
export class TokenKeyUnknownError extends LatchkeyError {
  static override readonly code = 'token_key_unknown';
  static override readonly status = 401;
  static override readonly bearerError = 'invalid_token';
  static override readonly description = 'The access token was signed by an unknown key';
}

/** The signature does not verify. */
export class TokenSignatureInvalidError extends LatchkeyError {
  static override readonly code = 'token_signature_invalid';
  static override readonly status = 401;
  static override readonly bearerError = 'invalid_token';
  static override readonly description = 'The access token signature is invalid';
}

/** `exp` has passed (beyond the allowed clock skew). */
export class TokenExpiredError extends LatchkeyError {
  static override readonly code = 'token_expired';
  static override readonly status = 401;
  static override readonly bearerError = 'invalid_token';
  static override readonly description = 'The access token expired';
}

/** `nbf` or `iat` lies in the future (beyond the allowed clock skew). */
export class TokenNotYetValidError extends LatchkeyError {
  static override readonly code = 'token_not_yet_valid';
  static override readonly status = 401;
  static override readonly bearerError = 'invalid_token';
  static override readonly description = 'The access token is not valid yet';
}

/** A claim is missing, has the wrong type or value (`iss`, `aud`, lifetime, ...). */
export class TokenClaimInvalidError extends LatchkeyError {
  static override readonly code = 'token_claim_invalid';
  static override readonly status = 401;
  static override readonly bearerError = 'invalid_token';
  static override readonly description = 'The access token claims are invalid';
}

/** The token's session or id has been revoked. */
export class TokenRevokedError extends LatchkeyError {
  static override readonly code = 'token_revoked';
  static override readonly status = 401;
  static override readonly bearerError = 'invalid_token';
  static override readonly description = 'The access token has been revoked';
}

/** The key set could not be fetched (network error, timeout, bad response): not the caller's fault. */
export class KeysUnavailableError extends LatchkeyError {
  static override readonly code = 'keys_unavailable';
  static override readonly status = 503;
  static override readonly description = 'The token signing keys are unavailable, try again later';
}

/** The revocation check (`isRevoked`) failed: whether the token is revoked is unknown, so refuse. */
export class RevocationUnavailableError extends LatchkeyError {
  static override readonly code = 'revocation_unavailable';
  static override readonly status = 503;
  static override readonly description = 'Token revocation cannot be checked right now, try again later';
}

/**
 * The verifier follows a revocation feed with `failurePolicy: 'closed'` and has lost it (or not reached
 * it yet) for longer than `failClosedAfterMs`: it cannot tell whether the token was revoked. Not the
 * caller's fault; retry later.
 */
export class RevocationFeedUnavailableError extends LatchkeyError {
  static override readonly code = 'revocation_feed_unavailable';
  static override readonly status = 503;
  static override readonly description = 'Token revocation status is unavailable, try again later';
}

/** A cookie-authenticated unsafe request came from another site (`Sec-Fetch-Site`/`Origin`). */
export class CrossSiteRequestError extends LatchkeyError {
  static override readonly code = 'cross_site_request';
  static override readonly status = 403;
  static override readonly description = 'Cross-site requests are not allowed';
}

/** A cookie-authenticated unsafe request carried no `X-CSRF-Token` header. */
export class CsrfTokenMissingError extends LatchkeyError {
  static override readonly code = 'csrf_token_missing';
  static override readonly status = 403;
  static override readonly description = 'The X-CSRF-Token header is required';
}

/** The `X-CSRF-Token` header does not match the token's `csrf` claim. */
export class CsrfTokenMismatchError extends LatchkeyError {
  static override readonly code = 'csrf_token_mismatch';
  static override readonly status = 403;
  static override readonly description = 'The X-CSRF-Token header does not match the session';
}

/** The token is valid but lacks a required scope (RFC 6750 `insufficient_scope`). */
export class InsufficientScopeError extends LatchkeyError {
  static override readonly code = 'insufficient_scope';
  static override readonly status = 403;
  static override readonly bearerError = 'insufficient_scope';
  static override readonly description = 'The access token lacks a required scope';

  /** The scopes the resource requires (all of them). */
  readonly scopes: readonly string[];

  constructor(scopes: readonly string[], message?: string) {
    super(message);
    this.scopes = Object.freeze([...scopes]);
  }
}

/**
 * The route serves a signed-in user, but the token belongs to no user session (no `sid`): a machine
 * (client-credentials) token, whose `sub` is a client id, must never be taken for a user.
 */
export class UserSessionRequiredError extends LatchkeyError {
  static override readonly code = 'user_session_required';
  static override readonly status = 403;
  static override readonly description = 'This route needs a signed-in user; a client (machine) token is not accepted';
}

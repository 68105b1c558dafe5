/**
 * The server's error catalogue. Every failure the server reports on the wire is one of these classes;
 * callers branch on `code` (the same string travels as `error` in the JSON body), never on the message.
 * Messages never contain a token, password or secret. Listed in docs/errors.md ("server" section).
 */
export class LatchkeyError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, status: number, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
  }
}

/** 400 — the request body or parameters are malformed, of the wrong type, or have unknown fields. */
export class InvalidRequestError extends LatchkeyError {
  constructor(message = 'The request is malformed.') {
    super('invalid_request', 400, message);
  }
}

/** 413 — the request body exceeds `bodyLimit`. */
export class PayloadTooLargeError extends LatchkeyError {
  constructor(message = 'The request body is too large.') {
    super('payload_too_large', 413, message);
  }
}

/** 415 — a JSON endpoint received a body that is not `application/json`. */
export class UnsupportedMediaTypeError extends LatchkeyError {
  constructor(message = 'Only application/json request bodies are accepted.') {
    super('unsupported_media_type', 415, message);
  }
}

/** 404 — no such route. */
export class NotFoundError extends LatchkeyError {
  constructor(message = 'No such endpoint.') {
    super('not_found', 404, message);
  }
}

/** 414 — a path parameter or the URL is longer than any valid one (Fastify's `maxParamLength`). */
export class UriTooLongError extends LatchkeyError {
  constructor(message = 'The request URL is too long.') {
    super('uri_too_long', 414, message);
  }
}

/** 431 — the request line and headers exceed Node's header size limit (16 KiB by default). */
export class RequestHeaderTooLargeError extends LatchkeyError {
  constructor(message = 'The request URL or headers are too large.') {
    super('request_header_too_large', 431, message);
  }
}

/** 408 — the client did not send a complete request in time (Node's `requestTimeout`). */
export class RequestTimeoutError extends LatchkeyError {
  constructor(message = 'The request was not received in time.') {
    super('request_timeout', 408, message);
  }
}

/** 400 — the password is shorter than `passwordMinLength` or longer than `passwordMaxBytes`. */
export class InvalidPasswordError extends LatchkeyError {
  constructor(message: string) {
    super('invalid_password', 400, message);
  }
}

/** 409 — a user with this email already exists. */
export class EmailTakenError extends LatchkeyError {
  constructor(message = 'An account with this email already exists.') {
    super('email_taken', 409, message);
  }
}

/** 403 — self-service signup is switched off (`signupEnabled: false`). */
export class SignupDisabledError extends LatchkeyError {
  constructor(message = 'Signup is disabled on this server.') {
    super('signup_disabled', 403, message);
  }
}

/** 401 — unknown email or wrong password (deliberately indistinguishable). */
export class InvalidCredentialsError extends LatchkeyError {
  constructor(message = 'Invalid email or password.') {
    super('invalid_credentials', 401, message);
  }
}

/**
 * 429 — too many failed attempts (login per account or client IP, refresh per IP, OAuth client
 * authentication per client or IP). Sent with `Retry-After` (seconds). Never says whether an account exists.
 */
export class TooManyRequestsError extends LatchkeyError {
  /** Seconds until the blocking window ends (≥ 1). */
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number, message = 'Too many failed attempts; wait before trying again.') {
    super('too_many_requests', 429, message);
    this.retryAfterSeconds = Number.isFinite(retryAfterSeconds) ? Math.max(1, Math.ceil(retryAfterSeconds)) : 1;
  }
}

/** 403 — the account exists and the password is right, but an operator disabled it. */
export class AccountDisabledError extends LatchkeyError {
  constructor(message = 'This account is disabled.') {
    super('account_disabled', 403, message);
  }
}

/** 401 — no access token was presented (RFC 6750 §3.1: no `error` attribute in WWW-Authenticate). Same code as @latchkey/verify. */
export class MissingCredentialsError extends LatchkeyError {
  constructor(message = 'Authentication required.') {
    super('missing_credentials', 401, message);
  }
}

/** 401 — the access token is malformed, badly signed, expired, or its session is gone. */
export class InvalidTokenError extends LatchkeyError {
  constructor(message = 'The access token is invalid.') {
    super('invalid_token', 401, message);
  }
}

/** 401 — the refresh token is missing, malformed, unknown, expired or its session was revoked. */
export class InvalidRefreshTokenError extends LatchkeyError {
  constructor(message = 'The refresh token is invalid.') {
    super('invalid_refresh_token', 401, message);
  }
}

/** 401 — an already-rotated refresh token was presented again; the whole session is now revoked. */
export class RefreshTokenReusedError extends LatchkeyError {
  constructor(message = 'This refresh token was already used; the session has been revoked.') {
    super('refresh_token_reused', 401, message);
  }
}

/** 404 — `DELETE /auth/sessions/:id`: no live session with this id belongs to the caller (never says which). */
export class SessionNotFoundError extends LatchkeyError {
  constructor(message = 'No such session.') {
    super('session_not_found', 404, message);
  }
}

/** 403 — a cookie request to refresh/logout came without an `X-CSRF-Token` header. Same code as @latchkey/verify. */
export class CsrfTokenMissingError extends LatchkeyError {
  constructor(message = 'The X-CSRF-Token header is required.') {
    super('csrf_token_missing', 403, message);
  }
}

/** 403 — the `X-CSRF-Token` header does not match the session's CSRF token. Same code as @latchkey/verify. */
export class CsrfTokenMismatchError extends LatchkeyError {
  constructor(message = 'The X-CSRF-Token header does not match the session.') {
    super('csrf_token_mismatch', 403, message);
  }
}

/** 403 — a state-changing request came from another site (`Origin` / `Sec-Fetch-Site`). */
export class CrossSiteRequestError extends LatchkeyError {
  constructor(message = 'Cross-site requests are not allowed.') {
    super('cross_site_request', 403, message);
  }
}

/** 500 — an unexpected internal failure; details go to the log, never to the client. Same code as @latchkey/verify. */
export class InternalError extends LatchkeyError {
  constructor(message = 'An internal error occurred.') {
    super('internal_error', 500, message);
  }
}

/**
 * 503 — PostgreSQL or Redis is unreachable, timed out or restarting. Nothing was half-applied (every
 * store write is one statement or one transaction); retrying later is safe. Sent with `Retry-After`.
 */
export class StoreUnavailableError extends LatchkeyError {
  constructor(message = 'The data store is temporarily unavailable; retry shortly.', options?: { cause?: unknown }) {
    super('store_unavailable', 503, message);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/**
 * 503 — too many password hashes are already waiting (a login/sign-up burst beyond the hashing queue).
 * Nothing was done; retrying later is safe. Sent with `Retry-After`.
 */
export class ServerBusyError extends LatchkeyError {
  constructor(message = 'The server is busy; retry shortly.') {
    super('server_busy', 503, message);
  }
}

/**
 * Thrown at start-up when stored private signing keys cannot be opened: they are encrypted and
 * `LATCHKEY_KEY_ENCRYPTION_KEY` is missing, or the key given does not decrypt them. Never sent on the wire.
 */
export class KeyProtectionError extends LatchkeyError {
  constructor(message: string) {
    super('key_protection_failed', 500, message);
  }
}

/**
 * 401 — OAuth client authentication failed (RFC 6749 §5.2): unknown client, wrong secret, disabled
 * client, no credentials where they are required, or a malformed `Authorization: Basic` header.
 * Answered with `WWW-Authenticate: Basic realm="latchkey"`.
 */
export class InvalidClientError extends LatchkeyError {
  constructor(message = 'Client authentication failed.') {
    super('invalid_client', 401, message);
  }
}

/** 400 — the refresh token (the grant) is invalid, expired, revoked, reused or was issued to another client (RFC 6749 §5.2). */
export class InvalidGrantError extends LatchkeyError {
  constructor(message = 'The grant is invalid.') {
    super('invalid_grant', 400, message);
  }
}

/** 400 — the requested `scope` is malformed or exceeds the client's allowed scopes (RFC 6749 §5.2). */
export class InvalidScopeError extends LatchkeyError {
  constructor(message = 'The requested scope is invalid.') {
    super('invalid_scope', 400, message);
  }
}

/** 400 — `grant_type` is not one this server supports (RFC 6749 §5.2). */
export class UnsupportedGrantTypeError extends LatchkeyError {
  constructor(message = 'This grant type is not supported.') {
    super('unsupported_grant_type', 400, message);
  }
}

/** 400 — the requested `resource` (audience) is not one the client may get tokens for (RFC 8707 §2). */
export class InvalidTargetError extends LatchkeyError {
  constructor(message = 'The requested resource is not allowed for this client.') {
    super('invalid_target', 400, message);
  }
}

/** Thrown at start-up when configuration is invalid; names the offending option. Never sent on the wire. */
export class ConfigError extends LatchkeyError {
  readonly option: string;
  constructor(option: string, message: string) {
    super('invalid_config', 500, `Invalid configuration option "${option}": ${message}`);
    this.option = option;
  }
}

/** Every wire error code the server can emit, with its HTTP status (kept in step with docs/errors.md by a test). */
export const SERVER_ERROR_CODES = {
  invalid_request: 400,
  payload_too_large: 413,
  unsupported_media_type: 415,
  not_found: 404,
  uri_too_long: 414,
  request_header_too_large: 431,
  request_timeout: 408,
  invalid_password: 400,
  email_taken: 409,
  signup_disabled: 403,
  invalid_credentials: 401,
  account_disabled: 403,
  missing_credentials: 401,
  invalid_token: 401,
  invalid_refresh_token: 401,
  refresh_token_reused: 401,
  csrf_token_missing: 403,
  csrf_token_mismatch: 403,
  cross_site_request: 403,
  session_not_found: 404,
  invalid_client: 401,
  invalid_grant: 400,
  invalid_scope: 400,
  unsupported_grant_type: 400,
  invalid_target: 400,
  internal_error: 500,
  store_unavailable: 503,
  server_busy: 503,
  too_many_requests: 429,
} as const satisfies Record<string, number>;

/**
 * `@latchkey/verify`: framework-agnostic verification of Latchkey access tokens.
 * @packageDocumentation
 */
export { createVerifier, resolveVerifier } from './create-verifier.js';
export type { AuthenticateInput, Verifier, VerifierInput } from './create-verifier.js';
export type {
  VerifierOptions,
  ResolvedOptions,
  ResolvedRevocationOptions,
  FetchLike,
  RevocationCheck,
  TokenCacheOptions,
  ResolvedTokenCacheOptions,
} from './options.js';
export { httpRevocationTransport } from './revocation-http-transport.js';
export type { RevocationFollower } from './revocation-follower.js';
export type {
  RevocationEntry,
  RevocationFailurePolicy,
  RevocationLogEvent,
  RevocationOptions,
  RevocationState,
  RevocationStatus,
  RevocationTransport,
  RevocationTransportHandlers,
} from './revocation-types.js';
export type { HeadersLike } from './headers.js';
export type { AccessTokenClaims, Principal } from './claims.js';
export { hasScopes, assertScopes, assertUserSession } from './claims.js';
export type { CredentialSource } from './read-credentials.js';
export { errorResponse } from './error-response.js';
export type { ErrorResponse } from './error-response.js';
export { SUPPORTED_ALGORITHMS, DEFAULTS, ACCESS_TOKEN_COOKIE } from './defaults.js';
export type { Algorithm } from './defaults.js';
export {
  LatchkeyError,
  ConfigError,
  MissingCredentialsError,
  InvalidRequestError,
  TokenMalformedError,
  TokenHeaderInvalidError,
  TokenAlgorithmNotAllowedError,
  TokenKeyUnknownError,
  TokenSignatureInvalidError,
  TokenExpiredError,
  TokenNotYetValidError,
  TokenClaimInvalidError,
  TokenRevokedError,
  KeysUnavailableError,
  RevocationUnavailableError,
  RevocationFeedUnavailableError,
  CrossSiteRequestError,
  CsrfTokenMissingError,
  CsrfTokenMismatchError,
  InsufficientScopeError,
  UserSessionRequiredError,
} from './errors.js';
export type { BearerErrorCode } from './errors.js';

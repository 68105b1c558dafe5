import { InsufficientScopeError, UserSessionRequiredError } from './errors.js';
import type { CredentialSource } from './read-credentials.js';

/**
 * Claims of a verified Latchkey access token (RFC 9068 profile). Custom claims stay reachable
 * through the index signature; narrow them yourself.
 */
export interface AccessTokenClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string | readonly string[];
  readonly exp: number;
  readonly iat: number;
  readonly jti: string;
  readonly client_id: string;
  readonly nbf?: number;
  /** Space-separated scopes. */
  readonly scope?: string;
  /** Session id (user sessions). */
  readonly sid?: string;
  /** CSRF token bound to a cookie session. */
  readonly csrf?: string;
  readonly roles?: readonly string[];
  readonly [claim: string]: unknown;
}

/** Who made the request, after every check passed. */
export interface Principal {
  /** `sub`: the user id, or the client id for client-credentials tokens. */
  readonly subject: string;
  /** `sid`, when the token belongs to a user session. */
  readonly sessionId?: string;
  /** `client_id` of the OAuth client the token was issued to. */
  readonly clientId: string;
  /** Scopes from the space-separated `scope` claim. */
  readonly scopes: readonly string[];
  /** `roles`, or empty. */
  readonly roles: readonly string[];
  /** `jti`. */
  readonly tokenId: string;
  /** `exp`, in seconds since the epoch. */
  readonly expiresAt: number;
  /** How the token was presented. */
  readonly credential: CredentialSource;
  /** Every verified claim. */
  readonly claims: AccessTokenClaims;
}

/** Builds the frozen principal from verified claims. */
export function toPrincipal(claims: AccessTokenClaims, credential: CredentialSource): Principal {
  const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ').filter((s) => s.length > 0) : [];
  return Object.freeze({
    subject: claims.sub,
    ...(claims.sid === undefined ? {} : { sessionId: claims.sid }),
    clientId: claims.client_id,
    scopes: Object.freeze(scopes),
    roles: Object.freeze([...(claims.roles ?? [])]),
    tokenId: claims.jti,
    expiresAt: claims.exp,
    credential,
    claims,
  });
}

/**
 * True when the principal holds every one of `scopes`.
 *
 * @example
 * ```ts
 * if (!hasScopes(principal, ['cart:read'])) throw new InsufficientScopeError(['cart:read']);
 * ```
 */
export function hasScopes(principal: Pick<Principal, 'scopes'>, scopes: readonly string[]): boolean {
  return scopes.every((s) => principal.scopes.includes(s));
}

/**
 * Throws {@link InsufficientScopeError} (403, RFC 6750 `insufficient_scope`) unless the principal
 * holds every one of `scopes`. Adapters call it after `authenticate`.
 */
export function assertScopes(principal: Pick<Principal, 'scopes'>, scopes: readonly string[]): void {
  if (!hasScopes(principal, scopes)) throw new InsufficientScopeError(scopes);
}

/**
 * Throws {@link UserSessionRequiredError} (403) unless the principal belongs to a user session (its
 * token carries `sid`). Client-credentials tokens have `sub` = the client id and no `sid`; a route
 * acting for "the current user" must not read that client id as a user id. Adapters call it for
 * `{ requireUser: true }`.
 *
 * @example
 * ```ts
 * assertUserSession(principal); // before store.cartOf(principal.subject)
 * ```
 */
export function assertUserSession(principal: Pick<Principal, 'sessionId'>): void {
  if (typeof principal.sessionId !== 'string' || principal.sessionId.length === 0) throw new UserSessionRequiredError();
}

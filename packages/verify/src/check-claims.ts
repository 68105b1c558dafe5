import type { AccessTokenClaims } from './claims.js';
import {
  TokenClaimInvalidError,
  TokenExpiredError,
  TokenMalformedError,
  TokenNotYetValidError,
} from './errors.js';
import type { ResolvedOptions } from './options.js';

// RFC 9068 §2.2 required claims, in the order their absence is reported.
const REQUIRED_CLAIMS = ['iss', 'aud', 'client_id', 'jti', 'iat', 'exp', 'sub'] as const;
const fatalDecoder = new TextDecoder('utf-8', { fatal: true });

function claimError(claim: string, why: string): TokenClaimInvalidError {
  return new TokenClaimInvalidError(`The access token claim "${claim}" ${why}`);
}

/** Parses the verified payload bytes: strict UTF-8, one top-level JSON object (RFC 7519 §7.2). */
export function decodeClaims(bytes: Uint8Array): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fatalDecoder.decode(bytes));
  } catch (err) {
    throw new TokenMalformedError(undefined, { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new TokenMalformedError();
  return parsed as Record<string, unknown>;
}

function numericDate(p: Record<string, unknown>, name: string): number | undefined {
  const v = p[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'number') throw claimError(name, 'is invalid');
  return v;
}

function audienceMatches(aud: unknown, accepted: readonly string[]): boolean {
  if (typeof aud === 'string') return accepted.includes(aud);
  return Array.isArray(aud) && accepted.some((a) => aud.includes(a));
}

/**
 * Time checks, run on every verification and on every cache hit: `nbf` and `iat` not in the future,
 * `exp` not past, each with the allowed skew (RFC 7519 §4.1.4–4.1.6).
 */
export function checkTimes(exp: number, nbf: number | undefined, iat: number, options: ResolvedOptions, nowMs: number): void {
  checkWindow(exp, nbf, options, nowMs);
  checkIssuedAt(iat, options, nowMs);
}

function checkWindow(exp: number, nbf: number | undefined, options: ResolvedOptions, nowMs: number): void {
  const now = Math.floor(nowMs / 1000);
  if (nbf !== undefined && nbf > now + options.clockSkewSeconds) throw new TokenNotYetValidError();
  if (exp <= now - options.clockSkewSeconds) throw new TokenExpiredError();
}

function checkIssuedAt(iat: number, options: ResolvedOptions, nowMs: number): void {
  if (iat > Math.floor(nowMs / 1000) + options.clockSkewSeconds) {
    throw new TokenNotYetValidError('The access token was issued in the future');
  }
}

/**
 * Checks the claims of a token whose signature has verified, in a fixed order: required claims
 * present → `iss` exact → `aud` contains ours → numeric dates → `nbf`/`exp` window → claim types →
 * `iat` not in the future → lifetime. Messages name the claim, never its value. Returns the frozen claims.
 */
export function checkClaims(p: Record<string, unknown>, options: ResolvedOptions, nowMs: number): AccessTokenClaims {
  for (const name of REQUIRED_CLAIMS) {
    if (!Object.hasOwn(p, name)) throw claimError(name, 'is missing');
  }
  if (p['iss'] !== options.issuer) throw claimError('iss', 'is invalid');
  if (!audienceMatches(p['aud'], options.audience)) throw claimError('aud', 'is invalid');
  const iat = numericDate(p, 'iat') as number;
  const nbf = numericDate(p, 'nbf');
  const now = Math.floor(nowMs / 1000);
  if (nbf !== undefined && nbf > now + options.clockSkewSeconds) throw new TokenNotYetValidError();
  const exp = numericDate(p, 'exp') as number;
  if (exp <= now - options.clockSkewSeconds) throw new TokenExpiredError();
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
  checkIssuedAt(iat, options, nowMs);
  if (exp - iat > options.maxTokenLifetimeSeconds) {
    throw claimError('exp', 'is too far after "iat" (token lifetime exceeds the allowed maximum)');
  }
  return Object.freeze(p) as AccessTokenClaims;
}

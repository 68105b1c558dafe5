import type { FastifyRequest } from 'fastify';
import { CsrfTokenMismatchError, CsrfTokenMissingError } from '../errors.js';
import { CSRF_HEADER } from '../http/cookies.js';
import { safeEqual, sha256 } from '../tokens/crypto.js';

/**
 * Checks `X-CSRF-Token` against the session's stored CSRF hash (constant time on the hashes). Used where
 * the access token may already have expired (refresh, logout), so the server-side copy is the reference.
 * A session without a CSRF hash (token mode) never matches. Several hashes may be accepted (the current
 * one and, inside the refresh grace window, the one the last rotation replaced); each is compared.
 */
export function assertCsrfHeader(request: FastifyRequest, csrfHash: string | null | readonly (string | null)[]): void {
  const header = request.headers[CSRF_HEADER.toLowerCase()];
  if (typeof header !== 'string' || header.length === 0) throw new CsrfTokenMissingError();
  const accepted = (typeof csrfHash === 'string' || csrfHash === null ? [csrfHash] : csrfHash).filter((h): h is string => h !== null);
  if (header.length > 256 || accepted.length === 0) throw new CsrfTokenMismatchError();
  const presented = sha256(header);
  let ok = false;
  for (const h of accepted) ok = safeEqual(presented, h) || ok; // no early exit
  if (!ok) throw new CsrfTokenMismatchError();
}

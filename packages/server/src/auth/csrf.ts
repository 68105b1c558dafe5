import type { FastifyRequest } from 'fastify';
import { CsrfTokenMismatchError, CsrfTokenMissingError } from '../errors.js';
import { CSRF_HEADER } from '../http/cookies.js';
import { safeEqual, sha256 } from '../tokens/crypto.js';

/**
 * Checks `X-CSRF-Token` against the session's stored CSRF hash (constant time on the hashes). Used where
 * the access token may already have expired (refresh, logout), so the server-side copy is the reference.
 * A session without a CSRF hash (token mode) never matches.
 */
export function assertCsrfHeader(request: FastifyRequest, csrfHash: string | null): void {
  const header = request.headers[CSRF_HEADER.toLowerCase()];
  if (typeof header !== 'string' || header.length === 0) throw new CsrfTokenMissingError();
  if (csrfHash === null || header.length > 256 || !safeEqual(sha256(header), csrfHash)) throw new CsrfTokenMismatchError();
}

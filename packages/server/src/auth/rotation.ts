import { createHmac } from 'node:crypto';

export interface Successor {
  /** The successor refresh secret (43 chars base64url, like every refresh secret). */
  readonly secret: string;
  /** The successor CSRF token (cookie sessions only). */
  readonly csrf: string | undefined;
}

/**
 * Derives a rotation's successor from the presented refresh secret and the rotation's random nonce:
 * `HMAC-SHA256(key = presented secret, "latchkey/refresh/v1:" + nonce)` (and `…/csrf/v1:` for the CSRF
 * token). Deterministic, so every request that presents the same secret inside the grace window gets
 * the same successor and the same CSRF token (two tabs stay logged in); keyed by the secret, which only
 * its holder knows and the store keeps only hashed, so the stored nonce alone yields nothing; and the
 * nonce is fresh per rotation, so a thief holding an *old* secret cannot compute its successor once the
 * grace window has closed (reuse detection still fires).
 */
export function deriveSuccessor(presentedSecret: string, nonce: string, withCsrf: boolean): Successor {
  const secret = createHmac('sha256', presentedSecret).update(`latchkey/refresh/v1:${nonce}`).digest('base64url');
  const csrf = withCsrf ? createHmac('sha256', presentedSecret).update(`latchkey/csrf/v1:${nonce}`).digest('base64url') : undefined;
  return { secret, csrf };
}

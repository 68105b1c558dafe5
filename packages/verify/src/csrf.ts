import { CSRF_CLAIM, CSRF_HEADER } from './defaults.js';
import { CrossSiteRequestError, CsrfTokenMismatchError, CsrfTokenMissingError } from './errors.js';
import { headerValue, type HeadersLike } from './headers.js';

const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** GET/HEAD/OPTIONS never change state, so they need no CSRF proof (RFC 9110 §9.2.1). */
export function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method.toUpperCase());
}

/**
 * Refuses cookie-authenticated unsafe requests that say they come from another site.
 * `Sec-Fetch-Site` and `Origin` are set by the browser, not by page script.
 */
export function checkSameSite(headers: HeadersLike, trustedOrigins: readonly string[] | undefined): void {
  const site = headerValue(headers, 'sec-fetch-site');
  if (site !== undefined && site.trim().toLowerCase() === 'cross-site') throw new CrossSiteRequestError();
  const origin = headerValue(headers, 'origin');
  if (origin === undefined) return;
  const o = origin.trim();
  // Browsers send `Origin: null` from sandboxed frames, data: URLs and some redirects: unknowable.
  if (o === 'null') throw new CrossSiteRequestError();
  if (trustedOrigins !== undefined && !trustedOrigins.includes(o)) throw new CrossSiteRequestError();
}

/** Constant-time secret comparison, from the crypto backend. */
export type SecretsEqual = (a: string, b: string) => boolean | Promise<boolean>;

/**
 * The `X-CSRF-Token` header must equal the token's `csrf` claim. A missing header, or a token
 * without the claim, is a failure: "both missing" must never count as a match. Runs on every
 * request: it depends on the request, so it is never cached with the token. Synchronous when the
 * backend's comparison is.
 */
export function checkCsrf(
  headers: HeadersLike,
  claims: Readonly<Record<string, unknown>>,
  secretsEqual: SecretsEqual,
): void | Promise<void> {
  const presented = headerValue(headers, CSRF_HEADER);
  if (presented === undefined || presented.length === 0) throw new CsrfTokenMissingError();
  const expected = claims[CSRF_CLAIM];
  if (typeof expected !== 'string' || expected.length === 0) throw new CsrfTokenMismatchError();
  const equal = secretsEqual(presented, expected);
  if (typeof equal === 'boolean') {
    if (!equal) throw new CsrfTokenMismatchError();
    return;
  }
  return equal.then((same) => {
    if (!same) throw new CsrfTokenMismatchError();
  });
}

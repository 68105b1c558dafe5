import { StoreUnavailableError } from '../../errors.js';

/**
 * Whether a `pg` error means "the database is not reachable right now" (→ 503, retry later) rather
 * than a bug or a constraint violation. SQLSTATE classes: 08 connection exception, 53 insufficient
 * resources, 57P01..57P05 shutdown / cannot connect now, 57014 statement timeout. Errors without a
 * SQLSTATE come from the socket or the pool (refused, reset, connect timeout, terminated).
 */
export function isPgUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    return code.startsWith('08') || code.startsWith('53') || code.startsWith('57P') || code === '57014';
  }
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return true; // ECONNREFUSED, ECONNRESET, ETIMEDOUT, EPIPE…
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout|Client was closed|not queryable|Connection ended/i.test(err.message);
}

/** Re-throws connectivity failures as `StoreUnavailableError` (cause kept for the log), anything else as is. */
export function mapPgError(err: unknown): never {
  if (isPgUnavailable(err)) throw new StoreUnavailableError('The database is temporarily unavailable; retry shortly.', { cause: err });
  throw err;
}

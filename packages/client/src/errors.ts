/**
 * The client's error catalogue. Callers branch on `code`, never on the message.
 *
 * - `LatchkeyClientError`: the auth server (or a service) answered with an error. `code` is the
 *   server's stable `error` string (e.g. `invalid_credentials`, `csrf_mismatch`), or
 *   `unexpected_response` when the body was not the documented `{error, error_description}` JSON.
 * - `LatchkeyNetworkError` (`code = 'network_error'`, `status = 0`): the request never got an answer.
 */
export class LatchkeyClientError extends Error {
  override name = 'LatchkeyClientError';
  /** Stable snake_case code; the server's `error` field when it sent one. */
  readonly code: string;
  /** HTTP status of the answer (0 when there was none). */
  readonly status: number;

  constructor(code: string, message: string, status: number, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.status = status;
  }
}

export class LatchkeyNetworkError extends LatchkeyClientError {
  override name = 'LatchkeyNetworkError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('network_error', message, 0, options);
  }
}

/** Builds the typed error for a non-2xx response from its `{error, error_description}` body. */
export async function errorFromResponse(res: Response): Promise<LatchkeyClientError> {
  let code = 'unexpected_response';
  let description = `HTTP ${res.status}`;
  try {
    const body: unknown = await res.json();
    if (body !== null && typeof body === 'object') {
      const { error, error_description: text } = body as Record<string, unknown>;
      if (typeof error === 'string' && /^[a-z0-9_]{1,64}$/.test(error)) code = error;
      if (typeof text === 'string' && text.length > 0) description = text.slice(0, 500);
    }
  } catch {
    // Not JSON (a proxy's HTML page, an empty body): keep the generic code.
  }
  return new LatchkeyClientError(code, description, res.status);
}

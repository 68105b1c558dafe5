/**
 * The shop's error catalogue (gateway and services; auth failures come from `@latchkey/verify`'s own
 * catalogue, the auth server's from `@latchkey/server`'s). Listed in docs/errors.md, kept in step by a
 * test. Wire shape everywhere: `{ "error": code, "error_description": text }`.
 */
export const SHOP_ERROR_CODES = {
  invalid_request: 400,
  invalid_json: 400,
  unknown_product: 400,
  quantity_limit: 400,
  empty_order: 400,
  service_token_required: 403,
  not_found: 404,
  request_timeout: 408,
  payload_too_large: 413,
  uri_too_long: 414,
  unsupported_media_type: 415,
  request_header_too_large: 431,
  internal_error: 500,
  upstream_unavailable: 502,
} as const satisfies Record<string, number>;

export type ShopErrorCode = keyof typeof SHOP_ERROR_CODES;

export class ShopError extends Error {
  override name = 'ShopError';
  /** The HTTP status, fixed by the code. */
  readonly status: number;
  constructor(
    readonly code: ShopErrorCode,
    message: string,
  ) {
    super(message);
    this.status = SHOP_ERROR_CODES[code];
  }
}

export const invalidRequest = (message: string): ShopError => new ShopError('invalid_request', message);
export const unknownProduct = (): ShopError => new ShopError('unknown_product', 'no such product');
export const notFound = (): ShopError => new ShopError('not_found', 'no such route');
export const payloadTooLarge = (): ShopError => new ShopError('payload_too_large', 'request body too large');

export function errorBody(err: ShopError): { error: string; error_description: string } {
  return { error: err.code, error_description: err.message };
}

/**
 * Maps framework failures (Fastify's `FST_ERR_*`, Express/body-parser's `status` + `type`, Node's
 * `URIError` from decoding a parameter) and our own errors to a {@link ShopError}; anything unexpected
 * becomes a 500 that reveals nothing.
 */
export function toShopError(err: unknown): ShopError {
  if (err instanceof ShopError) return err;
  const e = (err ?? {}) as { status?: unknown; statusCode?: unknown; code?: unknown; type?: unknown; validation?: unknown };
  if (e.validation !== undefined) return invalidRequest(validationMessage(err));
  switch (e.code) {
    case 'FST_ERR_BAD_URL':
      return invalidRequest('the URL path has a malformed percent-escape');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new ShopError('uri_too_long', 'a path parameter is longer than any valid one');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ShopError('invalid_json', 'request body is not valid JSON');
  }
  if (e.type === 'entity.parse.failed') return new ShopError('invalid_json', 'request body is not valid JSON');
  const status = typeof e.statusCode === 'number' ? e.statusCode : typeof e.status === 'number' ? e.status : 500;
  if (status === 400 && err instanceof URIError) return invalidRequest('the URL has a malformed percent-escape');
  if (status === 400 && err instanceof SyntaxError) return new ShopError('invalid_json', 'request body is not valid JSON');
  return fromStatus(status);
}

/** The catalogue entry for a bare HTTP status (what a framework error carries when nothing more specific is known). */
export function fromStatus(status: number): ShopError {
  switch (status) {
    case 404:
    case 405:
      return notFound();
    case 408:
      return new ShopError('request_timeout', 'the request was not received in time');
    case 413:
      return payloadTooLarge();
    case 414:
      return new ShopError('uri_too_long', 'the request URL is too long');
    case 415:
      return new ShopError('unsupported_media_type', 'send the body as application/json');
    case 431:
      return new ShopError('request_header_too_large', 'the request URL or headers are too large');
    case 502:
    case 503:
    case 504:
      return new ShopError('upstream_unavailable', 'the service is not reachable');
  }
  if (status >= 400 && status < 500) return invalidRequest('malformed request');
  return new ShopError('internal_error', 'internal error');
}

function validationMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : 'invalid request';
  // Fastify's messages name the field ("body/quantity must be <= 99"); they never echo the value.
  return message.slice(0, 200);
}

/**
 * The shop services' error catalogue (auth failures come from `@latchkey/verify`'s own catalogue).
 * Wire shape everywhere: `{ "error": code, "error_description": text }`.
 */
export class ShopError extends Error {
  override name = 'ShopError';
  constructor(
    readonly code: ShopErrorCode,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type ShopErrorCode =
  | 'invalid_request'
  | 'invalid_json'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'unknown_product'
  | 'quantity_limit'
  | 'empty_order'
  | 'not_found'
  | 'upstream_unavailable'
  | 'service_token_required'
  | 'internal_error';

export const invalidRequest = (message: string): ShopError => new ShopError('invalid_request', 400, message);
export const unknownProduct = (): ShopError => new ShopError('unknown_product', 400, 'no such product');

export function errorBody(err: ShopError): { error: string; error_description: string } {
  return { error: err.code, error_description: err.message };
}

/**
 * Maps framework/body-parser failures (which carry a `status`/`statusCode` and a `type`/`code`) and our
 * own errors to a {@link ShopError}; anything unexpected becomes a 500 that reveals nothing.
 */
export function toShopError(err: unknown): ShopError {
  if (err instanceof ShopError) return err;
  const e = (err ?? {}) as { status?: unknown; statusCode?: unknown; code?: unknown; type?: unknown; validation?: unknown };
  const status = typeof e.statusCode === 'number' ? e.statusCode : typeof e.status === 'number' ? e.status : 500;
  if (e.validation !== undefined) return invalidRequest(validationMessage(err));
  if (status === 413) return new ShopError('payload_too_large', 413, 'request body too large');
  if (status === 415) return new ShopError('unsupported_media_type', 415, 'send the body as application/json');
  if (e.type === 'entity.parse.failed' || e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (status === 400 && err instanceof SyntaxError)) {
    return new ShopError('invalid_json', 400, 'request body is not valid JSON');
  }
  if (status === 400) return invalidRequest('malformed request');
  if (status === 404) return new ShopError('not_found', 404, 'no such route');
  return new ShopError('internal_error', 500, 'internal error');
}

function validationMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : 'invalid request';
  // Fastify's messages name the field ("body/quantity must be <= 99"); they never echo the value.
  return message.slice(0, 200);
}

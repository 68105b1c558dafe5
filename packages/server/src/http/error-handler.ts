import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { noteErrorCode } from './metrics.js';
import {
  InvalidRequestError,
  LatchkeyError,
  NotFoundError,
  PayloadTooLargeError,
  InternalError,
  UnsupportedMediaTypeError,
  TooManyRequestsError,
  UriTooLongError,
} from '../errors.js';

/** Maps anything thrown in a request to one catalogue error. Unknown errors become `internal_error` (details logged only). */
export function toLatchkeyError(err: unknown): LatchkeyError {
  if (err instanceof LatchkeyError) return err;
  const e = err as Partial<FastifyError> | undefined;
  if (e?.validation !== undefined) {
    return new InvalidRequestError(`Invalid request ${e.validationContext ?? 'body'}: ${describeValidation(e)}`);
  }
  switch (e?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new PayloadTooLargeError();
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new UnsupportedMediaTypeError();
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new InvalidRequestError('Malformed JSON body.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new InvalidRequestError('Content-Length does not match the body.');
    case 'FST_ERR_BAD_URL':
      return new InvalidRequestError('The URL path has a malformed percent-escape.');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new UriTooLongError();
  }
  const status = typeof e?.statusCode === 'number' ? e.statusCode : 500;
  if (status === 413) return new PayloadTooLargeError();
  if (status === 415) return new UnsupportedMediaTypeError();
  if (status === 404) return new NotFoundError();
  if (status === 414) return new UriTooLongError();
  if (status >= 400 && status < 500) return new InvalidRequestError('The request is malformed.');
  return new InternalError();
}

function describeValidation(e: Partial<FastifyError>): string {
  const first = e.validation?.[0];
  if (first === undefined) return 'validation failed';
  const where = first.instancePath === '' ? '' : `${first.instancePath.slice(1).replaceAll('/', '.')} `;
  if (first.keyword === 'additionalProperties') {
    const extra = (first.params as { additionalProperty?: unknown }).additionalProperty;
    return `unknown field "${String(extra).slice(0, 64)}"`;
  }
  return `${where}${first.message ?? 'is invalid'}`;
}

/** Sends the wire form `{error, error_description}` (+ RFC 6750 WWW-Authenticate on 401). */
export function sendError(reply: FastifyReply, err: LatchkeyError): FastifyReply {
  noteErrorCode(reply.request, err.code);
  reply.code(err.status).header('cache-control', 'no-store').type('application/json; charset=utf-8');
  // RFC 9110 §10.2.3: a store outage is transient; tell clients when to come back.
  if (err.status === 503) reply.header('retry-after', '1');
  if (err instanceof TooManyRequestsError) reply.header('retry-after', String(err.retryAfterSeconds));
  if (err.status === 401) {
    // RFC 6750 §3: no `error` attribute when the request carried no credentials at all.
    const challenge =
      err.code === 'invalid_client'
        ? 'Basic realm="latchkey"' // RFC 6749 §5.2: clients authenticate with HTTP Basic (or the body)
        : err.code === 'missing_credentials'
        ? 'Bearer realm="latchkey"'
        : err.code === 'invalid_token'
          ? `Bearer realm="latchkey", error="invalid_token", error_description="${err.message.replaceAll('"', "'")}"`
          : 'Bearer realm="latchkey"';
    reply.header('www-authenticate', challenge);
  }
  return reply.send({ error: err.code, error_description: err.message });
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const mapped = toLatchkeyError(err);
    if (mapped.status >= 500) request.log.error({ err }, 'unhandled error');
    return sendError(reply, mapped);
  });
  app.setNotFoundHandler((_request, reply) => sendError(reply, new NotFoundError()));
}

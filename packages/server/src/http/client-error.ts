import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { InvalidRequestError, RequestHeaderTooLargeError, RequestTimeoutError, type LatchkeyError } from '../errors.js';

/** What Node's HTTP parser reports for a request it cannot read (before Fastify ever sees it). */
export function toClientError(err: NodeJS.ErrnoException): LatchkeyError {
  if (err.code === 'HPE_HEADER_OVERFLOW') return new RequestHeaderTooLargeError();
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return new RequestTimeoutError();
  return new InvalidRequestError('The HTTP request is malformed.');
}

/**
 * Fastify's `clientErrorHandler`: a request Node's parser rejects (a raw NUL or control byte in the
 * request line, a URL or headers over the 16 KiB limit, a timeout) gets the wire error shape
 * instead of Fastify's `{"statusCode","message"}`, then the connection is closed.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const mapped = toClientError(err);
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ error: mapped.code, error_description: mapped.message });
  const head = [
    `HTTP/1.1 ${mapped.status} ${STATUS_CODES[mapped.status] ?? 'Error'}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Cache-Control: no-store',
    'X-Content-Type-Options: nosniff',
    'Connection: close',
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`, () => socket.destroy());
}

import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorBody, invalidRequest, ShopError, toShopError } from './errors.js';

function toClientError(err: NodeJS.ErrnoException): ShopError {
  if (err.code === 'HPE_HEADER_OVERFLOW') return new ShopError('request_header_too_large', 'the request URL or headers are too large');
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return new ShopError('request_timeout', 'the request was not received in time');
  return invalidRequest('the HTTP request is malformed');
}

/**
 * Answers a request Node's HTTP parser refuses (a raw NUL or control byte in the request line, a URL or
 * headers over the 16 KiB limit, a timeout) in the wire error shape, then closes the connection —
 * instead of Fastify's `{"statusCode","message"}` or Node's empty 400. Fastify's `clientErrorHandler`
 * option, or `server.on('clientError', …)` for Express and Hono.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const mapped = toClientError(err);
  const body = JSON.stringify(errorBody(mapped));
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

/** For a plain Node server (Express, Hono): answer parser-refused requests in the wire shape. */
export function installClientErrorHandler(server: Server): void {
  server.on('clientError', clientErrorHandler);
}

/**
 * Fastify options every shop Fastify app passes: errors raised before routing (a malformed escape in
 * the path, an over-long parameter) and requests the parser refuses get the shop's error shape, not
 * Fastify's default `{"error":"Bad Request","code":"FST_ERR_…"}`.
 */
export const fastifyErrorOptions = {
  frameworkErrors: (err: unknown, _request: FastifyRequest, reply: FastifyReply): void => {
    const shop = toShopError(err);
    void reply.code(shop.status).header('cache-control', 'no-store').send(errorBody(shop));
  },
  clientErrorHandler,
} as const;

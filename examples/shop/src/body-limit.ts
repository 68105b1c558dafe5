import type { IncomingMessage } from 'node:http';
import { Transform, type Readable } from 'node:stream';
import { ShopError } from './errors.js';

const overLimit = new WeakSet<IncomingMessage>();

/** True once {@link capRequestBody} cut this request's body off (the proxy's error then means 413, not 502). */
export function isOverLimit(request: IncomingMessage): boolean {
  return overLimit.has(request);
}

function tooLarge(limit: number): ShopError {
  return new ShopError('payload_too_large', `request body larger than ${limit} bytes`);
}

/**
 * A Fastify content-type parser body for a streaming proxy: refuses a declared `Content-Length` over
 * `limit` before reading anything, and otherwise hands on a stream that errors as soon as more than
 * `limit` bytes went through (chunked uploads, lying clients). The rest of an oversized body is left
 * unread; Node discards it once the 413 is sent.
 */
export function capRequestBody(
  request: IncomingMessage,
  payload: Readable,
  limit: number,
  done: (err: Error | null, body?: Readable) => void,
): void {
  const declared = request.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    done(tooLarge(limit));
    return;
  }
  let seen = 0;
  const capped = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > limit) {
        overLimit.add(request);
        payload.unpipe(capped);
        callback(tooLarge(limit));
        return;
      }
      callback(null, chunk);
    },
  });
  payload.on('error', (err) => capped.destroy(err));
  payload.pipe(capped);
  done(null, capped);
}

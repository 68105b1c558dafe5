import type { FastifyInstance } from 'fastify';
import { InvalidRequestError } from '../errors.js';

/**
 * Only `application/json` bodies are accepted: a cross-site form can send text/plain or form encoding
 * without a CORS preflight, so those must never reach a handler (→ 415). An empty JSON body is read as
 * "no body" so `POST /auth/refresh` and `/auth/logout` work without one.
 */
export function installJsonOnly(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      done(null, JSON.parse(text) as unknown);
    } catch {
      done(new InvalidRequestError('Malformed JSON body.'), undefined);
    }
  });
}

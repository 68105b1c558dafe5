import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InvalidRequestError } from '../errors.js';

export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

/**
 * The parameters of an `application/x-www-form-urlencoded` body (RFC 6749 §3.2, Appendix B). Keeps
 * every value of every name so repeated parameters can be refused (RFC 6749 §3.1); parameters sent
 * without a value count as omitted (same section). Unknown names are ignored, as §3.1 requires.
 */
export class FormParams {
  readonly #values = new Map<string, string[]>();

  constructor(text: string) {
    for (const [name, value] of new URLSearchParams(text)) {
      if (value === '') continue;
      const list = this.#values.get(name);
      if (list === undefined) this.#values.set(name, [value]);
      else list.push(value);
    }
  }

  /** The single value of `name`, or undefined. Repeated or over-long → `invalid_request`. */
  single(name: string, maxLength = 1024): string | undefined {
    const list = this.#values.get(name);
    if (list === undefined) return undefined;
    if (list.length > 1) throw new InvalidRequestError(`The parameter "${name}" must not be repeated.`);
    const value = list[0] as string;
    if (value.length > maxLength) throw new InvalidRequestError(`The parameter "${name}" is too long.`);
    return value;
  }

  /** Every value of `name` (for parameters that may repeat, like RFC 8707 `resource`). */
  all(name: string): readonly string[] {
    return this.#values.get(name) ?? [];
  }
}

/**
 * Makes `app` (an encapsulated plugin scope) accept only form-encoded bodies: the OAuth endpoints are
 * the one place where the server takes something other than JSON, because RFC 6749 says so. Any other
 * body type is refused with 415 before a handler runs.
 */
export function installFormBody(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(FORM_CONTENT_TYPE, { parseAs: 'string' }, (_request, body, done) => {
    done(null, new FormParams(typeof body === 'string' ? body : body.toString('utf8')));
  });
}

/** The request's form parameters; a request without a form body is `invalid_request`. */
export function formOf(request: FastifyRequest): FormParams {
  if (!(request.body instanceof FormParams)) {
    throw new InvalidRequestError(`Send the parameters as ${FORM_CONTENT_TYPE}.`);
  }
  return request.body;
}

/**
 * Request headers as Node gives them (`IncomingHttpHeaders`: lower-case keys) or a WHATWG `Headers`.
 */
export type HeadersLike = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

function isHeaders(h: HeadersLike): h is Headers {
  return typeof (h as Headers).get === 'function' && typeof (h as Headers).has === 'function';
}

/**
 * All values of a header. A WHATWG `Headers` joins repeats with ", " into one value; Node keeps an
 * array for some names (and joins cookies with "; "). Never throws on odd input.
 */
export function headerValues(headers: HeadersLike, name: string): string[] {
  if (isHeaders(headers)) {
    const v = headers.get(name);
    return v === null ? [] : [v];
  }
  const v = Object.hasOwn(headers, name) ? headers[name] : undefined;
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return [];
}

/** A single header value; `undefined` when absent. Repeated values are joined with ", ". */
export function headerValue(headers: HeadersLike, name: string): string | undefined {
  const values = headerValues(headers, name);
  return values.length === 0 ? undefined : values.join(', ');
}

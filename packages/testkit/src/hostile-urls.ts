import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';

/** A response read off a raw socket. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** One hostile request: a method and a request-target sent byte for byte (no client-side normalising). */
export interface HostileRequest {
  readonly name: string;
  readonly method: string;
  /** The request-target exactly as it goes on the wire (may hold `..`, bad escapes, even a NUL byte). */
  readonly target: string;
  /**
   * Only the query is odd: a route that ignores its query may answer normally (2xx/3xx). Any error
   * answer must still be a 4xx in the wire shape.
   */
  readonly queryOnly?: boolean;
}

/**
 * Sends one HTTP/1.1 request over a plain socket, so the request-target reaches the server untouched
 * (Node's `http.request` and `fetch` normalise `..`, reject NUL bytes and re-encode). Reads until the
 * whole message is in (Content-Length or the last chunk) or the server closes; decodes a chunked body.
 */
export function sendRawRequest(baseUrl: string, method: string, target: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  const lines = [`${method} ${target} HTTP/1.1`, `Host: ${hostname}:${port}`, 'Connection: close'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  const what = `${method} ${target.slice(0, 80)}`;
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = (result: RawResponse | Error): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    socket.setTimeout(10_000, () => finish(new Error(`no answer to ${what}`)));
    socket.on('data', (c: Buffer) => {
      received = Buffer.concat([received, c]);
      // Done as soon as the whole message is here: a server may keep the connection open.
      const complete = completeResponse(received);
      if (complete !== null) finish(complete);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A server that answers and then resets the connection still answered.
      if (received.length > 0 && err.code === 'ECONNRESET') return;
      finish(err);
    });
    socket.on('close', () => {
      if (received.length === 0) return finish(new Error(`connection closed without an answer to ${what}`));
      try {
        finish(parseResponse(received));
      } catch (err) {
        finish(err instanceof Error ? err : new Error(String(err)));
      }
    });
    socket.write(Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'));
  });
}

/** The parsed response if `raw` holds a whole message (by Content-Length or a final chunk), else null. */
function completeResponse(raw: Buffer): RawResponse | null {
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) return null;
  const response = parseResponse(raw);
  const length = response.headers['content-length'];
  if (length !== undefined) return raw.length - end - 4 >= Number(length) ? response : null;
  if (response.headers['transfer-encoding']?.toLowerCase() === 'chunked') return raw.includes('\r\n0\r\n\r\n', end) || raw.subarray(end + 4).toString('latin1').startsWith('0\r\n\r\n') ? response : null;
  return null;
}

function parseResponse(raw: Buffer): RawResponse {
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) throw new Error(`not an HTTP response: ${raw.toString('latin1').slice(0, 80)}`);
  const [statusLine = '', ...headerLines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.subarray(end + 4);
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') body = dechunk(body);
  return { status, headers, body: body.toString('utf8') };
}

function dechunk(data: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = data.indexOf('\r\n', at);
    if (eol === -1) break;
    const size = parseInt(data.subarray(at, eol).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out.push(data.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

/**
 * The hostile request-targets every Latchkey HTTP app must answer with a 4xx JSON error: malformed
 * percent-escapes in the path and in the query, over-long path parameters and URLs, `..` and encoded
 * dot segments, NUL bytes (escaped and raw), and control characters.
 *
 * @param routes paths the app serves, e.g. `['/auth/me']`; a route ending in `/` takes a parameter there
 *   (e.g. `'/api/cart/items/'`), and gets the over-long-parameter cases.
 */
export function hostileRequests(routes: readonly string[]): HostileRequest[] {
  const out: HostileRequest[] = [
    { name: 'bad escape at the root', method: 'GET', target: '/%ff' },
    { name: 'NUL + bad escape at the root', method: 'GET', target: '/%00%ff' },
    { name: 'escaped NUL', method: 'GET', target: '/a%00b' },
    { name: 'raw NUL byte in the path', method: 'GET', target: '/a\u0000b' },
    { name: 'raw control character in the path', method: 'GET', target: '/a\u0007b' },
    { name: '../ traversal', method: 'GET', target: '/../../etc/passwd' },
    { name: 'encoded ../ traversal', method: 'GET', target: '/%2e%2e/%2e%2e/etc/passwd' },
    { name: 'encoded slash traversal', method: 'GET', target: '/..%2f..%2fetc%2fpasswd' },
    { name: 'backslash traversal', method: 'GET', target: '/..\\..\\etc\\passwd' },
    { name: 'URL longer than the header limit', method: 'GET', target: `/${'a'.repeat(20_000)}` },
    { name: 'absolute-form target to another host', method: 'GET', target: 'http://evil.test/' },
    { name: 'asterisk-form target on GET', method: 'GET', target: '*' },
  ];
  for (const route of routes) {
    const base = route.endsWith('/') ? route.slice(0, -1) : route;
    out.push(
      { name: `${route}: bad escape in the query`, method: 'GET', target: `${base}?x=%ff`, queryOnly: true },
      { name: `${route}: truncated UTF-8 escape in the query`, method: 'GET', target: `${base}?a=%E0%A4%A`, queryOnly: true },
      { name: `${route}: lone % in the query`, method: 'GET', target: `${base}?a=%&b=%zz`, queryOnly: true },
      { name: `${route}: NUL in the query`, method: 'GET', target: `${base}?a=%00`, queryOnly: true },
      { name: `${route}: bad escape in the path`, method: 'GET', target: `${base}/%ff` },
      { name: `${route}: truncated UTF-8 escape in the path`, method: 'GET', target: `${base}/%E0%A4%A` },
      { name: `${route}: escaped NUL in the path`, method: 'GET', target: `${base}/%00` },
      { name: `${route}: ../ out of the route`, method: 'GET', target: `${base}/../../etc/passwd` },
      { name: `${route}: encoded ../ out of the route`, method: 'GET', target: `${base}/%2e%2e/%2e%2e/etc/passwd` },
      { name: `${route}: DELETE with a bad escape`, method: 'DELETE', target: `${base}/%ff` },
    );
    if (route.endsWith('/')) {
      out.push(
        { name: `${route}: 5000-character parameter`, method: 'GET', target: `${route}${'a'.repeat(5000)}` },
        { name: `${route}: DELETE with a 5000-character parameter`, method: 'DELETE', target: `${route}${'a'.repeat(5000)}` },
        { name: `${route}: parameter of escaped NULs`, method: 'DELETE', target: `${route}${'%00'.repeat(50)}` },
      );
    }
  }
  return out;
}

/** An app under the hostile-URL suite. */
export interface HostileUrlApp {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** Sent with every request, e.g. a valid `Authorization: Bearer …` so hostile input gets past authentication. */
  readonly headers?: Record<string, string>;
  close(): Promise<void>;
}

export interface HostileUrlSuiteOptions {
  /** Routes the app serves (see {@link hostileRequests}). */
  readonly routes: readonly string[];
  /**
   * Every error code the app (or what it proxies to) may send, with its status: each answer's `error`
   * must be one of these, with exactly that status — a 403 never says `bad_request`.
   */
  readonly codes: Readonly<Record<string, number>>;
}

/**
 * Sends every {@link hostileRequests} case over a raw socket and asserts a 4xx answer whose body is
 * exactly the wire error shape `{error, error_description}` with a catalogued code matching the status:
 * never a 5xx, never a framework's own error shape (`statusCode`, `FST_ERR_…`), never HTML, never a hang.
 *
 * @example
 * ```ts
 * runHostileUrlSuite('cart', async () => ({ url, close }), { routes: ['/api/cart', '/api/cart/items/'], codes: SHOP_ERROR_CODES });
 * ```
 */
export function runHostileUrlSuite(name: string, start: () => Promise<HostileUrlApp>, options: HostileUrlSuiteOptions): void {
  describe(`hostile URLs: ${name}`, () => {
    let app: HostileUrlApp;
    before(async () => {
      app = await start();
    });
    after(async () => {
      await app.close();
    });
    for (const request of hostileRequests(options.routes)) {
      const outcome = request.queryOnly === true ? 'an answer or a 4xx JSON error' : '4xx JSON {error, error_description}';
      it(`${request.method} ${request.name} → ${outcome}`, async () => {
        const res = await sendRawRequest(app.url, request.method, request.target, app.headers);
        if (request.queryOnly === true && res.status < 400) return;
        assertWireError(res, options.codes);
      });
    }
  });
}

/** The answer is a 4xx whose body is exactly `{error, error_description}` with a catalogued code for that status. */
export function assertWireError(res: RawResponse, codes: Readonly<Record<string, number>>): void {
  const shown = `${res.status} ${res.body.slice(0, 200)}`;
  assert.ok(res.status >= 400 && res.status < 500, `expected a 4xx, got ${shown}`);
  assert.match(res.headers['content-type'] ?? '', /^application\/json/, `not JSON: ${shown}`);
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch {
    assert.fail(`body is not JSON: ${shown}`);
  }
  assert.ok(typeof body === 'object' && body !== null && !Array.isArray(body), `body is not an object: ${shown}`);
  assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description'], `wire shape: ${shown}`);
  const { error, error_description: description } = body as { error: unknown; error_description: unknown };
  assert.equal(typeof error, 'string');
  assert.match(error as string, /^[a-z][a-z0-9_]*$/, `snake_case code: ${shown}`);
  assert.equal(typeof description, 'string');
  assert.ok(Object.hasOwn(codes, error as string), `"${String(error)}" is not in the catalogue: ${shown}`);
  assert.equal(codes[error as string], res.status, `code "${String(error)}" does not belong to status ${res.status}`);
  assert.doesNotMatch(res.body, /FST_ERR|statusCode|\s+at\s+\S+:\d+/, `framework details leaked: ${shown}`);
}

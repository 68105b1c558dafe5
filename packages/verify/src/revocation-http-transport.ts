import type { FetchLike } from './options.js';
import type { RevocationEntry, RevocationTransport, RevocationTransportHandlers } from './revocation-types.js';

const MAX_LINE = 64 * 1024;

/**
 * The auth server's revocation feed over server-sent events (`GET /auth/revocations/stream`), read with
 * `fetch` and a `ReadableStream` (web-platform APIs only). The cursor travels as `Last-Event-ID`.
 */
export function httpRevocationTransport(options: { url: string | URL; token?: string; fetch?: FetchLike }): RevocationTransport {
  const url = new URL(options.url instanceof URL ? options.url.href : options.url).href;
  const doFetch: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  return {
    name: 'sse',
    async connect(cursor, handlers, signal) {
      const headers: Record<string, string> = { accept: 'text/event-stream', 'cache-control': 'no-store' };
      if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
      if (cursor !== undefined) headers['last-event-id'] = cursor;
      const res = await doFetch(url, { headers, signal, redirect: 'error' });
      const type = res.headers.get('content-type') ?? '';
      if (!res.ok || !type.startsWith('text/event-stream') || res.body === null) {
        await res.body?.cancel().catch(() => {});
        throw new Error(`the revocation feed answered HTTP ${res.status}${res.ok ? ` (${type || 'no content type'})` : ''}`);
      }
      await readEvents(res.body, handlers, signal);
    },
  };
}

/** Minimal SSE parser (WHATWG HTML §9.2.6): `event`, `data`, `id` fields; comments and `retry` ignored. */
async function readEvents(body: ReadableStream<Uint8Array>, handlers: RevocationTransportHandlers, signal: AbortSignal): Promise<void> {
  const reader = body.getReader();
  const onAbort = (): void => void reader.cancel().catch(() => {});
  signal.addEventListener('abort', onAbort, { once: true });
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let lastId: string | undefined;
  const dispatch = (): void => {
    const name = event === '' ? 'message' : event;
    const payload = data.join('\n');
    event = '';
    data = [];
    if (name === 'revoked') {
      const entry = parseEntry(payload);
      if (entry !== null) handlers.revoked([entry], lastId);
    } else if (name === 'ready') {
      const cursor = parseCursor(payload);
      handlers.ready(cursor ?? lastId);
    }
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      handlers.alive();
      buffer += decoder.decode(value, { stream: true });
      let idx: number;
      while ((idx = buffer.search(/\r\n|\r|\n/)) !== -1) {
        // A lone trailing \r may be the first half of \r\n: wait for more input.
        if (buffer[idx] === '\r' && idx === buffer.length - 1) break;
        const line = buffer.slice(0, idx);
        buffer = buffer.slice(idx + (buffer.startsWith('\r\n', idx) ? 2 : 1));
        if (line === '') {
          dispatch();
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        let value = colon === -1 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
        else if (field === 'id' && !value.includes('\0')) lastId = value;
      }
      if (buffer.length > MAX_LINE) throw new Error('the revocation feed sent an over-long line');
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    try {
      reader.releaseLock();
    } catch {
      // already released by cancel()
    }
  }
}

function parseEntry(payload: string): RevocationEntry | null {
  let v: unknown;
  try {
    v = JSON.parse(payload);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  const exp = o['exp'];
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return null;
  const sid = typeof o['sid'] === 'string' && o['sid'].length > 0 && o['sid'].length <= 256 ? o['sid'] : undefined;
  const jti = typeof o['jti'] === 'string' && o['jti'].length > 0 && o['jti'].length <= 256 ? o['jti'] : undefined;
  if (sid === undefined && jti === undefined) return null;
  return { ...(sid === undefined ? {} : { sid }), ...(jti === undefined ? {} : { jti }), exp };
}

function parseCursor(payload: string): string | undefined {
  try {
    const v = JSON.parse(payload) as { cursor?: unknown };
    return typeof v.cursor === 'string' && v.cursor.length <= 64 ? v.cursor : undefined;
  } catch {
    return undefined;
  }
}

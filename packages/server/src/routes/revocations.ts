import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { AppContext } from '../context.js';
import { InvalidRequestError, InvalidTokenError, MissingCredentialsError } from '../errors.js';
import { safeEqual } from '../tokens/crypto.js';

/** Keep-alive comment interval: lets followers tell a silent feed from a dead connection. */
export const FEED_KEEPALIVE_MS = 15_000;
const BATCH = 500;

/**
 * `GET /auth/revocations/stream` — the revocation feed as server-sent events, for resource services
 * (not browsers: the shop gateway does not route it). Each revoked session is one event:
 *
 *     id: <seq>
 *     event: revoked
 *     data: {"sid":"<session id>","exp":<latest access-token exp, epoch s>}
 *
 * On connect the stream first replays every entry after the cursor (`Last-Event-ID` header or
 * `?since=`; none = every entry whose tokens may still be live), then sends `event: ready` with
 * `data: {"cursor":"<seq>"}`, then new entries as they are published, and a `: keep-alive` comment
 * every 15 s. With `revocationFeedToken` set the request needs `Authorization: Bearer <token>`.
 */
export function revocationRoutes(app: FastifyInstance, ctx: AppContext): void {
  const open = new Set<() => void>();
  // Long-lived streams would keep `app.close()` waiting: end them first.
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

  app.get('/auth/revocations/stream', async (request, reply) => {
    authorizeFeed(request, ctx.config.revocationFeedToken);
    const requested = readCursor(request);
    const latest = await ctx.revocations.latestSeq();
    // A cursor from the future (the store was reset) cannot be trusted: replay everything live.
    let cursor = requested !== undefined && requested <= latest ? requested : 0;

    reply.hijack();
    const raw: ServerResponse = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    raw.write('retry: 1000\n\n');

    let closed = false;
    let pumping = false;
    let again = false;
    const pump = async (): Promise<void> => {
      if (pumping) {
        again = true;
        return;
      }
      pumping = true;
      try {
        do {
          again = false;
          for (;;) {
            const rows = await ctx.revocations.since(cursor, Math.floor(ctx.now() / 1000), BATCH);
            if (closed) return;
            let chunk = '';
            for (const r of rows) {
              chunk += `id: ${r.seq}\nevent: revoked\ndata: ${JSON.stringify({ sid: r.sid, exp: r.exp })}\n\n`;
              cursor = r.seq;
            }
            if (chunk !== '') raw.write(chunk);
            if (rows.length < BATCH) break;
          }
        } while (again && !closed);
      } catch (err) {
        request.log.error({ err }, 'revocation feed: reading the log failed');
        end();
      } finally {
        pumping = false;
      }
    };
    const keepAlive = setInterval(() => raw.write(': keep-alive\n\n'), FEED_KEEPALIVE_MS);
    keepAlive.unref();
    let unsubscribe = (): void => {};
    const end = (): void => {
      if (closed) return;
      closed = true;
      clearInterval(keepAlive);
      unsubscribe();
      open.delete(end);
      raw.end();
    };
    open.add(end);
    raw.on('close', end);

    await pump();
    if (closed) return;
    cursor = Math.max(cursor, latest);
    raw.write(`event: ready\ndata: ${JSON.stringify({ cursor: String(cursor) })}\n\n`);
    unsubscribe = ctx.revocations.subscribe(() => void pump());
    // Entries published between the snapshot and subscribing are picked up by this extra pass.
    await pump();
  });
}

function authorizeFeed(request: FastifyRequest, token: string | null): void {
  if (token === null) return;
  const header = request.headers.authorization;
  if (header === undefined) throw new MissingCredentialsError('The revocation feed requires its bearer token.');
  const m = /^Bearer ([\x21-\x7e]{1,512})$/.exec(header);
  if (m === null || m[1] === undefined || !safeEqual(m[1], token)) throw new InvalidTokenError('The revocation feed token is not valid.');
}

function readCursor(request: FastifyRequest): number | undefined {
  const fromHeader = request.headers['last-event-id'];
  const query = request.query as Record<string, unknown>;
  const raw = typeof fromHeader === 'string' && fromHeader !== '' ? fromHeader : query['since'];
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw)) throw new InvalidRequestError('The feed cursor must be a non-negative integer.');
  return Number(raw);
}

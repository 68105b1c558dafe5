import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createTestIssuer, type TestIssuer } from '@latchkey/testkit';
import {
  ConfigError,
  createVerifier,
  httpRevocationTransport,
  RevocationFeedUnavailableError,
  TokenRevokedError,
  type RevocationLogEvent,
  type RevocationTransport,
  type RevocationTransportHandlers,
  type Verifier,
} from '../src/index.js';

interface FakeConnection {
  cursor: string | undefined;
  handlers: RevocationTransportHandlers;
  signal: AbortSignal;
  /** Ends the connection: with an error = failure, without = closed by the server. */
  end(err?: Error): void;
}

/** A transport the test drives by hand: every connect() shows up in `next()`. */
function fakeTransport() {
  const pending: FakeConnection[] = [];
  const waiting: Array<(c: FakeConnection) => void> = [];
  const transport: RevocationTransport = {
    name: 'fake',
    connect(cursor, handlers, signal) {
      return new Promise<void>((resolve, reject) => {
        const conn: FakeConnection = { cursor, handlers, signal, end: (err) => (err ? reject(err) : resolve()) };
        signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
        const w = waiting.shift();
        if (w) w(conn);
        else pending.push(conn);
      });
    },
  };
  return {
    transport,
    next: (): Promise<FakeConnection> => {
      const c = pending.shift();
      return c ? Promise.resolve(c) : new Promise((r) => waiting.push(r));
    },
  };
}

/** Resolves on the next log event of `type`. */
function logWatcher() {
  const seen: RevocationLogEvent[] = [];
  const waiters: Array<{ type: string; resolve: (e: RevocationLogEvent) => void }> = [];
  return {
    seen,
    log: (e: RevocationLogEvent) => {
      seen.push(e);
      for (const w of [...waiters]) {
        if (w.type === e.type) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(e);
        }
      }
    },
    next: (type: RevocationLogEvent['type']) => new Promise<RevocationLogEvent>((resolve) => waiters.push({ type, resolve })),
  };
}

describe('revocation feed follower (fake transport)', () => {
  let issuer: TestIssuer;
  const verifiers: Verifier[] = [];
  before(async () => {
    issuer = await createTestIssuer();
  });
  after(async () => {
    for (const v of verifiers) await v.close();
  });

  function make(revocation: Record<string, unknown>, now?: () => number): Verifier {
    const v = createVerifier({
      issuer: issuer.issuer,
      audience: issuer.audience,
      jwks: issuer.jwks,
      ...(now === undefined ? {} : { now }),
      revocation: { reconnectMinMs: 10, reconnectMaxMs: 20, ...revocation },
    });
    verifiers.push(v);
    return v;
  }

  it("refuses a revoked session's tokens with token_revoked, accepts other sessions, and forgets entries after exp", async () => {
    let t = Date.now();
    const fake = fakeTransport();
    const logs = logWatcher();
    const v = make({ transport: fake.transport, log: logs.log }, () => t);
    const conn = await fake.next();
    assert.equal(conn.cursor, undefined);
    conn.handlers.ready('0');
    await v.revocation!.connected();
    assert.equal(v.revocation!.status().state, 'connected');
    const exp = Math.floor(t / 1000) + 600;
    const revoked = await issuer.mint({ sid: 'gone', exp, iat: exp - 600 });
    const other = await issuer.mint({ sid: 'alive' });
    assert.equal((await v.verifyAccessToken(revoked)).sid, 'gone');
    conn.handlers.revoked([{ sid: 'gone', exp }], '7');
    await assert.rejects(v.verifyAccessToken(revoked), TokenRevokedError);
    await assert.rejects(v.authenticate({ method: 'GET', headers: { authorization: `Bearer ${revoked}` } }), (err: unknown) => err instanceof TokenRevokedError && err.status === 401);
    assert.equal((await v.verifyAccessToken(other)).sid, 'alive');
    assert.equal(v.revocation!.status().entries, 1);
    assert.equal(v.revocation!.status().cursor, '7');
    assert.deepEqual(logs.seen.map((e) => e.type), ['connected', 'revoked']);
    // Past exp + skew the entry is dropped (the token itself would be expired by then anyway).
    t = (exp + 31) * 1000;
    const fresh = await issuer.mint({ sid: 'gone', iat: exp + 31, exp: exp + 331 });
    assert.equal((await v.verifyAccessToken(fresh)).sid, 'gone');
  });

  it('jti entries revoke single tokens', async () => {
    const fake = fakeTransport();
    const v = make({ transport: fake.transport });
    (await fake.next()).handlers.revoked([{ jti: 'one-token', exp: Math.floor(Date.now() / 1000) + 60 }], undefined);
    await assert.rejects(v.verifyAccessToken(await issuer.mint({ jti: 'one-token' })), TokenRevokedError);
    await v.verifyAccessToken(await issuer.mint({ jti: 'another' }));
  });

  it('reconnects with backoff after a loss, resuming from the last cursor; status and log say so', async () => {
    const fake = fakeTransport();
    const logs = logWatcher();
    const v = make({ transport: fake.transport, log: logs.log });
    const first = await fake.next();
    first.handlers.ready('3');
    first.handlers.revoked([{ sid: 's', exp: Math.floor(Date.now() / 1000) + 60 }], '4');
    const lost = logs.next('lost');
    first.end(new Error('socket hang up'));
    const event = await lost;
    assert.equal(event.type === 'lost' && event.error, 'socket hang up');
    assert.ok(event.type === 'lost' && event.retryInMs >= 5 && event.retryInMs <= 20);
    assert.equal(v.revocation!.status().state, 'lost');
    assert.equal(v.revocation!.status().lastError, 'socket hang up');
    const second = await fake.next();
    assert.equal(second.cursor, '4', 'resumes after the last entry seen');
    // A server closing the stream cleanly is a loss too.
    second.end();
    const third = await fake.next();
    third.handlers.ready('4');
    await v.revocation!.connected();
    assert.equal(v.revocation!.status().failedAttempts, 0);
    // What was learnt before the loss is kept.
    await assert.rejects(v.verifyAccessToken(await issuer.mint({ sid: 's' })), TokenRevokedError);
  });

  it("failurePolicy 'closed': after failClosedAfterMs without the feed, requests get 503 revocation_feed_unavailable (after the signature check); back when it reconnects", async () => {
    let t = Date.now();
    const fake = fakeTransport();
    const logs = logWatcher();
    const v = make({ transport: fake.transport, failurePolicy: 'closed', failClosedAfterMs: 2000, log: logs.log }, () => t);
    const token = await issuer.mint({ sid: 'x' });
    // Not connected yet, but inside the grace: accepted.
    await v.verifyAccessToken(token);
    t += 2000;
    await assert.rejects(v.verifyAccessToken(token), (err: unknown) => err instanceof RevocationFeedUnavailableError && err.status === 503 && err.code === 'revocation_feed_unavailable');
    assert.equal(v.revocation!.status().refusing, true);
    // A forged token is still a 401, not a 503.
    await assert.rejects(v.verifyAccessToken(`${token.slice(0, -4)}AAAA`), (err: unknown) => (err as { status?: number }).status === 401);
    const conn = await fake.next();
    conn.handlers.ready('0');
    await v.verifyAccessToken(token);
    const lost = logs.next('lost');
    conn.end(new Error('gone'));
    await lost;
    await v.verifyAccessToken(token); // lost, but within the grace
    t += 2001;
    await assert.rejects(v.verifyAccessToken(token), RevocationFeedUnavailableError);
  });

  it("failurePolicy 'open' (default): a lost feed never refuses", async () => {
    let t = Date.now();
    const fake = fakeTransport();
    const v = make({ transport: fake.transport, failClosedAfterMs: 0 }, () => t);
    t += 3_600_000;
    await v.verifyAccessToken(await issuer.mint({ sid: 'x', iat: Math.floor(t / 1000), exp: Math.floor(t / 1000) + 60 }));
    assert.equal(v.revocation!.status().refusing, false);
    assert.equal(v.revocation!.status().failurePolicy, 'open');
  });

  it('a connection without traffic for idleTimeoutMs is dropped and reopened', async () => {
    const fake = fakeTransport();
    const logs = logWatcher();
    make({ transport: fake.transport, idleTimeoutMs: 1000, log: logs.log });
    const conn = await fake.next();
    conn.handlers.ready('1');
    const lost = await logs.next('lost');
    assert.match(lost.type === 'lost' ? lost.error : '', /no traffic/);
    assert.equal(conn.signal.aborted, true);
    assert.equal((await fake.next()).cursor, '1');
  });

  it('close() stops the follower and ends the open connection', async () => {
    const fake = fakeTransport();
    const v = make({ transport: fake.transport });
    const conn = await fake.next();
    await v.close();
    assert.equal(conn.signal.aborted, true);
    assert.equal(v.revocation!.status().state, 'closed');
    await v.close();
  });

  it('bad revocation options fail fast naming the option', () => {
    const base = { issuer: 'https://i.example', audience: 'a', jwks: { keys: [] } };
    const cases: [Record<string, unknown>, string][] = [
      [{}, 'revocation.url'],
      [{ url: 'https://a.example/f', transport: fakeTransport().transport }, 'revocation.url'],
      [{ url: 'ftp://a.example/f' }, 'revocation.url'],
      [{ url: 'https://a.example/f', failurePolicy: 'maybe' }, 'revocation.failurePolicy'],
      [{ url: 'https://a.example/f', failClosedAfterMs: -1 }, 'revocation.failClosedAfterMs'],
      [{ url: 'https://a.example/f', token: 'has space' }, 'revocation.token'],
      [{ url: 'https://a.example/f', nope: 1 }, 'revocation.nope'],
      [{ transport: { name: 'x' } }, 'revocation.transport'],
    ];
    for (const [revocation, option] of cases) {
      assert.throws(() => createVerifier({ ...base, revocation } as never), (err: unknown) => err instanceof ConfigError && err.message.includes(`"${option}"`), option);
    }
  });
});

describe('httpRevocationTransport (server-sent events over fetch)', () => {
  let server: Server;
  let url = '';
  let onRequest: (headers: Record<string, string | string[] | undefined>, res: ServerResponse) => void = () => {};
  before(async () => {
    server = createServer((req, res) => onRequest(req.headers, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/auth/revocations/stream`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('parses events split across chunks and line endings, sends the token and Last-Event-ID, ignores junk', async () => {
    let seenHeaders: Record<string, string | string[] | undefined> = {};
    onRequest = (headers, res) => {
      seenHeaders = headers;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('retry: 1000\n\n: keep-alive\n\nid: 5\r\nevent: revoked\r\ndata: {"sid":"a",');
      setImmediate(() => {
        res.write('"exp":100}\r\n\r\nevent: revoked\ndata: not json\n\nevent: revoked\ndata: {"exp":1}\n\n');
        res.write('id: 6\nevent: revoked\ndata: {"sid":"b","exp":200}\n\nevent: ready\ndata: {"cursor":"6"}\n\n');
        res.end();
      });
    };
    const revoked: Array<[string | undefined, number, string | undefined]> = [];
    let ready: string | undefined;
    let alive = 0;
    await httpRevocationTransport({ url, token: 'feed-secret' }).connect(
      '4',
      { revoked: (es, c) => es.forEach((e) => revoked.push([e.sid, e.exp, c])), ready: (c) => (ready = c), alive: () => void (alive += 1) },
      new AbortController().signal,
    );
    assert.deepEqual(revoked, [['a', 100, '5'], ['b', 200, '6']]);
    assert.equal(ready, '6');
    assert.ok(alive >= 1);
    assert.equal(seenHeaders['authorization'], 'Bearer feed-secret');
    assert.equal(seenHeaders['last-event-id'], '4');
    assert.equal(seenHeaders['accept'], 'text/event-stream');
  });

  it('a non-2xx or non-SSE answer rejects with the status (never the token)', async () => {
    onRequest = (_h, res) => void res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_token"}');
    const handlers = { revoked: () => {}, ready: () => {}, alive: () => {} };
    await assert.rejects(httpRevocationTransport({ url, token: 'feed-secret' }).connect(undefined, handlers, new AbortController().signal), (err: Error) => /HTTP 401/.test(err.message) && !err.message.includes('feed-secret'));
    onRequest = (_h, res) => void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>');
    await assert.rejects(httpRevocationTransport({ url }).connect(undefined, handlers, new AbortController().signal), /HTTP 200/);
  });

  it('aborting the signal ends an open stream', async () => {
    onRequest = (_h, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': hello\n\n');
    };
    const ctl = new AbortController();
    const done = httpRevocationTransport({ url }).connect(undefined, { revoked: () => {}, ready: () => {}, alive: () => ctl.abort() }, ctl.signal);
    await done.catch(() => {});
    assert.equal(ctl.signal.aborted, true);
  });
});

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { decodeJwt } from 'jose';
import { createVerifier, TokenRevokedError, type RevocationLogEvent, type Verifier } from '@latchkey/verify';
import { fromCookieResponse, JSON_HEADERS, loginCookie, makeServer, PASSWORD, refreshRequest, signup, type TestServer } from './helpers.js';

const FEED_TOKEN = 'feed-token-'.padEnd(43, 'x');

/** Resolves when the verifier's feed has delivered a revocation for `sid`. */
function revokedWatcher() {
  const waiters: Array<() => void> = [];
  return {
    log: (e: RevocationLogEvent) => {
      if (e.type === 'revoked') for (const w of waiters.splice(0)) w();
    },
    /** Waits until `check()` refuses the token (each delivery re-checks). */
    async until(verifier: Verifier, token: string): Promise<void> {
      for (;;) {
        const delivered = new Promise<void>((r) => waiters.push(r));
        try {
          await verifier.verifyAccessToken(token);
        } catch (err) {
          if (err instanceof TokenRevokedError) return;
          throw err;
        }
        await delivered;
      }
    },
  };
}

/** Reads an SSE response until `event: ready`, returning the revoked sids seen and the ready cursor. */
async function readUntilReady(res: Response): Promise<{ sids: string[]; ids: string[]; cursor: string }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error('stream ended before ready');
    text += decoder.decode(value, { stream: true });
    const m = /event: ready\ndata: (\{[^\n]*\})\n\n/.exec(text);
    if (m) {
      await reader.cancel();
      const sids = [...text.matchAll(/event: revoked\ndata: (\{[^\n]*\})/g)].map((x) => (JSON.parse(x[1]!) as { sid: string }).sid);
      const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((x) => x[1]!);
      return { sids, ids, cursor: (JSON.parse(m[1]!) as { cursor: string }).cursor };
    }
  }
}

describe('revocation feed over real HTTP (server → @latchkey/verify)', () => {
  let s: TestServer;
  let base = '';
  let feedUrl = '';
  let verifier: Verifier;
  const watcher = revokedWatcher();

  before(async () => {
    // Short poll so entries written by "another process" (straight into the store) arrive quickly.
    s = await makeServer({ revocationFeedToken: FEED_TOKEN }, undefined, { revocationPollMs: 50 });
    await s.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(s.app.server.address() as AddressInfo).port}`;
    feedUrl = `${base}/auth/revocations/stream`;
    await signup(s.app);
    verifier = createVerifier({
      issuer: 'http://localhost:8080',
      audience: 'shop-api',
      jwksUri: `${base}/.well-known/jwks.json`,
      revocation: { url: feedUrl, token: FEED_TOKEN, log: watcher.log },
    });
    await verifier.revocation!.connected();
  });
  after(async () => {
    await verifier.close();
    await s.close();
  });

  async function tokenLogin(): Promise<{ at: string; rt: string }> {
    const res = await s.app.inject({ method: 'POST', url: '/auth/login', headers: JSON_HEADERS, payload: { email: 'alice@example.com', password: PASSWORD, mode: 'token' } });
    const body = res.json<{ access_token: string; refresh_token: string }>();
    return { at: body.access_token, rt: body.refresh_token };
  }

  it('the feed needs its bearer token; a malformed cursor is 400', async () => {
    const none = await fetch(feedUrl);
    assert.equal(none.status, 401);
    assert.equal(((await none.json()) as { error: string }).error, 'missing_credentials');
    const wrong = await fetch(feedUrl, { headers: { authorization: `Bearer ${'y'.repeat(43)}` } });
    assert.equal(wrong.status, 401);
    assert.equal(((await wrong.json()) as { error: string }).error, 'invalid_token');
    const bad = await fetch(`${feedUrl}?since=-1`, { headers: { authorization: `Bearer ${FEED_TOKEN}` } });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: string }).error, 'invalid_request');
  });

  it('logout (token mode) → the still-unexpired access token is refused with token_revoked once the event arrives', async () => {
    const { at, rt } = await tokenLogin();
    assert.equal((await verifier.verifyAccessToken(at)).sub.length > 0, true);
    const res = await s.app.inject({ method: 'POST', url: '/auth/logout', headers: JSON_HEADERS, payload: { refresh_token: rt } });
    assert.equal(res.statusCode, 204);
    await watcher.until(verifier, at);
  });

  it('cookie logout, refresh-token theft and a disabled user are published too', async () => {
    const cookie = await loginCookie(s.app);
    await s.app.inject({ method: 'POST', url: '/auth/logout', headers: { cookie: `__Secure-lk_rt=${cookie.rt}`, 'x-csrf-token': cookie.csrf } });
    await watcher.until(verifier, cookie.at);

    // Theft: a token two rotations old is replayed → reuse → the session is revoked and published.
    const third = await loginCookie(s.app);
    const a = fromCookieResponse(await s.app.inject(refreshRequest(third)));
    fromCookieResponse(await s.app.inject(refreshRequest(a)));
    const replay = await s.app.inject(refreshRequest({ rt: third.rt }));
    assert.equal(replay.json<{ error: string }>().error, 'refresh_token_reused');
    await watcher.until(verifier, third.at);

    // A user disabled by the CLI in another process: the store is written directly, the server's poll finds it.
    const { revokeAllInStore } = await import('../src/auth/revoke.js');
    const disabled = await tokenLogin();
    const user = (await s.store.users.findByEmail('alice@example.com'))!;
    const ids = await revokeAllInStore(s.store, user.id, 'user_disabled', Date.now(), 600);
    assert.ok(ids.includes(String(decodeJwt(disabled.at).sid)));
    await watcher.until(verifier, disabled.at);
  });

  it('a reconnecting follower sends Last-Event-ID and gets only newer entries; without a cursor it gets every live one', async () => {
    const headers = { authorization: `Bearer ${FEED_TOKEN}` };
    const all = await readUntilReady(await fetch(feedUrl, { headers }));
    assert.ok(all.sids.length >= 3);
    const last = all.ids.at(-1)!;
    const { at, rt } = await tokenLogin();
    await s.app.inject({ method: 'POST', url: '/auth/logout', headers: JSON_HEADERS, payload: { refresh_token: rt } });
    const newer = await readUntilReady(await fetch(feedUrl, { headers: { ...headers, 'last-event-id': last } }));
    assert.deepEqual(newer.sids, [String(decodeJwt(at).sid)]);
    // A cursor from the future (store reset) is not trusted: everything live is replayed.
    const future = await readUntilReady(await fetch(`${feedUrl}?since=999999999`, { headers }));
    assert.equal(future.sids.length, all.sids.length + 1);
  });
});

describe('revocation feed loss over real HTTP: fail open vs fail closed', () => {
  it("when the auth server goes away, a 'closed' verifier answers 503 revocation_feed_unavailable and an 'open' one keeps accepting", async () => {
    const s = await makeServer({ revocationFeedToken: FEED_TOKEN });
    await s.app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(s.app.server.address() as AddressInfo).port}`;
    await signup(s.app);
    const res = await s.app.inject({ method: 'POST', url: '/auth/login', headers: JSON_HEADERS, payload: { email: 'alice@example.com', password: PASSWORD, mode: 'token' } });
    const at = res.json<{ access_token: string }>().access_token;
    const jwks = (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as { keys: [] };
    const lostEvents: Array<Promise<void>> = [];
    const make = (failurePolicy: 'open' | 'closed') => {
      let signal!: () => void;
      lostEvents.push(new Promise<void>((r) => (signal = r)));
      return createVerifier({
        issuer: 'http://localhost:8080',
        audience: 'shop-api',
        jwks,
        revocation: { url: `${base}/auth/revocations/stream`, token: FEED_TOKEN, failurePolicy, failClosedAfterMs: 0, reconnectMinMs: 50, log: (e) => e.type === 'lost' && signal() },
      });
    };
    const closed = make('closed');
    const open = make('open');
    try {
      await Promise.all([closed.revocation!.connected(), open.revocation!.connected()]);
      await closed.verifyAccessToken(at);
      await s.close();
      await Promise.all(lostEvents);
      await assert.rejects(closed.verifyAccessToken(at), (err: unknown) => (err as { code?: string }).code === 'revocation_feed_unavailable' && (err as { status?: number }).status === 503);
      assert.equal(closed.revocation!.status().state, 'lost');
      assert.equal(closed.revocation!.status().refusing, true);
      await open.verifyAccessToken(at);
      assert.equal(open.revocation!.status().refusing, false);
    } finally {
      await closed.close();
      await open.close();
    }
  });
});

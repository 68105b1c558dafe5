import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { assertJsonError, cookieValue, fromCookieResponse, JSON_HEADERS, loginCookie, makeServer, PASSWORD, refreshRequest, setCookies, signup, type TestServer } from '../helpers.js';

/** A clock the test moves by hand (epoch ms). */
function manualClock(start = Date.now()) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('security: refresh-token reuse revokes the session (outside the grace window)', () => {
  const clock = manualClock();
  let s: TestServer;
  before(async () => {
    s = await makeServer({ refreshGraceSeconds: 10 }, clock.now);
    await signup(s.app);
  });
  after(async () => s.close());

  it('replaying a rotated refresh token after the window → 401 refresh_token_reused, cookies cleared, session revoked for everyone, event recorded', async () => {
    const first = await loginCookie(s.app);
    const second = fromCookieResponse(await s.app.inject(refreshRequest(first)));
    clock.advance(10_001);
    // The thief replays the old token (the CSRF check is skipped for a stale secret: nothing is issued).
    const replay = await s.app.inject(refreshRequest({ rt: first.rt }));
    assertJsonError(replay, 401, 'refresh_token_reused');
    assert.equal(setCookies(replay).length, 2);
    assert.ok(setCookies(replay).every((c) => c.includes('Max-Age=0')));
    const sid = String(decodeJwt(first.at).sid);
    const stored = await s.store.sessions.get(sid);
    assert.equal(stored?.revokeReason, 'refresh_reuse_detected');
    // The legitimate holder's next refresh is refused too, and its access token no longer works here.
    assertJsonError(await s.app.inject(refreshRequest(second)), 401, 'invalid_refresh_token');
    assertJsonError(await s.app.inject({ method: 'GET', url: '/auth/me', headers: { cookie: `__Host-lk_at=${second.at}` } }), 401, 'invalid_token');
    const events = await s.store.securityEvents.list({ sessionId: sid });
    assert.deepEqual(events.map((e) => e.type), ['refresh_reuse_detected']);
    // …and the revocation is on the feed's log with the latest exp of the session's access tokens.
    const feed = await s.store.revocations.since(0, 0, 100);
    const entry = feed.find((r) => r.sid === sid);
    assert.equal(entry?.reason, 'refresh_reuse_detected');
    assert.equal(entry?.exp, Math.ceil(clock.now() / 1000) + 600);
  });

  it('a token two rotations old is reuse even inside the window', async () => {
    const first = await loginCookie(s.app);
    const second = fromCookieResponse(await s.app.inject(refreshRequest(first)));
    fromCookieResponse(await s.app.inject(refreshRequest(second)));
    assertJsonError(await s.app.inject(refreshRequest({ rt: first.rt })), 401, 'refresh_token_reused');
  });

  it('malformed, unknown and missing refresh tokens → 401 invalid_refresh_token', async () => {
    for (const rt of ['', 'garbage', 'a.b', `${'A'.repeat(22)}.${'B'.repeat(43)}`, '%zz']) {
      const res = await s.app.inject({ method: 'POST', url: '/auth/refresh', headers: { cookie: `__Secure-lk_rt=${rt}`, 'x-csrf-token': 'x' } });
      assertJsonError(res, 401, 'invalid_refresh_token');
    }
    assertJsonError(await s.app.inject({ method: 'POST', url: '/auth/refresh' }), 401, 'invalid_refresh_token');
  });

  it('a token-mode refresh token is not accepted as a cookie, nor a cookie one in the body', async () => {
    const tokenLogin = await s.app.inject({ method: 'POST', url: '/auth/login', headers: JSON_HEADERS, payload: { email: 'alice@example.com', password: PASSWORD, mode: 'token' } });
    const native = tokenLogin.json().refresh_token as string;
    assertJsonError(await s.app.inject(refreshRequest({ rt: native, csrf: 'x' })), 401, 'invalid_refresh_token');
    const web = await loginCookie(s.app);
    const res = await s.app.inject({ method: 'POST', url: '/auth/refresh', headers: JSON_HEADERS, payload: { refresh_token: web.rt } });
    assertJsonError(res, 401, 'invalid_refresh_token');
  });
});

describe('security: concurrent refreshes inside the grace window get one successor', () => {
  const clock = manualClock();
  let s: TestServer;
  before(async () => {
    s = await makeServer({ refreshGraceSeconds: 10 }, clock.now);
    await signup(s.app);
  });
  after(async () => s.close());

  it('twenty parallel refreshes with one token → all 200, exactly one successor refresh token and CSRF token, session alive', async () => {
    const first = await loginCookie(s.app);
    const results = await Promise.all(Array.from({ length: 20 }, () => s.app.inject(refreshRequest(first))));
    assert.deepEqual(results.map((r) => r.statusCode), Array(20).fill(200));
    const successors = new Set(results.map((r) => cookieValue(r, '__Secure-lk_rt')));
    const csrfs = new Set(results.map((r) => r.headers['x-csrf-token']));
    assert.equal(successors.size, 1, 'one successor refresh token');
    assert.equal(csrfs.size, 1, 'one successor CSRF token');
    assert.notEqual([...successors][0], first.rt);
    const sid = String(decodeJwt(first.at).sid);
    const stored = await s.store.sessions.get(sid);
    assert.equal(stored?.revokedAt, null);
    // Every access token handed out carries the one CSRF token, and the successor keeps working.
    for (const r of results) assert.equal(decodeJwt(fromCookieResponse(r).at).csrf, [...csrfs][0]);
    const next = fromCookieResponse(results[0]!);
    clock.advance(60_000);
    const after = await s.app.inject(refreshRequest(next));
    assert.equal(after.statusCode, 200);
    assert.equal((await s.store.securityEvents.list({ sessionId: sid })).length, 0);
  });

  it('the second tab may still send the previous CSRF token inside the window (it read it before the first refresh landed)', async () => {
    const first = await loginCookie(s.app);
    const a = fromCookieResponse(await s.app.inject(refreshRequest(first)));
    clock.advance(3_000);
    // Tab B: the new cookie already arrived, the old CSRF value was read earlier.
    const b = await s.app.inject(refreshRequest({ rt: a.rt, csrf: first.csrf }));
    assert.equal(b.statusCode, 200);
  });

  it('inside the window the CSRF header is still required: a replayed cookie without it gets 403 and changes nothing', async () => {
    const first = await loginCookie(s.app);
    const a = fromCookieResponse(await s.app.inject(refreshRequest(first)));
    assertJsonError(await s.app.inject(refreshRequest({ rt: first.rt })), 403, 'csrf_token_missing');
    assertJsonError(await s.app.inject(refreshRequest({ rt: first.rt, csrf: 'forged' })), 403, 'csrf_token_mismatch');
    assert.equal((await s.app.inject(refreshRequest(a))).statusCode, 200);
  });

  it('token mode: parallel refreshes with one refresh token all answer the same new refresh token', async () => {
    const login = await s.app.inject({ method: 'POST', url: '/auth/login', headers: JSON_HEADERS, payload: { email: 'alice@example.com', password: PASSWORD, mode: 'token' } });
    const rt = login.json<{ refresh_token: string }>().refresh_token;
    const results = await Promise.all(
      Array.from({ length: 10 }, () => s.app.inject({ method: 'POST', url: '/auth/refresh', headers: JSON_HEADERS, payload: { refresh_token: rt } })),
    );
    assert.deepEqual(results.map((r) => r.statusCode), Array(10).fill(200));
    assert.equal(new Set(results.map((r) => r.json<{ refresh_token: string }>().refresh_token)).size, 1);
  });
});

describe('security: refreshGraceSeconds 0 is strict rotation', () => {
  let s: TestServer;
  before(async () => {
    s = await makeServer({ refreshGraceSeconds: 0 });
    await signup(s.app);
  });
  after(async () => s.close());

  it('twenty concurrent refreshes with one token mint exactly one successor and the session is revoked', async () => {
    const first = await loginCookie(s.app);
    const results = await Promise.all(Array.from({ length: 20 }, () => s.app.inject(refreshRequest(first))));
    assert.equal(results.filter((r) => r.statusCode === 200).length, 1);
    assert.ok(results.every((r) => r.statusCode === 200 || r.statusCode === 401), results.map((r) => r.statusCode).join());
    assert.equal((await s.store.sessions.get(String(decodeJwt(first.at).sid)))?.revokeReason, 'refresh_reuse_detected');
  });
});

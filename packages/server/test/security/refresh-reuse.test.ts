import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { assertJsonError, fromCookieResponse, loginCookie, makeServer, refreshRequest, setCookies, signup, type TestServer } from '../helpers.js';

describe('security: refresh-token reuse revokes the session', () => {
  let s: TestServer;
  before(async () => {
    s = await makeServer();
    await signup(s.app);
  });
  after(async () => s.close());

  it('replaying a rotated refresh token → 401 refresh_token_reused, cookies cleared, session revoked, successor dead', async () => {
    const first = await loginCookie(s.app);
    const second = fromCookieResponse(await s.app.inject(refreshRequest(first)));
    // The thief replays the old token (the CSRF check is skipped for a stale secret: nothing is issued).
    const replay = await s.app.inject(refreshRequest({ rt: first.rt }));
    assertJsonError(replay, 401, 'refresh_token_reused');
    assert.equal(setCookies(replay).length, 2);
    assert.ok(setCookies(replay).every((c) => c.includes('Max-Age=0')));
    const sid = String(decodeJwt(first.at).sid);
    const stored = await s.store.sessions.get(sid);
    assert.equal(stored?.revokeReason, 'refresh_reuse_detected');
    assertJsonError(await s.app.inject(refreshRequest(second)), 401, 'invalid_refresh_token');
    assertJsonError(await s.app.inject({ method: 'GET', url: '/auth/me', headers: { cookie: `__Host-lk_at=${second.at}` } }), 401, 'invalid_token');
  });

  it('twenty concurrent refreshes with one token mint exactly one successor', async () => {
    const first = await loginCookie(s.app);
    const results = await Promise.all(Array.from({ length: 20 }, () => s.app.inject(refreshRequest(first))));
    assert.equal(results.filter((r) => r.statusCode === 200).length, 1);
    assert.ok(results.every((r) => r.statusCode === 200 || r.statusCode === 401 || r.statusCode === 403));
  });

  it('a token-mode refresh token is not accepted as a cookie, nor a cookie one in the body', async () => {
    const tokenLogin = await s.app.inject({ method: 'POST', url: '/auth/login', headers: { 'content-type': 'application/json' }, payload: { email: 'alice@example.com', password: 'correct horse battery', mode: 'token' } });
    const native = tokenLogin.json().refresh_token as string;
    assertJsonError(await s.app.inject(refreshRequest({ rt: native, csrf: 'x' })), 401, 'invalid_refresh_token');
    const web = await loginCookie(s.app);
    const res = await s.app.inject({ method: 'POST', url: '/auth/refresh', headers: { 'content-type': 'application/json' }, payload: { refresh_token: web.rt } });
    assertJsonError(res, 401, 'invalid_refresh_token');
  });

  it('malformed, unknown and missing refresh tokens → 401 invalid_refresh_token', async () => {
    for (const rt of ['', 'garbage', 'a.b', `${'A'.repeat(22)}.${'B'.repeat(43)}`, '%zz']) {
      const res = await s.app.inject({ method: 'POST', url: '/auth/refresh', headers: { cookie: `__Secure-lk_rt=${rt}`, 'x-csrf-token': 'x' } });
      assertJsonError(res, 401, 'invalid_refresh_token');
    }
    assertJsonError(await s.app.inject({ method: 'POST', url: '/auth/refresh' }), 401, 'invalid_refresh_token');
  });
});

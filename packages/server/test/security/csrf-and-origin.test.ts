import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { assertJsonError, JSON_HEADERS, loginCookie, makeServer, PASSWORD, refreshRequest, signup, type TestServer } from '../helpers.js';

describe('security: CSRF header and cross-site requests', () => {
  let s: TestServer;
  // A valid CSRF token — but of another session of the same user: must not be accepted.
  const decodeJwtCsrfOfAnotherSession = async () => (await loginCookie(s.app)).csrf;
  before(async () => {
    s = await makeServer({ corsOrigins: ['https://app.example.com'] });
    await signup(s.app);
  });
  after(async () => s.close());

  it('refresh without or with a wrong X-CSRF-Token → 403 and the session is not rotated', async () => {
    const session = await loginCookie(s.app);
    for (const csrf of [undefined, '']) {
      const res = await s.app.inject(refreshRequest(csrf === undefined ? { rt: session.rt } : { rt: session.rt, csrf }));
      assertJsonError(res, 403, 'csrf_token_missing');
    }
    for (const csrf of [async () => 'wrong', async () => session.csrf.toUpperCase(), async () => 'x'.repeat(1000), decodeJwtCsrfOfAnotherSession]) {
      assertJsonError(await s.app.inject(refreshRequest({ rt: session.rt, csrf: await csrf() })), 403, 'csrf_token_mismatch');
    }
    assert.equal((await s.app.inject(refreshRequest(session))).statusCode, 200);
  });

  it('logout without the CSRF header → 403 and the session survives', async () => {
    const session = await loginCookie(s.app);
    const res = await s.app.inject({ method: 'POST', url: '/auth/logout', headers: { cookie: `__Secure-lk_rt=${session.rt}` } });
    assertJsonError(res, 403, 'csrf_token_missing');
    assert.equal((await s.app.inject(refreshRequest(session))).statusCode, 200);
  });

  it('unsafe requests from another site are refused before anything happens', async () => {
    const session = await loginCookie(s.app);
    const hostile: Record<string, string>[] = [
      { 'sec-fetch-site': 'cross-site' },
      { origin: 'null' },
      { origin: 'https://evil.example' },
      { origin: 'http://localhost:9999' },
    ];
    for (const h of hostile) {
      assertJsonError(await s.app.inject(refreshRequest(session, h)), 403, 'cross_site_request');
      const logout = await s.app.inject({ method: 'POST', url: '/auth/logout', headers: { cookie: `__Secure-lk_rt=${session.rt}`, 'x-csrf-token': session.csrf, ...h } });
      assertJsonError(logout, 403, 'cross_site_request');
      const login = await s.app.inject({ method: 'POST', url: '/auth/login', headers: { ...JSON_HEADERS, ...h }, payload: { email: 'alice@example.com', password: PASSWORD } });
      assertJsonError(login, 403, 'cross_site_request');
    }
    // the session is untouched
    assert.equal((await s.app.inject(refreshRequest(session))).statusCode, 200);
  });

  it('same-origin, issuer-origin and configured CORS origins are accepted', async () => {
    for (const origin of ['http://localhost:8080', 'https://app.example.com', 'http://localhost:80']) {
      const res = await s.app.inject({
        method: 'POST',
        url: '/auth/login',
        headers: { ...JSON_HEADERS, origin, 'sec-fetch-site': 'same-origin', host: 'localhost:80' },
        payload: { email: 'alice@example.com', password: PASSWORD },
      });
      assert.equal(res.statusCode, 200, origin);
    }
  });

  it('CORS: credentials only for configured origins, X-CSRF-Token exposed; never *', async () => {
    const pre = await s.app.inject({
      method: 'OPTIONS',
      url: '/auth/login',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    assert.equal(pre.statusCode, 204);
    assert.equal(pre.headers['access-control-allow-origin'], 'https://app.example.com');
    assert.equal(pre.headers['access-control-allow-credentials'], 'true');
    assert.match(String(pre.headers['access-control-allow-headers']), /X-CSRF-Token/);
    const res = await s.app.inject({ method: 'GET', url: '/healthz', headers: { origin: 'https://app.example.com' } });
    assert.equal(res.headers['access-control-expose-headers'], 'X-CSRF-Token');
    const foreign = await s.app.inject({ method: 'GET', url: '/healthz', headers: { origin: 'https://evil.example' } });
    assert.equal(foreign.headers['access-control-allow-origin'], undefined);
  });
});

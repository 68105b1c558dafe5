import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createLocalJWKSet, jwtVerify, decodeJwt } from 'jose';
import {
  JSON_HEADERS,
  PASSWORD,
  assertJsonError,
  fromCookieResponse,
  loginCookie,
  makeServer,
  refreshRequest,
  setCookies,
  signup,
  type TestServer,
} from './helpers.js';

describe('auth server routes', () => {
  let s: TestServer;
  before(async () => {
    s = await makeServer();
    await signup(s.app);
  });
  after(async () => s.close());

  it('POST /auth/signup → 201 {user} without the password hash; duplicate email (any case) → 409', async () => {
    const res = await s.app.inject({ method: 'POST', url: '/auth/signup', headers: JSON_HEADERS, payload: { email: 'Bob@Example.com', password: PASSWORD, name: 'Bob' } });
    assert.equal(res.statusCode, 201);
    const { user } = res.json();
    assert.equal(user.email, 'bob@example.com');
    assert.equal(user.name, 'Bob');
    assert.deepEqual(Object.keys(user).sort(), ['created_at', 'email', 'id', 'name', 'roles']);
    assert.equal(res.headers['cache-control'], 'no-store');
    const dup = await s.app.inject({ method: 'POST', url: '/auth/signup', headers: JSON_HEADERS, payload: { email: 'BOB@example.com', password: PASSWORD } });
    assertJsonError(dup, 409, 'email_taken');
  });

  it('signup enforces the password policy (min 8 chars, max 1024 bytes)', async () => {
    const short = await s.app.inject({ method: 'POST', url: '/auth/signup', headers: JSON_HEADERS, payload: { email: 'c@example.com', password: 'short' } });
    assertJsonError(short, 400, 'invalid_password');
    const long = await s.app.inject({ method: 'POST', url: '/auth/signup', headers: JSON_HEADERS, payload: { email: 'c@example.com', password: 'é'.repeat(513) } });
    assertJsonError(long, 400, 'invalid_password');
  });

  it('cookie login sets both cookies with the exact attributes, the CSRF header and no-store', async () => {
    const res = await s.app.inject({ method: 'POST', url: '/auth/login', headers: JSON_HEADERS, payload: { email: 'ALICE@example.com', password: PASSWORD } });
    assert.equal(res.statusCode, 200);
    const [at, rt] = setCookies(res);
    assert.match(at ?? '', /^__Host-lk_at=[\w-]+\.[\w-]+\.[\w-]+; Max-Age=600; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    assert.match(rt ?? '', /^__Secure-lk_rt=[\w-]{22}\.[\w-]{43}; Max-Age=259\d{4}; Path=\/auth; HttpOnly; Secure; SameSite=Strict$/);
    assert.equal(res.headers['cache-control'], 'no-store');
    const csrf = res.headers['x-csrf-token'];
    assert.match(String(csrf), /^[\w-]{43}$/);
    const body = res.json();
    assert.equal(body.user.email, 'alice@example.com');
    assert.equal(body.expires_in, 600);
    const claims = decodeJwt(fromCookieResponse(res).at);
    assert.equal(body.expires_at, claims.exp);
    assert.equal(claims.csrf, csrf);
    assert.equal(claims.client_id, 'latchkey-web');
    assert.equal(claims.iss, 'http://localhost:8080');
    assert.equal(claims.aud, 'shop-api');
    assert.equal(typeof claims.sid, 'string');
    assert.equal(JSON.stringify(body).includes(fromCookieResponse(res).at), false, 'the body must not carry the token');
  });

  it('token login returns a Bearer token pair and no cookies', async () => {
    const res = await s.app.inject({ method: 'POST', url: '/auth/login', headers: JSON_HEADERS, payload: { email: 'alice@example.com', password: PASSWORD, mode: 'token' } });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(setCookies(res), []);
    assert.equal(res.headers['x-csrf-token'], undefined);
    assert.equal(res.headers['cache-control'], 'no-store');
    const body = res.json();
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 600);
    assert.match(body.refresh_token, /^[\w-]{22}\.[\w-]{43}$/);
    const claims = decodeJwt(body.access_token);
    assert.equal(claims.client_id, 'latchkey-native');
    assert.equal(claims.csrf, undefined);
    const me = await s.app.inject({ method: 'GET', url: '/auth/me', headers: { authorization: `Bearer ${body.access_token}` } });
    assert.equal(me.statusCode, 200);
    assert.equal(me.json().session_id, claims.sid);
    // token-mode refresh with the body
    const r = await s.app.inject({ method: 'POST', url: '/auth/refresh', headers: JSON_HEADERS, payload: { refresh_token: body.refresh_token } });
    assert.equal(r.statusCode, 200);
    assert.notEqual(r.json().refresh_token, body.refresh_token);
    assert.equal(decodeJwt(r.json().access_token).sid, claims.sid);
  });

  it('every login creates a new session id (no fixation)', async () => {
    const a = await loginCookie(s.app);
    const b = await loginCookie(s.app);
    assert.notEqual(decodeJwt(a.at).sid, decodeJwt(b.at).sid);
    assert.notEqual(a.rt.split('.')[0], b.rt.split('.')[0]);
  });

  it('GET /auth/me with the cookie → {user, session_id}', async () => {
    const session = await loginCookie(s.app);
    const me = await s.app.inject({ method: 'GET', url: '/auth/me', headers: { cookie: `__Host-lk_at=${session.at}` } });
    assert.equal(me.statusCode, 200);
    assert.equal(me.json().user.email, 'alice@example.com');
    assert.equal(me.json().session_id, decodeJwt(session.at).sid);
    assert.equal(me.headers['cache-control'], 'no-store');
  });

  it('refresh rotates the refresh token, issues a new CSRF token and a new access token for the same session', async () => {
    const first = await loginCookie(s.app);
    const res = await s.app.inject(refreshRequest(first));
    assert.equal(res.statusCode, 200);
    const next = fromCookieResponse(res);
    assert.notEqual(next.rt, first.rt);
    assert.equal(next.rt.split('.')[0], first.rt.split('.')[0]);
    assert.notEqual(next.csrf, first.csrf);
    assert.equal(decodeJwt(next.at).csrf, next.csrf);
    assert.equal(decodeJwt(next.at).sid, decodeJwt(first.at).sid);
    assert.equal(res.json().expires_in, 600);
    assert.equal(res.headers['cache-control'], 'no-store');
    // and the new one works again
    assert.equal((await s.app.inject(refreshRequest(next))).statusCode, 200);
  });

  it('logout revokes the session and clears both cookies', async () => {
    const session = await loginCookie(s.app);
    const res = await s.app.inject({
      method: 'POST',
      url: '/auth/logout',
      headers: { cookie: `__Secure-lk_rt=${session.rt}; __Host-lk_at=${session.at}`, 'x-csrf-token': session.csrf },
    });
    assert.equal(res.statusCode, 204);
    assert.deepEqual(setCookies(res), [
      '__Host-lk_at=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax',
      '__Secure-lk_rt=; Max-Age=0; Path=/auth; HttpOnly; Secure; SameSite=Strict',
    ]);
    const stored = await s.store.sessions.get(String(decodeJwt(session.at).sid));
    assert.equal(stored?.revokeReason, 'logout');
    assertJsonError(await s.app.inject(refreshRequest(session)), 401, 'invalid_refresh_token');
    assertJsonError(await s.app.inject({ method: 'GET', url: '/auth/me', headers: { cookie: `__Host-lk_at=${session.at}` } }), 401, 'invalid_token');
  });

  it('logout identified by the access cookie alone also needs the CSRF header', async () => {
    const session = await loginCookie(s.app);
    const cookie = `__Host-lk_at=${session.at}`;
    assertJsonError(await s.app.inject({ method: 'POST', url: '/auth/logout', headers: { cookie } }), 403, 'csrf_token_missing');
    assertJsonError(await s.app.inject({ method: 'POST', url: '/auth/logout', headers: { cookie, 'x-csrf-token': 'nope' } }), 403, 'csrf_token_mismatch');
    const ok = await s.app.inject({ method: 'POST', url: '/auth/logout', headers: { cookie, 'x-csrf-token': session.csrf } });
    assert.equal(ok.statusCode, 204);
  });

  it('GET /.well-known/jwks.json publishes the signing key, publicly cacheable', async () => {
    const res = await s.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['cache-control'], 'public, max-age=300');
    const jwks = res.json();
    assert.equal(jwks.keys.length, 1);
    assert.equal(jwks.keys[0].alg, 'ES256');
    assert.equal(jwks.keys[0].use, 'sig');
    assert.equal(jwks.keys[0].d, undefined);
    const session = await loginCookie(s.app);
    const { protectedHeader } = await jwtVerify(session.at, createLocalJWKSet(jwks), { issuer: 'http://localhost:8080', audience: 'shop-api', typ: 'at+jwt' });
    assert.equal(protectedHeader.kid, jwks.keys[0].kid);
  });

  it('GET /.well-known/oauth-authorization-server describes only what exists', async () => {
    const res = await s.app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' });
    assert.equal(res.statusCode, 200);
    const m = res.json();
    assert.equal(m.issuer, 'http://localhost:8080');
    assert.equal(m.jwks_uri, 'http://localhost:8080/.well-known/jwks.json');
    assert.equal(m.token_endpoint, 'http://localhost:8080/oauth/token');
    assert.equal(m.authorization_endpoint, undefined);
  });

  it('GET /healthz → 200; unknown route → JSON 404', async () => {
    const h = await s.app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(h.statusCode, 200);
    assert.deepEqual(h.json(), { status: 'ok' });
    assertJsonError(await s.app.inject({ method: 'GET', url: '/nope' }), 404, 'not_found');
    assertJsonError(await s.app.inject({ method: 'DELETE', url: '/auth/login' }), 404, 'not_found');
  });

  it('signup can be switched off', async () => {
    const closed = await makeServer({ signupEnabled: false });
    try {
      const res = await closed.app.inject({ method: 'POST', url: '/auth/signup', headers: JSON_HEADERS, payload: { email: 'z@example.com', password: PASSWORD } });
      assertJsonError(res, 403, 'signup_disabled');
    } finally {
      await closed.close();
    }
  });
});

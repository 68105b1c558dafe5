import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { registerClient } from '../../src/index.js';
import { basic, FORM_HEADERS, loginCookie, makeServer, signup, type TestServer } from '../helpers.js';

/**
 * The OAuth endpoints accept form posts, which a foreign page can send without a CORS preflight. The
 * rule that makes this safe: they never act on ambient credentials (cookies). A forged cross-site post
 * carrying the victim's cookies must obtain nothing and change nothing.
 */
describe('security: /oauth/* never act on cookies (cross-site form posts gain nothing)', () => {
  let s: TestServer;
  let client: { id: string; secret: string };
  before(async () => {
    s = await makeServer();
    await signup(s.app);
    const r = await registerClient(s.store.clients, { name: 'Svc', scopes: 'cart:read', audiences: ['shop-api'] }, Date.now());
    client = { id: r.client.id, secret: r.secret };
  });
  after(async () => s.close());

  it('a cross-site form post with the victim\'s refresh and access cookies gets no token and revokes nothing', async () => {
    const victim = await loginCookie(s.app);
    const sid = String(decodeJwt(victim.at).sid);
    const cookies = `__Secure-lk_rt=${victim.rt}; __Host-lk_at=${victim.at}`;
    const attacker = { ...FORM_HEADERS, cookie: cookies, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' };
    for (const [url, payload] of [
      ['/oauth/token', 'grant_type=refresh_token'],
      ['/oauth/token', 'grant_type=client_credentials'],
      ['/oauth/revoke', 'token_type_hint=refresh_token'],
      ['/oauth/revoke', 'token=x'],
      ['/oauth/introspect', 'token=x'],
    ] as const) {
      const res = await s.app.inject({ method: 'POST', url, headers: attacker, payload });
      assert.ok(res.statusCode === 400 || res.statusCode === 401 || res.statusCode === 200, `${url} ${payload}: ${res.statusCode}`);
      assert.equal(res.body.includes('access_token'), false);
      assert.equal(res.headers['set-cookie'], undefined, 'never sets cookies');
    }
    assert.equal((await s.store.sessions.get(sid))?.revokedAt, null, 'the victim session is untouched');
    const me = await s.app.inject({ method: 'GET', url: '/auth/me', headers: { cookie: `__Host-lk_at=${victim.at}` } });
    assert.equal(me.statusCode, 200);
  });

  it('hostile form bodies get a coded 4xx JSON answer, never a 500', async () => {
    const auth = { authorization: basic(client.id, client.secret) };
    const bodies = [
      '%zz=%zz&grant_type=client_credentials%',
      'grant_type=client_credentials&scope=%00',
      'grant_type=client_credentials&resource=%E2%82',
      '__proto__=x&constructor=y&grant_type=client_credentials&scope=__proto__',
      'grant_type[]=client_credentials',
      `grant_type=${'x'.repeat(10_000)}`,
      'grant_type=client_credentials&scope=' + encodeURIComponent('cart:read\u2028'),
      '&&&===&&&',
      'grant_type=refresh_token&refresh_token=' + encodeURIComponent('../../etc/passwd'),
      `grant_type=client_credentials&client_id=${'é'.repeat(100)}`,
    ];
    for (const payload of bodies) {
      for (const url of ['/oauth/token', '/oauth/revoke', '/oauth/introspect']) {
        const res = await s.app.inject({ method: 'POST', url, headers: { ...FORM_HEADERS, ...auth }, payload });
        assert.ok(res.statusCode < 500, `${url} ${payload.slice(0, 40)} → ${res.statusCode}`);
        if (res.statusCode >= 400) {
          const body = res.json<{ error: string; error_description: string }>();
          assert.match(body.error, /^[a-z_]+$/);
          assert.equal(typeof body.error_description, 'string');
        }
      }
    }
    const huge = await s.app.inject({ method: 'POST', url: '/oauth/token', headers: { ...FORM_HEADERS, ...auth }, payload: `grant_type=client_credentials&pad=${'x'.repeat(20_000)}` });
    assert.equal(huge.statusCode, 413);
    for (const type of ['text/plain', 'multipart/form-data; boundary=x', 'application/json']) {
      const res = await s.app.inject({ method: 'POST', url: '/oauth/token', headers: { 'content-type': type, ...auth }, payload: 'grant_type=client_credentials' });
      assert.equal(res.statusCode, 415, type);
    }
  });

  it('a secret is never echoed in an error', async () => {
    const res = await s.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: FORM_HEADERS,
      payload: `grant_type=client_credentials&client_id=${client.id}&client_secret=${client.secret}x`,
    });
    assert.equal(res.statusCode, 401);
    assert.equal(res.body.includes(client.secret), false);
  });
});

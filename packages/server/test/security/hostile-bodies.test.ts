import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { assertJsonError, makeServer, signup, type TestServer } from '../helpers.js';

const J = 'application/json';

/** [description, content-type | undefined, raw body, expected status, expected code] */
const CASES: [string, string | undefined, string, number, string][] = [
  ['malformed JSON', J, '{"email":', 400, 'invalid_request'],
  ['JSON array', J, '[]', 400, 'invalid_request'],
  ['JSON null', J, 'null', 400, 'invalid_request'],
  ['JSON string', J, '"x"', 400, 'invalid_request'],
  ['empty body', J, '', 400, 'invalid_request'],
  ['unknown field', J, '{"email":"a@b.c","password":"password1","admin":true}', 400, 'invalid_request'],
  ['__proto__ field', J, '{"email":"a@b.c","password":"password1","__proto__":{"admin":true}}', 400, 'invalid_request'],
  ['constructor field', J, '{"email":"a@b.c","password":"password1","constructor":{"prototype":{}}}', 400, 'invalid_request'],
  ['number password', J, '{"email":"a@b.c","password":12345678}', 400, 'invalid_request'],
  ['array email', J, '{"email":["a@b.c"],"password":"password1"}', 400, 'invalid_request'],
  ['object password', J, '{"email":"a@b.c","password":{"$gt":""}}', 400, 'invalid_request'],
  ['missing password', J, '{"email":"a@b.c"}', 400, 'invalid_request'],
  ['not an email', J, '{"email":"nobody","password":"password1"}', 400, 'invalid_request'],
  ['overlong email', J, JSON.stringify({ email: `${'a'.repeat(300)}@b.c`, password: 'password1' }), 400, 'invalid_request'],
  ['overlong password (chars)', J, JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(5000) }), 400, 'invalid_request'],
  ['huge body', J, JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(100_000) }), 413, 'payload_too_large'],
  ['text/plain', 'text/plain', '{"email":"a@b.c","password":"password1"}', 415, 'unsupported_media_type'],
  ['form body', 'application/x-www-form-urlencoded', 'email=a%40b.c&password=password1', 415, 'unsupported_media_type'],
  ['multipart', 'multipart/form-data; boundary=x', '--x\r\n\r\n--x--', 415, 'unsupported_media_type'],
  ['no content-type', undefined, '{"email":"a@b.c","password":"password1"}', 415, 'unsupported_media_type'],
  ['json-ish type', 'application/json-patch+json', '[]', 415, 'unsupported_media_type'],
];

describe('security: hostile bodies get a 4xx JSON error, never a 500', () => {
  let s: TestServer;
  before(async () => {
    s = await makeServer();
    await signup(s.app);
  });
  after(async () => s.close());

  for (const url of ['/auth/signup', '/auth/login', '/auth/refresh', '/auth/logout']) {
    for (const [what, type, body, status, code] of CASES) {
      // An empty body is how the browser helper calls refresh/logout; logout without a session is a 204.
      if (what === 'empty body' && url === '/auth/logout') continue;
      it(`${url}: ${what}`, async () => {
        const headers: Record<string, string> = {};
        if (type !== undefined) headers['content-type'] = type;
        const res = await s.app.inject({ method: 'POST', url, headers, payload: body });
        assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${res.statusCode} ${res.body}`);
        assert.equal(res.body.includes('    at '), false, 'no stack traces');
        // refresh/logout have other schemas; only the transport-level outcomes are identical everywhere
        if (url === '/auth/signup' || url === '/auth/login' || status !== 400) assertJsonError(res, status, code);
        else assert.equal(typeof res.json().error, 'string');
      });
    }
  }

  it('login with a 1025-byte password is just invalid_credentials (no account can have one)', async () => {
    const res = await s.app.inject({ method: 'POST', url: '/auth/login', headers: { 'content-type': J }, payload: { email: 'alice@example.com', password: 'x'.repeat(1025) } });
    assertJsonError(res, 401, 'invalid_credentials');
  });

  it('unknown email and wrong password answer identically (no user enumeration)', async () => {
    const a = await s.app.inject({ method: 'POST', url: '/auth/login', headers: { 'content-type': J }, payload: { email: 'nobody@example.com', password: 'whatever123' } });
    const b = await s.app.inject({ method: 'POST', url: '/auth/login', headers: { 'content-type': J }, payload: { email: 'alice@example.com', password: 'whatever123' } });
    assertJsonError(a, 401, 'invalid_credentials');
    assert.equal(a.body, b.body);
    assert.equal(a.headers['www-authenticate'], b.headers['www-authenticate']);
  });

  it('garbage access tokens on /auth/me → 401 invalid_token with an RFC 6750 challenge', async () => {
    for (const headers of [
      { authorization: 'Bearer abc.def.ghi' },
      { authorization: `Bearer ${'a'.repeat(9000)}` },
      { cookie: '__Host-lk_at=eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' },
    ]) {
      const res = await s.app.inject({ method: 'GET', url: '/auth/me', headers });
      assertJsonError(res, 401, 'invalid_token');
      assert.match(String(res.headers['www-authenticate']), /^Bearer realm="latchkey", error="invalid_token"/);
    }
    for (const authorization of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer a b']) {
      assertJsonError(await s.app.inject({ method: 'GET', url: '/auth/me', headers: { authorization } }), 400, 'invalid_request');
    }
    const none = await s.app.inject({ method: 'GET', url: '/auth/me' });
    assertJsonError(none, 401, 'missing_credentials');
    assert.equal(none.headers['www-authenticate'], 'Bearer realm="latchkey"');
  });
});

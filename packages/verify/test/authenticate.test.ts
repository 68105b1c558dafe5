import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createTestIssuer, type TestIssuer } from '@latchkey/testkit';
import { createVerifier, LatchkeyError, type Verifier } from '../src/index.js';

const COOKIE = '__Host-lk_at';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof LatchkeyError, `expected a LatchkeyError, got ${String(err)}`);
    return err.code;
  }
  return 'ok';
}

describe('authenticate', () => {
  let issuer: TestIssuer;
  let verifier: Verifier;
  let token: string;
  before(async () => {
    issuer = await createTestIssuer();
    verifier = createVerifier({
      issuer: issuer.issuer,
      audience: issuer.audience,
      jwks: issuer.jwks,
      trustedOrigins: ['http://localhost:8080'],
    });
    token = await issuer.mint({ sub: 'u-7', sid: 's-1', scope: 'a b  c', roles: ['r'], csrf: 'csrf-1' });
  });

  it('returns the principal from a Bearer token', async () => {
    const p = await verifier.authenticate({ method: 'POST', headers: { authorization: `Bearer ${token}` } });
    assert.equal(p.subject, 'u-7');
    assert.equal(p.sessionId, 's-1');
    assert.equal(p.clientId, 'latchkey-web');
    assert.deepEqual(p.scopes, ['a', 'b', 'c']);
    assert.deepEqual(p.roles, ['r']);
    assert.equal(p.credential, 'bearer');
    assert.equal(typeof p.tokenId, 'string');
    assert.equal(p.expiresAt, p.claims.exp);
    assert.ok(Object.isFrozen(p));
  });

  it('accepts WHATWG Headers as well as Node headers', async () => {
    const headers = new Headers({ cookie: `a=b; ${COOKIE}=${token}`, 'x-csrf-token': 'csrf-1' });
    const p = await verifier.authenticate({ method: 'DELETE', headers });
    assert.equal(p.credential, 'cookie');
  });

  it('Bearer wins over the cookie', async () => {
    const other = await issuer.mint({ sub: 'bearer-user' });
    const p = await verifier.authenticate({ method: 'GET', headers: { authorization: `Bearer ${other}`, cookie: `${COOKIE}=${token}` } });
    assert.equal(p.subject, 'bearer-user');
  });

  it('credential reading rows', async () => {
    const rows: Array<[string, Record<string, string | string[]>, string]> = [
      ['nothing', {}, 'missing_credentials'],
      ['empty cookie value', { cookie: `${COOKIE}=` }, 'missing_credentials'],
      ['other cookies only', { cookie: 'a=1; b=2' }, 'missing_credentials'],
      ['cookie name case differs', { cookie: `__host-lk_at=${token}` }, 'missing_credentials'],
      ['Basic scheme', { authorization: 'Basic dTpw' }, 'invalid_request'],
      ['empty Authorization', { authorization: '' }, 'invalid_request'],
      ['Bearer without a token', { authorization: 'Bearer' }, 'invalid_request'],
      ['Bearer with blank token', { authorization: 'Bearer    ' }, 'invalid_request'],
      ['two tokens', { authorization: `Bearer ${token} ${token}` }, 'invalid_request'],
      ['token with illegal characters', { authorization: 'Bearer abc$.def.ghi' }, 'invalid_request'],
      ['two Authorization headers', { authorization: [`Bearer ${token}`, `Bearer ${token}`] }, 'invalid_request'],
      ['BEARER upper case', { authorization: `BEARER ${token}` }, 'ok'],
      ['duplicated access cookie', { cookie: `${COOKIE}=${token}; ${COOKIE}=${token}` }, 'invalid_request'],
      ['access cookie over two Cookie headers', { cookie: [`${COOKIE}=${token}`, `${COOKIE}=x`] }, 'invalid_request'],
      ['quoted cookie value', { cookie: `${COOKIE}="${token}"` }, 'ok'],
      ['cookie value with illegal characters', { cookie: `${COOKIE}=a%20b` }, 'invalid_request'],
    ];
    for (const [name, headers, code] of rows) {
      assert.equal(await codeOf(verifier.authenticate({ method: 'GET', headers })), code, name);
    }
  });

  it('malformed Cookie headers never throw anything but coded errors', async () => {
    const hostile = [';;;', '=', '==;=', `${COOKIE}`, '\u0000\u00ff', 'a=b;'.repeat(2000), '"', `${COOKIE}=";`, '; ; =x', '__proto__=1; constructor=2'];
    for (const cookie of hostile) {
      const code = await codeOf(verifier.authenticate({ method: 'GET', headers: { cookie } }));
      assert.ok(['missing_credentials', 'invalid_request'].includes(code), `${JSON.stringify(cookie.slice(0, 20))}: ${code}`);
    }
  });

  it('hostile input objects are refused with a coded error', async () => {
    for (const input of [null, undefined, {}, { method: 'GET' }, { method: 5, headers: {} }, { headers: {} }]) {
      assert.equal(await codeOf(verifier.authenticate(input as never)), 'invalid_request');
    }
  });
});

describe('csrf and cross-site rules for cookie credentials', () => {
  let issuer: TestIssuer;
  let verifier: Verifier;
  let token: string;
  before(async () => {
    issuer = await createTestIssuer();
    verifier = createVerifier({ issuer: issuer.issuer, audience: issuer.audience, jwks: issuer.jwks, trustedOrigins: ['http://localhost:8080'] });
    token = await issuer.mint({ csrf: 'the-csrf-token' });
  });
  const run = (method: string, extra: Record<string, string>) =>
    codeOf(verifier.authenticate({ method, headers: { cookie: `${COOKIE}=${token}`, ...extra } }));

  it('safe methods need no CSRF header', async () => {
    for (const m of ['GET', 'HEAD', 'OPTIONS', 'get']) assert.equal(await run(m, { 'sec-fetch-site': 'cross-site' }), 'ok', m);
  });

  it('unsafe methods', async () => {
    const rows: Array<[string, string, Record<string, string>, string]> = [
      ['matching header', 'POST', { 'x-csrf-token': 'the-csrf-token' }, 'ok'],
      ['lower-case method', 'post', { 'x-csrf-token': 'the-csrf-token' }, 'ok'],
      ['trusted origin, same-origin', 'PUT', { 'x-csrf-token': 'the-csrf-token', origin: 'http://localhost:8080', 'sec-fetch-site': 'same-origin' }, 'ok'],
      ['same-site fetch', 'PATCH', { 'x-csrf-token': 'the-csrf-token', 'sec-fetch-site': 'same-site' }, 'ok'],
      ['missing header', 'POST', {}, 'csrf_token_missing'],
      ['empty header', 'DELETE', { 'x-csrf-token': '' }, 'csrf_token_missing'],
      ['wrong header', 'POST', { 'x-csrf-token': 'the-csrf-tokeN' }, 'csrf_token_mismatch'],
      ['prefix of the token', 'POST', { 'x-csrf-token': 'the-csrf' }, 'csrf_token_mismatch'],
      ['cross-site fetch', 'POST', { 'x-csrf-token': 'the-csrf-token', 'sec-fetch-site': 'cross-site' }, 'cross_site_request'],
      ['Cross-Site in odd case', 'POST', { 'x-csrf-token': 'the-csrf-token', 'sec-fetch-site': 'Cross-Site' }, 'cross_site_request'],
      ['Origin null', 'POST', { 'x-csrf-token': 'the-csrf-token', origin: 'null' }, 'cross_site_request'],
      ['untrusted Origin', 'POST', { 'x-csrf-token': 'the-csrf-token', origin: 'http://localhost:8081' }, 'cross_site_request'],
    ];
    for (const [name, method, extra, code] of rows) assert.equal(await run(method, extra), code, name);
  });

  it('both missing is a failure, not a match', async () => {
    const noClaim = await issuer.mint({ csrf: undefined });
    const code = await codeOf(verifier.authenticate({ method: 'POST', headers: { cookie: `${COOKIE}=${noClaim}` } }));
    assert.equal(code, 'csrf_token_missing');
    const code2 = await codeOf(verifier.authenticate({ method: 'POST', headers: { cookie: `${COOKIE}=${noClaim}`, 'x-csrf-token': 'undefined' } }));
    assert.equal(code2, 'csrf_token_mismatch');
  });

  it('Bearer requests need no CSRF header, even cross-site', async () => {
    const code = await codeOf(verifier.authenticate({ method: 'POST', headers: { authorization: `Bearer ${token}`, 'sec-fetch-site': 'cross-site' } }));
    assert.equal(code, 'ok');
  });

  it('without trustedOrigins any non-null Origin passes', async () => {
    const open = createVerifier({ issuer: issuer.issuer, audience: issuer.audience, jwks: issuer.jwks });
    const code = await codeOf(open.authenticate({ method: 'POST', headers: { cookie: `${COOKIE}=${token}`, 'x-csrf-token': 'the-csrf-token', origin: 'http://elsewhere:1' } }));
    assert.equal(code, 'ok');
  });
});

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createTestIssuer, forgedTokens, type TestIssuer } from '@latchkey/testkit';
import { createVerifier, LatchkeyError, type Verifier } from '../src/index.js';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof LatchkeyError, `expected a LatchkeyError, got ${String(err)}`);
    return err.code;
  }
  return 'ok';
}

describe('token table: valid tokens', () => {
  for (const alg of ['ES256', 'EdDSA', 'RS256'] as const) {
    it(`accepts a valid ${alg} token and returns its claims`, async () => {
      const issuer = await createTestIssuer({ alg });
      const verifier = createVerifier({ issuer: issuer.issuer, audience: issuer.audience, jwks: issuer.jwks });
      const claims = await verifier.verifyAccessToken(await issuer.mint({ sub: 'u-1', roles: ['admin'] }));
      assert.equal(claims.sub, 'u-1');
      assert.deepEqual(claims.roles, ['admin']);
    });
  }

  it('rows', async () => {
    const issuer = await createTestIssuer();
    const now = Math.floor(Date.now() / 1000);
    const verifier = createVerifier({ issuer: issuer.issuer, audience: ['other-api', issuer.audience], jwks: issuer.jwks });
    const rows: Array<[string, Promise<string>]> = [
      ['defaults', issuer.mint()],
      ['aud as an array containing ours', issuer.mint({ aud: ['x', issuer.audience] })],
      ['typ application/at+jwt', issuer.mint({}, { typ: 'application/at+jwt' })],
      ['expired but within the 30 s skew', issuer.mint({ iat: now - 600, exp: now - 10 })],
      ['nbf slightly ahead, within skew', issuer.mint({ nbf: now + 10 })],
      ['lifetime exactly the maximum', issuer.mint({ iat: now, exp: now + 3600 })],
      ['no scope, sid, csrf or roles', issuer.mint({ scope: undefined, sid: undefined, csrf: undefined })],
      ['__proto__ as a claim name', issuer.mintRaw(issuer.header(), `{"__proto__":{"admin":true},${JSON.stringify(issuer.claims()).slice(1)}`)],
    ];
    for (const [name, token] of rows) assert.equal(await codeOf(verifier.verifyAccessToken(await token)), 'ok', name);
  });
});

describe('token table: invalid tokens', () => {
  let issuer: TestIssuer;
  let verifier: Verifier;
  before(async () => {
    issuer = await createTestIssuer();
    verifier = createVerifier({ issuer: issuer.issuer, audience: issuer.audience, jwks: issuer.jwks });
  });

  it('every forged class is refused with its code', async () => {
    for (const row of await forgedTokens(issuer)) {
      assert.equal(await codeOf(verifier.verifyAccessToken(row.token)), row.code, row.name);
    }
  });

  it('more rows', async () => {
    const now = Math.floor(Date.now() / 1000);
    const rows: Array<[string, string | Promise<string>, string]> = [
      ['empty string', '', 'token_malformed'],
      ['just dots', '..', 'token_malformed'],
      ['not base64url', 'a+b.c/d.e=f', 'token_malformed'],
      ['header not UTF-8', `${Buffer.from([0xff, 0xfe]).toString('base64url')}.e30.AA`, 'token_malformed'],
      ['scope not a string', issuer.mint({ scope: ['cart:read'] }), 'token_claim_invalid'],
      ['roles not strings', issuer.mint({ roles: [1] }), 'token_claim_invalid'],
      ['csrf not a string', issuer.mint({ csrf: 5 }), 'token_claim_invalid'],
      ['jti empty', issuer.mint({ jti: '' }), 'token_claim_invalid'],
      ['expired beyond the skew', issuer.mint({ iat: now - 600, exp: now - 31 }), 'token_expired'],
      ['lifetime one second over the maximum', issuer.mint({ iat: now, exp: now + 3601 }), 'token_claim_invalid'],
      ['kid too long', issuer.mint({}, { kid: 'k'.repeat(300) }), 'token_header_invalid'],
      ['issuer differs by a trailing slash', issuer.mint({ iss: `${issuer.issuer}/` }), 'token_claim_invalid'],
      ['audience differs by case', issuer.mint({ aud: issuer.audience.toUpperCase() }), 'token_claim_invalid'],
    ];
    for (const [name, token, code] of rows) assert.equal(await codeOf(verifier.verifyAccessToken(await token)), code, name);
  });

  it('a non-string input is refused, not thrown as TypeError', async () => {
    assert.equal(await codeOf(verifier.verifyAccessToken(42 as unknown as string)), 'token_malformed');
  });

  it('an algorithm removed from the allow-list is refused before the key is used', async () => {
    const only = createVerifier({ issuer: issuer.issuer, audience: issuer.audience, jwks: issuer.jwks, algorithms: ['EdDSA'] });
    assert.equal(await codeOf(only.verifyAccessToken(await issuer.mint())), 'token_algorithm_not_allowed');
  });

  it('clock is injectable: a token is expired under a later now()', async () => {
    const later = createVerifier({ issuer: issuer.issuer, audience: issuer.audience, jwks: issuer.jwks, now: () => Date.now() + 3_600_000 });
    assert.equal(await codeOf(later.verifyAccessToken(await issuer.mint())), 'token_expired');
  });
});

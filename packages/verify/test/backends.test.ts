import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTestIssuer, forgedTokens, generateKeyPair, type TestIssuer } from '@latchkey/testkit';
import { createVerifierWith } from '../src/create-verifier.js';
import type { CryptoBackend } from '../src/crypto-backend.js';
import { backend as nodeBackend } from '../src/crypto-backend-node.js';
import { backend as webBackend } from '../src/crypto-backend-web.js';
import { createVerifier, LatchkeyError, type Verifier, type VerifierOptions } from '../src/index.js';

const BACKENDS: ReadonlyArray<readonly [string, CryptoBackend]> = [
  ['node', nodeBackend],
  ['web', webBackend],
];

/** code + message, so both backends are held to the same answer, not merely the same class. */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof LatchkeyError, `expected a LatchkeyError, got ${String(err)}`);
    return `${err.code}: ${err.message}`;
  }
  return 'ok';
}

interface Row {
  readonly name: string;
  readonly token: string;
  readonly code: string;
}

/** The token table: every forged class plus valid and borderline rows, for one issuer. */
async function tokenTable(issuer: TestIssuer): Promise<Row[]> {
  const now = Math.floor(Date.now() / 1000);
  const rows: Array<[string, string | Promise<string>, string]> = [
    ['valid', issuer.mint(), 'ok'],
    ['aud as an array containing ours', issuer.mint({ aud: ['x', issuer.audience] }), 'ok'],
    ['typ application/at+jwt', issuer.mint({}, { typ: 'application/at+jwt' }), 'ok'],
    ['expired but within the skew', issuer.mint({ iat: now - 600, exp: now - 10 }), 'ok'],
    ['nbf within skew', issuer.mint({ nbf: now + 10 }), 'ok'],
    ['no optional claims', issuer.mint({ scope: undefined, sid: undefined, csrf: undefined }), 'ok'],
    ['__proto__ claim', issuer.mintRaw(issuer.header(), `{"__proto__":{"admin":true},${JSON.stringify(issuer.claims()).slice(1)}`), 'ok'],
    ['empty string', '', 'token_malformed'],
    ['just dots', '..', 'token_malformed'],
    ['payload not UTF-8', issuer.mintRaw(issuer.header(), '\udcff'), 'token_malformed'],
    ['scope not a string', issuer.mint({ scope: ['a'] }), 'token_claim_invalid'],
    ['roles not strings', issuer.mint({ roles: [1] }), 'token_claim_invalid'],
    ['nbf not a number', issuer.mint({ nbf: 'soon' }), 'token_claim_invalid'],
    ['nbf future and exp not a number', issuer.mint({ nbf: now + 3600, exp: 'later' }), 'token_not_yet_valid'],
    ['sub mistyped and iat in the future', issuer.mint({ sub: 1, iat: now + 3600, exp: now + 3700 }), 'token_claim_invalid'],
    ['exp Infinity', issuer.mintRaw(issuer.header(), JSON.stringify(issuer.claims()).replace(/"exp":\d+/, '"exp":1e999')), 'token_claim_invalid'],
    ['expired beyond the skew', issuer.mint({ iat: now - 600, exp: now - 31 }), 'token_expired'],
    ['lifetime one second over', issuer.mint({ iat: now, exp: now + 3601 }), 'token_claim_invalid'],
    ['signature one byte short', (async () => {
      const t = await issuer.mint();
      const [h, p, s] = t.split('.') as [string, string, string];
      return `${h}.${p}.${Buffer.from(s, 'base64url').subarray(1).toString('base64url')}`;
    })(), 'token_signature_invalid'],
  ];
  const own = await Promise.all(rows.map(async ([name, token, code]) => ({ name, token: await token, code })));
  return [...own, ...(await forgedTokens(issuer))];
}

const options = (issuer: TestIssuer): VerifierOptions => ({ issuer: issuer.issuer, audience: issuer.audience, jwks: issuer.jwks });

describe('both crypto backends give the same answer for the same token table', () => {
  for (const alg of ['ES256', 'EdDSA', 'RS256'] as const) {
    it(`${alg}: every row, same code and message, cold and cached`, async () => {
      const issuer = await createTestIssuer({ alg });
      const table = await tokenTable(issuer);
      const verifiers = BACKENDS.map(([name, b]) => [name, createVerifierWith(options(issuer), b)] as const);
      for (const row of table) {
        const answers: string[] = [];
        for (const [name, verifier] of verifiers) {
          // Twice: the second run of a valid token is a cache hit and must answer the same.
          for (let i = 0; i < 2; i++) {
            const got = await outcome(verifier.verifyAccessToken(row.token));
            assert.equal(got.split(':')[0], row.code, `${alg} ${name} ${row.name}`);
            answers.push(got);
          }
        }
        assert.equal(new Set(answers).size, 1, `${alg} ${row.name}: ${answers.join(' | ')}`);
      }
    });
  }

  it('createVerifier uses the node backend under Node.js', async () => {
    const issuer = await createTestIssuer();
    const v = createVerifier(options(issuer));
    assert.equal((await v.verifyAccessToken(await issuer.mint({ sub: 'n' }))).sub, 'n');
    const { backend } = await import('#crypto-backend');
    assert.equal(backend.name, 'node');
  });
});

describe('key selection is the same on both backends', () => {
  for (const [name, backend] of BACKENDS) {
    it(`${name}: a key is used only for its own kty/crv/alg, and two keys with one kid are refused`, async () => {
      const es = await createTestIssuer({ alg: 'ES256' });
      const ed = await generateKeyPair('EdDSA', es.key.kid);
      // The JWKS holds an Ed25519 key under the ES256 key's kid: an ES256 token must still select
      // the EC key, an EdDSA token with that kid must fail unless signed by the Ed25519 key.
      const verifier = createVerifierWith({ ...options(es), jwks: { keys: [...es.jwks.keys, ed.publicJwk] } }, backend);
      assert.equal(await outcome(verifier.verifyAccessToken(await es.mint())), 'ok');
      const edToken = await es.mintRaw(es.header({ alg: 'EdDSA' }), es.claims(), { signWith: ed });
      assert.equal(await outcome(verifier.verifyAccessToken(edToken)), 'ok');
      const edHeaderEsSig = await es.mintRaw(es.header({ alg: 'EdDSA' }), es.claims());
      assert.match(await outcome(verifier.verifyAccessToken(edHeaderEsSig)), /^token_signature_invalid/);

      const twin = await generateKeyPair('ES256', es.key.kid);
      const ambiguous = createVerifierWith({ ...options(es), jwks: { keys: [...es.jwks.keys, twin.publicJwk] } }, backend);
      assert.match(await outcome(ambiguous.verifyAccessToken(await es.mint())), /^token_key_unknown/);

      const wrongAlg = createVerifierWith({ ...options(es), jwks: { keys: [{ ...es.key.publicJwk, alg: 'RS256' }] } }, backend);
      assert.match(await outcome(wrongAlg.verifyAccessToken(await es.mint())), /^token_key_unknown/);
      const encKey = createVerifierWith({ ...options(es), jwks: { keys: [{ ...es.key.publicJwk, use: 'enc' }] } }, backend);
      assert.match(await outcome(encKey.verifyAccessToken(await es.mint())), /^token_key_unknown/);
    });

    it(`${name}: constant-time secret comparison`, async () => {
      assert.equal(await backend.secretsEqual('csrf-1', 'csrf-1'), true);
      assert.equal(await backend.secretsEqual('csrf-1', 'csrf-2'), false);
      assert.equal(await backend.secretsEqual('csrf-1', 'csrf-1 '), false);
      assert.equal(await backend.secretsEqual('', 'x'), false);
    });
  }
});

describe('a verifier memoizes keys per key-set generation', () => {
  it('a key dropped from a refetched JWKS stops verifying, even for a token verified before', async () => {
    const { startJwksServer } = await import('@latchkey/testkit');
    const issuer = await createTestIssuer();
    const next = await createTestIssuer({ issuer: issuer.issuer, audience: issuer.audience });
    const server = await startJwksServer(issuer.jwks);
    try {
      for (const [name, backend] of BACKENDS) {
        server.setJwks(issuer.jwks);
        const v: Verifier = createVerifierWith(
          { issuer: issuer.issuer, audience: issuer.audience, jwksUri: server.url, jwksCooldownMs: 0 },
          backend,
        );
        const old = await issuer.mint();
        assert.equal(await outcome(v.verifyAccessToken(old)), 'ok', name);
        assert.equal(await outcome(v.verifyAccessToken(old)), 'ok', `${name} (cached)`);
        // The old key is retired; a token with the next key's kid makes the verifier refetch.
        server.setJwks(next.jwks);
        assert.equal(await outcome(v.verifyAccessToken(await next.mint())), 'ok', name);
        assert.match(await outcome(v.verifyAccessToken(old)), /^token_key_unknown/, `${name}: retired key`);
        assert.match(await outcome(v.verifyAccessToken(await issuer.mint())), /^token_key_unknown/, `${name}: retired key, new token`);
      }
    } finally {
      await server.close();
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTestIssuer, type TestIssuer } from '@latchkey/testkit';
import {
  ConfigError,
  createVerifier,
  LatchkeyError,
  type AccessTokenClaims,
  type VerifierOptions,
} from '../src/index.js';
import { VerifiedTokenCache } from '../src/token-cache.js';
import { createVerifierWith } from '../src/create-verifier.js';
import { backend as defaultBackend } from '#crypto-backend';
import type { CryptoBackend } from '../src/crypto-backend.js';

/** The default backend, counting signature checks: proves which requests were cache hits. */
function countingBackend(): { backend: CryptoBackend; checks: () => number } {
  let checks = 0;
  const backend: CryptoBackend = {
    name: defaultBackend.name,
    secretsEqual: defaultBackend.secretsEqual,
    createSignatureCheck(keys, algorithms) {
      const inner = defaultBackend.createSignatureCheck(keys, algorithms);
      return (parts) => {
        checks++;
        return inner(parts);
      };
    },
  };
  return { backend, checks: () => checks };
}

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

/** A clock the test moves by hand (epoch ms). */
function manualClock(start = Date.now()): { now: () => number; set: (ms: number) => void } {
  let t = start;
  return { now: () => t, set: (ms) => { t = ms; } };
}

const base = (issuer: TestIssuer): VerifierOptions => ({ issuer: issuer.issuer, audience: issuer.audience, jwks: issuer.jwks });
const fakeClaims = (exp: number): AccessTokenClaims =>
  Object.freeze({ iss: 'i', sub: 's', aud: 'a', exp, iat: exp - 60, jti: 'j', client_id: 'c' });

describe('VerifiedTokenCache bounds', () => {
  it('keeps at most maxEntries, evicting the least recently used', () => {
    const cache = new VerifiedTokenCache(3, 1 << 30);
    for (const t of ['a', 'b', 'c']) cache.set(t, fakeClaims(1), 0);
    assert.ok(cache.get('a')); // a is now the most recently used
    cache.set('d', fakeClaims(1), 0);
    assert.equal(cache.size, 3);
    assert.equal(cache.get('b'), undefined, 'b was least recently used');
    assert.ok(cache.get('a') && cache.get('c') && cache.get('d'));
  });

  it('keeps its approximate bytes under maxBytes and accounts deletes and replacements', () => {
    const cache = new VerifiedTokenCache(1_000_000, 64 * 1024);
    const token = (i: number) => `${'x'.repeat(2000)}${i}`;
    for (let i = 0; i < 100; i++) cache.set(token(i), fakeClaims(1), 0);
    assert.ok(cache.bytes <= 64 * 1024, `${cache.bytes} bytes`);
    assert.ok(cache.size > 0 && cache.size < 100, `${cache.size} entries`);
    assert.ok(cache.get(token(99)), 'the newest entry stays');
    const before = cache.bytes;
    cache.set(token(99), fakeClaims(2), 0);
    assert.equal(cache.bytes, before, 'replacing an entry does not double-count it');
    cache.delete(token(99));
    assert.ok(cache.bytes < before);
    cache.clear();
    assert.equal(cache.bytes, 0);
    assert.equal(cache.size, 0);
  });

  it('an entry larger than maxBytes is not cached at all', () => {
    const cache = new VerifiedTokenCache(10, 65_536);
    cache.set('y'.repeat(70_000), fakeClaims(1), 0);
    assert.equal(cache.size, 0);
  });

  it('a verifier with maxEntries 1 keeps verifying every token correctly', async () => {
    const issuer = await createTestIssuer();
    const v = createVerifier({ ...base(issuer), tokenCache: { maxEntries: 1 } });
    const tokens = await Promise.all([1, 2, 3].map((i) => issuer.mint({ sub: `u${i}` })));
    for (let round = 0; round < 2; round++) {
      for (const [i, t] of tokens.entries()) assert.equal((await v.verifyAccessToken(t)).sub, `u${i + 1}`);
    }
  });
});

describe('cache hits re-check time, revocation and exact token identity', () => {
  it('a token seen again skips the signature check; another token does not', async () => {
    const issuer = await createTestIssuer();
    const { backend, checks } = countingBackend();
    const v = createVerifierWith(base(issuer), backend);
    const token = await issuer.mint();
    for (let i = 0; i < 5; i++) assert.equal(await codeOf(v.verifyAccessToken(token)), 'ok');
    assert.equal(checks(), 1);
    assert.equal(await codeOf(v.verifyAccessToken(await issuer.mint())), 'ok');
    assert.equal(checks(), 2);
  });

  it('exp is honoured on a hit (with skew), and the expired entry is dropped', async () => {
    const issuer = await createTestIssuer();
    const clock = manualClock();
    const { backend, checks } = countingBackend();
    const v = createVerifierWith({ ...base(issuer), now: clock.now, clockSkewSeconds: 30 }, backend);
    const nowS = Math.floor(clock.now() / 1000);
    const token = await issuer.mint({ iat: nowS, exp: nowS + 60 });
    assert.equal(await codeOf(v.verifyAccessToken(token)), 'ok');
    clock.set((nowS + 60 + 29) * 1000);
    assert.equal(await codeOf(v.verifyAccessToken(token)), 'ok', 'within the skew');
    clock.set((nowS + 60 + 30) * 1000);
    assert.equal(await codeOf(v.verifyAccessToken(token)), 'token_expired');
    assert.equal(checks(), 1, 'both answers came from the cache');
    clock.set(nowS * 1000);
    // Dropped, so the clock going back means a full verification, which passes again.
    assert.equal(await codeOf(v.verifyAccessToken(token)), 'ok');
    assert.equal(checks(), 2);
  });

  it('nbf and iat are honoured on a hit when the clock goes back', async () => {
    const issuer = await createTestIssuer();
    const clock = manualClock();
    const { backend, checks } = countingBackend();
    const v = createVerifierWith({ ...base(issuer), now: clock.now, clockSkewSeconds: 0 }, backend);
    const nowS = Math.floor(clock.now() / 1000);
    const withNbf = await issuer.mint({ iat: nowS - 10, nbf: nowS, exp: nowS + 60 });
    const plain = await issuer.mint({ iat: nowS, exp: nowS + 60 });
    assert.equal(await codeOf(v.verifyAccessToken(withNbf)), 'ok');
    assert.equal(await codeOf(v.verifyAccessToken(plain)), 'ok');
    clock.set((nowS - 5) * 1000);
    assert.equal(await codeOf(v.verifyAccessToken(withNbf)), 'token_not_yet_valid');
    assert.equal(await codeOf(v.verifyAccessToken(plain)), 'token_not_yet_valid');
    clock.set(nowS * 1000);
    assert.equal(await codeOf(v.verifyAccessToken(withNbf)), 'ok');
    assert.equal(checks(), 2, 'every later answer came from the cache');
  });

  it('isRevoked runs on the cold path and on every hit', async () => {
    const issuer = await createTestIssuer();
    const revoked = new Set<string>();
    const calls: string[] = [];
    const { backend, checks } = countingBackend();
    const v = createVerifierWith({
      ...base(issuer),
      isRevoked: (claims) => {
        calls.push(claims.jti);
        return claims.sid !== undefined && revoked.has(claims.sid);
      },
    }, backend);
    const token = await issuer.mint({ sid: 's-1' });
    const other = await issuer.mint({ sid: 's-2' });
    assert.equal(await codeOf(v.verifyAccessToken(token)), 'ok');
    assert.equal(await codeOf(v.verifyAccessToken(token)), 'ok');
    revoked.add('s-1');
    assert.equal(await codeOf(v.verifyAccessToken(token)), 'token_revoked', 'revoked after it was cached');
    assert.equal(await codeOf(v.verifyAccessToken(other)), 'ok');
    assert.equal(calls.length, 4, 'called once per verification');
    assert.equal(checks(), 2, 'token was a cache hit when it was found revoked');
    const freshToken = await issuer.mint({ sid: 's-1' });
    assert.equal(await codeOf(v.verifyAccessToken(freshToken)), 'token_revoked', 'cold path');
    // Through authenticate as well.
    assert.equal(await codeOf(v.authenticate({ method: 'GET', headers: { authorization: `Bearer ${token}` } })), 'token_revoked');
  });

  it('an async isRevoked works; a throwing one fails closed with revocation_unavailable', async () => {
    const issuer = await createTestIssuer();
    let mode: 'ok' | 'revoked' | 'throw' = 'ok';
    const v = createVerifier({
      ...base(issuer),
      isRevoked: async () => {
        if (mode === 'throw') throw new Error('feed down');
        return mode === 'revoked';
      },
    });
    const token = await issuer.mint();
    assert.equal(await codeOf(v.verifyAccessToken(token)), 'ok');
    mode = 'revoked';
    assert.equal(await codeOf(v.verifyAccessToken(token)), 'token_revoked');
    mode = 'throw';
    assert.equal(await codeOf(v.verifyAccessToken(token)), 'revocation_unavailable');
    const fresh = await issuer.mint();
    assert.equal(await codeOf(v.verifyAccessToken(fresh)), 'revocation_unavailable');
    mode = 'ok';
    assert.equal(await codeOf(v.verifyAccessToken(fresh)), 'ok');
  });

  it('a token differing from a cached one in any character never hits', async () => {
    const issuer = await createTestIssuer();
    const v = createVerifier(base(issuer));
    const token = await issuer.mint();
    assert.equal(await codeOf(v.verifyAccessToken(token)), 'ok');
    const [h, p, s] = token.split('.') as [string, string, string];
    const flipped = (x: string) => x.slice(0, 5) + (x[5] === 'A' ? 'B' : 'A') + x.slice(6);
    assert.equal(await codeOf(v.verifyAccessToken(`${h}.${p}.${flipped(s)}`)), 'token_signature_invalid');
    assert.notEqual(await codeOf(v.verifyAccessToken(`${h}.${flipped(p)}.${s}`)), 'ok');
    assert.equal(await codeOf(v.verifyAccessToken(`${token}.`)), 'token_malformed');
    assert.equal(await codeOf(v.verifyAccessToken(token)), 'ok');
  });

  it('failures are never cached: a rejected token is checked afresh each time', async () => {
    const issuer = await createTestIssuer();
    let revoke = true;
    const v = createVerifier({ ...base(issuer), isRevoked: () => revoke });
    const token = await issuer.mint();
    assert.equal(await codeOf(v.verifyAccessToken(token)), 'token_revoked');
    revoke = false;
    assert.equal(await codeOf(v.verifyAccessToken(token)), 'ok');
  });
});

describe('CSRF and same-site checks are never cached', () => {
  it('each request with a cached cookie token is checked for its own CSRF header and origin', async () => {
    const issuer = await createTestIssuer();
    const { backend, checks } = countingBackend();
    const v = createVerifierWith({ ...base(issuer), trustedOrigins: ['http://localhost:8080'] }, backend);
    const token = await issuer.mint({ csrf: 'right' });
    const post = (extra: Record<string, string>) =>
      codeOf(v.authenticate({ method: 'POST', headers: { cookie: `${COOKIE}=${token}`, ...extra } }));
    assert.equal(await post({ 'x-csrf-token': 'right' }), 'ok');
    assert.equal(await post({ 'x-csrf-token': 'right' }), 'ok');
    assert.equal(await post({ 'x-csrf-token': 'wrong' }), 'csrf_token_mismatch');
    assert.equal(await post({}), 'csrf_token_missing');
    assert.equal(await post({ 'x-csrf-token': 'right', 'sec-fetch-site': 'cross-site' }), 'cross_site_request');
    assert.equal(await post({ 'x-csrf-token': 'right', origin: 'http://evil.example' }), 'cross_site_request');
    assert.equal(await post({ 'x-csrf-token': 'right' }), 'ok');
    assert.equal(checks(), 1, 'the token itself was verified once');
  });
});

describe('cache options', () => {
  it('are validated and frozen', async () => {
    const issuer = await createTestIssuer();
    const v = createVerifier(base(issuer));
    assert.deepEqual(v.options.tokenCache, { enabled: true, maxEntries: 10_000, maxBytes: 32 * 1024 * 1024 });
    assert.ok(Object.isFrozen(v.options.tokenCache));
    const rows: Array<[unknown, RegExp]> = [
      [{ tokenCache: true }, /"tokenCache"/],
      [{ tokenCache: { size: 1 } }, /"tokenCache.size": unknown option/],
      [{ tokenCache: { enabled: 'yes' } }, /"tokenCache.enabled"/],
      [{ tokenCache: { maxEntries: 0 } }, /"tokenCache.maxEntries"/],
      [{ tokenCache: { maxEntries: 1.5 } }, /"tokenCache.maxEntries"/],
      [{ tokenCache: { maxBytes: 1024 } }, /"tokenCache.maxBytes"/],
      [{ isRevoked: true }, /"isRevoked"/],
    ];
    for (const [extra, message] of rows) {
      assert.throws(() => createVerifier({ ...base(issuer), ...(extra as object) }), (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, message);
        return true;
      });
    }
  });

  it('{ enabled: false } verifies the signature every time', async () => {
    const issuer = await createTestIssuer();
    let calls = 0;
    const v = createVerifier({ ...base(issuer), tokenCache: { enabled: false }, isRevoked: () => { calls++; return false; } });
    const token = await issuer.mint();
    for (let i = 0; i < 3; i++) assert.equal(await codeOf(v.verifyAccessToken(token)), 'ok');
    assert.equal(calls, 3);
  });
});

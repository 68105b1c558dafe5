import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, decodeJwt, jwtVerify, SignJWT, generateKeyPair } from 'jose';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import { KeyManager } from '../src/keys/key-manager.js';
import { issueAccessToken, verifyOwnAccessToken } from '../src/tokens/access-token.js';
import { formatRefreshToken, newRefreshSecret, newSessionId, parseRefreshToken } from '../src/tokens/refresh-token.js';
import { safeEqual, sha256 } from '../src/tokens/crypto.js';
import { loadConfig, SIGNING_ALGORITHMS } from '../src/index.js';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];
const NOW = 1_700_000_000_000;

describe('signing keys', () => {
  for (const alg of SIGNING_ALGORITHMS) {
    it(`${alg}: generated once, kid is the RFC 7638 thumbprint, JWKS is public-only`, async () => {
      const store = openSqliteStore(':memory:');
      try {
        const km = await KeyManager.open(store.keys, alg, NOW);
        const { keys } = km.jwks();
        assert.equal(keys.length, 1);
        const jwk = keys[0]!;
        assert.equal(jwk.alg, alg);
        assert.equal(jwk.use, 'sig');
        const { kid, alg: _a, use: _u, ...bare } = jwk;
        assert.equal(kid, await calculateJwkThumbprint(bare));
        for (const m of PRIVATE_MEMBERS) assert.equal(m in jwk, false, `JWKS leaks "${m}"`);
        const again = await KeyManager.open(store.keys, alg, NOW + 1);
        assert.equal(again.signingKey().kid, kid);
        assert.equal((await store.keys.list()).length, 1);
      } finally {
        await store.close();
      }
    });
  }

  it('a changed algorithm gets a new active key; the old one stays published, retired', async () => {
    const store = openSqliteStore(':memory:');
    const a = await KeyManager.open(store.keys, 'ES256', NOW);
    const b = await KeyManager.open(store.keys, 'EdDSA', NOW + 1);
    assert.notEqual(a.signingKey().kid, b.signingKey().kid);
    assert.equal(b.signingKey().alg, 'EdDSA');
    assert.deepEqual(b.list().map((k) => k.status), ['retired', 'active']);
    assert.equal(b.jwks().keys.length, 2);
    await store.close();
  });
});

describe('access tokens', () => {
  const config = loadConfig({}, { issuer: 'https://issuer.example', audience: 'api' }, { warn: () => {} });

  it('carries the RFC 9068 header and the contract claims', async () => {
    const store = openSqliteStore(':memory:');
    const km = await KeyManager.open(store.keys, 'ES256', NOW);
    const t = await issueAccessToken(km, config, { subject: 'u1', sessionId: 's1', clientId: 'latchkey-web', csrf: 'c1', roles: ['admin'] }, NOW);
    assert.deepEqual(decodeProtectedHeader(t.token), { alg: 'ES256', typ: 'at+jwt', kid: km.signingKey().kid });
    const c = decodeJwt(t.token);
    assert.equal(c.iss, 'https://issuer.example');
    assert.equal(c.aud, 'api');
    assert.equal(c.sub, 'u1');
    assert.equal(c.sid, 's1');
    assert.equal(c.client_id, 'latchkey-web');
    assert.equal(c.scope, 'profile');
    assert.equal(c.csrf, 'c1');
    assert.deepEqual(c.roles, ['admin']);
    assert.equal(c.iat, NOW / 1000);
    assert.equal(c.exp, NOW / 1000 + 600);
    assert.equal(typeof c.jti, 'string');
    const claims = await verifyOwnAccessToken(km, config, t.token, NOW);
    assert.equal(claims.sub, 'u1');
    await assert.rejects(verifyOwnAccessToken(km, config, t.token, NOW + 631_000));
    await store.close();
  });

  for (const alg of SIGNING_ALGORITHMS) {
    it(`${alg}: signed with node:crypto, verifies with jose against the published JWKS (ES256 as raw R||S)`, async () => {
      const store = openSqliteStore(':memory:');
      try {
        const km = await KeyManager.open(store.keys, alg, NOW);
        const t = await issueAccessToken(km, config, { subject: 'u1', sessionId: 's1', clientId: 'latchkey-web' }, NOW);
        const sig = Buffer.from(t.token.split('.')[2]!, 'base64url');
        if (alg === 'ES256') assert.equal(sig.length, 64, 'JWS ES256 is IEEE P1363 (R||S), not DER');
        if (alg === 'EdDSA') assert.equal(sig.length, 64);
        const { payload, protectedHeader } = await jwtVerify(t.token, createLocalJWKSet(km.jwks()), { algorithms: [alg], typ: 'at+jwt', currentDate: new Date(NOW) });
        assert.deepEqual(protectedHeader, { alg, typ: 'at+jwt', kid: km.signingKey().kid });
        assert.equal(payload.sub, 'u1');
        // A key reloaded from the store (another process, a restart) signs the same way.
        const again = await KeyManager.readOnly(store.keys);
        const claims = await verifyOwnAccessToken(again, config, t.token, NOW);
        assert.equal(claims.jti, t.jti);
      } finally {
        await store.close();
      }
    });
  }

  it('rejects a token signed by a foreign key with the same kid', async () => {
    const store = openSqliteStore(':memory:');
    const km = await KeyManager.open(store.keys, 'ES256', NOW);
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({ client_id: 'latchkey-web', scope: 'profile' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: km.signingKey().kid })
      .setIssuer(config.issuer).setAudience(config.audience).setSubject('u1').setIssuedAt(NOW / 1000).setExpirationTime(NOW / 1000 + 60).setJti('x')
      .sign(privateKey);
    await assert.rejects(verifyOwnAccessToken(km, config, forged, NOW));
    await store.close();
  });
});

describe('refresh tokens', () => {
  it('are <22-char session id>.<43-char secret> and parse strictly', () => {
    const t = formatRefreshToken(newSessionId(), newRefreshSecret());
    assert.match(t, /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
    assert.ok(parseRefreshToken(t));
    for (const bad of ['', 'a.b', `${t}.x`, t.replace('.', '_'), `${t}a`, ` ${t}`, 42, null, t.slice(0, 22) + '.' + '+'.repeat(43)]) {
      assert.equal(parseRefreshToken(bad), null, String(bad));
    }
  });
  it('hash with SHA-256 and compare in constant time', () => {
    assert.equal(sha256('abc'), 'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
    assert.equal(safeEqual('abc', 'abc'), true);
    assert.equal(safeEqual('abc', 'abd'), false);
    assert.equal(safeEqual('abc', 'abcd'), false);
  });
});

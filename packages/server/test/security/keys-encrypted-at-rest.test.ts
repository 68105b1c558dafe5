import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aesGcmProtector, AES_GCM_PROTECTION } from '../../src/keys/aes-gcm-protector.js';
import { KeyManager } from '../../src/keys/key-manager.js';
import { plaintextProtector } from '../../src/keys/protector.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { buildApp, loadConfig, ConfigError, KeyProtectionError } from '../../src/index.js';

const SECRET = 'correct-horse-battery-staple-0123456789';
const OTHER = 'another-secret-that-is-long-enough-000000';

describe('private signing keys encrypted at rest', () => {
  it('AES-256-GCM seals with a fresh IV each time, opens only with the same secret, and detects tampering', async () => {
    const p = aesGcmProtector(SECRET);
    const jwk = { kty: 'EC', crv: 'P-256', d: 'private-part', x: 'x', y: 'y', kid: 'k1' };
    const a = await p.seal(jwk);
    const b = await p.seal(jwk);
    assert.notEqual(a, b);
    assert.ok(!a.includes('private-part'));
    assert.deepEqual(await p.open(a), jwk);
    await assert.rejects(aesGcmProtector(OTHER).open(a), KeyProtectionError);
    const [v, iv, ct, tag] = a.split('.') as [string, string, string, string];
    const flipped = Buffer.from(ct, 'base64url');
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    for (const bad of [`${v}.${iv}.${flipped.toString('base64url')}.${tag}`, `${v}.${iv}.${ct}.${'A'.repeat(tag.length)}`, 'v1.a.b', '{"d":"x"}', `v2.${iv}.${ct}.${tag}`]) {
      await assert.rejects(p.open(bad), KeyProtectionError);
    }
    assert.throws(() => aesGcmProtector('short'), KeyProtectionError);
  });

  it('the server stores only sealed private keys and refuses to start with a missing or wrong key, naming the setting', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-kek-'));
    const config = (kek: string | null) =>
      loadConfig({}, { dataDir: dir, issuer: 'http://localhost:8080', audience: 'a', keyEncryptionKey: kek }, { warn: () => {} });
    try {
      const app = await buildApp(config(SECRET));
      const jwks = (await app.inject({ url: '/.well-known/jwks.json' })).json<{ keys: { kid: string }[] }>();
      await app.close();

      const store = openSqliteStore(dir);
      const rows = await store.keys.list();
      await store.close();
      assert.equal(rows.length, 1);
      assert.equal(rows[0]?.protection, AES_GCM_PROTECTION);
      assert.ok(!rows[0]?.privateJwk.includes('"d"'));

      // Same secret: same key set, nothing regenerated.
      const again = await buildApp(config(SECRET));
      assert.deepEqual((await again.inject({ url: '/.well-known/jwks.json' })).json(), jwks);
      await again.close();

      await assert.rejects(buildApp(config(null)), (err: unknown) => err instanceof KeyProtectionError && /LATCHKEY_KEY_ENCRYPTION_KEY/.test(err.message));
      await assert.rejects(buildApp(config(OTHER)), (err: unknown) => err instanceof KeyProtectionError && /does not decrypt/.test(err.message));
      // Neither failed start generated a competing key.
      const check = openSqliteStore(dir);
      assert.equal((await check.keys.list()).length, 1);
      await check.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keys stored before encryption was switched on stay readable (until rotated)', async () => {
    const store = openSqliteStore(':memory:');
    try {
      const plain = await KeyManager.open(store.keys, 'ES256', Date.now(), plaintextProtector);
      const sealed = await KeyManager.open(store.keys, 'ES256', Date.now(), aesGcmProtector(SECRET));
      assert.equal(sealed.signingKey().kid, plain.signingKey().kid);
    } finally {
      await store.close();
    }
  });

  it('config: the encryption key is validated, never enumerable, never echoed', () => {
    const c = loadConfig({ LATCHKEY_KEY_ENCRYPTION_KEY: SECRET }, {}, { warn: () => {} });
    assert.equal(c.keyEncryptionKey, SECRET);
    assert.ok(!JSON.stringify(c).includes(SECRET));
    assert.ok(!Object.keys(c).includes('keyEncryptionKey'));
    assert.throws(
      () => loadConfig({ LATCHKEY_KEY_ENCRYPTION_KEY: 'too-short-secret' }, {}, { warn: () => {} }),
      (err: unknown) => err instanceof ConfigError && err.option === 'keyEncryptionKey' && !err.message.includes('too-short-secret'),
    );
  });
});

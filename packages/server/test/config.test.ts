import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, DEFAULTS, ConfigError } from '../src/index.js';

const quiet = { warn: () => {} };

describe('config', () => {
  it('uses documented defaults and returns a frozen object', () => {
    const c = loadConfig({}, {}, quiet);
    assert.equal(c.accessTokenTtlSeconds, 600);
    assert.equal(c.refreshTokenTtlSeconds, 2_592_000);
    assert.equal(c.signingAlgorithm, 'ES256');
    assert.equal(c.dataDir, './.latchkey');
    assert.equal(c.signupEnabled, true);
    assert.deepEqual(c.trustProxy, []);
    assert.equal(c.rateLimits, true);
    assert.equal(c.passwordMinLength, 8);
    assert.equal(c.passwordMaxBytes, 1024);
    assert.equal(c.bodyLimit, 16384);
    assert.ok(Object.isFrozen(c));
    assert.ok(Object.isFrozen(c.corsOrigins));
    assert.ok(Object.isFrozen(DEFAULTS));
  });

  it('reads the environment', () => {
    const c = loadConfig(
      {
        LATCHKEY_ISSUER: 'http://localhost:8080',
        LATCHKEY_AUDIENCE: 'shop-api',
        PORT: '0',
        LATCHKEY_DATA_DIR: '/tmp/x',
        LATCHKEY_SIGNING_ALG: 'EdDSA',
        LATCHKEY_ACCESS_TTL: '300',
        LATCHKEY_CORS_ORIGINS: 'http://localhost:3000, https://app.example.com',
        LATCHKEY_SIGNUP_ENABLED: 'false',
      },
      {},
      quiet,
    );
    assert.equal(c.issuer, 'http://localhost:8080');
    assert.equal(c.audience, 'shop-api');
    assert.equal(c.port, 0);
    assert.equal(c.signingAlgorithm, 'EdDSA');
    assert.equal(c.accessTokenTtlSeconds, 300);
    assert.deepEqual(c.corsOrigins, ['http://localhost:3000', 'https://app.example.com']);
    assert.equal(c.signupEnabled, false);
  });

  it('refresh grace window and revocation feed token: defaults and environment', () => {
    const d = loadConfig({}, {}, quiet);
    assert.equal(d.refreshGraceSeconds, 10);
    assert.equal(d.revocationFeedToken, null);
    const c = loadConfig({ LATCHKEY_REFRESH_GRACE: '0', LATCHKEY_REVOCATION_FEED_TOKEN: 'f'.repeat(43) }, {}, quiet);
    assert.equal(c.refreshGraceSeconds, 0);
    assert.equal(c.revocationFeedToken, 'f'.repeat(43));
    assert.ok(!Object.keys(c).includes('revocationFeedToken'), 'the feed secret is not enumerable');
  });

  it('store settings: SQLite unless LATCHKEY_DATABASE_URL; Redis only with LATCHKEY_REDIS_URL', () => {
    const plain = loadConfig({}, {}, quiet);
    assert.equal(plain.databaseUrl, null);
    assert.equal(plain.redisUrl, null);
    assert.equal(plain.keyEncryptionKey, null);
    assert.equal(plain.databasePoolSize, 10);
    const c = loadConfig(
      {
        LATCHKEY_DATABASE_URL: 'postgres://u:pw@db.internal:5432/latchkey',
        LATCHKEY_DATABASE_SCHEMA: 'auth',
        LATCHKEY_DATABASE_POOL_SIZE: '20',
        LATCHKEY_REDIS_URL: 'rediss://cache.internal:6380',
        LATCHKEY_REDIS_PREFIX: 'lk:prod:',
      },
      {},
      quiet,
    );
    assert.equal(c.databaseUrl, 'postgres://u:pw@db.internal:5432/latchkey');
    assert.equal(c.databaseSchema, 'auth');
    assert.equal(c.databasePoolSize, 20);
    assert.equal(c.redisUrl, 'rediss://cache.internal:6380');
    assert.equal(c.redisKeyPrefix, 'lk:prod:');
  });

  it('bad config fails fast naming the option', () => {
    const cases: [Record<string, string>, Record<string, unknown>, string][] = [
      [{}, { nope: 1 }, 'nope'],
      [{}, { accessTokenTtlSeconds: 59 }, 'accessTokenTtlSeconds'],
      [{}, { accessTokenTtlSeconds: 3601 }, 'accessTokenTtlSeconds'],
      [{ LATCHKEY_ACCESS_TTL: '10m' }, {}, 'accessTokenTtlSeconds'],
      [{}, { signingAlgorithm: 'HS256' }, 'signingAlgorithm'],
      [{}, { signingAlgorithm: 'none' }, 'signingAlgorithm'],
      [{ LATCHKEY_CORS_ORIGINS: '*' }, {}, 'corsOrigins'],
      [{ LATCHKEY_CORS_ORIGINS: 'http://a.example/path' }, {}, 'corsOrigins'],
      [{ LATCHKEY_ISSUER: 'not a url' }, {}, 'issuer'],
      [{ LATCHKEY_ISSUER: 'http://x.example/' }, {}, 'issuer'],
      [{ PORT: '70000' }, {}, 'port'],
      [{}, { audience: '' }, 'audience'],
      [{ LATCHKEY_SIGNUP_ENABLED: 'maybe' }, {}, 'signupEnabled'],
      [{ LATCHKEY_REFRESH_GRACE: '61' }, {}, 'refreshGraceSeconds'],
      [{}, { refreshGraceSeconds: -1 }, 'refreshGraceSeconds'],
      [{ LATCHKEY_REVOCATION_FEED_TOKEN: 'short' }, {}, 'revocationFeedToken'],
      [{}, { revocationFeedToken: `${'x'.repeat(40)} y` }, 'revocationFeedToken'],
      [{ LATCHKEY_DATABASE_URL: 'mysql://u:p@h/db' }, {}, 'databaseUrl'],
      [{ LATCHKEY_DATABASE_URL: 'not a url' }, {}, 'databaseUrl'],
      [{ LATCHKEY_DATABASE_SCHEMA: 'Public; DROP' }, {}, 'databaseSchema'],
      [{ LATCHKEY_DATABASE_POOL_SIZE: '1' }, {}, 'databasePoolSize'],
      [{ LATCHKEY_DATABASE_STATEMENT_TIMEOUT_MS: '5s' }, {}, 'databaseStatementTimeoutMs'],
      [{ LATCHKEY_REDIS_URL: 'http://127.0.0.1:6379' }, {}, 'redisUrl'],
      [{ LATCHKEY_REDIS_PREFIX: 'has space' }, {}, 'redisKeyPrefix'],
      [{ LATCHKEY_KEY_ENCRYPTION_KEY: 'short' }, {}, 'keyEncryptionKey'],
    ];
    for (const [env, over, option] of cases) {
      assert.throws(
        () => loadConfig(env, over as never, quiet),
        (err: unknown) =>
          err instanceof ConfigError &&
          err.option === option &&
          err.message.includes(option) &&
          // Values that may carry a secret are never echoed.
          !(['databaseUrl', 'redisUrl', 'keyEncryptionKey'].includes(option) && Object.values(env).some((v) => err.message.includes(v))),
        `${JSON.stringify({ env, over })} should fail on ${option}`,
      );
    }
  });
});

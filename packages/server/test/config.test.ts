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
    assert.equal(c.trustProxy, false);
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
    ];
    for (const [env, over, option] of cases) {
      assert.throws(
        () => loadConfig(env, over as never, quiet),
        (err: unknown) => err instanceof ConfigError && err.option === option && err.message.includes(option),
        `${JSON.stringify({ env, over })} should fail on ${option}`,
      );
    }
  });
});

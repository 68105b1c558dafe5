import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createTestIssuer } from '@latchkey/testkit';
import { ConfigError, createVerifier, resolveVerifier, type VerifierOptions } from '../src/index.js';

const issuer = await createTestIssuer();
const base: VerifierOptions = { issuer: issuer.issuer, audience: issuer.audience, jwks: issuer.jwks };

it('valid options are accepted, defaulted and frozen', () => {
  const v = createVerifier(base);
  assert.ok(Object.isFrozen(v.options));
  assert.equal(v.options.clockSkewSeconds, 30);
  assert.equal(v.options.maxTokenLifetimeSeconds, 3600);
  assert.deepEqual(v.options.algorithms, ['ES256', 'EdDSA', 'RS256']);
  assert.deepEqual(v.options.audience, [issuer.audience]);
  assert.throws(() => {
    (v.options as { issuer: string }).issuer = 'x';
  }, TypeError);
});

it('bad options fail fast with ConfigError naming the option', () => {
  const { issuer: _i, ...noIssuer } = base;
  const { audience: _a, ...noAudience } = base;
  const rows: Array<[string, unknown, RegExp]> = [
    ['not an object', null, /object/],
    ['issuer missing', noIssuer, /"issuer"/],
    ['issuer empty', { ...base, issuer: '' }, /"issuer"/],
    ['audience missing', noAudience, /"audience"/],
    ['audience empty array', { ...base, audience: [] }, /"audience"/],
    ['audience with a non-string', { ...base, audience: ['a', 1] }, /"audience"/],
    ['unknown key', { ...base, issuerr: 'x' }, /"issuerr": unknown option/],
    ['no key source', { issuer: 'a', audience: 'b' }, /"jwksUri"/],
    ['both key sources', { ...base, jwksUri: 'http://127.0.0.1/jwks' }, /"jwksUri"/],
    ['jwksUri not a URL', { issuer: 'a', audience: 'b', jwksUri: 'jwks.json' }, /"jwksUri"/],
    ['jwksUri not http', { issuer: 'a', audience: 'b', jwksUri: 'file:///etc/passwd' }, /"jwksUri"/],
    ['jwks with a private key', { ...base, jwks: { keys: [{ kty: 'EC', d: 'x' }] } }, /"jwks"/],
    ['jwks with a symmetric key', { ...base, jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }, /"jwks"/],
    ['jwks not a set', { ...base, jwks: { keys: 'nope' } }, /"jwks"/],
    ['alg none', { ...base, algorithms: ['none'] }, /"algorithms"/],
    ['alg HS256', { ...base, algorithms: ['ES256', 'HS256'] }, /never none or HMAC/],
    ['empty algorithms', { ...base, algorithms: [] }, /"algorithms"/],
    ['skew NaN', { ...base, clockSkewSeconds: Number.NaN }, /"clockSkewSeconds"/],
    ['skew negative', { ...base, clockSkewSeconds: -1 }, /"clockSkewSeconds"/],
    ['skew over 300', { ...base, clockSkewSeconds: 301 }, /"clockSkewSeconds"/],
    ['skew as string', { ...base, clockSkewSeconds: '30' }, /"clockSkewSeconds"/],
    ['lifetime 0', { ...base, maxTokenLifetimeSeconds: 0 }, /"maxTokenLifetimeSeconds"/],
    ['lifetime Infinity', { ...base, maxTokenLifetimeSeconds: Infinity }, /"maxTokenLifetimeSeconds"/],
    ['lifetime over a day', { ...base, maxTokenLifetimeSeconds: 86_401 }, /"maxTokenLifetimeSeconds"/],
    ['timeout fractional', { ...base, jwksTimeoutMs: 1.5 }, /"jwksTimeoutMs"/],
    ['trusted origin with a path', { ...base, trustedOrigins: ['http://a.example/path'] }, /"trustedOrigins"/],
    ['trusted origin not a URL', { ...base, trustedOrigins: ['*'] }, /"trustedOrigins"/],
    ['fetch not a function', { ...base, fetch: 'fetch' }, /"fetch"/],
    ['now not a function', { ...base, now: 5 }, /"now"/],
  ];
  for (const [name, options, message] of rows) {
    assert.throws(() => createVerifier(options as VerifierOptions), (err: unknown) => {
      assert.ok(err instanceof ConfigError, name);
      assert.equal(err.code, 'config_error');
      assert.match(err.message, message, name);
      return true;
    }, name);
  }
});

it('a trailing slash on a trusted origin is normalised away', () => {
  const v = createVerifier({ ...base, trustedOrigins: ['http://localhost:8080/'] });
  assert.deepEqual(v.options.trustedOrigins, ['http://localhost:8080']);
});

it('the caller mutating options afterwards changes nothing', () => {
  const audience = [issuer.audience];
  const v = createVerifier({ ...base, audience });
  audience.push('injected');
  assert.deepEqual(v.options.audience, [issuer.audience]);
});

it('resolveVerifier shares a given verifier and refuses mixed or bogus input', () => {
  const v = createVerifier(base);
  assert.equal(resolveVerifier({ verifier: v }), v);
  assert.notEqual(resolveVerifier(base), v);
  assert.throws(() => resolveVerifier({ verifier: v, issuer: 'x' } as never), ConfigError);
  assert.throws(() => resolveVerifier({ verifier: {} } as never), ConfigError);
});

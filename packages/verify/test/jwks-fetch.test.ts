import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestIssuer, startJwksServer, unreachableUrl, type JwksServer, type TestIssuer } from '@latchkey/testkit';
import { createVerifier, KeysUnavailableError, TokenKeyUnknownError } from '../src/index.js';

describe('remote JWKS', () => {
  let issuer: TestIssuer;
  let server: JwksServer;
  before(async () => {
    issuer = await createTestIssuer();
    server = await startJwksServer(issuer.jwks);
  });
  after(() => server.close());

  it('caches: two verifications, one fetch', async () => {
    server.setJwks(issuer.jwks);
    const start = server.requests();
    const v = createVerifier({ issuer: issuer.issuer, audience: issuer.audience, jwksUri: server.url });
    await v.verifyAccessToken(await issuer.mint());
    await v.verifyAccessToken(await issuer.mint());
    assert.equal(server.requests() - start, 1);
  });

  it('concurrent first verifications share one fetch', async () => {
    const start = server.requests();
    const v = createVerifier({ issuer: issuer.issuer, audience: issuer.audience, jwksUri: server.url });
    const tokens = await Promise.all([1, 2, 3, 4].map(() => issuer.mint()));
    await Promise.all(tokens.map((t) => v.verifyAccessToken(t)));
    assert.equal(server.requests() - start, 1);
  });

  it('an unknown kid refetches at most once per cooldown', async () => {
    const start = server.requests();
    const v = createVerifier({ issuer: issuer.issuer, audience: issuer.audience, jwksUri: server.url, jwksCooldownMs: 60_000 });
    await v.verifyAccessToken(await issuer.mint());
    for (let i = 0; i < 5; i++) {
      await assert.rejects(v.verifyAccessToken(await issuer.mint({}, { kid: `unknown-${i}` })), TokenKeyUnknownError);
    }
    assert.equal(server.requests() - start, 1, 'within the cooldown an unknown kid must not refetch');
  });

  it('after the cooldown an unknown kid refetches once and finds a rotated key', async () => {
    const rotated = await createTestIssuer({ issuer: issuer.issuer, audience: issuer.audience });
    server.setJwks(issuer.jwks);
    const start = server.requests();
    const v = createVerifier({ issuer: issuer.issuer, audience: issuer.audience, jwksUri: server.url, jwksCooldownMs: 0 });
    await v.verifyAccessToken(await issuer.mint());
    server.setJwks({ keys: [...issuer.jwks.keys, ...rotated.jwks.keys] });
    await v.verifyAccessToken(await rotated.mint());
    assert.equal(server.requests() - start, 2);
    server.setJwks(issuer.jwks);
  });

  it('a slow JWKS → keys_unavailable after the timeout, no hang', async () => {
    const slow = await startJwksServer(issuer.jwks);
    slow.setHang(true);
    try {
      const v = createVerifier({ issuer: issuer.issuer, audience: issuer.audience, jwksUri: slow.url, jwksTimeoutMs: 200 });
      await assert.rejects(v.verifyAccessToken(await issuer.mint()), KeysUnavailableError);
      assert.equal(slow.requests(), 1);
    } finally {
      await slow.close();
    }
  });

  it('an unreachable JWKS → keys_unavailable', async () => {
    const v = createVerifier({ issuer: issuer.issuer, audience: issuer.audience, jwksUri: await unreachableUrl() });
    await assert.rejects(v.verifyAccessToken(await issuer.mint()), KeysUnavailableError);
  });
});

describe('injected fetch', () => {
  it('is used for the key set, and bad answers map to keys_unavailable', async () => {
    const issuer = await createTestIssuer();
    const seen: string[] = [];
    const answers: Array<() => Response> = [
      () => new Response('oops', { status: 500 }),
      () => new Response('not json', { status: 200 }),
      () => new Response(JSON.stringify({ nope: true }), { status: 200 }),
      () => new Response(null, { status: 302, headers: { location: 'http://attacker.example/jwks' } }),
    ];
    for (const answer of answers) {
      const v = createVerifier({
        issuer: issuer.issuer,
        audience: issuer.audience,
        jwksUri: 'https://keys.example/jwks.json',
        fetch: async (url) => {
          seen.push(url);
          return answer();
        },
      });
      await assert.rejects(v.verifyAccessToken(await issuer.mint()), KeysUnavailableError);
    }
    const ok = createVerifier({
      issuer: issuer.issuer,
      audience: issuer.audience,
      jwksUri: 'https://keys.example/jwks.json',
      fetch: async () => Response.json(issuer.jwks),
    });
    assert.equal((await ok.verifyAccessToken(await issuer.mint({ sub: 'x' }))).sub, 'x');
    assert.deepEqual(new Set(seen), new Set(['https://keys.example/jwks.json']));
  });

  it('a fetch that throws maps to keys_unavailable', async () => {
    const issuer = await createTestIssuer();
    const v = createVerifier({
      issuer: issuer.issuer,
      audience: issuer.audience,
      jwksUri: 'https://keys.example/jwks.json',
      fetch: async () => {
        throw new TypeError('network down');
      },
    });
    await assert.rejects(v.verifyAccessToken(await issuer.mint()), KeysUnavailableError);
  });
});

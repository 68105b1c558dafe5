import { describe, it } from 'node:test';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import assert from 'node:assert/strict';
import type { JSONWebKeySet } from 'jose';
import { createVerifier, TokenKeyUnknownError, type Verifier } from '@latchkey/verify';
import { KeyManager } from '../src/keys/key-manager.js';
import { issueAccessToken } from '../src/tokens/access-token.js';
import { loadConfig, openSqliteStore } from '../src/index.js';
import { rotationPolicy } from '../src/app.js';
import { makeServer } from './helpers.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('signing-key rotation over simulated time', () => {
  const config = loadConfig(
    {},
    { issuer: 'http://localhost:8080', audience: 'shop-api', accessTokenTtlSeconds: 600, keyRotationIntervalSeconds: 86_400, keyPublishLeadSeconds: 3600, jwksMaxAgeSeconds: 300 },
    { warn: () => {} },
  );

  it('no valid token is ever refused while keys rotate, with services that refresh their JWKS cache only every 10 min and never on an unknown kid', async () => {
    const store = openSqliteStore(':memory:');
    let now = Date.UTC(2030, 0, 1);
    const km = await KeyManager.open(store.keys, 'ES256', now, undefined, rotationPolicy(config));
    // Three services whose caches were filled at different moments; cache lifetime 10 min (the SDK default).
    const CACHE_MS = 10 * MIN;
    const services = [0, 3, 7].map((offsetMin) => ({ fetchedAt: -Infinity, offsetMs: offsetMin * MIN, verifier: null as Verifier | null }));
    const live: { token: string; exp: number; kid: string }[] = [];
    const kidsSeen = new Set<string>();
    let checks = 0;
    const end = now + 3 * DAY;
    for (; now < end; now += 5 * MIN) {
      await km.tick(now);
      for (const s of services) {
        if (now - s.fetchedAt >= CACHE_MS || s.fetchedAt === -Infinity) {
          // Caches refresh on their own schedule (staggered by offsetMs), not when the server rotates.
          if (s.fetchedAt === -Infinity) s.fetchedAt = now - s.offsetMs;
          else s.fetchedAt = now;
          const jwks: JSONWebKeySet = structuredClone(km.jwks());
          s.verifier = createVerifier({ issuer: config.issuer, audience: config.audience, jwks, now: () => now });
        }
      }
      const t = await issueAccessToken(km, config, { subject: 'u', sessionId: 's', clientId: 'latchkey-web' }, now);
      kidsSeen.add(km.signingKey().kid);
      live.push({ token: t.token, exp: t.expiresAt * 1000, kid: km.signingKey().kid });
      while (live.length > 0 && live[0]!.exp <= now) live.shift();
      for (const s of services) {
        // The real SDK would refetch on an unknown kid; this model never does, so pre-publishing alone must suffice.
        for (const l of live) {
          await s.verifier!.verifyAccessToken(l.token);
          checks += 1;
        }
      }
    }
    assert.ok(kidsSeen.size >= 3, `rotated through ${kidsSeen.size} keys`);
    assert.ok(checks > 1000, `${checks} checks`);
    // Old keys leave the JWKS once their tokens have expired; the set stays small.
    const statuses = km.list().map((k) => k.status);
    assert.ok(statuses.filter((s) => s === 'removed').length >= 2, statuses.join());
    assert.ok(km.jwks().keys.length <= 3);
    assert.equal(statuses.filter((s) => s === 'active').length, 1);
    await store.close();
  });

  it('lifecycle: next is published lead-time ahead, becomes active, old one retired until TTL + skew, then removed', async () => {
    const store = openSqliteStore(':memory:');
    const t0 = Date.UTC(2030, 0, 1);
    const km = await KeyManager.open(store.keys, 'ES256', t0, undefined, rotationPolicy(config));
    const first = km.signingKey().kid;
    await km.tick(t0 + DAY - HOUR - 1);
    assert.deepEqual(km.list().map((k) => k.status), ['active']);
    await km.tick(t0 + DAY - HOUR);
    const next = km.list().find((k) => k.status === 'next');
    assert.ok(next, 'the next key is published an hour ahead');
    assert.equal(next.activateAt, t0 + DAY);
    assert.ok(km.jwks().keys.some((k) => k.kid === next.kid));
    assert.equal(km.signingKey().kid, first, 'but does not sign yet');
    await km.tick(t0 + DAY);
    assert.equal(km.signingKey().kid, next.kid);
    const old = km.list().find((k) => k.kid === first)!;
    assert.equal(old.status, 'retired');
    assert.equal(old.publishUntil, t0 + DAY + 600_000 + 30_000);
    await km.tick(t0 + DAY + 630_000 - 1);
    assert.ok(km.jwks().keys.some((k) => k.kid === first));
    await km.tick(t0 + DAY + 630_000);
    assert.equal(km.list().find((k) => k.kid === first)!.status, 'removed');
    assert.ok(!km.jwks().keys.some((k) => k.kid === first));
    await store.close();
  });

  it("a retired (compromised) key is removed from the JWKS at once and its tokens are refused after the service's next key refresh", async () => {
    const store = openSqliteStore(':memory:');
    let now = Date.UTC(2030, 0, 1);
    const km = await KeyManager.open(store.keys, 'ES256', now, undefined, rotationPolicy(config));
    const compromised = km.signingKey().kid;
    const stolen = await issueAccessToken(km, config, { subject: 'u', sessionId: 's', clientId: 'latchkey-web' }, now);
    const cached = createVerifier({ issuer: config.issuer, audience: config.audience, jwks: structuredClone(km.jwks()), now: () => now });
    assert.equal(await km.retireNow(compromised, now), true);
    assert.notEqual(km.signingKey().kid, compromised, 'a fresh key signs');
    assert.ok(!km.jwks().keys.some((k) => k.kid === compromised));
    now += MIN;
    // Until its next refresh a service still has the old key cached (documented); after it, refused.
    await cached.verifyAccessToken(stolen.token);
    const refreshed = createVerifier({ issuer: config.issuer, audience: config.audience, jwks: structuredClone(km.jwks()), now: () => now });
    await assert.rejects(refreshed.verifyAccessToken(stolen.token), TokenKeyUnknownError);
    const fresh = await issueAccessToken(km, config, { subject: 'u', sessionId: 's', clientId: 'latchkey-web' }, now);
    await refreshed.verifyAccessToken(fresh.token);
    assert.equal(await km.retireNow(compromised, now), false, 'already removed');
    await store.close();
  });

  it('config: the publish lead must exceed the JWKS max-age, and the interval the lead', () => {
    assert.throws(() => loadConfig({}, { keyPublishLeadSeconds: 300, jwksMaxAgeSeconds: 300 }, { warn: () => {} }), /keyPublishLeadSeconds/);
    assert.throws(() => loadConfig({}, { keyRotationIntervalSeconds: 3600, keyPublishLeadSeconds: 7200 }, { warn: () => {} }), /keyRotationIntervalSeconds/);
    assert.equal(loadConfig({}, { keyRotationIntervalSeconds: 0 }, { warn: () => {} }).keyRotationIntervalSeconds, 0);
  });
});

describe('JWKS over HTTP: Cache-Control, strong ETag, 304; the SDK refetches on an unknown kid', () => {
  it('answers 304 to If-None-Match with the current ETag, 200 with the new body after a rotation', async () => {
    const s = await makeServer({ jwksMaxAgeSeconds: 120, keyPublishLeadSeconds: 600 });
    try {
      const first = await s.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
      assert.equal(first.statusCode, 200);
      assert.equal(first.headers['cache-control'], 'public, max-age=120');
      const etag = String(first.headers['etag']);
      assert.match(etag, /^"[A-Za-z0-9_-]{43}"$/, 'a strong ETag');
      const again = await s.app.inject({ method: 'GET', url: '/.well-known/jwks.json', headers: { 'if-none-match': etag } });
      assert.equal(again.statusCode, 304);
      assert.equal(again.body, '');
      assert.equal(again.headers['etag'], etag);
      const weakOrOther = await s.app.inject({ method: 'GET', url: '/.well-known/jwks.json', headers: { 'if-none-match': '"something-else"' } });
      assert.equal(weakOrOther.statusCode, 200);
    } finally {
      await s.close();
    }
  });

  it("a verifier with a long JWKS cache picks up a key rotated 'now' through one refetch on the unknown kid, at most once per cooldown", async () => {
    const store = openSqliteStore(':memory:');
    const config = loadConfig({}, { issuer: 'http://localhost:8080', audience: 'shop-api' }, { warn: () => {} });
    const km = await KeyManager.open(store.keys, 'ES256', Date.now(), undefined, rotationPolicy(config));
    const server = createServer((_req, res) => {
      const { body, etag } = km.jwksDocument();
      res.writeHead(200, { 'content-type': 'application/jwk-set+json', etag }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      let fetches = 0;
      const make = (cooldownMs: number) =>
        createVerifier({
          issuer: config.issuer,
          audience: config.audience,
          jwksUri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`,
          jwksCacheMaxAgeMs: 3_600_000,
          jwksCooldownMs: cooldownMs,
          fetch: (url, init) => {
            fetches += 1;
            return fetch(url, init);
          },
        });
      const mint = async () => (await issueAccessToken(km, config, { subject: 'u', sessionId: 's', clientId: 'c' }, Date.now())).token;
      const v = make(0);
      await v.verifyAccessToken(await mint());
      assert.equal(fetches, 1);
      await km.rotateNow(Date.now());
      await v.verifyAccessToken(await mint());
      assert.equal(fetches, 2, 'exactly one refetch for the new kid');
      // With a cooldown, a burst of unknown kids right after a fetch causes no further fetches.
      fetches = 0;
      const cool = make(60_000);
      await cool.verifyAccessToken(await mint());
      await km.rotateNow(Date.now());
      const unknown = await mint();
      for (let i = 0; i < 5; i++) await assert.rejects(cool.verifyAccessToken(unknown), TokenKeyUnknownError);
      assert.equal(fetches, 1, 'no refetch inside the cooldown');
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await store.close();
    }
  });
});

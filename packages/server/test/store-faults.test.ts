/**
 * PostgreSQL or Redis going away under a running auth server, through cuttable TCP proxies (the real
 * services stay up for everyone else): requests get a clear 503 `store_unavailable`, the server
 * recovers by itself when the service returns, and no refresh is ever half-applied.
 */
import { it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp, loadConfig, openPostgresStore, StoreUnavailableError, type Store } from '../src/index.js';
import type { PasswordHasher } from '../src/auth/passwords.js';
import { JSON_HEADERS, assertJsonError } from './helpers.js';
import { deleteRedisPrefix, describeWith, dropSchema, PG_URL, pgTarget, pgUrlVia, redisTarget, redisUrlVia, testName } from './services.js';
import { startProxy, type CuttableProxy } from './tcp-proxy.js';
import { eventually } from './eventually.js';

// Password hashing is not under test here; keep logins cheap.
const fastHasher: PasswordHasher = {
  hash: async (p) => `plain:${p}`,
  verify: async (h, p) => h === `plain:${p}`,
};
const sha = (s: string) => createHash('sha256').update(s).digest('base64url');

await describeWith(['postgres', 'redis'], 'store faults (PostgreSQL and Redis cut under a running server)', () => {
  const schema = testName();
  const prefix = `${schema}:`;
  let pgProxy: CuttableProxy;
  let redisProxy: CuttableProxy;
  let app: FastifyInstance;
  let direct: Store; // a second connection, straight to PostgreSQL, to inspect what was committed

  before(async () => {
    pgProxy = await startProxy(pgTarget());
    redisProxy = await startProxy(redisTarget());
    const config = loadConfig(
      {},
      {
        issuer: 'http://localhost:8080',
        audience: 'shop-api',
        databaseUrl: pgUrlVia(pgProxy.port),
        databaseSchema: schema,
        databasePoolSize: 4,
        databaseStatementTimeoutMs: 2000,
        storeConnectTimeoutMs: 1000,
        redisUrl: redisUrlVia(redisProxy.port),
        redisKeyPrefix: prefix,
      },
      { warn: () => {} },
    );
    app = await buildApp(config, { passwords: fastHasher });
    direct = await openPostgresStore({ connectionString: PG_URL, schema, migrate: false, poolSize: 2 });
    const res = await app.inject({ method: 'POST', url: '/auth/signup', headers: JSON_HEADERS, payload: { email: 'f@example.com', password: 'password-123' } });
    assert.equal(res.statusCode, 201);
  });
  after(async () => {
    pgProxy?.restore();
    redisProxy?.restore();
    await app?.close();
    await direct?.close();
    await pgProxy?.close();
    await redisProxy?.close();
    await dropSchema(schema);
    await deleteRedisPrefix(prefix);
  });

  async function loginToken(): Promise<string> {
    const res = await app.inject({ method: 'POST', url: '/auth/login', headers: JSON_HEADERS, payload: { email: 'f@example.com', password: 'password-123', mode: 'token' } });
    assert.equal(res.statusCode, 200, res.body);
    return res.json<{ refresh_token: string }>().refresh_token;
  }
  const refresh = (rt: string): Promise<LightMyRequestResponse> =>
    app.inject({ method: 'POST', url: '/auth/refresh', headers: JSON_HEADERS, payload: { refresh_token: rt } });

  function assert503(res: LightMyRequestResponse): void {
    assertJsonError(res, 503, 'store_unavailable');
    assert.equal(res.headers['retry-after'], '1');
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.ok(!res.body.includes('127.0.0.1') && !res.body.includes(schema), 'no connection details on the wire');
  }

  it('PostgreSQL cut: refresh, login, me and healthz answer 503 store_unavailable; JWKS keeps serving; all recover by themselves', async () => {
    const rt = await loginToken();
    pgProxy.cut();
    try {
      assert503(await refresh(rt));
      assert503(await app.inject({ method: 'POST', url: '/auth/login', headers: JSON_HEADERS, payload: { email: 'f@example.com', password: 'password-123' } }));
      assert503(await app.inject({ url: '/healthz' }));
      // Keys are in memory: resource services keep verifying.
      assert.equal((await app.inject({ url: '/.well-known/jwks.json' })).statusCode, 200);
    } finally {
      pgProxy.restore();
    }
    // The failed attempt rotated nothing: the same refresh token works once the database is back.
    const ok = await eventually(async () => {
      const res = await refresh(rt);
      assert.equal(res.statusCode, 200, res.body);
      return res;
    });
    assert.equal((await refresh(ok.json<{ refresh_token: string }>().refresh_token)).statusCode, 200);
    assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200);
  });

  it('PostgreSQL cut in the middle of a burst of refreshes: every session ends with exactly one live secret', async () => {
    const tokens = await Promise.all(Array.from({ length: 16 }, () => loginToken()));
    // Cut as soon as the first refresh has completed, while the others are queued or at the database.
    let cut = false;
    const inflight = tokens.map((rt) =>
      refresh(rt).then((res) => {
        if (!cut) {
          cut = true;
          pgProxy.cut();
        }
        return res;
      }),
    );
    const results = await Promise.all(inflight);
    pgProxy.restore();
    assert.ok(results.every((r) => r.statusCode === 200 || r.statusCode === 503), results.map((r) => r.statusCode).join());
    assert.ok(results.some((r) => r.statusCode === 200) && results.some((r) => r.statusCode === 503), 'the cut landed mid-burst');
    for (const res of results) if (res.statusCode === 503) assert503(res);
    if (process.env.LATCHKEY_TEST_VERBOSE) console.log('burst outcome:', results.map((r) => r.statusCode).join(' '));

    for (const [i, rt] of tokens.entries()) {
      const [sid, secret] = rt.split('.') as [string, string];
      const row = await direct.sessions.get(sid);
      assert.ok(row);
      assert.equal(row.revokedAt, null);
      const res = results[i]!;
      if (res.statusCode === 200) {
        // Rotated once, and the client holds the successor.
        const next = res.json<{ refresh_token: string }>().refresh_token.split('.')[1]!;
        assert.equal(row.refreshHash, sha(next));
        assert.equal(row.previousRefreshHash, sha(secret));
      } else {
        // 503: either nothing happened, or the rotation committed and only the answer was lost —
        // never a partial state, never two successors.
        assert.ok(row.refreshHash === sha(secret) || row.previousRefreshHash === sha(secret));
      }
    }
  });

  it('Redis cut: healthz and rate limits answer store_unavailable, sign-in and refresh (PostgreSQL only) keep working; recovery is automatic', async () => {
    const rt = await loginToken();
    redisProxy.cut();
    try {
      assert503(await app.inject({ url: '/healthz' }));
      const res = await refresh(rt);
      assert.equal(res.statusCode, 200, res.body);
    } finally {
      redisProxy.restore();
    }
    await eventually(async () => assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200));
  });

  it('the rate-limit store fails fast (no hang) while Redis is away, then counts again', async () => {
    // Through a store of our own on the same proxy, since no route uses rate limits yet.
    const { connectRedis, closeRedis } = await import('../src/store/redis/client.js');
    const { redisRateLimits } = await import('../src/store/redis/rate-limits.js');
    const redis = await connectRedis({ url: redisUrlVia(redisProxy.port), keyPrefix: prefix, commandTimeoutMs: 1000 });
    const limits = redisRateLimits(redis, prefix);
    try {
      assert.equal((await limits.hit('k', 60_000, 5, 1_700_000_000_000)).count, 1);
      redisProxy.cut();
      await assert.rejects(limits.hit('k', 60_000, 5, 1_700_000_000_001), StoreUnavailableError);
      redisProxy.restore();
      // The script cache survives (same server); the counter too.
      const r = await eventually(() => limits.hit('k', 60_000, 5, 1_700_000_000_002));
      assert.equal(r.count, 2);
    } finally {
      redisProxy.restore();
      await closeRedis(redis);
    }
  });
});

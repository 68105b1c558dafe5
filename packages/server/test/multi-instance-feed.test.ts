/**
 * Two real `latchkey serve` processes on one PostgreSQL + Redis, seen from a resource service:
 * - a logout on one instance reaches a service following the revocation feed through Redis, and the
 *   service then refuses the still-unexpired access token (`token_revoked`); with Redis cut away from
 *   the service (a real TCP proxy), its fail-open / fail-closed policy applies and it catches up after;
 * - `latchkey keys rotate` against PostgreSQL while both run: the next key is already in both JWKS
 *   before anyone signs with it, both switch, and every token minted by either verifies at the other.
 * Each run has its own schema and Redis prefix.
 */
import { it, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { decodeProtectedHeader } from 'jose';
import { createVerifier, RevocationFeedUnavailableError, TokenRevokedError, type RevocationFailurePolicy, type RevocationLogEvent, type Verifier } from '@latchkey/verify';
import { redisRevocationTransport } from '../src/index.js';
import { startProxy, type CuttableProxy } from './tcp-proxy.js';
import { eventually } from './eventually.js';
import { killAll, runCli, serve, type Instance } from './serve-process.js';
import { deleteRedisPrefix, describeWith, dropSchema, pgAdmin, PG_URL, REDIS_URL, redisTarget, redisUrlVia, testName } from './services.js';

const PASSWORD = 'correct horse battery';
const ISSUER = 'http://localhost:8080';
const AUDIENCE = 'shop-api';
const JSON_HEADERS = { 'content-type': 'application/json' };

function baseEnv(dir: string, schema: string, prefix: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    LATCHKEY_DATA_DIR: join(dir, 'unused'),
    LATCHKEY_ISSUER: ISSUER,
    LATCHKEY_AUDIENCE: AUDIENCE,
    LATCHKEY_SIGNUP_ENABLED: 'true',
    LATCHKEY_DATABASE_URL: PG_URL,
    LATCHKEY_DATABASE_SCHEMA: schema,
    LATCHKEY_DATABASE_POOL_SIZE: '4',
    LATCHKEY_REDIS_URL: REDIS_URL,
    LATCHKEY_REDIS_PREFIX: prefix,
    ...extra,
  };
}

async function post<T>(url: string, body: unknown): Promise<{ status: number; body: T }> {
  const r = await fetch(url, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
}

async function login(i: Instance, email: string): Promise<{ access_token: string; refresh_token: string }> {
  const r = await post<{ access_token: string; refresh_token: string }>(`${i.url}/auth/login`, { email, password: PASSWORD, mode: 'token' });
  assert.equal(r.status, 200);
  return r.body;
}

async function stopAll(instances: readonly Instance[]): Promise<void> {
  await Promise.all(
    instances.map(async (i) => {
      if (i.child.exitCode !== null || i.child.signalCode !== null) return;
      const exited = once(i.child, 'exit');
      i.child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      assert.equal(code, 0);
    }),
  );
}

/** The verifier's revocation log as awaitable events. */
function feedEvents() {
  const waiters: { type: RevocationLogEvent['type']; resolve: () => void }[] = [];
  return {
    log(e: RevocationLogEvent) {
      for (const w of waiters.splice(0)) {
        if (w.type === e.type) w.resolve();
        else waiters.push(w);
      }
    },
    /** Resolves on the next event of `type` (register before causing it). */
    next(type: RevocationLogEvent['type']): Promise<void> {
      return new Promise((resolve) => waiters.push({ type, resolve }));
    },
  };
}

await describeWith(['postgres', 'redis'], 'revocation across instances: logout on one auth server reaches services following Redis', () => {
  const schema = testName();
  const prefix = `${schema}:`;
  const children: ChildProcess[] = [];
  const verifiers: Verifier[] = [];
  let dir: string;
  let a: Instance;
  let b: Instance;
  let proxy: CuttableProxy;

  /** A resource service: keys over HTTP from instance A's JWKS, revocations from Redis through the proxy. */
  function service(failurePolicy: RevocationFailurePolicy) {
    const events = feedEvents();
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUri: `${a.url}/.well-known/jwks.json`,
      revocation: {
        transport: redisRevocationTransport({ url: redisUrlVia(proxy.port), keyPrefix: prefix, connectTimeoutMs: 1000 }),
        failurePolicy,
        failClosedAfterMs: 0,
        reconnectMinMs: 50,
        reconnectMaxMs: 250,
        log: events.log,
      },
    });
    verifiers.push(verifier);
    return { verifier, events };
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'latchkey-feed-'));
    proxy = await startProxy(redisTarget());
    const env = baseEnv(dir, schema, prefix);
    // Migrate first so the two instances do not both race to create the schema.
    const m = await runCli(['migrate'], env);
    assert.equal(m.code, 0, m.stderr);
    [a, b] = await Promise.all([serve(env, children), serve(env, children)]);
    const signup = await post(`${a.url}/auth/signup`, { email: 'feed@example.com', password: PASSWORD });
    assert.equal(signup.status, 201);
  });
  after(async () => {
    for (const v of verifiers) await v.close().catch(() => {});
    killAll(children);
    await proxy?.close();
    await dropSchema(schema);
    await deleteRedisPrefix(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('logout on instance B: the service refuses the still-unexpired access token minted by A with token_revoked', async (t: TestContext) => {
    const { verifier, events } = service('open');
    await verifier.revocation!.connected();
    const session = await login(a, 'feed@example.com');
    const claims = await verifier.verifyAccessToken(session.access_token);
    assert.ok(claims.exp > Date.now() / 1000 + 60, 'the token is far from expiry');

    const delivered = events.next('revoked');
    const sent = performance.now();
    const logout = await post(`${b.url}/auth/logout`, { refresh_token: session.refresh_token });
    assert.equal(logout.status, 204);
    await delivered;
    const ms = performance.now() - sent;
    t.diagnostic(`logout sent to instance B → revocation delivered to the service via Redis: ${ms.toFixed(1)} ms`);

    await assert.rejects(verifier.verifyAccessToken(session.access_token), (err: unknown) => {
      assert.ok(err instanceof TokenRevokedError);
      assert.equal(err.code, 'token_revoked');
      return true;
    });
    // Another session of the same user is untouched.
    const other = await login(b, 'feed@example.com');
    await verifier.verifyAccessToken(other.access_token);
    assert.equal(verifier.revocation!.status().state, 'connected');
  });

  it('Redis cut away from a fail-open service: it keeps accepting valid tokens, then catches up on the revocation it missed once Redis is back', async () => {
    const { verifier, events } = service('open');
    await verifier.revocation!.connected();
    const session = await login(a, 'feed@example.com');
    await verifier.verifyAccessToken(session.access_token);

    const lost = events.next('lost');
    proxy.cut();
    await lost;
    assert.equal(verifier.revocation!.status().state, 'lost');
    assert.equal(verifier.revocation!.status().refusing, false);
    // Logout while the service cannot hear it: the auth servers still reach Redis directly.
    const logout = await post(`${b.url}/auth/logout`, { refresh_token: session.refresh_token });
    assert.equal(logout.status, 204);
    // Fail-open: the revocation is missed for now (the documented trade-off), valid tokens keep working.
    await verifier.verifyAccessToken(session.access_token);

    const connected = events.next('connected');
    proxy.restore();
    await connected;
    // The reconnect delivered the live snapshot before reporting connected.
    await assert.rejects(verifier.verifyAccessToken(session.access_token), TokenRevokedError);
  });

  it('Redis cut away from a fail-closed service: it refuses every token with revocation_feed_unavailable until the feed is back', async () => {
    const { verifier, events } = service('closed');
    await verifier.revocation!.connected();
    const session = await login(b, 'feed@example.com');
    await verifier.verifyAccessToken(session.access_token);

    const lost = events.next('lost');
    proxy.cut();
    await lost;
    assert.equal(verifier.revocation!.status().refusing, true);
    await assert.rejects(verifier.verifyAccessToken(session.access_token), (err: unknown) => {
      assert.ok(err instanceof RevocationFeedUnavailableError);
      assert.equal(err.code, 'revocation_feed_unavailable');
      return true;
    });

    const connected = events.next('connected');
    proxy.restore();
    await connected;
    await verifier.verifyAccessToken(session.access_token);
    assert.equal(verifier.revocation!.status().refusing, false);
  });

  it('both instances stop cleanly on SIGTERM', async () => {
    for (const v of verifiers.splice(0)) await v.close();
    await stopAll([a, b]);
  });
});

await describeWith(['postgres', 'redis'], 'key rotation across instances on PostgreSQL: latchkey keys rotate while two instances run', () => {
  const schema = testName();
  const prefix = `${schema}:`;
  const children: ChildProcess[] = [];
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let a: Instance;
  let b: Instance;

  const jwks = async (i: Instance) => (await (await fetch(`${i.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
  const kids = async (i: Instance) => (await jwks(i)).keys.map((k) => k.kid).sort();
  const kidOf = (token: string) => decodeProtectedHeader(token).kid;
  const me = async (i: Instance, token: string) => (await fetch(`${i.url}/auth/me`, { headers: { authorization: `Bearer ${token}` } })).status;
  const keyRows = async () =>
    (await pgAdmin<{ kid: string; status: string; publish_until: string | null }>(`SELECT kid, status, publish_until FROM "${schema}".signing_keys ORDER BY created_at, kid`)).rows;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'latchkey-rotate-'));
    // Automatic rotation on a short schedule, so the instances publish a `next` key about a second
    // after start (it would sign only 60 s later); each instance re-reads the key set every second.
    env = baseEnv(dir, schema, prefix, {
      LATCHKEY_KEY_ROTATION_INTERVAL: '61',
      LATCHKEY_KEY_PUBLISH_LEAD: '60',
      LATCHKEY_JWKS_MAX_AGE: '30',
      LATCHKEY_KEY_CHECK_INTERVAL: '1',
    });
    const m = await runCli(['migrate'], env);
    assert.equal(m.code, 0, m.stderr);
    [a, b] = await Promise.all([serve(env, children), serve(env, children)]);
    const signup = await post(`${a.url}/auth/signup`, { email: 'keys@example.com', password: PASSWORD });
    assert.equal(signup.status, 201);
  });
  after(async () => {
    killAll(children);
    await dropSchema(schema);
    await deleteRedisPrefix(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('the next key is published by both instances before it signs; after keys rotate both sign with it, and tokens from either verify at the other throughout', async (t: TestContext) => {
    // Both instances converge on one JWKS holding the active key and the published next one.
    const [first, next] = await eventually(async () => {
      const rows = await keyRows();
      const active = rows.filter((r) => r.status === 'active');
      const pending = rows.filter((r) => r.status === 'next');
      assert.equal(active.length, 1);
      assert.equal(pending.length, 1, 'a next key is published');
      const want = [active[0]!.kid, pending[0]!.kid].sort();
      assert.deepEqual(await kids(a), want);
      assert.deepEqual(await kids(b), want);
      return [active[0]!.kid, pending[0]!.kid] as const;
    });
    const before = await login(a, 'keys@example.com');
    assert.equal(kidOf(before.access_token), first, 'the next key does not sign yet');

    const rotated = await runCli(['keys', 'rotate', '--json'], env);
    assert.equal(rotated.code, 0, rotated.stderr);
    const after = await keyRows();
    assert.equal(after.find((r) => r.kid === next)?.status, 'active');
    assert.equal(after.find((r) => r.kid === first)?.status, 'retired');
    assert.ok(after.find((r) => r.kid === first)?.publish_until !== null);

    // Until both instances have switched (each within its 1 s key check), whatever either signs verifies
    // at the other: the old key is retired but still published, the new one was published before.
    const service = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUri: `${b.url}/.well-known/jwks.json` });
    let rounds = 0;
    let mixed = 0;
    const refused: string[] = [];
    await eventually(
      async () => {
        rounds += 1;
        const [ta, tb] = await Promise.all([login(a, 'keys@example.com'), login(b, 'keys@example.com')]);
        // Recorded, not retried: a single refusal during the switch is a failure.
        if ((await me(b, ta.access_token)) !== 200) refused.push(`A's token (${kidOf(ta.access_token)}) at B`);
        if ((await me(a, tb.access_token)) !== 200) refused.push(`B's token (${kidOf(tb.access_token)}) at A`);
        for (const tok of [ta, tb]) await service.verifyAccessToken(tok.access_token).catch((e: Error) => refused.push(`service: ${e.name}`));
        if (kidOf(ta.access_token) !== kidOf(tb.access_token)) mixed += 1;
        assert.equal(kidOf(ta.access_token), next, 'A signs with the new key');
        assert.equal(kidOf(tb.access_token), next, 'B signs with the new key');
      },
      15_000,
      100,
    );
    assert.deepEqual(refused, [], 'every token minted by either instance verified at the other and at the service');
    t.diagnostic(`both instances signing with the new key after ${rounds} round(s) (${mixed} with the two instances on different keys)`);

    // One key set, served identically; the token signed before the rotation still verifies at both.
    assert.deepEqual(await jwks(a), await jwks(b));
    assert.deepEqual(await kids(a), [first, next].sort());
    assert.equal(await me(a, before.access_token), 200);
    assert.equal(await me(b, before.access_token), 200);
    const rows = await keyRows();
    assert.equal(rows.length, 2, 'no instance generated a competing key');
    assert.equal(rows.filter((r) => r.status === 'active').length, 1);
  });

  it('both instances stop cleanly on SIGTERM', async () => {
    await stopAll([a, b]);
  });
});

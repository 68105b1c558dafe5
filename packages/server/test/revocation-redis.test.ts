import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import {
  openRedisRevocationPublisher,
  openRedisRevocationSubscriber,
  parseRevocationMessage,
  type RevocationMessage,
  type RevocationPublisher,
  type RevocationSubscriber,
  type TransportStatus,
} from '../src/revocation/redis-transport.js';
import { StoreUnavailableError } from '../src/errors.js';
import { deleteRedisPrefix, describeWith, REDIS_URL, redisTarget, redisUrlVia, testName } from './services.js';
import { startProxy, type CuttableProxy } from './tcp-proxy.js';
import { eventually } from './eventually.js';

const NOW = Math.floor(Date.now() / 1000);

describe('revocation message parsing', () => {
  it('accepts exactly {sid, exp} and drops every hostile shape', () => {
    assert.deepEqual(parseRevocationMessage('{"sid":"abc_-1","exp":1700000000}'), { sid: 'abc_-1', exp: 1700000000 });
    for (const raw of [
      '',
      'null',
      '[]',
      '"sid"',
      '{"sid":"a"}',
      '{"exp":1}',
      '{"sid":"a","exp":1,"x":1}',
      '{"sid":"a","exp":"1"}',
      '{"sid":"a","exp":1.5}',
      '{"sid":"a","exp":-1}',
      '{"sid":"a","exp":1e300}',
      '{"sid":"","exp":1}',
      '{"sid":"a b","exp":1}',
      '{"sid":"a\\u0000","exp":1}',
      `{"sid":"${'a'.repeat(129)}","exp":1}`,
      '{"__proto__":{"polluted":1},"sid":"a","exp":1}',
      `{"sid":"a","exp":1,"pad":"${'x'.repeat(600)}"}`,
      '{"sid":"a","exp":1',
    ]) {
      assert.equal(parseRevocationMessage(raw), null, raw.slice(0, 60));
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

await describeWith(['redis'], 'revocation over Redis pub/sub', () => {
  const prefix = `${testName()}:`;
  const opts = { url: REDIS_URL, keyPrefix: prefix };
  let publisher: RevocationPublisher;
  let proxy: CuttableProxy;
  const closers: (() => Promise<void>)[] = [];

  before(async () => {
    publisher = await openRedisRevocationPublisher(opts);
    closers.push(() => publisher.close());
    proxy = await startProxy(redisTarget());
    closers.push(() => proxy.close());
  });
  after(async () => {
    for (const c of closers.reverse()) await c().catch(() => {});
    await deleteRedisPrefix(prefix);
  });

  function collector() {
    const seen: RevocationMessage[] = [];
    const statuses: TransportStatus[] = [];
    const waiters: { match: (m: RevocationMessage) => boolean; resolve: () => void }[] = [];
    const statusWaiters: { want: TransportStatus; resolve: () => void }[] = [];
    return {
      seen,
      statuses,
      handlers: {
        onRevoked(m: RevocationMessage) {
          seen.push(m);
          for (const w of waiters.splice(0)) if (w.match(m)) w.resolve();
          else waiters.push(w);
        },
        onStatus(s: TransportStatus) {
          statuses.push(s);
          for (const w of statusWaiters.splice(0)) if (w.want === s) w.resolve();
          else statusWaiters.push(w);
        },
      },
      next(sid: string) {
        return new Promise<void>((resolve) => {
          if (seen.some((m) => m.sid === sid)) resolve();
          else waiters.push({ match: (m) => m.sid === sid, resolve });
        });
      },
      status(want: TransportStatus) {
        return new Promise<void>((resolve) => statusWaiters.push({ want, resolve }));
      },
    };
  }

  it('a published revocation reaches every subscriber, and stays in the live snapshot until its exp', async () => {
    const a = collector();
    const b = collector();
    const subA: RevocationSubscriber = await openRedisRevocationSubscriber(opts, a.handlers);
    const subB = await openRedisRevocationSubscriber(opts, b.handlers);
    closers.push(() => subA.close(), () => subB.close());
    assert.equal(subA.status, 'up');
    const started = Date.now();
    await publisher.publish({ sid: 's1', exp: NOW + 600 });
    await Promise.all([a.next('s1'), b.next('s1')]);
    assert.ok(Date.now() - started < 1000, 'delivered within a second');
    assert.deepEqual(a.seen, [{ sid: 's1', exp: NOW + 600 }]);

    await publisher.publish({ sid: 'short', exp: NOW + 5 });
    await publisher.publish({ sid: 's1', exp: NOW + 300 }); // an earlier exp never shortens the entry
    await a.next('short');
    const snap = await subA.snapshot(NOW);
    assert.deepEqual(snap.find((m) => m.sid === 's1'), { sid: 's1', exp: NOW + 600 });
    assert.ok(snap.some((m) => m.sid === 'short'));
    assert.ok(!(await subA.snapshot(NOW + 10)).some((m) => m.sid === 'short'), 'expired entries leave the snapshot');
    await assert.rejects(publisher.publish({ sid: 'bad sid', exp: 1 }), TypeError);
  });

  it('malformed channel messages are dropped; later valid ones still arrive', async () => {
    const c = collector();
    const sub = await openRedisRevocationSubscriber(opts, c.handlers);
    closers.push(() => sub.close());
    const raw = new Redis(REDIS_URL);
    closers.push(async () => void raw.disconnect());
    for (const junk of ['not json', '{"sid":1,"exp":1}', '{"sid":"x","exp":1,"jku":"http://evil"}', 'x'.repeat(10_000)]) {
      await raw.publish(`${prefix}revocations`, junk);
    }
    await publisher.publish({ sid: 'after-junk', exp: NOW + 60 });
    await c.next('after-junk');
    assert.deepEqual(c.seen.map((m) => m.sid), ['after-junk']);
  });

  it('a subscriber that loses Redis says down, comes back up by itself, and catches up from the snapshot', async () => {
    const c = collector();
    const sub = await openRedisRevocationSubscriber({ url: redisUrlVia(proxy.port), keyPrefix: prefix }, c.handlers);
    closers.push(() => sub.close());
    const down = c.status('down');
    proxy.cut();
    await down;
    assert.equal(sub.status, 'down');
    // Published while the subscriber is away: pub/sub drops it for this subscriber.
    await publisher.publish({ sid: 'during-outage', exp: NOW + 60 });
    const up = c.status('up');
    proxy.restore();
    await up;
    assert.ok((await sub.snapshot(NOW)).some((m) => m.sid === 'during-outage'));
    // And live delivery works again.
    await publisher.publish({ sid: 'after-outage', exp: NOW + 60 });
    await c.next('after-outage');
  });

  it('a publisher that cannot reach Redis fails fast with StoreUnavailableError and recovers by itself', async () => {
    const pub = await openRedisRevocationPublisher({ url: redisUrlVia(proxy.port), keyPrefix: prefix, commandTimeoutMs: 1000 });
    closers.push(() => pub.close());
    proxy.cut();
    await assert.rejects(pub.publish({ sid: 'x1', exp: NOW + 60 }), StoreUnavailableError);
    proxy.restore();
    await eventually(() => pub.publish({ sid: 'x2', exp: NOW + 60 }));
  });
});

await describeWith(['redis'], 'revocation feed over Redis: auth server publishes, @latchkey/verify follows with redisRevocationTransport', () => {
  it('a logout on a server configured with redisUrl reaches a verifier following Redis; a missed one arrives via the snapshot', async () => {
    const prefix = `${testName()}:`;
    const { createVerifier, TokenRevokedError } = await import('@latchkey/verify');
    const { redisRevocationTransport } = await import('../src/index.js');
    const { makeServer, JSON_HEADERS, PASSWORD, signup } = await import('./helpers.js');
    const s = await makeServer({ redisUrl: REDIS_URL, redisKeyPrefix: prefix });
    const revoked: Array<() => void> = [];
    const verifier = createVerifier({
      issuer: 'http://localhost:8080',
      audience: 'shop-api',
      jwks: (await s.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json(),
      revocation: { transport: redisRevocationTransport({ url: REDIS_URL, keyPrefix: prefix }), log: (e) => e.type === 'revoked' && revoked.splice(0).forEach((r) => r()) },
    });
    try {
      await signup(s.app);
      const login = async () =>
        (await s.app.inject({ method: 'POST', url: '/auth/login', headers: JSON_HEADERS, payload: { email: 'alice@example.com', password: PASSWORD, mode: 'token' } })).json<{
          access_token: string;
          refresh_token: string;
        }>();
      // Revoked before the verifier connects: delivered by the snapshot.
      const early = await login();
      await s.app.inject({ method: 'POST', url: '/auth/logout', headers: JSON_HEADERS, payload: { refresh_token: early.refresh_token } });
      await verifier.revocation!.connected();
      await assert.rejects(verifier.verifyAccessToken(early.access_token), TokenRevokedError);
      // Revoked while connected: delivered by pub/sub.
      const t = await login();
      await verifier.verifyAccessToken(t.access_token);
      const delivered = new Promise<void>((r) => revoked.push(r));
      await s.app.inject({ method: 'POST', url: '/auth/logout', headers: JSON_HEADERS, payload: { refresh_token: t.refresh_token } });
      await delivered;
      await assert.rejects(verifier.verifyAccessToken(t.access_token), TokenRevokedError);
      assert.equal(verifier.revocation!.status().state, 'connected');
    } finally {
      await verifier.close();
      await s.close();
      await deleteRedisPrefix(prefix);
    }
  });
});

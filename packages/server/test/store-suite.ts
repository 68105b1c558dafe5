/**
 * The storage conformance suite. Every Store adapter must pass it:
 *   runStoreSuite('sqlite', () => openSqliteStore(':memory:'));
 *   runStoreSuite('postgres', makeFreshSchemaStore, { openAnother });
 * `makeStore` must return an empty store; `openAnother(store)`, when the adapter can, opens a second,
 * independent connection (pool) to the same database — as a second auth-server instance would — so
 * the concurrency invariants are checked across connections, not only within one.
 */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Store, NewSession } from '../src/store/types.js';

const h = () => randomBytes(32).toString('base64url');
/** A successor with a fresh hash (and CSRF hash unless `null`). */
const succ = (hash = h(), csrfHash: string | null = h(), nonce = h()) => ({ hash, csrfHash, nonce });
const GRACE = 10_000;
const T0 = 1_700_000_000_000;

export interface StoreSuiteOptions {
  openAnother?: (store: Store) => Promise<Store>;
}

export function runStoreSuite(name: string, makeStore: () => Promise<Store> | Store, options: StoreSuiteOptions = {}): void {
  describe(`store suite: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    async function user(email = `u${randomBytes(4).toString('hex')}@example.com`) {
      const r = await store.users.create({ email, passwordHash: 'hash', name: 'U' }, T0);
      assert.equal(r.ok, true);
      if (!r.ok) throw new Error('unreachable');
      return r.user;
    }
    async function session(userId: string, over: Partial<NewSession> = {}) {
      const s: NewSession = {
        id: randomBytes(16).toString('base64url'),
        userId,
        clientId: 'latchkey-web',
        userAgent: 'test-agent',
        expiresAt: T0 + 3_600_000,
        refreshHash: h(),
        csrfHash: h(),
        ...over,
      };
      await store.sessions.create(s, T0);
      return s;
    }

    it('creates users with normalised email and finds them case-insensitively', async () => {
      const r = await store.users.create({ email: '  Alice@Example.COM ', passwordHash: 'x', name: 'Alice', roles: ['admin'] }, T0);
      assert.ok(r.ok);
      assert.equal(r.user.email, 'alice@example.com');
      assert.deepEqual(r.user.roles, ['admin']);
      assert.equal(r.user.disabled, false);
      assert.equal(r.user.createdAt, T0);
      assert.equal((await store.users.findByEmail('ALICE@example.com'))?.id, r.user.id);
      assert.equal((await store.users.findById(r.user.id))?.email, 'alice@example.com');
      assert.equal(await store.users.findById('nope'), null);
      assert.equal(await store.users.findByEmail('nobody@example.com'), null);
    });

    it('rejects a duplicate email regardless of case', async () => {
      await user('bob@example.com');
      const r = await store.users.create({ email: 'BOB@example.com', passwordHash: 'y' }, T0);
      assert.deepEqual(r, { ok: false, reason: 'email_taken' });
      assert.equal((await store.users.list()).length, 1);
    });

    it('lists and disables users', async () => {
      const a = await user();
      await user();
      assert.equal((await store.users.list()).length, 2);
      assert.equal(await store.users.setDisabled(a.id, true), true);
      assert.equal((await store.users.findById(a.id))?.disabled, true);
      assert.equal(await store.users.setDisabled('missing', true), false);
    });

    it('creates, gets, touches and lists sessions', async () => {
      const u = await user();
      const s = await session(u.id);
      const got = await store.sessions.get(s.id);
      assert.ok(got);
      assert.equal(got.userId, u.id);
      assert.equal(got.userAgent, 'test-agent');
      assert.equal(got.createdAt, T0);
      assert.equal(got.lastUsedAt, T0);
      assert.equal(got.refreshHash, s.refreshHash);
      assert.equal(got.previousRefreshHash, null);
      assert.equal(got.revokedAt, null);
      await store.sessions.touch(s.id, T0 + 5);
      assert.equal((await store.sessions.get(s.id))?.lastUsedAt, T0 + 5);
      await session(u.id);
      assert.equal((await store.sessions.listForUser(u.id)).length, 2);
      assert.equal(await store.sessions.get('missing'), null);
    });

    it('rotates a current refresh hash and keeps the previous one', async () => {
      const u = await user();
      const s = await session(u.id);
      const next = h();
      const csrf = h();
      assert.deepEqual(await store.sessions.rotateRefresh(s.id, s.refreshHash, succ(next, csrf), T0 + 10, GRACE), { outcome: 'rotated' });
      const got = await store.sessions.get(s.id);
      assert.equal(got?.refreshHash, next);
      assert.equal(got?.previousRefreshHash, s.refreshHash);
      assert.equal(got?.csrfHash, csrf);
      assert.equal(got?.previousCsrfHash, s.csrfHash);
      assert.equal(got?.rotatedAt, T0 + 10);
      assert.equal(got?.lastUsedAt, T0 + 10);
    });

    it('refresh reuse: presenting a rotated-away hash revokes the whole session', async () => {
      const u = await user();
      const s = await session(u.id);
      const second = h();
      const third = h();
      assert.deepEqual(await store.sessions.rotateRefresh(s.id, s.refreshHash, succ(second, null), T0 + 1, GRACE), { outcome: 'rotated' });
      assert.deepEqual(await store.sessions.rotateRefresh(s.id, second, succ(third, null), T0 + 2, GRACE), { outcome: 'rotated' });
      // The first hash is two rotations old: reuse even inside the grace window (only the last rotation has one).
      assert.deepEqual(await store.sessions.rotateRefresh(s.id, s.refreshHash, succ(), T0 + 3, GRACE), { outcome: 'reused' });
      const got = await store.sessions.get(s.id);
      assert.equal(got?.revokedAt, T0 + 3);
      assert.equal(got?.revokeReason, 'refresh_reuse_detected');
      // Even the legitimate current hash is now dead.
      assert.deepEqual(await store.sessions.rotateRefresh(s.id, third, succ(), T0 + 4, GRACE), { outcome: 'invalid' });
      // And the theft is on the record.
      const events = await store.securityEvents.list({ sessionId: s.id });
      assert.deepEqual(events.map((e) => [e.type, e.userId, e.createdAt]), [['refresh_reuse_detected', u.id, T0 + 3]]);
    });

    it('grace window: the just-rotated hash answers "grace" with the stored nonce, changes nothing, and turns into reuse after the window', async () => {
      const u = await user();
      const s = await session(u.id);
      const first = succ();
      assert.deepEqual(await store.sessions.rotateRefresh(s.id, s.refreshHash, first, T0 + 100, GRACE), { outcome: 'rotated' });
      assert.deepEqual(await store.sessions.rotateRefresh(s.id, s.refreshHash, succ(), T0 + 100 + GRACE, GRACE), { outcome: 'grace', nonce: first.nonce });
      const got = await store.sessions.get(s.id);
      assert.equal(got?.refreshHash, first.hash, 'a grace answer does not rotate again');
      assert.equal(got?.revokedAt, null);
      // A strict store call (grace 0) treats the same presentation as reuse.
      assert.deepEqual(await store.sessions.rotateRefresh(s.id, s.refreshHash, succ(), T0 + 100 + GRACE + 1, GRACE), { outcome: 'reused' });
      assert.equal((await store.sessions.get(s.id))?.revokeReason, 'refresh_reuse_detected');
    });

    it('grace window: a refresh whose clock reading precedes the rotation it lost to (started first, or another instance ahead) gets grace, not reuse', async () => {
      const u = await user();
      const s = await session(u.id);
      const first = succ();
      assert.deepEqual(await store.sessions.rotateRefresh(s.id, s.refreshHash, first, T0 + 100, GRACE), { outcome: 'rotated' });
      assert.deepEqual(await store.sessions.rotateRefresh(s.id, s.refreshHash, succ(), T0 + 99, GRACE), { outcome: 'grace', nonce: first.nonce });
      assert.equal((await store.sessions.get(s.id))?.revokedAt, null);
      // Bounded on that side too: a rotation stamped far ahead (a badly skewed clock) does not open a long window.
      assert.deepEqual(await store.sessions.rotateRefresh(s.id, s.refreshHash, succ(), T0 + 100 - GRACE - 1, GRACE), { outcome: 'reused' });
    });

    it('activeUser: rotated and grace answers carry the enabled user; a disabled or deleted user gets user_inactive and nothing changes', async () => {
      const u = await user();
      const s = await session(u.id);
      const first = succ();
      const rotated = await store.sessions.rotateRefresh(s.id, s.refreshHash, first, T0 + 100, GRACE, { activeUser: true });
      assert.equal(rotated.outcome, 'rotated');
      assert.deepEqual(rotated.outcome === 'rotated' ? rotated.user : null, await store.users.findById(u.id));
      const grace = await store.sessions.rotateRefresh(s.id, s.refreshHash, succ(), T0 + 200, GRACE, { activeUser: true });
      assert.deepEqual(grace, { outcome: 'grace', nonce: first.nonce, user: await store.users.findById(u.id) });

      assert.equal(await store.users.setDisabled(u.id, true), true);
      assert.deepEqual(await store.sessions.rotateRefresh(s.id, first.hash, succ(), T0 + 300, GRACE, { activeUser: true }), { outcome: 'user_inactive' });
      const after = await store.sessions.get(s.id);
      assert.equal(after?.refreshHash, first.hash, 'not rotated');
      assert.equal(after?.revokedAt, null, 'the caller decides what to do with the session');
      // Without the option the store does not look at the user (the caller reads it itself).
      assert.deepEqual(await store.sessions.rotateRefresh(s.id, first.hash, succ(), T0 + 400, GRACE), { outcome: 'rotated' });
    });

    it('grace window: a refresh that read the clock before a concurrent rotation committed (its now < rotated_at) gets "grace", not reuse', async () => {
      // Two refreshes of one token: A reads the clock at T0 + 100, then waits for the row lock while B
      // (clock T0 + 105) rotates. A's now is earlier than the rotation it finds; that is concurrency, not theft.
      const u = await user();
      const s = await session(u.id);
      const byB = succ();
      assert.deepEqual(await store.sessions.rotateRefresh(s.id, s.refreshHash, byB, T0 + 105, GRACE), { outcome: 'rotated' });
      assert.deepEqual(await store.sessions.rotateRefresh(s.id, s.refreshHash, succ(), T0 + 100, GRACE), { outcome: 'grace', nonce: byB.nonce });
      assert.equal((await store.sessions.get(s.id))?.revokedAt, null);
    });

    it('rejects unknown hashes, unknown, expired and revoked sessions as invalid without revoking', async () => {
      const u = await user();
      const s = await session(u.id);
      const invalid = { outcome: 'invalid' };
      assert.deepEqual(await store.sessions.rotateRefresh(s.id, h(), succ(), T0, GRACE), invalid);
      assert.equal((await store.sessions.get(s.id))?.revokedAt, null);
      assert.deepEqual(await store.sessions.rotateRefresh('missing', s.refreshHash, succ(), T0, GRACE), invalid);
      assert.deepEqual(await store.sessions.rotateRefresh(s.id, s.refreshHash, succ(), s.expiresAt, GRACE), invalid);
      assert.equal(await store.sessions.revoke(s.id, 'logout', T0), true);
      assert.equal(await store.sessions.revoke(s.id, 'logout', T0), false);
      assert.deepEqual(await store.sessions.rotateRefresh(s.id, s.refreshHash, succ(), T0, GRACE), invalid);
      assert.equal((await store.securityEvents.list({ sessionId: s.id })).length, 0);
      assert.equal((await store.sessions.get(s.id))?.revokeReason, 'logout');
    });

    it('concurrent refreshes with one token mint exactly one successor; the rest get its nonce', async () => {
      const u = await user();
      const s = await session(u.id);
      const candidates = Array.from({ length: 20 }, () => succ());
      const results = await Promise.all(candidates.map((c) => store.sessions.rotateRefresh(s.id, s.refreshHash, c, T0 + 1, GRACE)));
      const winners = results.flatMap((r, i) => (r.outcome === 'rotated' ? [candidates[i]!] : []));
      assert.equal(winners.length, 1);
      const winner = winners[0]!;
      for (const r of results) assert.ok(r.outcome === 'rotated' || (r.outcome === 'grace' && r.nonce === winner.nonce), JSON.stringify(r));
      const got = await store.sessions.get(s.id);
      assert.equal(got?.refreshHash, winner.hash);
      assert.equal(got?.revokedAt, null);
    });

    it('with a zero grace window (strict) concurrent refreshes mint one successor and the rest count as reuse', async () => {
      const u = await user();
      const s = await session(u.id);
      const results = await Promise.all(Array.from({ length: 5 }, () => store.sessions.rotateRefresh(s.id, s.refreshHash, succ(), T0 + 1, 0)));
      assert.equal(results.filter((r) => r.outcome === 'rotated').length, 1);
      // The first loser revokes the session; the others then find it revoked.
      assert.equal(results.filter((r) => r.outcome === 'reused').length, 1);
      assert.equal(results.filter((r) => r.outcome === 'invalid').length, 3);
      assert.equal((await store.sessions.get(s.id))?.revokeReason, 'refresh_reuse_detected');
    });

    it('records and lists security events', async () => {
      await store.securityEvents.record({ type: 'a', userId: 'u1', sessionId: 's1', detail: { n: 1 } }, T0);
      await store.securityEvents.record({ type: 'b', userId: null, sessionId: null }, T0 + 1);
      assert.deepEqual((await store.securityEvents.list()).map((e) => [e.type, e.detail]), [['a', { n: 1 }], ['b', {}]]);
      assert.deepEqual((await store.securityEvents.list({ type: 'b' })).map((e) => e.type), ['b']);
      assert.deepEqual((await store.securityEvents.list({ sessionId: 's1' })).map((e) => e.type), ['a']);
    });

    it('revocation log: append returns increasing seqs, since() skips expired entries, prune() drops them', async () => {
      assert.equal(await store.revocations.latestSeq(), 0);
      const a = await store.revocations.append({ sid: 's1', exp: 100, reason: 'logout' }, T0);
      const b = await store.revocations.append({ sid: 's2', exp: 200, reason: 'logout_all' }, T0);
      const c = await store.revocations.append({ sid: 's3', exp: 300, reason: 'refresh_reuse_detected' }, T0);
      assert.ok(a < b && b < c);
      assert.equal(await store.revocations.latestSeq(), c);
      assert.deepEqual((await store.revocations.since(0, 150, 10)).map((r) => [r.sid, r.exp, r.reason]), [['s2', 200, 'logout_all'], ['s3', 300, 'refresh_reuse_detected']]);
      assert.deepEqual((await store.revocations.since(b, 0, 10)).map((r) => r.sid), ['s3']);
      assert.deepEqual((await store.revocations.since(0, 0, 1)).map((r) => r.sid), ['s1']);
      assert.equal(await store.revocations.prune(250), 2);
      assert.deepEqual((await store.revocations.since(0, 0, 10)).map((r) => r.sid), ['s3']);
      assert.equal(await store.revocations.latestSeq(), c, 'pruning never moves the cursor back');
      const d = await store.revocations.append({ sid: 's4', exp: 400, reason: 'logout' }, T0);
      assert.ok(d > c);
    });

    it('revokes all sessions of one user only', async () => {
      const a = await user();
      const b = await user();
      await session(a.id);
      await session(a.id);
      const other = await session(b.id);
      assert.equal(await store.sessions.revokeAllForUser(a.id, 'logout_all', T0 + 1), 2);
      assert.ok((await store.sessions.listForUser(a.id)).every((s) => s.revokeReason === 'logout_all'));
      assert.equal((await store.sessions.get(other.id))?.revokedAt, null);
    });

    /** The store itself plus, when the adapter supports it, `extra` more connections to the same database. */
    async function connections(extra: number): Promise<{ all: Store[]; close(): Promise<void> }> {
      const others: Store[] = [];
      if (options.openAnother !== undefined) for (let i = 0; i < extra; i++) others.push(await options.openAnother(store));
      return {
        all: [store, ...others],
        async close() {
          await Promise.all(others.map((o) => o.close()));
        },
      };
    }

    it('concurrent rotations of one token from several connections mint exactly one successor; the rest get its nonce (grace)', async () => {
      const u = await user();
      const s = await session(u.id);
      const conns = await connections(3);
      try {
        const attempts = Array.from({ length: 40 }, () => succ());
        const results = await Promise.all(
          attempts.map((next, i) => conns.all[i % conns.all.length]!.sessions.rotateRefresh(s.id, s.refreshHash, next, T0 + 1, GRACE)),
        );
        const winners = results.flatMap((r, i) => (r.outcome === 'rotated' ? [attempts[i]!] : []));
        assert.equal(winners.length, 1);
        const winner = winners[0]!;
        for (const r of results) assert.ok(r.outcome === 'rotated' || (r.outcome === 'grace' && r.nonce === winner.nonce), JSON.stringify(r));
        const after = await store.sessions.get(s.id);
        assert.equal(after?.refreshHash, winner.hash);
        assert.equal(after?.previousRefreshHash, s.refreshHash);
        assert.equal(after?.revokedAt, null);
      } finally {
        await conns.close();
      }
    });

    it('strict (grace 0): concurrent rotations from several connections never leave two live secrets', async () => {
      const u = await user();
      const s = await session(u.id);
      const conns = await connections(3);
      try {
        const attempts = Array.from({ length: 30 }, () => succ());
        const results = await Promise.all(
          attempts.map((next, i) => conns.all[i % conns.all.length]!.sessions.rotateRefresh(s.id, s.refreshHash, next, T0 + 1, 0)),
        );
        assert.equal(results.filter((r) => r.outcome === 'rotated').length, 1);
        assert.ok(results.every((r) => r.outcome === 'rotated' || r.outcome === 'reused' || r.outcome === 'invalid'));
        if (results.some((r) => r.outcome === 'reused')) assert.equal((await store.sessions.get(s.id))?.revokeReason, 'refresh_reuse_detected');
      } finally {
        await conns.close();
      }
    });

    it('concurrent signups with one email (any case) create exactly one user', async () => {
      const conns = await connections(3);
      try {
        const emails = Array.from({ length: 24 }, (_, i) => (i % 2 === 0 ? 'race@example.com' : ' RACE@Example.com '));
        const results = await Promise.all(
          emails.map((email, i) => conns.all[i % conns.all.length]!.users.create({ email, passwordHash: `h${i}` }, T0)),
        );
        assert.equal(results.filter((r) => r.ok).length, 1);
        assert.ok(results.filter((r) => !r.ok).every((r) => !r.ok && r.reason === 'email_taken'));
        assert.equal((await store.users.list()).filter((u) => u.email === 'race@example.com').length, 1);
      } finally {
        await conns.close();
      }
    });

    it('deleteExpired removes only sessions at or past their absolute expiry, with their retired hashes', async () => {
      const u = await user();
      const old = await session(u.id, { expiresAt: T0 + 1000 });
      const edge = await session(u.id, { expiresAt: T0 + 2000 });
      const live = await session(u.id, { expiresAt: T0 + 3000 });
      const revokedLive = await session(u.id, { expiresAt: T0 + 3000 });
      assert.deepEqual(await store.sessions.rotateRefresh(old.id, old.refreshHash, succ(), T0 + 10, GRACE), { outcome: 'rotated' });
      await store.sessions.revoke(revokedLive.id, 'logout', T0 + 20);
      assert.equal(await store.sessions.deleteExpired(T0 + 2000), 2);
      assert.equal(await store.sessions.get(old.id), null);
      assert.equal(await store.sessions.get(edge.id), null);
      assert.ok(await store.sessions.get(live.id));
      // Revoked but not yet expired sessions stay (devices list, reuse detection).
      assert.equal((await store.sessions.get(revokedLive.id))?.revokeReason, 'logout');
      // A replay of a deleted session's old secret is just invalid.
      assert.deepEqual(await store.sessions.rotateRefresh(old.id, old.refreshHash, succ(), T0 + 2001, GRACE), { outcome: 'invalid' });
      assert.equal(await store.sessions.deleteExpired(T0 + 2000), 0);
      assert.equal((await store.sessions.listForUser(u.id)).length, 2);
    });

    it('withKeyLock: holders never overlap, even across connections, and errors release the lock', async () => {
      const conns = await connections(2);
      try {
        let inside = 0;
        let maxInside = 0;
        const order: number[] = [];
        const critical = async (i: number) => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          // Yield to the event loop (and to the database) while holding the lock.
          await store.keys.list();
          await new Promise((r) => setImmediate(r));
          order.push(i);
          inside--;
          if (i === 2) throw new Error('boom');
          return i;
        };
        const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => conns.all[i % conns.all.length]!.keys.withKeyLock(() => critical(i))));
        assert.equal(maxInside, 1);
        assert.equal(order.length, 6);
        assert.equal(results.filter((r) => r.status === 'rejected').length, 1);
        assert.equal(await store.keys.withKeyLock(async () => 'free'), 'free');
      } finally {
        await conns.close();
      }
    });

    it('ping answers', async () => {
      await store.ping();
    });

    it('clients: creates, gets and lists a client; a taken id is refused', async () => {
      const r = await store.clients.create({ id: 'reco', name: 'Recommendation', secretHash: 'sha256:abc', scopes: ['cart:read', 'profile'], audiences: ['shop-api', 'billing'] }, T0);
      assert.ok(r.ok);
      assert.deepEqual(r.client, {
        id: 'reco',
        name: 'Recommendation',
        secretHash: 'sha256:abc',
        scopes: ['cart:read', 'profile'],
        audiences: ['shop-api', 'billing'],
        disabled: false,
        createdAt: T0,
        secretUpdatedAt: T0,
      });
      assert.deepEqual(await store.clients.get('reco'), r.client);
      assert.equal(await store.clients.get('missing'), null);
      const again = await store.clients.create({ id: 'reco', name: 'Other', secretHash: 'sha256:def', scopes: ['x'], audiences: ['y'] }, T0 + 1);
      assert.deepEqual(again, { ok: false, reason: 'id_taken' });
      assert.equal((await store.clients.get('reco'))?.secretHash, 'sha256:abc', 'the first client is untouched');
      await store.clients.create({ id: 'second', name: 'Second', secretHash: 'sha256:x', scopes: ['a'], audiences: ['b'] }, T0 + 2);
      assert.deepEqual((await store.clients.list()).map((c) => c.id), ['reco', 'second']);
    });

    it('clients: rotates the secret hash, disables and deletes', async () => {
      await store.clients.create({ id: 'svc', name: 'Svc', secretHash: 'sha256:old', scopes: ['a'], audiences: ['b'] }, T0);
      assert.equal(await store.clients.setSecretHash('svc', 'sha256:new', T0 + 5), true);
      const rotated = await store.clients.get('svc');
      assert.equal(rotated?.secretHash, 'sha256:new');
      assert.equal(rotated?.secretUpdatedAt, T0 + 5);
      assert.equal(rotated?.createdAt, T0);
      assert.equal(await store.clients.setSecretHash('missing', 'sha256:x', T0), false);
      assert.equal(await store.clients.setDisabled('svc', true), true);
      assert.equal((await store.clients.get('svc'))?.disabled, true);
      assert.equal(await store.clients.setDisabled('svc', false), true);
      assert.equal((await store.clients.get('svc'))?.disabled, false);
      assert.equal(await store.clients.setDisabled('missing', true), false);
      assert.equal(await store.clients.delete('svc'), true);
      assert.equal(await store.clients.get('svc'), null);
      assert.equal(await store.clients.delete('svc'), false);
      assert.deepEqual(await store.clients.list(), []);
    });

    it('stores signing keys with a status', async () => {
      await store.keys.insert({ kid: 'k1', alg: 'ES256', publicJwk: '{}', privateJwk: '{}', protection: 'none', status: 'active', createdAt: T0 });
      await store.keys.insert({ kid: 'k2', alg: 'ES256', publicJwk: '{}', privateJwk: '{}', protection: 'none', status: 'next', createdAt: T0 + 1 });
      assert.deepEqual((await store.keys.list()).map((k) => [k.kid, k.status]), [['k1', 'active'], ['k2', 'next']]);
      assert.equal(await store.keys.setStatus('k1', 'retired', T0 + 2), true);
      assert.equal((await store.keys.list())[0]?.status, 'retired');
      assert.equal(await store.keys.setStatus('zz', 'retired', T0), false);
    });

    it('key transitions next → active → retired → removed are compare-and-set, keep the schedule fields, and only one of two racing movers wins', async () => {
      const key = (kid: string, status: 'next' | 'active', activateAt: number | null) =>
        store.keys.insert({ kid, alg: 'ES256', publicJwk: `{"kid":"${kid}"}`, privateJwk: '{}', protection: 'none', status, createdAt: T0, activateAt });
      await key('old', 'active', null);
      await key('new', 'next', T0 + 60_000);
      const row = async (kid: string) => (await store.keys.list()).find((k) => k.kid === kid)!;
      assert.equal((await row('new')).activateAt, T0 + 60_000, 'a next key carries when it starts signing');

      // next → active: two instances ticking at once make the step once.
      const [x, y] = await Promise.all([store.keys.transition('new', 'next', 'active', T0 + 60_000), store.keys.transition('new', 'next', 'active', T0 + 60_001)]);
      assert.equal(Number(x) + Number(y), 1);
      assert.equal((await row('new')).status, 'active');
      assert.equal((await row('new')).activateAt, T0 + 60_000);
      // active → retired with the time it leaves the JWKS; a stale `from` changes nothing.
      assert.equal(await store.keys.transition('old', 'active', 'retired', T0 + 60_000, { publishUntil: T0 + 720_000 }), true);
      assert.equal(await store.keys.transition('old', 'active', 'retired', T0 + 60_001, { publishUntil: 1 }), false);
      assert.deepEqual([(await row('old')).status, (await row('old')).publishUntil], ['retired', T0 + 720_000]);
      assert.equal((await row('old')).activateAt, null, 'retiring does not invent a start time for a key active since creation');
      // retired → removed; the row stays (audit) but no transition leads out of removed.
      assert.equal(await store.keys.transition('old', 'retired', 'removed', T0 + 720_000), true);
      assert.equal(await store.keys.transition('old', 'retired', 'removed', T0 + 720_001), false);
      assert.equal(await store.keys.transition('old', 'next', 'active', T0 + 720_001), false);
      assert.deepEqual((await store.keys.list()).map((k) => `${k.kid}:${k.status}`).sort(), ['new:active', 'old:removed']);
      assert.equal(await store.keys.transition('nope', 'active', 'retired', T0), false);
    });

    it('withKeyLock + transition: instances rotating at once over several connections leave exactly one active key', async () => {
      const other = options.openAnother === undefined ? store : await options.openAnother(store);
      try {
        await store.keys.insert({ kid: 'k0', alg: 'ES256', publicJwk: '{}', privateJwk: '{}', protection: 'none', status: 'active', createdAt: T0 });
        let n = 0;
        // Each "instance" rotates under the key lock: re-read, insert a fresh active key, retire the others.
        const rotate = (s: Store) =>
          s.keys.withKeyLock(async () => {
            const rows = await s.keys.list();
            const kid = `k${++n}`;
            await s.keys.insert({ kid, alg: 'ES256', publicJwk: '{}', privateJwk: '{}', protection: 'none', status: 'active', createdAt: T0 + n, activateAt: T0 + n });
            for (const r of rows) if (r.status === 'active') await s.keys.transition(r.kid, 'active', 'retired', T0 + n, { publishUntil: T0 + n + 1000 });
          });
        await Promise.all(Array.from({ length: 6 }, (_, i) => rotate(i % 2 === 0 ? store : other)));
        const rows = await store.keys.list();
        assert.equal(rows.filter((k) => k.status === 'active').length, 1, rows.map((k) => `${k.kid}:${k.status}`).join());
        assert.equal(rows.filter((k) => k.status === 'retired').length, 6);
      } finally {
        if (other !== store) await other.close();
      }
    });
  });
}

/**
 * Conformance suite for `RateLimitStore` (store.rateLimits): SQLite, PostgreSQL and Redis pass it.
 *   runRateLimitSuite('redis', async () => ({ limits, close }));
 */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { RateLimitStore } from '../src/store/rate-limit.js';

export interface RateLimitFixture {
  readonly limits: RateLimitStore;
  close(): Promise<void>;
}

const W = 60_000;
const T0 = 1_700_000_040_000; // a window boundary: T0 % W === 0

export function runRateLimitSuite(name: string, make: () => Promise<RateLimitFixture>): void {
  describe(`rate-limit suite: ${name}`, () => {
    let f: RateLimitFixture;
    beforeEach(async () => {
      f = await make();
    });
    afterEach(async () => {
      await f.close();
    });

    it('counts hits in a fixed window and blocks past the limit; blocked hits keep counting', async () => {
      const got = [];
      for (let i = 0; i < 5; i++) got.push(await f.limits.hit('login:a@example.com', W, 3, T0 + 10 + i));
      assert.deepEqual(got.map((r) => r.count), [1, 2, 3, 4, 5]);
      assert.deepEqual(got.map((r) => r.blocked), [false, false, false, true, true]);
      assert.ok(got.every((r) => r.resetAt === T0 + W && r.limit === 3));
    });

    it('a new window starts again from one; a late hit from a slower clock counts in the newer window', async () => {
      await f.limits.hit('k', W, 2, T0 + 1);
      await f.limits.hit('k', W, 2, T0 + 2);
      const next = await f.limits.hit('k', W, 2, T0 + W + 5);
      assert.deepEqual([next.count, next.blocked, next.resetAt], [1, false, T0 + 2 * W]);
      const late = await f.limits.hit('k', W, 2, T0 + W - 1);
      assert.deepEqual([late.count, late.resetAt], [2, T0 + 2 * W]);
    });

    it('peek() reads the current window without counting a hit; an older window reads as 0', async () => {
      assert.deepEqual(await f.limits.peek('p', W, T0 + 1), { count: 0, limit: 0, blocked: false, resetAt: T0 + W });
      await f.limits.hit('p', W, 5, T0 + 1);
      await f.limits.hit('p', W, 5, T0 + 2);
      assert.equal((await f.limits.peek('p', W, T0 + 3)).count, 2);
      assert.equal((await f.limits.peek('p', W, T0 + 3)).count, 2);
      assert.equal((await f.limits.hit('p', W, 5, T0 + 4)).count, 3);
      assert.deepEqual(await f.limits.peek('p', W, T0 + W + 1), { count: 0, limit: 0, blocked: false, resetAt: T0 + 2 * W });
    });

    it('keys are independent and reset() forgets one key only', async () => {
      await f.limits.hit('a', W, 1, T0);
      await f.limits.hit('a', W, 1, T0);
      await f.limits.hit('b', W, 1, T0);
      await f.limits.reset('a');
      assert.equal((await f.limits.hit('a', W, 1, T0 + 1)).count, 1);
      assert.equal((await f.limits.hit('b', W, 1, T0 + 1)).count, 2);
      await f.limits.reset('never-seen');
    });

    it('concurrent hits are atomic: 50 parallel hits get counts 1..50 exactly once each', async () => {
      const results = await Promise.all(Array.from({ length: 50 }, () => f.limits.hit('burst', W, 10, T0 + 7)));
      assert.deepEqual(results.map((r) => r.count).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i + 1));
      assert.equal(results.filter((r) => r.blocked).length, 40);
    });

    it('deleteExpired never removes a live window', async () => {
      await f.limits.hit('live', W, 5, T0 + 1);
      await f.limits.hit('live', W, 5, T0 + 2);
      assert.equal(typeof (await f.limits.deleteExpired(T0 + 3)), 'number');
      assert.equal((await f.limits.hit('live', W, 5, T0 + 4)).count, 3);
    });

    it('hostile keys (long, unicode, separators) are just keys; bad arguments are refused', async () => {
      for (const key of ['x'.repeat(10_000), 'ünï©ødé', 'a:b:*', '__proto__', '\u0000']) {
        assert.equal((await f.limits.hit(key, W, 1, T0)).count, 1);
      }
      for (const [key, w, limit, now] of [
        ['', W, 1, T0],
        ['k', 0, 1, T0],
        ['k', W, -1, T0],
        ['k', W, 1, Number.NaN],
        ['k', 1.5, 1, T0],
      ] as const) {
        await assert.rejects(f.limits.hit(key, w, limit, now), TypeError);
      }
    });
  });
}

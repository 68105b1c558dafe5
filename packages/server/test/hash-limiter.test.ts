import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { limitHashing } from '../src/auth/hash-limiter.js';
import type { PasswordHasher } from '../src/auth/passwords.js';
import { ServerBusyError } from '../src/errors.js';
import { assertJsonError, JSON_HEADERS, makeServer, PASSWORD, type TestServer } from './helpers.js';

/** A hasher whose operations finish only when the test says so. */
function gatedHasher() {
  const pending: { resolve: (v: boolean) => void }[] = [];
  let running = 0;
  let peak = 0;
  const op = <T>(value: T) =>
    new Promise<T>((resolve) => {
      running++;
      peak = Math.max(peak, running);
      pending.push({
        resolve: () => {
          running--;
          resolve(value);
        },
      });
    });
  const hasher: PasswordHasher = { hash: () => op('hash'), verify: () => op(true) };
  return {
    hasher,
    get started() {
      return pending.length;
    },
    get peak() {
      return peak;
    },
    finishNext() {
      const p = pending.shift();
      assert.ok(p, 'an operation is running');
      p.resolve(true);
    },
  };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('password hashing: bounded concurrency so a login burst cannot starve the event loop', () => {
  it('runs at most maxConcurrent hashes at once, the rest in arrival order', async () => {
    const g = gatedHasher();
    const limited = limitHashing(g.hasher, { maxConcurrent: 2, maxQueued: 10 });
    const order: number[] = [];
    const all = Array.from({ length: 5 }, (_, i) => limited.verify('h', 'p').then(() => order.push(i)));
    await turn();
    assert.equal(g.started, 2);
    for (let i = 0; i < 5; i++) {
      g.finishNext();
      await turn();
    }
    await Promise.all(all);
    assert.equal(g.peak, 2);
    assert.deepEqual(order, [0, 1, 2, 3, 4]);
  });

  it('refuses with server_busy once the queue is full, and recovers when it drains', async () => {
    const g = gatedHasher();
    const limited = limitHashing(g.hasher, { maxConcurrent: 1, maxQueued: 2 });
    const admitted = [limited.hash('a'), limited.hash('b'), limited.hash('c')];
    await assert.rejects(limited.hash('d'), (err: unknown) => err instanceof ServerBusyError && err.code === 'server_busy' && err.status === 503);
    for (let i = 0; i < 3; i++) {
      await turn();
      g.finishNext();
    }
    assert.deepEqual(await Promise.all(admitted), ['hash', 'hash', 'hash']);
    const again = limited.hash('e');
    await turn();
    g.finishNext();
    assert.equal(await again, 'hash');
  });

  it('frees the slot when the hasher throws', async () => {
    let calls = 0;
    const failing: PasswordHasher = {
      hash: async () => {
        calls++;
        throw new Error('boom');
      },
      verify: async () => true,
    };
    const limited = limitHashing(failing, { maxConcurrent: 1, maxQueued: 0 });
    await assert.rejects(limited.hash('x'), /boom/);
    await assert.rejects(limited.hash('y'), /boom/);
    assert.equal(calls, 2);
  });

  describe('over HTTP', () => {
    let s: TestServer | undefined;
    after(async () => s?.close());

    it('a login past the queue gets 503 server_busy with Retry-After, in the JSON error shape', async () => {
      const g = gatedHasher();
      s = await makeServer({}, undefined, { passwords: g.hasher, hashLimits: { maxConcurrent: 1, maxQueued: 1 } });
      const server = s;
      const login = () =>
        server.app.inject({ method: 'POST', url: '/auth/login', headers: JSON_HEADERS, payload: { email: 'nobody@example.com', password: PASSWORD, mode: 'token' } });
      // Three logins at once for an unknown e-mail (each still verifies against the dummy hash): one
      // hashes, one waits, the third is refused.
      let settled = 0;
      const all = [login(), login(), login()].map((p) => p.finally(() => settled++));
      while (settled < 3) {
        if (g.started > 0) g.finishNext();
        await turn();
      }
      const res = await Promise.all(all);
      assert.deepEqual(res.map((r) => r.statusCode).sort(), [401, 401, 503]);
      const busy = res.find((r) => r.statusCode === 503);
      assert.ok(busy);
      assertJsonError(busy, 503, 'server_busy');
      assert.equal(busy.headers['retry-after'], '1');
    });
  });
});

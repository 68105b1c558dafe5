import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import { MIGRATIONS } from '../src/store/sqlite/migrations.js';
import { runStoreSuite } from './store-suite.js';
import type { Store } from '../src/store/types.js';
import { startSweeper } from '../src/store/sweeper.js';

runStoreSuite('sqlite (memory)', () => openSqliteStore(':memory:'));

// On disk, with a second connection to the same file for the concurrency cases.
const dirs = new Map<Store, string>();
runStoreSuite(
  'sqlite (file, several connections)',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-suite-'));
    const inner = openSqliteStore(dir);
    const store: Store = {
      users: inner.users,
      sessions: inner.sessions,
      keys: inner.keys,
      securityEvents: inner.securityEvents,
      revocations: inner.revocations,
      clients: inner.clients,
      rateLimits: inner.rateLimits,
      ping: () => inner.ping(),
      async close() {
        await inner.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
    dirs.set(store, dir);
    return store;
  },
  { openAnother: async (store) => openSqliteStore(dirs.get(store)!) },
);

describe('sqlite store on disk', () => {
  it('creates the data folder 0700, uses WAL and records migrations; reopening keeps data', async () => {
    const root = mkdtempSync(join(tmpdir(), 'latchkey-store-'));
    try {
      const dir = join(root, 'data');
      const store = openSqliteStore(dir);
      await store.users.create({ email: 'a@example.com', passwordHash: 'x' }, 1);
      await store.close();
      assert.equal(statSync(dir).mode & 0o777, 0o700);
      assert.equal(statSync(join(dir, 'latchkey.sqlite')).mode & 0o077, 0);
      const again = openSqliteStore(dir);
      assert.equal((await again.users.list()).length, 1);
      await again.close();
      const db = new Database(join(dir, 'latchkey.sqlite'), { readonly: true });
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      assert.deepEqual(
        db.prepare('SELECT version FROM schema_migrations ORDER BY version').all(),
        MIGRATIONS.map((m) => ({ version: m.version })).sort((a, b) => a.version - b.version),
      );
      db.close();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('migration 2 upgrades a database that has versions 1 and 3 in place, keeping sessions, keys and clients', async () => {
    const root = mkdtempSync(join(tmpdir(), 'latchkey-store-'));
    try {
      const file = join(root, 'latchkey.sqlite');
      const db = new Database(file);
      db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
      const v1 = MIGRATIONS.find((m) => m.version === 1)!;
      db.exec(v1.sql);
      db.prepare('INSERT INTO schema_migrations VALUES (1, ?, 0)').run(v1.name);
      // A database created before issue 3 merged: migration 3 (clients) applied, 2 not yet.
      const v3 = MIGRATIONS.find((m) => m.version === 3)!;
      db.exec(v3.sql);
      db.prepare('INSERT INTO schema_migrations VALUES (3, ?, 0)').run(v3.name);
      db.prepare("INSERT INTO users (id, email, password_hash, created_at) VALUES ('u1', 'a@example.com', 'x', 1)").run();
      db.prepare("INSERT INTO sessions (id, user_id, client_id, created_at, last_used_at, expires_at, refresh_hash) VALUES ('s1', 'u1', 'latchkey-web', 1, 1, 9e15, 'h')").run();
      db.prepare("INSERT INTO signing_keys VALUES ('k1', 'ES256', '{}', '{}', 'none', 'active', 5, 5)").run();
      db.close();
      const store = openSqliteStore(root);
      const s = await store.sessions.get('s1');
      assert.equal(s?.refreshHash, 'h');
      assert.equal(s?.rotatedAt, null);
      assert.equal(s?.previousCsrfHash, null);
      assert.deepEqual((await store.keys.list()).map((k) => [k.kid, k.status, k.createdAt, k.publishUntil]), [['k1', 'active', 5, null]]);
      assert.equal(await store.keys.setStatus('k1', 'removed', 6), true, "the new 'removed' status is allowed");
      await store.close();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('expired-session sweeper', () => {
  it('deletes expired sessions (not live ones) on its interval', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const store = openSqliteStore(':memory:');
    try {
      const r = await store.users.create({ email: 'sweep@example.com', passwordHash: 'x' }, 0);
      assert.ok(r.ok);
      const mk = (id: string, expiresAt: number) =>
        store.sessions.create({ id, userId: r.user.id, clientId: 'latchkey-web', userAgent: null, expiresAt, refreshHash: id, csrfHash: null }, 0);
      await mk('old', 1000);
      await mk('live', 10_000);
      const errors: unknown[] = [];
      const sweeper = startSweeper(store, () => 5000, (e) => errors.push(e), 60_000);
      t.mock.timers.tick(60_000);
      await new Promise((done) => setImmediate(done));
      assert.equal(await store.sessions.get('old'), null);
      assert.ok(await store.sessions.get('live'));
      sweeper.stop();
      assert.deepEqual(errors, []);
    } finally {
      await store.close();
    }
  });
});

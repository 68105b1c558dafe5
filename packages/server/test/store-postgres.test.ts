import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { openPostgresStore, migratePostgres, PG_MIGRATIONS } from '../src/store/postgres/index.js';
import type { Store } from '../src/store/types.js';
import { StoreUnavailableError } from '../src/errors.js';
import { KeyManager } from '../src/keys/key-manager.js';
import { aesGcmProtector } from '../src/keys/aes-gcm-protector.js';
import { runStoreSuite } from './store-suite.js';
import { MIGRATIONS as SQLITE_MIGRATIONS } from '../src/store/sqlite/migrations.js';
import { describeWith, dropSchema, pgAdmin, PG_URL, testName } from './services.js';

const schemas = new Map<Store, string>();
const created: string[] = [];
after(async () => {
  for (const s of created) await dropSchema(s).catch(() => {});
});

async function freshStore(): Promise<Store> {
  const schema = testName();
  created.push(schema);
  const inner = await openPostgresStore({ connectionString: PG_URL, schema, poolSize: 4 });
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
      await dropSchema(schema);
    },
  };
  schemas.set(store, schema);
  return store;
}

describe('postgres migrations mirror SQLite', () => {
  it('every SQLite migration has a PostgreSQL twin with the same version and name (add it in src/store/postgres/migrations.ts)', () => {
    const pg = new Map(PG_MIGRATIONS.map((m) => [m.version, m.name]));
    for (const m of SQLITE_MIGRATIONS) assert.equal(pg.get(m.version), m.name, `PostgreSQL migration ${m.version} (${m.name}) is missing`);
  });
});

await describeWith(['postgres'], 'postgres store', () => {
  runStoreSuite('postgres', freshStore, {
    openAnother: (store) => openPostgresStore({ connectionString: PG_URL, schema: schemas.get(store)!, poolSize: 4, migrate: false }),
  });

  it('migrations: concurrent instances apply each version once, under the advisory lock; re-running applies nothing', async () => {
    const schema = testName();
    created.push(schema);
    const reports = await Promise.all(Array.from({ length: 5 }, () => migratePostgres({ connectionString: PG_URL, schema })));
    const latest = Math.max(...PG_MIGRATIONS.map((m) => m.version));
    assert.deepEqual(reports.flatMap((r) => r.applied).sort(), PG_MIGRATIONS.map((m) => m.version).sort());
    assert.ok(reports.every((r) => r.version === latest));
    const rows = await pgAdmin<{ version: number }>(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`);
    assert.deepEqual(rows.rows.map((r) => r.version), PG_MIGRATIONS.map((m) => m.version));
    assert.deepEqual((await migratePostgres({ connectionString: PG_URL, schema })).applied, []);
    await dropSchema(schema);
  });

  it('a failing migration rolls back completely and leaves the version unrecorded', async () => {
    const schema = testName();
    created.push(schema);
    await assert.rejects(
      migratePostgres({ connectionString: PG_URL, schema }, [...PG_MIGRATIONS, { version: 999, name: 'broken', sql: 'CREATE TABLE t999 (x int); SELECT no_such_fn();' }]),
    );
    const tables = await pgAdmin(`SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 't999'`, [schema]);
    assert.equal(tables.rowCount, 0);
    const versions = await pgAdmin<{ version: number }>(`SELECT version FROM "${schema}".schema_migrations`);
    assert.ok(!versions.rows.some((r) => r.version === 999));
    await dropSchema(schema);
  });

  it('key generation is coordinated: six instances starting at once on an empty database share one key', async () => {
    const schema = testName();
    created.push(schema);
    const stores = await Promise.all(Array.from({ length: 6 }, () => openPostgresStore({ connectionString: PG_URL, schema, poolSize: 2 })));
    try {
      const protector = aesGcmProtector('a-key-encryption-secret-of-enough-length');
      const managers = await Promise.all(stores.map((s) => KeyManager.open(s.keys, 'ES256', Date.now(), protector)));
      const kids = new Set(managers.map((m) => m.signingKey().kid));
      assert.equal(kids.size, 1);
      assert.equal((await stores[0]!.keys.list()).length, 1);
      assert.ok(managers.every((m) => JSON.stringify(m.jwks()) === JSON.stringify(managers[0]!.jwks())));
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await dropSchema(schema);
    }
  });

  it('refuses a pool smaller than 2 and a bad schema name', async () => {
    await assert.rejects(openPostgresStore({ connectionString: PG_URL, poolSize: 1 }), TypeError);
    await assert.rejects(openPostgresStore({ connectionString: PG_URL, schema: 'x"; DROP TABLE users; --' }), TypeError);
  });

  it('an unreachable database is StoreUnavailableError (503) at start-up, without the password in the message', async () => {
    const url = new URL(PG_URL);
    url.password = 'sekrit-password';
    url.port = '1'; // nothing listens on port 1
    await assert.rejects(openPostgresStore({ connectionString: url.toString(), connectTimeoutMs: 1000 }), (err: unknown) => {
      assert.ok(err instanceof StoreUnavailableError);
      assert.equal(err.status, 503);
      assert.ok(!err.message.includes('sekrit'));
      return true;
    });
  });
});

import { after } from 'node:test';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import { openPostgresStore } from '../src/store/postgres/index.js';
import { closeRedis, connectRedis } from '../src/store/redis/client.js';
import { redisRateLimits } from '../src/store/redis/rate-limits.js';
import { runRateLimitSuite } from './rate-limit-suite.js';
import { deleteRedisPrefix, describeWith, dropSchema, PG_URL, REDIS_URL, testName } from './services.js';

runRateLimitSuite('sqlite', async () => {
  const store = openSqliteStore(':memory:');
  return { limits: store.rateLimits, close: () => store.close() };
});

const schemas: string[] = [];
const prefixes: string[] = [];
after(async () => {
  for (const s of schemas) await dropSchema(s).catch(() => {});
  for (const p of prefixes) await deleteRedisPrefix(p).catch(() => {});
});

await describeWith(['postgres'], 'rate limits on postgres', () => {
  runRateLimitSuite('postgres', async () => {
    const schema = testName();
    schemas.push(schema);
    const store = await openPostgresStore({ connectionString: PG_URL, schema, poolSize: 8 });
    return {
      limits: store.rateLimits,
      async close() {
        await store.close();
        await dropSchema(schema);
      },
    };
  });
});

await describeWith(['redis'], 'rate limits on redis', () => {
  runRateLimitSuite('redis', async () => {
    const prefix = `${testName()}:`;
    prefixes.push(prefix);
    const redis = await connectRedis({ url: REDIS_URL, keyPrefix: prefix });
    return {
      limits: redisRateLimits(redis, prefix),
      async close() {
        await closeRedis(redis);
        await deleteRedisPrefix(prefix);
      },
    };
  });
});

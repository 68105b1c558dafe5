#!/usr/bin/env node
/**
 * Refresh throughput of the auth server per storage backend, over real HTTP against real
 * `latchkey serve` processes (not a test; prints figures for docs/deployment.md).
 *
 *   npm run build && node bench/refresh-throughput.mjs [--seconds 8] [--concurrency 64]
 *
 * Backends: SQLite (one instance), PostgreSQL + Redis (one instance), PostgreSQL + Redis (two
 * instances, requests alternating between them). PostgreSQL/Redis from LATCHKEY_BENCH_DATABASE_URL /
 * LATCHKEY_BENCH_REDIS_URL (default the local test services); each run uses its own schema and key
 * prefix, removed afterwards. Every request is a token-mode `POST /auth/refresh` that rotates the
 * session's refresh token (one store transaction + one ES256 signature). Also measures a single
 * session read from PostgreSQL vs Redis, to decide whether hot session state in Redis would pay.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Redis } from 'ioredis';

const root = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(root, 'packages/server/dist/src/cli.js');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(args[i + 1]);
};
const SECONDS = opt('seconds', 8);
const CONCURRENCY = opt('concurrency', 64);
const PG_URL = process.env.LATCHKEY_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.LATCHKEY_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PASSWORD = 'bench password 123';

function serve(env) {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--json'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => resolve({ url: JSON.parse(line).url, child }));
    child.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
  });
}
async function stop(instances) {
  await Promise.all(
    instances.map(({ child }) => {
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      return done;
    }),
  );
}

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
function post(url, body) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

async function measure(label, instances) {
  const urls = instances.map((i) => i.url);
  const email = `bench-${randomBytes(4).toString('hex')}@example.com`;
  const su = await post(`${urls[0]}/auth/signup`, { email, password: PASSWORD });
  if (su.status !== 201) throw new Error(`signup: ${su.status} ${su.body}`);
  const tokens = await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, i) => {
      const r = await post(`${urls[i % urls.length]}/auth/login`, { email, password: PASSWORD, mode: 'token' });
      if (r.status !== 200) throw new Error(`login: ${r.status} ${r.body}`);
      return JSON.parse(r.body).refresh_token;
    }),
  );
  const warmUntil = Date.now() + 1000;
  const until = warmUntil + SECONDS * 1000;
  let done = 0;
  let errors = 0;
  const latencies = [];
  await Promise.all(
    tokens.map(async (token, i) => {
      let rt = token;
      let n = i;
      while (Date.now() < until) {
        const t = process.hrtime.bigint();
        const r = await post(`${urls[n++ % urls.length]}/auth/refresh`, { refresh_token: rt });
        if (r.status !== 200) {
          errors++;
          throw new Error(`refresh: ${r.status} ${r.body}`);
        }
        rt = JSON.parse(r.body).refresh_token;
        if (Date.now() >= warmUntil) {
          done++;
          latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
        }
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(1);
  return { backend: label, 'refresh/s': Math.round(done / SECONDS), 'p50 ms': q(0.5), 'p99 ms': q(0.99), errors };
}

async function sessionReadMicrobench(schema, prefix) {
  // One session row as the refresh path reads it, from PostgreSQL (primary key) vs Redis (GET).
  const pool = new pg.Pool({ connectionString: PG_URL, max: 16, options: `-c search_path=${schema}` });
  const redis = new Redis(REDIS_URL);
  const row = (await pool.query('SELECT * FROM sessions LIMIT 1')).rows[0];
  const ids = (await pool.query('SELECT id FROM sessions LIMIT 64')).rows.map((r) => r.id);
  await redis.set(`${prefix}bench:session`, JSON.stringify(row));
  const run = async (fn) => {
    const n = 10_000;
    let i = 0;
    const t = process.hrtime.bigint();
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (i++ < n) await fn();
    }));
    return Math.round(n / (Number(process.hrtime.bigint() - t) / 1e9));
  };
  const pgOps = await run(() => pool.query('SELECT * FROM sessions WHERE id = $1', [row.id]));
  const redisOps = await run(() => redis.get(`${prefix}bench:session`));
  let k = 0;
  const pgWrites = await run(() => pool.query('UPDATE sessions SET last_used_at = $1 WHERE id = $2', [Date.now(), ids[k++ % ids.length]]));
  await pool.end();
  redis.disconnect();
  return { 'PostgreSQL session read/s': pgOps, 'Redis GET/s': redisOps, 'PostgreSQL one-row UPDATE+commit/s': pgWrites };
}

const dir = mkdtempSync(join(tmpdir(), 'latchkey-bench-'));
const schema = `latchkey_t_${randomBytes(6).toString('hex')}`;
const prefix = `${schema}:`;
const base = { PATH: process.env.PATH, LATCHKEY_ISSUER: 'http://localhost:8080', LATCHKEY_AUDIENCE: 'bench', LATCHKEY_SIGNUP_ENABLED: 'true' };
const scaled = { ...base, LATCHKEY_DATA_DIR: join(dir, 'unused'), LATCHKEY_DATABASE_URL: PG_URL, LATCHKEY_DATABASE_SCHEMA: schema, LATCHKEY_REDIS_URL: REDIS_URL, LATCHKEY_REDIS_PREFIX: prefix };
const rows = [];
let micro;
try {
  console.log(`node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model}), ${CONCURRENCY} concurrent sessions, ${SECONDS} s per backend`);
  let inst = [await serve({ ...base, LATCHKEY_DATA_DIR: join(dir, 'sqlite') })];
  rows.push(await measure('SQLite, 1 instance', inst));
  await stop(inst);
  inst = [await serve(scaled)];
  rows.push(await measure('PostgreSQL + Redis, 1 instance', inst));
  await stop(inst);
  inst = await Promise.all([serve(scaled), serve(scaled)]);
  rows.push(await measure('PostgreSQL + Redis, 2 instances', inst));
  await stop(inst);
  micro = await sessionReadMicrobench(schema, prefix);
} finally {
  agent.destroy();
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await c.end();
  const r = new Redis(REDIS_URL);
  const keys = await r.keys(`${prefix}*`);
  if (keys.length > 0) await r.del(...keys);
  r.disconnect();
  rmSync(dir, { recursive: true, force: true });
}
console.table(rows);
console.table([micro]);

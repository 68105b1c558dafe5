/**
 * Two real `latchkey serve` processes on one PostgreSQL + Redis, as in production: one key set, a
 * session started on one refreshes on the other, reuse is detected across them, and encrypted keys
 * with a missing or wrong LATCHKEY_KEY_ENCRYPTION_KEY stop start-up with a clear error.
 */
import { it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { PG_MIGRATIONS } from '../src/store/postgres/index.js';
import { deleteRedisPrefix, describeWith, dropSchema, pgAdmin, PG_URL, REDIS_URL, testName } from './services.js';

const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));
const KEK = 'multi-instance-test-encryption-key-0123456789';
const PASSWORD = 'correct horse battery';

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });
}

interface Instance {
  url: string;
  child: ChildProcess;
}

/** Starts `latchkey serve --json` and resolves with its URL (or rejects with its stderr if it exits first). */
function serve(env: NodeJS.ProcessEnv, children: ChildProcess[]): Promise<Instance> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => resolve({ url: (JSON.parse(line) as { url: string }).url, child }));
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
}

await describeWith(['postgres', 'redis'], 'several auth-server instances on one PostgreSQL + Redis', () => {
  const schema = testName();
  const prefix = `${schema}:`;
  const children: ChildProcess[] = [];
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let a: Instance;
  let b: Instance;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'latchkey-multi-'));
    env = {
      PATH: process.env.PATH,
      LATCHKEY_DATA_DIR: join(dir, 'unused'),
      LATCHKEY_ISSUER: 'http://localhost:8080',
      LATCHKEY_AUDIENCE: 'shop-api',
      LATCHKEY_SIGNUP_ENABLED: 'true',
      LATCHKEY_DATABASE_URL: PG_URL,
      LATCHKEY_DATABASE_SCHEMA: schema,
      LATCHKEY_DATABASE_POOL_SIZE: '4',
      LATCHKEY_REDIS_URL: REDIS_URL,
      LATCHKEY_REDIS_PREFIX: prefix,
      LATCHKEY_KEY_ENCRYPTION_KEY: KEK,
    };
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await dropSchema(schema);
    await deleteRedisPrefix(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('latchkey migrate applies the schema once and then has nothing to do', async () => {
    const first = await run(['migrate', '--json'], env);
    assert.equal(first.code, 0, first.stderr);
    const versions = PG_MIGRATIONS.map((m) => m.version);
    assert.deepEqual(JSON.parse(first.stdout).applied, versions);
    assert.ok(!first.stdout.includes('postgres@'), 'no credentials printed');
    const second = await run(['migrate'], env);
    assert.equal(second.code, 0, second.stderr);
    assert.ok(second.stdout.includes(`schema at version ${Math.max(...versions)} (nothing to apply)`), second.stdout);
  });

  it('two instances started at once publish one and the same key set, sealed at rest', async () => {
    [a, b] = await Promise.all([serve(env, children), serve(env, children)]);
    const [ja, jb] = await Promise.all([a, b].map(async (i) => (await fetch(`${i.url}/.well-known/jwks.json`)).json() as Promise<{ keys: { kid: string }[] }>));
    assert.equal(ja!.keys.length, 1);
    assert.deepEqual(ja, jb);
    for (const i of [a, b]) assert.equal((await fetch(`${i.url}/healthz`)).status, 200);
    const rows = await pgAdmin<{ private_jwk: string; protection: string }>(`SELECT private_jwk, protection FROM "${schema}".signing_keys`);
    assert.equal(rows.rowCount, 1);
    assert.match(rows.rows[0]!.protection, /^aes-256-gcm/);
    assert.ok(!rows.rows[0]!.private_jwk.includes('"d"'));
  });

  it('a session started on one instance refreshes on the other (cookie and token mode), and reuse is caught across them', async () => {
    const json = { 'content-type': 'application/json' };
    const signup = await fetch(`${a.url}/auth/signup`, { method: 'POST', headers: json, body: JSON.stringify({ email: 'multi@example.com', password: PASSWORD }) });
    assert.equal(signup.status, 201);

    // Cookie mode: login on A, refresh on B with the refresh cookie and the CSRF header.
    const login = await fetch(`${a.url}/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ email: 'multi@example.com', password: PASSWORD }) });
    assert.equal(login.status, 200);
    const rtCookie = login.headers.getSetCookie().find((c) => c.startsWith('__Secure-lk_rt='))!.split(';')[0]!;
    const refreshed = await fetch(`${b.url}/auth/refresh`, { method: 'POST', headers: { cookie: rtCookie, 'x-csrf-token': login.headers.get('x-csrf-token')! } });
    assert.equal(refreshed.status, 200, await refreshed.clone().text());
    const at = refreshed.headers.getSetCookie().find((c) => c.startsWith('__Host-lk_at='))!.split(';')[0]!.slice('__Host-lk_at='.length);
    // The access token minted by B is accepted by A (one key set).
    const me = await fetch(`${a.url}/auth/me`, { headers: { authorization: `Bearer ${at}` } });
    assert.equal(me.status, 200);

    // Token mode: login on B, refresh on A, then on B again.
    const tl = await fetch(`${b.url}/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ email: 'multi@example.com', password: PASSWORD, mode: 'token' }) });
    const first = ((await tl.json()) as { refresh_token: string }).refresh_token;
    const r1 = await fetch(`${a.url}/auth/refresh`, { method: 'POST', headers: json, body: JSON.stringify({ refresh_token: first }) });
    assert.equal(r1.status, 200);
    const second = ((await r1.json()) as { refresh_token: string }).refresh_token;
    const r2 = await fetch(`${b.url}/auth/refresh`, { method: 'POST', headers: json, body: JSON.stringify({ refresh_token: second }) });
    assert.equal(r2.status, 200);
    const third = ((await r2.json()) as { refresh_token: string }).refresh_token;

    // Replaying the first token on B: theft assumed, session revoked everywhere.
    const replay = await fetch(`${b.url}/auth/refresh`, { method: 'POST', headers: json, body: JSON.stringify({ refresh_token: first }) });
    assert.equal(replay.status, 401);
    assert.equal(((await replay.json()) as { error: string }).error, 'refresh_token_reused');
    const dead = await fetch(`${a.url}/auth/refresh`, { method: 'POST', headers: json, body: JSON.stringify({ refresh_token: third }) });
    assert.equal(dead.status, 401);
  });

  it('parallel refreshes of one token spread over both instances mint exactly one successor, handed to every one of them (grace window)', async () => {
    const json = { 'content-type': 'application/json' };
    const tl = await fetch(`${a.url}/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ email: 'multi@example.com', password: PASSWORD, mode: 'token' }) });
    const rt = ((await tl.json()) as { refresh_token: string }).refresh_token;
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        fetch(`${(i % 2 === 0 ? a : b).url}/auth/refresh`, { method: 'POST', headers: json, body: JSON.stringify({ refresh_token: rt }) }).then(async (r) => ({
          status: r.status,
          body: (await r.json()) as { refresh_token?: string },
        })),
      ),
    );
    assert.deepEqual(results.map((r) => r.status), Array(12).fill(200));
    assert.equal(new Set(results.map((r) => r.body.refresh_token)).size, 1, 'one successor across both instances');
  });

  it('with encrypted keys in the store, a missing or wrong LATCHKEY_KEY_ENCRYPTION_KEY stops start-up with a clear error', async () => {
    const { LATCHKEY_KEY_ENCRYPTION_KEY: _omit, ...noKey } = env;
    const missing = await run(['serve', '--port', '0'], noKey);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /encrypted.*set LATCHKEY_KEY_ENCRYPTION_KEY/);
    const wrong = await run(['serve', '--port', '0'], { ...env, LATCHKEY_KEY_ENCRYPTION_KEY: 'a-different-secret-of-sufficient-length!!' });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /LATCHKEY_KEY_ENCRYPTION_KEY does not decrypt/);
    assert.ok(!wrong.stderr.includes('a-different-secret'));
    const rows = await pgAdmin(`SELECT kid FROM "${schema}".signing_keys`);
    assert.equal(rows.rowCount, 1, 'failed starts generated no competing key');
  });

  it('both instances stop cleanly on SIGTERM (pools and Redis closed)', async () => {
    for (const i of [a, b]) {
      const exited = once(i.child, 'exit');
      i.child.kill('SIGTERM');
      const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
      assert.equal(signal, null);
      assert.equal(code, 0);
    }
  });
});

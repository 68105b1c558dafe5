import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));

function run(args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { env, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ code, stdout, stderr });
    });
    child.stdin?.end(input ?? '');
  });
}

/** Starts `serve` on a free port, creates a user and logs in (token mode), stops the server; returns the access token. */
async function mintWithServer(env: NodeJS.ProcessEnv): Promise<string> {
  const server = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const [line] = (await once(createInterface({ input: server.stdout! }), 'line')) as [string];
    const { url } = JSON.parse(line) as { url: string };
    const created = await run(['users', 'create', '--email', `inspect-${Date.now()}@example.com`, '--password-stdin', '--json'], env, 'a long enough password\n');
    const { email } = JSON.parse(created.stdout) as { email: string };
    const res = await fetch(`${url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'a long enough password', mode: 'token' }),
    });
    const body = (await res.json()) as { access_token?: string };
    if (body.access_token === undefined) throw new Error(`login failed: ${res.status}`);
    return body.access_token;
  } finally {
    const exited = once(server, 'exit');
    server.kill('SIGTERM');
    await exited;
  }
}

describe('latchkey CLI over real HTTP', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let server: ChildProcess | undefined;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'latchkey-cli-'));
    env = {
      PATH: process.env.PATH,
      LATCHKEY_DATA_DIR: join(dir, 'data'),
      LATCHKEY_ISSUER: 'http://localhost:8080',
      LATCHKEY_AUDIENCE: 'shop-api',
      LATCHKEY_CORS_ORIGINS: 'http://localhost:8080',
    };
  });
  after(() => {
    if (server !== undefined && server.exitCode === null) server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    assert.equal(existsSync(dir), false);
  });

  it('serve starts on a free port, serves JWKS and login, and stops cleanly on SIGTERM', async () => {
    const created = await run(['users', 'create', '--email', 'cli@example.com', '--password-stdin', '--json'], env, 'a long enough password\n');
    assert.equal(created.code, 0, created.stderr);
    assert.equal(JSON.parse(created.stdout).email, 'cli@example.com');
    assert.equal(created.stdout.includes('a long enough password'), false);

    server = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--host', '127.0.0.1'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = createInterface({ input: server.stdout! });
    let url = '';
    for await (const line of lines) {
      const m = /listening on (http:\/\/\S+)/.exec(line);
      if (m?.[1] !== undefined) {
        url = m[1];
        break;
      }
    }
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);

    const jwks = (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as { keys: { alg: string }[] };
    assert.equal(jwks.keys[0]?.alg, 'ES256');

    const login = await fetch(`${url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'cli@example.com', password: 'a long enough password' }),
    });
    assert.equal(login.status, 200);
    const cookies = login.headers.getSetCookie();
    assert.equal(cookies.length, 2);
    assert.ok(login.headers.get('x-csrf-token'));
    const at = cookies[0]!.split(';')[0]!.slice('__Host-lk_at='.length);

    const me = await fetch(`${url}/auth/me`, { headers: { authorization: `Bearer ${at}` } });
    assert.equal(me.status, 200);
    assert.equal(((await me.json()) as { user: { email: string } }).user.email, 'cli@example.com');

    // token inspect, against the same data folder, accepts the live token
    const inspected = await run(['token', 'inspect', at, '--json'], env);
    assert.equal(inspected.code, 0, inspected.stdout);
    const report = JSON.parse(inspected.stdout);
    assert.equal(report.valid, true);
    assert.match(report.claims.csrf, /^<redacted/);

    // …and explains a tampered one
    const parts = at.split('.');
    const tampered = `${parts[0]}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(parts[1]!, 'base64url').toString()), sub: 'someone-else' })).toString('base64url')}.${parts[2]}`;
    const bad = await run(['token', 'inspect', tampered, '--json'], env);
    assert.equal(bad.code, 1);
    assert.deepEqual(JSON.parse(bad.stdout).checks.filter((c: { ok: boolean }) => !c.ok).map((c: { name: string }) => c.name), ['signature']);

    const exited = once(server, 'exit');
    server.kill('SIGTERM');
    const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
    assert.equal(signal, null);
    assert.equal(code, 0);
  });

  it('keys list and users list print JSON; users disable revokes', async () => {
    const keys = await run(['keys', 'list', '--json'], env);
    assert.equal(keys.code, 0);
    const parsed = JSON.parse(keys.stdout);
    assert.equal(parsed.length, 1);
    assert.equal(parsed[0].status, 'active');
    const disabled = await run(['users', 'disable', 'CLI@example.com', '--json'], env);
    assert.equal(disabled.code, 0, disabled.stderr);
    assert.equal(JSON.parse(disabled.stdout).sessions_revoked, 1);
    const users = JSON.parse((await run(['users', 'list', '--json'], env)).stdout);
    assert.equal(users[0].disabled, true);
  });

  it('token inspect checks iss/aud against what `serve` recorded in the data folder, or flags, or says it did not check', async () => {
    const recorded = JSON.parse(readFileSync(join(dir, 'data', 'latchkey.json'), 'utf8'));
    assert.deepEqual({ issuer: recorded.issuer, audience: recorded.audience }, { issuer: 'http://localhost:8080', audience: 'shop-api' });
    // A token minted by the server with the recorded issuer/audience, inspected without any LATCHKEY_ISSUER/AUDIENCE.
    const token = await mintWithServer(env);
    const bare = { PATH: process.env.PATH, LATCHKEY_DATA_DIR: join(dir, 'data') };
    const fromRecord = await run(['token', 'inspect', token, '--json'], bare);
    assert.equal(fromRecord.code, 0, fromRecord.stdout);
    const checks = JSON.parse(fromRecord.stdout).checks as { name: string; status: string; detail: string }[];
    assert.deepEqual(checks.filter((c) => c.name === 'iss' || c.name === 'aud').map((c) => [c.name, c.status]), [['iss', 'ok'], ['aud', 'ok']]);
    assert.equal(fromRecord.stderr.includes('development defaults'), false, 'no dev-defaults warning for admin commands');

    const wrong = await run(['token', 'inspect', token, '--issuer', 'http://elsewhere.test', '--audience', 'other-api'], bare);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stdout, /FAIL\s+iss\s+expected "http:\/\/elsewhere\.test"/);
    assert.match(wrong.stdout, /FAIL\s+aud\s+expected "other-api"/);

    // No record, no flags, no env: the other checks still run; iss/aud are reported as not checked, not failed.
    rmSync(join(dir, 'data', 'latchkey.json'));
    const unchecked = await run(['token', 'inspect', token], bare);
    assert.equal(unchecked.code, 0, unchecked.stdout);
    assert.match(unchecked.stdout, /-\s+iss\s+not checked \(pass --issuer\/--audience or set LATCHKEY_ISSUER\/LATCHKEY_AUDIENCE\)/);
    assert.match(unchecked.stdout, /result: valid \(issuer and audience not checked\)/);
  });

  it('read commands never create a data folder or database: exit 1 naming the folder', async () => {
    const missing = join(dir, 'no-such-folder');
    for (const args of [['users', 'list'], ['keys', 'list'], ['token', 'inspect', 'a.b.c'], ['users', 'disable', 'x@example.com']]) {
      const res = await run([...args, '--data-dir', missing], { PATH: process.env.PATH });
      assert.equal(res.code, 1, `${args.join(' ')}: ${res.stderr}`);
      assert.match(res.stderr, new RegExp(`no Latchkey data folder at ${missing.replaceAll('/', '\\/')}`));
      assert.equal(res.stderr.includes('development defaults'), false);
      assert.equal(existsSync(missing), false, `${args.join(' ')} created the folder`);
    }
    const empty = join(dir, 'empty-folder');
    mkdirSync(empty);
    const res = await run(['users', 'list', '--data-dir', empty], { PATH: process.env.PATH });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /no Latchkey database \(latchkey\.sqlite\) in .*empty-folder/);
    assert.deepEqual(readdirSync(empty), []);
  });

  it('users list prints an aligned table of id, email, name, roles, disabled, created_at', async () => {
    const created = await run(['users', 'create', '--email', 'table@example.com', '--name', 'Table Person'], env);
    assert.equal(created.code, 0, created.stderr);
    const res = await run(['users', 'list'], env);
    assert.equal(res.code, 0);
    const [header = '', ...rows] = res.stdout.trimEnd().split('\n');
    assert.match(header, /^id\s+email\s+name\s+roles\s+disabled\s+created_at$/);
    const row = rows.find((r) => r.includes('table@example.com')) ?? '';
    assert.match(row, /table@example\.com\s+Table Person\s+-\s+no\s+\d{4}-\d\d-\d\dT/);
    // columns line up: every row's email starts where the header's does
    for (const r of rows) assert.equal(r.indexOf('@') > header.indexOf('email'), true);
    assert.ok(rows.some((r) => /cli@example\.com\s+-\s+-\s+yes/.test(r)), res.stdout);
  });

  it('keys rotate makes a new key sign and retires the old one; keys retire removes a key from the JWKS', async () => {
    const before = JSON.parse((await run(['keys', 'list', '--json'], env)).stdout) as { kid: string; status: string }[];
    const oldKid = before.find((k) => k.status === 'active')!.kid;
    const rotated = await run(['keys', 'rotate', '--json'], env);
    assert.equal(rotated.code, 0, rotated.stderr);
    const after = JSON.parse(rotated.stdout) as { kid: string; status: string; publish_until: string | null }[];
    const active = after.filter((k) => k.status === 'active');
    assert.equal(active.length, 1);
    assert.notEqual(active[0]!.kid, oldKid);
    const old = after.find((k) => k.kid === oldKid)!;
    assert.equal(old.status, 'retired');
    assert.ok(old.publish_until !== null && Date.parse(old.publish_until) > Date.now());
    const retired = await run(['keys', 'retire', oldKid, '--json'], env);
    assert.equal(retired.code, 0, retired.stderr);
    assert.equal((JSON.parse(retired.stdout) as { kid: string; status: string }[]).find((k) => k.kid === oldKid)!.status, 'removed');
    const unknown = await run(['keys', 'retire', 'no-such-kid'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no published key/);
  });

  it('usage errors exit 2 with a message; --help exits 0', async () => {
    const bad = await run(['frobnicate'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown command/);
    const help = await run(['--help'], env);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /token inspect/);
    const badPort = await run(['serve', '--port', 'eighty'], env);
    assert.equal(badPort.code, 2);
  });

  it('bad configuration fails fast naming the option', async () => {
    const res = await run(['serve', '--port', '0'], { ...env, LATCHKEY_ACCESS_TTL: '999999' });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /accessTokenTtlSeconds/);
  });
});

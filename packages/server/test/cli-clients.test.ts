import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { runCli, startCliServer, type CliServer } from './cli-helpers.js';

describe('latchkey clients (CLI) against a running server', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let server: CliServer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'latchkey-cli-clients-'));
    env = { PATH: process.env.PATH, LATCHKEY_DATA_DIR: join(dir, 'data'), LATCHKEY_ISSUER: 'http://localhost:8080', LATCHKEY_AUDIENCE: 'shop-api' };
    server = await startCliServer(env);
  });
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const tokenFor = (id: string, secret: string, extra: Record<string, string> = {}) =>
    fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials', ...extra }),
    });

  it('create --json prints one object with client_id and client_secret; the secret works at /oauth/token', async () => {
    const created = await runCli(['clients', 'create', '--name', 'Reports', '--scopes', 'reports:read reports:write', '--audience', 'reports-api shop-api', '--json'], env);
    assert.equal(created.code, 0, created.stderr);
    const lines = created.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const c = JSON.parse(lines[0]!) as { client_id: string; client_secret: string; scopes: string[]; audiences: string[] };
    assert.match(c.client_secret, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(c.scopes, ['reports:read', 'reports:write']);
    assert.deepEqual(c.audiences, ['reports-api', 'shop-api']);

    const res = await tokenFor(c.client_id, c.client_secret, { scope: 'reports:read' });
    assert.equal(res.status, 200);
    const claims = decodeJwt(((await res.json()) as { access_token: string }).access_token);
    assert.equal(claims.sub, c.client_id);
    assert.equal(claims.aud, 'reports-api');
    assert.equal(claims.scope, 'reports:read');

    const listed = await runCli(['clients', 'list', '--json'], env);
    assert.equal(listed.code, 0);
    assert.equal(listed.stdout.includes(c.client_secret), false, 'list never prints secrets');
    assert.equal(listed.stdout.includes('sha256:'), false, 'nor their hashes');
    assert.deepEqual((JSON.parse(listed.stdout) as { client_id: string }[]).map((x) => x.client_id), [c.client_id]);
  });

  it('create with --id and the default audience; rotate-secret, disable/enable and delete take effect on the running server', async () => {
    const created = await runCli(['clients', 'create', '--id', 'recommendation', '--name', 'Recommendation', '--scopes', 'cart:read', '--json'], env);
    assert.equal(created.code, 0, created.stderr);
    const c = JSON.parse(created.stdout) as { client_id: string; client_secret: string; audiences: string[] };
    assert.equal(c.client_id, 'recommendation');
    assert.deepEqual(c.audiences, ['shop-api']);
    assert.equal((await tokenFor('recommendation', c.client_secret)).status, 200);

    const again = await runCli(['clients', 'create', '--id', 'recommendation', '--name', 'Dup', '--scopes', 'x'], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists/);

    const rotated = await runCli(['clients', 'rotate-secret', 'recommendation', '--json'], env);
    assert.equal(rotated.code, 0, rotated.stderr);
    const secret2 = (JSON.parse(rotated.stdout) as { client_secret: string }).client_secret;
    assert.notEqual(secret2, c.client_secret);
    assert.equal((await tokenFor('recommendation', c.client_secret)).status, 401);
    assert.equal((await tokenFor('recommendation', secret2)).status, 200);

    assert.equal((await runCli(['clients', 'disable', 'recommendation'], env)).code, 0);
    assert.equal((await tokenFor('recommendation', secret2)).status, 401);
    assert.equal((await runCli(['clients', 'enable', 'recommendation'], env)).code, 0);
    assert.equal((await tokenFor('recommendation', secret2)).status, 200);

    const deleted = await runCli(['clients', 'delete', 'recommendation', '--json'], env);
    assert.deepEqual(JSON.parse(deleted.stdout), { client_id: 'recommendation', deleted: true });
    const res = await tokenFor('recommendation', secret2);
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Basic realm="latchkey"');
    assert.equal((await runCli(['clients', 'delete', 'recommendation'], env)).code, 1);
    assert.equal((await runCli(['clients', 'rotate-secret', 'nobody'], env)).code, 1);
  });

  it('bad input is refused with a message and no client: usage errors exit 2, invalid values exit 1', async () => {
    assert.equal((await runCli(['clients', 'create', '--name', 'X'], env)).code, 2);
    assert.equal((await runCli(['clients', 'rotate-secret'], env)).code, 2);
    assert.equal((await runCli(['clients', 'frobnicate'], env)).code, 2);
    for (const args of [
      ['--name', 'X', '--scopes', 'bad"scope'],
      ['--name', 'X', '--scopes', 'ok', '--id', 'latchkey-native'],
      ['--name', 'X', '--scopes', 'ok', '--id', 'has space'],
      ['--name', '', '--scopes', 'ok'],
    ]) {
      const res = await runCli(['clients', 'create', ...args], env);
      assert.equal(res.code, 1, args.join(' '));
      assert.match(res.stderr, /^latchkey: /);
    }
    const list = JSON.parse((await runCli(['clients', 'list', '--json'], env)).stdout) as unknown[];
    assert.equal(list.length, 1, 'only the client from the first test');
  });
});

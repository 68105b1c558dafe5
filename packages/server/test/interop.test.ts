/**
 * Other languages verify Latchkey tokens with stock libraries: a Python program using Debian's PyJWT
 * (`PyJWKClient`) and a Go program using Debian's golang-jwt v4 fetch the JWKS from a running Latchkey
 * auth server (a real `latchkey serve` process on a free loopback port) and verify real access tokens —
 * a token-mode user token and a client-credentials token — and reject a tampered, an expired and a
 * wrong-audience one, for ES256, EdDSA and RS256.
 *
 * Needs `/usr/bin/python3` with `python3-jwt`, and `go` with `golang-github-golang-jwt-jwt-dev`
 * (`.ci/run` installs them). Skipped with a message when missing, except under `CI=true` (then it fails).
 * Tokens go to the verifiers on stdin, never argv; every URL is on 127.0.0.1.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { buildApp, loadConfig, type SigningAlgorithm } from '../src/index.js';
import { runCli, startCliServer, type CliServer } from './cli-helpers.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const PYTHON = '/usr/bin/python3';
const PY_VERIFIER = join(ROOT, 'interop', 'python', 'verify_token.py');
const GO_SOURCE = join(ROOT, 'interop', 'go', 'verify-token');
const GOPATH = '/usr/share/gocode';
const ISSUER = 'https://auth.interop.test'; // only a string in the tokens: nothing ever resolves it
const AUDIENCE = 'shop-api';
const CI = process.env.CI === 'true';
// The verifiers see no proxy settings: the JWKS is fetched straight from 127.0.0.1.
const CHILD_ENV = { PATH: '/usr/local/bin:/usr/bin:/bin', NO_PROXY: '*', no_proxy: '*', LC_ALL: 'C.UTF-8' };

function pythonMissing(): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} not found (apt-get install python3 python3-jwt)`;
  const r = spawnSync(PYTHON, ['-c', 'import jwt; from jwt import PyJWKClient'], { env: CHILD_ENV, encoding: 'utf8' });
  return r.status === 0 ? null : `Debian's python3-jwt is not installed for ${PYTHON} (apt-get install python3-jwt)`;
}
function goBinary(): string | null {
  for (const p of ['/usr/bin/go', '/usr/lib/go/bin/go', '/usr/local/go/bin/go']) if (existsSync(p)) return p;
  return null;
}
function goMissing(): string | null {
  if (goBinary() === null) return 'go not found (apt-get install golang-go)';
  if (!existsSync(join(GOPATH, 'src', 'github.com', 'golang-jwt', 'jwt'))) return 'golang-jwt not found (apt-get install golang-github-golang-jwt-jwt-dev)';
  return null;
}

interface Verdict {
  code: number | null;
  valid: boolean;
  sub?: string;
  claims?: Record<string, unknown>;
  error?: string;
}

/** Runs a verifier: `<cmd> JWKS_URL ISSUER AUDIENCE < token`, parses its one JSON line. */
function verify(cmd: string, args: readonly string[], jwksUrl: string, audience: string, token: string): Promise<Verdict> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, [...args, jwksUrl, ISSUER, audience], { env: CHILD_ENV, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.once('error', reject);
    child.once('close', (code) => {
      try {
        resolve({ code, ...(JSON.parse(out) as Omit<Verdict, 'code'>) });
      } catch {
        reject(new Error(`${cmd} printed no JSON (exit ${code}): ${out} ${err}`));
      }
    });
    child.stdin.end(token);
  });
}

interface Tokens {
  user: string;
  userId: string;
  machine: string;
  clientId: string;
  expired: string;
  wrongAudience: string;
  tampered: string;
}

/** Starts `latchkey serve` with `alg`, and mints every token the checks need from it. */
async function serverWithTokens(alg: SigningAlgorithm, dir: string): Promise<{ server: CliServer; jwksUrl: string; tokens: Tokens }> {
  const dataDir = join(dir, `data-${alg}`);
  const env = {
    PATH: process.env.PATH,
    LATCHKEY_DATA_DIR: dataDir,
    LATCHKEY_ISSUER: ISSUER,
    LATCHKEY_AUDIENCE: AUDIENCE,
    LATCHKEY_SIGNING_ALG: alg,
    LATCHKEY_SIGNUP_ENABLED: 'true',
  };
  const server = await startCliServer(env);
  const json = { 'content-type': 'application/json' };
  const credentials = { email: 'interop@example.com', password: 'interop password 1' };
  assert.equal((await fetch(`${server.url}/auth/signup`, { method: 'POST', headers: json, body: JSON.stringify(credentials) })).status, 201);
  const login = await fetch(`${server.url}/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ ...credentials, mode: 'token' }) });
  const user = ((await login.json()) as { access_token: string }).access_token;

  const created = await runCli(['clients', 'create', '--name', 'Interop', '--scopes', 'cart:read', '--audience', `${AUDIENCE} other-api`, '--json'], env);
  assert.equal(created.code, 0, created.stderr);
  const client = JSON.parse(created.stdout) as { client_id: string; client_secret: string };
  const form = (extra: Record<string, string> = {}) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...extra }),
  });
  const machine = ((await (await fetch(`${server.url}/oauth/token`, form())).json()) as { access_token: string }).access_token;
  const wrongAudience = ((await (await fetch(`${server.url}/oauth/token`, form({ resource: 'other-api' }))).json()) as { access_token: string }).access_token;

  // An expired token signed by the same key: the same data folder, served in-process with a clock two hours back.
  const config = loadConfig({}, { issuer: ISSUER, audience: AUDIENCE, dataDir, signingAlgorithm: alg }, { warn: () => {} });
  const past = await buildApp(config, { now: () => Date.now() - 2 * 3600_000 });
  let expired: string;
  try {
    const res = await past.inject({ method: 'POST', url: '/oauth/token', headers: form().headers, payload: 'grant_type=client_credentials' });
    expired = res.json<{ access_token: string }>().access_token;
  } finally {
    await past.close();
  }

  const [h, p, s] = user.split('.') as [string, string, string];
  const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString('utf8')), sub: 'someone-else' })).toString('base64url');
  const tampered = `${h}.${forged}.${s}`;

  for (const t of [user, machine, expired, wrongAudience]) assert.equal(decodeProtectedHeader(t).alg, alg);
  return {
    server,
    jwksUrl: `${server.url}/.well-known/jwks.json`,
    tokens: { user, userId: String(decodeJwt(user).sub), machine, clientId: client.client_id, expired, wrongAudience, tampered },
  };
}

const ALGS: readonly SigningAlgorithm[] = ['ES256', 'EdDSA', 'RS256'];

describe('interop prerequisites', () => {
  it('python3-jwt and go + golang-jwt are installed (required when CI=true)', (t) => {
    const missing = [pythonMissing(), goMissing()].filter((m): m is string => m !== null);
    if (missing.length === 0) return;
    if (CI) assert.fail(`interop tests cannot run under CI=true: ${missing.join('; ')}`);
    t.skip(missing.join('; '));
  });
});

describe('interop: Latchkey tokens verified by stock Python (PyJWT) and Go (golang-jwt) libraries', () => {
  const pySkip = pythonMissing();
  const goSkip = goMissing();
  let dir: string;
  let goVerifier = '';
  const servers = new Map<SigningAlgorithm, { server: CliServer; jwksUrl: string; tokens: Tokens }>();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'latchkey-interop-'));
    if (goSkip === null) {
      // Built once per run, offline: GOPATH mode against Debian's packaged sources, no module proxy.
      goVerifier = join(dir, 'verify-token');
      const built = spawnSync(goBinary() as string, ['build', '-o', goVerifier, '.'], {
        cwd: GO_SOURCE,
        env: { ...CHILD_ENV, GO111MODULE: 'off', GOPATH, GOCACHE: join(dir, 'gocache'), HOME: dir, GOPROXY: 'off', GOFLAGS: '', CGO_ENABLED: '0' },
        encoding: 'utf8',
        timeout: 180_000,
      });
      assert.equal(built.status, 0, `go build failed: ${built.stderr}`);
    }
    if (pySkip === null || goSkip === null) {
      for (const alg of ALGS) servers.set(alg, await serverWithTokens(alg, dir));
    }
  });
  after(async () => {
    for (const { server } of servers.values()) assert.equal(await server.stop(), 0, 'latchkey serve exits 0 on SIGTERM');
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const languages = [
    { name: 'Python (PyJWT PyJWKClient)', skip: pySkip, cmd: () => PYTHON, args: () => [PY_VERIFIER] },
    { name: 'Go (golang-jwt v4)', skip: goSkip, cmd: () => goVerifier, args: () => [] },
  ];

  for (const lang of languages) {
    for (const alg of ALGS) {
      describe(`${lang.name}, ${alg}`, { skip: lang.skip ?? false }, () => {
        const run = (token: string, audience = AUDIENCE) => {
          const s = servers.get(alg);
          assert.ok(s);
          return verify(lang.cmd(), lang.args(), s.jwksUrl, audience, token);
        };
        const tokens = (): Tokens => (servers.get(alg) as { tokens: Tokens }).tokens;

        it('accepts a real user access token from token-mode login', async () => {
          const v = await run(tokens().user);
          assert.equal(v.code, 0, JSON.stringify(v));
          assert.equal(v.valid, true);
          assert.equal(v.sub, tokens().userId);
          assert.equal(v.claims?.client_id, 'latchkey-native');
          assert.equal(typeof v.claims?.sid, 'string');
        });

        it('accepts a real client-credentials token (sub = client_id, scope, no sid, no csrf)', async () => {
          const v = await run(tokens().machine);
          assert.equal(v.code, 0, JSON.stringify(v));
          assert.equal(v.sub, tokens().clientId);
          assert.equal(v.claims?.client_id, tokens().clientId);
          assert.equal(v.claims?.scope, 'cart:read');
          assert.equal(v.claims !== undefined && 'sid' in v.claims, false);
          assert.equal(v.claims !== undefined && 'csrf' in v.claims, false);
        });

        it('rejects a tampered token (payload changed, signature kept)', async () => {
          const v = await run(tokens().tampered);
          assert.equal(v.code, 1, JSON.stringify(v));
          assert.equal(v.valid, false);
          assert.match(String(v.error), /signature|verification/i);
        });

        it('rejects an expired token', async () => {
          const v = await run(tokens().expired);
          assert.equal(v.code, 1, JSON.stringify(v));
          assert.equal(v.valid, false);
          assert.match(String(v.error), /expir/i);
        });

        it('rejects a token for another audience (and accepts it where that audience is expected)', async () => {
          const v = await run(tokens().wrongAudience);
          assert.equal(v.code, 1, JSON.stringify(v));
          assert.equal(v.valid, false);
          assert.match(String(v.error), /aud/i);
          const right = await run(tokens().wrongAudience, 'other-api');
          assert.equal(right.code, 0, JSON.stringify(right));
        });
      });
    }
  }
});

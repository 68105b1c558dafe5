#!/usr/bin/env node
/**
 * The `latchkey` command line. Every command takes `--data-dir` (or `LATCHKEY_DATA_DIR`); commands that
 * print data take `--json`. Run `latchkey --help`.
 */
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { existsSync, realpathSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { loadConfig, type ConfigOverrides } from './config/load-config.js';
import type { ServerConfig } from './config/defaults.js';
import { buildApp, rotationPolicy } from './app.js';
import { openSqliteStore, SQLITE_FILE_NAME } from './store/sqlite/index.js';
import { openStore, describeStore } from './store/open-store.js';
import { migratePostgres } from './store/postgres/index.js';
import { MIGRATIONS as SQLITE_MIGRATIONS } from './store/sqlite/migrations.js';
import { protectorFor } from './keys/protector.js';
import type { Store, User } from './store/types.js';
import { KeyManager, type KeySummary } from './keys/key-manager.js';
import { argon2idHasher } from './auth/passwords.js';
import { checkNewPassword } from './routes/shared.js';
import { LatchkeyError } from './errors.js';
import { parseArgs, portOption, stringOption, UsageError, type ParsedArgs } from './cli/args.js';
import { inspectToken } from './cli/inspect-token.js';
import { readServerRecord, SERVER_RECORD_FILE, writeServerRecord } from './cli/server-record.js';
import { revokeAllInStore } from './auth/revoke.js';
import { clientsCommand } from './cli/clients.js';

const HELP = `latchkey — the Latchkey authorization server

Usage: latchkey <command> [options]

Commands:
  serve [--port N] [--host H]        run the auth server (PORT, HOST and LATCHKEY_* env work too)
  dev [--port N]                     run the whole demo shop (what \`npm start\` runs)
  migrate                            apply pending database migrations and exit (PostgreSQL when
                                     LATCHKEY_DATABASE_URL is set, else the SQLite file)
  keys list                          list signing keys (kid, alg, status, activate/publish times)
  keys rotate                        rotate now: the published next key (or a new one) starts signing,
                                     the current one retires (published until its tokens expire)
  keys retire <kid>                  compromised key: remove it from the JWKS at once (services refuse
                                     its tokens after their next key refresh); a new key signs if needed
  users create --email E [--name N] [--password-stdin]
                                     create a user; without --password-stdin a password is generated
                                     and printed once
  users list                         list users
  users disable <email|id>           disable a user and revoke all their sessions
  token inspect <jwt> [--issuer I] [--audience A]
                                     decode a token and check it against the local key set;
                                     iss/aud are checked against the flags, else LATCHKEY_ISSUER/
                                     LATCHKEY_AUDIENCE, else what \`serve\` recorded in
                                     <data-dir>/latchkey.json, else reported as not checked
  clients create --name N --scopes "s1 s2" [--audience "A B"] [--id ID]
                                     register a machine client (client credentials); prints
                                     client_id and client_secret once (audience default: LATCHKEY_AUDIENCE)
  clients list                       list clients (never secrets)
  clients rotate-secret <id>         new secret, printed once; the old one stops working
  clients disable|enable <id>        refuse / allow the client's authentication
  clients delete <id>                remove a client

Options:
  --data-dir DIR   data folder (default LATCHKEY_DATA_DIR or ./.latchkey); only serve, dev, migrate,
                   users create and clients create create it, the other commands need an existing one
  --json           machine-readable output (keys list, users *, clients *, token inspect, serve)
  -h, --help       this help
`;

/** A failure the user can act on: message to stderr, exit 1. */
class CliFailure extends Error {}

const BOOLEAN_FLAGS = new Set(['json', 'help', 'password-stdin']);

interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}
const io: Io = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) };

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv, BOOLEAN_FLAGS);
  } catch (err) {
    return usage(err);
  }
  const [command, sub, ...rest] = args.positionals;
  if (args.options.has('help') || command === undefined || command === 'help') {
    io.out(HELP);
    return command === undefined && !args.options.has('help') ? 2 : 0;
  }
  try {
    switch (command) {
      case 'serve':
        return await serve(args, env);
      case 'dev':
        return await dev(args, env);
      case 'migrate':
        return await migrate(args, env);
      case 'keys':
        if (sub === 'list') return await withStore(args, env, 'existing', (store, config) => keysList(store, args, config));
        if (sub === 'rotate') return await withStore(args, env, 'existing', (store, config) => keysRotate(store, config, args));
        if (sub === 'retire') return await withStore(args, env, 'existing', (store, config) => keysRetire(store, config, args, rest[0]));
        throw new UsageError(`unknown command "keys ${sub ?? ''}" (try: keys list|rotate|retire <kid>)`);
      case 'users':
        if (sub === 'create') return await withStore(args, env, 'create', (store, config) => usersCreate(store, config, args));
        if (sub === 'list') return await withStore(args, env, 'existing', (store) => usersList(store, args));
        if (sub === 'disable') return await withStore(args, env, 'existing', (store, config) => usersDisable(store, config, args, rest[0]));
        throw new UsageError(`unknown command "users ${sub ?? ''}" (try: users create|list|disable)`);
      case 'clients':
        return await withStore(args, env, sub === 'create' ? 'create' : 'existing', (store, config) => clientsCommand(sub, rest, store, config, args, io));
      case 'token':
        if (sub === 'inspect') return await withStore(args, env, 'existing', (store, config) => tokenInspect(store, config, args, env, rest[0]));
        throw new UsageError(`unknown command "token ${sub ?? ''}" (try: token inspect <jwt>)`);
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) return usage(err);
    if (err instanceof CliFailure) {
      io.err(`latchkey: ${err.message}`);
      return 1;
    }
    if (err instanceof LatchkeyError) {
      io.err(`latchkey: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

function usage(err: unknown): number {
  io.err(`latchkey: ${err instanceof Error ? err.message : String(err)}`);
  io.err('Run "latchkey --help" for usage.');
  return 2;
}

function configFrom(args: ParsedArgs, env: NodeJS.ProcessEnv, extra: ConfigOverrides = {}, quiet = true): ServerConfig {
  const dataDir = stringOption(args, 'data-dir');
  return loadConfig(env, { ...(dataDir === undefined ? {} : { dataDir }), ...extra }, quiet ? { warn: () => {} } : {});
}

/**
 * Opens the configured store for an admin command. With SQLite, `existing` refuses to create a data
 * folder or database that is not there (a typo in --data-dir must not leave an empty database behind).
 */
async function withStore(args: ParsedArgs, env: NodeJS.ProcessEnv, open: 'create' | 'existing', run: (store: Store, config: ServerConfig) => Promise<number>): Promise<number> {
  const config = configFrom(args, env);
  if (open === 'existing' && config.databaseUrl === null) {
    const dir = resolve(config.dataDir);
    const hint = 'start the server once (latchkey serve, or npm start for the shop) or pass --data-dir';
    if (!existsSync(dir)) throw new CliFailure(`no Latchkey data folder at ${dir}; ${hint}`);
    if (!existsSync(join(dir, SQLITE_FILE_NAME))) throw new CliFailure(`no Latchkey database (${SQLITE_FILE_NAME}) in ${dir}; ${hint}`);
  }
  const store = await openStore(config);
  try {
    return await run(store, config);
  } finally {
    await store.close();
  }
}

async function serve(args: ParsedArgs, env: NodeJS.ProcessEnv): Promise<number> {
  const port = portOption(args);
  const host = stringOption(args, 'host');
  const config = configFrom(args, env, { ...(port === undefined ? {} : { port }), ...(host === undefined ? {} : { host }) }, false);
  const app = await buildApp(config, { logLevel: 'error' });
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${shownHost}:${address.port}`;
  const dataDir = resolve(config.dataDir);
  // For `token inspect`: what this data folder's tokens say (the server never reads it back).
  if (config.databaseUrl === null) writeServerRecord(config.dataDir, config, Date.now());
  if (args.options.has('json')) {
    io.out(JSON.stringify({ url, port: address.port, issuer: config.issuer, audience: config.audience, dataDir, store: describeStore(config) }));
  } else {
    io.out(`latchkey: auth server listening on ${url}`);
    io.out(`  issuer:      ${config.issuer}`);
    io.out(`  audience:    ${config.audience}`);
    io.out(`  store:       ${describeStore(config)}`);
    if (config.databaseUrl === null) io.out(`  data folder: ${dataDir}`);
  }
  return await new Promise<number>((done) => {
    let stopping = false;
    const stop = (reason: string) => {
      if (stopping) {
        done(1); // second signal: give up waiting
        return;
      }
      stopping = true;
      io.err(`latchkey: ${reason}, stopping`);
      app.close().then(
        () => done(0),
        () => done(1),
      );
    };
    process.once('SIGINT', () => stop('SIGINT received'));
    process.once('SIGTERM', () => stop('SIGTERM received'));
    // Spawned with an IPC channel (the shop's launcher does): exit with the parent, however it died.
    if (process.send !== undefined) process.once('disconnect', () => stop('parent process gone'));
  });
}

async function dev(args: ParsedArgs, env: NodeJS.ProcessEnv): Promise<number> {
  const port = portOption(args) ?? (env.PORT !== undefined && env.PORT !== '' ? Number(env.PORT) : undefined);
  const dataDir = stringOption(args, 'data-dir') ?? env.LATCHKEY_DATA_DIR;
  const specifier = '@latchkey/shop-example';
  let shop: { startShop?: (options: { port?: number; dataDir?: string }) => Promise<unknown> };
  try {
    shop = (await import(specifier)) as typeof shop;
  } catch (err) {
    io.err(`latchkey dev: cannot load the demo shop (${specifier}): ${err instanceof Error ? err.message : String(err)}`);
    io.err('Install the workspace and build it first: npm install && npm run build');
    return 1;
  }
  if (typeof shop.startShop !== 'function') {
    io.err(`latchkey dev: ${specifier} does not export startShop()`);
    return 1;
  }
  await shop.startShop({ ...(port === undefined ? {} : { port }), ...(dataDir === undefined ? {} : { dataDir }) });
  // The shop owns the process from here (it stops its children and exits on Ctrl-C/SIGTERM).
  return await new Promise<number>(() => {});
}

async function migrate(args: ParsedArgs, env: NodeJS.ProcessEnv): Promise<number> {
  const config = configFrom(args, env);
  let applied: number[];
  let version: number;
  if (config.databaseUrl !== null) {
    const report = await migratePostgres({
      connectionString: config.databaseUrl,
      schema: config.databaseSchema,
      connectTimeoutMs: config.storeConnectTimeoutMs,
    });
    ({ applied, version } = report);
  } else {
    // Opening the SQLite store applies its migrations.
    await openSqliteStore(config.dataDir).close();
    applied = [];
    version = Math.max(...SQLITE_MIGRATIONS.map((m) => m.version));
  }
  if (args.options.has('json')) io.out(JSON.stringify({ store: describeStore(config), applied, version }));
  else io.out(`${describeStore(config)}: schema at version ${version}${applied.length > 0 ? ` (applied ${applied.join(', ')})` : ' (nothing to apply)'}`);
  return 0;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function keyOut(k: KeySummary) {
  return { kid: k.kid, alg: k.alg, status: k.status, created_at: iso(k.createdAt), activate_at: iso(k.activateAt), publish_until: iso(k.publishUntil) };
}

function printKeys(km: KeyManager, args: ParsedArgs): void {
  const keys = km.list().map(keyOut);
  if (args.options.has('json')) io.out(JSON.stringify(keys));
  else if (keys.length === 0) io.out('no signing keys yet (one is generated when the server first starts)');
  else {
    for (const k of keys) {
      const when = k.status === 'next' ? `  signs from ${k.activate_at}` : k.status === 'retired' ? `  published until ${k.publish_until}` : '';
      io.out(`${k.kid}  ${k.alg.padEnd(5)}  ${k.status.padEnd(7)}  ${k.created_at}${when}`);
    }
  }
}

async function keysList(store: Store, args: ParsedArgs, config: ServerConfig): Promise<number> {
  printKeys(await KeyManager.readOnly(store.keys, protectorFor(config.keyEncryptionKey)), args);
  return 0;
}

async function openKeys(store: Store, config: ServerConfig): Promise<KeyManager> {
  return KeyManager.open(store.keys, config.signingAlgorithm, Date.now(), protectorFor(config.keyEncryptionKey), rotationPolicy(config));
}

async function keysRotate(store: Store, config: ServerConfig, args: ParsedArgs): Promise<number> {
  const km = await openKeys(store, config);
  const kid = await km.rotateNow(Date.now());
  if (!args.options.has('json')) io.out(`rotated: ${kid} signs now (a running server switches within a minute)`);
  printKeys(km, args);
  return 0;
}

async function keysRetire(store: Store, config: ServerConfig, args: ParsedArgs, kid: string | undefined): Promise<number> {
  if (kid === undefined) throw new UsageError('keys retire needs <kid>');
  const km = await openKeys(store, config);
  if (!(await km.retireNow(kid, Date.now()))) {
    io.err(`latchkey: no published key "${kid}"`);
    return 1;
  }
  if (!args.options.has('json')) io.out(`retired ${kid}: removed from the JWKS (services refuse its tokens after their next key refresh)`);
  printKeys(km, args);
  return 0;
}

function userOut(u: User) {
  return { id: u.id, email: u.email, name: u.name, roles: [...u.roles], disabled: u.disabled, created_at: new Date(u.createdAt).toISOString() };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function usersCreate(store: Store, config: ServerConfig, args: ParsedArgs): Promise<number> {
  const email = stringOption(args, 'email');
  if (email === undefined || !/^[^\s@]+@[^\s@]+$/.test(email) || email.length > 254) throw new UsageError('users create needs --email <address>');
  const name = stringOption(args, 'name');
  const fromStdin = args.options.has('password-stdin');
  const password = fromStdin ? await readStdin() : randomBytes(18).toString('base64url');
  const problem = checkNewPassword(password, config);
  if (problem !== null) {
    io.err(`latchkey: ${problem}`);
    return 1;
  }
  const result = await store.users.create({ email, name: name ?? null, passwordHash: await argon2idHasher.hash(password) }, Date.now());
  if (!result.ok) {
    io.err(`latchkey: a user with email ${email} already exists`);
    return 1;
  }
  const out: Record<string, unknown> = userOut(result.user);
  // A generated password is shown exactly once, here.
  if (!fromStdin) out.password = password;
  if (args.options.has('json')) io.out(JSON.stringify(out));
  else {
    io.out(`created user ${result.user.email} (${result.user.id})`);
    if (!fromStdin) io.out(`password (shown once): ${password}`);
  }
  return 0;
}

async function usersList(store: Store, args: ParsedArgs): Promise<number> {
  const users = (await store.users.list()).map(userOut);
  if (args.options.has('json')) io.out(JSON.stringify(users));
  else if (users.length === 0) io.out('no users');
  else {
    const rows = users.map((u) => [u.id, u.email, u.name ?? '-', u.roles.length === 0 ? '-' : u.roles.join(','), u.disabled ? 'yes' : 'no', u.created_at]);
    for (const line of table(['id', 'email', 'name', 'roles', 'disabled', 'created_at'], rows)) io.out(line);
  }
  return 0;
}

/** Left-aligned columns two spaces apart; control characters in values are shown as `?` so a name cannot move the cursor. */
function table(header: string[], rows: string[][]): string[] {
  const clean = (v: string) => v.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  const all = [header, ...rows.map((r) => r.map(clean))];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i] ?? 0))).join('  '));
}

async function usersDisable(store: Store, config: ServerConfig, args: ParsedArgs, who: string | undefined): Promise<number> {
  if (who === undefined) throw new UsageError('users disable needs <email|id>');
  const user = (await store.users.findById(who)) ?? (await store.users.findByEmail(who));
  if (user === null) {
    io.err(`latchkey: no user "${who}"`);
    return 1;
  }
  await store.users.setDisabled(user.id, true);
  // Also appended to the revocation log: a running server's feed picks them up within its poll interval.
  const revoked = (await revokeAllInStore(store, user.id, 'user_disabled', Date.now(), config.accessTokenTtlSeconds)).length;
  if (args.options.has('json')) io.out(JSON.stringify({ ...userOut({ ...user, disabled: true }), sessions_revoked: revoked }));
  else io.out(`disabled ${user.email}; revoked ${revoked} session(s)`);
  return 0;
}

/** Where each expected value comes from: flag, then environment, then the data folder's record. */
function expectedClaims(config: ServerConfig, args: ParsedArgs, env: NodeJS.ProcessEnv): { issuer?: string; audience?: string; source: string[] } {
  const record = readServerRecord(config.dataDir);
  const pick = (flag: string, envName: string, recorded: string | undefined): [string | undefined, string] => {
    const fromFlag = stringOption(args, flag);
    if (fromFlag !== undefined) return [fromFlag, `--${flag}`];
    const fromEnv = env[envName]?.trim();
    if (fromEnv !== undefined && fromEnv !== '') return [fromEnv, envName];
    if (recorded !== undefined) return [recorded, join(resolve(config.dataDir), SERVER_RECORD_FILE)];
    return [undefined, 'nothing'];
  };
  const [issuer, issuerFrom] = pick('issuer', 'LATCHKEY_ISSUER', record?.issuer);
  const [audience, audienceFrom] = pick('audience', 'LATCHKEY_AUDIENCE', record?.audience);
  return {
    ...(issuer === undefined ? {} : { issuer }),
    ...(audience === undefined ? {} : { audience }),
    source: [`issuer from ${issuerFrom}`, `audience from ${audienceFrom}`],
  };
}

async function tokenInspect(store: Store, config: ServerConfig, args: ParsedArgs, env: NodeJS.ProcessEnv, jwt: string | undefined): Promise<number> {
  if (jwt === undefined) throw new UsageError('token inspect needs <jwt>');
  const km = await KeyManager.readOnly(store.keys, protectorFor(config.keyEncryptionKey));
  const expected = expectedClaims(config, args, env);
  const result = await inspectToken(jwt.trim(), km.jwks(), expected, store, Date.now());
  const unchecked = result.checks.filter((c) => c.status === 'not_checked').map((c) => c.name);
  const claims = result.claims === null ? null : { ...result.claims };
  // The CSRF value is a secret bound to the browser; never echo it.
  if (claims !== null && typeof claims.csrf === 'string') claims.csrf = `<redacted, ${claims.csrf.length} chars>`;
  if (args.options.has('json')) {
    io.out(JSON.stringify({ header: result.header, claims, checks: result.checks, valid: result.valid, not_checked: unchecked }));
  } else {
    io.out(`header: ${JSON.stringify(result.header, null, 2)}`);
    io.out(`claims: ${JSON.stringify(claims, null, 2)}`);
    io.out(`checks (${expected.source.join(', ')}):`);
    for (const c of result.checks) io.out(`  ${c.status === 'ok' ? 'ok  ' : c.status === 'fail' ? 'FAIL' : '-   '}  ${c.name.padEnd(18)} ${c.detail}`);
    const note = unchecked.length === 0 ? '' : ` (${unchecked.map((n) => (n === 'iss' ? 'issuer' : n === 'aud' ? 'audience' : n)).join(' and ')} not checked)`;
    io.out(result.valid ? `result: valid${note}` : 'result: INVALID');
  }
  return result.valid ? 0 : 1;
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      io.err(`latchkey: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}

import { isIP } from 'node:net';
import { ConfigError } from '../errors.js';
import { DEFAULTS, OPTIONS, SIGNING_ALGORITHMS, type ServerConfig, type SigningAlgorithm } from './defaults.js';

export type ConfigOverrides = { readonly [K in keyof ServerConfig]?: ServerConfig[K] };
export type Env = Readonly<Record<string, string | undefined>>;

export interface LoadConfigOptions {
  /** Called once per process with the names of dev-only options left at their defaults. Default: console.warn. */
  readonly warn?: (message: string) => void;
}

const KEYS = Object.keys(DEFAULTS) as (keyof ServerConfig)[];
let warnedOnce = false;

/**
 * Builds the server configuration: defaults ← environment ← overrides. Validated once, unknown keys
 * rejected, the result frozen. Throws `ConfigError` naming the first bad option.
 *
 * @example
 * const config = loadConfig(process.env, { port: 0 });
 */
export function loadConfig(env: Env = {}, overrides: ConfigOverrides = {}, options: LoadConfigOptions = {}): ServerConfig {
  for (const key of Object.keys(overrides)) {
    if (!Object.hasOwn(DEFAULTS, key)) throw new ConfigError(key, 'unknown option');
  }
  const fromEnv = readEnv(env);
  const merged: Record<string, unknown> = { ...DEFAULTS, ...fromEnv };
  for (const [key, value] of Object.entries(overrides)) if (value !== undefined) merged[key] = value;

  const config = validate(merged);

  const defaulted = KEYS.filter(
    (k) => OPTIONS[k].devOnly === true && fromEnv[k] === undefined && overrides[k] === undefined,
  );
  if (defaulted.length > 0 && !warnedOnce) {
    warnedOnce = true;
    (options.warn ?? ((m: string) => console.warn(m)))(
      `latchkey: using development defaults for ${defaulted.join(', ')}; set them explicitly in production.`,
    );
  }
  return config;
}

function readEnv(env: Env): Partial<Record<keyof ServerConfig, unknown>> {
  const out: Partial<Record<keyof ServerConfig, unknown>> = {};
  for (const key of KEYS) {
    const name = OPTIONS[key].env;
    if (name === undefined) continue;
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const sample = DEFAULTS[key];
    if (typeof sample === 'number') {
      if (!/^\d+$/.test(raw.trim())) throw new ConfigError(key, `${name} must be a non-negative integer`);
      out[key] = Number(raw.trim());
    } else if (typeof sample === 'boolean') {
      const v = raw.trim().toLowerCase();
      if (v !== 'true' && v !== 'false' && v !== '1' && v !== '0') throw new ConfigError(key, `${name} must be true or false`);
      out[key] = v === 'true' || v === '1';
    } else if (Array.isArray(sample)) {
      out[key] = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    } else {
      out[key] = raw.trim();
    }
  }
  return out;
}

function validate(c: Record<string, unknown>): ServerConfig {
  const issuer = url('issuer', c.issuer);
  if (issuer.endsWith('/')) throw new ConfigError('issuer', 'must not end with "/"');
  const audience = str('audience', c.audience);
  const port = int('port', c.port, 0, 65535);
  const host = str('host', c.host);
  const dataDir = str('dataDir', c.dataDir);
  const alg = c.signingAlgorithm;
  if (typeof alg !== 'string' || !(SIGNING_ALGORITHMS as readonly string[]).includes(alg)) {
    throw new ConfigError('signingAlgorithm', `must be one of ${SIGNING_ALGORITHMS.join(', ')}`);
  }
  const corsRaw = c.corsOrigins;
  if (!Array.isArray(corsRaw)) throw new ConfigError('corsOrigins', 'must be an array of origins');
  const corsOrigins = corsRaw.map((o: unknown) => {
    if (o === '*' || typeof o !== 'string') throw new ConfigError('corsOrigins', 'wildcard or non-string origin');
    let parsed: URL;
    try {
      parsed = new URL(o);
    } catch {
      throw new ConfigError('corsOrigins', `"${o}" is not an origin`);
    }
    if (parsed.origin !== o.replace(/\/$/, '') || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
      throw new ConfigError('corsOrigins', `"${o}" must be a bare http(s) origin like https://app.example.com`);
    }
    return parsed.origin;
  });
  const passwordMinLength = int('passwordMinLength', c.passwordMinLength, 1, 256);
  const passwordMaxBytes = int('passwordMaxBytes', c.passwordMaxBytes, passwordMinLength, 4096);
  const userScope = str('userScope', c.userScope);
  if (!/^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/.test(userScope)) {
    throw new ConfigError('userScope', 'must be space-separated scope tokens (RFC 6749 §3.3)');
  }
  const feedToken = c.revocationFeedToken;
  if (feedToken !== null && (typeof feedToken !== 'string' || feedToken.length < 32 || feedToken.length > 512 || !/^[\x21-\x7e]+$/.test(feedToken))) {
    throw new ConfigError('revocationFeedToken', 'must be null or 32..512 printable ASCII characters without spaces');
  }
  const jwksMaxAgeSeconds = int('jwksMaxAgeSeconds', c.jwksMaxAgeSeconds, 0, 86_400);
  const keyPublishLeadSeconds = int('keyPublishLeadSeconds', c.keyPublishLeadSeconds, 60, 30 * 24 * 3600);
  if (keyPublishLeadSeconds <= jwksMaxAgeSeconds) {
    throw new ConfigError('keyPublishLeadSeconds', `must be longer than jwksMaxAgeSeconds (${jwksMaxAgeSeconds}) so every cache has the next key before it signs`);
  }
  const keyRotationIntervalSeconds = int('keyRotationIntervalSeconds', c.keyRotationIntervalSeconds, 0, 365 * 24 * 3600);
  if (keyRotationIntervalSeconds !== 0 && keyRotationIntervalSeconds <= keyPublishLeadSeconds) {
    throw new ConfigError('keyRotationIntervalSeconds', `must be 0 (off) or longer than keyPublishLeadSeconds (${keyPublishLeadSeconds})`);
  }
  const databaseUrl = nullableUrl('databaseUrl', c.databaseUrl, ['postgres:', 'postgresql:']);
  const databaseSchema = str('databaseSchema', c.databaseSchema);
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(databaseSchema)) throw new ConfigError('databaseSchema', 'must be a lower-case identifier ([a-z_][a-z0-9_]*, ≤ 63 chars)');
  const redisUrl = nullableUrl('redisUrl', c.redisUrl, ['redis:', 'rediss:']);
  const redisKeyPrefix = c.redisKeyPrefix;
  if (typeof redisKeyPrefix !== 'string' || !/^[A-Za-z0-9:_.-]{0,64}$/.test(redisKeyPrefix)) {
    throw new ConfigError('redisKeyPrefix', 'must be at most 64 characters of A-Z a-z 0-9 : _ . -');
  }
  const kek = c.keyEncryptionKey;
  if (kek !== null && (typeof kek !== 'string' || kek.length < 32)) {
    // The value itself is never echoed.
    throw new ConfigError('keyEncryptionKey', 'LATCHKEY_KEY_ENCRYPTION_KEY must be at least 32 characters (e.g. openssl rand -base64 32)');
  }
  const config = {
    issuer,
    audience,
    port,
    host,
    dataDir,
    signingAlgorithm: alg as SigningAlgorithm,
    accessTokenTtlSeconds: int('accessTokenTtlSeconds', c.accessTokenTtlSeconds, 60, 3600),
    refreshTokenTtlSeconds: int('refreshTokenTtlSeconds', c.refreshTokenTtlSeconds, 300, 365 * 24 * 3600),
    corsOrigins: Object.freeze(corsOrigins),
    signupEnabled: bool('signupEnabled', c.signupEnabled),
    trustProxy: trustedProxies(c.trustProxy),
    rateLimits: bool('rateLimits', c.rateLimits),
    passwordMinLength,
    passwordMaxBytes,
    bodyLimit: int('bodyLimit', c.bodyLimit, 1024, 1024 * 1024),
    userScope,
    refreshGraceSeconds: int('refreshGraceSeconds', c.refreshGraceSeconds, 0, 60),
    revocationFeedToken: null as string | null,
    keyRotationIntervalSeconds,
    keyPublishLeadSeconds,
    keyCheckIntervalSeconds: int('keyCheckIntervalSeconds', c.keyCheckIntervalSeconds, 1, 3600),
    jwksMaxAgeSeconds,
    databaseUrl,
    databaseSchema,
    databasePoolSize: int('databasePoolSize', c.databasePoolSize, 2, 1000),
    databaseStatementTimeoutMs: int('databaseStatementTimeoutMs', c.databaseStatementTimeoutMs, 100, 600_000),
    storeConnectTimeoutMs: int('storeConnectTimeoutMs', c.storeConnectTimeoutMs, 100, 60_000),
    redisUrl,
    redisKeyPrefix,
    keyEncryptionKey: null as string | null,
  };
  // Not enumerable: the secret never shows up when the config is logged, spread or serialised.
  Object.defineProperty(config, 'keyEncryptionKey', { value: kek, enumerable: false });
  Object.defineProperty(config, 'revocationFeedToken', { value: feedToken, enumerable: false });
  return Object.freeze(config);
}

/**
 * Proxy addresses: IPs, CIDR ranges or `loopback`. `true`/`*`/a catch-all range are refused: trusting
 * every peer would let any client spoof its address (and so dodge per-IP rate limits).
 */
function trustedProxies(v: unknown): readonly string[] {
  if (!Array.isArray(v)) throw new ConfigError('trustProxy', 'must be a list of proxy addresses or CIDR ranges');
  const list = v.map((x: unknown) => (typeof x === 'string' ? x.trim() : x));
  if (list.length === 1 && (list[0] === 'false' || list[0] === '0')) return Object.freeze([]);
  return Object.freeze(
    list.map((entry: unknown) => {
      if (typeof entry !== 'string') throw new ConfigError('trustProxy', 'entries must be strings');
      if (entry === 'loopback') return entry;
      const [addr = '', bits, ...rest] = entry.split('/');
      const family = isIP(addr);
      const max = family === 4 ? 32 : 128;
      const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : -1;
      if (family === 0 || rest.length > 0 || prefix < 1 || prefix > max) {
        throw new ConfigError('trustProxy', `"${entry.slice(0, 64)}" is not an IP address or CIDR range (list the proxy addresses; "true" would trust every client)`);
      }
      return entry;
    }),
  );
}

function nullableUrl(name: string, v: unknown, protocols: readonly string[]): string | null {
  if (v === null) return null;
  const s = str(name, v);
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    // Never echo the value: it may carry a password.
    throw new ConfigError(name, `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  }
  if (!protocols.includes(u.protocol)) throw new ConfigError(name, `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  return s;
}

function str(name: string, v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '') throw new ConfigError(name, 'must be a non-empty string');
  return v;
}
function url(name: string, v: unknown): string {
  const s = str(name, v);
  try {
    const u = new URL(s);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new ConfigError(name, 'must be an absolute http(s) URL');
  }
  return s;
}
function int(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ConfigError(name, `must be an integer between ${min} and ${max}`);
  }
  return v;
}
function bool(name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new ConfigError(name, 'must be a boolean');
  return v;
}

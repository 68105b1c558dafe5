import { base64url, exportSPKI, type JSONWebKeySet } from 'jose';
import { generateKeyPair, signingParams, type TestAlgorithm, type TestKeyPair } from './keys.js';

/** JSON-ish claims or header; a value of `undefined` removes that member from the defaults. */
export type Members = Record<string, unknown>;

/** How {@link TestIssuer.mintRaw} produces the third segment. */
export interface MintRawOptions {
  /** Sign with this key pair instead of the issuer's (its `alg` decides the algorithm). */
  readonly signWith?: TestKeyPair;
  /** Use this literal signature segment (e.g. `''` for `alg: none`, or garbage). */
  readonly signature?: string;
  /** HMAC with this secret (the "HS256 with the public key" attack); SHA-256 unless `hmacHash` says otherwise. */
  readonly hmacSecret?: Uint8Array;
  /** Hash of the HMAC (HS256 → SHA-256, HS384 → SHA-384, HS512 → SHA-512). */
  readonly hmacHash?: 'SHA-256' | 'SHA-384' | 'SHA-512';
}

/** A fake authorization server: a key, its JWKS, and a token factory (valid and forged). */
export interface TestIssuer {
  readonly issuer: string;
  readonly audience: string;
  readonly alg: TestAlgorithm;
  readonly key: TestKeyPair;
  /** Public key set to hand to a verifier (`jwks` option) or serve over HTTP. */
  readonly jwks: JSONWebKeySet;
  /** Default claims for `now` (seconds), merged with `overrides` (`undefined` deletes a claim). */
  claims(overrides?: Members, nowSeconds?: number): Members;
  /** Default header (`alg`, `typ: at+jwt`, `kid`) merged with `overrides`. */
  header(overrides?: Members): Members;
  /** A valid token: default claims and header merged with the overrides, signed with the issuer key. */
  mint(claims?: Members, header?: Members): Promise<string>;
  /** Exactly this header and payload (no defaults; a string payload is used verbatim), signed as `options` say. */
  mintRaw(header: Members, payload: Members | string, options?: MintRawOptions): Promise<string>;
  /** The SPKI PEM of the public key (what an "HS256 with the public key" forger would use). */
  publicKeyPem(): Promise<string>;
}

/** Options of {@link createTestIssuer}. */
export interface TestIssuerOptions {
  readonly issuer?: string;
  readonly audience?: string;
  readonly alg?: TestAlgorithm;
  /** Sign with this existing key pair (e.g. a server's key read from its store) instead of a fresh one. */
  readonly key?: TestKeyPair;
}

function merge(base: Members, overrides: Members | undefined): Members {
  const out: Members = { ...base };
  for (const [k, v] of Object.entries(overrides ?? {})) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

const encoder = new TextEncoder();

async function sign(input: string, options: MintRawOptions, fallback: TestKeyPair): Promise<string> {
  if (options.signature !== undefined) return options.signature;
  if (options.hmacSecret !== undefined) {
    const key = await crypto.subtle.importKey('raw', options.hmacSecret, { name: 'HMAC', hash: options.hmacHash ?? 'SHA-256' }, false, ['sign']);
    return base64url.encode(new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(input))));
  }
  const pair = options.signWith ?? fallback;
  const sig = await crypto.subtle.sign(signingParams(pair.alg), pair.privateKey, encoder.encode(input));
  return base64url.encode(new Uint8Array(sig));
}

/**
 * Creates a test issuer with a fresh key.
 *
 * @example
 * ```ts
 * const issuer = await createTestIssuer({ issuer: 'http://localhost:8080', audience: 'shop-api' });
 * const verifier = createVerifier({ issuer: issuer.issuer, audience: issuer.audience, jwks: issuer.jwks });
 * const token = await issuer.mint({ scope: 'cart:read' });
 * ```
 */
export async function createTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  const issuer = options.issuer ?? 'http://localhost:8080';
  const audience = options.audience ?? 'shop-api';
  const alg = options.key?.alg ?? options.alg ?? 'ES256';
  const key = options.key ?? (await generateKeyPair(alg));

  const claims = (overrides?: Members, nowSeconds = Math.floor(Date.now() / 1000)): Members =>
    merge(
      {
        iss: issuer,
        sub: 'user-1',
        aud: audience,
        iat: nowSeconds,
        exp: nowSeconds + 600,
        jti: crypto.randomUUID(),
        client_id: 'latchkey-web',
        scope: 'cart:read profile:read',
        sid: 'session-1',
        csrf: base64url.encode(crypto.getRandomValues(new Uint8Array(24))),
      },
      overrides,
    );
  const header = (overrides?: Members): Members => merge({ alg, typ: 'at+jwt', kid: key.kid }, overrides);
  const mintRaw = async (h: Members, p: Members | string, o: MintRawOptions = {}): Promise<string> => {
    const payload = typeof p === 'string' ? p : JSON.stringify(p);
    const input = `${base64url.encode(JSON.stringify(h))}.${base64url.encode(payload)}`;
    return `${input}.${await sign(input, o, key)}`;
  };

  return Object.freeze({
    issuer,
    audience,
    alg,
    key,
    jwks: Object.freeze({ keys: [key.publicJwk] }),
    claims,
    header,
    mint: (c?: Members, h?: Members) => mintRaw(header(h), claims(c)),
    mintRaw,
    publicKeyPem: () => exportSPKI(key.publicKey),
  });
}

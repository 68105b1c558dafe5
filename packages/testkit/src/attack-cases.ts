import { base64url, exportJWK, exportSPKI, type CryptoKey, type JWK } from 'jose';
import type { Members, TestIssuer } from './issuer.js';
import { generateKeyPair, type TestKeyPair } from './keys.js';

/** The attack classes of the suite (docs/security.md lists what each one guards against). */
export type AttackClass =
  | 'control'
  | 'alg-none'
  | 'stripped-signature'
  | 'hmac-confusion'
  | 'embedded-key'
  | 'key-url'
  | 'kid-injection'
  | 'ecdsa-signature'
  | 'key-strength'
  | 'key-algorithm-mismatch'
  | 'claims-time'
  | 'claims-audience'
  | 'claims-issuer'
  | 'typ-confusion'
  | 'lifetime'
  | 'header-extension'
  | 'serialization';

/** One token sent to a verifier and what a correct verifier answers (a `@latchkey/verify` code, or `ok`). */
export interface AttackCase {
  readonly class: AttackClass;
  readonly name: string;
  readonly token: string;
  /** `ok`, or the expected `@latchkey/verify` error code. */
  readonly expect: string;
  /** The token's header `alg`, when it has a readable one. */
  readonly headerAlg?: string;
  /**
   * True when the case relies on keys only the suite's key set publishes (a 1024-bit RSA key, keys
   * published for another algorithm or use): it runs only against targets verifying with that set.
   */
  readonly suiteKeysOnly?: boolean;
}

/** Extra keys the suite publishes next to the issuer's, each one something a verifier must not use. */
export interface HostileKeys {
  /** RSA 1024 bits, `alg: RS256`, `use: sig`: too weak (NIST SP 800-131A), refused at verification. */
  readonly weakRsa: TestKeyPair;
  /** RSA 2048, published with `use: "enc"`: not a signing key. */
  readonly encRsa: TestKeyPair;
  /** The issuer's EC key published again under another kid with `alg: "RS256"`. */
  readonly mislabelledKid: string;
  /** An Ed25519 key published with `alg: "EdDSA"`, used by a token that says ES256. */
  readonly ed: TestKeyPair;
  /** RSA 1536 bits: still under 2048. */
  readonly rsa1536: TestKeyPair;
  /** Kid of the 1024-bit key published again without `alg` (a verifier must not guess one for it). */
  readonly weakNoAlgKid: string;
  /** The public JWKs to add to the served key set. */
  readonly jwks: JWK[];
}

async function rsaPair(bits: number, kid: string, use: 'sig' | 'enc'): Promise<TestKeyPair> {
  // WebCrypto directly: jose's generateKeyPair refuses RSA under 2048 bits, which is the point here.
  const pair = (await crypto.subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    true,
    ['sign', 'verify'],
  )) as { privateKey: CryptoKey; publicKey: CryptoKey };
  const jwk = await exportJWK(pair.publicKey);
  return Object.freeze({
    alg: 'RS256',
    kid,
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
    publicJwk: Object.freeze({ ...jwk, kid, alg: 'RS256', use }),
  });
}

/** Makes the suite's hostile keys for `issuer`. */
export async function makeHostileKeys(issuer: TestIssuer): Promise<HostileKeys> {
  const weakRsa = await rsaPair(1024, 'weak-rsa-1024', 'sig');
  const rsa1536 = await rsaPair(1536, 'weak-rsa-1536', 'sig');
  const weakNoAlgKid = 'weak-rsa-1024-no-alg';
  const { alg: _alg, ...weakNoAlg } = weakRsa.publicJwk;
  const encRsa = await rsaPair(2048, 'rsa-use-enc', 'enc');
  const ed = await generateKeyPair('EdDSA', 'ed25519-key');
  const mislabelledKid = 'ec-key-labelled-rs256';
  return {
    weakRsa,
    encRsa,
    ed,
    mislabelledKid,
    rsa1536,
    weakNoAlgKid,
    jwks: [rsa1536.publicJwk, { ...weakNoAlg, kid: weakNoAlgKid },
      weakRsa.publicJwk, encRsa.publicJwk, ed.publicJwk, { ...issuer.key.publicJwk, kid: mislabelledKid, alg: 'RS256' }],
  };
}

/** A 1024-bit RSA key set, for configuration-time refusal. */
export async function weakRsaJwks(): Promise<{ keys: JWK[] }> {
  return { keys: [(await rsaPair(1024, 'weak-local', 'sig')).publicJwk] };
}

// P-256 group order n (SEC 2 §2.4.2).
const P256_N = Uint8Array.from(Buffer.from('FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551', 'hex'));

function derInteger(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  let v = bytes.subarray(i);
  if ((v[0] ?? 0) & 0x80) v = Uint8Array.from([0, ...v]);
  return Uint8Array.from([0x02, v.length, ...v]);
}

/** ASN.1 DER `ECDSA-Sig-Value` (what OpenSSL emits) from JOSE's raw `R || S` (RFC 7518 §3.4). */
function rawToDer(raw: Uint8Array): Uint8Array {
  const r = derInteger(raw.subarray(0, raw.length / 2));
  const s = derInteger(raw.subarray(raw.length / 2));
  return Uint8Array.from([0x30, r.length + s.length, ...r, ...s]);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

const encoder = new TextEncoder();

/** What the claim-time cases are relative to. */
export interface CaseClock {
  /** The verifier's current time, epoch seconds. */
  readonly nowSeconds: number;
  /** Clock skew the target tolerates, seconds. */
  readonly skewSeconds: number;
  /** Maximum `exp - iat` the target allows, seconds. */
  readonly maxLifetimeSeconds: number;
  /**
   * 0 when the target reads the suite's frozen clock (boundaries are tested to the second); else a
   * margin in seconds kept on each side of a boundary, because the target's clock moves.
   */
  readonly margin: number;
}

/**
 * Every attack case for `issuer` (tokens minted for its `issuer`/`audience`). `base` claims are
 * merged into every token (e.g. a live `sub`/`sid` on the auth server). Claim-time cases use `clock`.
 */
export async function attackCases(
  issuer: TestIssuer,
  hostile: HostileKeys,
  clock: CaseClock,
  options: { readonly base?: Members; readonly keyUrl: string },
): Promise<AttackCase[]> {
  const base = options.base ?? {};
  const keyUrl = options.keyUrl;
  const { nowSeconds: now, skewSeconds: skew, maxLifetimeSeconds: maxLife, margin } = clock;
  const c = (overrides: Members = {}): Members => issuer.claims({ iat: now, exp: now + 300, ...base, ...overrides }, now);
  const h = (overrides: Members = {}): Members => issuer.header(overrides);
  const raw = issuer.mintRaw.bind(issuer);
  const signed = (header: Members, claims: Members, key?: TestKeyPair): Promise<string> =>
    raw(header, claims, key === undefined ? {} : { signWith: key });
  const valid = await signed(h(), c());
  const [vh, vp, vs] = valid.split('.') as [string, string, string];
  const attacker = await generateKeyPair(issuer.alg, 'attacker-key');
  const rows: Array<[AttackClass, string, string | Promise<string>, string, boolean?]> = [];
  const add = (cls: AttackClass, name: string, token: string | Promise<string>, expect: string, suiteKeysOnly?: boolean): void => {
    rows.push([cls, name, token, expect, suiteKeysOnly]);
  };

  // Controls: the target must accept these, or every refusal below proves nothing.
  add('control', 'a valid token', valid, 'ok');
  add('control', 'aud an array that contains ours', signed(h(), c({ aud: ['another-api', issuer.audience] })), 'ok');
  add('control', 'typ application/at+jwt (RFC 7515 §4.1.9 media type form)', signed(h({ typ: 'application/at+jwt' }), c()), 'ok');

  // alg none, every spelling, with and without a signature.
  for (const alg of ['none', 'None', 'NONE', 'nOnE', 'none ', ' none', 'none\u0000']) {
    add('alg-none', `alg ${JSON.stringify(alg)} without signature`, raw(h({ alg }), c(), { signature: '' }), 'token_algorithm_not_allowed');
  }
  add('alg-none', 'alg none with the original signature', `${base64url.encode(JSON.stringify(h({ alg: 'none' })))}.${vp}.${vs}`, 'token_algorithm_not_allowed');
  add('alg-none', 'alg missing', signed(h({ alg: undefined }), c()), 'token_algorithm_not_allowed');
  add('alg-none', 'alg null', signed(h({ alg: null }), c()), 'token_algorithm_not_allowed');
  add('alg-none', 'alg an array ["none"]', signed(h({ alg: ['none'] }), c()), 'token_algorithm_not_allowed');

  // Signature stripped or empty with a real alg.
  add('stripped-signature', 'signature segment empty (trailing dot)', `${vh}.${vp}.`, 'token_malformed');
  add('stripped-signature', 'signature segment missing (two segments)', `${vh}.${vp}`, 'token_malformed');
  add('stripped-signature', 'signature of one zero byte', `${vh}.${vp}.AA`, 'token_signature_invalid');
  add('stripped-signature', 'signature of another valid token', `${vh}.${base64url.encode(JSON.stringify(c({ sub: 'admin' })))}.${vs}`, 'token_signature_invalid');

  // HMAC with the public key, in every form a server might hold it.
  const pem = await exportSPKI(issuer.key.publicKey);
  const der = Uint8Array.from(Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64'));
  const jwk = issuer.key.publicJwk;
  const forms: Array<[string, Uint8Array]> = [
    ['PEM as exported', encoder.encode(pem)],
    ['PEM with a trailing newline', encoder.encode(`${pem.trimEnd()}\n`)],
    ['PEM without a trailing newline', encoder.encode(pem.trimEnd())],
    ['PEM with leading whitespace', encoder.encode(`\n  ${pem}`)],
    ['PEM with CRLF line ends', encoder.encode(pem.replace(/\n/g, '\r\n'))],
    ['DER (SPKI)', der],
    ['the full public JWK as JSON', encoder.encode(JSON.stringify(jwk))],
    ['the public JWK as JSON without kid/alg/use', encoder.encode(JSON.stringify(Object.fromEntries(Object.entries(jwk).filter(([k]) => !['kid', 'alg', 'use'].includes(k)))))],
  ];
  for (const member of ['x', 'y', 'n', 'e']) {
    const v = (jwk as Record<string, unknown>)[member];
    if (typeof v === 'string') {
      forms.push([`JWK "${member}" as its base64url text`, encoder.encode(v)]);
      forms.push([`JWK "${member}" decoded bytes`, base64url.decode(v)]);
    }
  }
  for (const [alg, hash] of [['HS256', 'SHA-256'], ['HS384', 'SHA-384'], ['HS512', 'SHA-512']] as const) {
    for (const [form, secret] of forms) {
      add('hmac-confusion', `${alg} keyed with ${form}`, raw(h({ alg }), c(), { hmacSecret: secret, hmacHash: hash }), 'token_algorithm_not_allowed');
    }
  }

  // Key material named by the token: never honoured (refused before any key is chosen).
  add('embedded-key', 'embedded jwk of the attacker, signed by it', signed(h({ jwk: attacker.publicJwk, kid: attacker.kid }), c(), attacker), 'token_header_invalid');
  add('embedded-key', 'embedded jwk of the attacker with our kid', signed(h({ jwk: attacker.publicJwk }), c(), attacker), 'token_header_invalid');
  add('embedded-key', 'embedded copy of our own public jwk (still refused)', signed(h({ jwk }), c()), 'token_header_invalid');
  add('embedded-key', 'x5c chain of the attacker', signed(h({ x5c: [Buffer.from(der).toString('base64')] }), c(), attacker), 'token_header_invalid');
  add('embedded-key', 'x5c empty array', signed(h({ x5c: [] }), c()), 'token_header_invalid');
  add('embedded-key', 'x5t#S256 thumbprint pointing nowhere, with jwk', signed(h({ 'x5t#S256': 'AAAA', jwk: attacker.publicJwk }), c(), attacker), 'token_header_invalid');

  // kid as an injection vector, or pointing at another issuer's key.
  const kids = [
    '../../../../../../dev/null',
    '../../etc/passwd',
    '/dev/null',
    '..\\..\\windows\\win.ini',
    "' OR '1'='1",
    "x' UNION SELECT 'secret' --",
    '"; DROP TABLE signing_keys; --',
    '$(touch /tmp/latchkey-pwned)',
    '`id`',
    '| cat /etc/passwd',
    '; rm -rf /',
    'kid\u0000',
    '%2e%2e%2f%2e%2e%2f',
    '*',
    '__proto__',
    'constructor',
  ];
  for (const kid of kids) {
    add('kid-injection', `kid ${JSON.stringify(kid)} signed by the attacker`, signed(h({ kid }), c(), attacker), 'token_key_unknown');
  }
  add('kid-injection', 'kid of another issuer, signed by that issuer', signed(h({ kid: attacker.kid }), c(), attacker), 'token_key_unknown');
  add('kid-injection', 'our kid, signed by another issuer\'s key', signed(h(), c(), attacker), 'token_signature_invalid');
  add('kid-injection', 'kid a number', signed(h({ kid: 1 }), c()), 'token_header_invalid');
  add('kid-injection', 'kid an object', signed(h({ kid: { $ne: null } }), c()), 'token_header_invalid');
  add('kid-injection', 'kid empty', signed(h({ kid: '' }), c()), 'token_header_invalid');
  add('kid-injection', 'kid 1000 characters', signed(h({ kid: 'k'.repeat(1000) }), c()), 'token_header_invalid');

  // ECDSA signature encodings (psychic signatures, CVE-2022-21449, and friends).
  if (issuer.alg === 'ES256') {
    const sig = base64url.decode(vs);
    const r = sig.subarray(0, 32);
    const s = sig.subarray(32);
    const zero = new Uint8Array(32);
    const ones = new Uint8Array(32).fill(0xff);
    const nPlus = (k: number): Uint8Array => {
      const out = Uint8Array.from(P256_N);
      let carry = k;
      for (let i = 31; i >= 0 && carry > 0; i--) {
        const v = (out[i] ?? 0) + carry;
        out[i] = v & 0xff;
        carry = v >> 8;
      }
      return out;
    };
    const sigs: Array<[string, Uint8Array]> = [
      ['r = s = 0 (psychic signature)', concat(zero, zero)],
      ['r = 0', concat(zero, s)],
      ['s = 0', concat(r, zero)],
      ['r = s = n', concat(P256_N, P256_N)],
      ['r = n', concat(P256_N, s)],
      ['s = n', concat(r, P256_N)],
      ['s = n + 1', concat(r, nPlus(1))],
      ['r = s = 2^256 - 1', concat(ones, ones)],
      ['valid signature DER-encoded instead of raw R||S', rawToDer(sig)],
      ['zero signature DER-encoded', rawToDer(concat(zero, zero))],
      ['valid signature with an extra trailing byte', concat(sig, Uint8Array.of(0))],
      ['valid signature with a leading zero byte', concat(Uint8Array.of(0), sig)],
      ['valid signature truncated by one byte', sig.subarray(0, 63)],
      ['valid signature, r and s swapped', concat(s, r)],
      ['r only (32 bytes)', Uint8Array.from(r)],
    ];
    for (const [name, bytes] of sigs) {
      add('ecdsa-signature', name, `${vh}.${vp}.${base64url.encode(bytes)}`, 'token_signature_invalid');
    }
  }

  // Keys a verifier must not use even though the key set publishes them.
  const claims = c();
  add('key-strength', 'RS256 signed by a 1024-bit RSA key the JWKS serves', signed(h({ alg: 'RS256', kid: hostile.weakRsa.kid }), claims, hostile.weakRsa), 'token_signature_invalid', true);
  add('key-strength', 'RS256 signed by a 1536-bit RSA key the JWKS serves', signed(h({ alg: 'RS256', kid: hostile.rsa1536.kid }), claims, hostile.rsa1536), 'token_signature_invalid', true);
  add('key-strength', 'RS256 signed by a 1024-bit RSA key published without alg', signed(h({ alg: 'RS256', kid: hostile.weakNoAlgKid }), claims, hostile.weakRsa), 'token_signature_invalid', true);
  add('key-algorithm-mismatch', 'RS256 signed by an RSA key published with use "enc"', signed(h({ alg: 'RS256', kid: hostile.encRsa.kid }), claims, hostile.encRsa), 'token_key_unknown', true);
  add('key-algorithm-mismatch', 'header RS256 naming an EC key published as RS256', signed(h({ alg: 'RS256', kid: hostile.mislabelledKid }), claims, hostile.encRsa), 'token_key_unknown', true);
  add('key-algorithm-mismatch', 'header ES256 naming an Ed25519 key', signed(h({ alg: 'ES256', kid: hostile.ed.kid }), claims, attacker), 'token_key_unknown', true);
  if (issuer.alg !== 'EdDSA') {
    add('key-algorithm-mismatch', `header EdDSA naming our ${issuer.alg} key`, signed(h({ alg: 'EdDSA' }), claims, hostile.ed), 'token_key_unknown');
  }
  add('key-algorithm-mismatch', 'alg ES384 (not on the allow-list) with our key', signed(h({ alg: 'ES384' }), claims), 'token_algorithm_not_allowed');
  add('key-algorithm-mismatch', 'alg PS256 (not on the allow-list)', signed(h({ alg: 'PS256' }), claims), 'token_algorithm_not_allowed');

  // Claims: time. `margin` keeps a moving clock off the exact second.
  const m = margin;
  add('claims-time', 'exp missing', signed(h(), c({ exp: undefined })), 'token_claim_invalid');
  add('claims-time', 'exp a string', signed(h(), c({ exp: String(now + 300) })), 'token_claim_invalid');
  add('claims-time', 'exp null', signed(h(), c({ exp: null })), 'token_claim_invalid');
  add('claims-time', `exp = now - skew - 1${m ? ` - ${m}` : ''} (expired beyond the skew)`, signed(h(), c({ iat: now - 600, exp: now - skew - 1 - m })), 'token_expired');
  if (m === 0) add('claims-time', 'exp = now - skew (expired exactly at the skew boundary)', signed(h(), c({ iat: now - 600, exp: now - skew })), 'token_expired');
  add('claims-time', `exp = now - skew + 1${m ? ` + ${m}` : ''} (within the skew)`, signed(h(), c({ iat: now - 600, exp: now - skew + 1 + m })), 'ok');
  add('claims-time', `nbf = now + skew${m ? ` - ${m}` : ''} (within the skew)`, signed(h(), c({ nbf: now + skew - m })), 'ok');
  add('claims-time', `nbf = now + skew + 1${m ? ` + ${m}` : ''} (beyond the skew)`, signed(h(), c({ nbf: now + skew + 1 + m })), 'token_not_yet_valid');
  add('claims-time', `iat = now + skew + 1${m ? ` + ${m}` : ''} (issued in the future)`, signed(h(), c({ iat: now + skew + 1 + m, exp: now + skew + 301 + m })), 'token_not_yet_valid');
  add('claims-time', 'iat missing', signed(h(), c({ iat: undefined })), 'token_claim_invalid');
  add('claims-time', 'exp far in the past (1970)', signed(h(), c({ iat: 0, exp: 1 })), 'token_expired');

  // Lifetime: exp - iat bounded.
  add('lifetime', `exp - iat = max lifetime (${maxLife} s)`, signed(h(), c({ iat: now - 10, exp: now - 10 + maxLife })), 'ok');
  add('lifetime', 'exp - iat = max lifetime + 1 s', signed(h(), c({ iat: now - 10, exp: now - 10 + maxLife + 1 })), 'token_claim_invalid');
  add('lifetime', 'exp - iat = ten years', signed(h(), c({ iat: now, exp: now + 315_360_000 })), 'token_claim_invalid');
  add('lifetime', 'exp = 1e308', signed(h(), c({ exp: 1e308 })), 'token_claim_invalid');

  // Audience.
  add('claims-audience', 'aud another API', signed(h(), c({ aud: 'another-api' })), 'token_claim_invalid');
  add('claims-audience', 'aud an array without ours', signed(h(), c({ aud: ['another-api', 'third-api'] })), 'token_claim_invalid');
  add('claims-audience', 'aud an empty array', signed(h(), c({ aud: [] })), 'token_claim_invalid');
  add('claims-audience', 'aud ours with a suffix', signed(h(), c({ aud: `${issuer.audience}-evil` })), 'token_claim_invalid');
  add('claims-audience', 'aud ours with a trailing space', signed(h(), c({ aud: `${issuer.audience} ` })), 'token_claim_invalid');
  add('claims-audience', 'aud ours in upper case', signed(h(), c({ aud: issuer.audience.toUpperCase() })), 'token_claim_invalid');
  add('claims-audience', 'aud a number', signed(h(), c({ aud: 1 })), 'token_claim_invalid');
  add('claims-audience', 'aud an object', signed(h(), c({ aud: { 0: issuer.audience } })), 'token_claim_invalid');

  // Issuer: exact match only.
  add('claims-issuer', 'iss as an array containing ours', signed(h(), c({ iss: [issuer.issuer] })), 'token_claim_invalid');
  add('claims-issuer', 'iss ours with a trailing slash', signed(h(), c({ iss: `${issuer.issuer}/` })), 'token_claim_invalid');
  add('claims-issuer', 'iss ours as a prefix (look-alike host)', signed(h(), c({ iss: `${issuer.issuer}.attacker.test` })), 'token_claim_invalid');
  add('claims-issuer', 'iss ours as a suffix', signed(h(), c({ iss: `https://attacker.test/${issuer.issuer}` })), 'token_claim_invalid');
  add('claims-issuer', 'iss ours in upper case', signed(h(), c({ iss: issuer.issuer.toUpperCase() })), 'token_claim_invalid');
  add('claims-issuer', 'iss missing', signed(h(), c({ iss: undefined })), 'token_claim_invalid');
  add('claims-issuer', 'iss of another issuer signed with its own key', signed(h({ kid: attacker.kid }), c({ iss: 'https://attacker.test' }), attacker), 'token_key_unknown');

  // typ confusion: only at+jwt access tokens.
  add('typ-confusion', 'a refresh token (<sid>.<secret>) as an access token', `session-1.${base64url.encode(crypto.getRandomValues(new Uint8Array(32)))}`, 'token_malformed');
  add('typ-confusion', 'typ JWT (plain JWT)', signed(h({ typ: 'JWT' }), c()), 'token_header_invalid');
  add('typ-confusion', 'typ missing', signed(h({ typ: undefined }), c()), 'token_header_invalid');
  add('typ-confusion', 'ID-token style (typ JWT, nonce, aud = client id)', signed(h({ typ: 'JWT' }), c({ aud: 'latchkey-web', nonce: 'n-0S6_WzA2Mj', at_hash: 'x', azp: 'latchkey-web' })), 'token_header_invalid');
  add('typ-confusion', 'ID-token style with typ at+jwt but aud = client id', signed(h(), c({ aud: 'latchkey-web', nonce: 'n-0S6_WzA2Mj' })), 'token_claim_invalid');
  add('typ-confusion', 'typ dpop+jwt', signed(h({ typ: 'dpop+jwt' }), c()), 'token_header_invalid');
  add('typ-confusion', 'typ logout+jwt', signed(h({ typ: 'logout+jwt' }), c()), 'token_header_invalid');
  add('typ-confusion', 'typ at+jwt with a suffix', signed(h({ typ: 'at+jwt2' }), c()), 'token_header_invalid');
  add('typ-confusion', 'typ an array', signed(h({ typ: ['at+jwt'] }), c()), 'token_header_invalid');

  // Header extensions a verifier does not understand.
  add('header-extension', 'crit naming an unknown parameter', signed(h({ crit: ['urn:example:ext'], 'urn:example:ext': true }), c()), 'token_header_invalid');
  add('header-extension', 'crit naming a registered claim (exp)', signed(h({ crit: ['exp'], exp: 1 }), c()), 'token_header_invalid');
  add('header-extension', 'crit an empty array', signed(h({ crit: [] }), c()), 'token_header_invalid');
  add('header-extension', 'b64:false with crit (RFC 7797 unencoded payload)', signed(h({ b64: false, crit: ['b64'] }), c()), 'token_header_invalid');
  add('header-extension', 'b64:false without crit', signed(h({ b64: false }), c()), 'token_header_invalid');
  // zip is a JWE parameter: on a JWS it means nothing, and the payload is never inflated.
  add('header-extension', 'zip:DEF on a JWS is ignored, never inflated', signed(h({ zip: 'DEF' }), c()), 'ok');

  // Key URLs in the token: never fetched (the suite counts requests to keyUrl).
  add('key-url', 'jku to the attacker\'s key set, signed by the attacker', signed(h({ jku: keyUrl, kid: attacker.kid }), c(), attacker), 'token_header_invalid');
  add('key-url', 'jku to the attacker\'s key set with our kid', signed(h({ jku: keyUrl }), c(), attacker), 'token_header_invalid');
  add('key-url', 'jku on a token signed by our own key', signed(h({ jku: keyUrl }), c()), 'token_header_invalid');
  add('key-url', 'x5u to the attacker\'s certificate', signed(h({ x5u: keyUrl, kid: attacker.kid }), c(), attacker), 'token_header_invalid');
  add('key-url', 'x5u on a token signed by our own key', signed(h({ x5u: keyUrl }), c()), 'token_header_invalid');
  add('key-url', 'jku with a file: URL', signed(h({ jku: 'file:///etc/passwd', kid: attacker.kid }), c(), attacker), 'token_header_invalid');

  // Serializations other than compact JWS.
  const flattened = JSON.stringify({ protected: vh, payload: vp, signature: vs });
  add('serialization', 'JWS JSON flattened serialization', flattened, 'invalid_request');
  add('serialization', 'JWS JSON general serialization', JSON.stringify({ payload: vp, signatures: [{ protected: vh, signature: vs }] }), 'invalid_request');
  add('serialization', 'JWS JSON serialization base64url-encoded as one segment', base64url.encode(flattened), 'token_malformed');
  const jweHeader = base64url.encode(JSON.stringify({ alg: 'dir', enc: 'A256GCM', typ: 'at+jwt', kid: issuer.key.kid }));
  add('serialization', 'JWE compact (five segments)', `${jweHeader}..${base64url.encode(new Uint8Array(12))}.${vp}.${base64url.encode(new Uint8Array(16))}`, 'token_malformed');
  add('serialization', 'JWE compact with alg RSA-OAEP', `${base64url.encode(JSON.stringify({ alg: 'RSA-OAEP', enc: 'A128GCM', kid: issuer.key.kid }))}.${vs}.AAAA.${vp}.AAAA`, 'token_malformed');
  add('serialization', 'JWE header in a three-segment token', `${jweHeader}.${vp}.${vs}`, 'token_algorithm_not_allowed');
  add('serialization', 'segments with base64 padding (=)', `${vh}=.${vp}=.${vs}`, 'invalid_request');
  add('serialization', 'standard base64 (+/) instead of base64url', `${vh}.${vp}.${vs.replace(/-/g, '+').replace(/_/g, '/')}${/[-_]/.test(vs) ? '' : '+'}`, 'invalid_request');

  return Promise.all(
    rows.map(async ([cls, name, token, expect, suiteKeysOnly]) => {
      const t = await token;
      const alg = headerAlg(t);
      return {
        class: cls,
        name,
        token: t,
        expect,
        ...(alg === undefined ? {} : { headerAlg: alg }),
        ...(suiteKeysOnly === true ? { suiteKeysOnly } : {}),
      };
    }),
  );
}

function headerAlg(token: string): string | undefined {
  try {
    const header: unknown = JSON.parse(new TextDecoder().decode(base64url.decode(token.split('.')[0] ?? '')));
    const alg = (header as { alg?: unknown } | null)?.alg;
    return typeof alg === 'string' ? alg : undefined;
  } catch {
    return undefined;
  }
}

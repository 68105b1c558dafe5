import { generateKeyPair } from './keys.js';
import type { TestIssuer } from './issuer.js';

/** One hostile token and the error code a correct verifier answers with. */
export interface ForgedToken {
  /** The rule it breaks, e.g. "alg none". */
  readonly name: string;
  readonly token: string;
  /** Expected `LatchkeyError.code`. */
  readonly code: string;
}

/**
 * Every class of forged or unacceptable token the verifier must refuse with 401, for a verifier
 * configured with this issuer's `issuer`, `audience` and key set, default algorithms and token size, skew (≤ 300 s)
 * and max lifetime (≤ 86400 s).
 */
export async function forgedTokens(issuer: TestIssuer): Promise<ForgedToken[]> {
  const now = Math.floor(Date.now() / 1000);
  const other = await generateKeyPair(issuer.alg, issuer.key.kid);
  const valid = await issuer.mint();
  const [vh, vp, vs] = valid.split('.') as [string, string, string];
  const tamperedPayload = Buffer.from(
    JSON.stringify({ ...issuer.claims(), sub: 'admin' }),
  ).toString('base64url');
  const pem = new TextEncoder().encode(await issuer.publicKeyPem());
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  // Flip an unused low bit of the last signature character: same bytes, another spelling.
  const lastIndex = alphabet.indexOf(vs.slice(-1));
  const nonCanonicalSig = vs.slice(0, -1) + (alphabet[lastIndex ^ 1] ?? 'A');
  const h = issuer.header.bind(issuer);
  const c = issuer.claims.bind(issuer);
  const raw = issuer.mintRaw.bind(issuer);

  const rows: Array<[string, Promise<string> | string, string]> = [
    ['alg none', raw(h({ alg: 'none' }), c(), { signature: '' }), 'token_algorithm_not_allowed'],
    ['alg none with a signature', raw(h({ alg: 'none' }), c()), 'token_algorithm_not_allowed'],
    ['HS256 signed with the public key', raw(h({ alg: 'HS256' }), c(), { hmacSecret: pem }), 'token_algorithm_not_allowed'],
    ['alg not in the allow-list (ES384)', raw(h({ alg: 'ES384' }), c()), 'token_algorithm_not_allowed'],
    ['alg missing', raw(h({ alg: undefined }), c()), 'token_algorithm_not_allowed'],
    ['typ JWT instead of at+jwt', issuer.mint({}, { typ: 'JWT' }), 'token_header_invalid'],
    ['typ missing', issuer.mint({}, { typ: undefined }), 'token_header_invalid'],
    ['kid missing', issuer.mint({}, { kid: undefined }), 'token_header_invalid'],
    ['jku header', issuer.mint({}, { jku: 'https://attacker.example/jwks.json' }), 'token_header_invalid'],
    ['x5u header', issuer.mint({}, { x5u: 'https://attacker.example/cert.pem' }), 'token_header_invalid'],
    ['embedded jwk header', issuer.mint({}, { jwk: other.publicJwk }), 'token_header_invalid'],
    ['x5c header', issuer.mint({}, { x5c: ['MIIB'] }), 'token_header_invalid'],
    ['unknown crit', issuer.mint({}, { crit: ['exp'], exp: 1 }), 'token_header_invalid'],
    ['b64 false', issuer.mint({}, { b64: false, crit: ['b64'] }), 'token_header_invalid'],
    ['unknown kid', issuer.mint({}, { kid: 'no-such-key' }), 'token_key_unknown'],
    ['signed by another key with the same kid', raw(h(), c(), { signWith: other }), 'token_signature_invalid'],
    ['payload tampered after signing', `${vh}.${tamperedPayload}.${vs}`, 'token_signature_invalid'],
    ['signature garbage', `${vh}.${vp}.${'A'.repeat(vs.length)}`, 'token_signature_invalid'],
    ['expired', issuer.mint({ iat: now - 4000, exp: now - 3600 }), 'token_expired'],
    ['nbf in the future', issuer.mint({ nbf: now + 3600 }), 'token_not_yet_valid'],
    ['iat in the future', issuer.mint({ iat: now + 3600, exp: now + 3900 }), 'token_not_yet_valid'],
    ['wrong audience', issuer.mint({ aud: 'another-api' }), 'token_claim_invalid'],
    ['wrong issuer', issuer.mint({ iss: 'https://attacker.example' }), 'token_claim_invalid'],
    ['sub missing', issuer.mint({ sub: undefined }), 'token_claim_invalid'],
    ['jti missing', issuer.mint({ jti: undefined }), 'token_claim_invalid'],
    ['exp missing', issuer.mint({ exp: undefined }), 'token_claim_invalid'],
    ['iat missing', issuer.mint({ iat: undefined }), 'token_claim_invalid'],
    ['iss missing', issuer.mint({ iss: undefined }), 'token_claim_invalid'],
    ['aud missing', issuer.mint({ aud: undefined }), 'token_claim_invalid'],
    ['client_id missing', issuer.mint({ client_id: undefined }), 'token_claim_invalid'],
    ['exp not a number', issuer.mint({ exp: String(now + 600) }), 'token_claim_invalid'],
    ['sub not a string', issuer.mint({ sub: 42 }), 'token_claim_invalid'],
    ['lifetime longer than allowed', issuer.mint({ iat: now, exp: now + 100_000 }), 'token_claim_invalid'],
    ['two segments', `${vh}.${vp}`, 'token_malformed'],
    ['four segments', `${valid}.${vs}`, 'token_malformed'],
    ['header not JSON', `${Buffer.from('not json').toString('base64url')}.${vp}.${vs}`, 'token_malformed'],
    ['header a JSON array', `${Buffer.from('[]').toString('base64url')}.${vp}.${vs}`, 'token_malformed'],
    ['payload not JSON', raw(h(), 'not json'), 'token_malformed'],
    ['payload a JSON array', raw(h(), '[1]'), 'token_malformed'],
    ['empty claims', raw(h(), {}), 'token_claim_invalid'],
    ['signature in non-canonical base64url', `${vh}.${vp}.${nonCanonicalSig}`, 'token_malformed'],
    ['oversized token (over the default 8 KiB)', `${vh}.${'A'.repeat(9000)}.${vs}`, 'token_malformed'],
  ];
  return Promise.all(rows.map(async ([name, token, code]) => ({ name, token: await token, code })));
}

// Keys and access tokens for the benchmarks, made with node:crypto directly (fast, no library).
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';

export const ISSUER = 'http://localhost:8080';
export const AUDIENCE = 'shop-api';
export const ALGS = ['ES256', 'EdDSA', 'RS256'];

/** A signing key for `alg` with its public JWK (kid, alg, use) and SPKI PEM. */
export function makeKey(alg) {
  const { privateKey, publicKey } =
    alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : alg === 'EdDSA' ? generateKeyPairSync('ed25519')
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `bench-${alg}-${randomUUID().slice(0, 8)}`;
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
  return { alg, kid, privateKey, publicKey, jwk, pem: publicKey.export({ type: 'spki', format: 'pem' }) };
}

const b64 = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** A Latchkey-shaped access token (RFC 9068 claims, csrf, sid, scope) signed with `key`. */
export function mint(key, overrides = {}) {
  const now = Math.floor(Date.now() / 1000);
  const header = b64({ alg: key.alg, typ: 'at+jwt', kid: key.kid });
  const payload = b64({
    iss: ISSUER, sub: `user-${randomUUID()}`, aud: AUDIENCE, iat: now, exp: now + 600, jti: randomUUID(),
    client_id: 'latchkey-web', scope: 'cart:read cart:write profile:read', sid: randomUUID(),
    csrf: randomBytes(32).toString('base64url'), ...overrides,
  });
  const input = `${header}.${payload}`;
  const sig = key.alg === 'EdDSA' ? sign(null, Buffer.from(input), key.privateKey)
    : key.alg === 'ES256' ? sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
    : sign('sha256', Buffer.from(input), key.privateKey);
  return `${input}.${sig.toString('base64url')}`;
}

/** Serialisable form of a key, for child processes. */
export function exportKey(key) {
  return { alg: key.alg, kid: key.kid, jwk: key.jwk, pem: key.pem, pkcs8: key.privateKey.export({ type: 'pkcs8', format: 'pem' }) };
}

/** Rebuilds a key exported with exportKey. */
export function importKey(k) {
  const privateKey = createPrivateKey(k.pkcs8);
  return { ...k, privateKey, publicKey: createPublicKey(privateKey) };
}

import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import type { SigningAlgorithm } from '../config/defaults.js';

/**
 * Imports a private JWK once into a node:crypto `KeyObject` for signing. Signing through a KeyObject
 * is one synchronous `crypto.sign` call; through WebCrypto (jose's `SignJWT`) it was an asynchronous
 * thread-pool job per token, the largest single cost of a refresh.
 */
export function importSigningKey(jwk: JWK, alg: SigningAlgorithm): KeyObject {
  const key = createPrivateKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
  const type = key.asymmetricKeyType;
  const ok =
    (alg === 'ES256' && type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') ||
    (alg === 'EdDSA' && type === 'ed25519') ||
    (alg === 'RS256' && type === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048);
  if (!ok) throw new Error(`stored key does not fit ${alg}`);
  return key;
}

/**
 * The JWS signature (RFC 7515 compact, RFC 7518 §3) of `signingInput` under `alg`: ES256 as raw
 * R||S (IEEE P1363, 64 bytes), not DER; EdDSA over the bytes as they are; RS256 PKCS#1 v1.5 SHA-256.
 */
export function signJws(alg: SigningAlgorithm, key: KeyObject, signingInput: string): string {
  const data = Buffer.from(signingInput, 'latin1'); // base64url segments and '.' are ASCII
  switch (alg) {
    case 'ES256':
      return sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    case 'EdDSA':
      return sign(null, data, key).toString('base64url');
    case 'RS256':
      return sign('sha256', data, key).toString('base64url');
  }
}

/** `base64url(JSON)` of a JOSE header or claims set. */
export function encodeSegment(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

import * as nodeCrypto from 'node:crypto';
import { createHash, KeyObject, timingSafeEqual, verify } from 'node:crypto';
import type { CryptoKey } from 'jose';
import type { CryptoBackend, SignatureCheck, TokenParts } from './crypto-backend.js';
import { LatchkeyError, TokenAlgorithmNotAllowedError, TokenSignatureInvalidError } from './errors.js';
import type { KeySet } from './key-set.js';

// The key type each algorithm needs (RFC 7518 §3.3–3.4, RFC 8037 §3.1). jose already selected the
// JWK by kty/crv for the alg; this re-checks the imported key so a mismatch can never be verified.
function keyFits(key: KeyObject, alg: string): boolean {
  if (key.type !== 'public') return false;
  switch (alg) {
    case 'ES256':
      return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
    case 'EdDSA':
      return key.asymmetricKeyType === 'ed25519';
    case 'RS256':
      // Same floor as jose: RSA keys under 2048 bits are refused.
      return key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048;
    default:
      return false;
  }
}

// One-shot `crypto.hash` (Node ≥ 20.12) is several times cheaper than a Hash object per call.
const oneShot = (nodeCrypto as { hash?: (alg: string, data: string, encoding: 'buffer') => Buffer }).hash;
const sha256 = oneShot === undefined
  ? (value: string): Buffer => createHash('sha256').update(value).digest()
  : (value: string): Buffer => oneShot('sha256', value, 'buffer');

// Digests of the expected side of secretsEqual (a verified token's `csrf` claim): with warm tokens
// the same claim is compared on every request, so its SHA-256 is computed once. Bounded; the
// presented value is still hashed every time, and the comparison stays constant-time.
const EXPECTED_DIGESTS_MAX = 4096;
const expectedDigests = new Map<string, Buffer>();
function expectedDigest(value: string): Buffer {
  let digest = expectedDigests.get(value);
  if (digest === undefined) {
    digest = sha256(value);
    if (expectedDigests.size >= EXPECTED_DIGESTS_MAX) expectedDigests.clear();
    expectedDigests.set(value, digest);
  }
  return digest;
}

function unverifiable(cause?: unknown): TokenSignatureInvalidError {
  return new TokenSignatureInvalidError('The access token signature could not be verified', cause === undefined ? undefined : { cause });
}

function checkSignature(key: KeyObject, parts: TokenParts): Uint8Array {
  const signature = Buffer.from(parts.signature, 'base64url');
  // The signing input is base64url and dots: ASCII, so latin1 is its exact byte encoding.
  const data = Buffer.from(parts.signingInput, 'latin1');
  let ok: boolean;
  try {
    switch (parts.alg) {
      case 'ES256':
        // JWS ECDSA signatures are R || S, 32 bytes each (RFC 7518 §3.4), never DER.
        if (signature.length !== 64) throw new TokenSignatureInvalidError();
        ok = verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
        break;
      case 'EdDSA':
        ok = verify(null, data, key, signature);
        break;
      case 'RS256':
        ok = verify('sha256', data, key, signature); // RSASSA-PKCS1-v1_5 is the default padding
        break;
      default:
        throw new TokenAlgorithmNotAllowedError();
    }
  } catch (err) {
    if (err instanceof LatchkeyError) throw err;
    throw unverifiable(err);
  }
  if (!ok) throw new TokenSignatureInvalidError();
  return Buffer.from(parts.payload, 'base64url');
}

/**
 * The Node.js backend: the same key selection (jose's, memoized per key-set generation as
 * node:crypto `KeyObject`s, keyed by `alg` and `kid`), then one synchronous `crypto.verify` — no
 * WebCrypto job round trip, no per-call key conversion.
 */
export const backend: CryptoBackend = Object.freeze({
  name: 'node' as const,
  createSignatureCheck(keys: KeySet, algorithms: readonly string[]): SignatureCheck {
    const allowed: ReadonlySet<string> = new Set(algorithms);
    let memo = new Map<string, KeyObject>();
    let memoGeneration = -1;

    async function resolveAndCheck(parts: TokenParts, id: string): Promise<Uint8Array> {
      const before = keys.generation();
      const cryptoKey = (await keys.getKey(
        { alg: parts.alg, kid: parts.kid },
        { payload: parts.payload, signature: parts.signature },
      )) as CryptoKey;
      let key: KeyObject;
      try {
        key = KeyObject.from(cryptoKey);
      } catch (err) {
        throw unverifiable(err);
      }
      if (!keyFits(key, parts.alg)) throw unverifiable();
      const after = keys.generation();
      // Memoize only when no refetch changed the set meanwhile: a key removed from the JWKS must
      // stop verifying as soon as the set without it is in force.
      if (before === after) {
        if (memoGeneration !== after) {
          memo = new Map();
          memoGeneration = after;
        }
        memo.set(id, key);
      }
      return checkSignature(key, parts);
    }

    return (parts) => {
      if (!allowed.has(parts.alg)) throw new TokenAlgorithmNotAllowedError();
      // `alg` never contains a space, so "alg kid" is unambiguous.
      const id = `${parts.alg} ${parts.kid}`;
      if (memoGeneration === keys.generation() && keys.fresh()) {
        const key = memo.get(id);
        if (key !== undefined) return checkSignature(key, parts);
      }
      return resolveAndCheck(parts, id);
    };
  },
  secretsEqual(a: string, b: string): boolean {
    return timingSafeEqual(sha256(a), expectedDigest(b));
  },
});

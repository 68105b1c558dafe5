import { compactVerify } from 'jose';
import type { CryptoBackend, SignatureCheck } from './crypto-backend.js';
import type { KeySet } from './key-set.js';

const encoder = new TextEncoder();

async function digest(value: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(value)));
}

/**
 * The portable backend: jose's JWS verification over WebCrypto, for browsers, workers, Deno and
 * anything without node:crypto. jose selects the key and checks the signature.
 */
export const backend: CryptoBackend = Object.freeze({
  name: 'web' as const,
  createSignatureCheck(keys: KeySet, algorithms: readonly string[]): SignatureCheck {
    const allowed = [...algorithms];
    return async (parts) => (await compactVerify(parts.token, keys.getKey, { algorithms: allowed })).payload;
  },
  async secretsEqual(a: string, b: string): Promise<boolean> {
    const [da, db] = await Promise.all([digest(a), digest(b)]);
    let diff = 0;
    for (let i = 0; i < da.length; i++) diff |= (da[i] ?? 0) ^ (db[i] ?? 0);
    return diff === 0;
  },
});

import type { JWK } from 'jose';
import { KeyProtectionError } from '../errors.js';
import { aesGcmProtector } from './aes-gcm-protector.js';
import type { StoredSigningKey } from '../store/types.js';

/**
 * How private keys are sealed before they reach the store: `none` (plain JWK JSON; the SQLite file is
 * 0600 in a 0700 folder) or AES-256-GCM with a key from `LATCHKEY_KEY_ENCRYPTION_KEY`
 * (keys/aes-gcm-protector.ts).
 */
export interface KeyProtector {
  /** Stored next to each key so a future protector can tell which keys it sealed. */
  readonly name: string;
  seal(privateJwk: JWK): Promise<string>;
  open(sealed: string): Promise<JWK>;
}

export const plaintextProtector: KeyProtector = {
  name: 'none',
  async seal(jwk) {
    return JSON.stringify(jwk);
  },
  async open(sealed) {
    return JSON.parse(sealed) as JWK;
  },
};

/**
 * Opens a stored private key with the protector that sealed it: `none` rows are plain JSON whatever
 * the current protector (keys stored before encryption was switched on stay readable until rotated);
 * any other protection must match the configured protector, else start-up fails with a clear error.
 */
export async function openStoredKey(row: StoredSigningKey, protector: KeyProtector): Promise<JWK> {
  if (row.protection === plaintextProtector.name) return plaintextProtector.open(row.privateJwk);
  if (row.protection !== protector.name) {
    throw new KeyProtectionError(
      protector.name === plaintextProtector.name
        ? `Signing key ${row.kid} is encrypted (${row.protection}); set LATCHKEY_KEY_ENCRYPTION_KEY to the key it was encrypted with.`
        : `Signing key ${row.kid} is protected by "${row.protection}", which this server cannot open.`,
    );
  }
  const jwk = await protector.open(row.privateJwk);
  if (jwk.kid !== row.kid) throw new KeyProtectionError(`Signing key ${row.kid} decrypted to a different key; the row was tampered with.`);
  return jwk;
}

/** Start-up check: every key that signs or will sign (active, next) opens with `protector`. */
export async function checkStoredKeys(rows: readonly StoredSigningKey[], protector: KeyProtector): Promise<void> {
  for (const row of rows) if (row.status !== 'retired') await openStoredKey(row, protector);
}

/** The protector the configuration asks for (AES-256-GCM when `keyEncryptionKey` is set). */
export function protectorFor(keyEncryptionKey: string | null): KeyProtector {
  return keyEncryptionKey === null ? plaintextProtector : aesGcmProtector(keyEncryptionKey);
}

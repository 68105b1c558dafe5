import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { JWK } from 'jose';
import type { KeyProtector } from './protector.js';
import { KeyProtectionError } from '../errors.js';

/** Stored in `signing_keys.protection` for keys sealed by this protector. */
export const AES_GCM_PROTECTION = 'aes-256-gcm-hkdf-sha256-v1';
/** Shortest accepted `LATCHKEY_KEY_ENCRYPTION_KEY` (e.g. `openssl rand -base64 32` gives 44 characters). */
export const MIN_KEY_ENCRYPTION_KEY_LENGTH = 32;

const SALT = Buffer.from('latchkey/signing-keys');
const INFO = Buffer.from('latchkey signing-key encryption v1');
const IV_BYTES = 12; // NIST SP 800-38D §8.2: 96-bit random IVs
const TAG_BYTES = 16;

/**
 * Seals private signing keys with AES-256-GCM under a key derived by HKDF-SHA256 (RFC 5869) from the
 * operator's secret. Sealed form: `v1.<iv>.<ciphertext>.<tag>` (base64url). A fresh random IV per
 * seal; the tag authenticates, so a wrong secret or a tampered row fails to open (never garbage).
 *
 * @example
 * const protector = aesGcmProtector(process.env.LATCHKEY_KEY_ENCRYPTION_KEY!);
 */
export function aesGcmProtector(secret: string): KeyProtector {
  if (typeof secret !== 'string' || secret.length < MIN_KEY_ENCRYPTION_KEY_LENGTH) {
    throw new KeyProtectionError(`LATCHKEY_KEY_ENCRYPTION_KEY must be at least ${MIN_KEY_ENCRYPTION_KEY_LENGTH} characters (e.g. openssl rand -base64 32).`);
  }
  const key = Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), SALT, INFO, 32));
  return {
    name: AES_GCM_PROTECTION,
    async seal(privateJwk: JWK): Promise<string> {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(AES_GCM_PROTECTION));
      const ct = Buffer.concat([cipher.update(JSON.stringify(privateJwk), 'utf8'), cipher.final()]);
      return ['v1', iv.toString('base64url'), ct.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
    },
    async open(sealed: string): Promise<JWK> {
      const parts = sealed.split('.');
      if (parts.length !== 4 || parts[0] !== 'v1') throw new KeyProtectionError('A stored signing key is not in the expected encrypted format.');
      const [, iv, ct, tag] = parts as [string, string, string, string];
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES });
        decipher.setAAD(Buffer.from(AES_GCM_PROTECTION));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        const plain = Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]);
        return JSON.parse(plain.toString('utf8')) as JWK;
      } catch {
        throw new KeyProtectionError('LATCHKEY_KEY_ENCRYPTION_KEY does not decrypt the stored signing keys (wrong key?).');
      }
    },
  };
}

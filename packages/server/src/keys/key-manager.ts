import { calculateJwkThumbprint, createLocalJWKSet, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK, type JWTVerifyGetKey } from 'jose';
import type { SigningAlgorithm } from '../config/defaults.js';
import type { SigningKeyStore, StoredSigningKey, KeyStatus } from '../store/types.js';
import { checkStoredKeys, openStoredKey, plaintextProtector, type KeyProtector } from './protector.js';

export interface PublicJwk extends JWK {
  kid: string;
  alg: string;
  use: 'sig';
}

export interface SigningKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly privateKey: CryptoKey;
}

export interface KeySummary {
  readonly kid: string;
  readonly alg: string;
  readonly status: KeyStatus;
  readonly createdAt: number;
}

/**
 * Owns the signing keys: makes sure an active key of the configured algorithm exists (generating and
 * persisting one on first start), signs with it, and publishes the JWKS. Rotation (next → active →
 * retired with overlap) will extend `ensureActiveKey`; callers only see `signingKey()` and `jwks()`.
 */
export class KeyManager {
  #store: SigningKeyStore;
  #protector: KeyProtector;
  #active: SigningKey | null = null;
  #jwks: { keys: PublicJwk[] } = { keys: [] };
  #keySet: JWTVerifyGetKey = createLocalJWKSet({ keys: [] });
  #summaries: KeySummary[] = [];

  private constructor(store: SigningKeyStore, protector: KeyProtector) {
    this.#store = store;
    this.#protector = protector;
  }

  /** Loads the key set, generating a key of `alg` when there is no active one of that algorithm. */
  static async open(store: SigningKeyStore, alg: SigningAlgorithm, now: number, protector: KeyProtector = plaintextProtector): Promise<KeyManager> {
    const km = new KeyManager(store, protector);
    // Fail before generating anything when the stored keys cannot be opened (missing/wrong encryption key).
    await checkStoredKeys(await store.list(), protector);
    await km.#ensureActiveKey(alg, now);
    return km;
  }

  /** Loads the key set read-only (for CLI inspection); never generates a key. */
  static async readOnly(store: SigningKeyStore, protector: KeyProtector = plaintextProtector): Promise<KeyManager> {
    const km = new KeyManager(store, protector);
    await km.#reload(false);
    return km;
  }

  async #ensureActiveKey(alg: SigningAlgorithm, now: number): Promise<void> {
    // Under the store's key lock, re-reading inside it: of several instances starting at once, the
    // first generates the key and the others find it (one key set, never competing keys).
    await this.#store.withKeyLock(async () => {
      const rows = await this.#store.list();
      const current = rows.find((k) => k.status === 'active' && k.alg === alg);
      if (current === undefined) {
        const fresh = await generateStoredKey(alg, now, this.#protector);
        await this.#store.insert(fresh);
        // An active key of another algorithm (config changed) stops signing but stays published so
        // tokens it signed keep verifying until they expire.
        for (const old of rows) if (old.status === 'active') await this.#store.setStatus(old.kid, 'retired', now);
      }
    });
    await this.#reload(true);
  }

  async #reload(needActive: boolean): Promise<void> {
    const rows = await this.#store.list();
    const keys: PublicJwk[] = [];
    for (const row of rows) keys.push(JSON.parse(row.publicJwk) as PublicJwk);
    this.#jwks = { keys };
    this.#keySet = createLocalJWKSet(this.#jwks);
    this.#summaries = rows.map((r) => ({ kid: r.kid, alg: r.alg, status: r.status, createdAt: r.createdAt }));
    const active = rows.filter((r) => r.status === 'active').at(-1);
    if (active !== undefined) {
      const jwk = await openStoredKey(active, this.#protector);
      const privateKey = (await importJWK(jwk, active.alg)) as CryptoKey;
      this.#active = { kid: active.kid, alg: active.alg as SigningAlgorithm, privateKey };
    } else if (needActive) {
      throw new Error('no active signing key');
    }
  }

  /** The key that signs new tokens. */
  signingKey(): SigningKey {
    if (this.#active === null) throw new Error('no active signing key');
    return this.#active;
  }

  /** The public JWK Set (RFC 7517 §5): `kid`, `alg`, `use: "sig"` on every key, no private members. */
  jwks(): { keys: PublicJwk[] } {
    return this.#jwks;
  }

  /** A jose key resolver over the published keys, for verifying the server's own tokens. */
  keySet(): JWTVerifyGetKey {
    return this.#keySet;
  }

  list(): KeySummary[] {
    return this.#summaries;
  }
}

async function generateStoredKey(alg: SigningAlgorithm, now: number, protector: KeyProtector): Promise<StoredSigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const pub = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(pub, 'sha256'); // RFC 7638
  const publicJwk: PublicJwk = { ...pub, kid, alg, use: 'sig' };
  const priv = await exportJWK(privateKey);
  return {
    kid,
    alg,
    publicJwk: JSON.stringify(publicJwk),
    privateJwk: await protector.seal({ ...priv, kid, alg }),
    protection: protector.name,
    status: 'active',
    createdAt: now,
  };
}

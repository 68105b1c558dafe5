import { calculateJwkThumbprint, createLocalJWKSet, exportJWK, generateKeyPair, type JWK, type JWTVerifyGetKey } from 'jose';
import { createHash, type KeyObject } from 'node:crypto';
import type { SigningAlgorithm } from '../config/defaults.js';
import type { SigningKeyStore, StoredSigningKey, KeyStatus } from '../store/types.js';
import { encodeSegment, importSigningKey } from '../tokens/jws-sign.js';
import { checkStoredKeys, openStoredKey, plaintextProtector, type KeyProtector } from './protector.js';

export interface PublicJwk extends JWK {
  kid: string;
  alg: string;
  use: 'sig';
}

export interface SigningKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  /** node:crypto key, imported once from the stored JWK (signing is one synchronous `crypto.sign`). */
  readonly privateKey: KeyObject;
  /** The encoded protected header `{alg, typ: "at+jwt", kid}`, identical for every token of this key. */
  readonly headerSegment: string;
}

export interface KeySummary {
  readonly kid: string;
  readonly alg: string;
  readonly status: KeyStatus;
  readonly createdAt: number;
  /** `next`: when it starts signing; `active`: when it did. */
  readonly activateAt: number | null;
  /** `retired`: when it leaves the JWKS. */
  readonly publishUntil: number | null;
}

/**
 * Rotation schedule (all ms). A key signs for `intervalMs`; its successor is generated and published
 * `publishLeadMs` before it takes over (longer than any JWKS cache, so every verifier already has it);
 * a key that stops signing stays published `retireAfterMs` (access-token TTL + clock skew), until every
 * token it signed has expired.
 */
export interface RotationPolicy {
  /** 0 = no automatic rotation. */
  readonly intervalMs: number;
  readonly publishLeadMs: number;
  readonly retireAfterMs: number;
}

const NO_ROTATION: RotationPolicy = { intervalMs: 0, publishLeadMs: 0, retireAfterMs: 3_630_000 };

/** Keys a JWKS publishes: everything not removed. */
const PUBLISHED: ReadonlySet<KeyStatus> = new Set(['next', 'active', 'retired']);

/**
 * Owns the signing keys: makes sure an active key of the configured algorithm exists (generating and
 * persisting one on first start), signs with it, publishes the JWKS, and rotates on a schedule
 * (`tick`): `next` (published ahead) → `active` (signing) → `retired` (published until its tokens have
 * expired) → `removed`. Every transition is a compare-and-set in the store, so several instances
 * ticking over one store make each transition once; each instance reloads on its next tick.
 */
export class KeyManager {
  #store: SigningKeyStore;
  #protector: KeyProtector;
  #policy: RotationPolicy = NO_ROTATION;
  #alg: SigningAlgorithm = 'ES256';
  #active: SigningKey | null = null;
  #jwks: { keys: PublicJwk[] } = { keys: [] };
  #jwksText = '{"keys":[]}';
  #etag = '';
  #keySet: JWTVerifyGetKey = createLocalJWKSet({ keys: [] });
  #summaries: KeySummary[] = [];

  private constructor(store: SigningKeyStore, protector: KeyProtector) {
    this.#store = store;
    this.#protector = protector;
  }

  /**
   * Loads the key set, generating a key of `alg` when there is no active one of that algorithm, then
   * applies any rotation step that is due.
   */
  static async open(
    store: SigningKeyStore,
    alg: SigningAlgorithm,
    now: number,
    protector: KeyProtector = plaintextProtector,
    policy: RotationPolicy = NO_ROTATION,
  ): Promise<KeyManager> {
    const km = new KeyManager(store, protector);
    km.#policy = policy;
    km.#alg = alg;
    // Fail before generating anything when the stored keys cannot be opened (missing/wrong encryption key).
    await checkStoredKeys(await store.list(), protector);
    await km.#ensureActiveKey(alg, now);
    await km.tick(now);
    return km;
  }

  /**
   * One step of the schedule at `now` (epoch ms): activate a due `next` key (the old active one
   * retires), generate and publish the successor once the active key is within `publishLeadMs` of its
   * end, remove retired keys whose tokens have all expired, and reload what other processes changed.
   */
  async tick(now: number): Promise<void> {
    // Under the store's key lock (as first-start generation): of several instances ticking at once, one
    // makes each step and the others find it done.
    await this.#store.withKeyLock(() => this.#step(now));
    await this.#reload(true);
  }

  async #step(now: number): Promise<void> {
    const p = this.#policy;
    let rows = await this.#store.list();
    for (const next of rows.filter((k) => k.status === 'next' && (k.activateAt ?? 0) <= now)) {
      if (await this.#store.transition(next.kid, 'next', 'active', now)) {
        for (const old of rows) if (old.status === 'active' && old.kid !== next.kid) await this.#retire(old.kid, now);
      }
    }
    rows = await this.#store.list();
    const active = rows.filter((k) => k.status === 'active').at(-1);
    if (p.intervalMs > 0 && active !== undefined && !rows.some((k) => k.status === 'next')) {
      const since = active.activateAt ?? active.createdAt;
      if (now >= since + p.intervalMs - p.publishLeadMs) {
        const fresh = await generateStoredKey(this.#alg, now, this.#protector);
        await this.#store.insert({ ...fresh, status: 'next', activateAt: Math.max(since + p.intervalMs, now + p.publishLeadMs) });
      }
    }
    for (const k of rows) {
      if (k.status === 'retired' && k.publishUntil !== null && k.publishUntil !== undefined && k.publishUntil <= now) {
        await this.#store.transition(k.kid, 'retired', 'removed', now);
      }
    }
  }

  /**
   * Rotates now (`latchkey keys rotate`): the published `next` key becomes active if there is one (it is
   * already in every cache), else a fresh key does (verifiers pick it up by refetching on its unknown
   * `kid`). The old active key retires. Returns the new active kid.
   */
  async rotateNow(now: number): Promise<string> {
    const kid = await this.#store.withKeyLock(() => this.#rotate(now));
    await this.#reload(true);
    return kid;
  }

  async #rotate(now: number): Promise<string> {
    const rows = await this.#store.list();
    const next = rows.filter((k) => k.status === 'next').at(0);
    let kid: string;
    if (next !== undefined && (await this.#store.transition(next.kid, 'next', 'active', now))) {
      kid = next.kid;
    } else {
      const fresh = await generateStoredKey(this.#alg, now, this.#protector);
      await this.#store.insert({ ...fresh, activateAt: now });
      kid = fresh.kid;
    }
    for (const old of rows) if (old.status === 'active' && old.kid !== kid) await this.#retire(old.kid, now);
    return kid;
  }

  /**
   * Retires a compromised key at once (`latchkey keys retire <kid>`): removed from the JWKS now, so
   * services refuse its tokens after their next key refresh. If it was signing, a new key takes over
   * first. Returns false when there is no such published key.
   */
  async retireNow(kid: string, now: number): Promise<boolean> {
    const ok = await this.#store.withKeyLock(async () => {
      const row = (await this.#store.list()).find((k) => k.kid === kid);
      if (row === undefined || row.status === 'removed') return false;
      if (row.status === 'active') await this.#rotate(now);
      const current = (await this.#store.list()).find((k) => k.kid === kid);
      if (current === undefined || current.status === 'removed') return false;
      return this.#store.transition(kid, current.status, 'removed', now);
    });
    await this.#reload(true);
    return ok;
  }

  async #retire(kid: string, now: number): Promise<void> {
    await this.#store.transition(kid, 'active', 'retired', now, { publishUntil: now + this.#policy.retireAfterMs });
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
        for (const old of rows) if (old.status === 'active') await this.#retire(old.kid, now);
      }
    });
    await this.#reload(true);
  }

  async #reload(needActive: boolean): Promise<void> {
    const rows = await this.#store.list();
    const keys: PublicJwk[] = [];
    for (const row of rows) if (PUBLISHED.has(row.status)) keys.push(JSON.parse(row.publicJwk) as PublicJwk);
    this.#jwks = { keys };
    this.#jwksText = JSON.stringify(this.#jwks);
    // Strong validator over the exact bytes served (RFC 9110 §8.8.3).
    this.#etag = `"${createHash('sha256').update(this.#jwksText).digest('base64url')}"`;
    this.#keySet = createLocalJWKSet(this.#jwks);
    this.#summaries = rows.map((r) => ({
      kid: r.kid,
      alg: r.alg,
      status: r.status,
      createdAt: r.createdAt,
      activateAt: r.activateAt ?? null,
      publishUntil: r.publishUntil ?? null,
    }));
    const active = rows.filter((r) => r.status === 'active').at(-1);
    if (active !== undefined && this.#active?.kid === active.kid) {
      // Same signing key as before: nothing to import again.
    } else if (active !== undefined) {
      const jwk = await openStoredKey(active, this.#protector);
      const alg = active.alg as SigningAlgorithm;
      const privateKey = importSigningKey(jwk, alg);
      this.#active = { kid: active.kid, alg, privateKey, headerSegment: encodeSegment({ alg, typ: 'at+jwt', kid: active.kid }) };
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

  /** The JWKS as served, and its strong ETag. */
  jwksDocument(): { body: string; etag: string } {
    return { body: this.#jwksText, etag: this.#etag };
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

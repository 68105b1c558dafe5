import type { JWK } from 'jose';

/**
 * How private keys are sealed before they reach the store. Today only `none` (plain JWK JSON, the
 * SQLite file is 0600 in a 0700 folder); encryption at rest with a key from the environment plugs in
 * here later without touching the store or the key manager.
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

import type { KeySet } from './key-set.js';

/** The parts of a compact JWS the signature step needs, after {@link inspectToken} accepted it. */
export interface TokenParts {
  /** Header `alg`, already on the verifier's allow-list. */
  readonly alg: string;
  /** Header `kid`. */
  readonly kid: string;
  /** The whole token. */
  readonly token: string;
  /** `<header>.<payload>` (ASCII), what was signed. */
  readonly signingInput: string;
  /** The payload segment (base64url). */
  readonly payload: string;
  /** The signature segment (base64url, canonical, non-empty). */
  readonly signature: string;
}

/**
 * Checks the signature with the key the key set selects for (`kid`, `alg`) and returns the payload
 * bytes. Throws a `LatchkeyError`, or an error `verify-token.ts` maps to one.
 */
export type SignatureCheck = (parts: TokenParts) => Uint8Array | Promise<Uint8Array>;

/**
 * The only place where the verifier touches cryptography. `#crypto-backend` resolves (package.json
 * `imports`) to `crypto-backend-node.ts` under the `node` condition (node:crypto KeyObjects, sync
 * verify) and to `crypto-backend-web.ts` everywhere else (jose over WebCrypto). Both must give the
 * same answer, with the same error code, for every token: the token table runs against both.
 */
export interface CryptoBackend {
  readonly name: 'node' | 'web';
  /** One signature checker per verifier (it may memoize imported keys per key-set generation). */
  createSignatureCheck(keys: KeySet, algorithms: readonly string[]): SignatureCheck;
  /** Constant-time equality of two secrets: both are hashed first, so neither length leaks. `b` is the expected (server-side) value; a backend may remember its digest. */
  secretsEqual(a: string, b: string): boolean | Promise<boolean>;
}

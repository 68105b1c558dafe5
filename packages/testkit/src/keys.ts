import { exportJWK, generateKeyPair as joseGenerateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';

type SignAlgorithm = Parameters<typeof crypto.subtle.sign>[0];

/** Algorithms the testkit can sign with (the verifier's supported set). */
export type TestAlgorithm = 'ES256' | 'EdDSA' | 'RS256';

/** A signing key pair with its public JWK (carrying `kid`, `alg`, `use`). */
export interface TestKeyPair {
  readonly alg: TestAlgorithm;
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly publicJwk: JWK;
}

/**
 * Generates an extractable key pair for `alg` and its public JWK.
 *
 * @example
 * ```ts
 * const pair = await generateKeyPair('ES256');
 * const jwks = { keys: [pair.publicJwk] };
 * ```
 */
export async function generateKeyPair(alg: TestAlgorithm, kid: string = `test-${crypto.randomUUID()}`): Promise<TestKeyPair> {
  const { privateKey, publicKey } = await joseGenerateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return Object.freeze({
    alg,
    kid,
    privateKey,
    publicKey,
    publicJwk: Object.freeze({ ...jwk, kid, alg, use: 'sig' }),
  });
}

/** WebCrypto parameters of each JWS algorithm (RFC 7518 §3). */
export function signingParams(alg: TestAlgorithm): SignAlgorithm {
  switch (alg) {
    case 'ES256':
      return { name: 'ECDSA', hash: 'SHA-256' };
    case 'EdDSA':
      return { name: 'Ed25519' };
    case 'RS256':
      return { name: 'RSASSA-PKCS1-v1_5' };
  }
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/**
 * Builds a {@link TestKeyPair} from an existing private JWK (carrying `kid` and `alg`), e.g. a
 * server's signing key read from its store in a test, so forged tokens can be minted with the key the
 * server really trusts.
 */
export async function keyPairFromPrivateJwk(privateJwk: JWK): Promise<TestKeyPair> {
  const alg = privateJwk.alg;
  const kid = privateJwk.kid;
  if (!isTestAlgorithm(alg) || typeof kid !== 'string') {
    throw new TypeError('keyPairFromPrivateJwk: the JWK needs a kid and alg ES256, EdDSA or RS256');
  }
  const pub: JWK = Object.fromEntries(Object.entries(privateJwk).filter(([k]) => !PRIVATE_MEMBERS.includes(k) && k !== 'key_ops'));
  const priv: JWK = Object.fromEntries(Object.entries(privateJwk).filter(([k]) => k !== 'key_ops'));
  const privateKey = (await importJWK(priv, alg, { extractable: true })) as CryptoKey;
  const publicKey = (await importJWK(pub, alg, { extractable: true })) as CryptoKey;
  return Object.freeze({ alg, kid, privateKey, publicKey, publicJwk: Object.freeze({ ...pub, kid, alg, use: 'sig' }) });
}

function isTestAlgorithm(alg: unknown): alg is TestAlgorithm {
  return alg === 'ES256' || alg === 'EdDSA' || alg === 'RS256';
}

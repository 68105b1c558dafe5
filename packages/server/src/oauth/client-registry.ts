import type { ClientStore, RegisteredClient } from '../store/types.js';
import { InvalidRequestError } from '../errors.js';
import { randomToken } from '../tokens/crypto.js';
import { NATIVE_CLIENT_ID, WEB_CLIENT_ID } from '../tokens/access-token.js';
import { hashClientSecret, newClientSecret } from './client-secret.js';
import { isAudience, parseScope } from './scopes.js';

export interface ClientDefinition {
  /** Default: 22 random base64url characters. */
  readonly id?: string;
  readonly name: string;
  /** Space-separated scopes the client may request (at least one). */
  readonly scopes: string;
  /** Audiences it may request tokens for (at least one; the first is the default). */
  readonly audiences: readonly string[];
}

export interface ClientWithSecret {
  readonly client: RegisteredClient;
  /** The plain secret: shown once, never stored. */
  readonly secret: string;
}

const CLIENT_ID = /^[A-Za-z0-9._-]{3,64}$/;
const RESERVED_IDS = new Set([WEB_CLIENT_ID, NATIVE_CLIENT_ID]);

/** Validates a definition and registers the client with a fresh secret. Throws `InvalidRequestError` naming the problem. */
export async function registerClient(store: ClientStore, def: ClientDefinition, now: number): Promise<ClientWithSecret> {
  const id = def.id ?? randomToken(16);
  if (!CLIENT_ID.test(id)) throw new InvalidRequestError('A client id is 3..64 characters of A-Z a-z 0-9 . _ -');
  if (RESERVED_IDS.has(id)) throw new InvalidRequestError(`The client id "${id}" is reserved for Latchkey's first-party clients.`);
  const name = def.name.trim();
  if (name.length === 0 || name.length > 100 || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new InvalidRequestError('A client name is 1..100 printable characters.');
  }
  const scopes = parseScope(def.scopes.trim());
  if (scopes === null) throw new InvalidRequestError('Scopes are space-separated tokens (RFC 6749 §3.3), at least one.');
  const audiences = [...new Set(def.audiences)];
  if (audiences.length === 0 || !audiences.every(isAudience)) {
    throw new InvalidRequestError('At least one audience is needed; an audience is printable ASCII without spaces.');
  }
  const secret = newClientSecret();
  const result = await store.create({ id, name, secretHash: hashClientSecret(secret), scopes, audiences }, now);
  if (!result.ok) throw new InvalidRequestError(`A client with id "${id}" already exists.`);
  return { client: result.client, secret };
}

/** Replaces the client's secret; the old one stops working at once. Null when no such client. */
export async function rotateClientSecret(store: ClientStore, id: string, now: number): Promise<ClientWithSecret | null> {
  const secret = newClientSecret();
  if (!(await store.setSecretHash(id, hashClientSecret(secret), now))) return null;
  const client = await store.get(id);
  return client === null ? null : { client, secret };
}

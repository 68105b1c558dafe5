/**
 * The machine-client registry (OAuth 2.0 confidential clients using client credentials). Its own
 * sub-store on `Store` (`store.clients`) so adapters can add it independently of users/sessions/keys.
 * Times are epoch milliseconds. Every adapter must pass the shared suite in test/store-suite.ts.
 */

export interface RegisteredClient {
  /** Public identifier (`client_id`, and `sub` of its tokens). `[A-Za-z0-9._-]`, 3..64 characters. */
  readonly id: string;
  /** Human label for operators. */
  readonly name: string;
  /** Hash of the client secret in the form `<algorithm>:<digest>` (see oauth/client-secret.ts); never the secret. */
  readonly secretHash: string;
  /** Scopes this client may request (a token's `scope` is always a subset). */
  readonly scopes: readonly string[];
  /** Audiences (`aud`) this client may request tokens for; the first is the default. Never empty. */
  readonly audiences: readonly string[];
  readonly disabled: boolean;
  readonly createdAt: number;
  /** When the secret was last set (creation or rotation). */
  readonly secretUpdatedAt: number;
}

export interface NewClient {
  readonly id: string;
  readonly name: string;
  readonly secretHash: string;
  readonly scopes: readonly string[];
  readonly audiences: readonly string[];
}

export type CreateClientResult = { readonly ok: true; readonly client: RegisteredClient } | { readonly ok: false; readonly reason: 'id_taken' };

export interface ClientStore {
  create(client: NewClient, now: number): Promise<CreateClientResult>;
  get(id: string): Promise<RegisteredClient | null>;
  /** Oldest first. */
  list(): Promise<RegisteredClient[]>;
  /** Replaces the secret hash (the old secret stops working at once). False when no such client. */
  setSecretHash(id: string, secretHash: string, now: number): Promise<boolean>;
  /** False when no such client. */
  setDisabled(id: string, disabled: boolean): Promise<boolean>;
  /** False when no such client. */
  delete(id: string): Promise<boolean>;
}

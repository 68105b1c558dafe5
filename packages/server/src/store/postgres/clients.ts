import type { ClientStore, CreateClientResult, NewClient, RegisteredClient } from '../clients.js';
import type { PgQuery } from './postgres-store.js';

interface ClientRow {
  id: string;
  name: string;
  secret_hash: string;
  scopes: string;
  audiences: string;
  disabled: boolean;
  created_at: string | number;
  secret_updated_at: string | number;
}

const toClient = (r: ClientRow): RegisteredClient => ({
  id: r.id,
  name: r.name,
  secretHash: r.secret_hash,
  scopes: JSON.parse(r.scopes) as string[],
  audiences: JSON.parse(r.audiences) as string[],
  disabled: r.disabled,
  createdAt: Number(r.created_at),
  secretUpdatedAt: Number(r.secret_updated_at),
});

/** `store.clients` over the PostgreSQL `clients` table (migration 3, twin of SQLite's). */
export function postgresClientStore(query: PgQuery): ClientStore {
  return {
    async create(c: NewClient, now: number): Promise<CreateClientResult> {
      const r = await query<ClientRow>(
        `INSERT INTO clients (id, name, secret_hash, scopes, audiences, disabled, created_at, secret_updated_at)
         VALUES ($1, $2, $3, $4, $5, false, $6, $6) ON CONFLICT (id) DO NOTHING RETURNING *`,
        [c.id, c.name, c.secretHash, JSON.stringify([...c.scopes]), JSON.stringify([...c.audiences]), now],
      );
      const row = r.rows[0];
      return row === undefined ? { ok: false, reason: 'id_taken' } : { ok: true, client: toClient(row) };
    },
    async get(id: string): Promise<RegisteredClient | null> {
      const row = (await query<ClientRow>('SELECT * FROM clients WHERE id = $1', [id])).rows[0];
      return row === undefined ? null : toClient(row);
    },
    async list(): Promise<RegisteredClient[]> {
      return (await query<ClientRow>('SELECT * FROM clients ORDER BY created_at, id')).rows.map(toClient);
    },
    async setSecretHash(id: string, secretHash: string, now: number): Promise<boolean> {
      return (await query('UPDATE clients SET secret_hash = $1, secret_updated_at = $2 WHERE id = $3', [secretHash, now, id])).rowCount === 1;
    },
    async setDisabled(id: string, disabled: boolean): Promise<boolean> {
      return (await query('UPDATE clients SET disabled = $1 WHERE id = $2', [disabled, id])).rowCount === 1;
    },
    async delete(id: string): Promise<boolean> {
      return (await query('DELETE FROM clients WHERE id = $1', [id])).rowCount === 1;
    },
  };
}

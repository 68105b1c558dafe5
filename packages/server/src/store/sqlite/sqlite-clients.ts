import Database from 'better-sqlite3';
import type { ClientStore, CreateClientResult, NewClient, RegisteredClient } from '../clients.js';

interface ClientRow {
  id: string;
  name: string;
  secret_hash: string;
  scopes: string;
  audiences: string;
  disabled: number;
  created_at: number;
  secret_updated_at: number;
}

function toClient(r: ClientRow): RegisteredClient {
  return {
    id: r.id,
    name: r.name,
    secretHash: r.secret_hash,
    scopes: JSON.parse(r.scopes) as string[],
    audiences: JSON.parse(r.audiences) as string[],
    disabled: r.disabled !== 0,
    createdAt: r.created_at,
    secretUpdatedAt: r.secret_updated_at,
  };
}

/** `store.clients` over the `clients` table (migration 3). Scopes and audiences are JSON arrays. */
export function sqliteClientStore(db: Database.Database): ClientStore {
  const q = {
    insert: db.prepare(
      `INSERT INTO clients (id, name, secret_hash, scopes, audiences, disabled, created_at, secret_updated_at)
       VALUES (?, ?, ?, ?, ?, 0, ?, ?)`,
    ),
    get: db.prepare('SELECT * FROM clients WHERE id = ?'),
    list: db.prepare('SELECT * FROM clients ORDER BY created_at, id'),
    setSecret: db.prepare('UPDATE clients SET secret_hash = ?, secret_updated_at = ? WHERE id = ?'),
    setDisabled: db.prepare('UPDATE clients SET disabled = ? WHERE id = ?'),
    delete: db.prepare('DELETE FROM clients WHERE id = ?'),
  };
  return {
    async create(c: NewClient, now: number): Promise<CreateClientResult> {
      try {
        q.insert.run(c.id, c.name, c.secretHash, JSON.stringify([...c.scopes]), JSON.stringify([...c.audiences]), now, now);
      } catch (err) {
        if (err instanceof Database.SqliteError && err.code.startsWith('SQLITE_CONSTRAINT')) return { ok: false, reason: 'id_taken' };
        throw err;
      }
      return { ok: true, client: toClient(q.get.get(c.id) as ClientRow) };
    },
    async get(id: string): Promise<RegisteredClient | null> {
      const r = q.get.get(id) as ClientRow | undefined;
      return r ? toClient(r) : null;
    },
    async list(): Promise<RegisteredClient[]> {
      return (q.list.all() as ClientRow[]).map(toClient);
    },
    async setSecretHash(id: string, secretHash: string, now: number): Promise<boolean> {
      return q.setSecret.run(secretHash, now, id).changes === 1;
    },
    async setDisabled(id: string, disabled: boolean): Promise<boolean> {
      return q.setDisabled.run(disabled ? 1 : 0, id).changes === 1;
    },
    async delete(id: string): Promise<boolean> {
      return q.delete.run(id).changes === 1;
    },
  };
}

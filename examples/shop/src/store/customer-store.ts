import { randomUUID } from 'node:crypto';
import { openDb, type Db } from './db.js';

export interface Profile {
  subject: string;
  name: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface OrderLine {
  productId: string;
  name: string;
  quantity: number;
  /** Unit price in cents at the time of the order. */
  price: number;
}

export interface Order {
  id: string;
  createdAt: string;
  items: OrderLine[];
  /** Cents. */
  total: number;
}

interface ProfileRow {
  subject: string;
  name: string | null;
  created_at: number;
  updated_at: number;
}
interface OrderRow {
  id: string;
  created_at: number;
  items: string;
  total: number;
}

/** Customer profiles and order history, keyed by the token's `sub`. */
export class CustomerStore {
  private readonly db: Db;
  private readonly stmts;

  constructor(dataDir: string) {
    this.db = openDb(
      dataDir,
      'shop-customer.sqlite',
      `CREATE TABLE IF NOT EXISTS profiles (
         subject    TEXT PRIMARY KEY,
         name       TEXT,
         created_at INTEGER NOT NULL,
         updated_at INTEGER NOT NULL
       );
       CREATE TABLE IF NOT EXISTS orders (
         id         TEXT PRIMARY KEY,
         subject    TEXT NOT NULL,
         created_at INTEGER NOT NULL,
         items      TEXT NOT NULL,
         total      INTEGER NOT NULL CHECK (total >= 0)
       );
       CREATE INDEX IF NOT EXISTS orders_by_subject ON orders (subject, created_at);`,
    );
    this.stmts = {
      ensure: this.db.prepare<[string, number, number]>(
        'INSERT INTO profiles (subject, name, created_at, updated_at) VALUES (?, NULL, ?, ?) ON CONFLICT (subject) DO NOTHING',
      ),
      get: this.db.prepare<[string], ProfileRow>('SELECT * FROM profiles WHERE subject = ?'),
      setName: this.db.prepare<[string | null, number, string]>('UPDATE profiles SET name = ?, updated_at = ? WHERE subject = ?'),
      orders: this.db.prepare<[string], OrderRow>(
        'SELECT id, created_at, items, total FROM orders WHERE subject = ? ORDER BY created_at DESC, id LIMIT 100',
      ),
      insertOrder: this.db.prepare<[string, string, number, string, number]>(
        'INSERT INTO orders (id, subject, created_at, items, total) VALUES (?, ?, ?, ?, ?)',
      ),
    };
  }

  /**
   * The profile. Reading never writes (GET must not change state — the CSRF suite snapshots the
   * stores around every GET): an unknown subject gets an unsaved default, created on first write.
   */
  profile(subject: string): Profile {
    const row = this.stmts.get.get(subject);
    if (!row) {
      const now = new Date().toISOString();
      return { subject, name: null, createdAt: now, updatedAt: now };
    }
    return {
      subject: row.subject,
      name: row.name,
      createdAt: new Date(row.created_at).toISOString(),
      updatedAt: new Date(row.updated_at).toISOString(),
    };
  }

  setName(subject: string, name: string | null): Profile {
    const now = Date.now();
    this.stmts.ensure.run(subject, now, now);
    this.stmts.setName.run(name, now, subject);
    return this.profile(subject);
  }

  orders(subject: string): Order[] {
    return this.stmts.orders.all(subject).map((row) => ({
      id: row.id,
      createdAt: new Date(row.created_at).toISOString(),
      items: JSON.parse(row.items) as OrderLine[],
      total: row.total,
    }));
  }

  placeOrder(subject: string, items: OrderLine[]): Order {
    const order: Order = {
      id: randomUUID(),
      createdAt: new Date().toISOString(),
      items,
      total: items.reduce((sum, line) => sum + line.price * line.quantity, 0),
    };
    this.stmts.insertOrder.run(order.id, subject, Date.parse(order.createdAt), JSON.stringify(items), order.total);
    return order;
  }

  close(): void {
    this.db.close();
  }
}

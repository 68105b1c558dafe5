import { ShopError } from '../errors.js';
import { MAX_QUANTITY } from '../validate.js';
import { openDb, type Db } from './db.js';

export interface StoredLine {
  productId: string;
  quantity: number;
}

/** Carts keyed by the token's `sub`. Quantities are integers 1..99 (enforced by the table too). */
export class CartStore {
  private readonly db: Db;
  private readonly stmts;

  constructor(dataDir: string) {
    this.db = openDb(
      dataDir,
      'shop-cart.sqlite',
      `CREATE TABLE IF NOT EXISTS cart_items (
         subject    TEXT NOT NULL,
         product_id TEXT NOT NULL,
         quantity   INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND ${MAX_QUANTITY}),
         added_at   INTEGER NOT NULL,
         PRIMARY KEY (subject, product_id)
       ) WITHOUT ROWID;`,
    );
    this.stmts = {
      list: this.db.prepare<[string], { productId: string; quantity: number }>(
        'SELECT product_id AS productId, quantity FROM cart_items WHERE subject = ? ORDER BY added_at, product_id',
      ),
      get: this.db.prepare<[string, string], { quantity: number }>(
        'SELECT quantity FROM cart_items WHERE subject = ? AND product_id = ?',
      ),
      upsert: this.db.prepare<[string, string, number, number]>(
        `INSERT INTO cart_items (subject, product_id, quantity, added_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (subject, product_id) DO UPDATE SET quantity = excluded.quantity`,
      ),
      remove: this.db.prepare<[string, string]>('DELETE FROM cart_items WHERE subject = ? AND product_id = ?'),
    };
  }

  list(subject: string): StoredLine[] {
    return this.stmts.list.all(subject);
  }

  /** Adds `quantity` to the line (creating it); the line may not exceed 99. */
  add(subject: string, productId: string, quantity: number): void {
    this.db.transaction(() => {
      const current = this.stmts.get.get(subject, productId)?.quantity ?? 0;
      if (current + quantity > MAX_QUANTITY) {
        throw new ShopError('quantity_limit', `at most ${MAX_QUANTITY} of one product per cart`);
      }
      this.stmts.upsert.run(subject, productId, current + quantity, Date.now());
    })();
  }

  /** Sets the line's quantity (creating it). */
  set(subject: string, productId: string, quantity: number): void {
    this.stmts.upsert.run(subject, productId, quantity, Date.now());
  }

  remove(subject: string, productId: string): void {
    this.stmts.remove.run(subject, productId);
  }

  close(): void {
    this.db.close();
  }
}

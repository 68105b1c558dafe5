import { findProduct } from './catalog.js';
import type { StoredLine } from './store/cart-store.js';

export interface CartView {
  items: { productId: string; name: string; emoji: string; price: number; quantity: number; lineTotal: number }[];
  /** Cents. */
  total: number;
  /** Number of units. */
  count: number;
}

/** The cart as the page shows it: priced from the catalog, lines for vanished products dropped. */
export function cartView(lines: readonly StoredLine[]): CartView {
  const items = lines.flatMap((line) => {
    const product = findProduct(line.productId);
    if (!product) return [];
    return [{
      productId: product.id,
      name: product.name,
      emoji: product.emoji,
      price: product.price,
      quantity: line.quantity,
      lineTotal: product.price * line.quantity,
    }];
  });
  return {
    items,
    total: items.reduce((sum, i) => sum + i.lineTotal, 0),
    count: items.reduce((sum, i) => sum + i.quantity, 0),
  };
}

import { CO_PURCHASES, PRODUCTS, type Product } from './catalog.js';

export interface CartLine {
  productId: string;
  quantity: number;
}

export interface Recommendation {
  product: Product;
  /** Relevance; only the order is meaningful. */
  score: number;
  /** Human-readable why, e.g. "Often bought with Moka Pot". */
  reason: string;
}

export interface RecommendOptions {
  /** How many to return (default 4). */
  limit?: number;
  catalog?: readonly Product[];
  coPurchases?: readonly (readonly [string, string, number])[];
}

// Weights: a co-purchase is the strongest signal, then shared tags, then the same category.
const W_CO_PURCHASE = 3;
const W_TAGS = 2;
const W_CATEGORY = 1;

function jaccard(a: readonly string[], b: readonly string[]): number {
  const sa = new Set(a);
  const inter = b.filter((t) => sa.has(t)).length;
  const union = new Set([...a, ...b]).size;
  return union === 0 ? 0 : inter / union;
}

/**
 * Recommends products from what is in the cart: for each product not in the cart, sums over the cart
 * lines its co-purchase strength, tag similarity (Jaccard) and same-category bonus, each weighted by
 * the line's quantity (dampened by log2 so ten mugs do not drown everything else). With an empty cart,
 * or to fill up to `limit`, falls back to the most popular products. Deterministic: ties break on
 * popularity, then id.
 */
export function recommend(cart: readonly CartLine[], options: RecommendOptions = {}): Recommendation[] {
  const limit = Math.max(0, Math.floor(options.limit ?? 4));
  const catalog = options.catalog ?? PRODUCTS;
  const pairs = options.coPurchases ?? CO_PURCHASES;
  const byId = new Map(catalog.map((p) => [p.id, p]));

  const weightIn = new Map<string, number>();
  for (const line of cart) {
    if (!byId.has(line.productId) || !(line.quantity > 0)) continue; // unknown or bogus lines carry no signal
    weightIn.set(line.productId, (weightIn.get(line.productId) ?? 0) + line.quantity);
  }
  const inCart = [...weightIn.entries()].map(([id, qty]) => ({
    product: byId.get(id) as Product,
    weight: 1 + Math.log2(Math.min(qty, 99)),
  }));

  const coPurchase = (a: string, b: string): number => {
    let best = 0;
    for (const [x, y, w] of pairs) if ((x === a && y === b) || (x === b && y === a)) best = Math.max(best, w);
    return best;
  };

  const scored: Recommendation[] = [];
  for (const candidate of catalog) {
    if (weightIn.has(candidate.id)) continue;
    let score = 0;
    let best = { value: 0, reason: '' };
    for (const { product, weight } of inCart) {
      const co = W_CO_PURCHASE * coPurchase(candidate.id, product.id);
      const tags = W_TAGS * jaccard(candidate.tags, product.tags);
      const cat = candidate.category === product.category ? W_CATEGORY : 0;
      score += weight * (co + tags + cat);
      const reasons: [number, string][] = [
        [co, `Often bought with ${product.name}`],
        [tags, `Goes with ${product.name}`],
        [cat, `More ${candidate.category} like ${product.name}`],
      ];
      for (const [value, reason] of reasons) if (value * weight > best.value) best = { value: value * weight, reason };
    }
    if (score > 0) scored.push({ product: candidate, score, reason: best.reason });
  }

  const byRank = (a: Recommendation, b: Recommendation): number =>
    b.score - a.score || b.product.popularity - a.product.popularity || a.product.id.localeCompare(b.product.id);
  const picked = scored.sort(byRank).slice(0, limit);

  if (picked.length < limit) {
    const taken = new Set(picked.map((r) => r.product.id));
    const popular = catalog
      .filter((p) => !weightIn.has(p.id) && !taken.has(p.id))
      .map((p) => ({ product: p, score: 0, reason: 'Popular right now' }))
      .sort(byRank);
    picked.push(...popular.slice(0, limit - picked.length));
  }
  return picked;
}

/** The shop's product catalog: static, shared by the gateway (`GET /api/products`) and every service. */

export interface Product {
  /** Stable id used in URLs and carts (`[a-z0-9-]`). */
  readonly id: string;
  readonly name: string;
  /** Price in cents (integer), so no float rounding ever touches money. */
  readonly price: number;
  readonly category: string;
  readonly tags: readonly string[];
  readonly emoji: string;
  readonly description: string;
  /** Relative sales rank used for the "popular" fallback (higher is more popular). */
  readonly popularity: number;
}

const product = (p: Product): Product => Object.freeze({ ...p, tags: Object.freeze([...p.tags]) });

export const PRODUCTS: readonly Product[] = Object.freeze([
  product({ id: 'espresso-beans', name: 'Espresso Beans 1 kg', price: 2400, category: 'coffee', tags: ['coffee', 'beans', 'dark-roast'], emoji: '☕', description: 'Dark, chocolatey roast for espresso and moka.', popularity: 95 }),
  product({ id: 'filter-blend', name: 'Filter Coffee Blend', price: 1600, category: 'coffee', tags: ['coffee', 'beans', 'light-roast'], emoji: '🫘', description: 'Bright, fruity beans for pour-over.', popularity: 80 }),
  product({ id: 'burr-grinder', name: 'Burr Grinder', price: 8900, category: 'kitchen', tags: ['coffee', 'grinder', 'gear'], emoji: '⚙️', description: 'Conical burrs, 40 grind settings.', popularity: 60 }),
  product({ id: 'moka-pot', name: 'Moka Pot', price: 3500, category: 'kitchen', tags: ['coffee', 'brewer', 'stovetop'], emoji: '🫖', description: 'Six-cup aluminium stovetop brewer.', popularity: 55 }),
  product({ id: 'french-press', name: 'French Press', price: 2900, category: 'kitchen', tags: ['coffee', 'tea', 'brewer'], emoji: '🧋', description: 'Borosilicate glass, steel plunger.', popularity: 65 }),
  product({ id: 'sencha', name: 'Sencha Green Tea', price: 1200, category: 'tea', tags: ['tea', 'green', 'loose-leaf'], emoji: '🍵', description: 'Grassy first-flush loose leaf.', popularity: 70 }),
  product({ id: 'earl-grey', name: 'Earl Grey', price: 1000, category: 'tea', tags: ['tea', 'black', 'loose-leaf'], emoji: '🫖', description: 'Black tea with bergamot.', popularity: 75 }),
  product({ id: 'cast-iron-teapot', name: 'Cast-iron Teapot', price: 4500, category: 'kitchen', tags: ['tea', 'brewer', 'gift'], emoji: '🏺', description: 'Enamelled inside, keeps tea hot.', popularity: 35 }),
  product({ id: 'stoneware-mug', name: 'Stoneware Mug', price: 1400, category: 'kitchen', tags: ['coffee', 'tea', 'cup', 'gift'], emoji: '☕', description: 'Hand-glazed, 350 ml.', popularity: 85 }),
  product({ id: 'dark-chocolate', name: 'Dark Chocolate Bar', price: 450, category: 'snacks', tags: ['sweet', 'chocolate', 'gift'], emoji: '🍫', description: '72% cacao, single origin.', popularity: 90 }),
  product({ id: 'almond-biscotti', name: 'Almond Biscotti', price: 650, category: 'snacks', tags: ['sweet', 'baked', 'coffee'], emoji: '🍪', description: 'Twice-baked, made for dunking.', popularity: 50 }),
  product({ id: 'wildflower-honey', name: 'Wildflower Honey', price: 900, category: 'snacks', tags: ['sweet', 'tea', 'pantry'], emoji: '🍯', description: 'Raw, from local hives.', popularity: 45 }),
  product({ id: 'dotted-notebook', name: 'Dotted Notebook', price: 1500, category: 'stationery', tags: ['paper', 'desk', 'gift'], emoji: '📓', description: 'A5, 160 pages, lay-flat binding.', popularity: 40 }),
  product({ id: 'fountain-pen', name: 'Fountain Pen', price: 3200, category: 'stationery', tags: ['pen', 'desk', 'gift'], emoji: '🖋️', description: 'Steel nib, piston filler.', popularity: 30 }),
  product({ id: 'desk-lamp', name: 'Desk Lamp', price: 5400, category: 'home', tags: ['desk', 'light'], emoji: '💡', description: 'Warm LED, dimmable.', popularity: 25 }),
  product({ id: 'pothos', name: 'Pothos Plant', price: 1800, category: 'home', tags: ['plant', 'desk', 'gift'], emoji: '🪴', description: 'Hard to kill, easy to love.', popularity: 38 }),
]);

/**
 * Pairs that customers often buy together, with a strength in (0, 1]. Symmetric. In a real shop this
 * comes from order history; here it is seeded so recommendations are meaningful from the first visit.
 */
export const CO_PURCHASES: readonly (readonly [string, string, number])[] = Object.freeze([
  ['espresso-beans', 'moka-pot', 1],
  ['espresso-beans', 'burr-grinder', 0.9],
  ['filter-blend', 'burr-grinder', 0.8],
  ['filter-blend', 'french-press', 0.9],
  ['espresso-beans', 'almond-biscotti', 0.6],
  ['stoneware-mug', 'espresso-beans', 0.4],
  ['sencha', 'cast-iron-teapot', 1],
  ['earl-grey', 'wildflower-honey', 0.9],
  ['earl-grey', 'stoneware-mug', 0.6],
  ['dark-chocolate', 'espresso-beans', 0.5],
  ['dotted-notebook', 'fountain-pen', 1],
  ['desk-lamp', 'dotted-notebook', 0.5],
  ['pothos', 'desk-lamp', 0.4],
] as const);

const BY_ID: ReadonlyMap<string, Product> = new Map(PRODUCTS.map((p) => [p.id, p]));

/** The product with this id, or `undefined` (ids from requests are untrusted: never index objects with them). */
export function findProduct(id: string): Product | undefined {
  return BY_ID.get(id);
}

import { findProduct, type Product } from './catalog.js';
import { invalidRequest, unknownProduct, ShopError } from './errors.js';

export const MAX_QUANTITY = 99;
export const PRODUCT_ID_PATTERN = '^[a-z0-9-]{1,64}$';
const PRODUCT_ID = new RegExp(PRODUCT_ID_PATTERN);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A product id from a request: the right shape, and in the catalog. */
export function parseProductId(value: unknown): Product {
  if (typeof value !== 'string' || !PRODUCT_ID.test(value)) throw invalidRequest('productId must be a product id');
  const product = findProduct(value);
  if (!product) throw unknownProduct();
  return product;
}

/** An integer 1..99. */
export function parseQuantity(value: unknown, field = 'quantity'): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_QUANTITY) {
    throw invalidRequest(`${field} must be an integer from 1 to ${MAX_QUANTITY}`);
  }
  return value;
}

/** Rejects keys other than `allowed` (a typo or a smuggled field is a client bug worth hearing about). */
export function onlyKeys(body: unknown, allowed: readonly string[], what = 'body'): Record<string, unknown> {
  if (!isRecord(body)) throw invalidRequest(`${what} must be a JSON object`);
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) throw invalidRequest(`unknown field in ${what}: ${key.slice(0, 40)}`);
  }
  return body;
}

export interface OrderLineInput {
  product: Product;
  quantity: number;
}

/** Order lines from the page: 1..50 distinct known products, each 1..99. Prices come from the catalog. */
export function parseOrderItems(value: unknown): OrderLineInput[] {
  if (!Array.isArray(value)) throw invalidRequest('items must be an array');
  if (value.length === 0) throw new ShopError('empty_order', 'an order needs at least one item');
  if (value.length > 50) throw invalidRequest('at most 50 lines per order');
  const seen = new Set<string>();
  return value.map((raw, i) => {
    const line = onlyKeys(raw, ['productId', 'quantity'], `items[${i}]`);
    const product = parseProductId(line['productId']);
    if (seen.has(product.id)) throw invalidRequest(`items[${i}]: product listed twice`);
    seen.add(product.id);
    return { product, quantity: parseQuantity(line['quantity'], `items[${i}].quantity`) };
  });
}

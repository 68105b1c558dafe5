export { PRODUCTS, CO_PURCHASES, findProduct } from './catalog.js';
export type { Product } from './catalog.js';
export { recommend } from './recommend.js';
export type { CartLine, Recommendation, RecommendOptions } from './recommend.js';

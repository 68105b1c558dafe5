export { PRODUCTS, CO_PURCHASES, findProduct } from './catalog.js';
export type { Product } from './catalog.js';
export { recommend } from './recommend.js';
export type { CartLine, Recommendation, RecommendOptions } from './recommend.js';
export { startShop, freePort, SHOP_AUDIENCE } from './launcher.js';
export type { StartShopOptions, RunningShop, ShopUrls } from './launcher.js';
export { buildGateway } from './gateway.js';
export type { GatewayOptions } from './gateway.js';

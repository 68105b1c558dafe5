/** Audience every shop service accepts (and the auth server issues for). */
export const SHOP_AUDIENCE = 'shop-api';

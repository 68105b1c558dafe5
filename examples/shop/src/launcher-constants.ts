/** Audience every shop service accepts (and the auth server issues for). */
export const SHOP_AUDIENCE = 'shop-api';

/** The scope a service token needs to read any user's cart (`GET /internal/carts/:userId` on the cart service). */
export const CART_READ_SCOPE = 'cart:read';

/** Client id of the recommendation service's client-credentials client (created by the launcher). */
export const RECOMMENDATION_CLIENT_ID = 'recommendation';

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CO_PURCHASES, PRODUCTS, findProduct } from '../src/catalog.js';
import { recommend } from '../src/recommend.js';

const ids = (cart: { productId: string; quantity: number }[], limit?: number): string[] =>
  recommend(cart, limit === undefined ? {} : { limit }).map((r) => r.product.id);

test('catalog: unique safe ids, integer prices in cents, co-purchase pairs name real products', () => {
  assert.ok(PRODUCTS.length >= 12 && PRODUCTS.length <= 16);
  assert.equal(new Set(PRODUCTS.map((p) => p.id)).size, PRODUCTS.length);
  for (const p of PRODUCTS) {
    assert.match(p.id, /^[a-z0-9-]+$/);
    assert.ok(Number.isInteger(p.price) && p.price > 0, p.id);
    assert.ok(p.tags.length > 0, p.id);
  }
  for (const [a, b, w] of CO_PURCHASES) {
    assert.ok(findProduct(a) && findProduct(b), `${a} / ${b}`);
    assert.ok(w > 0 && w <= 1);
  }
  assert.equal(findProduct('__proto__'), undefined);
  assert.equal(findProduct('constructor'), undefined);
});

test('an empty cart gets the most popular products', () => {
  const recs = recommend([]);
  const popular = [...PRODUCTS].sort((a, b) => b.popularity - a.popularity).slice(0, 4);
  assert.deepEqual(recs.map((r) => r.product.id), popular.map((p) => p.id));
  assert.ok(recs.every((r) => r.reason === 'Popular right now'));
});

test('never recommends what is already in the cart', () => {
  for (const p of PRODUCTS) {
    const cart = [{ productId: p.id, quantity: 1 }];
    assert.ok(!ids(cart, PRODUCTS.length).includes(p.id), p.id);
  }
  const everything = PRODUCTS.map((p) => ({ productId: p.id, quantity: 1 }));
  assert.deepEqual(recommend(everything), []);
});

test('espresso beans bring their co-purchases (moka pot, grinder) to the top', () => {
  const top = ids([{ productId: 'espresso-beans', quantity: 1 }], 2);
  assert.deepEqual(new Set(top), new Set(['moka-pot', 'burr-grinder']));
  const first = recommend([{ productId: 'espresso-beans', quantity: 1 }])[0];
  assert.equal(first?.reason, 'Often bought with Espresso Beans 1 kg');
});

test('recommendations follow the cart: tea in the cart recommends tea things, not coffee gear', () => {
  const coffee = ids([{ productId: 'espresso-beans', quantity: 1 }]);
  const tea = ids([{ productId: 'sencha', quantity: 1 }]);
  assert.notDeepEqual(coffee, tea);
  assert.equal(tea[0], 'cast-iron-teapot');
  assert.ok(!tea.includes('burr-grinder'));
});

test('quantity weighs a line: many notebooks outweigh one bag of beans', () => {
  const cart = [
    { productId: 'espresso-beans', quantity: 1 },
    { productId: 'dotted-notebook', quantity: 8 },
  ];
  assert.equal(ids(cart)[0], 'fountain-pen');
});

test('unknown products and bogus quantities carry no signal', () => {
  const hostile = [
    { productId: '__proto__', quantity: 5 },
    { productId: 'nope', quantity: 1 },
    { productId: 'sencha', quantity: 0 },
    { productId: 'earl-grey', quantity: Number.NaN },
    { productId: 'desk-lamp', quantity: -3 },
  ];
  assert.deepEqual(ids(hostile), ids([]));
});

test('always fills up to the limit with popular products, deterministic across calls', () => {
  const cart = [{ productId: 'desk-lamp', quantity: 1 }];
  const a = recommend(cart, { limit: 8 });
  const b = recommend(cart, { limit: 8 });
  assert.equal(a.length, 8);
  assert.deepEqual(a, b);
  assert.deepEqual(recommend(cart, { limit: 0 }), []);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SHOP_ERROR_CODES, ShopError } from '../src/errors.js';

const doc = readFileSync(new URL('../../../../docs/errors.md', import.meta.url), 'utf8');
const section = doc.slice(doc.indexOf('## Demo shop (examples/shop)'));

test('docs/errors.md (shop section) lists exactly the codes and statuses of SHOP_ERROR_CODES', () => {
  const rows = [...section.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
  assert.deepEqual(rows.sort(), Object.entries(SHOP_ERROR_CODES).sort());
  for (const [code, status] of Object.entries(SHOP_ERROR_CODES)) {
    assert.equal(new ShopError(code as keyof typeof SHOP_ERROR_CODES, 'x').status, status);
  }
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import * as verify from '../src/index.js';

const docsPath = new URL('../../../../docs/errors.md', import.meta.url);

function docsRows(): Map<string, { status: number; className: string }> {
  const text = readFileSync(docsPath, 'utf8');
  const start = text.indexOf('## @latchkey/verify');
  assert.ok(start >= 0, 'docs/errors.md has a "## @latchkey/verify" section');
  const rest = text.slice(start + 3);
  const end = rest.indexOf('\n## ');
  const section = end === -1 ? rest : rest.slice(0, end);
  const rows = new Map<string, { status: number; className: string }>();
  for (const m of section.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \| `(\w+)` \| .+ \|$/gm)) {
    const [, code, status, className] = m as unknown as [string, string, string, string];
    assert.ok(!rows.has(code), `${code} is documented once`);
    rows.set(code, { status: Number(status), className });
  }
  return rows;
}

function exportedErrors(): Map<string, { status: number; className: string }> {
  const out = new Map<string, { status: number; className: string }>();
  for (const [name, value] of Object.entries(verify)) {
    if (typeof value === 'function' && value.prototype instanceof verify.LatchkeyError) {
      const cls = value as unknown as typeof verify.LatchkeyError;
      assert.match(cls.code, /^[a-z]+(_[a-z]+)*$/, `${name}.code is snake_case`);
      assert.ok(!out.has(cls.code), `${cls.code} is used by one class only`);
      out.set(cls.code, { status: cls.status, className: name });
    }
  }
  return out;
}

it('docs/errors.md lists exactly the exported error classes, with the same codes and statuses', () => {
  const docs = docsRows();
  const code = exportedErrors();
  assert.ok(code.size >= 17);
  assert.deepEqual([...docs.keys()].sort(), [...code.keys()].sort());
  for (const [c, row] of code) assert.deepEqual(docs.get(c), row, c);
});

it('instances carry the class code, status and name', () => {
  const err = new verify.TokenExpiredError();
  assert.ok(err instanceof verify.LatchkeyError);
  assert.equal(err.code, 'token_expired');
  assert.equal(err.status, 401);
  assert.equal(err.name, 'TokenExpiredError');
  assert.equal(err.bearerError, 'invalid_token');
});

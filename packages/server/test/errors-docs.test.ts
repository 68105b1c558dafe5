import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as server from '../src/index.js';

const doc = readFileSync(new URL('../../../../docs/errors.md', import.meta.url), 'utf8');
const fromServer = doc.slice(doc.indexOf('## @latchkey/server'));
const nextSection = fromServer.indexOf('\n## ', 3);
const section = nextSection === -1 ? fromServer : fromServer.slice(0, nextSection);

describe('error catalogue', () => {
  it('docs/errors.md (server section) lists exactly the codes, statuses and classes the server uses', () => {
    const rows = [...section.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \| `(\w+)` \|/gm)].map((m) => [m[1], Number(m[2]), m[3]] as const);
    assert.deepEqual(
      rows.map(([code, status]) => [code, status]).sort(),
      Object.entries(server.SERVER_ERROR_CODES).sort(),
    );
    for (const [code, status, className] of rows) {
      const Ctor = (server as unknown as Record<string, unknown>)[className ?? ""];
      assert.equal(typeof Ctor, 'function', `${className} is exported`);
      const err = new (Ctor as new (m?: string) => server.LatchkeyError)('x');
      assert.ok(err instanceof server.LatchkeyError);
      assert.equal(err.code, code);
      assert.equal(err.status, status);
    }
  });
});

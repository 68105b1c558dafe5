#!/usr/bin/env node
// The `latchkey` command. A committed shim, so npm can link the bin at install time (before the build
// has produced dist/). Run `npm run build` once after installing.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/src/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('latchkey: not built yet; run `npm run build` in the repository first.');
  process.exit(1);
}
const { main } = await import(cli.href);
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`latchkey: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);

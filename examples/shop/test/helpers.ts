import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startShop, type RunningShop } from '../src/launcher.js';

/** The whole shop on free ports in a fresh temp data folder; `close()` stops it and removes the folder. */
export async function startTestShop(): Promise<{ shop: RunningShop; output: string[]; close(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-shop-test-'));
  const output: string[] = [];
  let shop: RunningShop;
  try {
    shop = await startShop({ port: 0, dataDir, handleSignals: false, log: (line) => output.push(line) });
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    console.error(output.join('\n'));
    throw err;
  }
  return {
    shop,
    output,
    async close() {
      await shop.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A minimal cookie jar for Node's fetch: honours Path and Max-Age=0 deletion, nothing else. */
export class CookieJar {
  private readonly cookies = new Map<string, { value: string; path: string }>();

  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const path = attrs.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
      const expired = attrs.some((a) => /^max-age=(0|-)/i.test(a)) || value === '';
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, { value, path });
    }
  }

  header(path: string): string {
    return [...this.cookies.entries()]
      .filter(([, c]) => path === c.path || path.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map(([name, c]) => `${name}=${c.value}`)
      .join('; ');
  }

  has(name: string): boolean {
    return this.cookies.has(name);
  }
}

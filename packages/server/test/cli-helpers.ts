import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));

/** Runs `latchkey <args>` to completion; `input` goes to stdin. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv, input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { env, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ code, stdout, stderr });
    });
    child.stdin?.end(input ?? '');
  });
}

export interface CliServer {
  readonly url: string;
  /** SIGTERM, then waits for the exit; resolves with the exit code. Idempotent. */
  stop(): Promise<number | null>;
}

/** Spawns `latchkey serve --port 0 --json` (a real auth server process on a free loopback port). */
export async function startCliServer(env: NodeJS.ProcessEnv): Promise<CliServer> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--host', '127.0.0.1', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  child.stderr.setEncoding('utf8').on('data', (d: string) => stderr.push(d));
  const exit = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  let url: string | undefined;
  for await (const line of createInterface({ input: child.stdout })) {
    url = (JSON.parse(line) as { url: string }).url;
    break;
  }
  if (url === undefined) {
    await exit;
    throw new Error(`latchkey serve did not start: ${stderr.join('')}`);
  }
  let stopped: Promise<number | null> | undefined;
  return {
    url,
    stop() {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        const [code] = await exit;
        return code;
      })();
      return stopped;
    },
  };
}

/**
 * Real `latchkey serve` / CLI processes for the multi-instance tests (the compiled CLI, as deployed).
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));

export function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });
}

export interface Instance {
  url: string;
  child: ChildProcess;
}

/** Starts `latchkey serve --json` and resolves with its URL (or rejects with its stderr if it exits first). */
export function serve(env: NodeJS.ProcessEnv, children: ChildProcess[]): Promise<Instance> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => resolve({ url: (JSON.parse(line) as { url: string }).url, child }));
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
}

/** SIGKILLs whatever is still running (after-hook safety net; tests stop instances with SIGTERM themselves). */
export function killAll(children: readonly ChildProcess[]): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(import.meta.resolve('@latchkey/server')).replace(/index\.js$/, 'cli.js');

/** `latchkey dev` as a terminal would run it: its own process group, so a signal can go to the whole group like Ctrl-C. */
async function startDev(): Promise<{ dev: ChildProcess; dataDir: string; output: string[] }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-launcher-signals-'));
  const dev = spawn(process.execPath, [CLI, 'dev', '--port', '0', '--data-dir', join(dataDir, 'data')], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env['PATH'] },
  });
  const output: string[] = [];
  createInterface({ input: dev.stderr! }).on('line', (line) => output.push(line));
  const ready = new Promise<void>((resolve, reject) => {
    createInterface({ input: dev.stdout! }).on('line', (line) => {
      output.push(line);
      if (line.startsWith('Press Ctrl-C')) resolve();
    });
    dev.once('exit', () => reject(new Error(`latchkey dev exited before it was ready:\n${output.join('\n')}`)));
  });
  await ready;
  return { dev, dataDir, output };
}

function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n').map((s) => Number(s.trim())).filter((n) => n > 0);
  } catch {
    return []; // ps exits 1 when there are none
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves once every pid is gone (polls: a non-child process has no exit event to await). */
async function allGone(pids: number[]): Promise<void> {
  while (pids.some(alive)) await new Promise((r) => setTimeout(r, 50));
}

test('Ctrl-C (SIGINT to the whole process group) stops every process and exits 0', async (t) => {
  const { dev, dataDir, output } = await startDev();
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const kids = childrenOf(dev.pid!);
  assert.equal(kids.length, 5, `auth, cart, customer, recommendation, gateway: ${kids.join(' ')}`);
  const exited = once(dev, 'exit');
  process.kill(-dev.pid!, 'SIGINT'); // what the terminal does: the signal reaches every process in the group
  const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
  assert.deepEqual([code, signal], [0, null], output.join('\n'));
  assert.deepEqual(kids.filter(alive), [], 'no process outlives the launcher');
  assert.equal(output.some((l) => /stopped unexpectedly/.test(l)), false, output.join('\n'));
});

test('Ctrl-C that reaches the children before the launcher (a different terminal or tool) still exits 0', async (t) => {
  const { dev, dataDir, output } = await startDev();
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const kids = childrenOf(dev.pid!);
  const exited = once(dev, 'exit');
  for (const kid of kids) process.kill(kid, 'SIGINT');
  await allGone(kids);
  const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
  assert.deepEqual([code, signal], [0, null], output.join('\n'));
});

test('a crashing child stops the shop with exit code 1', async (t) => {
  const { dev, dataDir, output } = await startDev();
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const kids = childrenOf(dev.pid!);
  const exited = once(dev, 'exit');
  process.kill(kids[1]!, 'SIGKILL');
  const [code] = (await exited) as [number | null];
  assert.equal(code, 1);
  assert.ok(output.some((l) => /stopped unexpectedly \(SIGKILL\)/.test(l)), output.join('\n'));
  assert.deepEqual(kids.filter(alive), []);
});

test('when the launcher dies without cleaning up (SIGKILL), every child, the auth server included, exits by itself', async (t) => {
  const { dev, dataDir } = await startDev();
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const kids = childrenOf(dev.pid!);
  assert.equal(kids.length, 5);
  const exited = once(dev, 'exit');
  dev.kill('SIGKILL');
  await exited;
  await allGone(kids); // the test's own timeout bounds this
});

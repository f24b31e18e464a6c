import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { PROJECT_ROOT } from '../../core/run.ts';
import { createScratchProject } from '../watch/scratch-project.ts';

/**
 * The development loop as a person meets it, for `npm run bench`: `npm run up` started as a process on a
 * scratch copy of the app, timed from the spawn (or the saved edit) to the first HTTP answer.
 * - cold start: empty assembly cache (synthesis runs) → first 200;
 * - warm start: nothing changed since (the cached assembly is copied) → first 200;
 * - `npm run dev`: a saved edit of handler/ → first response with the new code.
 */

const UP = path.join(PROJECT_ROOT, 'harness', 'cli', 'up.ts');
const GREETING = "'こんにちは!はじめてのVPC Lambda!!'";

export interface DevLoopResult {
  readonly coldStartMs: number;
  readonly warmStartMs: readonly number[];
  readonly warmStartMedianMs: number;
  readonly editToResponseMs: readonly number[];
  readonly editToResponseMedianMs: number;
}

const median = (samples: readonly number[]): number => {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export async function benchDevLoop(options: { readonly warmStarts: number; readonly edits: number }): Promise<DevLoopResult> {
  const scratch = createScratchProject();
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'harness-bench-cache-'));
  const env = { ...process.env, HARNESS_PROJECT_ROOT: scratch.root, HARNESS_CACHE_DIR: cacheDir };
  const running = new Set<ChildProcess>();
  const stopAll = () => {
    for (const child of running) child.kill('SIGKILL');
  };
  process.once('exit', stopAll);
  try {
    const startToFirst200 = async (args: string[]): Promise<{ ms: number; apiUrl: string; child: ChildProcess }> => {
      const started = performance.now();
      const child = spawn(process.execPath, [UP, '--target', 'local', '--json', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      running.add(child);
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const apiUrl = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout! }).once('line', (line) => resolve((JSON.parse(line) as { apiUrl: string }).apiUrl));
        child.once('exit', (code) => reject(new Error(`npm run up exited with ${code}:\n${stderr}`)));
      });
      const res = await fetch(`${apiUrl}/myHelloVPCLambda`);
      await res.text();
      if (res.status !== 200) throw new Error(`first greeting answered ${res.status}`);
      return { ms: performance.now() - started, apiUrl, child };
    };
    const stop = async (child: ChildProcess) => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      await exited;
      running.delete(child);
    };

    const cold = await startToFirst200([]);
    await stop(cold.child);
    const warm: number[] = [];
    for (let i = 0; i < options.warmStarts; i++) {
      const run = await startToFirst200([]);
      warm.push(run.ms);
      await stop(run.child);
    }

    const dev = await startToFirst200(['--watch']);
    const handlerFile = path.join(scratch.root, 'handler', 'index.ts');
    const original = readFileSync(handlerFile, 'utf8');
    const edits: number[] = [];
    for (let i = 1; i <= options.edits; i++) {
      const marker = `bench edit ${i}`;
      const saved = performance.now();
      writeFileSync(handlerFile, original.replace(GREETING, `'${marker}'`));
      for (;;) {
        const body = await (await fetch(`${dev.apiUrl}/myHelloVPCLambda`)).text();
        if (body.includes(marker)) break;
        if (performance.now() - saved > 30_000) throw new Error(`edit ${i} did not reach the function within 30 s`);
        await new Promise((r) => setTimeout(r, 5));
      }
      edits.push(performance.now() - saved);
      // Let the watcher settle before the next edit, so each edit is measured on its own.
      await new Promise((r) => setTimeout(r, 300));
    }
    await stop(dev.child);
    return {
      coldStartMs: cold.ms,
      warmStartMs: warm,
      warmStartMedianMs: median(warm),
      editToResponseMs: edits,
      editToResponseMedianMs: median(edits),
    };
  } finally {
    stopAll();
    process.off('exit', stopAll);
    rmSync(cacheDir, { recursive: true, force: true });
    scratch.remove();
  }
}

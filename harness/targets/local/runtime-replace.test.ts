import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FunctionModel } from '../../model/assembly.ts';
import { FunctionRuntime } from './runtime.ts';

// Watch mode's side of the runtime: new code replaces the execution environments, and the debugger's flags.

let root: string;
let runtime: FunctionRuntime | undefined;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'harness-runtime-replace-test-'));
});
afterEach(async () => {
  await runtime?.close();
  rmSync(root, { recursive: true, force: true });
});

function bundle(name: string, answer: string): FunctionModel {
  const assetDir = path.join(root, name);
  mkdirSync(assetDir);
  writeFileSync(path.join(assetDir, 'index.mjs'), `export const handler = async () => ({ answer: ${JSON.stringify(answer)}, pid: process.pid });`);
  return { logicalId: 'Fn', functionName: 'fn', handler: 'index.handler', runtime: 'nodejs24.x', timeoutSeconds: 5, memoryMb: 128, ephemeralStorageMb: 512, environment: {}, assetDir };
}

const create = (fn: FunctionModel, extra: { execArgv?: string[]; maxEnvironments?: number } = {}) =>
  new FunctionRuntime({ fn, environment: {}, region: 'us-east-1', accountId: '000000000000', log: () => {}, ...extra });

async function answer(r: FunctionRuntime): Promise<{ answer: string; pid: number }> {
  const outcome = await r.invoke({});
  if (!outcome.ok) throw new Error(outcome.errorMessage);
  return outcome.result as { answer: string; pid: number };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('FunctionRuntime.replace', () => {
  it('should stop the environments running the old code and run the new code from the next invocation', async () => {
    runtime = create(bundle('v1', 'one'));
    const before = await answer(runtime);
    expect(before.answer).toBe('one');
    await runtime.replace(bundle('v2', 'two'), {});
    expect(alive(before.pid)).toBe(false);
    await runtime.warm();
    expect(runtime.size).toBe(1);
    const after = await answer(runtime);
    expect(after.answer).toBe('two');
    expect(runtime.size).toBe(1);
  });

  it('should let a busy environment finish its invocation with the old code, then retire it', async () => {
    const slow = bundle('slow', 'old');
    writeFileSync(path.join(slow.assetDir, 'index.mjs'), 'export const handler = async () => { await new Promise((r) => setTimeout(r, 300)); return { answer: "old", pid: process.pid }; };');
    runtime = create(slow);
    const inFlight = runtime.invoke({});
    await new Promise((r) => setTimeout(r, 100));
    await runtime.replace(bundle('new', 'new'), {});
    const finished = await inFlight;
    expect(finished.ok && (finished.result as { answer: string }).answer).toBe('old');
    const next = await answer(runtime);
    expect(next.answer).toBe('new');
    await new Promise((r) => setTimeout(r, 100));
    expect(alive((finished as { result: { pid: number } }).result.pid)).toBe(false);
  });
});

describe('FunctionRuntime with extra Node flags', () => {
  it('should start the environment with the inspector on the given port, one environment at a time', async () => {
    const port = 30_000 + (process.pid % 20_000);
    runtime = create(bundle('dbg', 'x'), { execArgv: [`--inspect=127.0.0.1:${port}`], maxEnvironments: 1 });
    const results = await Promise.all([answer(runtime), answer(runtime), answer(runtime)]);
    expect(new Set(results.map((r) => r.pid)).size).toBe(1);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    expect(open).toBe(true);
  });
});

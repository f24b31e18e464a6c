import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../core/run.ts';
import { alive, descendants, exited } from '../core/process-support.ts';

// Real runs of `npm run up` (without npm, to signal the process itself), interrupted like a person would.

const UP = path.join(PROJECT_ROOT, 'harness', 'cli', 'up.ts');
let child: ChildProcess | undefined;
afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

function startUp(env: NodeJS.ProcessEnv = process.env): Promise<{ child: ChildProcess; ready: { target: string; apiUrl: string; efsDir: string } }> {
  child = spawn(process.execPath, [UP, '--target', 'local', '--json'], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = child;
  let stderr = '';
  proc.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    createInterface({ input: proc.stdout! }).once('line', (line) => resolve({ child: proc, ready: JSON.parse(line) }));
    proc.once('exit', (code) => reject(new Error(`up exited with ${code} before it was ready:\n${stderr}`)));
  });
}

describe('npm run up -- --target local --json', () => {
  it('should print exactly one JSON line with target, API URL and the EFS folder once ready', async () => {
    const { child: proc, ready } = await startUp();
    expect(Object.keys(ready).sort()).toEqual(['apiUrl', 'efsDir', 'target']);
    expect(ready.target).toBe('local');
    expect(ready.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(path.isAbsolute(ready.efsDir)).toBe(true);
    expect(existsSync(ready.efsDir)).toBe(true);
    const res = await fetch(`${ready.apiUrl}/myHelloVPCLambda`);
    expect(res.status).toBe(200);
    proc.kill('SIGINT');
    await exited(proc);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('should leave no process and no folder behind after %s', async (signal) => {
    const { child: proc, ready } = await startUp();
    // Make the function's execution environments exist before the interrupt.
    await Promise.all(Array.from({ length: 3 }, () => fetch(`${ready.apiUrl}/health`).then((r) => r.text())));
    const efsRoot = path.dirname(path.dirname(ready.efsDir));
    const environments = descendants(proc.pid!);
    expect(environments.length).toBeGreaterThan(0);
    proc.kill(signal);
    const { code } = await exited(proc);
    expect(code).toBe(signal === 'SIGINT' ? 130 : 143);
    expect(existsSync(efsRoot)).toBe(false);
    expect(environments.filter(alive)).toEqual([]);
    await expect(fetch(`${ready.apiUrl}/health`)).rejects.toThrow();
  });

  it('should leave nothing behind when interrupted while still starting (during synthesis)', async () => {
    // Its own temporary folder, so that what this run leaves there can be told from other tests' folders.
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'harness-up-test-'));
    try {
      const proc = spawn(process.execPath, [UP, '--target', 'local', '--json'], {
        cwd: PROJECT_ROOT,
        env: { ...process.env, TMPDIR: tmp },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = proc;
      let stdout = '';
      let stderr = '';
      proc.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      await new Promise<void>((resolve, reject) => {
        proc.stderr!.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          if (stderr.includes('▶ synthesize CDK app')) resolve();
        });
        proc.once('exit', () => reject(new Error(`up exited before synthesis started:\n${stderr}`)));
      });
      proc.kill('SIGINT');
      const { code } = await exited(proc);
      expect(code).toBe(130);
      expect(stderr).toContain('SIGINT received');
      // Synthesis blocks the event loop, so Node may only handle the signal once the start is complete (and
      // reported ready): whichever it was, the run must leave nothing behind.
      if (stdout) expect(JSON.parse(stdout).target).toBe('local');
      // Node's own compile cache may appear there; nothing of the harness may.
      expect(readdirSync(tmp).filter((name) => name !== 'node-compile-cache')).toEqual([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

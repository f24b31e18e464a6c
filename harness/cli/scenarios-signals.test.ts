import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../core/run.ts';
import { alive, descendants, exited } from '../core/process-support.ts';

/**
 * The two ways scenarios run, interrupted as people and CI do: Ctrl-C reaches the terminal's whole process group
 * (SIGINT), a CI runner's cancel sends SIGTERM to the command it started. vitest ends itself a millisecond after
 * either (its own handlers call process.exit): whatever the entry point and the phase, nothing may stay.
 */

const SCENARIOS = path.join(PROJECT_ROOT, 'harness', 'cli', 'scenarios.ts');
const VITEST = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'vitest');
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
});

const ENTRY_POINTS = {
  // `npm run scenarios -- --target local` (without npm, to signal the process itself)
  'npm run scenarios': (file: string) => [process.execPath, [SCENARIOS, '--target', 'local', file]] as const,
  // `npm test`'s scenarios project: vitest itself, the target in global setup's own process
  'npm test': (file: string) => [VITEST, ['run', '--project', 'scenarios', file]] as const,
};

/** Starts it in a process group of its own (as a shell job is) and resolves once stderr shows `marker`. */
async function startUntil(entry: keyof typeof ENTRY_POINTS, marker: RegExp, tmp: string) {
  const [command, args] = ENTRY_POINTS[entry]('scenarios/faults.scenario.ts');
  const proc = spawn(command, args, {
    cwd: PROJECT_ROOT,
    env: { ...process.env, HARNESS_TARGET: 'local', TMPDIR: tmp, CI: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.push(proc);
  let output = '';
  proc.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    proc.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (marker.test(output)) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`${entry} exited with ${code} before ${marker}:\n${output}`)));
  });
  return { proc, output: () => output };
}

/** What the harness left in the run's own temporary folder (Node's compile cache is not the harness's). */
const leftIn = (tmp: string) => readdirSync(tmp).filter((name) => name !== 'node-compile-cache');

async function eventually(check: () => boolean, ms = 15_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (!check() && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 100));
  return check();
}

describe.each(Object.keys(ENTRY_POINTS) as (keyof typeof ENTRY_POINTS)[])('%s, interrupted', (entry) => {
  it.each([
    ['Ctrl-C (SIGINT to the process group)', 'SIGINT', true],
    ['SIGTERM to the command', 'SIGTERM', false],
  ] as const)('while scenarios run: %s leaves no process and no folder', async (_, signal, group) => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'harness-signals-test-'));
    try {
      // The target is up and its EFS folder exists once the API line is printed; the faults file then runs.
      const { proc, output } = await startUntil(entry, /API http:\/\/127\.0\.0\.1:\d+, EFS folder (\S+)/, tmp);
      const efsDir = /EFS folder (\S+)/.exec(output())![1]!;
      expect(existsSync(efsDir)).toBe(true);
      const below = descendants(proc.pid!);
      process.kill(group ? -proc.pid! : proc.pid!, signal);
      await exited(proc);
      // `npm test`'s target process may still be finishing its clean-up when vitest is gone: give it the time.
      expect(await eventually(() => leftIn(tmp).length === 0), `left in TMPDIR: ${leftIn(tmp).join(', ')}\n${output()}`).toBe(true);
      expect(await eventually(() => below.filter(alive).length === 0), 'processes still running').toBe(true);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('while the target is still starting: Ctrl-C leaves nothing', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'harness-signals-test-'));
    try {
      const { proc, output } = await startUntil(entry, /▶ synthesize CDK app/, tmp);
      const below = descendants(proc.pid!);
      process.kill(-proc.pid!, 'SIGINT');
      await exited(proc);
      expect(await eventually(() => leftIn(tmp).length === 0), `left in TMPDIR: ${leftIn(tmp).join(', ')}\n${output()}`).toBe(true);
      expect(await eventually(() => below.filter(alive).length === 0), 'processes still running').toBe(true);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('npm run scenarios -- --target', () => {
  it('should take --target like npm run up, and report a target that cannot start once, without running vitest', async () => {
    const proc = spawn(process.execPath, [SCENARIOS, '--target', 'localstack'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, HARNESS_TARGET: '', LOCALSTACK_AUTH_TOKEN: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proc.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const { code } = await exited(proc);
    expect(code).toBe(1);
    expect(output).toContain('scenarios target: localstack (HARNESS_TARGET=localstack)');
    expect(output.match(/LOCALSTACK_AUTH_TOKEN is not set/g)).toHaveLength(1);
    expect(output).toContain('No scenario ran: the localstack target did not start');
    expect(output).not.toContain('No test files found');
    expect(output).not.toContain('CACError');
  });
});

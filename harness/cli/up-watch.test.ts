import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messagePath } from '../../handler/message-ids.ts';
import { PROJECT_ROOT } from '../core/run.ts';
import { createScratchProject, type ScratchProject } from '../dev/watch/scratch-project.ts';
import { alive, descendants, exited } from '../core/process-support.ts';

// `npm run dev` for real: `up --watch` on a scratch copy of the app, edited the way a person edits it, with
// every effect checked through HTTP and on the file system. Synthesis takes seconds (tens on a loaded
// machine), hence the long timeouts.

const UP = path.join(PROJECT_ROOT, 'harness', 'cli', 'up.ts');
const LONG = 240_000;

interface Dev {
  readonly proc: ChildProcess;
  readonly ready: { target: string; apiUrl: string; efsDir: string };
  readonly stdoutLines: string[];
  stderr(): string;
}

let scratch: ScratchProject;
let tmp: string;
let dev: Dev | undefined;

beforeAll(() => {
  scratch = createScratchProject();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'harness-watch-test-'));
});
afterAll(() => {
  if (dev?.proc.exitCode === null) dev.proc.kill('SIGKILL');
  scratch.remove();
  rmSync(tmp, { recursive: true, force: true });
});

function startDev(args: string[]): Promise<Dev> {
  const proc = spawn(process.execPath, [UP, '--target', 'local', '--json', '--watch', ...args], {
    cwd: PROJECT_ROOT,
    // Its own TMPDIR and cache: what the run leaves behind can be told from other tests' folders.
    env: { ...process.env, TMPDIR: tmp, HARNESS_PROJECT_ROOT: scratch.root, HARNESS_CACHE_DIR: path.join(tmp, 'cache') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const stdoutLines: string[] = [];
  proc.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      stdoutLines.push(line);
      if (stdoutLines.length === 1) resolve({ proc, ready: JSON.parse(line), stdoutLines, stderr: () => stderr });
    });
    proc.once('exit', (code) => reject(new Error(`up --watch exited with ${code} before it was ready:\n${stderr}`)));
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${dev?.stderr().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const text = async (url: string, init?: RequestInit): Promise<{ status: number; body: string }> => {
  const res = await fetch(url, init);
  return { status: res.status, body: await res.text() };
};

function edit(file: string, from: string, to: string): void {
  const full = path.join(scratch.root, file);
  const before = readFileSync(full, 'utf8');
  if (!before.includes(from)) throw new Error(`${file} does not contain ${from}`);
  writeFileSync(full, before.replace(from, to));
}

const watchLines = (d: Dev) => d.stderr().split('\n').filter((l) => l.startsWith('[watch] '));

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Processes whose command line names the scratch project (the synthesis child of a reload does). */
function processesNaming(text: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('npm run dev (up --watch) on the local target', () => {
  it(
    'should serve handler and infra edits without a restart, keep the URL and the files, and leave nothing behind on Ctrl-C during a reload',
    async () => {
      const inspectPort = 20_000 + (process.pid % 20_000);
      dev = await startDev([`--inspect=${inspectPort}`]);
      const { apiUrl, efsDir } = dev.ready;
      expect(await text(`${apiUrl}/myHelloVPCLambda`)).toEqual({ status: 200, body: JSON.stringify('こんにちは!はじめてのVPC Lambda!!') });
      // The debugger: the environment listens on the fixed inspector port.
      expect(await portOpen(inspectPort)).toBe(true);
      const written = await text(`${apiUrl}/messages`, { method: 'POST', body: JSON.stringify({ text: 'kept across reloads' }) });
      expect(written.status).toBe(201);
      const { id } = JSON.parse(written.body) as { id: string };
      const messageFile = path.join(efsDir, messagePath(id));
      const messageBytes = readFileSync(messageFile, 'utf8');

      // 1. A handler edit: the next request runs the new code.
      edit('handler/index.ts', "'こんにちは!はじめてのVPC Lambda!!'", "'edited greeting'");
      await until('the edited greeting', async () => ((await text(`${apiUrl}/myHelloVPCLambda`)).body === JSON.stringify('edited greeting') ? true : undefined));
      expect(watchLines(dev).at(-1)).toMatch(/^\[watch\] handler\/index\.ts changed: rebuilt and reloaded in \d+\.\d\d s$/);

      // 2. A handler edit that does not compile: reported, and the previous code keeps serving.
      edit('handler/index.ts', "'edited greeting'", "'broken greeting' +");
      await until('the build error line', async () => (watchLines(dev!).some((l) => l.includes('build failed')) ? true : undefined));
      const failure = watchLines(dev).find((l) => l.includes('build failed'))!;
      expect(failure).toMatch(/^\[watch\] handler\/index\.ts changed: build failed after \d+\.\d\d s, the previous code keeps serving: .*handler\/index\.ts:\d+:\d+: /);
      expect(await text(`${apiUrl}/myHelloVPCLambda`)).toEqual({ status: 200, body: JSON.stringify('edited greeting') });
      const linesBefore = watchLines(dev).length;
      edit('handler/index.ts', "'broken greeting' +", "'edited greeting'");
      // Its own reload, so that the infra edit below is one too (edits made during a reload are gathered).
      await until('the repaired build', async () => (watchLines(dev!).length > linesBefore ? true : undefined));
      expect(watchLines(dev).at(-1)).toMatch(/^\[watch\] handler\/index\.ts changed: rebuilt and reloaded in /);

      // 3. An infra edit: a new route reaches the function (API Gateway's own 404 before, the handler's after).
      // The gateway's 404 body, Source: aws/aws-lambda-dotnet@0923e6af4f8c242be036b6ea2c055aa023cb288d
      // Tools/LambdaTestTool-v2/src/Amazon.Lambda.TestTool/Extensions/ResultExtensions.cs (RouteNotFound, HTTP API mode).
      expect(await text(`${apiUrl}/extra`)).toEqual({ status: 404, body: '{"message":"Not Found"}' });
      edit(
        'infra/stack.ts',
        "api.addRoutes({ path: '/health', methods: [GET], integration });",
        "api.addRoutes({ path: '/health', methods: [GET], integration });\n    api.addRoutes({ path: '/extra', methods: [GET], integration });",
      );
      const fromHandler = await until('the new route', async () => {
        const res = await text(`${apiUrl}/extra`);
        return res.body.includes('"not_found"') ? res : undefined;
      }, 200_000);
      expect(fromHandler.status).toBe(404);
      expect(watchLines(dev).at(-1)).toMatch(/^\[watch\] infra\/stack\.ts changed: re-synthesized and applied in \d+\.\d\d s \(6 routes, timeout 10 s, /);
      // Same URL, same EFS folder, the file written before every reload is still there, byte for byte.
      expect(await text(`${apiUrl}/messages/${id}`)).toMatchObject({ status: 200 });
      expect(readFileSync(messageFile, 'utf8')).toBe(messageBytes);
      expect(dev.stdoutLines).toHaveLength(1);

      // 4. Ctrl-C while an infra edit is being synthesized: everything goes, the synthesis child included.
      edit('infra/stack.ts', 'timeout: Duration.seconds(10)', 'timeout: Duration.seconds(12)');
      const synthChild = await until('the synthesis child', async () => processesNaming(scratch.root)[0], 60_000);
      const environments = descendants(dev.proc.pid!);
      dev.proc.kill('SIGINT');
      const { code } = await exited(dev.proc);
      expect(code).toBe(130);
      expect(alive(synthChild)).toBe(false);
      // Killed during cleanup; the kernel may take a moment to reap the last of them.
      await until('the environments and esbuild to exit', async () => (environments.some(alive) ? undefined : true), 5_000);
      expect(processesNaming(scratch.root)).toEqual([]);
      expect(await portOpen(inspectPort)).toBe(false);
      await expect(fetch(`${apiUrl}/health`)).rejects.toThrow();
      expect(existsSync(efsDir)).toBe(false);
      // Node's own compile cache and the assembly cache this test asked for may stay; nothing else may.
      expect(readdirSync(tmp).filter((name) => !['node-compile-cache', 'cache'].includes(name))).toEqual([]);
    },
    LONG * 2,
  );
});

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { DockerEngine } from '../../core/docker-engine.ts';
import { exited } from '../../core/process-support.ts';
import { PROJECT_ROOT } from '../../core/run.ts';
import { createScratchProject } from '../../dev/watch/scratch-project.ts';

// `npm run up` on `local` in container mode, interrupted like a person would: every container of the Lambda image
// goes, whether it was busy, idle or still starting. (The tier's global setup also compares the whole engine.)
// It fakes nothing: the real Docker engine, and the Lambda stand-in image with the real runtime client
// (aws-lambda-ric 4.0.2 from npm, built by `npm run images`). The engine's answers are its own; the refused pull
// is the engine's error (its proxy points at a closed loopback port, so nothing leaves the machine).

const UP = path.join(PROJECT_ROOT, 'harness', 'cli', 'up.ts');
let engine: DockerEngine;
let child: ChildProcess | undefined;
beforeAll(async () => {
  engine = (await DockerEngine.connect(process.env))!;
});
afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

const lambdaContainers = async (): Promise<number> => {
  const filters = encodeURIComponent(JSON.stringify({ ancestor: [inject('dockerImages').lambda] }));
  return (await engine.call<unknown[]>('GET', `/containers/json?all=true&filters=${filters}`)).value.length;
};

function startUp(): Promise<{ child: ChildProcess; apiUrl: string }> {
  const env = { ...process.env, HARNESS_LOCAL_RUNTIME: 'container', HARNESS_LAMBDA_IMAGE: inject('dockerImages').lambda };
  child = spawn(process.execPath, [UP, '--target', 'local', '--json'], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = child;
  let stderr = '';
  proc.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    createInterface({ input: proc.stdout! }).once('line', (line) => resolve({ child: proc, apiUrl: (JSON.parse(line) as { apiUrl: string }).apiUrl }));
    proc.once('exit', (code) => reject(new Error(`up exited with ${code} before it was ready:\n${stderr}`)));
  });
}

describe('container mode: npm run up -- --target local', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('should remove every container on %s, busy and idle ones', async (signal) => {
    const { child: proc, apiUrl } = await startUp();
    expect((await fetch(`${apiUrl}/health`)).status).toBe(200);
    // Three at once: three environments, the last ones possibly still starting when the signal arrives.
    const requests = Array.from({ length: 3 }, () => fetch(`${apiUrl}/health`).then((r) => r.status, () => 0));
    await expect.poll(lambdaContainers).toBeGreaterThan(0);
    proc.kill(signal);
    const { code } = await exited(proc);
    expect(code).toBe(signal === 'SIGINT' ? 130 : 143);
    await Promise.all(requests);
    expect(await lambdaContainers()).toBe(0);
  });

  it('should refuse to start with a clear message when the Lambda image is missing and cannot be pulled', async () => {
    const env = { ...process.env, HARNESS_LOCAL_RUNTIME: 'container', HARNESS_LAMBDA_IMAGE: 'harness-local/no-such-lambda-image:1' };
    child = spawn(process.execPath, [UP, '--target', 'local', '--json'], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const { code } = await exited(child);
    expect(code).not.toBe(0);
    expect(stderr).toContain('The Lambda image harness-local/no-such-lambda-image:1 is not on the Docker engine and could not be pulled');
    expect(stderr).toContain('npm run images');
    expect(await lambdaContainers()).toBe(0);
  });
});

describe('container mode: npm run dev (up --watch)', () => {
  it('should serve a handler edit from new containers, and remove them all on Ctrl-C', async () => {
    const scratch = createScratchProject();
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'harness-dev-container-'));
    try {
      const env = {
        ...process.env,
        TMPDIR: tmp,
        HARNESS_PROJECT_ROOT: scratch.root,
        HARNESS_CACHE_DIR: path.join(tmp, 'cache'),
        HARNESS_LOCAL_RUNTIME: 'container',
        HARNESS_LAMBDA_IMAGE: inject('dockerImages').lambda,
      };
      child = spawn(process.execPath, [UP, '--target', 'local', '--json', '--watch'], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      const proc = child;
      let stderr = '';
      proc.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const apiUrl = await new Promise<string>((resolve, reject) => {
        createInterface({ input: proc.stdout! }).once('line', (line) => resolve((JSON.parse(line) as { apiUrl: string }).apiUrl));
        proc.once('exit', (code) => reject(new Error(`up --watch exited with ${code}:\n${stderr}`)));
      });
      const greeting = async () => (await fetch(`${apiUrl}/myHelloVPCLambda`)).text();
      expect(await greeting()).toContain('はじめてのVPC Lambda');
      const file = path.join(scratch.root, 'handler', 'index.ts');
      const source = readFileSync(file, 'utf8');
      writeFileSync(file, source.replace('はじめてのVPC Lambda', 'edited in container mode'));
      await expect.poll(greeting, { timeout: 30_000, interval: 200 }).toContain('edited in container mode');
      proc.kill('SIGINT');
      expect((await exited(proc)).code).toBe(130);
      expect(await lambdaContainers()).toBe(0);
    } finally {
      scratch.remove();
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

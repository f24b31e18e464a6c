import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { DockerEngine, RUN_LABEL } from '../../core/docker-engine.ts';
import type { FunctionModel } from '../../model/assembly.ts';
import { containerSandbox, describeExit } from './container-sandbox.ts';
import { FunctionRuntime } from './runtime.ts';

// Container mode against the real engine and the Lambda stand-in image (npm run images); nothing is faked. What
// Lambda gives a function comes from AWS's docs:
// - memory, /tmp = ephemeral storage, 1,024 file descriptors:
//   https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
// - a read-only file system except /tmp: https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html
// - the POSIX user of an access point: https://docs.aws.amazon.com/efs/latest/ug/efs-access-points.html
// - an out-of-memory kill reported as "Runtime exited with error: signal: killed": the live capture cited in runtime.ts
//   (GO_SIGNAL_NAMES, Sparticuz/chromium#21).

const PROBE = `
import { execSync } from 'node:child_process';
import { statfsSync, writeFileSync, readFileSync, mkdirSync } from 'node:fs';
const attempt = (fn) => { try { fn(); return 'ok'; } catch (e) { return e.code ?? String(e); } };
export async function handler(event) {
  if (event.op === 'limits') {
    const tmp = statfsSync('/tmp');
    return {
      ids: [process.getuid(), process.getgid()],
      rootWrite: attempt(() => writeFileSync('/etc/probe', 'x')),
      taskWrite: attempt(() => writeFileSync('/var/task/probe', 'x')),
      tmpWrite: attempt(() => writeFileSync('/tmp/probe', 'x')),
      tmpMb: Math.round((tmp.blocks * tmp.bsize) / 1048576),
      // cgroup v2 names it memory.max, v1 memory/memory.limit_in_bytes.
      memoryMax: ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes'].map((f) => attempt(() => { throw { code: readFileSync(f, 'utf8').trim() }; })).find((v) => v !== 'ENOENT'),
      nofile: execSync('ulimit -n', { shell: '/bin/sh' }).toString().trim(),
      mount: attempt(() => { mkdirSync('/mnt/msg/probe-dir'); }),
    };
  }
  if (event.op === 'exhaust-memory') { const kept = []; for (;;) kept.push(Buffer.alloc(16 * 1048576, 1)); }
  if (event.op === 'sleep') { await new Promise((r) => setTimeout(r, event.ms)); return 'slept'; }
  return { pid: process.pid };
}
`;

let engine: DockerEngine;
let assetDir: string;
let efsDir: string;
let runtime: FunctionRuntime | undefined;
const runId = `container-sandbox-${process.pid}`;

beforeAll(async () => {
  engine = (await DockerEngine.connect(process.env))!;
  assetDir = mkdtempSync(path.join(os.tmpdir(), 'container-sandbox-'));
  efsDir = mkdtempSync(path.join(os.tmpdir(), 'container-efs-'));
  chmodSync(assetDir, 0o755);
  chmodSync(efsDir, 0o777);
  writeFileSync(path.join(assetDir, 'probe.mjs'), PROBE);
});
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});
afterAll(() => {
  rmSync(assetDir, { recursive: true, force: true });
  rmSync(efsDir, { recursive: true, force: true });
});

const fn = (overrides: Partial<FunctionModel> = {}): FunctionModel => ({
  logicalId: 'Probe',
  functionName: 'container-probe',
  handler: 'probe.handler',
  runtime: 'nodejs24.x',
  timeoutSeconds: 10,
  memoryMb: 128,
  ephemeralStorageMb: 600,
  environment: { EFS_MOUNT_PATH: '/mnt/msg' },
  assetDir,
  mount: { mountPath: '/mnt/msg', accessPointLogicalId: 'AP', fileSystemLogicalId: 'FS', rootPath: '/lambda', posixUid: 1001, posixGid: 1001 },
  ...overrides,
});

function make(options: { maxEnvironments?: number; fn?: FunctionModel } = {}): FunctionRuntime {
  const model = options.fn ?? fn();
  runtime = new FunctionRuntime({
    fn: model,
    environment: model.environment,
    region: 'us-east-1',
    accountId: '000000000000',
    log: () => {},
    runAs: { uid: 1001, gid: 1001 },
    ...(options.maxEnvironments ? { maxEnvironments: options.maxEnvironments } : {}),
    sandbox: containerSandbox({ engine, image: inject('dockerImages').lambda, runId, network: 'host', efsDir: () => efsDir }),
  });
  return runtime;
}

const containers = async () => (await engine.containersLabelled(`${RUN_LABEL}=${runId}`)).length;

describe('container mode', () => {
  it("should give the function Lambda's limits: the access point's user, a read-only root and task root, /tmp of the ephemeral size, the memory limit, 1,024 files, the mount", async () => {
    const outcome = await make().invoke({ op: 'limits' });
    expect(outcome).toMatchObject({
      ok: true,
      result: {
        ids: [1001, 1001],
        rootWrite: 'EROFS',
        taskWrite: 'EROFS',
        tmpWrite: 'ok',
        tmpMb: 600,
        memoryMax: String(128 * 1048576),
        nofile: '1024',
        mount: 'ok',
      },
    });
  });

  it('should reuse a warm container, and replace one the kernel killed for exceeding the memory size, as Lambda does', async () => {
    const rt = make();
    const first = await rt.invoke({ op: 'pid' });
    expect(await rt.invoke({ op: 'pid' })).toMatchObject({ ok: true, result: (first as { result: unknown }).result });
    expect(await rt.invoke({ op: 'exhaust-memory' }, 'req-oom')).toMatchObject({
      ok: false,
      errorType: 'Runtime.ExitError',
      errorMessage: 'RequestId: req-oom Error: Runtime exited with error: signal: killed',
    });
    expect(await rt.invoke({ op: 'pid' })).toMatchObject({ ok: true });
    await expect.poll(containers, { timeout: 10_000 }).toBe(1);
  });

  it('should run at most maxEnvironments containers at once, queueing the rest', async () => {
    const rt = make({ maxEnvironments: 2 });
    let most = 0;
    const watching = setInterval(() => void containers().then((n) => (most = Math.max(most, n))), 50);
    try {
      const outcomes = await Promise.all(Array.from({ length: 5 }, () => rt.invoke({ op: 'sleep', ms: 300 })));
      expect(outcomes.every((o) => o.ok)).toBe(true);
    } finally {
      clearInterval(watching);
    }
    expect(most).toBe(2);
    expect(rt.size).toBe(2);
  });

  it('should remove every container at close, also ones still starting and ones busy with an invocation', async () => {
    const rt = make({ maxEnvironments: 3 });
    const pending = Array.from({ length: 3 }, () => rt.invoke({ op: 'sleep', ms: 5_000 }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await rt.close();
    runtime = undefined;
    expect(await containers()).toBe(0);
    expect((await Promise.all(pending)).every((o) => !o.ok)).toBe(true);
  });

  it('should word container exits as Lambda words runtime exits', () => {
    expect(describeExit(137)).toBe('signal: killed');
    expect(describeExit(143)).toBe('signal: terminated');
    expect(describeExit(1)).toBe('exit status 1');
  });
});

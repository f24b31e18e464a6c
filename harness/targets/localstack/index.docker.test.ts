import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Cleanup } from '../../core/cleanup.ts';
import { DockerEngine, RUN_LABEL } from '../../core/docker-engine.ts';
import { exited } from '../../core/process-support.ts';
import { Progress } from '../../core/progress.ts';
import { PROJECT_ROOT } from '../../core/run.ts';
import { connect } from '../../launch/connect.ts';
import { synthesize } from '../../model/assembly.ts';
import type { TargetContext } from '../../model/target.ts';
import { fakeCdk } from '../../test-support/localstack-fixtures.ts';
import { freePort } from '../../test-support/ports.ts';
import { startLocalstack, testcontainersRuntime } from './index.ts';

/**
 * The `localstack` target's container lifecycle on a real Docker engine, with the LocalStack stand-in image
 * (harness/test-support/localstack-standin.ts says what it keeps of LocalStack's container contract). Real here:
 * Testcontainers, the engine, the network choice, binds, volumes, the socket mount, LAMBDA_DOCKER_FLAGS as a sibling
 * container gets them, users, readiness, failures and clean-up. Not real: the CDK CLI (fakeCdk) and the AWS APIs
 * behind the stand-in (the source-cited fake LocalStack).
 * Sources: the stand-in's container contract names its sources in harness/test-support/localstack-standin.ts
 * (localstack/localstack@8b9a79f0 for LAMBDA_DOCKER_FLAGS parsing, localstack/lambda-runtime-init for uid 993);
 * Testcontainers' messages are quoted from testcontainers 12.2.0's build/ files.
 */

const TOKEN = 'ls-DockerTier-0000-1111-2222-333344445555';
const images = inject('dockerImages');
const root = mkdtempSync(path.join(os.tmpdir(), 'localstack-docker-test-'));
let engine: DockerEngine;

beforeAll(async () => {
  engine = (await DockerEngine.connect(process.env))!;
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let runs = 0;
function context(env: NodeJS.ProcessEnv): TargetContext & { cleanup: Cleanup; lines: string[] } {
  const lines: string[] = [];
  const runDir = mkdtempSync(path.join(root, 'run-'));
  const stream = { write: (text: string) => (lines.push(text), true), isTTY: false } as unknown as NodeJS.WriteStream;
  return {
    runId: `docker-tier-${process.pid}-${++runs}`,
    runDir,
    env,
    progress: new Progress({ stream }),
    cleanup: new Cleanup(),
    // The real template of this run's stack: the fake CDK's outputs follow what it declares.
    synth: (options) => synthesize(options),
    lines,
  };
}

const deps = { dockerAnswers: async () => true, runtime: testcontainersRuntime, deploy: { runCdk: fakeCdk().run, healthWaitSeconds: 5 } };

const labelled = (runId: string) => engine.containersLabelled(`${RUN_LABEL}=${runId}`);

interface Inspect {
  Config: { Env: string[]; Labels: Record<string, string> };
  HostConfig: { Binds: string[]; NetworkMode: string };
  State: { Running: boolean };
}

describe('localstack target on a real engine, with the LocalStack stand-in', () => {
  it('should start on the host network (no bridge here) or a bridge network, bridge EFS by a host folder, and leave nothing', async () => {
    const port = await freePort();
    const ctx = context({ LOCALSTACK_AUTH_TOKEN: TOKEN, HARNESS_LOCALSTACK_IMAGE: images.standin, HARNESS_LOCALSTACK_PORT: String(port) });
    const networks = await engine.networkNames();
    const running = await startLocalstack(ctx, deps).catch(async (error: Error) => {
      await ctx.cleanup.run();
      throw error;
    });
    try {
      const all = await labelled(ctx.runId);
      const lambdas = all.filter((c) => c.Labels['dev.harness.standin-lambda']);
      const localstack = all.find((c) => !c.Labels['dev.harness.standin-lambda']);
      expect(localstack).toBeDefined();
      const inspect = (await engine.call<Inspect>('GET', `/containers/${localstack!.Id}/json`)).value;
      const env = Object.fromEntries(inspect.Config.Env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
      // The network: host where the engine has no bridge network, and then LocalStack listens on loopback.
      if (!networks.includes('bridge')) {
        expect(inspect.HostConfig.NetworkMode).toBe('host');
        expect(env).toMatchObject({ GATEWAY_LISTEN: `127.0.0.1:${port}`, LAMBDA_DOCKER_NETWORK: 'host' });
        expect(running.info.apiUrl).toBe(`http://127.0.0.1:${port}/_aws/execute-api/abc123/$default`);
        expect(ctx.lines.join('')).toContain('Docker network: host (the Docker engine has no bridge network');
      }
      // Placement tried, not guessed: this process may run where /.dockerenv exists, yet the engine sees its folders.
      expect(ctx.lines.join('')).toMatch(/EFS bridge: bind \(a container of harness-local\/localstack-standin:1 saw a file the harness wrote/);
      expect(inspect.HostConfig.Binds).toContain('/var/run/docker.sock:/var/run/docker.sock:rw');
      expect(env.LAMBDA_DOCKER_FLAGS).toBe(`-v ${running.info.efsDir}:/mnt/msg -l dev.harness.project=apigw-vpc-lambda-efs -l ${RUN_LABEL}=${ctx.runId}`);
      expect(env).toMatchObject({ CFN_IGNORE_UNSUPPORTED_RESOURCE_TYPES: '1', LAMBDA_IGNORE_ARCHITECTURE: '1', LOCALSTACK_AUTH_TOKEN: TOKEN });
      expect(inspect.Config.Labels).toMatchObject({ [RUN_LABEL]: ctx.runId });
      // GET /health made the stand-in start its Lambda container with those flags, as uid 993, and it could write.
      expect(lambdas.length).toBeGreaterThanOrEqual(1);
      expect(readFileSync(path.join(ctx.runDir, 'localstack.log'), 'utf8')).toMatch(/Lambda: container \w+ \(uid 993\) exited with 0/);

      // Files written by a function's container, as LocalStack's user (993) and as the access point's (1001), are
      // what the scenarios' file view reads.
      for (const [user, name] of [['993:990', 'from-993.txt'], ['1001:1001', 'from-1001.txt']] as const) {
        const code = await engine.runToEnd({
          image: images.node,
          user,
          cmd: ['sh', '-c', `echo ${user} > /mnt/msg/${name}`],
          mounts: [{ Type: 'bind', Source: running.info.efsDir!, Target: '/mnt/msg' }],
        });
        expect(code, user).toBe(0);
      }
      const files = connect(running.info).files;
      expect((await files.list('')).sort()).toEqual(['from-1001.txt', 'from-993.txt']);
      expect((await files.read('from-993.txt')).toString()).toBe('993:990\n');
      // Nothing the harness printed holds the token (Docker's own inspect does: it is the container's setting).
      expect(ctx.lines.join('')).not.toContain(TOKEN);
      expect(readFileSync(path.join(ctx.runDir, 'localstack.log'), 'utf8')).not.toContain(TOKEN);
    } finally {
      await running.teardown();
      expect(await ctx.cleanup.run()).toEqual([]);
    }
    expect(await labelled(ctx.runId)).toEqual([]);
    expect(existsSync(running.info.efsDir!)).toBe(false);
  });

  it('should bridge EFS by a Docker volume when asked, also over an image folder at the mount path, and remove the volume', async () => {
    const ctx = context({
      LOCALSTACK_AUTH_TOKEN: TOKEN,
      HARNESS_LOCALSTACK_IMAGE: images.standin,
      HARNESS_LOCALSTACK_PORT: String(await freePort()),
      HARNESS_EFS_BRIDGE: 'volume',
    });
    const running = await startLocalstack(ctx, deps).catch(async (error: Error) => {
      await ctx.cleanup.run();
      throw error;
    });
    const volume = `harness-efs-${ctx.runId}`;
    try {
      expect(running.info.efsVolume).toBeDefined();
      expect((await engine.volumesLabelled(`${RUN_LABEL}=${ctx.runId}`)).map((v) => v.Name)).toEqual([volume]);
      for (const [user, name] of [['993:990', 'a.txt'], ['1001:1001', 'b.txt']] as const) {
        const code = await engine.runToEnd({ image: images.node, user, cmd: ['sh', '-c', `echo ${user} > /mnt/msg/${name}`], mounts: [{ Type: 'volume', Source: volume, Target: '/mnt/msg' }] });
        expect(code, user).toBe(0);
      }
      const files = connect(running.info).files;
      // The store's folder, made by the harness so that the volume is never empty when a function container first
      // mounts it over the image's /mnt/msg (root 0755): Docker's copy-up would otherwise take the root from uid 993.
      expect((await files.list('')).sort()).toEqual(['a.txt', 'b.txt', 'messages']);
      expect((await files.read('b.txt')).toString()).toBe('1001:1001\n');
    } finally {
      await running.teardown();
      expect(await ctx.cleanup.run()).toEqual([]);
    }
    expect(await engine.volumesLabelled(`${RUN_LABEL}=${ctx.runId}`)).toEqual([]);
    expect(await labelled(ctx.runId)).toEqual([]);
  });
});

describe('localstack target on a real engine, when the start fails', () => {
  async function failedStart(env: NodeJS.ProcessEnv) {
    const ctx = context({ LOCALSTACK_AUTH_TOKEN: TOKEN, HARNESS_LOCALSTACK_PORT: String(await freePort()), ...env });
    const error = await startLocalstack(ctx, deps).then(
      () => new Error('started'),
      (e: Error) => e,
    );
    // What the harness runs after a failed start (launch/start.ts).
    expect(await ctx.cleanup.run()).toEqual([]);
    expect(await labelled(ctx.runId)).toEqual([]);
    return { error, ctx };
  }

  it('should name the missing image, how to load it, and leave nothing', async () => {
    const { error } = await failedStart({ HARNESS_LOCALSTACK_IMAGE: 'harness-local/no-such-image:1' });
    expect(error.message).toContain('The image harness-local/no-such-image:1 is not on this Docker engine and could not be pulled');
    expect(error.message).toContain('docker load');
  });

  it('should report exit 55 (a token LocalStack refuses) with the container log, and leave nothing', async () => {
    const { error } = await failedStart({ HARNESS_LOCALSTACK_IMAGE: images.standin, LOCALSTACK_AUTH_TOKEN: 'not-a-localstack-token' });
    expect(error.message).toContain(`LocalStack (${images.standin}) did not start`);
    expect(error.message).toContain('License activation failed');
    expect(error.message).not.toContain('not-a-localstack-token');
  });

  it('should time out waiting for "Ready." with the setting to change, and remove the container it created', async () => {
    // The plain Node image never logs Ready.
    const { error } = await failedStart({ HARNESS_LOCALSTACK_IMAGE: images.node, HARNESS_LOCALSTACK_START_TIMEOUT: '2' });
    expect(error.message).toContain('LocalStack did not log "Ready." within 2 s');
    expect(error.message).toContain('HARNESS_LOCALSTACK_START_TIMEOUT');
  });

  it('should say that the port is taken before starting anything on the host network', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const { error } = await failedStart({ HARNESS_LOCALSTACK_IMAGE: images.standin, HARNESS_LOCALSTACK_PORT: String(port), HARNESS_DOCKER_NETWORK: 'host' });
      expect(error.message).toContain(`Port ${port} on 127.0.0.1 is taken`);
      expect(error.message).toContain('HARNESS_LOCALSTACK_PORT');
    } finally {
      server.close();
    }
  });
});

describe('npm run scenarios -- --target localstack, interrupted on a real engine', () => {
  const SCENARIOS = path.join(PROJECT_ROOT, 'harness', 'cli', 'scenarios.ts');

  it.each([
    ['Ctrl-C while the container starts', 'SIGINT', /▶ start harness-local\/localstack-standin/],
    ['SIGTERM once it runs (during the deploy)', 'SIGTERM', /✓ start harness-local\/localstack-standin/],
  ] as const)('%s: leaves no container and no folder', async (_, signal, marker) => {
    const runId = `docker-tier-signal-${process.pid}-${signal.toLowerCase()}`;
    const tmp = mkdtempSync(path.join(root, 'tmp-'));
    const proc = spawn(process.execPath, [SCENARIOS, '--target', 'localstack'], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        TMPDIR: tmp,
        CI: '',
        HARNESS_RUN_ID: runId,
        LOCALSTACK_AUTH_TOKEN: TOKEN,
        HARNESS_LOCALSTACK_IMAGE: images.standin,
        HARNESS_LOCALSTACK_PORT: String(await freePort()),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    try {
      await new Promise<void>((resolve, reject) => {
        const seen = (chunk: Buffer) => {
          output += chunk.toString();
          if (marker.test(output)) resolve();
        };
        proc.stdout!.on('data', seen);
        proc.stderr!.on('data', seen);
        proc.once('exit', (code) => reject(new Error(`exited with ${code} before ${marker}:\n${output}`)));
      });
      process.kill(signal === 'SIGINT' ? -proc.pid! : proc.pid!, signal);
      const { code } = await exited(proc);
      expect(code, output).toBe(signal === 'SIGINT' ? 130 : 143);
      expect(await labelled(runId), output).toEqual([]);
      // Node's compile cache and Testcontainers' cross-process lock file (testcontainers 12.2.0 build/common/file-lock.js,
      // one per user, shared by every Testcontainers process) are not the run's.
      expect(readdirSync(tmp).filter((name) => !['node-compile-cache', 'testcontainers-node-0.lock'].includes(name)), output).toEqual([]);
    } finally {
      if (proc.exitCode === null && proc.signalCode === null) process.kill(-proc.pid!, 'SIGKILL');
    }
  });
});

describe('localstack target with HARNESS_REUSE=1 on a real engine', () => {
  it('should reuse the kept container for the same configuration, and replace one of another configuration', async () => {
    const port = String(await freePort());
    const env = (token: string) => ({ LOCALSTACK_AUTH_TOKEN: token, HARNESS_LOCALSTACK_IMAGE: images.standin, HARNESS_LOCALSTACK_PORT: port, HARNESS_REUSE: '1' });
    const localstackIds = async () => (await labelled('reuse')).filter((c) => c.Labels['org.testcontainers'] === 'true').map((c) => c.Id);
    const run = async (token: string) => {
      const ctx = context(env(token));
      const running = await startLocalstack(ctx, deps).catch(async (error: Error) => {
        await ctx.cleanup.run();
        throw error;
      });
      await running.teardown();
      expect(await ctx.cleanup.run()).toEqual([]);
      return ctx;
    };
    try {
      await run(TOKEN);
      const first = await localstackIds();
      expect(first).toHaveLength(1);
      await run(TOKEN);
      expect(await localstackIds()).toEqual(first);
      // A new token is another configuration: the kept container goes (it would also hold the port), a new one is kept.
      const other = await run(`${TOKEN}-rotated`);
      const second = await localstackIds();
      expect(second).toHaveLength(1);
      expect(second).not.toEqual(first);
      expect(other.lines.join('')).toContain('HARNESS_REUSE=1: removed');
    } finally {
      await testcontainersRuntime.removeLabelled(`${RUN_LABEL}=reuse`);
    }
  });
});

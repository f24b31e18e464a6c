import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StartedLocalStackContainer } from '@testcontainers/localstack';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type PatternModel, synthesize } from '../../model/assembly.ts';
import { Cleanup } from '../../core/cleanup.ts';
import type { LocalstackContainerConfig } from './container.ts';
import type { ContainerLog } from './container-log.ts';
import { type FakeLocalstack, type FakeLocalstackOptions, startFakeLocalstack } from '../../test-support/fake-localstack.ts';
import { fakeCdk, fakeModel } from '../../test-support/localstack-fixtures.ts';
import { Progress } from '../../core/progress.ts';
import type { TargetContext } from '../../model/target.ts';
import { type ContainerRuntime, type LocalstackDeps, startLocalstack } from './index.ts';

const TOKEN = 'ls-AbCd1234-EfGh-5678-IjKl-9012MnOp3456';
const root = mkdtempSync(path.join(os.tmpdir(), 'localstack-target-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function context(env: NodeJS.ProcessEnv): TargetContext & { cleanup: Cleanup } {
  const runDir = mkdtempSync(path.join(root, 'run-'));
  return {
    runId: '20261126-101500-ab12',
    runDir,
    env,
    progress: new Progress({ quiet: true }),
    cleanup: new Cleanup(),
    synth: async (o) => fakeModel({ stackName: o.stackName, assemblyDir: o.outdir }),
  };
}

/**
 * Records every Docker-side call; `start` fails after logging, like LocalStack without a valid license
 * (exit code 55: DESIGN.md, "Facts about the emulators"), unless `running` gives the started container.
 */
function recordingDeps(
  dockerUp: boolean,
  running?: StartedLocalStackContainer,
  placement = {},
): LocalstackDeps & { calls: string[]; configs: LocalstackContainerConfig[] } {
  const calls: string[] = [];
  const configs: LocalstackContainerConfig[] = [];
  const runtime: ContainerRuntime = {
    // An engine with a bridge network, where placement was not tried (the tests give it): Docker's own answers
    // are the Docker tier's business (harness/docker-tier/).
    networkNames: async () => ['bridge', 'host', 'none'],
    seesFolders: async () => undefined,
    hasImage: async () => true,
    removeContainer: async (id) => void calls.push(`removeContainer ${id}`),
    removeLabelled: async (label) => (calls.push(`removeLabelled ${label}`), 0),
    socketPath: async () => {
      calls.push('socketPath');
      return '/var/run/docker.sock';
    },
    startNetwork: async () => {
      calls.push('startNetwork');
      return { name: 'tc-net-1', stop: async () => void calls.push('stopNetwork') };
    },
    createVolume: async (name) => {
      calls.push(`createVolume ${name}`);
      return { remove: async () => void calls.push(`removeVolume ${name}`) };
    },
    start: async (config, log: ContainerLog) => {
      calls.push('start');
      configs.push(config);
      if (running) return running;
      log.write(`LocalStack version: 2026.08.0\nActivating license with LOCALSTACK_AUTH_TOKEN=${TOKEN}\nLicense activation failed\n`);
      throw new Error('Container exited with code 55');
    },
  };
  return {
    calls,
    configs,
    runtime,
    placement,
    dockerAnswers: async () => {
      calls.push('dockerAnswers');
      return dockerUp;
    },
  };
}

describe('localstack target before Docker', () => {
  it('should fail without a token, naming the plans, before any Docker call', async () => {
    const deps = recordingDeps(true);
    await expect(startLocalstack(context({}), deps)).rejects.toThrow(
      /LOCALSTACK_AUTH_TOKEN is not set.*Base plan for HTTP APIs \(apigatewayv2.*The EFS API \(Ultimate plan\) is optional.*CI Auth Token/,
    );
    expect(deps.calls).toEqual([]);
  });

  it('should refuse a floating image tag before any Docker call', async () => {
    const deps = recordingDeps(true);
    await expect(
      startLocalstack(context({ LOCALSTACK_AUTH_TOKEN: TOKEN, HARNESS_LOCALSTACK_IMAGE: 'localstack/localstack:latest' }), deps),
    ).rejects.toThrow(/has no pinned tag/);
    expect(deps.calls).toEqual([]);
  });

  it('should say how to start Docker when no engine answers, and start nothing', async () => {
    const deps = recordingDeps(false);
    const error = await startLocalstack(context({ LOCALSTACK_AUTH_TOKEN: TOKEN, DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }), deps).catch((e: Error) => e);
    expect((error as Error).message).toBe(
      'No Docker engine answers (DOCKER_HOST=unix:///run/user/1000/docker.sock): the localstack target runs LocalStack and its Lambda ' +
        'functions in Docker. Start Docker (Docker Desktop, or `sudo systemctl start docker`) and check `docker info`, or run HARNESS_TARGET=local.',
    );
    expect(deps.calls).toEqual(['dockerAnswers']);
  });
});

describe('localstack target with a container that does not start', () => {
  it('should pass the bridge and the token to the container, show its last log lines redacted, and leave nothing behind', async () => {
    const deps = recordingDeps(true);
    const ctx = context({ LOCALSTACK_AUTH_TOKEN: TOKEN });
    const error = await startLocalstack(ctx, deps).catch((e: Error) => e);
    const message = (error as Error).message;
    expect(message).toContain('LocalStack (localstack/localstack:2026.08.0) did not start: Container exited with code 55');
    expect(message).toContain('LocalStack container log (last 3 lines):\n  LocalStack version: 2026.08.0\n  Activating license with LOCALSTACK_AUTH_TOKEN=***\n  License activation failed');
    expect(message).not.toContain(TOKEN);
    expect(readFileSync(path.join(ctx.runDir, 'localstack.log'), 'utf8')).not.toContain(TOKEN);

    const config = deps.configs[0]!;
    expect(config.environment.LOCALSTACK_AUTH_TOKEN).toBe(TOKEN);
    expect(config.environment.LAMBDA_DOCKER_NETWORK).toBe('tc-net-1');
    const efsRoot = config.bindMounts.find((b) => b.target === '/var/lib/harness-efs')!.source;
    expect(config.lambdaDockerFlags).toBe(`-v ${efsRoot}/MyFileSystem8A1B2C3D/lambda:/mnt/msg -l dev.harness.project=apigw-vpc-lambda-efs -l dev.harness.run-id=20261126-101500-ab12`);
    expect(config.environment).not.toHaveProperty('LAMBDA_DOCKER_FLAGS');
    expect(existsSync(path.join(efsRoot, 'MyFileSystem8A1B2C3D', 'lambda'))).toBe(true);

    // What the harness runs after a failed start: the network and the EFS folder go.
    expect(await ctx.cleanup.run()).toEqual([]);
    expect(deps.calls).toEqual(['dockerAnswers', 'startNetwork', 'socketPath', 'start', 'removeLabelled dev.harness.run-id=20261126-101500-ab12', 'stopNetwork']);
    expect(existsSync(efsRoot)).toBe(false);
  });

  it('should keep a fixed EFS folder and no network on reuse, so that the container settings match the next run', async () => {
    const deps = recordingDeps(true);
    const ctx = context({ LOCALSTACK_AUTH_TOKEN: TOKEN, HARNESS_REUSE: '1' });
    await startLocalstack(ctx, deps).catch(() => undefined);
    const again = recordingDeps(true);
    await startLocalstack(context({ LOCALSTACK_AUTH_TOKEN: TOKEN, HARNESS_REUSE: '1' }), again).catch(() => undefined);
    expect(deps.configs[0]).toEqual(again.configs[0]);
    expect(deps.configs[0]!.reuse).toBe(true);
    expect(deps.configs[0]!.network).toBeUndefined();
    expect(deps.calls).not.toContain('startNetwork');
    expect(deps.configs[0]!.lambdaDockerFlags).toMatch(/\.harness\/localstack-reuse\/efs\/MyFileSystem8A1B2C3D\/lambda:\/mnt\/msg -l dev\.harness\.project=apigw-vpc-lambda-efs -l dev\.harness\.run-id=reuse$/);
  });

  it('should use a Docker volume per run when this process runs in a container, mounted in LocalStack too, and remove it', async () => {
    const deps = recordingDeps(true, undefined, { inContainer: '/.dockerenv exists' });
    const ctx = context({ LOCALSTACK_AUTH_TOKEN: TOKEN });
    await startLocalstack(ctx, deps).catch(() => undefined);
    const config = deps.configs[0]!;
    expect(config.lambdaDockerFlags).toBe('-v harness-efs-20261126-101500-ab12:/mnt/msg -l dev.harness.project=apigw-vpc-lambda-efs -l dev.harness.run-id=20261126-101500-ab12');
    expect(config.bindMounts).toContainEqual({ source: 'harness-efs-20261126-101500-ab12', target: '/var/lib/harness-efs/MyFileSystem8A1B2C3D/lambda' });
    expect(config.bindMounts.filter((b) => path.isAbsolute(b.source)).map((b) => b.target)).toEqual(['/var/run/docker.sock']);
    await ctx.cleanup.run();
    expect(deps.calls).toEqual([
      'dockerAnswers',
      'createVolume harness-efs-20261126-101500-ab12',
      'startNetwork',
      'socketPath',
      'start',
      'removeLabelled dev.harness.run-id=20261126-101500-ab12',
      'stopNetwork',
      'removeVolume harness-efs-20261126-101500-ab12',
    ]);
  });

  it('should refuse an unknown HARNESS_EFS_BRIDGE before anything starts', async () => {
    const deps = recordingDeps(true);
    await expect(startLocalstack(context({ LOCALSTACK_AUTH_TOKEN: TOKEN, HARNESS_EFS_BRIDGE: 'nfs' }), deps)).rejects.toThrow(
      'HARNESS_EFS_BRIDGE="nfs" is not one of bind, volume',
    );
    expect(deps.calls).toEqual(['dockerAnswers']);
  });
});

describe('localstack target against a LocalStack that answers as LocalStack does', () => {
  let model: PatternModel;
  let fake: FakeLocalstack;
  beforeAll(async () => {
    model = await synthesize({ stackName: 'harness-20261126-101500-ab12', outdir: path.join(root, 'cdk.out') });
  }, 120_000);
  afterEach(async () => fake?.close());

  /** A started container whose endpoint is the fake; exec succeeds like LocalStack's root shell. */
  async function running(options: FakeLocalstackOptions) {
    fake = await startFakeLocalstack(options);
    const execs: string[][] = [];
    const container = {
      getConnectionUri: () => fake.endpoint,
      getId: () => '0123456789abcdef',
      exec: async (command: string[]) => (execs.push(command), { exitCode: 0, output: '', stdout: '', stderr: '' }),
      stop: async () => undefined,
    } as unknown as StartedLocalStackContainer;
    return { container, execs };
  }

  async function start(options: FakeLocalstackOptions, env: NodeJS.ProcessEnv = {}) {
    const { container, execs } = await running(options);
    const deps = { ...recordingDeps(true, container), deploy: { runCdk: fakeCdk().run, healthWaitSeconds: 0 } };
    // The real template of this run's stack; the fake's outputs (fakeCdk) name the API and function it answers for.
    const ctx = { ...context({ LOCALSTACK_AUTH_TOKEN: TOKEN, ...env }), synth: async () => model };
    return { ctx, execs, result: await startLocalstack(ctx, deps).catch((e: Error) => e) };
  }

  it('should reach the scenarios with the EFS API (Ultimate plan): full template, host folder bridge', async () => {
    const { ctx, result } = await start({ efsApi: true });
    if (result instanceof Error) throw result;
    expect(result.info).toMatchObject({ target: 'localstack', apiUrl: `${fake.endpoint}/_aws/execute-api/abc123/$default`, mountPath: '/mnt/msg' });
    expect(result.info.efsDir).toMatch(/harness-efs-.*\/FileSystem8A8E25C0\/lambda$/);
    expect(fake.requests).toContain('GET /_aws/execute-api/abc123/$default/health');
    expect(await ctx.cleanup.run()).toEqual([]);
  });

  it('should reach the scenarios without the EFS API (Base plan): bridge-only variant deployed', async () => {
    const { ctx, result } = await start({ efsApi: false });
    if (result instanceof Error) throw result;
    expect(result.info.apiUrl).toBe(`${fake.endpoint}/_aws/execute-api/abc123/$default`);
    expect(existsSync(path.join(ctx.runDir, 'cdk.out.bridge-only', `${model.stackName}.template.json`))).toBe(true);
    expect(await ctx.cleanup.run()).toEqual([]);
  });

  it('should give the scenarios the volume through the LocalStack container in volume mode, opened to uid 993', async () => {
    const { ctx, execs, result } = await start({ efsApi: false }, { HARNESS_EFS_BRIDGE: 'volume' });
    if (result instanceof Error) throw result;
    expect(result.info.efsDir).toBeUndefined();
    expect(result.info.efsVolume).toEqual({ containerId: '0123456789abcdef', path: '/var/lib/harness-efs/FileSystem8A8E25C0/lambda' });
    const root = '/var/lib/harness-efs/FileSystem8A8E25C0/lambda';
    expect(execs).toContainEqual(['sh', '-c', 'mkdir -p "$@" && chmod 0777 "$@"', 'sh', root, `${root}/messages`]);
    expect(await ctx.cleanup.run()).toEqual([]);
  });

  it('should fail the start with the diagnosis when /health is not 200, and remove what it started', async () => {
    const broken = {
      status: 503,
      body: JSON.stringify({ status: 'unavailable', error: { code: 'mount_unavailable', message: 'Mount path /mnt/msg is not writable: EACCES: permission denied' } }),
    };
    const { ctx, result } = await start({ efsApi: false, health: [broken], functionLog: ['Error: EACCES: permission denied, open /mnt/msg/.health-1.tmp'] });
    expect(result).toBeInstanceOf(Error);
    const message = (result as Error).message;
    expect(message).toContain(`answered HTTP 503 ${broken.body}; it must answer 200`);
    expect(message).toContain('it creates an empty root-owned folder instead');
    expect(message).toContain('HARNESS_EFS_BRIDGE=volume');
    expect(message).toContain('  Error: EACCES: permission denied, open /mnt/msg/.health-1.tmp');
    expect(await ctx.cleanup.run()).toEqual([]);
  });
});

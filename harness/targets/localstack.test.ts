import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Cleanup } from '../cleanup.ts';
import type { LocalstackContainerConfig } from '../localstack/container.ts';
import type { ContainerLog } from '../localstack/container-log.ts';
import { fakeModel } from '../localstack/test-fixtures.ts';
import { Progress } from '../progress.ts';
import type { TargetContext } from '../target.ts';
import { type ContainerRuntime, type LocalstackDeps, startLocalstack } from './localstack.ts';

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

/** Records every Docker-side call; `start` fails after logging, like LocalStack without a valid license. */
function recordingDeps(dockerUp: boolean): LocalstackDeps & { calls: string[]; configs: LocalstackContainerConfig[] } {
  const calls: string[] = [];
  const configs: LocalstackContainerConfig[] = [];
  const runtime: ContainerRuntime = {
    socketPath: async () => {
      calls.push('socketPath');
      return '/var/run/docker.sock';
    },
    startNetwork: async () => {
      calls.push('startNetwork');
      return { name: 'tc-net-1', stop: async () => void calls.push('stopNetwork') };
    },
    start: async (config, log: ContainerLog) => {
      calls.push('start');
      configs.push(config);
      log.write(`LocalStack version: 2026.08.0\nActivating license with LOCALSTACK_AUTH_TOKEN=${TOKEN}\nLicense activation failed\n`);
      throw new Error('Container exited with code 55');
    },
  };
  return {
    calls,
    configs,
    runtime,
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
      /LOCALSTACK_AUTH_TOKEN is not set.*Base plan for HTTP APIs \(apigatewayv2\).*Ultimate plan for the EFS API.*CI Auth Token/,
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
    expect(config.environment.LAMBDA_DOCKER_FLAGS).toBe(`-v ${efsRoot}/MyFileSystem8A1B2C3D/lambda:/mnt/msg`);
    expect(existsSync(path.join(efsRoot, 'MyFileSystem8A1B2C3D', 'lambda'))).toBe(true);

    // What the harness runs after a failed start: the network and the EFS folder go.
    expect(await ctx.cleanup.run()).toEqual([]);
    expect(deps.calls).toEqual(['dockerAnswers', 'startNetwork', 'socketPath', 'start', 'stopNetwork']);
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
    expect(deps.configs[0]!.environment.LAMBDA_DOCKER_FLAGS).toMatch(/\.harness\/localstack-reuse\/efs\/MyFileSystem8A1B2C3D\/lambda:\/mnt\/msg$/);
  });
});

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PatternModel, synthesize } from '../../model/assembly.ts';
import { Cleanup } from '../../core/cleanup.ts';
import { Progress } from '../../core/progress.ts';
import { type LocalstackDeps, startLocalstack } from './index.ts';
import type { LocalstackContainerConfig } from './container.ts';
import { PROJECT_ROOT } from '../../core/run.ts';
import { devOptionsFor } from '../../dev/watch/dev-flags.ts';
import { hotReloadFolders, hotReloadSettings, nodeDebugDockerFlags } from './hot-reload.ts';
import { fakeModel, shlexSplit } from '../../test-support/localstack-fixtures.ts';

// LocalStack cannot run here: these tests check the configuration it would get (the template's code location,
// the folders esbuild writes, the LAMBDA_DOCKER_FLAGS for debugging, compose's watcher) against LocalStack's
// documented and source behaviour, cited in hot-reload.ts. Source: localstack/localstack@8b9a79f05846835cf4dff63ab7eefdde9df83783
// and docs.localstack.cloud "Hot Reloading" (localstack/localstack-docs src/content/docs/aws/tooling/lambda-tools/hot-reloading.mdx).

describe('hotReloadSettings', () => {
  it('should be off unless watching or HARNESS_HOT_RELOAD=1', () => {
    expect(hotReloadSettings({}, false, '.hot-reload')).toBeUndefined();
    expect(hotReloadSettings({ HARNESS_HOT_RELOAD: '1' }, false, '.hot-reload')).toEqual({
      localDir: path.join(PROJECT_ROOT, '.hot-reload'),
      hostDir: path.join(PROJECT_ROOT, '.hot-reload'),
    });
  });

  it('should name the folder by its host path when this process runs in a container, and refuse a relative one', () => {
    expect(hotReloadSettings({ HARNESS_HOT_RELOAD_HOST_DIR: '/home/dev/p/.hot-reload/' }, true, '/project/.hot-reload')).toEqual({
      localDir: '/project/.hot-reload',
      hostDir: '/home/dev/p/.hot-reload',
    });
    expect(() => hotReloadSettings({ HARNESS_HOT_RELOAD_HOST_DIR: 'rel/dir' }, true, '.hot-reload')).toThrow(
      'HARNESS_HOT_RELOAD_HOST_DIR="rel/dir" is not an absolute path',
    );
  });
});

describe('the app synthesized for hot reloading', () => {
  let outdir: string;
  let model: PatternModel;
  let plain: PatternModel;
  beforeAll(async () => {
    outdir = mkdtempSync(path.join(os.tmpdir(), 'harness-hot-reload-test-'));
    model = await synthesize({ stackName: 'HotReloadTest', outdir: path.join(outdir, 'hot'), hotReloadDir: '/home/dev/my project/.hot-reload' });
    plain = await synthesize({ stackName: 'HotReloadTest', outdir: path.join(outdir, 'plain') });
  }, 240_000);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  // The magic bucket is `hot-reload` (localstack-core/localstack/constants.py DEFAULT_BUCKET_MARKER_LOCAL, config.py BUCKET_MARKER_LOCAL).
  it("should point the function's code at the magic bucket with the folder's absolute host path as key", () => {
    const code = model.template.Resources[model.apiFunction.logicalId]!.Properties!.Code;
    expect(code).toEqual({ S3Bucket: 'hot-reload', S3Key: '/home/dev/my project/.hot-reload/myHelloVPCLambda' });
    // Everything else is the deployment as usual: only the code location differs.
    const { Code: _hot, ...hotRest } = model.template.Resources[model.apiFunction.logicalId]!.Properties!;
    const { Code: _plain, ...plainRest } = plain.template.Resources[plain.apiFunction.logicalId]!.Properties!;
    expect(hotRest).toEqual(plainRest);
    expect(model.hash).not.toBe(plain.hash);
  });

  it('should map each function to the local folder esbuild writes', () => {
    expect(hotReloadFolders(model, { localDir: '/project/.hot-reload', hostDir: '/home/dev/my project/.hot-reload' })).toEqual([
      { logicalId: model.apiFunction.logicalId, hostDir: '/home/dev/my project/.hot-reload/myHelloVPCLambda', localDir: '/project/.hot-reload/myHelloVPCLambda' },
    ]);
  });

  it('should refuse a template that was not synthesized for hot reloading, or a folder elsewhere', () => {
    expect(() => hotReloadFolders(plain, { localDir: '/p', hostDir: '/p' })).toThrow(/is not deployed for hot reloading .*synthesize with hotReloadDir/);
    expect(() => hotReloadFolders(model, { localDir: '/p', hostDir: '/elsewhere' })).toThrow('is outside the hot-reload folder /elsewhere');
  });

  // Source: localstack/localstack@8b9a79f0, localstack-core/localstack/services/lambda_/invocation/lambda_service.py
  // `assert_hot_reloading_path_absolute` (InvalidParameterValueException for a key that is not an absolute path).
  it('should refuse a relative folder, which LocalStack rejects (lambda_service.py assert_hot_reloading_path_absolute)', async () => {
    await expect(synthesize({ stackName: 'HotReloadTest', outdir: path.join(outdir, 'rel'), hotReloadDir: 'relative/dir' })).rejects.toThrow(
      'hotReloadDir "relative/dir" must be an absolute path',
    );
  });
});

describe('nodeDebugDockerFlags', () => {
  // LocalStack splits LAMBDA_DOCKER_FLAGS with shlex.split (docs/localstack-behaviour.md #3; localstack/localstack@8b9a79f0,
  // localstack-core/localstack/utils/container_utils/container_client.py `parse_additional_flags`); shlexSplit ports it.
  it("should set NODE_OPTIONS with the function's own options and the inspector, and publish the port on loopback, as LocalStack splits them", () => {
    expect(shlexSplit(nodeDebugDockerFlags(9229, '--enable-source-maps'))).toEqual([
      '-e',
      'NODE_OPTIONS=--enable-source-maps --inspect=0.0.0.0:9229',
      '-p',
      '127.0.0.1:9229:9229',
    ]);
  });
});

describe('dev options per target', () => {
  const log = () => {};
  it('should refuse watch and debugger on aws, and the debugger on endpoint, saying what to do instead', () => {
    expect(() => devOptionsFor('aws', { watch: true }, log)).toThrow('--watch is not available on the aws target');
    expect(() => devOptionsFor('endpoint', { watch: true, inspect: '9229' }, log)).toThrow('--inspect cannot reach the endpoint target');
    expect(() => devOptionsFor('local', { watch: false, inspect: 'x' }, log)).toThrow('--inspect=x is not a port');
    expect(devOptionsFor('localstack', { watch: true, inspect: '9230' }, log)).toMatchObject({ watch: true, inspectPort: 9230 });
    expect(devOptionsFor('local', { watch: false }, log)).toBeUndefined();
  });
});

// Compose: `condition: service_completed_successfully` starts a service once the other exited 0, and `${PWD}` is taken
// from the environment of the shell that runs `docker compose` (source: https://docs.docker.com/reference/compose-file/services/#depends_on,
// https://docs.docker.com/reference/compose-file/interpolation/).
describe("docker-compose.yml's watcher", () => {
  type Service = { command?: string[]; depends_on?: Record<string, { condition: string }>; environment?: Record<string, string> };
  const compose = parse(readFileSync(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
  const { deployer, watcher, scenarios } = compose.services as Record<'deployer' | 'watcher' | 'scenarios', Service>;

  it('should start with `docker compose up` after the deploy and run the endpoint target in watch mode', () => {
    expect(watcher.depends_on).toEqual({ deployer: { condition: 'service_completed_successfully' } });
    expect(watcher.command).toEqual(['node', 'harness/cli/up.ts', '--target', 'endpoint', '--watch']);
    expect((watcher as { profiles?: string[] }).profiles).toBeUndefined();
  });

  it('should deploy, watch and test the same hot-reload stack (same settings, so the same template hash)', () => {
    for (const s of [deployer, watcher, scenarios]) {
      expect(s.environment?.HARNESS_HOT_RELOAD).toBe('1');
      // The host path of /project/.hot-reload: the project is bind-mounted from ${PWD}.
      expect(s.environment?.HARNESS_HOT_RELOAD_HOST_DIR).toBe('${PWD}/.hot-reload');
      expect(s.environment?.HARNESS_ENDPOINT).toBe('http://localstack:4566');
    }
  });

  it('should keep the hot-reload folder out of git', () => {
    // All but its .gitkeep: compose binds the folder, so it must exist in every clone (harness/validate/compose-file.test.ts).
    expect(readFileSync(path.join(PROJECT_ROOT, '.gitignore'), 'utf8').split('\n')).toEqual(expect.arrayContaining(['.hot-reload/*', '!.hot-reload/.gitkeep']));
  });
});

describe('localstack target with --inspect', () => {
  it("should append the inspector flags to the EFS bridge's LAMBDA_DOCKER_FLAGS", async () => {
    const configs: LocalstackContainerConfig[] = [];
    const deps: LocalstackDeps = {
      dockerAnswers: async () => true,
      // A local Docker engine (this sandbox itself has /.dockerenv, which would choose the volume bridge).
      placement: {},
      runtime: {
        networkNames: async () => ['bridge', 'host', 'none'],
        seesFolders: async () => undefined,
        hasImage: async () => true,
        removeContainer: async () => {},
        removeLabelled: async () => 0,
        socketPath: async () => '/var/run/docker.sock',
        createVolume: async () => {
          throw new Error('the bind bridge creates no volume');
        },
        startNetwork: async () => ({ name: 'tc-net-1', stop: async () => {} }),
        start: async (config) => {
          configs.push(config);
          throw new Error('stopped by the test once configured');
        },
      },
    };
    const runDir = mkdtempSync(path.join(os.tmpdir(), 'harness-inspect-test-'));
    const cleanup = new Cleanup();
    try {
      await expect(
        startLocalstack(
          {
            runId: '20261128-000000-ab12',
            runDir,
            env: { LOCALSTACK_AUTH_TOKEN: 'ls-test-token' },
            progress: new Progress({ quiet: true }),
            cleanup,
            synth: async (o) => fakeModel({ stackName: o.stackName, assemblyDir: o.outdir }),
            dev: { watch: false, inspectPort: 9230, log: () => {} },
          },
          deps,
        ),
      ).rejects.toThrow('stopped by the test once configured');
    } finally {
      await cleanup.run();
      rmSync(runDir, { recursive: true, force: true });
    }
    // The container adds the Ryuk label after these when it is created (container.ts, lambdaDockerFlagsValue).
    const words = shlexSplit(configs[0]!.lambdaDockerFlags);
    expect(words[0]).toBe('-v');
    // Then the run's labels (container.ts, localstackContainerConfig).
    expect(words.slice(-4)).toEqual(['-l', 'dev.harness.project=apigw-vpc-lambda-efs', '-l', expect.stringMatching(/^dev\.harness\.run-id=/)]);
    expect(words.slice(-8, -4)).toEqual(['-e', expect.stringMatching(/^NODE_OPTIONS=(.* )?--inspect=0\.0\.0\.0:9230$/), '-p', '127.0.0.1:9230:9230']);
  });
});

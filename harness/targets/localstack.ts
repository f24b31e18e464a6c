import { mkdirSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { StartedLocalStackContainer } from '@testcontainers/localstack';
import type { RunningTarget } from '../environment.ts';
import { ContainerLog } from '../localstack/container-log.ts';
import {
  createLocalstackContainer,
  EFS_ROOT_IN_CONTAINER,
  type LocalstackContainerConfig,
  localstackContainerConfig,
  localstackImage,
  requireAuthToken,
} from '../localstack/container.ts';
import { DIAGNOSTIC_LINES, deployPattern, describeRedeploy, destroyPattern, environmentInfo, stackNameFor } from '../localstack/deploy.ts';
import { buildCodeFolders, hotReloadSettings, nodeDebugDockerFlags, watchHotReload } from '../localstack/hot-reload.ts';
import { stopEsbuild } from '../watch/handler-build.ts';
import { requireCapableEmulator } from '../localstack/detect.ts';
import { bridgedMounts, lambdaDockerFlags, prepareHostDir } from '../localstack/efs-bridge.ts';
import { redact } from '../redact.ts';
import { PROJECT_ROOT } from '../run.ts';
import { dockerEngineAnswers } from '../select.ts';
import type { StartTarget, TargetContext } from '../target.ts';

/**
 * LocalStack in a Testcontainers container, with the EFS bridge, and the pattern deployed into it with
 * `cdklocal`. Everything it starts registers its removal with ctx.cleanup; with HARNESS_REUSE=1 the
 * container and the stack stay for the next run, which skips the deploy when the template is unchanged.
 */

/** Stack name on reuse: fixed, so that the next run finds it. */
export const REUSE_STACK_NAME = 'harness-reuse';

/** The Docker side, replaceable in tests (which must show that nothing reaches Docker before the checks). */
export interface ContainerRuntime {
  /** The Docker socket as the daemon sees it (Testcontainers works it out: DOCKER_HOST, Docker Desktop, ...). */
  socketPath(): Promise<string>;
  startNetwork(): Promise<{ readonly name: string; stop(): Promise<void> }>;
  start(config: LocalstackContainerConfig, log: ContainerLog): Promise<StartedLocalStackContainer>;
}

export interface LocalstackDeps {
  readonly dockerAnswers: (env: NodeJS.ProcessEnv) => Promise<boolean>;
  readonly runtime: ContainerRuntime;
}

// Loaded lazily: the unit tests of the checks before Docker never load Testcontainers.
const testcontainersRuntime: ContainerRuntime = {
  socketPath: async () => {
    const { getContainerRuntimeClient } = await import('testcontainers');
    return (await getContainerRuntimeClient()).info.containerRuntime.remoteSocketPath;
  },
  startNetwork: async () => {
    const { Network } = await import('testcontainers');
    const network = await new Network().start();
    return { name: network.getName(), stop: async () => void (await network.stop()) };
  },
  start: async (config, log) => {
    const container = createLocalstackContainer(config);
    // A new container's log from its first line (a failed license activation shows up here); a reused one
    // only gets its latest lines, the rest belongs to earlier runs.
    if (!config.reuse) container.withLogConsumer((stream: Readable) => log.follow(stream));
    const started = await container.start();
    if (config.reuse) log.follow(await started.logs({ tail: DIAGNOSTIC_LINES }));
    return started;
  },
};

export const start: StartTarget = (ctx) => startLocalstack(ctx);

export async function startLocalstack(
  ctx: TargetContext,
  deps: LocalstackDeps = { dockerAnswers: dockerEngineAnswers, runtime: testcontainersRuntime },
): Promise<RunningTarget> {
  // Both checks come before anything touches Docker: each failure says what to do.
  const authToken = requireAuthToken(ctx.env);
  const image = localstackImage(ctx.env);
  if (!(await deps.dockerAnswers(ctx.env))) {
    const where = ctx.env.DOCKER_HOST ? `DOCKER_HOST=${ctx.env.DOCKER_HOST}` : '/var/run/docker.sock or ~/.docker/run/docker.sock';
    throw new Error(
      `No Docker engine answers (${where}): the localstack target runs LocalStack and its Lambda functions in Docker. ` +
        'Start Docker (Docker Desktop, or `sudo systemctl start docker`) and check `docker info`, or run HARNESS_TARGET=local.',
    );
  }
  const reuse = ['1', 'true'].includes(ctx.env.HARNESS_REUSE?.trim() ?? '');
  const stackName = reuse ? REUSE_STACK_NAME : stackNameFor(ctx.runId);

  // Watch mode: the functions run their code from host folders that esbuild rewrites (LocalStack hot reloading).
  const hot = hotReloadSettings(ctx.env, ctx.dev?.watch ?? false, reuse ? '.hot-reload' : path.join(ctx.runDir, 'hot-reload'));
  const synthOptions = { stackName, outdir: path.join(ctx.runDir, 'cdk.out'), ...(hot ? { hotReloadDir: hot.hostDir } : {}) };
  const model = await ctx.progress.phase('synthesize CDK app', () => ctx.synth(synthOptions));
  const builds = hot ? await ctx.progress.phase(`build the hot-reload code folders in ${hot.localDir}`, () => buildCodeFolders(model, hot)) : [];
  if (hot) ctx.cleanup.add('hot-reload builds', () => Promise.all(builds.map((b) => b.dispose())).then(stopEsbuild));
  const apiMount = model.apiFunction.mount;
  if (!apiMount) throw new Error(`Function ${model.apiFunction.functionName} mounts no file system in ${model.templatePath}.`);

  // On reuse the folder is part of the container's settings (its -v flags), so it must be the same every run.
  // Created and registered in one synchronous step, so that an interrupt cannot fall between the two.
  const efsRoot = reuse ? reuseEfsRoot() : mkdtempSync(path.join(os.tmpdir(), 'harness-efs-'));
  if (!reuse) ctx.cleanup.add(`EFS folder ${efsRoot}`, () => rm(efsRoot, { recursive: true, force: true }));
  const mounts = bridgedMounts(model, efsRoot);
  for (const m of mounts) {
    const prepared = await prepareHostDir(m.hostDir, m.mount);
    ctx.progress.info(`EFS bridge: ${m.hostDir} at ${m.mountPath} for ${m.functionNames.join(', ')}: ${prepared.how}`);
  }

  // Reuse keeps the default bridge network: a network of this run would be gone, or in the way, next time.
  let network: string | undefined;
  if (!reuse) {
    const started = await deps.runtime.startNetwork();
    network = started.name;
    ctx.cleanup.add(`Docker network ${started.name}`, () =>
      started.stop().catch((error: Error) => {
        ctx.progress.info(`Docker network ${started.name} not removed (${error.message}); Ryuk removes it when this process exits.`);
      }),
    );
  }
  const inspectPort = ctx.dev?.inspectPort;
  const config = localstackContainerConfig({
    image,
    authToken,
    dockerSocketPath: await deps.runtime.socketPath(),
    lambdaDockerFlags: [
      lambdaDockerFlags(mounts),
      ...(inspectPort !== undefined ? [nodeDebugDockerFlags(inspectPort, model.apiFunction.environment.NODE_OPTIONS)] : []),
    ].join(' '),
    efsRoot,
    ...(network ? { network } : {}),
    reuse,
  });
  if (inspectPort !== undefined) {
    ctx.progress.info(
      `debugger: function containers publish the Node inspector on 127.0.0.1:${inspectPort} (one at a time); ` +
        'attach once the first invocation started the container',
    );
  }

  const log = new ContainerLog(path.join(ctx.runDir, 'localstack.log'), ctx.env);
  const container = await ctx.progress.phase(`start ${image}${reuse ? ' (reuse)' : ''} (the first pull takes minutes)`, async () => {
    try {
      return await deps.runtime.start(config, log);
    } catch (error) {
      const lines = log.tail(DIAGNOSTIC_LINES);
      const shown = lines.length > 0 ? `\nLocalStack container log (last ${lines.length} lines):\n${lines.map((l) => `  ${l}`).join('\n')}` : '';
      throw new Error(`LocalStack (${image}) did not start: ${(error as Error).message}${shown}`, { cause: error });
    }
  });
  if (reuse) {
    ctx.progress.info(
      `HARNESS_REUSE=1: container ${container.getId().slice(0, 12)} and stack ${stackName} stay up after this run ` +
        `(remove them with: docker rm -f ${container.getId().slice(0, 12)}); EFS folder ${efsRoot} is kept.`,
    );
  } else {
    ctx.cleanup.add(`LocalStack container ${container.getId().slice(0, 12)}`, async () => void (await container.stop()));
    // Runs before the container stops (cleanup is newest first): files the function wrote belong to its uid
    // inside the Lambda container, which the harness's user may not remove; LocalStack's root can.
    ctx.cleanup.add(`files in ${efsRoot}`, async () => {
      const result = await container.exec(['find', EFS_ROOT_IN_CONTAINER, '-mindepth', '1', '-delete']);
      if (result.exitCode !== 0) throw new Error(`find -delete exited with ${result.exitCode}: ${redact(result.output.trim(), ctx.env)}`);
    });
  }
  const endpoint = container.getConnectionUri();

  await ctx.progress.phase('check the emulator', () =>
    requireCapableEmulator(endpoint, `The container log is in ${path.join(ctx.runDir, 'localstack.log')}.`),
  );
  const deployment = await deployPattern({
    endpoint,
    stackName,
    model,
    runDir: ctx.runDir,
    env: ctx.env,
    progress: ctx.progress,
    keepCurrent: reuse,
    containerLog: () => log.tail(DIAGNOSTIC_LINES),
  });
  if (!reuse) {
    // Registered after the container, so it runs before the container stops. A failed destroy is reported but
    // does not fail the run: the container and everything in it are removed next.
    ctx.cleanup.add(`stack ${stackName}`, () =>
      ctx.progress
        .phase(`cdklocal destroy ${stackName}`, () => destroyPattern({ endpoint, stackName, model, runDir: ctx.runDir, env: ctx.env, progress: ctx.progress }))
        .catch((error: Error) => ctx.progress.info(`destroy of ${stackName} failed (the container is removed next): ${error.message}`)),
    );
  }

  const info = environmentInfo({
    target: 'localstack',
    endpoint,
    model,
    deployment,
    efsDir: mounts.find((m) => m.functionNames.includes(model.apiFunction.functionName))!.hostDir,
    runDir: ctx.runDir,
    runId: ctx.runId,
  });
  if (hot && ctx.dev?.watch) {
    const dev = ctx.dev;
    watchHotReload({
      ctx,
      dev,
      settings: hot,
      synthOptions,
      model,
      builds,
      redeploy: async (next, signal) =>
        describeRedeploy(
          await deployPattern({
            endpoint,
            stackName,
            model: next,
            runDir: ctx.runDir,
            env: ctx.env,
            progress: ctx.progress,
            keepCurrent: true,
            updateInPlace: true,
            signal,
            containerLog: () => log.tail(DIAGNOSTIC_LINES),
          }),
          info.apiUrl,
        ),
    });
  }
  return {
    info,
    // Everything registered its removal with ctx.cleanup, which the harness runs after this.
    teardown: () => Promise.resolve(),
  };
}

/** The reused container's EFS folder, under the project's ignored `.harness` folder. */
function reuseEfsRoot(): string {
  const dir = path.join(PROJECT_ROOT, '.harness', 'localstack-reuse', 'efs');
  mkdirSync(dir, { recursive: true });
  return dir;
}

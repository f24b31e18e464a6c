import path from 'node:path';
import type { PatternModel } from '../../model/assembly.ts';
import type { EnvironmentInfo, RunningTarget } from '../../core/environment.ts';
import { chooseBridge, type DockerPlacement, dockerPlacement, volumeName } from '../localstack/bridge-mode.ts';
import { localstackImage } from '../localstack/container.ts';
import { type DeployPatternOptions, deployPattern, describeRedeploy, environmentInfo, localstackConcurrency } from '../localstack/deploy.ts';
import { buildCodeFolders, buildCodeFoldersOnce, hotReloadSettings, watchHotReload } from '../localstack/hot-reload.ts';
import { requireCapableEmulator } from '../localstack/detect.ts';
import { prepareHostDir } from '../localstack/efs-bridge.ts';
import { startVolumeReader, type VolumeReader } from '../localstack/volume-reader.ts';
import { PROJECT_ROOT } from '../../core/run.ts';
import type { StartTarget, TargetContext } from '../../model/target.ts';

/**
 * A LocalStack that is already running (e.g. `docker compose up`): the harness starts nothing, deploys the
 * stack when it is missing or was deployed from another template, and never stops or destroys anything.
 *
 * EFS layout shared with docker-compose.yml: HARNESS_EFS_DIR (default `<project>/.efs`) stands for the file
 * system's root, and compose bind-mounts `${HARNESS_EFS_DIR}/<access point root>` (`.efs/lambda`) at the mount
 * path (`/mnt/msg`) in every Lambda container through LAMBDA_DOCKER_FLAGS. So what the function sees is
 * `path.join(HARNESS_EFS_DIR, rootPath)`. With HARNESS_EFS_BRIDGE=volume the LocalStack mounts the Docker volume
 * HARNESS_EFS_VOLUME there instead, and the harness reads it through a container of its own (volume-reader.ts).
 */

export const DEFAULT_ENDPOINT = 'http://localhost:4566';
/** The stack's name when HARNESS_STACK_NAME is unset: the app's own default, as `cdk deploy` would name it. */
export const DEFAULT_STACK_NAME = 'HelloVpcLambda';

/** The volume an endpoint's LocalStack mounts at the mount path, when HARNESS_EFS_VOLUME is unset. */
export const DEFAULT_EFS_VOLUME = 'harness-efs';

export interface EndpointSettings {
  readonly endpoint: string;
  readonly efsRoot: string;
  readonly stackName: string;
  readonly volume: string;
}

export function endpointSettings(env: NodeJS.ProcessEnv): EndpointSettings {
  const endpoint = (env.HARNESS_ENDPOINT?.trim() || DEFAULT_ENDPOINT).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+$/.test(endpoint)) {
    throw new Error(`HARNESS_ENDPOINT="${endpoint}" is not an emulator's base URL: expected e.g. ${DEFAULT_ENDPOINT}.`);
  }
  return {
    endpoint,
    efsRoot: path.resolve(PROJECT_ROOT, env.HARNESS_EFS_DIR?.trim() || '.efs'),
    stackName: env.HARNESS_STACK_NAME?.trim() || DEFAULT_STACK_NAME,
    volume: volumeName(env.HARNESS_EFS_VOLUME?.trim() || DEFAULT_EFS_VOLUME, 0, 1),
  };
}

export interface EndpointDeps {
  readonly placement?: DockerPlacement;
  /** Starts the container that reads (and opens) a bridge volume. @default startVolumeReader */
  readonly volumeReader?: (image: string, volume: string) => Promise<VolumeReader>;
  /** Registers the reader's removal the moment it exists (the target's cleanup); without it a failed deploy stops it. */
  readonly registerReader?: (reader: VolumeReader) => void;
}

export const HOW_TO_START =
  'Start LocalStack with `docker compose up` (it needs LOCALSTACK_AUTH_TOKEN in the environment or .env), ' +
  'or set HARNESS_ENDPOINT to where yours runs.';

/**
 * Deploys (or keeps) the stack at the endpoint; used by the target and by `harness/cli/deploy.ts`. A volume
 * reader it starts is the caller's to stop (`reader`), after the scenarios or at once.
 */
export async function deployToEndpoint(
  ctx: Omit<TargetContext, 'cleanup'>,
  overrides: Pick<DeployPatternOptions, 'api' | 'runCdk' | 'healthWaitSeconds'> = {},
  deps: EndpointDeps = {},
): Promise<{ readonly info: EnvironmentInfo; readonly stackName: string; readonly reader?: VolumeReader; readonly watch?: () => void }> {
  const settings = endpointSettings(ctx.env);
  const bridge = chooseBridge(ctx.env, deps.placement ?? dockerPlacement(ctx.env), false);
  ctx.progress.info(`EFS bridge: ${bridge.mode} (${bridge.reason})`);
  if (bridge.warning) ctx.progress.info(`warning: ${bridge.warning}`);
  await ctx.progress.phase(`check the emulator at ${settings.endpoint}`, () => requireCapableEmulator(settings.endpoint, HOW_TO_START));
  // The stack outlives this process, so its hot-reload code folders are fixed ones in the project (git ignores them).
  const hot = hotReloadSettings(ctx.env, ctx.dev?.watch ?? false, '.hot-reload');
  const synthOptions = { stackName: settings.stackName, outdir: path.join(ctx.runDir, 'cdk.out'), ...(hot ? { hotReloadDir: hot.hostDir } : {}) };
  const model = await ctx.progress.phase('synthesize CDK app', () => ctx.synth(synthOptions));
  // LocalStack needs the bundle in the folder before the function runs; in watch mode the builds stay for edits.
  const builds = hot
    ? await ctx.progress.phase(`build the hot-reload code folders in ${hot.localDir}`, async () =>
        ctx.dev?.watch ? buildCodeFolders(model, hot) : (await buildCodeFoldersOnce(model, hot), []),
      )
    : [];
  const mount = model.apiFunction.mount;
  if (!mount) throw new Error(`Function ${model.apiFunction.functionName} mounts no file system in ${model.templatePath}.`);

  let files: Pick<EnvironmentInfo, 'efsDir' | 'efsVolume'>;
  let reader: VolumeReader | undefined;
  if (bridge.mode === 'bind') {
    // Docker would create a missing bind source as root, which the function's user could not write to. The
    // owner stays whoever set the folder up (compose's deployer gives it to the project's owner).
    const efsDir = path.join(settings.efsRoot, mount.rootPath);
    const prepared = await prepareHostDir(efsDir, mount, { giveToPosixUser: false });
    ctx.progress.info(`EFS folder ${efsDir} (what the function sees at ${mount.mountPath}): ${prepared.how}`);
    files = { efsDir };
  } else {
    const image = localstackImage(ctx.env);
    reader = await ctx.progress.phase(`open Docker volume ${settings.volume} (through a container of ${image})`, () =>
      (deps.volumeReader ?? startVolumeReader)(image, settings.volume),
    );
    deps.registerReader?.(reader);
    files = { efsVolume: reader.location };
  }

  const deploy = (m: PatternModel, extra: Partial<DeployPatternOptions> = {}) =>
    deployPattern({
      endpoint: settings.endpoint,
      stackName: settings.stackName,
      model: m,
      runDir: ctx.runDir,
      env: ctx.env,
      progress: ctx.progress,
      keepCurrent: true,
      bridge: bridge.mode,
      ...overrides,
      ...extra,
    });
  const deployment = await deploy(model).catch(async (error: unknown) => {
    if (!deps.registerReader) await reader?.stop();
    throw error;
  });
  const info = environmentInfo({
    target: 'endpoint',
    endpoint: settings.endpoint,
    model,
    deployment,
    files,
    runDir: ctx.runDir,
    runId: ctx.runId,
    concurrencyLimit: localstackConcurrency(ctx.env),
  });
  const dev = ctx.dev;
  const cleanup = (ctx as Partial<TargetContext>).cleanup;
  return {
    info,
    stackName: settings.stackName,
    ...(reader ? { reader } : {}),
    ...(hot && dev?.watch && cleanup
      ? {
          watch: () =>
            watchHotReload({
              ctx: { ...ctx, cleanup },
              dev,
              settings: hot,
              synthOptions,
              model,
              builds,
              redeploy: async (next, signal) => describeRedeploy(await deploy(next, { updateInPlace: true, signal }), info.apiUrl),
            }),
        }
      : {}),
  };
}

export const start: StartTarget = async (ctx): Promise<RunningTarget> => {
  const { info, stackName, watch } = await deployToEndpoint(ctx, {}, {
    registerReader: (reader) => ctx.cleanup.add(`volume reader ${reader.location.containerId.slice(0, 12)}`, () => reader.stop()),
  });
  watch?.();
  return {
    info,
    // The emulator and the stack belong to whoever started them; the next run reuses the stack.
    teardown: async () => ctx.progress.info(`endpoint target: LocalStack at ${info.awsEndpoint} and stack ${stackName} are left running`),
  };
};

import { mkdirSync, mkdtempSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { StartedLocalStackContainer } from '@testcontainers/localstack';
import { MESSAGES_FOLDER } from '../../../handler/message-ids.ts';
import type { PatternModel } from '../../model/assembly.ts';
import type { RunningTarget } from '../../core/environment.ts';
import { ContainerLog } from './container-log.ts';
import {
  CONFIG_LABEL,
  configHash,
  createLocalstackContainer,
  type CreationHooks,
  EFS_ROOT_IN_CONTAINER,
  explainStartFailure,
  hostNetworkPort,
  ryukDisabled,
  startupTimeoutMs,
  type LocalstackContainerConfig,
  localstackContainerConfig,
  localstackImage,
  requireAuthToken,
} from './container.ts';
import { type BridgeChoice, chooseBridge, type DockerPlacement, placementByBehaviour, volumeName } from './bridge-mode.ts';
import {
  DIAGNOSTIC_LINES,
  type DeployPatternOptions,
  deployPattern,
  describeRedeploy,
  destroyPattern,
  environmentInfo,
  localstackConcurrency,
  stackNameFor,
} from './deploy.ts';
import { buildCodeFolders, hotReloadSettings, nodeDebugDockerFlags, watchHotReload } from './hot-reload.ts';
import { stopEsbuild } from '../../dev/watch/handler-build.ts';
import { requireCapableEmulator } from './detect.ts';
import { type BridgedMount, bridgedMounts, lambdaDockerFlags, prepareHostDir } from './efs-bridge.ts';
import { redact } from '../../core/redact.ts';
import { PROJECT_ROOT } from '../../core/run.ts';
import {
  chooseNetwork,
  DockerEngine,
  dockerEngineAnswers,
  engineSeesFolders,
  type FolderVisibility,
  harnessLabels,
  RUN_LABEL,
} from '../../core/docker-engine.ts';
import type { StartTarget, TargetContext } from '../../model/target.ts';

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
  /** The engine's networks: without `bridge` only the host network works. */
  networkNames(): Promise<string[]>;
  /** Whether the engine sees this process's folders, by trying (undefined: cannot tell, the image is not there yet). */
  seesFolders(image: string): Promise<FolderVisibility | undefined>;
  hasImage(image: string): Promise<boolean | undefined>;
  startNetwork(): Promise<{ readonly name: string; stop(): Promise<void> }>;
  /** A named volume for HARNESS_EFS_BRIDGE=volume, with the harness's labels (and Ryuk's, when it runs). */
  createVolume(name: string, labels: Readonly<Record<string, string>>): Promise<{ remove(): Promise<void> }>;
  /** Starts LocalStack, telling `hooks` when the container is being created and once it exists (before any wait). */
  start(config: LocalstackContainerConfig, log: ContainerLog, hooks: CreationHooks): Promise<StartedLocalStackContainer>;
  /** Removes a container (stopped with a grace period first, so that LocalStack can remove its Lambda containers). */
  removeContainer(id: string, graceSeconds: number): Promise<void>;
  /**
   * Removes every container that carries `label` (`key=value`): LocalStack's Lambda containers, a failed start;
   * `except` keeps the LocalStack containers (Testcontainers' label org.testcontainers) whose labels match it.
   */
  removeLabelled(label: string, options?: { except?: Readonly<Record<string, string>> }): Promise<number>;
}

const engineOf = async (): Promise<DockerEngine> => {
  const engine = await DockerEngine.connect(process.env);
  if (!engine) throw new Error('the Docker engine stopped answering');
  return engine;
};

// Testcontainers is loaded lazily: the unit tests of the checks before Docker never load it.
export const testcontainersRuntime: ContainerRuntime = {
  socketPath: async () => {
    const { getContainerRuntimeClient } = await import('testcontainers');
    return (await getContainerRuntimeClient()).info.containerRuntime.remoteSocketPath;
  },
  networkNames: async () => (await engineOf()).networkNames(),
  seesFolders: async (image) => {
    const engine = await engineOf();
    return (await engine.hasImage(image)) ? engineSeesFolders(engine, image) : undefined;
  },
  hasImage: async (image) => (await DockerEngine.connect(process.env))?.hasImage(image).catch(() => undefined),
  startNetwork: async () => {
    const { Network } = await import('testcontainers');
    const network = await new Network().start();
    return { name: network.getName(), stop: async () => void (await network.stop()) };
  },
  createVolume: async (name, labels) => {
    const { getContainerRuntimeClient, getReaper, LABEL_TESTCONTAINERS_SESSION_ID } = await import('testcontainers');
    const client = await getContainerRuntimeClient();
    const ryuk: Record<string, string> = ryukDisabled() ? {} : { [LABEL_TESTCONTAINERS_SESSION_ID]: (await getReaper(client)).sessionId };
    const docker = client.container.dockerode;
    await docker.createVolume({ Name: name, Labels: { ...labels, ...ryuk } });
    return { remove: async () => void (await docker.getVolume(name).remove()) };
  },
  start: async (config, log, hooks) => {
    const container = createLocalstackContainer(config, hooks);
    // A new container's log from its first line (a failed license activation shows up here); a reused one
    // only gets its latest lines, the rest belongs to earlier runs.
    if (!config.reuse) container.withLogConsumer((stream: Readable) => log.follow(stream));
    const started = await container.start();
    if (config.reuse) log.follow(await started.logs({ tail: DIAGNOSTIC_LINES }));
    return started;
  },
  removeContainer: async (id, graceSeconds) => (await engineOf()).removeContainer(id, graceSeconds),
  removeLabelled: async (label, options) => {
    const engine = await engineOf();
    const all = await engine.containersLabelled(label);
    const keep = options?.except;
    const isLocalstack = (labels: Readonly<Record<string, string>>) => labels['org.testcontainers'] === 'true';
    const matches = (labels: Readonly<Record<string, string>>) => keep !== undefined && Object.entries(keep).every(([k, v]) => labels[k] === v);
    // With `except`: nothing goes unless a LocalStack of another configuration is there; it then goes with every
    // Lambda container it started (they carry the same run label).
    const found =
      keep === undefined
        ? all
        : all.some((c) => isLocalstack(c.Labels) && !matches(c.Labels))
          ? all.filter((c) => !(isLocalstack(c.Labels) && matches(c.Labels)))
          : [];
    await Promise.all(found.map((c) => engine.removeContainer(c.Id)));
    return found.length;
  },
};

export interface LocalstackDeps {
  readonly dockerAnswers: (env: NodeJS.ProcessEnv) => Promise<boolean>;
  readonly runtime: ContainerRuntime;
  /** @default tried by the runtime (seesFolders), else guessed from the markers: whether the Docker daemon sees this process's folders */
  readonly placement?: DockerPlacement;
  /** Tests replace the CDK CLI and may replace the emulator's API. */
  readonly deploy?: Pick<DeployPatternOptions, 'runCdk' | 'api' | 'healthWaitSeconds'>;
}

/** Seconds LocalStack gets on SIGTERM to remove its Lambda containers before it is killed. */
export const STOP_GRACE_SECONDS = 10;

/**
 * On an engine without a bridge network, Testcontainers' defaults cannot work: inside a container (/.dockerenv)
 * it looks for the bridge network's gateway to reach the engine's host, and Ryuk publishes a port on the default
 * network. The harness sets what fits, unless the user did, and says so; it never relies on Ryuk for clean-up.
 */
function prepareTestcontainers(env: NodeJS.ProcessEnv, networkNames: readonly string[], info: (line: string) => void): void {
  if (networkNames.includes('bridge')) return;
  for (const [name, value, why] of [
    ['TESTCONTAINERS_HOST_OVERRIDE', 'localhost', 'the engine has no bridge network whose gateway Testcontainers could resolve'],
    ['TESTCONTAINERS_RYUK_DISABLED', 'true', 'Ryuk cannot run without a bridge network; the harness removes what it starts itself'],
  ] as const) {
    if (env[name] !== undefined || process.env[name] !== undefined) continue;
    process.env[name] = value;
    info(`${name}=${value}: ${why}`);
  }
}

/** A host port that something else listens on stops LocalStack from listening there: say so before starting. */
function requireFreePort(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          `Port ${port} on 127.0.0.1 is taken (${error.code}), and LocalStack runs on the host network here: stop what listens there ` +
            `(e.g. another LocalStack: docker ps), or set HARNESS_LOCALSTACK_PORT to a free port.`,
        ),
      ),
    );
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

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
  const startTimeout = startupTimeoutMs(ctx.env);
  const networkNames = await deps.runtime.networkNames();
  const networkChoice = chooseNetwork(ctx.env, networkNames);
  const hostPort = networkChoice.mode === 'host' ? hostNetworkPort(ctx.env) : undefined;
  ctx.progress.info(`Docker network: ${networkChoice.mode} (${networkChoice.reason})`);
  prepareTestcontainers(ctx.env, networkNames, (line) => ctx.progress.info(line));
  const reuse = ['1', 'true'].includes(ctx.env.HARNESS_REUSE?.trim() ?? '');
  // On reuse the port is the reused container's own.
  if (hostPort !== undefined && !reuse) await requireFreePort(hostPort);
  const bridge = chooseBridge(ctx.env, deps.placement ?? placementByBehaviour(await deps.runtime.seesFolders(image), ctx.env));
  ctx.progress.info(`EFS bridge: ${bridge.mode} (${bridge.reason})`);
  if (bridge.warning) ctx.progress.info(`warning: ${bridge.warning}`);
  // On reuse the labels are part of the container's settings, so they must be the same every run.
  const labels = harnessLabels(reuse ? 'reuse' : ctx.runId);
  const runLabel = `${RUN_LABEL}=${labels[RUN_LABEL]}`;
  const stackName = reuse ? REUSE_STACK_NAME : stackNameFor(ctx.runId);

  // Watch mode: the functions run their code from host folders that esbuild rewrites (LocalStack hot reloading).
  const hot = hotReloadSettings(ctx.env, ctx.dev?.watch ?? false, reuse ? '.hot-reload' : path.join(ctx.runDir, 'hot-reload'));
  const synthOptions = { stackName, outdir: path.join(ctx.runDir, 'cdk.out'), ...(hot ? { hotReloadDir: hot.hostDir } : {}) };
  const model = await ctx.progress.phase('synthesize CDK app', () => ctx.synth(synthOptions));
  const builds = hot ? await ctx.progress.phase(`build the hot-reload code folders in ${hot.localDir}`, () => buildCodeFolders(model, hot)) : [];
  if (hot) ctx.cleanup.add('hot-reload builds', () => Promise.all(builds.map((b) => b.dispose())).then(stopEsbuild));
  const apiMount = model.apiFunction.mount;
  if (!apiMount) throw new Error(`Function ${model.apiFunction.functionName} mounts no file system in ${model.templatePath}.`);

  const efs = bridge.mode === 'bind' ? await bindBridge(ctx, model, reuse) : await volumeBridge(ctx, model, reuse, deps.runtime, labels);

  // Reuse keeps the default bridge network: a network of this run would be gone, or in the way, next time.
  let network: string | undefined;
  if (!reuse && networkChoice.mode === 'bridge') {
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
      lambdaDockerFlags(efs.binds),
      ...(inspectPort !== undefined ? [nodeDebugDockerFlags(inspectPort, model.apiFunction.environment.NODE_OPTIONS)] : []),
    ].join(' '),
    efsMounts: efs.containerMounts,
    ...(network ? { network } : {}),
    ...(hostPort !== undefined ? { hostNetworkPort: hostPort } : {}),
    labels,
    startupTimeoutMs: startTimeout,
    reuse,
  });
  if (inspectPort !== undefined) {
    ctx.progress.info(
      `debugger: function containers publish the Node inspector on 127.0.0.1:${inspectPort} (one at a time); ` +
        'attach once the first invocation started the container',
    );
  }

  const log = new ContainerLog(path.join(ctx.runDir, 'localstack.log'), ctx.env);
  if (reuse) {
    // A kept container of another configuration is replaced, never reused beside the new one (on the host network
    // it would also hold the port). Testcontainers' own reuse hash would just start a second container.
    const removed = await deps.runtime.removeLabelled(runLabel, { except: { [CONFIG_LABEL]: configHash(config) } });
    if (removed > 0) ctx.progress.info(`HARNESS_REUSE=1: removed ${removed} kept container(s) of another configuration`);
  }
  // LocalStack's Lambda containers carry the run's label (LAMBDA_DOCKER_FLAGS): whatever LocalStack could not remove
  // in its grace period goes after it. Registered first, so that it runs last.
  if (!reuse) ctx.cleanup.add(`containers labelled ${runLabel}`, () => deps.runtime.removeLabelled(runLabel).then(() => undefined));
  // The container's removal, registered the moment Docker is asked for it (after any pull): an interrupt while the
  // create call is in flight waits for its answer (Cleanup runs what is added after an interrupt at once, and waits
  // for it); a failed wait or Ctrl-C later removes it.
  let settle!: (id: string | undefined) => void;
  const created = new Promise<string | undefined>((resolve) => (settle = resolve));
  let removeContainer: (() => Promise<void>) | undefined;
  const creating = () => {
    // Interrupted while pulling: create nothing (Docker would also re-create the removed EFS folder as a bind source).
    if (ctx.cleanup.isClosed) throw new Error('interrupted before the container was created');
    if (reuse) return;
    removeContainer = ctx.cleanup.add('LocalStack container', async () => {
      const id = await created;
      if (id) await deps.runtime.removeContainer(id, STOP_GRACE_SECONDS);
    });
  };
  const container = await ctx.progress.phase(`start ${image}${reuse ? ' (reuse)' : ''} (the first pull takes minutes)`, async () => {
    try {
      return await deps.runtime.start(config, log, { creating, created: settle });
    } catch (error) {
      settle(undefined);
      // A broken container is never left for the next run, reuse or not.
      await removeContainer?.();
      if (reuse) await deps.runtime.removeLabelled(runLabel).catch(() => 0);
      const lines = log.tail(DIAGNOSTIC_LINES);
      const shown = lines.length > 0 ? `\nLocalStack container log (last ${lines.length} lines):\n${lines.map((l) => `  ${l}`).join('\n')}` : '';
      const explained = explainStartFailure({
        message: redact((error as Error).message, ctx.env),
        image,
        imagePresent: await deps.runtime.hasImage(image),
        ryukDisabled: ryukDisabled(),
        startupTimeoutMs: startTimeout,
      });
      throw new Error(`LocalStack (${image}) did not start: ${explained}${shown}`, { cause: error });
    }
  });
  if (reuse) {
    ctx.progress.info(
      `HARNESS_REUSE=1: container ${container.getId().slice(0, 12)} and stack ${stackName} stay up after this run ` +
        `(remove them with: docker rm -f ${container.getId().slice(0, 12)}); ${efs.kept} is kept.`,
    );
  } else {
    // Runs before the container stops (cleanup is newest first): files the function wrote belong to its uid
    // inside the Lambda container, which the harness's user may not remove; LocalStack's root can. A volume
    // goes as a whole after the container.
    if (bridge.mode === 'bind') {
      ctx.cleanup.add(`files in ${efs.kept}`, async () => {
        const result = await container.exec(['find', EFS_ROOT_IN_CONTAINER, '-mindepth', '1', '-delete']);
        if (result.exitCode !== 0) throw new Error(`find -delete exited with ${result.exitCode}: ${redact(result.output.trim(), ctx.env)}`);
      });
    }
  }
  if (bridge.mode === 'volume') {
    // A new volume's root belongs to root (0755); the function runs as uid 993. LocalStack's root opens it. And
    // it must not stay empty: Docker copies the owner and mode of an image's folder at the mount path onto an
    // empty volume when a container first mounts it there (volume copy-up), which would take the root back from
    // the function. The store's own top folder, which the function creates anyway, fills it.
    const dirs = efs.mounts.map((m) => m.hostDir);
    const store = dirs.map((d) => `${d}/${MESSAGES_FOLDER}`);
    const result = await container.exec(['sh', '-c', 'mkdir -p "$@" && chmod 0777 "$@"', 'sh', ...dirs, ...store]);
    if (result.exitCode !== 0) throw new Error(`chmod 0777 ${dirs.join(' ')} in LocalStack exited with ${result.exitCode}: ${redact(result.output.trim(), ctx.env)}`);
    ctx.progress.info(`EFS bridge: volumes ${efs.binds.map((b) => b.source).join(', ')} opened to the function's user (uid 993)`);
  }
  // On the host network no port is mapped (getConnectionUri would throw): LocalStack listens where GATEWAY_LISTEN says.
  const endpoint = hostPort !== undefined ? `http://127.0.0.1:${hostPort}` : container.getConnectionUri();

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
    bridge: bridge.mode,
    ...deps.deploy,
  });
  if (!reuse) {
    // Registered after the container, so it runs before the container stops. A failed destroy is reported but
    // does not fail the run: the container and everything in it are removed next.
    ctx.cleanup.add(`stack ${stackName}`, () =>
      ctx.progress
        .phase(`cdklocal destroy ${stackName}`, () => destroyPattern({ endpoint, stackName, model, runDir: ctx.runDir, env: ctx.env, progress: ctx.progress, ...cdkOf(deps) }))
        .catch((error: Error) => ctx.progress.info(`destroy of ${stackName} failed (the container is removed next): ${error.message}`)),
    );
  }

  const info = environmentInfo({
    target: 'localstack',
    endpoint,
    model,
    deployment,
    files: filesOf(bridge, efs.mounts.find((m) => m.functionNames.includes(model.apiFunction.functionName))!.hostDir, container.getId()),
    runDir: ctx.runDir,
    runId: ctx.runId,
    concurrencyLimit: localstackConcurrency(ctx.env),
  });
  if (hot && ctx.dev?.watch) {
    const dev = ctx.dev;
    await watchHotReload({
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
            bridge: bridge.mode,
            ...deps.deploy,
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

const cdkOf = (deps: LocalstackDeps) => (deps.deploy?.runCdk ? { runCdk: deps.deploy.runCdk } : {});

/** The bridge as LocalStack and its functions get it. */
interface Bridge {
  /** Per mount: `hostDir` is where LocalStack's container sees it (bind: the host folder, also mounted there). */
  readonly mounts: readonly BridgedMount[];
  /** The `-v` flags' sources and targets. */
  readonly binds: readonly { readonly source: string; readonly mountPath: string }[];
  readonly containerMounts: readonly { readonly source: string; readonly target: string }[];
  /** What stays on reuse, for the message. */
  readonly kept: string;
}

/** A host folder per mount, bind-mounted at the mount path. */
async function bindBridge(ctx: TargetContext, model: PatternModel, reuse: boolean): Promise<Bridge> {
  // On reuse the folder is part of the container's settings (its -v flags), so it must be the same every run.
  // Created and registered in one synchronous step, so that an interrupt cannot fall between the two.
  const efsRoot = reuse ? reuseEfsRoot() : mkdtempSync(path.join(os.tmpdir(), 'harness-efs-'));
  if (!reuse) ctx.cleanup.add(`EFS folder ${efsRoot}`, () => rm(efsRoot, { recursive: true, force: true }));
  const mounts = bridgedMounts(model, efsRoot);
  for (const m of mounts) {
    const prepared = await prepareHostDir(m.hostDir, m.mount);
    ctx.progress.info(`EFS bridge: ${m.hostDir} at ${m.mountPath} for ${m.functionNames.join(', ')}: ${prepared.how}`);
  }
  return {
    mounts,
    binds: mounts.map((m) => ({ source: m.hostDir, mountPath: m.mountPath })),
    containerMounts: [{ source: efsRoot, target: EFS_ROOT_IN_CONTAINER }],
    kept: `EFS folder ${efsRoot}`,
  };
}

/**
 * A Docker volume per mount, at the mount path in every Lambda container and, for reading and opening it,
 * at `<EFS_ROOT_IN_CONTAINER>/<file system>/<access point root>` in LocalStack's container.
 */
async function volumeBridge(ctx: TargetContext, model: PatternModel, reuse: boolean, runtime: ContainerRuntime, labels: Readonly<Record<string, string>>): Promise<Bridge> {
  const mounts = bridgedMounts(model, EFS_ROOT_IN_CONTAINER);
  const names = mounts.map((_, i) => volumeName(reuse ? 'harness-efs-reuse' : `harness-efs-${ctx.runId}`, i, mounts.length));
  for (const [i, name] of names.entries()) {
    // Docker creates a volume named in a bind on first use; creating it here labels it for Ryuk. On reuse it
    // may exist already: Docker's create is idempotent for a volume of the same name and driver.
    const volume = await runtime.createVolume(name, labels);
    if (!reuse) {
      ctx.cleanup.add(`Docker volume ${name}`, () =>
        volume.remove().catch((error: Error) => ctx.progress.info(`Docker volume ${name} not removed (${error.message}); Ryuk removes it when this process exits.`)),
      );
    }
    ctx.progress.info(`EFS bridge: Docker volume ${name} at ${mounts[i]!.mountPath} for ${mounts[i]!.functionNames.join(', ')}`);
  }
  return {
    mounts,
    binds: mounts.map((m, i) => ({ source: names[i]!, mountPath: m.mountPath })),
    containerMounts: mounts.map((m, i) => ({ source: names[i]!, target: m.hostDir })),
    kept: `Docker volume ${names.join(', ')}`,
  };
}

/** How the scenarios read the function's files: the host folder, or the volume through LocalStack's container. */
function filesOf(bridge: BridgeChoice, dir: string, containerId: string) {
  return bridge.mode === 'bind' ? { efsDir: dir } : { efsVolume: { containerId, path: dir } };
}

/** The reused container's EFS folder, under the project's ignored `.harness` folder. */
function reuseEfsRoot(): string {
  const dir = path.join(PROJECT_ROOT, '.harness', 'localstack-reuse', 'efs');
  mkdirSync(dir, { recursive: true });
  return dir;
}

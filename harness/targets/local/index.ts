import { mkdirSync, mkdtempSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FunctionModel, PatternModel } from '../../model/assembly.ts';
import { synthSettings } from '../../model/assembly-cache.ts';
import type { FaultName } from '../../core/environment.ts';
import { applyAccessPointIdentity } from './identity.ts';
import { containerSandbox } from './container-sandbox.ts';
import { FunctionRuntime } from './runtime.ts';
import { type ContainerRuntimeSetup, localRuntime, prepareContainerRuntime } from './runtime-mode.ts';
import { type FaultControl, startApiServer, startControlServer } from './server.ts';
import { PROJECT_ROOT } from '../../core/run.ts';
import { logBounds, RotatingLog } from '../../core/rotating-log.ts';
import type { DevOptions, StartTarget, TargetContext } from '../../model/target.ts';
import { createHandlerBuild, type HandlerBuild, stopEsbuild } from '../../dev/watch/handler-build.ts';
import { resynthesize } from '../../dev/watch/resynth.ts';
import { watchProject } from '../../dev/watch/watcher.ts';

/**
 * The offline target: the bundled handler from the cloud assembly runs in Node processes behind a local
 * HTTP server that plays the HTTP API, with the mount path mapped to a fresh host folder. No Docker, no
 * network beyond 127.0.0.1.
 */

const REGION = 'us-east-1';
const ACCOUNT_ID = '000000000000';
/** Log lines kept in memory per function (the failure artifacts come from these); all go to the run folder's bounded files. */
const LOG_LINES_KEPT = 2_000;
/** The function's and the HTTP API's timeout while a debugger is attached: an hour to step through code. */
export const DEBUG_TIMEOUT_SECONDS = 3_600;

export const start: StartTarget = async (ctx) => {
  const synthOptions = { stackName: 'HelloVpcLambda', outdir: path.join(ctx.runDir, 'cdk.out') };
  const model = await ctx.progress.phase('synthesize CDK app', () => ctx.synth(synthOptions));
  if (model.cached) ctx.progress.info('cloud assembly reused from the warm-start cache (inputs unchanged)');
  const mount = model.apiFunction.mount;
  if (!mount) throw new Error(`Function ${model.apiFunction.functionName} mounts no file system in ${model.templatePath}.`);

  // Created and registered in one synchronous step: an interrupt cannot fall between the two and leak it.
  const efsRoot = mkdtempSync(path.join(os.tmpdir(), 'harness-efs-'));
  ctx.cleanup.add(`EFS folder ${efsRoot}`, () => rm(efsRoot, { recursive: true, force: true }));
  // What the function sees at its mount path is the access point's root inside the file system.
  const efsDir = path.join(efsRoot, mount.fileSystemLogicalId, mount.rootPath);
  mkdirSync(efsDir, { recursive: true, mode: mount.permissions ? Number.parseInt(mount.permissions, 8) : 0o750 });
  const runAs = applyAccessPointIdentity(efsRoot, efsDir, mount, (line) => ctx.progress.info(line), model.functions.map((fn) => fn.assetDir));

  const mode = localRuntime(ctx.env);
  const inspectPort = ctx.dev?.inspectPort;
  if (mode === 'container' && inspectPort !== undefined) {
    throw new Error('Debugging (--inspect) attaches to a Node process of the harness: run it in process mode (unset HARNESS_LOCAL_RUNTIME).');
  }
  let container: ContainerRuntimeSetup | undefined;
  if (mode === 'container') {
    container = await ctx.progress.phase('prepare container mode (Lambda image, Docker engine)', () => prepareContainerRuntime(ctx.env, (line) => ctx.progress.info(line)));
    ctx.progress.info(`functions run in containers of ${container.image} on the ${container.network} network (${container.networkReason})`);
  }
  // Container mode takes the file system away by starting environments without its mount (a bind mount would keep
  // a renamed host folder visible); process mode renames the folder aside.
  const efsMount = { attached: true };
  const sandbox = container
    ? containerSandbox({
        engine: container.engine,
        image: container.image,
        runId: ctx.runId,
        network: container.network,
        listenHost: container.listenHost,
        efsDir: () => (efsMount.attached ? efsDir : undefined),
        // Where the access point's identity is not applied (see applyAccessPointIdentity's message), the harness's
        // own user, as in process mode: the folders were made by it and are open to it.
        fallbackUser: { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
      })
    : undefined;
  // What the function sees at its mount path: the host folder in process mode, the mount path itself in a container.
  const environmentOf = (fn: FunctionModel): Record<string, string> => (container ? { ...fn.environment } : localEnvironment(fn, efsRoot));

  const logDir = path.join(ctx.runDir, 'logs');
  const bounds = logBounds(ctx.env);
  mkdirSync(logDir, { recursive: true });
  const logs = new Map<string, string[]>();
  const runtimes = new Map<string, FunctionRuntime>();
  // While a debugger holds a breakpoint the function must not time out; LocalStack's Lambda Debug Mode lifts
  // its timeouts the same way (docs "Remote Debugging", Lambda Debug Mode).
  const asRun = (fn: FunctionModel): FunctionModel => (inspectPort ? { ...fn, timeoutSeconds: DEBUG_TIMEOUT_SECONDS } : fn);
  const addRuntime = (fn: FunctionModel): void => {
    const lines: string[] = [];
    logs.set(fn.functionName, lines);
    const logFile = new RotatingLog(path.join(logDir, `${fn.functionName}.log`), bounds);
    ctx.cleanup.add(`log file of ${fn.functionName}`, () => logFile.close());
    const debugged = inspectPort !== undefined && fn.logicalId === model.apiFunction.logicalId;
    const runtime = new FunctionRuntime({
      fn: asRun(fn),
      environment: environmentOf(fn),
      region: REGION,
      ...(sandbox ? { sandbox } : {}),
      accountId: ACCOUNT_ID,
      ...(runAs && fn.mount ? { runAs } : {}),
      log: (line) => {
        lines.push(line);
        // Trimmed in batches: a splice per line, once the bound is reached, was a large cost per request.
        if (lines.length >= 2 * LOG_LINES_KEPT) lines.splice(0, lines.length - LOG_LINES_KEPT);
        logFile.write(line);
      },
      // One environment at a time on a fixed port, so that breakpoints are hit predictably.
      ...(debugged ? { execArgv: [`--inspect=127.0.0.1:${inspectPort}`], maxEnvironments: 1 } : {}),
    });
    ctx.cleanup.add(`function ${fn.functionName}`, () => runtime.close());
    runtimes.set(fn.logicalId, runtime);
  };
  for (const fn of model.functions) addRuntime(fn);
  // Routes are read on every request, so a reload of infra/ swaps them without restarting the server.
  const current = { model };

  const api = await ctx.progress.phase('start local HTTP API', () =>
    startApiServer({
      get routes() {
        return current.model.routes;
      },
      runtimes,
      apiId: 'local',
      accountId: ACCOUNT_ID,
      ...(ctx.env.HARNESS_LOCAL_PORT ? { port: Number(ctx.env.HARNESS_LOCAL_PORT) } : {}),
      ...(inspectPort !== undefined ? { integrationTimeoutMs: DEBUG_TIMEOUT_SECONDS * 1000 } : {}),
    }),
  );
  ctx.cleanup.add(`HTTP API on ${api.url}`, () => api.close());

  const apiRuntime = runtimes.get(model.apiFunction.logicalId)!;
  const faults: Record<FaultName, FaultControl> = {
    'mount-missing': container
      ? unmountable(efsMount, async () => {
          for (const fn of current.model.functions) if (fn.mount) await runtimes.get(fn.logicalId)?.replace(asRun(fn), environmentOf(fn));
        })
      : detachable(efsDir),
    'function-crash': runtimeFault(apiRuntime, 'crash'),
    'function-timeout': runtimeFault(apiRuntime, 'hang'),
  };
  const control = await startControlServer({
    functions: new Map(model.functions.map((fn) => [fn.functionName, runtimes.get(fn.logicalId)!])),
    logs: (name) => (logs.get(name) ?? []).slice(-LOG_LINES_KEPT),
    faults,
    region: REGION,
    accountId: ACCOUNT_ID,
  });
  ctx.cleanup.add(`control server on ${control.url}`, () => control.close());

  if (ctx.dev?.inspectPort !== undefined) {
    ctx.progress.info(`debugger: ${model.apiFunction.functionName} runs with --inspect=127.0.0.1:${inspectPort}, one environment at a time, timeouts lifted`);
  }
  if (ctx.dev?.watch) {
    await ctx.progress.phase('start watching handler/ and infra/', () =>
      watchLocal({
        ctx,
        dev: ctx.dev!,
        synthOptions,
        current,
        runtimes,
        environmentOf,
        asRun,
        addRuntime,
      }),
    );
  }

  return {
    info: {
      target: 'local',
      apiUrl: api.url,
      mountPath: mount.mountPath,
      efsDir,
      functionName: model.apiFunction.functionName,
      functionTimeoutSeconds: model.apiFunction.timeoutSeconds,
      region: REGION,
      awsEndpoint: control.url,
      controlUrl: control.url,
      faults: Object.keys(faults) as FaultName[],
      runDir: ctx.runDir,
      runId: ctx.runId,
    },
    // Everything above registered its removal with ctx.cleanup, which the harness runs after this.
    teardown: () => Promise.resolve(),
  };
};

interface LocalWatch {
  readonly ctx: TargetContext;
  readonly dev: DevOptions;
  readonly synthOptions: { readonly stackName: string; readonly outdir: string };
  readonly current: { model: PatternModel };
  readonly runtimes: Map<string, FunctionRuntime>;
  readonly environmentOf: (fn: FunctionModel) => Record<string, string>;
  readonly asRun: (fn: FunctionModel) => FunctionModel;
  readonly addRuntime: (fn: FunctionModel) => void;
}

/**
 * Watch mode of the local target: a handler edit is rebuilt by esbuild (one incremental context per function)
 * into `<run>/watch/<function>` and the function's environments are replaced; an infra edit is synthesized
 * again and its routes, environment and timeout applied. The server, its URL and the EFS folder stay. A
 * failed build or synthesis changes nothing: the previous code keeps serving.
 */
async function watchLocal(w: LocalWatch): Promise<void> {
  const { ctx, current, runtimes } = w;
  const projectRoot = synthSettings(ctx.env).projectRoot ?? PROJECT_ROOT;
  const stop = new AbortController();
  let builds = await createBuilds(current.model, ctx.runDir);
  let generation = 0;
  const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(2)} s`;

  const reloadHandler = async (files: string): Promise<string> => {
    const started = performance.now();
    try {
      for (const build of builds.values()) await build.rebuild();
    } catch (error) {
      return `${files} changed: build failed after ${seconds(started)}, the previous code keeps serving: ${(error as Error).message}`;
    }
    for (const fn of current.model.functions) {
      const build = builds.get(fn.logicalId);
      const runtime = runtimes.get(fn.logicalId);
      if (!build || !runtime) continue;
      await runtime.replace(w.asRun({ ...fn, assetDir: build.outdir }), w.environmentOf(fn));
      // The new code's init runs now, as LocalStack's hot reloading restarts the runtime at once.
      await runtime.warm();
    }
    return `${files} changed: rebuilt and reloaded in ${seconds(started)}`;
  };

  const reloadInfra = async (files: string): Promise<string> => {
    const started = performance.now();
    generation += 1;
    let next: PatternModel;
    let nextBuilds: Map<string, HandlerBuild>;
    try {
      next = await resynthesize(
        { ...synthSettings(ctx.env), ...w.synthOptions, outdir: path.join(ctx.runDir, `cdk.out.${generation}`) },
        stop.signal,
      );
      const moved = JSON.stringify(next.apiFunction.mount) !== JSON.stringify(current.model.apiFunction.mount);
      if (moved) {
        return `${files} changed: not applied, the function's file system changed (mount ${JSON.stringify(next.apiFunction.mount)}); the EFS folder never moves during a run: restart \`npm run dev\` to apply it`;
      }
      nextBuilds = await createBuilds(next, ctx.runDir);
    } catch (error) {
      return `${files} changed: synthesis failed after ${seconds(started)}, the previous version keeps serving: ${(error as Error).message}`;
    }
    await Promise.all([...builds.values()].map((b) => b.dispose()));
    builds = nextBuilds;
    current.model = next;
    for (const fn of next.functions) {
      const runtime = runtimes.get(fn.logicalId);
      if (runtime) await runtime.replace(w.asRun(fn), w.environmentOf(fn));
      else w.addRuntime(fn);
      await runtimes.get(fn.logicalId)?.warm();
    }
    for (const [logicalId, runtime] of runtimes) {
      if (next.functions.some((fn) => fn.logicalId === logicalId)) continue;
      runtimes.delete(logicalId);
      await runtime.close();
    }
    const fn = next.apiFunction;
    return (
      `${files} changed: ${next.cached ? 'assembly reused from cache' : 're-synthesized'} and applied in ${seconds(started)} ` +
      `(${next.routes.length} routes, timeout ${fn.timeoutSeconds} s, ${Object.keys(fn.environment).length} environment variables)`
    );
  };

  const watcher = watchProject(projectRoot, (change) => (change.kind === 'infra' ? reloadInfra : reloadHandler)(change.files.join(', ')), w.dev.log);
  ctx.cleanup.add('watch of handler/ and infra/', async () => {
    stop.abort();
    await watcher.close();
    await Promise.all([...builds.values()].map((b) => b.dispose()));
    // esbuild's service process outlives disposed contexts; nothing else in this process uses the JS API.
    await stopEsbuild();
  });
  await watcher.ready;
  w.dev.onWatching?.(watcher);
}

/** One primed esbuild context per function of the model, writing to `<run>/watch/<logical id>`. */
async function createBuilds(model: PatternModel, runDir: string): Promise<Map<string, HandlerBuild>> {
  const builds = new Map<string, HandlerBuild>();
  try {
    for (const fn of model.functions) {
      const build = await createHandlerBuild(fn, path.join(runDir, 'watch', fn.logicalId));
      builds.set(fn.logicalId, build);
      // The first build is a full one: done now, so the first edit gets an incremental rebuild.
      await build.rebuild();
    }
  } catch (error) {
    await Promise.all([...builds.values()].map((b) => b.dispose()));
    throw error;
  }
  return builds;
}

/**
 * The function's environment with every value that points into a mount path rewritten to the host folder
 * standing for it (access point root applied), so `EFS_MOUNT_PATH=/mnt/msg` becomes the local folder.
 */
export function localEnvironment(fn: FunctionModel, efsRoot: string): Record<string, string> {
  const mount = fn.mount;
  if (!mount) return { ...fn.environment };
  const hostDir = path.join(efsRoot, mount.fileSystemLogicalId, mount.rootPath);
  return Object.fromEntries(
    Object.entries(fn.environment).map(([name, value]) => [
      name,
      value === mount.mountPath || value.startsWith(`${mount.mountPath}/`) ? hostDir + value.slice(mount.mountPath.length) : value,
    ]),
  );
}

/** The file system disappears (renamed aside) and comes back with everything it held. */
function detachable(dir: string): FaultControl {
  const aside = `${dir}.detached`;
  let detached = false;
  return {
    inject: async () => {
      if (detached) return;
      await rename(dir, aside);
      detached = true;
    },
    clear: async () => {
      if (!detached) return;
      await rename(aside, dir);
      detached = false;
    },
  };
}

/** Container mode's "mount gone": environments are replaced by ones started without the mount, and back. */
function unmountable(mount: { attached: boolean }, replaceEnvironments: () => Promise<void>): FaultControl {
  return {
    inject: async () => {
      if (!mount.attached) return;
      mount.attached = false;
      await replaceEnvironments();
    },
    clear: async () => {
      if (mount.attached) return;
      mount.attached = true;
      await replaceEnvironments();
    },
  };
}

function runtimeFault(runtime: FunctionRuntime, fault: 'crash' | 'hang'): FaultControl {
  return {
    inject: async () => {
      runtime.fault = fault;
    },
    clear: async () => {
      runtime.fault = undefined;
    },
  };
}

import path from 'node:path';
import type { PatternModel, SynthOptions } from '../../model/assembly.ts';
import { synthSettings } from '../../model/assembly-cache.ts';
import { PROJECT_ROOT } from '../../core/run.ts';
import type { DevOptions, TargetContext } from '../../model/target.ts';
import { createHandlerBuild, type HandlerBuild, stopEsbuild } from '../../dev/watch/handler-build.ts';
import { resynthesize } from '../../dev/watch/resynth.ts';
import { watchProject } from '../../dev/watch/watcher.ts';
import { HOT_RELOAD_BUCKET } from '../../../infra/hot-reload.ts';
import { shellQuote } from './efs-bridge.ts';

/**
 * LocalStack's Lambda hot reloading for the `localstack` and `endpoint` targets (docs.localstack.cloud, "Hot
 * Reloading", every plan; localstack-docs src/content/docs/aws/tooling/lambda-tools/hot-reloading.mdx @378660c):
 * a function whose code is the magic bucket `hot-reload` with an absolute host folder as key runs that folder,
 * bind-mounted read-only at /var/task, and LocalStack restarts its runtime within about 700 ms of a change
 * (localstack services/lambda_/invocation/lambda_service.py `store_s3_bucket_archive`,
 * docker_runtime_executor.py `start`, @8b9a79f).
 *
 * aws-cdk-local's LAMBDA_MOUNT_CODE does not help here: cdklocal 3.0.4 applies its asset patch only for
 * aws-cdk CLIs before 2.14 (bin/cdklocal, `applyPatches(..., false)` and the post-2.177 branch, which patches
 * nothing of the kind), and this project's CLI is 2.1148. So the app itself points the functions at the
 * folders (infra's `hotReloadDir`), and esbuild writes them here.
 */

export interface HotReloadSettings {
  /** The folder holding one code folder per function, as this process sees it (esbuild writes here). */
  readonly localDir: string;
  /** The same folder as the Docker daemon that runs the functions sees it (an absolute host path). */
  readonly hostDir: string;
}

/**
 * Hot reloading is on in watch mode and with HARNESS_HOT_RELOAD=1 (compose's deployer, so that the watcher finds
 * the stack it would deploy). HARNESS_HOT_RELOAD_DIR moves the folder; HARNESS_HOT_RELOAD_HOST_DIR names it as
 * the Docker host sees it when this process runs in a container (compose), since LocalStack hands the path to
 * the host's Docker daemon.
 */
export function hotReloadSettings(env: NodeJS.ProcessEnv, watch: boolean, defaultDir: string): HotReloadSettings | undefined {
  if (!watch && !['1', 'true'].includes(env.HARNESS_HOT_RELOAD?.trim() ?? '')) return undefined;
  const localDir = path.resolve(PROJECT_ROOT, env.HARNESS_HOT_RELOAD_DIR?.trim() || defaultDir);
  const hostDir = env.HARNESS_HOT_RELOAD_HOST_DIR?.trim() || localDir;
  if (!path.posix.isAbsolute(hostDir)) {
    throw new Error(`HARNESS_HOT_RELOAD_HOST_DIR="${hostDir}" is not an absolute path: LocalStack needs the host path of the code folder (e.g. \${PWD}/.hot-reload).`);
  }
  return { localDir, hostDir: hostDir.replace(/\/+$/, '') };
}

/** Each function's code folder, read from the template (its Code.S3Key), with the local folder it maps to. */
export function hotReloadFolders(model: PatternModel, settings: HotReloadSettings): { logicalId: string; hostDir: string; localDir: string }[] {
  return model.functions.map((fn) => {
    const code = model.template.Resources[fn.logicalId]?.Properties?.Code as { S3Bucket?: unknown; S3Key?: unknown } | undefined;
    if (code?.S3Bucket !== HOT_RELOAD_BUCKET || typeof code.S3Key !== 'string') {
      throw new Error(`${fn.functionName} is not deployed for hot reloading in ${model.templatePath} (Code is ${JSON.stringify(code)}): synthesize with hotReloadDir.`);
    }
    const relative = path.posix.relative(settings.hostDir, code.S3Key);
    if (relative.startsWith('..') || path.posix.isAbsolute(relative)) {
      throw new Error(`${fn.functionName}'s code folder ${code.S3Key} is outside the hot-reload folder ${settings.hostDir}.`);
    }
    return { logicalId: fn.logicalId, hostDir: code.S3Key, localDir: path.join(settings.localDir, ...relative.split('/')) };
  });
}

/** Writes every function's code folder once (before a deploy: LocalStack needs the bundle there) and returns the builds. */
export async function buildCodeFolders(model: PatternModel, settings: HotReloadSettings): Promise<HandlerBuild[]> {
  const builds: HandlerBuild[] = [];
  try {
    for (const folder of hotReloadFolders(model, settings)) {
      const build = await createHandlerBuild(model.functions.find((f) => f.logicalId === folder.logicalId)!, folder.localDir);
      builds.push(build);
      await build.rebuild();
    }
  } catch (error) {
    await Promise.all(builds.map((b) => b.dispose()));
    throw error;
  }
  return builds;
}

/** One esbuild of the code folders, for a deploy that does not watch (compose's deployer). */
export async function buildCodeFoldersOnce(model: PatternModel, settings: HotReloadSettings): Promise<void> {
  const builds = await buildCodeFolders(model, settings);
  await Promise.all(builds.map((b) => b.dispose()));
  await stopEsbuild();
}

/**
 * Node.js debugging in LocalStack's function containers (docs "Remote Debugging", "Debugging Node.js lambdas",
 * every plan): LAMBDA_DOCKER_FLAGS sets NODE_OPTIONS and publishes the inspector port. A `-e` there overrides the
 * function's own variable (localstack utils/container_utils/container_client.py, parse_additional_flags updates
 * the function's environment in place), so the function's NODE_OPTIONS (`--enable-source-maps`) is repeated.
 * One function container at a time can hold the published port.
 */
export function nodeDebugDockerFlags(inspectPort: number, functionNodeOptions: string | undefined): string {
  const nodeOptions = [functionNodeOptions?.trim(), `--inspect=0.0.0.0:${inspectPort}`].filter(Boolean).join(' ');
  return `-e ${shellQuote(`NODE_OPTIONS=${nodeOptions}`)} -p ${shellQuote(`127.0.0.1:${inspectPort}:${inspectPort}`)}`;
}

export interface HotReloadWatch {
  readonly ctx: TargetContext;
  readonly dev: DevOptions;
  readonly settings: HotReloadSettings;
  readonly synthOptions: SynthOptions;
  readonly model: PatternModel;
  readonly builds: HandlerBuild[];
  /** Deploys a re-synthesized model (hash-based: an unchanged template is kept) and says what it did. */
  readonly redeploy: (model: PatternModel, signal: AbortSignal) => Promise<string>;
}

/**
 * Watch mode on LocalStack: a handler edit is rebuilt into the code folders (LocalStack reloads them itself);
 * an infra edit is synthesized again and redeployed. The API URL and EFS folder do not change: the stack name
 * and the bridge stay.
 */
/** Starts watching; resolves once the watcher's initial scan is done (edits from then on are seen). */
export function watchHotReload(w: HotReloadWatch): Promise<void> {
  const projectRoot = synthSettings(w.ctx.env).projectRoot ?? PROJECT_ROOT;
  const stop = new AbortController();
  let builds = w.builds;
  let generation = 0;
  const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(2)} s`;

  const watcher = watchProject(
    projectRoot,
    async ({ kind, files }) => {
      const started = performance.now();
      const what = files.join(', ');
      if (kind === 'handler') {
        try {
          for (const build of builds) await build.rebuild();
        } catch (error) {
          return `${what} changed: build failed after ${seconds(started)}, the previous code keeps serving: ${(error as Error).message}`;
        }
        return `${what} changed: rebuilt into ${builds.map((b) => b.outdir).join(', ')} in ${seconds(started)}; LocalStack runs it within about 0.7 s`;
      }
      generation += 1;
      try {
        const next = await resynthesize(
          { ...synthSettings(w.ctx.env), ...w.synthOptions, outdir: path.join(w.ctx.runDir, `cdk.out.${generation}`) },
          stop.signal,
        );
        const nextBuilds = await buildCodeFolders(next, w.settings);
        const outcome = await w.redeploy(next, stop.signal);
        await Promise.all(builds.map((b) => b.dispose()));
        builds = nextBuilds;
        return `${what} changed: re-synthesized, ${outcome}, in ${seconds(started)}`;
      } catch (error) {
        return `${what} changed: not applied after ${seconds(started)}, the deployed version keeps serving: ${(error as Error).message}`;
      }
    },
    w.dev.log,
  );
  w.ctx.cleanup.add('hot-reload watch of handler/ and infra/', async () => {
    stop.abort();
    await watcher.close();
    await Promise.all(builds.map((b) => b.dispose()));
    await stopEsbuild();
  });
  w.dev.onWatching?.(watcher);
  return watcher.ready;
}

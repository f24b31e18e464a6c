import { execFile } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { DockerEngine, HARNESS_LABEL, HARNESS_LABEL_VALUE, RUN_LABEL } from '../core/docker-engine.ts';
import { PROJECT_ROOT, runIsLive } from '../core/run.ts';

/**
 * `npm run clean`: removes what runs left behind, also a run that was killed (SIGKILL, a closed laptop):
 * - containers and volumes that carry the harness's label, unless their run is still going (its run folder's pid
 *   is alive), found through the Engine API, so with or without Compose;
 * - the `docker compose` project: with Compose v2, `down -v --remove-orphans` and the `clean` service, which
 *   removes the function's files (uid 993) and the hot-reload builds as root; without it, what Compose labelled
 *   (com.docker.compose.project) goes through the Engine API, and the files are removed where this user can.
 */

export const COMPOSE_DOWN = ['compose', 'down', '-v', '--remove-orphans'] as const;
export const COMPOSE_CLEAN = ['compose', 'run', '--rm', 'clean'] as const;
/** Compose names the project after the folder (compose-spec: the project directory's base name, lower-cased). */
export const composeProject = (root: string = PROJECT_ROOT) => path.basename(root).toLowerCase().replace(/[^a-z0-9_-]/g, '');

const docker = (args: readonly string[]) =>
  new Promise<{ ok: boolean; output: string }>((resolve) => {
    execFile('docker', [...args], { cwd: PROJECT_ROOT, timeout: 300_000 }, (error, stdout, stderr) => resolve({ ok: !error, output: `${stdout}${stderr}`.trim() }));
  });

const runIsOn = (runId: string | undefined) => Boolean(runId) && runIsLive(path.join(PROJECT_ROOT, '.harness', 'runs', runId!));

export async function clean(env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<void> {
  const engine = await DockerEngine.connect(env);
  if (!engine) {
    log('No Docker engine answers: no container or volume to remove.');
  } else {
    const label = `${HARNESS_LABEL}=${HARNESS_LABEL_VALUE}`;
    const containers = (await engine.containersLabelled(label)).filter((c) => !runIsOn(c.Labels[RUN_LABEL]));
    await Promise.all(containers.map((c) => engine.removeContainer(c.Id)));
    const volumes = (await engine.volumesLabelled(label)).filter((v) => !runIsOn(v.Labels[RUN_LABEL]));
    for (const v of volumes) await engine.removeVolume(v.Name);
    log(`Harness runs: removed ${containers.length} container(s) and ${volumes.length} volume(s) of runs that are over.`);
  }

  const compose = await docker(['compose', 'version']);
  if (compose.ok && /v?2\./.test(compose.output)) {
    for (const args of [COMPOSE_DOWN, COMPOSE_CLEAN]) {
      const result = await docker(args);
      if (!result.ok) throw new Error(`docker ${args.join(' ')} failed: ${result.output}`);
    }
    log('docker compose: project down (volumes included), the function\'s files and the hot-reload builds removed as root.');
    return;
  }
  log(
    `Docker Compose v2 is not installed (docker compose version: ${compose.output.split('\n')[0] || 'no answer'}): ` +
      'removing what Compose made through the Docker Engine API instead. Install Compose v2 for `docker compose up` itself.',
  );
  if (engine) {
    const project = `com.docker.compose.project=${composeProject()}`;
    const made = await engine.containersLabelled(project);
    await Promise.all(made.map((c) => engine.removeContainer(c.Id)));
    const volumes = await engine.volumesLabelled(project);
    for (const v of volumes) await engine.removeVolume(v.Name);
    const network = await engine.call('DELETE', '/networks/harness-localstack');
    log(`Compose project ${composeProject()}: removed ${made.length} container(s), ${volumes.length} volume(s)${network.status === 204 ? ' and the network harness-localstack' : ''}.`);
  }
  // Written as uid 993 and as root by containers: removable here when this user is root (or owns them).
  for (const dir of [path.join(PROJECT_ROOT, '.efs', 'lambda'), ...hotReloadBuilds()]) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch (error) {
      log(`${dir} not removed (${(error as NodeJS.ErrnoException).code}): it belongs to root; remove it with sudo rm -rf ${dir}`);
    }
  }
}

function hotReloadBuilds(): string[] {
  const dir = path.join(PROJECT_ROOT, '.hot-reload');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((name) => name !== '.gitkeep').map((name) => path.join(dir, name));
}

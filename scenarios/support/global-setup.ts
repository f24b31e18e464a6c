import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { TestProject } from 'vitest/node';
import { loadProjectEnv } from '../../harness/core/dotenv.ts';
import { ENVIRONMENT_VARIABLE, type EnvironmentInfo } from '../../harness/core/environment.ts';
import { Progress } from '../../harness/core/progress.ts';
import { PROJECT_ROOT } from '../../harness/core/run.ts';
import { selectTarget } from '../../harness/launch/select.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    environment: EnvironmentInfo;
  }
}

/**
 * Gives every scenario file the environment of one started target. Under `npm run scenarios` the target is already
 * running (HARNESS_ENVIRONMENT). Otherwise (`npm test`, a direct `vitest`) it starts in its own process
 * (harness/launch/owner.ts), so that Ctrl-C or SIGTERM, which end vitest at once, cannot cut its clean-up short.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const progress = new Progress();
  // A direct `vitest` run gets .env here; under `npm run scenarios` the CLI already loaded it (the shell wins).
  loadProjectEnv((line) => progress.info(line));
  return startScenarioTarget(project, process.env, progress);
}

/** Starts the target the scenarios run on, with `env` as the harness's environment (the shell's, .env added). */
export async function startScenarioTarget(project: TestProject, env: NodeJS.ProcessEnv, progress: Progress): Promise<(() => Promise<void>) | undefined> {
  const given = process.env[ENVIRONMENT_VARIABLE];
  if (given) {
    project.provide('environment', JSON.parse(given) as EnvironmentInfo);
    return undefined;
  }
  const choice = await selectTarget(env);
  progress.info(`scenarios target: ${choice.target} (${choice.reason})`);
  const owner = spawn(process.execPath, [path.join(PROJECT_ROOT, 'harness', 'launch', 'owner.ts'), choice.target], {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => owner.once('exit', (code) => resolve(code)));
  const first = await new Promise<string>((resolve) => {
    createInterface({ input: owner.stdout! }).once('line', resolve);
    void exited.then(() => resolve('FAILED "the target\'s process ended before it was ready"'));
  });
  if (!first.startsWith('READY ')) throw new Error(JSON.parse(first.slice('FAILED '.length)) as string);
  const info = JSON.parse(first.slice('READY '.length)) as EnvironmentInfo;
  project.provide('environment', info);
  progress.info(`API ${info.apiUrl}${info.efsDir ? `, EFS folder ${info.efsDir}` : ''}`);
  return async () => {
    owner.stdin!.end('stop\n');
    const code = await exited;
    if (code !== 0) throw new Error(`The target's teardown failed (exit ${code}); its output is above.`);
  };
}

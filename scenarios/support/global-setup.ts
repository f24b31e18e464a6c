import type { TestProject } from 'vitest/node';
import { loadProjectEnv } from '../../harness/core/dotenv.ts';
import type { EnvironmentInfo } from '../../harness/core/environment.ts';
import { Progress } from '../../harness/core/progress.ts';
import { selectTarget } from '../../harness/launch/select.ts';
import { startTarget } from '../../harness/launch/start.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    environment: EnvironmentInfo;
  }
}

/** Starts the selected target once for all scenario files and tears it down after the last one. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const progress = new Progress();
  // A direct `vitest` run gets .env here; under `npm run scenarios` the CLI already loaded it (the shell wins).
  loadProjectEnv((line) => progress.info(line));
  const choice = await selectTarget(process.env);
  // `npm run scenarios` chose before vitest started and says why; a direct `vitest` run chooses here.
  progress.info(`scenarios target: ${choice.target} (${process.env.HARNESS_TARGET_REASON || choice.reason})`);
  const run = await startTarget(choice.target, { progress });
  project.provide('environment', run.info);
  progress.info(`API ${run.info.apiUrl}${run.info.efsDir ? `, EFS folder ${run.info.efsDir}` : ''}`);
  return async () => {
    await run.teardown();
    progress.info(progress.summary());
  };
}

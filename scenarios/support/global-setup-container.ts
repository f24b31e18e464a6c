import type { TestProject } from 'vitest/node';
import { loadProjectEnv } from '../../harness/core/dotenv.ts';
import { Progress } from '../../harness/core/progress.ts';
import { LAMBDA_STANDIN_IMAGE } from '../../harness/dev/images.ts';
import { startScenarioTarget } from './global-setup.ts';

/**
 * `npm run test:container`: every scenario on the local target in container mode, the function in the Lambda
 * image with the real runtime client (the stand-in that `npm run images` builds, unless HARNESS_LAMBDA_IMAGE names
 * another). Runs after the Docker tier's global setup (harness/test-support/docker-tier.ts), which builds the
 * images and fails the run on any container the target leaves behind.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const progress = new Progress();
  loadProjectEnv((line) => progress.info(line));
  return startScenarioTarget(project, {
    ...process.env,
    HARNESS_TARGET: 'local',
    HARNESS_LOCAL_RUNTIME: 'container',
    HARNESS_LAMBDA_IMAGE: process.env.HARNESS_LAMBDA_IMAGE?.trim() || LAMBDA_STANDIN_IMAGE,
  }, progress);
}

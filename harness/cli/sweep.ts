/**
 * `npm run sweep [-- --yes] [--run-id <id>]`: lists the harness's stacks in HARNESS_AWS_ACCOUNT / AWS_REGION
 * and, with --yes, deletes the expired ones, or with --run-id only that run's stack (CI's cleanup step after a
 * cancelled job); see harness/targets/aws/sweep.ts for what counts. The table goes to stdout, progress and errors to
 * stderr. Exit codes: 0 done, 1 an AWS call or a deletion failed, 2 refused.
 */
import { awsApi } from '../targets/aws/api.ts';
import { runSweep } from '../targets/aws/sweep.ts';
import { loadProjectEnv } from '../core/dotenv.ts';

loadProjectEnv();
process.exitCode = await runSweep({
  args: process.argv.slice(2),
  env: process.env,
  aws: (region) => awsApi(region),
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});

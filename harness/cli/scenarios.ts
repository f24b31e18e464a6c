/**
 * `npm run scenarios [-- --target <t>] [vitest options]`: picks the target (--target, HARNESS_TARGET, or the
 * automatic choice, printed with its reason), starts it here, runs the scenario files on it with vitest, writes
 * JUnit XML in CI, tears the target down and prints a readable summary.
 *
 * This process owns the target, not vitest: vitest ends itself about a millisecond after SIGINT/SIGTERM, which cut
 * off any clean-up running inside it. Here the start's own interrupt handling removes everything (and the signal
 * is passed on to vitest). A target that fails to start is reported once, and vitest is not run at all.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadProjectEnv } from '../core/dotenv.ts';
import { ENVIRONMENT_VARIABLE } from '../core/environment.ts';
import { Progress } from '../core/progress.ts';
import { PROJECT_ROOT } from '../core/run.ts';
import { summarize, type VitestJsonReport } from '../core/summary.ts';
import { selectTarget } from '../launch/select.ts';
import { type StartedRun, startTarget } from '../launch/start.ts';

loadProjectEnv();
const reportsDir = path.join(PROJECT_ROOT, '.harness', 'reports');
mkdirSync(reportsDir, { recursive: true });

const { target: named, rest } = takeTarget(process.argv.slice(2));
if (named !== undefined) process.env.HARNESS_TARGET = named;
let target: string;
let reason: string;
try {
  ({ target, reason } = await selectTarget(process.env));
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(2);
}

const progress = new Progress();
progress.info(`scenarios target: ${target} (${reason})`);
let run: StartedRun;
try {
  run = await startTarget(target as Parameters<typeof startTarget>[0], { progress });
} catch (error) {
  process.stderr.write(`\n${(error as Error).message}\n\nScenario summary — target: ${target}\n  No scenario ran: the ${target} target did not start (above).\n`);
  process.exit(1);
}
progress.info(`API ${run.info.apiUrl}${run.info.efsDir ? `, EFS folder ${run.info.efsDir}` : ''}`);

const jsonReport = path.join(reportsDir, 'scenarios.json');
const args = [
  'run',
  '--project',
  'scenarios',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${jsonReport}`,
  ...(process.env.CI ? ['--reporter=junit', `--outputFile.junit=${path.join(reportsDir, 'junit.xml')}`] : []),
  ...rest,
];
const vitest = spawn(path.join(PROJECT_ROOT, 'node_modules', '.bin', 'vitest'), args, {
  cwd: PROJECT_ROOT,
  env: { ...process.env, HARNESS_TARGET: target, [ENVIRONMENT_VARIABLE]: JSON.stringify(run.info) },
  stdio: 'inherit',
});
// Ctrl-C reaches vitest through the terminal's process group; a SIGTERM sent to this process alone is passed on.
// This process's own clean-up on those signals comes from startTarget (core/cleanup.ts cleanupOnSignals).
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => vitest.kill(signal));
vitest.on('exit', async (code, signal) => {
  let teardownFailed = false;
  try {
    await run.teardown();
  } catch (error) {
    teardownFailed = true;
    process.stderr.write(`teardown failed: ${(error as Error).message}\n`);
  }
  progress.info(progress.summary());
  try {
    const report = JSON.parse(readFileSync(jsonReport, 'utf8')) as VitestJsonReport;
    process.stdout.write(`\n${summarize(report, target)}\n`);
  } catch {
    process.stderr.write(`(no scenario report at ${jsonReport}: vitest ended before writing it)\n`);
  }
  process.exit(teardownFailed ? 1 : (code ?? (signal ? 1 : 0)));
});

/** `--target x` / `--target=x` out of the arguments (the same flag as `npm run up`); the rest goes to vitest. */
function takeTarget(args: readonly string[]): { target?: string; rest: string[] } {
  const rest: string[] = [];
  let target: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--target') target = args[++i];
    else if (arg.startsWith('--target=')) target = arg.slice('--target='.length);
    else rest.push(arg);
  }
  return { ...(target !== undefined ? { target } : {}), rest };
}

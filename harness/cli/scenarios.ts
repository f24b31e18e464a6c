/**
 * `npm run scenarios`: picks the target (HARNESS_TARGET, or the automatic choice, printed with its reason),
 * runs the scenario files on it with vitest, writes JUnit XML in CI, and prints a readable summary that says
 * which target ran and which scenarios were skipped and why.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadProjectEnv } from '../core/dotenv.ts';
import { PROJECT_ROOT } from '../core/run.ts';
import { selectTarget } from '../launch/select.ts';
import { summarize, type VitestJsonReport } from '../core/summary.ts';

loadProjectEnv();
const reportsDir = path.join(PROJECT_ROOT, '.harness', 'reports');
mkdirSync(reportsDir, { recursive: true });

let target: string;
let reason: string;
try {
  ({ target, reason } = await selectTarget(process.env));
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(2);
}

const jsonReport = path.join(reportsDir, 'scenarios.json');
const args = [
  'run',
  '--project',
  'scenarios',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${jsonReport}`,
  ...(process.env.CI ? ['--reporter=junit', `--outputFile.junit=${path.join(reportsDir, 'junit.xml')}`] : []),
  ...process.argv.slice(2),
];
const vitest = spawn(path.join(PROJECT_ROOT, 'node_modules', '.bin', 'vitest'), args, {
  cwd: PROJECT_ROOT,
  // Global setup prints the choice; it gets the reason too, since HARNESS_TARGET is now set whatever chose it.
  env: { ...process.env, HARNESS_TARGET: target, HARNESS_TARGET_REASON: reason },
  stdio: 'inherit',
});
// Ctrl-C reaches vitest through the terminal's process group; don't die before it has cleaned up.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => vitest.kill(signal));
vitest.on('exit', (code, signal) => {
  try {
    const report = JSON.parse(readFileSync(jsonReport, 'utf8')) as VitestJsonReport;
    process.stdout.write(`\n${summarize(report, target)}\n`);
  } catch {
    process.stderr.write(`(no scenario report at ${jsonReport}: vitest ended before writing it)\n`);
  }
  process.exit(code ?? (signal ? 1 : 0));
});

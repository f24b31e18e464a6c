import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's root folder (where package.json is). */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Run folders kept under `.harness/runs`; older ones are pruned at the start of a run. */
export const RUNS_KEPT = 20;

/**
 * A run id that sorts by time and is safe in stack names, function names and folder names:
 * `20261125-033200-ab12` (UTC).
 */
export function makeRunId(now: Date = new Date()): string {
  const iso = now.toISOString();
  const stamp = `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}`;
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

/**
 * The run id: HARNESS_RUN_ID when set, otherwise a new one. CI sets it to an id it knows beforehand
 * (`gh-<run id>-<attempt>`), so that a cleanup step after a cancelled or timed-out job can find the run's
 * AWS stack, `harness-<run id>`, by name.
 */
export function runIdFrom(env: NodeJS.ProcessEnv, now: Date = new Date()): string {
  const given = env.HARNESS_RUN_ID?.trim();
  if (!given) return makeRunId(now);
  // The id names a folder, a stack and functions: letters, digits and hyphens fit all three.
  if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,38}$/.test(given)) {
    throw new Error(
      `HARNESS_RUN_ID="${given}" is not a usable run id: use 1 to 39 letters, digits and hyphens, starting with a letter or digit ` +
        '(for example gh-${GITHUB_RUN_ID}-${GITHUB_RUN_ATTEMPT}), or unset it for a new id.',
    );
  }
  return given;
}

/** In each run folder: the pid of the process that runs it, so that pruning never removes a live run's folder. */
export const RUN_PID_FILE = '.pid';

/**
 * Creates `<root>/.harness/runs/<runId>` and prunes the oldest run folders beyond `keep`, except those of runs
 * still going: runs overlap (`npm run up` beside `npm run scenarios`, test files in parallel), and a run id given
 * by HARNESS_RUN_ID need not sort by time.
 */
export function createRunDir(runId: string, root: string = PROJECT_ROOT, keep: number = RUNS_KEPT): string {
  const runsDir = path.join(root, '.harness', 'runs');
  const runDir = path.join(runsDir, runId);
  mkdirSync(runDir, { recursive: true });
  writeFileSync(path.join(runDir, RUN_PID_FILE), String(process.pid));
  const runs = readdirSync(runsDir).sort();
  for (const old of runs.slice(0, Math.max(0, runs.length - keep))) {
    if (!runIsLive(path.join(runsDir, old))) rmSync(path.join(runsDir, old), { recursive: true, force: true });
  }
  return runDir;
}

/** Whether the process that runs the run of this folder is still going (its pid file). */
export function runIsLive(runDir: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(path.join(runDir, RUN_PID_FILE), 'utf8'));
  } catch {
    return false; // a run from before the pid file, or one that never wrote it
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}

import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
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

/** Creates `<root>/.harness/runs/<runId>` and prunes the oldest run folders beyond `keep`. */
export function createRunDir(runId: string, root: string = PROJECT_ROOT, keep: number = RUNS_KEPT): string {
  const runsDir = path.join(root, '.harness', 'runs');
  const runDir = path.join(runsDir, runId);
  mkdirSync(runDir, { recursive: true });
  const runs = readdirSync(runsDir).sort();
  for (const old of runs.slice(0, Math.max(0, runs.length - keep))) {
    rmSync(path.join(runsDir, old), { recursive: true, force: true });
  }
  return runDir;
}

/**
 * The process that owns a started target while vitest runs the scenarios (`npm test`, a direct `vitest`).
 *
 * vitest ends its process about a millisecond after SIGINT/SIGTERM (its own handlers call process.exit), which
 * cut off any clean-up that ran inside it. The target lives here instead: global setup starts this process and
 * reads one line, `READY <EnvironmentInfo JSON>` or `FAILED <message JSON>`, on its stdout. Then:
 * - `stop` on stdin: normal teardown, exit 0;
 * - stdin closed (vitest is gone, however it ended), SIGINT (Ctrl-C reaches the whole process group) or SIGTERM:
 *   the start's own interrupt handling (core/cleanup.ts cleanupOnSignals) removes everything, also mid-start.
 * Progress goes to stderr, which global setup shares with the terminal.
 */
import { createInterface } from 'node:readline';
import { loadProjectEnv } from '../core/dotenv.ts';
import { TARGET_NAMES, type TargetName } from '../core/environment.ts';
import { Progress } from '../core/progress.ts';
import { startTarget } from './start.ts';

const name = process.argv[2] as TargetName;
if (!(TARGET_NAMES as readonly string[]).includes(name)) {
  process.stdout.write(`FAILED ${JSON.stringify(`owner: "${name}" is not a target (${TARGET_NAMES.join(', ')})`)}\n`);
  process.exit(2);
}
const progress = new Progress();
loadProjectEnv((line) => progress.info(line));

let stopRequested = false;
let run: Awaited<ReturnType<typeof startTarget>> | undefined;
// vitest gone: the same path as an interrupt, so that a start still in flight is undone too.
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() !== 'stop') return;
  stopRequested = true;
  if (run) void stop(run);
});
lines.on('close', () => {
  if (!stopRequested) process.kill(process.pid, 'SIGTERM');
});

async function stop(started: NonNullable<typeof run>): Promise<void> {
  try {
    await started.teardown();
    progress.info(progress.summary());
    process.exit(0);
  } catch (error) {
    process.stderr.write(`teardown failed: ${(error as Error).message}\n`);
    process.exit(1);
  }
}

try {
  run = await startTarget(name, { progress });
} catch (error) {
  process.stdout.write(`FAILED ${JSON.stringify((error as Error).message)}\n`);
  process.exit(1);
}
process.stdout.write(`READY ${JSON.stringify(run.info)}\n`);
if (stopRequested) await stop(run);

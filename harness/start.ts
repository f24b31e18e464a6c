import { type PatternModel, type SynthOptions, synthesize } from './assembly.ts';
import { Cleanup, cleanupOnSignals } from './cleanup.ts';
import type { RunningTarget, TargetName } from './environment.ts';
import { Progress } from './progress.ts';
import { redact } from './redact.ts';
import { createRunDir, makeRunId } from './run.ts';
import type { StartTarget, TargetContext } from './target.ts';

// Loaded on demand, so that the local target never loads testcontainers or the AWS SDK clients it does not use.
// A Record over every target name: the type checker refuses a target without its module.
const TARGETS: Record<TargetName, () => Promise<{ start: StartTarget }>> = {
  local: () => import('./targets/local.ts'),
  localstack: () => import('./targets/localstack.ts'),
  endpoint: () => import('./targets/endpoint.ts'),
  aws: () => import('./targets/aws.ts'),
};

export interface StartOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly progress?: Progress;
  readonly runId?: string;
  /** Clean up on SIGINT/SIGTERM/SIGHUP and exit. @default true */
  readonly handleSignals?: boolean;
}

export interface StartedRun extends RunningTarget {
  readonly progress: Progress;
}

/**
 * Starts a target for one run: a run id and folder, synthesis (once per set of options), the target's own
 * start, and one cleanup that teardown, a failed start and an interrupt all share.
 */
export async function startTarget(name: TargetName, options: StartOptions = {}): Promise<StartedRun> {
  const env = options.env ?? process.env;
  const progress = options.progress ?? new Progress();
  const runId = options.runId ?? makeRunId();
  const runDir = createRunDir(runId);
  const cleanup = new Cleanup();
  const stopHandlingSignals = options.handleSignals === false ? () => {} : cleanupOnSignals(cleanup);
  const synths = new Map<string, Promise<PatternModel>>();
  const context: TargetContext = {
    runId,
    runDir,
    env,
    progress,
    cleanup,
    synth: (synthOptions: SynthOptions) => {
      const key = JSON.stringify(synthOptions);
      if (!synths.has(key)) synths.set(key, synthesize(synthOptions));
      return synths.get(key)!;
    },
  };
  progress.info(`run ${runId}: target ${name}, artifacts in ${runDir}`);
  let running: RunningTarget;
  try {
    const { start } = await TARGETS[name]();
    running = await start(context);
  } catch (error) {
    if (cleanup.isClosed) await interrupted();
    const cleanupErrors = await progress.phase('clean up after failed start', () => cleanup.run());
    stopHandlingSignals();
    const message = redact((error as Error).message ?? String(error));
    const suffix = cleanupErrors.length > 0 ? `\nCleanup also failed:\n${cleanupErrors.map((e) => `  - ${e.message}`).join('\n')}` : '';
    throw new Error(`Target "${name}" failed to start: ${message}${suffix}\nArtifacts: ${runDir}`, { cause: error });
  }
  // Interrupted while starting: the signal handler is removing everything and exits; never report ready.
  if (cleanup.isClosed) await interrupted();
  let tornDown: Promise<void> | undefined;
  return {
    info: running.info,
    progress,
    teardown: () => {
      tornDown ??= progress
        .phase('teardown', async () => {
          try {
            await running.teardown();
          } finally {
            const errors = await cleanup.run();
            if (errors.length > 0) throw new AggregateError(errors, errors.map((e) => e.message).join('; '));
          }
        })
        .finally(stopHandlingSignals);
      return tornDown;
    },
  };
}

/** Waits for the exit that the interrupt handler (cleanupOnSignals) is about to make. */
function interrupted(): Promise<never> {
  return new Promise(() => {});
}

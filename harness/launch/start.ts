import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { type PatternModel, type SynthOptions, synthesize } from '../model/assembly.ts';
import { synthSettings } from '../model/assembly-cache.ts';
import { Cleanup, cleanupOnSignals } from '../core/cleanup.ts';
import type { RunningTarget, TargetName } from '../core/environment.ts';
import { Progress } from '../core/progress.ts';
import { redact } from '../core/redact.ts';
import { createRunDir, runIdFrom } from '../core/run.ts';
import type { DevOptions, StartTarget, TargetContext } from '../model/target.ts';

// Loaded on demand, so that the local target never loads testcontainers or the AWS SDK clients it does not use.
// A Record over every target name: the type checker refuses a target without its module.
const TARGETS: Record<TargetName, () => Promise<{ start: StartTarget }>> = {
  local: () => import('../targets/local/index.ts'),
  localstack: () => import('../targets/localstack/index.ts'),
  endpoint: () => import('../targets/endpoint/index.ts'),
  aws: () => import('../targets/aws/index.ts'),
};

export interface StartOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly progress?: Progress;
  readonly runId?: string;
  /** Clean up on SIGINT/SIGTERM/SIGHUP and exit. @default true */
  readonly handleSignals?: boolean;
  /** Watch mode and debugger (`npm run up -- --watch --inspect`). */
  readonly dev?: DevOptions;
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
  const runId = options.runId ?? runIdFrom(env);
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
      if (!synths.has(key)) synths.set(key, synthesize({ ...synthSettings(env), ...synthOptions }));
      return synths.get(key)!;
    },
    ...(options.dev ? { dev: options.dev } : {}),
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
    const clean = (text: string) => redact(text, { ...process.env, ...env });
    const message = clean((error as Error).message ?? String(error));
    const suffix = cleanupErrors.length > 0 ? `\nCleanup also failed:\n${cleanupErrors.map((e) => `  - ${clean(e.message)}`).join('\n')}` : '';
    // The whole error with its causes goes to the run folder, redacted. It is not attached as `cause`: vitest
    // and Node print causes as they are, and a cause may hold what redact removed from the message.
    writeFileSync(path.join(runDir, START_ERROR_FILE), `${clean(describeError(error))}\n`);
    throw new Error(`Target "${name}" failed to start: ${message}${suffix}\nArtifacts: ${runDir} (the full error: ${START_ERROR_FILE})`);
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

/** In the run folder when a target fails to start: the error's stack and its causes, redacted. */
export const START_ERROR_FILE = 'start-error.txt';

function describeError(error: unknown): string {
  const parts: string[] = [];
  for (let current: unknown = error, depth = 0; current !== undefined && depth < 10; depth++) {
    parts.push(current instanceof Error ? (current.stack ?? `${current.name}: ${current.message}`) : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join('\nCaused by: ');
}

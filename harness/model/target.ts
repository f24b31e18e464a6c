import type { PatternModel, SynthOptions } from './assembly.ts';
import type { Cleanup } from '../core/cleanup.ts';
import type { RunningTarget } from '../core/environment.ts';
import type { Progress } from '../core/progress.ts';
import type { ProjectWatcher } from '../dev/watch/watcher.ts';

/** What every target gets from the harness when it starts. */
export interface TargetContext {
  /** Id of this run: part of stack names and of the run folder. */
  readonly runId: string;
  /** This run's artifact folder (exists). */
  readonly runDir: string;
  /** Settings are read from here, never from `process.env` directly, so tests can pass their own. */
  readonly env: NodeJS.ProcessEnv;
  readonly progress: Progress;
  /** Every resource the target creates registers its removal here as soon as it exists. */
  readonly cleanup: Cleanup;
  /** Synthesizes the CDK app (cached per options) and reads the model the target needs from the template. */
  synth(options: SynthOptions): Promise<PatternModel>;
  /** Development mode of `npm run up` (watch, debugger); absent for test runs. */
  readonly dev?: DevOptions;
}

/** `npm run up -- --watch` / `--inspect[=port]`. */
export interface DevOptions {
  /** Apply edits of `handler/` and `infra/` to the running target. */
  readonly watch: boolean;
  /** Start execution environments with the Node inspector on this port (local), one at a time. */
  readonly inspectPort?: number;
  /** One line per reload: what changed, how long it took, the error if any. */
  readonly log: (line: string) => void;
  /** Called with the watcher once it runs, so tests and the benchmark can wait until a reload is done. */
  readonly onWatching?: (watcher: ProjectWatcher) => void;
}

export type StartTarget = (context: TargetContext) => Promise<RunningTarget>;

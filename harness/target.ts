import type { PatternModel, SynthOptions } from './assembly.ts';
import type { Cleanup } from './cleanup.ts';
import type { RunningTarget } from './environment.ts';
import type { Progress } from './progress.ts';

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
}

export type StartTarget = (context: TargetContext) => Promise<RunningTarget>;

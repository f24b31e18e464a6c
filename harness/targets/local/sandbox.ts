import type { FunctionModel } from '../../model/assembly.ts';

/**
 * What an execution environment is to the function runtime (runtime.ts), whichever way it runs: a Node process
 * (process-sandbox.ts) or a container of the Lambda image (container-sandbox.ts).
 */

export type InvokeFault = 'crash' | 'hang';

/** An error as the runtime reports it (aws-lambda-ric 4.0.2 index.mjs `formatError`: errorType, errorMessage, trace). */
export interface LambdaError {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace?: readonly string[];
}

/** One invocation as an execution environment receives it. */
export interface SandboxInvocation {
  readonly requestId: string;
  readonly event: unknown;
  /** Epoch milliseconds. */
  readonly deadline: number;
  readonly functionArn: string;
  /** `_X_AMZN_TRACE_ID` for this invocation. */
  readonly traceId: string;
  readonly fault?: InvokeFault;
}

export type SandboxResult =
  | { readonly ok: true; readonly payload: string }
  /** An error escaping the handler ends the environment itself (as with the v4 client): onExit reports that. */
  | ({ readonly ok: false } & LambdaError);

/** One execution environment. */
export interface Sandbox {
  /** Resolves when its init phase is done; rejects with an {@link InitError}. */
  readonly ready: Promise<void>;
  /** Peak resident memory it last reported; undefined when it cannot tell (REPORT then leaves Max Memory Used out). */
  readonly maxRssKb: number | undefined;
  /** Runs one invocation; never settles when the environment dies first (see {@link onExit}). */
  invoke(invocation: SandboxInvocation): Promise<SandboxResult>;
  /**
   * Calls `listener` once when the environment has ended, with how Lambda's init process words it ("exit status 1",
   * "signal: killed"); at once when it already has. Returns a function that removes the listener.
   */
  onExit(listener: (how: string) => void): () => void;
  /** Ends it now (SIGKILL or its container's equivalent) and resolves once it is gone. */
  destroy(): Promise<void>;
}

/** What a sandbox needs to start: the function, its own variables as this mode sees them, and where its lines go. */
export interface SandboxSpec {
  readonly fn: FunctionModel;
  readonly functionEnvironment: Readonly<Record<string, string>>;
  readonly region: string;
  readonly runAs?: { readonly uid: number; readonly gid: number };
  /** Every line the environment writes, as Lambda forwards them to CloudWatch Logs (the runtime formats its console lines itself). */
  readonly log: (line: string) => void;
  readonly execArgv?: readonly string[];
}

export type SandboxFactory = (spec: SandboxSpec) => Sandbox;


/**
 * How Lambda's Go init process words a runtime killed by a signal (Go's syscall.Signal strings): "Runtime exited with
 * error: signal: killed" (live capture: Sparticuz/chromium#21, 2022), "signal: segmentation fault" (awslabs/aws-lambda-cpp#30).
 */
export const GO_SIGNAL_NAMES: Partial<Record<NodeJS.Signals, string>> = {
  SIGKILL: 'killed',
  SIGTERM: 'terminated',
  SIGSEGV: 'segmentation fault',
  SIGABRT: 'aborted',
  SIGBUS: 'bus error',
  SIGINT: 'interrupt',
};

/** An environment that failed its init phase, with the error the runtime reported. */
export class InitError extends Error {
  readonly lambdaError: LambdaError;
  constructor(error: LambdaError) {
    super(error.errorMessage);
    this.lambdaError = error;
  }
}


/** An environment's end, told once to every listener, at once to one that comes after it (a Sandbox's onExit). */
export class ExitSignal {
  private how: string | undefined;
  private readonly listeners = new Set<(how: string) => void>();

  /** Records the end (the first call counts) and tells the listeners. */
  end(how: string): void {
    if (this.how !== undefined) return;
    this.how = how;
    for (const listener of [...this.listeners]) listener(how);
    this.listeners.clear();
  }

  listen(listener: (how: string) => void): () => void {
    if (this.how !== undefined) {
      listener(this.how);
      return () => {};
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

import { randomUUID } from 'node:crypto';
import type { FunctionModel } from '../../model/assembly.ts';
import { newTraceId } from './http-api.ts';
import { processSandbox } from './process-sandbox.ts';
import { InitError, type InvokeFault, type LambdaError, type Sandbox, type SandboxFactory } from './sandbox.ts';

export type { InvokeFault, LambdaError, Sandbox, SandboxFactory, SandboxInvocation, SandboxResult, SandboxSpec } from './sandbox.ts';

/**
 * Runs one function of the template locally the way Lambda does: each execution environment (a {@link Sandbox}:
 * a Node process in process mode, a container of the Lambda image in container mode) handles one invocation at a
 * time; more arrive → more environments (up to a limit), idle ones are reused warm. The function's timeout is
 * enforced here by destroying its environment, and Lambda's log lines (START, END, REPORT, timeouts) come from
 * here, so both modes share one source for those rules.
 */

export type InvokeOutcome =
  /** `payload`: what the runtime posted (what the Invoke API returns); `result`: the same, parsed as JSON when it is JSON. */
  | { readonly ok: true; readonly result: unknown; readonly payload: string; readonly durationMs: number }
  | ({ readonly ok: false; readonly durationMs: number } & LambdaError);

export interface FunctionRuntimeOptions {
  readonly fn: FunctionModel;
  /** The function's environment as it runs here (mount path already mapped where the mode needs it). */
  readonly environment: Readonly<Record<string, string>>;
  readonly region: string;
  readonly accountId: string;
  /** Most environments at once; further invocations wait for a free one. @default 10 */
  readonly maxEnvironments?: number;
  /**
   * POSIX user the environments run as (the access point's, as Lambda applies it to EFS access). Only
   * honoured when the harness runs as root (process mode) or always (container mode). @default the harness's own user
   */
  readonly runAs?: { readonly uid: number; readonly gid: number };
  /** Receives every log line, formatted as Lambda writes them to CloudWatch Logs. */
  readonly log: (line: string) => void;
  /** Extra Node flags for each environment, e.g. `--inspect=127.0.0.1:9229` while debugging. @default none */
  readonly execArgv?: readonly string[];
  /** How an execution environment is made. @default processSandbox */
  readonly sandbox?: SandboxFactory;
}

interface ExecutionEnvironment {
  readonly sandbox: Sandbox;
  busy: boolean;
  currentRequestId?: string;
  /** Runs code that a `replace` superseded: removed as soon as its invocation ends. */
  stale?: boolean;
}

export class FunctionRuntime {
  private readonly environments = new Set<ExecutionEnvironment>();
  /** Every sandbox not yet fully gone, live or ended. */
  private readonly sandboxes = new Set<Sandbox>();
  private readonly waiting: (() => void)[] = [];
  private nextId = 1;
  private closed = false;
  /** Fault applied to every invocation until cleared (fault injection). */
  fault: InvokeFault | undefined;

  private options: FunctionRuntimeOptions;

  constructor(options: FunctionRuntimeOptions) {
    this.options = options;
  }

  get functionArn(): string {
    return `arn:aws:lambda:${this.options.region}:${this.options.accountId}:function:${this.options.fn.functionName}`;
  }

  /** Number of live execution environments (warm or busy). */
  get size(): number {
    return this.environments.size;
  }

  /**
   * One invocation. `requestId` is Lambda's request id (a UUID, not API Gateway's); `traceId` the X-Ray root
   * the caller passes on (API Gateway's `x-amzn-trace-id`).
   */
  async invoke(event: unknown, requestId: string = randomUUID(), traceId: string = newTraceId()): Promise<InvokeOutcome> {
    if (this.closed) throw new Error(`Function ${this.options.fn.functionName} is stopped.`);
    const started = performance.now();
    let env: ExecutionEnvironment;
    try {
      env = await this.acquire();
    } catch (error) {
      // Lambda reports a function that cannot start as a failed invocation with the init error, not as a missing function.
      const init = initError(error);
      this.options.log(`INIT_REPORT Init Duration: ${(performance.now() - started).toFixed(2)} ms\tPhase: init\tStatus: error\tError Type: ${init.errorType}`);
      return { ok: false, ...init, durationMs: performance.now() - started };
    }
    const timeoutMs = this.options.fn.timeoutSeconds * 1000;
    env.currentRequestId = requestId;
    this.options.log(`START RequestId: ${requestId} Version: $LATEST`);
    const outcome = await this.run(env, event, requestId, timeoutMs, traceId).catch(
      (error: Error): InvokeOutcome => ({ ok: false, errorType: 'Runtime.Unknown', errorMessage: error.message, durationMs: 0 }),
    );
    const durationMs = performance.now() - started;
    this.options.log(`END RequestId: ${requestId}`);
    // Lambda's REPORT line, trailing tab included (live captures: DataBiosphere/azul#5720, 7 Dec 2023; billed per
    // 1 ms, rounded up: cargo-lambda/cargo-lambda#572, 1687.96 ms billed 1688 ms). Max Memory Used is left out
    // only when the environment died before it could report its memory. `Status:` on a failure is ours: no
    // capture we have shows Lambda's wording for it.
    const maxRssKb = env.sandbox.maxRssKb;
    const maxMemory = maxRssKb === undefined ? "" : `\tMax Memory Used: ${Math.ceil(maxRssKb / 1024)} MB`;
    // Billed from the printed duration, so that the line never contradicts itself ("Duration: 248.00 ms" with
    // "Billed Duration: 249 ms" when the unrounded value was 248.001): every live capture we cite agrees with it.
    const shown = durationMs.toFixed(2);
    this.options.log(
      `REPORT RequestId: ${requestId}\tDuration: ${shown} ms\tBilled Duration: ${Math.ceil(Number(shown))} ms` +
        `\tMemory Size: ${this.options.fn.memoryMb} MB${maxMemory}` +
        (outcome.ok ? '' : `\tStatus: ${outcome.errorType}`) +
        '\t',
    );
    this.release(env);
    return { ...outcome, durationMs };
  }

  /**
   * New code or configuration (a watch-mode reload): idle environments stop now, busy ones when their
   * invocation ends, so the next invocation starts an environment with the new function. Resolves once the
   * idle ones are gone (their inspector port is free again).
   */
  async replace(fn: FunctionModel, environment: Readonly<Record<string, string>>): Promise<void> {
    this.options = { ...this.options, fn, environment };
    const idle: ExecutionEnvironment[] = [];
    for (const env of this.environments) {
      env.stale = true;
      if (!env.busy) idle.push(env);
    }
    await Promise.all(idle.map((env) => this.destroy(env)));
  }

  /**
   * Starts one environment ahead of the next invocation (after a reload, as LocalStack's hot reloading
   * restarts the runtime right away). An init error is left for that invocation to report.
   */
  async warm(): Promise<void> {
    if (this.closed || [...this.environments].some((env) => !env.stale)) return;
    if (this.environments.size >= (this.options.maxEnvironments ?? 10)) return;
    try {
      await this.spawn().sandbox.ready;
    } catch {
      // Reported by the next invocation, as Lambda reports an init error.
    }
  }

  /** Stops every environment. Pending invocations fail. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.environments].map((env) => this.destroy(env)));
    await Promise.all([...this.sandboxes].map((sandbox) => sandbox.destroy()));
    for (const wake of this.waiting.splice(0)) wake();
  }

  private run(env: ExecutionEnvironment, event: unknown, requestId: string, timeoutMs: number, traceId: string): Promise<InvokeOutcome> {
    return new Promise<InvokeOutcome>((resolve) => {
      let settled = false;
      const finish = (outcome: InvokeOutcome, destroy: boolean): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        stopWatching();
        if (destroy) void this.destroy(env);
        resolve(outcome);
      };
      const stopWatching = env.sandbox.onExit((how) => {
        this.environments.delete(env);
        finish({ ok: false, errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: ${how}`, durationMs: 0 }, false);
      });
      const timer = setTimeout(() => {
        this.options.log(`${new Date().toISOString()} ${requestId} Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`);
        finish(
          { ok: false, errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`, durationMs: 0 },
          true,
        );
      }, timeoutMs);
      env.sandbox
        .invoke({ requestId, event, deadline: Date.now() + timeoutMs, functionArn: this.functionArn, traceId, ...(this.fault ? { fault: this.fault } : {}) })
        .then(
          (result) => {
            if (result.ok) return finish({ ok: true, result: parsePayload(result.payload), payload: result.payload, durationMs: 0 }, false);
            const { ok: _ok, ...error } = result;
            finish({ ...error, ok: false, durationMs: 0 }, false);
          },
          (error: Error) => finish({ ok: false, errorType: 'Runtime.Unknown', errorMessage: error.message, durationMs: 0 }, true),
        );
    });
  }

  private async acquire(): Promise<ExecutionEnvironment> {
    for (;;) {
      if (this.closed) throw new Error(`Function ${this.options.fn.functionName} is stopped.`);
      const idle = [...this.environments].find((env) => !env.busy && !env.stale);
      if (idle) {
        idle.busy = true;
        await idle.sandbox.ready;
        return idle;
      }
      if (this.environments.size < (this.options.maxEnvironments ?? 10)) {
        const env = this.spawn();
        env.busy = true;
        await env.sandbox.ready;
        return env;
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private release(env: ExecutionEnvironment): void {
    env.busy = false;
    delete env.currentRequestId;
    if (env.stale) {
      // Woken only once it has exited: with one environment at a time (debugging) its port must be free first.
      void this.destroy(env).then(() => this.waiting.shift()?.());
      return;
    }
    this.waiting.shift()?.();
  }

  private spawn(): ExecutionEnvironment {
    const { fn, runAs, execArgv } = this.options;
    const sandbox = (this.options.sandbox ?? processSandbox)({
      fn,
      functionEnvironment: this.options.environment,
      region: this.options.region,
      log: (line) => this.options.log(line),
      ...(runAs ? { runAs } : {}),
      ...(execArgv ? { execArgv } : {}),
    });
    const environment: ExecutionEnvironment = { sandbox, busy: false };
    this.sandboxes.add(sandbox);
    sandbox.ready.catch(() => this.environments.delete(environment));
    // An environment that ended by itself still has resources to release (a container to remove): close() waits for them.
    sandbox.onExit(() => {
      this.environments.delete(environment);
      void this.destroy(environment);
    });
    this.environments.add(environment);
    return environment;
  }

  private async destroy(env: ExecutionEnvironment): Promise<void> {
    this.environments.delete(env);
    await env.sandbox.destroy();
    this.sandboxes.delete(env.sandbox);
  }
}

/** The posted payload as JSON when it is JSON (a buffered result always is; a streamed body need not be). */
function parsePayload(payload: string): unknown {
  try {
    return JSON.parse(payload);
  } catch {
    return payload;
  }
}

function initError(error: unknown): LambdaError {
  return error instanceof InitError ? error.lambdaError : { errorType: 'Runtime.Unknown', errorMessage: (error as Error).message };
}

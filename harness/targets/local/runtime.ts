import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { FunctionModel } from '../../model/assembly.ts';
import { newTraceId } from './http-api.ts';
import { LAMBDA_LIMITS } from './limits.ts';

/**
 * Runs one function of the template locally the way Lambda does: each execution environment is a separate
 * Node process that handles one invocation at a time; more arrive → more environments (up to a limit), idle
 * ones are reused warm. The function's timeout is enforced by killing its process, and each environment gets
 * Lambda's limits that matter ({@link LAMBDA_LIMITS}).
 */


export type InvokeFault = 'crash' | 'hang';

/** Messages from the parent to an environment (bootstrap.ts). */
export type ParentMessage = {
  readonly type: 'invoke';
  readonly id: number;
  readonly requestId: string;
  readonly event: unknown;
  readonly deadline: number;
  readonly functionArn: string;
  /** `_X_AMZN_TRACE_ID` for this invocation. */
  readonly traceId: string;
  readonly fault?: InvokeFault;
};

/** An error as the runtime reports it (aws-lambda-nodejs-runtime-interface-client src/Errors.js, `toRapidResponse`). */
export interface LambdaError {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace?: readonly string[];
}

/** Messages from an environment to the parent. */
export type ChildMessage =
  | { type: 'ready' }
  | ({ type: 'init-error' } & LambdaError)
  /** `maxRssKb`: the environment's peak resident memory so far (`process.resourceUsage().maxRSS`), for REPORT. */
  | { type: 'result'; id: number; ok: true; payload: string; maxRssKb: number }
  /** `fatal`: the environment is ending (an error escaped the handler), so it takes no further invocation. */
  | ({ type: 'result'; id: number; ok: false; fatal?: true; maxRssKb: number } & LambdaError);

export type InvokeOutcome =
  /** `payload`: the JSON the runtime posted (what the Invoke API returns); `result`: the same, parsed. */
  | { readonly ok: true; readonly result: unknown; readonly payload: string; readonly durationMs: number }
  | ({ readonly ok: false; readonly durationMs: number } & LambdaError);

export interface FunctionRuntimeOptions {
  readonly fn: FunctionModel;
  /** The function's environment as it runs here (mount path already mapped to a host folder). */
  readonly environment: Readonly<Record<string, string>>;
  readonly region: string;
  readonly accountId: string;
  /** Most environments at once; further invocations wait for a free one. @default 10 */
  readonly maxEnvironments?: number;
  /**
   * POSIX user the environments run as (the access point's, as Lambda applies it to EFS access). Only
   * honoured when the harness runs as root. @default the harness's own user
   */
  readonly runAs?: { readonly uid: number; readonly gid: number };
  /** Receives every log line, formatted as Lambda writes them to CloudWatch Logs. */
  readonly log: (line: string) => void;
  /** Extra Node flags for each environment, e.g. `--inspect=127.0.0.1:9229` while debugging. @default none */
  readonly execArgv?: readonly string[];
}

const BOOTSTRAP = path.join(path.dirname(fileURLToPath(import.meta.url)), 'bootstrap.ts');

interface ExecutionEnvironment {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  busy: boolean;
  currentRequestId?: string;
  /** Runs code that a `replace` superseded: removed as soon as its invocation ends. */
  stale?: boolean;
  /** Peak resident memory it last reported; unknown when it died before its first result. */
  maxRssKb?: number;
}

export class FunctionRuntime {
  private readonly environments = new Set<ExecutionEnvironment>();
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
    const maxMemory = env.maxRssKb === undefined ? '' : `\tMax Memory Used: ${Math.ceil(env.maxRssKb / 1024)} MB`;
    this.options.log(
      `REPORT RequestId: ${requestId}\tDuration: ${durationMs.toFixed(2)} ms\tBilled Duration: ${Math.ceil(durationMs)} ms` +
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
      await this.spawn().ready;
    } catch {
      // Reported by the next invocation, as Lambda reports an init error.
    }
  }

  /** Stops every environment. Pending invocations fail. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.environments].map((env) => this.destroy(env)));
    for (const wake of this.waiting.splice(0)) wake();
  }

  private run(env: ExecutionEnvironment, event: unknown, requestId: string, timeoutMs: number, traceId: string): Promise<InvokeOutcome> {
    return new Promise<InvokeOutcome>((resolve) => {
      const id = this.nextId++;
      const finish = (outcome: InvokeOutcome, kill: boolean): void => {
        clearTimeout(timer);
        env.child.off('message', onMessage);
        env.child.off('exit', onExit);
        if (kill) void this.destroy(env);
        resolve(outcome);
      };
      const onMessage = (message: ChildMessage): void => {
        if (message.type !== 'result' || message.id !== id) return;
        env.maxRssKb = message.maxRssKb;
        if (message.ok) return finish({ ok: true, result: JSON.parse(message.payload), payload: message.payload, durationMs: 0 }, false);
        const { type: _type, id: _id, ok: _ok, fatal, maxRssKb: _maxRssKb, ...error } = message;
        finish({ ...error, ok: false, durationMs: 0 }, fatal === true);
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
        this.environments.delete(env);
        finish(
          {
            ok: false,
            errorType: 'Runtime.ExitError',
            errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: ${signal ? `signal: ${GO_SIGNAL_NAMES[signal] ?? signal}` : `exit status ${code}`}`,
            durationMs: 0,
          },
          false,
        );
      };
      const timer = setTimeout(() => {
        this.options.log(`${new Date().toISOString()} ${requestId} Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`);
        finish(
          { ok: false, errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`, durationMs: 0 },
          true,
        );
      }, timeoutMs);
      env.child.on('message', onMessage);
      env.child.on('exit', onExit);
      const message: ParentMessage = {
        type: 'invoke',
        id,
        requestId,
        event,
        deadline: Date.now() + timeoutMs,
        functionArn: this.functionArn,
        traceId,
        ...(this.fault ? { fault: this.fault } : {}),
      };
      env.child.send(message);
    });
  }

  private async acquire(): Promise<ExecutionEnvironment> {
    for (;;) {
      if (this.closed) throw new Error(`Function ${this.options.fn.functionName} is stopped.`);
      const idle = [...this.environments].find((env) => !env.busy && !env.stale);
      if (idle) {
        idle.busy = true;
        await idle.ready;
        return idle;
      }
      if (this.environments.size < (this.options.maxEnvironments ?? 10)) {
        const env = this.spawn();
        env.busy = true;
        await env.ready;
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
    const { fn, runAs } = this.options;
    // The function sees only its own environment and the variables Lambda defines
    // (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime),
    // never the harness's (which may hold credentials or tokens).
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      LANG: 'en_US.UTF-8',
      TZ: ':UTC',
      _HANDLER: fn.handler,
      AWS_REGION: this.options.region,
      AWS_DEFAULT_REGION: this.options.region,
      AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
      AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.functionName}`,
      AWS_LAMBDA_LOG_STREAM_NAME: newLogStreamName(),
      LAMBDA_TASK_ROOT: fn.assetDir,
      ...this.options.environment,
    };
    // Lambda's limits: 1,024 open files (set by the shell, which then becomes Node) and the memory size as the heap.
    const node = [
      process.execPath,
      `--max-old-space-size=${fn.memoryMb}`,
      ...(this.options.execArgv ?? []),
      BOOTSTRAP,
      fn.assetDir,
      fn.handler,
      ...(runAs ? [`${runAs.uid}:${runAs.gid}`] : []),
    ];
    const child = spawn('/bin/sh', ['-c', `ulimit -n ${LAMBDA_LIMITS.openFiles} 2>/dev/null; exec "$0" "$@"`, ...node], {
      cwd: fn.assetDir,
      env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const environment: ExecutionEnvironment = {
      child,
      busy: false,
      ready: new Promise<void>((resolve, reject) => {
        const onMessage = (message: ChildMessage): void => {
          if (message.type === 'ready') resolve();
          if (message.type === 'init-error') {
            const { type: _type, ...error } = message;
            reject(new InitError(error));
          }
        };
        child.on('message', onMessage);
        child.once('exit', (code) =>
          reject(new InitError({ errorType: 'Runtime.ExitError', errorMessage: `Runtime exited during init with error: exit status ${code}` })),
        );
      }),
    };
    environment.ready.catch(() => this.environments.delete(environment));
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream! }).on('line', (line) => {
        const level = stream === child.stderr ? 'ERROR' : 'INFO';
        this.options.log(`${new Date().toISOString()}\t${environment.currentRequestId ?? 'init'}\t${level}\t${line}`);
      });
    }
    child.once('exit', () => this.environments.delete(environment));
    this.environments.add(environment);
    return environment;
  }

  private async destroy(env: ExecutionEnvironment): Promise<void> {
    this.environments.delete(env);
    if (env.child.exitCode !== null || env.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => env.child.once('exit', () => resolve()));
    env.child.kill('SIGKILL');
    await exited;
  }
}

/**
 * How Lambda's Go init process words a runtime killed by a signal (Go's syscall.Signal strings): "Runtime exited with
 * error: signal: killed" (live capture: Sparticuz/chromium#21, 2022), "signal: segmentation fault" (awslabs/aws-lambda-cpp#30).
 */
const GO_SIGNAL_NAMES: Partial<Record<NodeJS.Signals, string>> = {
  SIGKILL: 'killed',
  SIGTERM: 'terminated',
  SIGSEGV: 'segmentation fault',
  SIGABRT: 'aborted',
  SIGBUS: 'bus error',
  SIGINT: 'interrupt',
};

/** An environment that failed its init phase, with the error the runtime reported. */
class InitError extends Error {
  readonly lambdaError: LambdaError;
  constructor(error: LambdaError) {
    super(error.errorMessage);
    this.lambdaError = error;
  }
}

function initError(error: unknown): LambdaError {
  return error instanceof InitError ? error.lambdaError : { errorType: 'Runtime.Unknown', errorMessage: (error as Error).message };
}

/** `2026/11/27/[$LATEST]<32 hex>`, the shape of Lambda's log stream names. */
function newLogStreamName(now: Date = new Date()): string {
  return `${now.toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${randomBytes(16).toString('hex')}`;
}

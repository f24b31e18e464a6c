import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { forwardLines } from '../../core/lines.ts';
import { lambdaEnvironment, nodeFlags } from './lambda-environment.ts';
import { LAMBDA_LIMITS } from './limits.ts';
import { ExitSignal, GO_SIGNAL_NAMES, InitError, type LambdaError, type Sandbox, type SandboxInvocation, type SandboxResult, type SandboxSpec } from './sandbox.ts';

/**
 * Process mode (the default): each execution environment is a Node process running bootstrap.ts, which loads
 * the bundle and behaves as the real runtime client does (checked by the differential test against
 * aws-lambda-ric in container mode). The harness talks to it over IPC: faster than the Runtime API over HTTP,
 * which container mode uses.
 */

/** Messages from the parent to an environment (bootstrap.ts). */
export type ParentMessage = { readonly type: 'invoke'; readonly id: number } & SandboxInvocation;

/** Messages from an environment to the parent. */
export type ChildMessage =
  | { type: 'ready' }
  | ({ type: 'init-error' } & LambdaError)
  /** `maxRssKb`: the environment's peak resident memory so far (`process.resourceUsage().maxRSS`), for REPORT. */
  | { type: 'result'; id: number; ok: true; payload: string; maxRssKb: number }
  | ({ type: 'result'; id: number; ok: false; maxRssKb: number } & LambdaError);

const BOOTSTRAP = path.join(path.dirname(fileURLToPath(import.meta.url)), 'bootstrap.ts');
let nextId = 1;

export const processSandbox = (spec: SandboxSpec): Sandbox => new ProcessSandbox(spec);

class ProcessSandbox implements Sandbox {
  readonly ready: Promise<void>;
  maxRssKb: number | undefined;
  private readonly child: ChildProcess;
  private readonly exit = new ExitSignal();

  constructor(spec: SandboxSpec) {
    const { fn, runAs } = spec;
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      ...lambdaEnvironment({ fn, region: spec.region, functionEnvironment: spec.functionEnvironment, taskRoot: fn.assetDir, runtimeDir: path.dirname(BOOTSTRAP) }),
    };
    // Lambda's limits: 1,024 open files (set by the shell, which then becomes Node) and the runtime's heap flags.
    const node = [process.execPath, ...nodeFlags(fn.memoryMb), ...(spec.execArgv ?? []), BOOTSTRAP, ...(runAs ? [`${runAs.uid}:${runAs.gid}`] : [])];
    this.child = spawn('/bin/sh', ['-c', `ulimit -n ${LAMBDA_LIMITS.openFiles} 2>/dev/null; exec "$0" "$@"`, ...node], {
      cwd: fn.assetDir,
      env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const child = this.child;
    this.ready = new Promise<void>((resolve, reject) => {
      const onMessage = (message: ChildMessage): void => {
        if (message.type === 'ready') resolve();
        if (message.type === 'init-error') {
          const { type: _type, ...error } = message;
          reject(new InitError(error));
        }
        if (message.type === 'ready' || message.type === 'init-error') child.off('message', onMessage);
      };
      child.on('message', onMessage);
      child.once('exit', (code) =>
        reject(new InitError({ errorType: 'Runtime.ExitError', errorMessage: `Runtime exited during init with error: exit status ${code}` })),
      );
    });
    this.ready.catch(() => {});
    // The bootstrap formats console lines as the runtime client does; anything else it writes goes to the log as it is.
    for (const stream of [child.stdout!, child.stderr!]) forwardLines(stream, spec.log);
    child.once('exit', (code, signal) => {
      this.exit.end(signal ? `signal: ${GO_SIGNAL_NAMES[signal] ?? signal}` : `exit status ${code}`);
    });
  }

  invoke(invocation: SandboxInvocation): Promise<SandboxResult> {
    const id = nextId++;
    return new Promise((resolve) => {
      const onMessage = (message: ChildMessage): void => {
        if (message.type !== 'result' || message.id !== id) return;
        this.child.off('message', onMessage);
        this.maxRssKb = message.maxRssKb;
        const { type: _type, id: _id, maxRssKb: _maxRssKb, ...result } = message;
        resolve(result);
      };
      this.child.on('message', onMessage);
      const message: ParentMessage = { type: 'invoke', id, ...invocation };
      this.child.send(message);
    });
  }

  onExit(listener: (how: string) => void): () => void {
    return this.exit.listen(listener);
  }

  async destroy(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL');
    await exited;
  }
}

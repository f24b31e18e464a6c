import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { LineSplitter } from '../core/lines.ts';
import { redact } from '../core/redact.ts';
import { PROJECT_ROOT } from '../core/run.ts';

/**
 * The AWS CDK CLI as the harness runs it: `cdk` (aws-cdk) against real AWS, `cdklocal` (aws-cdk-local, which
 * patches and then loads that same aws-cdk) against LocalStack. Both deploy the cloud assembly the harness
 * already synthesized (`--app <folder>`), so the CLI never runs the app again and deploys exactly the
 * template the harness read its model from.
 */

export type CdkCli = 'cdk' | 'cdklocal';

export interface CdkCommand {
  /** The executable: this Node, so that a provisioned Node also runs the CLI. */
  readonly command: string;
  readonly args: readonly string[];
  /** The child's whole environment (nothing else is inherited). */
  readonly env: NodeJS.ProcessEnv;
}

/** The CLIs' entry scripts, run with this Node rather than through `node_modules/.bin` and its shebang. */
const ENTRY_POINTS: Record<CdkCli, string> = {
  cdk: path.join(PROJECT_ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk'),
  cdklocal: path.join(PROJECT_ROOT, 'node_modules', 'aws-cdk-local', 'bin', 'cdklocal'),
};

/** Flags for every run: CI-style output (no prompts, no live redraws), no notices fetched from the internet. */
const COMMON_FLAGS = ['--ci', '--no-notices'] as const;

/** How many of the CLI's last lines a failure carries. */
export const TAIL_LINES = 40;

/** Keys and values CloudFormation accepts as stack tags (`cdk deploy --tags` passes them on). */
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;

function command(cli: CdkCli, args: string[], env: NodeJS.ProcessEnv): CdkCommand {
  return { command: process.execPath, args: [ENTRY_POINTS[cli], ...args], env };
}

export interface DeployCommandOptions {
  readonly cli: CdkCli;
  readonly assemblyDir: string;
  readonly stackName: string;
  /** Where the CLI writes the stack's outputs (JSON: `{ [stackName]: { [output]: value } }`). */
  readonly outputsFile: string;
  /** Stack tags; CloudFormation copies them onto every resource that takes tags. */
  readonly tags?: Readonly<Record<string, string>>;
  readonly env: NodeJS.ProcessEnv;
}

/** `cdk deploy` of one stack from a synthesized assembly, without approval prompts. */
export function cdkDeployCommand(options: DeployCommandOptions): CdkCommand {
  const tagArgs = Object.entries(options.tags ?? {}).flatMap(([key, value]) => {
    if (!TAG_KEY.test(key) || key.toLowerCase().startsWith('aws:')) throw new Error(`Stack tag key "${key}" is not a valid CloudFormation tag key.`);
    if (!TAG_VALUE.test(value)) throw new Error(`Stack tag ${key}="${value}" is not a valid CloudFormation tag value.`);
    return ['--tags', `${key}=${value}`];
  });
  return command(
    options.cli,
    [
      'deploy',
      options.stackName,
      '--app',
      options.assemblyDir,
      '--require-approval',
      'never',
      '--outputs-file',
      options.outputsFile,
      ...tagArgs,
      // One line per stack event: readable in CI logs and in the harness's progress (deploy's own option).
      '--progress',
      'events',
      ...COMMON_FLAGS,
    ],
    options.env,
  );
}

export interface DestroyCommandOptions {
  readonly cli: CdkCli;
  readonly assemblyDir: string;
  readonly stackName: string;
  readonly env: NodeJS.ProcessEnv;
}

/** `cdk destroy` of one stack, without the confirmation prompt. */
export function cdkDestroyCommand(options: DestroyCommandOptions): CdkCommand {
  return command(options.cli, ['destroy', options.stackName, '--app', options.assemblyDir, '--force', ...COMMON_FLAGS], options.env);
}

export interface BootstrapCommandOptions {
  readonly cli: CdkCli;
  readonly assemblyDir: string;
  readonly env: NodeJS.ProcessEnv;
  /**
   * `aws://<account>/<region>`. The app's stacks are environment-agnostic, so without it the CLI bootstraps
   * the account and region of the credentials it finds.
   */
  readonly environment?: string;
}

/** `cdk bootstrap`: the staging bucket and roles that `cdk deploy` uploads assets through. */
export function cdkBootstrapCommand(options: BootstrapCommandOptions): CdkCommand {
  if (options.environment !== undefined && !/^aws:\/\/\d{12}\/[a-z]{2}(-[a-z]+)+-\d$/.test(options.environment)) {
    throw new Error(`"${options.environment}" is not a CDK environment: expected aws://<12-digit account>/<region>.`);
  }
  return command(
    options.cli,
    ['bootstrap', ...(options.environment ? [options.environment] : []), '--app', options.assemblyDir, ...COMMON_FLAGS],
    options.env,
  );
}

/** A CDK CLI run that failed: its exit code (null when killed) and its last lines, already redacted. */
export class CdkError extends Error {
  readonly exitCode: number | null;
  readonly tail: readonly string[];

  constructor(message: string, exitCode: number | null, tail: readonly string[]) {
    super(message);
    this.name = 'CdkError';
    this.exitCode = exitCode;
    this.tail = tail;
  }
}

export interface RunCdkOptions {
  /** Each line of output (stdout and stderr), redacted, as it comes. */
  readonly onLine?: (line: string) => void;
  /** Aborting kills the CLI and everything it started (cdklocal runs cdk as a child). */
  readonly signal?: AbortSignal;
  /** Every line is appended here too (redacted). */
  readonly logFile?: string;
}

/** Time a killed CLI gets to exit on SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 5_000;

/**
 * Runs a CDK CLI command, streaming its output line by line through `redact`. Resolves with the whole
 * (redacted) output; rejects with a `CdkError` that names the command and carries its last lines.
 */
export function runCdk(cmd: CdkCommand, options: RunCdkOptions = {}): Promise<string> {
  const label = `${path.basename(cmd.args[0] ?? cmd.command)} ${cmd.args[1] ?? ''}`.trim();
  // Merged once, not per line: the secrets of this process and of the child's environment.
  const secrets = { ...process.env, ...cmd.env };
  const clean = (text: string) => redact(text, secrets);
  if (options.signal?.aborted) return Promise.reject(new CdkError(`\`${label}\` was not started: aborted.`, null, []));

  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    const tail: string[] = [];
    const posix = process.platform !== 'win32';
    // Its own process group on POSIX, so that aborting also stops the `cdk` that `cdklocal` spawns.
    const child = spawn(cmd.command, [...cmd.args], { env: cmd.env, stdio: ['ignore', 'pipe', 'pipe'], detached: posix });

    const emit = (raw: string) => {
      const line = clean(raw);
      lines.push(line);
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      if (options.logFile) appendFileSync(options.logFile, `${line}\n`);
      options.onLine?.(line);
    };
    for (const stream of [child.stdout, child.stderr]) {
      const lines = new LineSplitter(emit);
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => lines.push(chunk));
      stream.on('end', () => lines.end());
    }

    let killTimer: NodeJS.Timeout | undefined;
    const kill = (signal: NodeJS.Signals) => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      try {
        if (posix) process.kill(-child.pid, signal);
        else child.kill(signal);
      } catch {
        // Already gone.
      }
    };
    const onAbort = () => {
      kill('SIGTERM');
      killTimer = setTimeout(() => kill('SIGKILL'), KILL_GRACE_MS);
      killTimer.unref();
    };
    // If this process exits while the CLI runs (an uncaught error), the CLI does not outlive it.
    const onExit = () => kill('SIGKILL');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    process.once('exit', onExit);

    const done = () => {
      options.signal?.removeEventListener('abort', onAbort);
      process.removeListener('exit', onExit);
      if (killTimer) clearTimeout(killTimer);
    };
    child.on('error', (error) => {
      done();
      reject(new CdkError(`\`${label}\` could not start: ${clean(error.message)}`, null, []));
    });
    child.on('close', (code, signal) => {
      done();
      if (code === 0) return resolve(lines.join('\n'));
      const how = options.signal?.aborted ? 'was aborted' : signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const shown = tail.length > 0 ? `; its last ${tail.length} lines:\n${tail.map((l) => `  ${l}`).join('\n')}` : ' without output';
      reject(new CdkError(`\`${label}\` ${how}${shown}`, code, [...tail]));
    });
  });
}

/** The outputs of one stack from the file `cdk deploy --outputs-file` wrote. */
export function readOutputs(outputsFile: string, stackName: string): Record<string, string> {
  if (!existsSync(outputsFile)) throw new Error(`The CDK CLI wrote no outputs file at ${outputsFile}: did the deploy finish?`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(outputsFile, 'utf8'));
  } catch (error) {
    throw new Error(`The outputs file ${outputsFile} is not JSON: ${(error as Error).message}`);
  }
  const outputs = (parsed as Record<string, unknown> | null)?.[stackName];
  if (typeof outputs !== 'object' || outputs === null) {
    const stacks = Object.keys((parsed as object | null) ?? {});
    throw new Error(`The outputs file ${outputsFile} has no outputs for stack "${stackName}" (it has: ${stacks.join(', ') || 'none'}).`);
  }
  return Object.fromEntries(Object.entries(outputs).map(([key, value]) => [key, String(value)]));
}

/** An output that must be there, with a message that says which is missing. */
export function requireOutput(outputs: Record<string, string>, name: string, stackName: string): string {
  const value = outputs[name];
  if (value === undefined || value === '') {
    throw new Error(`Stack "${stackName}" has no output ${name} (it has: ${Object.keys(outputs).join(', ') || 'none'}).`);
  }
  return value;
}

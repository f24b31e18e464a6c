import path from 'node:path';
import type { PatternModel } from '../../model/assembly.ts';
import { awsApi, type AwsApi, type WaitOutcome, withoutFinalPeriod } from './api.ts';
import { CONCURRENT_WRITERS, concurrencyLimit, concurrentWriters } from './concurrency.ts';
import { checkAwsAccess } from './guard.ts';
import { awsStackName, EXPIRES_AT_TAG, expiryTime, harnessTags } from './stack.ts';
import { type CdkCommand, cdkDeployCommand, cdkDestroyCommand, readOutputs, requireOutput, type RunCdkOptions, runCdk } from '../../model/cdk.ts';
import { connect } from '../../launch/connect.ts';
import type { EnvironmentInfo } from '../../core/environment.ts';
import { formatMs } from '../../core/progress.ts';
import { redact } from '../../core/redact.ts';
import type { StartTarget, TargetContext } from '../../model/target.ts';

/**
 * Real AWS: `cdk deploy` of a stack named after the run (with the read-only inspector, since EFS is reachable
 * only inside the VPC), in the one account HARNESS_AWS_ACCOUNT names. Its deletion is registered before the
 * deploy starts, so that a failed or interrupted deploy is removed too, and it is waited for until the stack
 * is really gone: a VPC function's network interfaces can hold a deletion up for many minutes.
 */

export interface AwsTimings {
  /** Longest wait for a stack deletion (Lambda releases VPC network interfaces slowly). */
  readonly stackDeleteSeconds: number;
  /** Longest wait for a function to leave `Pending`. */
  readonly functionActiveSeconds: number;
  /** Longest wait for the first 200 from the API. */
  readonly firstAnswerMs: number;
  readonly pollIntervalMs: number;
  /** Per request; API Gateway itself gives up on an integration after 30 s. */
  readonly requestTimeoutMs: number;
  /** How often a line says that a deletion is still running. */
  readonly tickMs: number;
}

export const DEFAULT_TIMINGS: AwsTimings = {
  stackDeleteSeconds: 45 * 60,
  functionActiveSeconds: 10 * 60,
  firstAnswerMs: 5 * 60_000,
  pollIntervalMs: 5_000,
  requestTimeoutMs: 30_000,
  tickMs: 60_000,
};

/** Everything the target does outside this process, injectable so that tests need neither AWS nor the CLI. */
export interface AwsTargetDeps {
  /** AWS calls in a region (STS, CloudFormation, Lambda). */
  readonly aws: (region: string) => AwsApi;
  readonly runCdk: (command: CdkCommand, options?: RunCdkOptions) => Promise<string>;
  /** One GET with a timeout; resolves with any status, rejects when no answer came. */
  readonly httpGet: (url: string, timeoutMs: number) => Promise<{ status: number; body: string }>;
  /** A function's recent log lines, read the way scenarios read them (CloudWatch Logs). */
  readonly functionLogs: (info: EnvironmentInfo, functionName: string) => Promise<string[]>;
  readonly now: () => Date;
  readonly timings: AwsTimings;
}

const DEFAULT_DEPS: AwsTargetDeps = {
  aws: (region) => awsApi(region),
  runCdk,
  httpGet: async (url, timeoutMs) => {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, body: await res.text() };
  },
  functionLogs: (info, functionName) => connect({ ...info, functionName }).logs(),
  now: () => new Date(),
  timings: DEFAULT_TIMINGS,
};

/** Log lines per function attached to a failure: the end is where the error is. */
const LOG_LINES_ATTACHED = 40;

export type AwsTargetOverrides = Partial<Omit<AwsTargetDeps, 'timings'>> & { readonly timings?: Partial<AwsTimings> };

export function createAwsTarget(overrides: AwsTargetOverrides = {}): StartTarget {
  const deps: AwsTargetDeps = { ...DEFAULT_DEPS, ...overrides, timings: { ...DEFAULT_TIMINGS, ...overrides.timings } };
  return (ctx) => startOnAws(ctx, deps);
}

export const start: StartTarget = createAwsTarget();

async function startOnAws(ctx: TargetContext, deps: AwsTargetDeps): Promise<{ info: EnvironmentInfo; teardown: () => Promise<void> }> {
  const { progress, env } = ctx;
  const clean = (text: string) => redact(text, env);
  // Settings are checked before anything is synthesized or deployed: a wrong one costs nothing.
  const { account, region } = await progress.phase('check AWS account and region', () => checkAwsAccess(env, (r) => deps.aws(r).callerIdentity()));
  const aws = deps.aws(region);
  const stackName = awsStackName(ctx.runId);
  const expiresAt = expiryTime(deps.now(), env.HARNESS_AWS_TTL);
  const keep = keepStack(env);
  const reservedConcurrency = reservedConcurrencyOf(env);
  const throttle = throttleOf(env);
  progress.info(`AWS account ${account}, region ${region}: stack ${stackName}, expires ${expiresAt.toISOString()}${keep ? ', kept (HARNESS_KEEP)' : ''}`);
  // Read before anything is deployed: a missing permission fails the run in seconds, not after the deploy.
  const concurrency = await progress.phase("read the account's Lambda concurrency (GetAccountSettings)", async () => {
    try {
      return concurrencyLimit(await aws.accountConcurrency(), reservedConcurrency, throttle?.burstLimit);
    } catch (error) {
      throw new Error(
        clean(`Reading the Lambda concurrency quota of account ${account} in ${region} failed (${(error as Error).name}): ${(error as Error).message}. The role needs lambda:GetAccountSettings.`),
        { cause: error },
      );
    }
  });
  const writers = concurrentWriters({ target: 'aws', concurrencyLimit: concurrency.limit });
  progress.info(
    `Lambda concurrency: ${concurrency.reason}; the concurrency scenario sends ${writers.writers} writes at once` +
      (writers.note ? ` (${CONCURRENT_WRITERS} on the other targets)` : ''),
  );

  const model = await progress.phase('synthesize CDK app', () =>
    // Bound to the checked account and region: the CDK CLI itself then refuses credentials of another account.
    ctx.synth({
      stackName,
      inspector: true,
      outdir: path.join(ctx.runDir, 'cdk.out'),
      env: { account, region },
      ...(reservedConcurrency === undefined ? {} : { reservedConcurrency }),
      ...(throttle === undefined ? {} : { throttle }),
    }),
  );
  const mount = model.apiFunction.mount;
  if (!mount) throw new Error(`Function ${model.apiFunction.functionName} mounts no file system in ${model.templatePath}.`);
  if (!model.inspectorFunction) throw new Error(`No inspector function in ${model.templatePath}: synthesized without inspector: true?`);
  const greeting = greetingPath(model);

  // Without AWS_REGION the CLI would take a profile's region: the one the guard checked is passed explicitly.
  const cdkEnv = { ...env, AWS_REGION: region, AWS_DEFAULT_REGION: region };
  const removal = removalCommands(stackName, region, expiresAt);
  const stack = { stackName, region, account, assemblyDir: model.assemblyDir, cdkEnv, removal };

  // Registered before the deploy: a deploy that fails or is interrupted half way still leaves a stack.
  ctx.cleanup.add(
    `stack ${stackName}`,
    keep
      ? () => progress.info(`HARNESS_KEEP: stack ${stackName} stays in account ${account}, ${region}, and costs money while it exists. Remove it with:\n${removal}`)
      : () => destroyStack(ctx, deps, aws, stack),
  );
  const deploying = new AbortController();
  // Newer than the stack's removal, so it runs first: Ctrl-C stops the CLI, then the stack is deleted.
  const stopDeploy = ctx.cleanup.add(`cdk deploy of ${stackName}`, () => deploying.abort());
  const outputsFile = path.join(ctx.runDir, 'outputs.json');
  try {
    await progress.phase(`deploy stack ${stackName} (VPC, EFS and VPC functions take 5-15 min)`, () =>
      deps.runCdk(
        cdkDeployCommand({ cli: 'cdk', assemblyDir: model.assemblyDir, stackName, outputsFile, tags: harnessTags(ctx.runId, expiresAt), env: cdkEnv }),
        { onLine: (line) => progress.info(line), signal: deploying.signal, logFile: path.join(ctx.runDir, 'deploy.log') },
      ),
    );
  } catch (error) {
    if (deploying.signal.aborted) throw error;
    const events = await aws.failedStackEvents(stackName).catch((e: Error) => [`(reading the stack's events failed: ${e.name}: ${e.message})`]);
    const bootstrap = /bootstrap/i.test((error as Error).message)
      ? `\nBootstrap the account once (as an administrator): npx cdk bootstrap aws://${account}/${region}`
      : '';
    throw new Error(clean(`Deploying stack ${stackName} failed: ${(error as Error).message}${listed('Failed stack events (oldest first)', events)}${bootstrap}`), {
      cause: error,
    });
  } finally {
    await stopDeploy();
  }

  const outputs = readOutputs(outputsFile, stackName);
  const functionName = requireOutput(outputs, 'FunctionName', stackName);
  const inspectorFunctionName = requireOutput(outputs, 'InspectorFunctionName', stackName);
  const info: EnvironmentInfo = {
    target: 'aws',
    apiUrl: normalizeApiUrl(requireOutput(outputs, 'ApiUrl', stackName)),
    mountPath: mount.mountPath,
    functionName,
    inspectorFunctionName,
    functionTimeoutSeconds: model.apiFunction.timeoutSeconds,
    region,
    faults: [],
    runDir: ctx.runDir,
    runId: ctx.runId,
    concurrencyLimit: concurrency.limit,
  };

  try {
    await progress.phase('wait until the functions are Active', () =>
      Promise.all([functionName, inspectorFunctionName].map((name) => waitActive(aws, name, deps.timings.functionActiveSeconds))),
    );
    const url = `${info.apiUrl}${greeting}`;
    await progress.phase(`wait for the first 200 from ${url}`, () => waitForFirst200(url, deps));
  } catch (error) {
    throw new Error(clean(`${(error as Error).message}${await logLines(deps, info, [functionName, inspectorFunctionName])}`), { cause: error });
  }
  progress.info(`API ${info.apiUrl}, function ${functionName}, inspector ${inspectorFunctionName}`);
  // The stack's removal is registered with ctx.cleanup, which the harness runs after this.
  return { info, teardown: () => Promise.resolve() };
}

interface DeployedStack {
  readonly stackName: string;
  readonly region: string;
  readonly account: string;
  readonly assemblyDir: string;
  readonly cdkEnv: NodeJS.ProcessEnv;
  /** How a person removes it by hand. */
  readonly removal: string;
}

/**
 * `cdk destroy`, then waits until CloudFormation says the stack is gone. A deletion held up by a VPC
 * function's network interfaces is waited for (with a line every minute), not reported early.
 */
async function destroyStack(ctx: TargetContext, deps: AwsTargetDeps, aws: AwsApi, stack: DeployedStack): Promise<void> {
  const { progress } = ctx;
  const { stackName } = stack;
  const { timings } = deps;
  const clean = (text: string) => redact(text, ctx.env);
  await progress.phase(`delete stack ${stackName} (up to ${timings.stackDeleteSeconds / 60} min: VPC network interfaces are released slowly)`, async () => {
    const started = Date.now();
    const ticker = setInterval(() => progress.info(`still deleting ${stackName} after ${formatMs(Date.now() - started)}`), timings.tickMs);
    ticker.unref();
    try {
      let destroyError: Error | undefined;
      try {
        await deps.runCdk(cdkDestroyCommand({ cli: 'cdk', assemblyDir: stack.assemblyDir, stackName, env: stack.cdkEnv }), {
          onLine: (line) => progress.info(line),
          logFile: path.join(ctx.runDir, 'destroy.log'),
        });
      } catch (error) {
        destroyError = error as Error;
      }
      let outcome: WaitOutcome;
      if (destroyError) {
        // A failed `cdk destroy` may still have started the deletion (then it is waited for), or left the stack
        // as it was, or DELETE_FAILED: one look decides, instead of waiting 45 min for a deletion that never started.
        const now = await aws.stack(stackName).catch((e: Error) => ({ status: `unknown (DescribeStacks failed: ${e.name}: ${e.message})`, statusReason: undefined }));
        if (!now) return;
        outcome =
          now.status === 'DELETE_IN_PROGRESS'
            ? await aws.waitStackDeleted(stackName, timings.stackDeleteSeconds)
            : { ok: false, timedOut: false, detail: `${now.status}${now.statusReason ? `: ${now.statusReason}` : ''}` };
      } else {
        outcome = await aws.waitStackDeleted(stackName, timings.stackDeleteSeconds);
      }
      if (outcome.ok) return;
      const events = await aws.failedStackEvents(stackName).catch(() => []);
      const detail = withoutFinalPeriod(outcome.detail);
      const what = outcome.timedOut
        ? `is still being deleted after ${formatMs(timings.stackDeleteSeconds * 1000)} (${detail}); CloudFormation goes on, check it later`
        : `was not deleted: ${detail}`;
      throw new Error(
        clean(
          `Stack ${stackName} in account ${stack.account}, ${stack.region} ${what}.` +
            (destroyError ? `\ncdk destroy: ${destroyError.message}` : '') +
            listed('Failed resources (oldest first)', events) +
            '\nIt costs money until it is gone. ' +
            (outcome.detail.startsWith('DELETE_FAILED')
              ? 'A DELETE_FAILED is usually a network interface that Lambda had not released yet: wait a few minutes, then remove it with:\n'
              : outcome.timedOut
                ? 'If it ends DELETE_FAILED, remove it with:\n'
                : 'Fix the cause above (credentials, network), then remove it with:\n') +
            stack.removal,
        ),
        { cause: destroyError },
      );
    } finally {
      clearInterval(ticker);
    }
  });
}

async function waitActive(aws: AwsApi, functionName: string, maxWaitSeconds: number): Promise<void> {
  const outcome = await aws.waitFunctionActive(functionName, maxWaitSeconds);
  if (outcome.ok) return;
  if (outcome.timedOut) {
    throw new Error(
      `Function ${functionName} did not become Active within ${formatMs(maxWaitSeconds * 1000)} (${outcome.detail}). ` +
        'A VPC function stays Pending while Lambda creates its network interfaces in the subnets; this long means something holds it up (ENI quota, subnet IP addresses).',
    );
  }
  throw new Error(`Function ${functionName} did not become Active: ${withoutFinalPeriod(outcome.detail)}.`);
}

/** Polls until the URL answers 200: right after `Active` a new function can still answer 5xx for a moment. */
async function waitForFirst200(url: string, deps: AwsTargetDeps): Promise<void> {
  const { firstAnswerMs, pollIntervalMs, requestTimeoutMs } = deps.timings;
  const deadline = Date.now() + firstAnswerMs;
  let last = 'no request finished';
  for (;;) {
    try {
      const { status, body } = await deps.httpGet(url, requestTimeoutMs);
      if (status === 200) return;
      last = `HTTP ${status} ${body.slice(0, 300)}`;
    } catch (error) {
      last = `${(error as Error).name}: ${(error as Error).message}`;
    }
    if (Date.now() + pollIntervalMs > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
  }
  throw new Error(`GET ${url} did not answer 200 within ${formatMs(firstAnswerMs)}; the last answer: ${last}.`);
}

/** The function's last log lines, for a failure message ("" when none could be read or there are none). */
async function logLines(deps: AwsTargetDeps, info: EnvironmentInfo, functionNames: readonly string[]): Promise<string> {
  const parts = await Promise.all(
    functionNames.map(async (name) => {
      const lines = await deps.functionLogs(info, name).catch((e: Error) => [`(reading them failed: ${e.name}: ${e.message})`]);
      return listed(`Last log lines of ${name} (CloudWatch Logs /aws/lambda/${name})`, lines.slice(-LOG_LINES_ATTACHED), '(none in the last 15 min)');
    }),
  );
  return parts.join('');
}

function listed(title: string, lines: readonly string[], whenEmpty?: string): string {
  if (lines.length === 0) return whenEmpty ? `\n${title}: ${whenEmpty}` : '';
  return `\n${title}:\n${lines.map((l) => `  ${l}`).join('\n')}`;
}

/** The stack output `ApiUrl` ends with a slash; `EnvironmentInfo.apiUrl` has none. */
export function normalizeApiUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`The stack's ApiUrl output "${url}" is not a URL.`);
  }
  return parsed.href.replace(/\/+$/, '');
}

/** The walkthrough's greeting route (`ANY /myHelloVPCLambda`), read from the template: the first request goes there. */
export function greetingPath(model: Pick<PatternModel, 'routes' | 'templatePath'>): string {
  const route = model.routes.find((r) => r.method === 'ANY' && !r.path.includes('{'));
  if (!route) throw new Error(`No ANY route without parameters in ${model.templatePath}: nothing to send the first request to.`);
  return route.path;
}

/** HARNESS_AWS_RESERVED_CONCURRENCY: unset or empty reserves nothing; otherwise a whole number of at least 1. */
export function reservedConcurrencyOf(env: NodeJS.ProcessEnv): number | undefined {
  const value = env.HARNESS_AWS_RESERVED_CONCURRENCY?.trim();
  if (!value) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new Error(
      `HARNESS_AWS_RESERVED_CONCURRENCY="${env.HARNESS_AWS_RESERVED_CONCURRENCY}" is not a whole number of at least 1: ` +
        'set the most instances the API function may run at once (e.g. 20), or unset it to reserve nothing.',
    );
  }
  return Number(value);
}

/**
 * HARNESS_AWS_THROTTLE=<rate>/<burst> (requests per second / requests in a burst) for the `$default` stage;
 * unset or empty keeps infra's default.
 */
export function throttleOf(env: NodeJS.ProcessEnv): { rateLimit: number; burstLimit: number } | undefined {
  const value = env.HARNESS_AWS_THROTTLE?.trim();
  if (!value) return undefined;
  const match = /^(\d+(?:\.\d+)?)\/(\d+)$/.exec(value);
  if (!match || !(Number(match[1]) > 0) || !(Number(match[2]) > 0)) {
    throw new Error(
      `HARNESS_AWS_THROTTLE="${env.HARNESS_AWS_THROTTLE}" is not <requests per second>/<burst>: set for example ` +
        'HARNESS_AWS_THROTTLE=50/200 (both above 0), or unset it for the default.',
    );
  }
  return { rateLimit: Number(match[1]), burstLimit: Number(match[2]) };
}

/** HARNESS_KEEP=1 keeps the stack; unset, empty or 0 deletes it; anything else is a mistake worth stopping for. */
export function keepStack(env: NodeJS.ProcessEnv): boolean {
  const value = env.HARNESS_KEEP?.trim().toLowerCase() ?? '';
  if (['1', 'true', 'yes'].includes(value)) return true;
  if (['', '0', 'false', 'no'].includes(value)) return false;
  throw new Error(`HARNESS_KEEP="${env.HARNESS_KEEP}" is not understood: set HARNESS_KEEP=1 to keep the stack after the run, or unset it.`);
}

/** The commands that remove the stack without this run (also after its run folder is pruned). */
export function removalCommands(stackName: string, region: string, expiresAt: Date): string {
  return (
    `  AWS_REGION=${region} HARNESS_STACK_NAME=${stackName} HARNESS_INSPECTOR=1 npx cdk destroy ${stackName} --force\n` +
    `or: aws cloudformation delete-stack --stack-name ${stackName} --region ${region}\n` +
    `or, after it expires at ${expiresAt.toISOString()} (tag ${EXPIRES_AT_TAG}): AWS_REGION=${region} npm run sweep -- --yes`
  );
}

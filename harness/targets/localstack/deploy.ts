import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { PatternModel } from '../../model/assembly.ts';
import type { EnvironmentInfo } from '../../core/environment.ts';
import { cdkBootstrapCommand, cdkDeployCommand, cdkDestroyCommand, readOutputs, requireOutput, runCdk } from '../../model/cdk.ts';
import type { Progress } from '../../core/progress.ts';
import { redact } from '../../core/redact.ts';
import { cdklocalEnvironment, s3EndpointFor } from './cdklocal-env.ts';
import { PLAN_HELP } from './container.ts';
import { bridgeOnlyTemplate } from './bridge-only.ts';
import { type EfsDecision, decideEfs, efsSetting } from './efs-mode.ts';
import { ASSEMBLY_HASH_TAG, type DeployedStack, type EmulatorApi, emulatorApi } from './emulator-api.ts';
import { requireHealthy } from './health-proof.ts';
import { writeVariantAssembly } from './variant-assembly.ts';

/**
 * Deploying the pattern into LocalStack, shared by the `localstack` and `endpoint` targets and the deploy
 * CLI: the EFS API decides between the full template and its bridge-only variant (efs-mode.ts), then
 * `cdklocal bootstrap` + `cdklocal deploy` of the synthesized assembly, a check that what CloudFormation
 * reports really exists, waiting for the function to be `Active`, and `GET <api>/health` answering 200
 * (the proof that the function writes through the EFS bridge). Any failure carries the stack's failed
 * events, the function's log lines and the container's last log lines.
 */

export const REGION = 'us-east-1';
/** LocalStack's default account. */
export const ACCOUNT_ID = '000000000000';
/** How long a function may stay `Pending` (LocalStack pulls the runtime image on first use). */
export const ACTIVE_WAIT_SECONDS = 180;
/** Log lines of each function and of the container attached to a failure. */
export const DIAGNOSTIC_LINES = 50;

/**
 * Infra prefixes function names with the stack name and Lambda allows 64 characters:
 * 64 - "-myHelloVPCLambda".length = 47. Kept shorter, infra checks the exact limit anyway.
 */
const MAX_STACK_NAME = 40;

/** A CloudFormation stack name for a run: letters, digits and hyphens, starting with a letter. */
export function stackNameFor(runId: string, prefix = 'harness'): string {
  const shaped = `${prefix}-${runId}`.replace(/[^A-Za-z0-9-]+/g, '-').replace(/-{2,}/g, '-').replace(/^[^A-Za-z]+/, '');
  return shaped.slice(0, MAX_STACK_NAME).replace(/-+$/, '') || prefix;
}

/** Path-style URL of the HTTP API's `$default` stage: needs no DNS, unlike `<apiId>.execute-api.localhost...`. */
export function apiUrlFor(endpoint: string, apiId: string): string {
  return `${endpoint.replace(/\/+$/, '')}/_aws/execute-api/${encodeURIComponent(apiId)}/$default`;
}

export type DeployDecision =
  | { readonly action: 'skip'; readonly reason: string }
  | { readonly action: 'deploy'; readonly reason: string }
  | { readonly action: 'recreate'; readonly reason: string };

const COMPLETE = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE']);

/**
 * Deploy, skip, or destroy and deploy again. A stack deployed from the same template (its hash tag) and in a
 * complete state is kept; any other existing stack is re-created rather than updated (LocalStack's updates of
 * VPC resources are less reliable than creates).
 */
export function decideDeploy(deployed: DeployedStack | undefined, hash: string): DeployDecision {
  if (!deployed) return { action: 'deploy', reason: 'no stack yet' };
  if (deployed.hash === hash && COMPLETE.has(deployed.status)) {
    return { action: 'skip', reason: `deployed from the same template (hash ${hash.slice(0, 12)}), ${deployed.status}` };
  }
  if (deployed.hash !== hash) {
    return { action: 'recreate', reason: `deployed from another template (hash ${deployed.hash?.slice(0, 12) ?? 'none'}, now ${hash.slice(0, 12)})` };
  }
  return { action: 'recreate', reason: `same template but the stack is ${deployed.status}` };
}

export interface DeployPatternOptions {
  readonly endpoint: string;
  readonly stackName: string;
  readonly model: PatternModel;
  /** deploy.log and outputs.json go here. */
  readonly runDir: string;
  /** The harness's environment (cdklocal's is derived from it; secrets in it are redacted from errors). */
  readonly env: NodeJS.ProcessEnv;
  readonly progress: Progress;
  /** Keep a stack deployed from the same template (reuse, endpoint). @default false: always deploy */
  readonly keepCurrent?: boolean;
  /**
   * With keepCurrent: update a complete stack from another template instead of re-creating it, so that its API
   * id (and URL) stays: watch mode's redeploys. @default false
   */
  readonly updateInPlace?: boolean;
  /** The container's latest log lines, for failures. */
  readonly containerLog?: () => readonly string[];
  /** What carries the bridge into the function (`bind` or `volume`), for the diagnosis of a failed /health. */
  readonly bridge: string;
  /** How long /health may fail while the function starts. @default HEALTH_WAIT_SECONDS */
  readonly healthWaitSeconds?: number;
  readonly api?: EmulatorApi;
  readonly runCdk?: typeof runCdk;
  readonly signal?: AbortSignal;
}

/** cdklocal's environment for the emulator at `endpoint`, in this module's region. */
async function cdklocalEnvironmentFor(options: Pick<DeployPatternOptions, 'endpoint' | 'env'>): Promise<NodeJS.ProcessEnv> {
  return cdklocalEnvironment({ endpoint: options.endpoint, s3Endpoint: await s3EndpointFor(options.endpoint), region: REGION, base: options.env });
}

export interface Deployment {
  readonly stackName: string;
  readonly apiId: string;
  readonly apiUrl: string;
  readonly functionName: string;
  /** False when an up-to-date stack was kept. */
  readonly deployed: boolean;
  /** Full template (`api`) or the variant without AWS::EFS::* (`bridge-only`), and why. */
  readonly efs: EfsDecision;
}

export async function deployPattern(options: DeployPatternOptions): Promise<Deployment> {
  const { model, stackName, progress } = options;
  const api = options.api ?? emulatorApi(options.endpoint, REGION);
  const cdk = options.runCdk ?? runCdk;
  const logFile = path.join(options.runDir, 'deploy.log');
  const outputsFile = path.join(options.runDir, 'outputs.json');
  const clean = (line: string) => redact(line, options.env);
  const run = { onLine: (line: string) => progress.info(`  ${clean(line)}`), logFile, ...(options.signal ? { signal: options.signal } : {}) };

  try {
    const setting = efsSetting(options.env);
    const efs = decideEfs(setting, setting === 'bridge-only' ? undefined : await api.efsApi());
    // Deployed: the full template or its variant. Routes, the mount and the bridge: always the full `model`.
    const deploying = deployableModel(model, efs, options);
    const cdkEnv = await cdklocalEnvironmentFor(options);
    const deployed = options.keepCurrent ? await api.describeStack(stackName) : undefined;
    const decided = options.keepCurrent ? decideDeploy(deployed, deploying.hash) : ({ action: 'deploy', reason: 'a new stack for this run' } as const);
    const decision: DeployDecision =
      decided.action === 'recreate' && options.updateInPlace && deployed && COMPLETE.has(deployed.status)
        ? { action: 'deploy', reason: `${decided.reason}: updated in place (watch mode keeps the API URL)` }
        : decided;
    progress.info(`stack ${stackName}: ${decision.action} (${decision.reason})`);

    let outputs: Readonly<Record<string, string>>;
    if (decision.action === 'skip') {
      outputs = deployed!.outputs;
    } else {
      if (decision.action === 'recreate') {
        await progress.phase(`cdklocal destroy ${stackName}`, () =>
          cdk(cdkDestroyCommand({ cli: 'cdklocal', assemblyDir: deploying.assemblyDir, stackName, env: cdkEnv }), run),
        );
      }
      await progress.phase('cdklocal bootstrap', () =>
        cdk(cdkBootstrapCommand({ cli: 'cdklocal', assemblyDir: deploying.assemblyDir, env: cdkEnv, environment: `aws://${ACCOUNT_ID}/${REGION}` }), run),
      );
      await rm(outputsFile, { force: true });
      await progress.phase(`cdklocal deploy ${stackName}`, () =>
        cdk(
          cdkDeployCommand({
            cli: 'cdklocal',
            assemblyDir: deploying.assemblyDir,
            stackName,
            outputsFile,
            tags: { [ASSEMBLY_HASH_TAG]: deploying.hash },
            env: cdkEnv,
          }),
          run,
        ),
      );
      outputs = readOutputs(outputsFile, stackName);
    }

    const apiId = requireOutput(outputs, 'ApiId', stackName);
    const functionName = requireOutput(outputs, 'FunctionName', stackName);
    await progress.phase('check the deployed resources', () => verifyDeployment(api, { stackName, model, outputs }));
    await progress.phase(`wait for ${functionName} to be Active`, () => api.waitFunctionActive(functionName, ACTIVE_WAIT_SECONDS));
    const apiUrl = apiUrlFor(options.endpoint, apiId);
    const mountPath = requireMount(model).mountPath;
    await progress.phase('GET /health through the HTTP API (proves the EFS bridge)', () =>
      requireHealthy({
        apiUrl,
        mountPath,
        bridge: options.bridge,
        ...(options.healthWaitSeconds !== undefined ? { waitSeconds: options.healthWaitSeconds } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      }),
    );
    return { stackName, apiId, apiUrl, functionName, deployed: decision.action !== 'skip', efs };
  } catch (error) {
    throw await withDiagnostics(error as Error, options, api);
  }
}

/** The full template's model, or the bridge-only variant's written next to it (said once, with what it leaves out). */
function deployableModel(model: PatternModel, efs: EfsDecision, options: Pick<DeployPatternOptions, 'runDir' | 'progress'>): PatternModel {
  if (efs.mode === 'api') {
    options.progress.info(`EFS: the full template, with its AWS::EFS::* resources (${efs.reason})`);
    return model;
  }
  const variant = bridgeOnlyTemplate(model.template);
  options.progress.info(
    `EFS: deploying the bridge-only variant of ${model.stackName} because ${efs.reason}. LocalStack never mounts EFS into a function ` +
      '(the EFS bridge does), so this changes nothing the scenarios see; LocalStack\'s Base plan is enough. Left out:\n' +
      variant.leftOut.map((line) => `  - ${line}`).join('\n'),
  );
  return writeVariantAssembly(model, variant.template, path.join(options.runDir, 'cdk.out.bridge-only'));
}

function requireMount(model: PatternModel) {
  const mount = model.apiFunction.mount;
  if (!mount) throw new Error(`Function ${model.apiFunction.functionName} mounts no file system in ${model.templatePath}.`);
  return mount;
}

/**
 * LocalStack's CloudFormation skips resource types the plan lacks and still reports success
 * (CFN_IGNORE_UNSUPPORTED_RESOURCE_TYPES, on by default): check that the API with its routes, the function
 * and (when deployed) the file system are really there, and say which plan is missing when not. Not the
 * function's mount: LocalStack's GetFunction never reports one (docs/localstack-behaviour.md); /health proves it.
 */
export async function verifyDeployment(
  api: EmulatorApi,
  target: { readonly stackName: string; readonly model: PatternModel; readonly outputs: Readonly<Record<string, string>> },
): Promise<void> {
  const { model, outputs, stackName } = target;
  const problems: string[] = [];
  const apiId = requireOutput(outputs, 'ApiId', stackName);
  const httpApi = await api.httpApi(apiId);
  if (!httpApi.found) {
    problems.push(`HTTP API ${apiId} does not exist (${httpApi.detail}): HTTP APIs (apigatewayv2) need the Base plan`);
  } else {
    const missing = model.routes.map((r) => r.routeKey).filter((key) => !httpApi.routeKeys.includes(key));
    if (missing.length > 0) problems.push(`HTTP API ${apiId} lacks the routes ${missing.join(', ')} (it has: ${httpApi.routeKeys.join(', ') || 'none'})`);
  }
  const functionName = requireOutput(outputs, 'FunctionName', stackName);
  const fn = await api.lambdaFunction(functionName);
  if (!fn.found) problems.push(`function ${functionName} does not exist (${fn.detail})`);
  // Only the full template has this output; the bridge-only variant leaves the file system out.
  const fileSystemId = outputs.FileSystemId;
  if (fileSystemId) {
    const fs = await api.fileSystem(fileSystemId);
    if (!fs.found) {
      problems.push(`EFS file system ${fileSystemId} does not exist (${fs.detail}): the EFS API needs the Ultimate plan, or set HARNESS_LOCALSTACK_EFS=bridge-only`);
    }
  }
  if (problems.length > 0) {
    throw new Error(
      `Stack ${stackName} reports success, but ${problems.join('; ')}. LocalStack's CloudFormation skips resource types ` +
        `the plan lacks and still succeeds (CFN_IGNORE_UNSUPPORTED_RESOURCE_TYPES, on by default). ${PLAN_HELP}`,
    );
  }
}

/** The error with everything a person needs to see why, redacted; each part says so when it is unavailable. */
async function withDiagnostics(error: Error, options: DeployPatternOptions, api: EmulatorApi): Promise<Error> {
  const sections: string[] = [];
  const section = (title: string, lines: readonly string[]) => {
    if (lines.length > 0) sections.push(`${title}:\n${lines.map((l) => `  ${l}`).join('\n')}`);
  };
  const attempt = async (title: string, read: () => Promise<readonly string[]>) => {
    try {
      section(title, await read());
    } catch (cause) {
      sections.push(`${title}: unavailable (${(cause as Error).message})`);
    }
  };
  await attempt(`Failed events of stack ${options.stackName}`, () => api.failedEvents(options.stackName));
  for (const fn of options.model.functions) {
    await attempt(`Log of function ${fn.functionName} (last ${DIAGNOSTIC_LINES} lines)`, () => api.functionLogs(fn.functionName, DIAGNOSTIC_LINES));
  }
  if (options.containerLog) section(`LocalStack container log (last ${DIAGNOSTIC_LINES} lines)`, options.containerLog().slice(-DIAGNOSTIC_LINES));
  sections.push(`CDK output: ${path.join(options.runDir, 'deploy.log')}`);
  const message = redact([error.message, ...sections].join('\n\n'), options.env);
  return new Error(message, { cause: error });
}

export type DestroyOptions = Pick<DeployPatternOptions, 'endpoint' | 'stackName' | 'model' | 'runDir' | 'env' | 'progress' | 'runCdk'>;

/** `cdklocal destroy` of the stack. */
export async function destroyPattern(options: DestroyOptions): Promise<void> {
  const env = await cdklocalEnvironmentFor(options);
  await (options.runCdk ?? runCdk)(cdkDestroyCommand({ cli: 'cdklocal', assemblyDir: options.model.assemblyDir, stackName: options.stackName, env }), {
    onLine: (line) => options.progress.info(`  ${redact(line, options.env)}`),
    logFile: path.join(options.runDir, 'destroy.log'),
  });
}

/** Watch mode's line for a redeploy; says so when LocalStack gave the API another URL. */
export function describeRedeploy(deployment: Deployment, apiUrl: string): string {
  const what = deployment.deployed ? `stack ${deployment.stackName} updated` : `template unchanged, stack ${deployment.stackName} kept`;
  return deployment.apiUrl === apiUrl ? what : `${what}; the API URL changed to ${deployment.apiUrl}`;
}

/**
 * HARNESS_LOCALSTACK_CONCURRENCY: how many requests the scenarios send at once to a LocalStack-backed target.
 * LocalStack starts one Lambda container per concurrent invocation (each within its 60 s start timeout), so the
 * concurrency scenario's 100 simultaneous writes would be up to 100 containers on a laptop. @default 10
 */
export const LOCALSTACK_CONCURRENCY = 10;

export function localstackConcurrency(env: NodeJS.ProcessEnv): number {
  const raw = env.HARNESS_LOCALSTACK_CONCURRENCY?.trim();
  if (!raw) return LOCALSTACK_CONCURRENCY;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`HARNESS_LOCALSTACK_CONCURRENCY="${raw}" is not a whole number of requests (1 or more).`);
  return n;
}

/** What the scenarios get from a LocalStack-backed target (both `localstack` and `endpoint`). */
export function environmentInfo(o: {
  readonly target: 'localstack' | 'endpoint';
  readonly endpoint: string;
  readonly model: PatternModel;
  readonly deployment: Deployment;
  /** Where the scenarios read the function's files: a host folder, or a volume through a container. */
  readonly files: Pick<EnvironmentInfo, 'efsDir' | 'efsVolume'>;
  readonly runDir: string;
  readonly runId: string;
  /** localstackConcurrency(env) */
  readonly concurrencyLimit: number;
}): EnvironmentInfo {
  const mount = requireMount(o.model);
  return {
    target: o.target,
    apiUrl: o.deployment.apiUrl,
    mountPath: mount.mountPath,
    ...o.files,
    functionName: o.deployment.functionName,
    functionTimeoutSeconds: o.model.apiFunction.timeoutSeconds,
    region: REGION,
    awsEndpoint: o.endpoint.replace(/\/+$/, ''),
    // Faults are injected through the local target's control server only; LocalStack has none.
    faults: [],
    concurrencyLimit: o.concurrencyLimit,
    runDir: o.runDir,
    runId: o.runId,
  };
}

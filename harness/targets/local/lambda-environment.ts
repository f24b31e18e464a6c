import { randomBytes } from 'node:crypto';
import type { FunctionModel } from '../../model/assembly.ts';

/**
 * The environment of a Lambda execution environment, from one place for both runtime modes (process and
 * container), so that neither can drift. The names and values follow AWS's list of defined runtime environment
 * variables (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime,
 * checked against it in lambda-environment.test.ts) and the nodejs base image's own settings. The function sees
 * only these and its own variables, never the harness's (which may hold credentials or tokens).
 */

/** Placeholder credentials: shaped like a session's, valid nowhere, so an SDK call in a handler fails at AWS instead of reaching the instance metadata service or the user's own account. */
export const PLACEHOLDER_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'ASIAHARNESSLOCAL0000',
  AWS_SECRET_ACCESS_KEY: 'harness-local-placeholder-not-a-secret',
  AWS_SESSION_TOKEN: 'harness-local-placeholder-session-token',
} as const;

export interface LambdaEnvironmentOptions {
  readonly fn: FunctionModel;
  readonly region: string;
  /** The function's own variables as this mode sees them (mount path mapped where the mode needs it). */
  readonly functionEnvironment: Readonly<Record<string, string>>;
  /** `/var/task` in a container; the bundle's folder in process mode. */
  readonly taskRoot: string;
  /** `/var/runtime` in a container; the folder of the harness's bootstrap in process mode. */
  readonly runtimeDir: string;
  /** `host:port` of the Runtime API (container mode); process mode talks to its child over IPC instead. */
  readonly runtimeApi?: string;
  /** The credentials the function gets: the target's (never the user's). @default PLACEHOLDER_CREDENTIALS */
  readonly credentials?: { readonly AWS_ACCESS_KEY_ID: string; readonly AWS_SECRET_ACCESS_KEY: string; readonly AWS_SESSION_TOKEN: string };
  /** @default a new `2026/11/27/[$LATEST]<32 hex>` */
  readonly logStreamName?: string;
}

/** Every variable Lambda defines for the function (reserved and unreserved ones of the runtime), then the function's own. */
export function lambdaEnvironment(options: LambdaEnvironmentOptions): Record<string, string> {
  const { fn } = options;
  const credentials = options.credentials ?? PLACEHOLDER_CREDENTIALS;
  return {
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    _HANDLER: fn.handler,
    AWS_REGION: options.region,
    AWS_DEFAULT_REGION: options.region,
    AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: options.logStreamName ?? newLogStreamName(),
    // The docs list AWS_ACCESS_KEY beside AWS_ACCESS_KEY_ID, same value.
    AWS_ACCESS_KEY: credentials.AWS_ACCESS_KEY_ID,
    ...credentials,
    LAMBDA_TASK_ROOT: options.taskRoot,
    LAMBDA_RUNTIME_DIR: options.runtimeDir,
    ...(options.runtimeApi ? { AWS_LAMBDA_RUNTIME_API: options.runtimeApi } : {}),
    ...options.functionEnvironment,
  };
}

/**
 * The Node flags the nodejs images' bootstrap starts the runtime with (images.ts LAMBDA_BOOTSTRAP, which the
 * differential test compares with process mode): the heap sized from the memory setting, a tenth of it for the young
 * generation (semi-space half of that) and the rest for the old one.
 */
export function nodeFlags(memoryMb: number): string[] {
  const newSpace = Math.floor(memoryMb / 10);
  return ['--expose-gc', '--max-http-header-size', '81920', `--max-semi-space-size=${Math.floor(newSpace / 2)}`, `--max-old-space-size=${memoryMb - newSpace}`];
}

/** `2026/11/27/[$LATEST]<32 hex>`, the shape of Lambda's log stream names. */
export function newLogStreamName(now: Date = new Date()): string {
  return `${now.toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${randomBytes(16).toString('hex')}`;
}

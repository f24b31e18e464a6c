/**
 * The one contract between targets and scenarios.
 *
 * A target runs in vitest's global setup (main process) and returns a `RunningTarget`. Its `info` is plain
 * JSON: vitest hands it to every test file with `provide`/`inject`, and `connect()` (harness/launch/connect.ts)
 * turns it into the `Environment` that scenarios use. Scenarios know nothing else.
 */

export const TARGET_NAMES = ['local', 'localstack', 'endpoint', 'aws'] as const;

/** Set by `npm run scenarios`, which starts the target itself: its `EnvironmentInfo` as JSON, for global setup. */
export const ENVIRONMENT_VARIABLE = 'HARNESS_ENVIRONMENT';
export type TargetName = (typeof TARGET_NAMES)[number];

/** Faults a target may be able to inject (issue: fault scenarios). */
export const FAULT_NAMES = ['mount-missing', 'function-crash', 'function-timeout'] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

/** Serializable description of a started environment (what global setup provides to test files). */
export interface EnvironmentInfo {
  readonly target: TargetName;
  /** Base URL of the HTTP API's `$default` stage, no trailing slash: `${apiUrl}/myHelloVPCLambda`. */
  readonly apiUrl: string;
  /** The path at which the function sees the file system, read from the template (e.g. `/mnt/msg`). */
  readonly mountPath: string;
  /** Host folder the function sees as `mountPath` (access point root already applied). Absent on `aws`. */
  readonly efsDir?: string;
  /**
   * LocalStack targets with HARNESS_EFS_BRIDGE=volume, instead of `efsDir`: the Docker volume the function sees
   * as `mountPath`, read through the container `containerId`, which mounts it at `path`.
   */
  readonly efsVolume?: { readonly containerId: string; readonly path: string };
  /** Physical name of the function behind the API. */
  readonly functionName: string;
  /** The function's timeout from the template. */
  readonly functionTimeoutSeconds: number;
  readonly region: string;
  /**
   * Endpoint for AWS SDK clients (Lambda invoke, CloudWatch Logs). Absent means real AWS.
   * The `local` target serves the Lambda Invoke API on it.
   */
  readonly awsEndpoint?: string;
  /**
   * `aws` only: how many requests the function can serve at once in this account (Lambda's
   * GetAccountSettings, or its reserved concurrency), for scenarios that send many at once. Absent: no limit
   * worth scaling for.
   */
  readonly concurrencyLimit?: number;
  /** `aws` only: the read-only inspector function that lists and reads files inside the VPC. */
  readonly inspectorFunctionName?: string;
  /** `local` only: the harness control server (logs, fault injection). */
  readonly controlUrl?: string;
  /** Faults this target can inject; scenarios for the others are skipped with a reason. */
  readonly faults: readonly FaultName[];
  /** Folder of this run's artifacts (template, logs, failure reports). */
  readonly runDir: string;
  /** Id of this run (stack names, run folder). */
  readonly runId: string;
}

/** What a target returns once it is started and deployed. */
export interface RunningTarget {
  readonly info: EnvironmentInfo;
  /** Stops and removes everything the target started. Idempotent; never throws for already-gone parts. */
  teardown(): Promise<void>;
}

/** Files as the function sees them under its mount path. Paths are relative to the mount path. */
export interface FileView {
  /** Entry names in a folder (sorted); [] when the folder does not exist. */
  list(dir?: string): Promise<string[]>;
  /** The file's bytes; rejects with an error naming the path when it is absent. */
  read(path: string): Promise<Buffer>;
}

export interface InvokeResult {
  /** The function's returned payload, parsed as JSON when it is JSON. */
  readonly payload: unknown;
  /** Set when the function failed (`Unhandled`, or the error type Lambda reports). */
  readonly functionError?: string;
}

export interface Environment {
  readonly info: EnvironmentInfo;
  readonly apiUrl: string;
  readonly files: FileView;
  /** Invokes the function directly (Lambda Invoke API), bypassing the HTTP API. */
  invoke(event: unknown): Promise<InvokeResult>;
  /** The function's recent log lines, oldest first. */
  logs(): Promise<string[]>;
  /** Whether this target can inject the fault (scenarios skip with a reason when not). */
  canInject(fault: FaultName): boolean;
  /** Injects a fault; the returned function removes it. Rejects when the target cannot inject it. */
  inject(fault: FaultName): Promise<() => Promise<void>>;
}

/**
 * Lambda quotas (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html) with the exact byte
 * counts its errors name: requests "... is too large for the RequestResponse invocation type (limit 6291456
 * bytes)", responses "Response payload size exceeded maximum allowed payload size (6291556 bytes)." (getmoto/moto
 * tests/test_awslambda/test_lambda_invoke.py, commit 75330e9c, records the Invoke API's error payload).
 */
export const LAMBDA_LIMITS = {
  maxRequestBytes: 6_291_456,
  maxResponseBytes: 6_291_556,
  /**
   * A streamed response (Runtime API `Lambda-Runtime-Function-Response-Mode: streaming`): the quotas page gave
   * 20 MB when streaming came out, and AWS has raised it since; the harness keeps 20 MiB because it holds the
   * stream in memory (neither HTTP APIs nor the Invoke API stream it on).
   */
  maxStreamedResponseBytes: 20 * 1_048_576,
  /** "File descriptors: 1,024" */
  openFiles: 1_024,
} as const;

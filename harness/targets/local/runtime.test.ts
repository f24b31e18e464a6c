import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { FunctionModel } from '../../model/assembly.ts';
import { FunctionRuntime } from './runtime.ts';

// A stand-in bundle: the runtime must treat it exactly as it treats the CDK asset.
const assetDir = mkdtempSync(path.join(os.tmpdir(), 'runtime-test-'));
writeFileSync(
  path.join(assetDir, 'index.mjs'),
  `export async function handler(event, context) {
    if (event.op === 'env') return { env: process.env, remaining: context.getRemainingTimeInMillis(), requestId: context.awsRequestId };
    if (event.op === 'sleep') { await new Promise((r) => setTimeout(r, event.ms)); return { slept: event.ms, pid: process.pid }; }
    if (event.op === 'throw') throw new TypeError('bad thing');
    if (event.op === 'throw-string') throw 'plain string';
    if (event.op === 'context') { const { getRemainingTimeInMillis, ...rest } = context; return rest; }
    if (event.op === 'big') return 'x'.repeat(event.bytes);
    if (event.op === 'undefined') return undefined;
    if (event.op === 'stray-rejection') { Promise.reject(new Error('stray')); await new Promise((r) => setTimeout(r, 100)); return 'late'; }
    if (event.op === 'nofile') return (await import('node:child_process')).execSync('ulimit -n').toString().trim();
    if (event.op === 'ids') return { uid: process.getuid(), gid: process.getgid() };
    if (event.op === 'exit') process.exit(3);
    console.log('hello from', event.op);
    return { pid: process.pid };
  }`,
);
afterAll(() => rmSync(assetDir, { recursive: true, force: true }));

const fn = (overrides: Partial<FunctionModel> = {}): FunctionModel => ({
  logicalId: 'Fn',
  functionName: 'test-fn',
  handler: 'index.handler',
  runtime: 'nodejs24.x',
  timeoutSeconds: 2,
  memoryMb: 128, ephemeralStorageMb: 512,
  environment: { EFS_MOUNT_PATH: '/tmp/somewhere' },
  assetDir,
  ...overrides,
});

let runtime: FunctionRuntime | undefined;
const lines: string[] = [];
const make = (options: { fn?: FunctionModel; maxEnvironments?: number } = {}) => {
  runtime = new FunctionRuntime({
    fn: options.fn ?? fn(),
    environment: (options.fn ?? fn()).environment,
    region: 'us-east-1',
    accountId: '000000000000',
    log: (line) => lines.push(line),
    ...(options.maxEnvironments ? { maxEnvironments: options.maxEnvironments } : {}),
  });
  return runtime;
};
afterEach(async () => {
  await runtime?.close();
  lines.length = 0;
});

// Sources of the Lambda behaviour asserted below (the Node.js runtime's own client: aws-lambda-ric 4.0.2 (the client nodejs24.x runs) index.mjs; the differential test runs it):
// - reserved variables: https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
// - log lines: https://docs.aws.amazon.com/lambda/latest/dg/nodejs-logging.html; REPORT and INIT_REPORT as live
//   captures show them (DataBiosphere/azul#5720, 2023; cargo-lambda/cargo-lambda#572, 2023)
// - limits: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html and harness/targets/local/limits.ts
describe('FunctionRuntime', () => {
  it("should run the handler with only the function's environment and Lambda's reserved variables", async () => {
    process.env.HARNESS_TEST_SECRET = 'must-not-leak';
    const outcome = await make().invoke({ op: 'env' }, 'req-1');
    delete process.env.HARNESS_TEST_SECRET;
    expect(outcome.ok).toBe(true);
    const { env, remaining, requestId } = (outcome as { result: { env: Record<string, string>; remaining: number; requestId: string } }).result;
    expect(env.EFS_MOUNT_PATH).toBe('/tmp/somewhere');
    expect(env.AWS_LAMBDA_FUNCTION_NAME).toBe('test-fn');
    expect(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE).toBe('128');
    expect(env.HARNESS_TEST_SECRET).toBeUndefined();
    expect(remaining).toBeGreaterThan(1000);
    expect(remaining).toBeLessThanOrEqual(2000);
    expect(requestId).toBe('req-1');
  });

  it('should reuse a warm environment for sequential invocations', async () => {
    const rt = make();
    const a = await rt.invoke({ op: 'pid' });
    const b = await rt.invoke({ op: 'pid' });
    expect((a as { result: { pid: number } }).result.pid).toBe((b as { result: { pid: number } }).result.pid);
    expect(rt.size).toBe(1);
  });

  it('should run concurrent invocations in separate environments, up to the limit', async () => {
    const rt = make({ maxEnvironments: 3 });
    const outcomes = await Promise.all(Array.from({ length: 6 }, () => rt.invoke({ op: 'sleep', ms: 200 })));
    const pids = new Set(outcomes.map((o) => (o as { result: { pid: number } }).result.pid));
    expect(pids.size).toBe(3);
    expect(rt.size).toBe(3);
  });

  // Source: aws-lambda-ric 4.0.2 index.mjs, formatError.
  it('should report an unhandled error with its type and message', async () => {
    const outcome = await make().invoke({ op: 'throw' });
    expect(outcome).toMatchObject({ ok: false, errorType: 'TypeError', errorMessage: 'bad thing' });
  });

  // Lambda's payload for it, captured: {"errorType":"Runtime.ExitError","errorMessage":"RequestId: <id> Error: Runtime
  // exited with error: exit status 137"} (aws/aws-lambda-dotnet#480, 2019).
  it('should report a process that exits mid-invocation as Runtime.ExitError, and start a fresh one next time', async () => {
    const rt = make();
    expect(await rt.invoke({ op: 'exit' }, 'req-exit')).toMatchObject({
      ok: false,
      errorType: 'Runtime.ExitError',
      errorMessage: 'RequestId: req-exit Error: Runtime exited with error: exit status 3',
    });
    expect(await rt.invoke({ op: 'pid' })).toMatchObject({ ok: true });
  });

  // "Task timed out after 300.10 seconds", two decimals (live capture: aws-samples/aws-cloudfront-samples#30, 2020).
  it("should kill an invocation that runs past the function's timeout", async () => {
    const rt = make({ fn: fn({ timeoutSeconds: 1 }) });
    await rt.invoke({ op: 'pid' }); // warm: the clock below measures the invocation, not a process start on a busy machine
    const started = Date.now();
    const outcome = await rt.invoke({ op: 'sleep', ms: 5_000 });
    expect(outcome).toMatchObject({ ok: false, errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 1.00 seconds' });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(rt.size).toBe(0);
  });

  it('should crash on demand (injected fault) without running the handler', async () => {
    const rt = make();
    rt.fault = 'crash';
    // "Runtime exited with error: signal: killed" (live capture: Sparticuz/chromium#21, 2022).
    expect(await rt.invoke({ op: 'log-me' })).toMatchObject({ ok: false, errorType: 'Runtime.ExitError', errorMessage: expect.stringMatching(/Runtime exited with error: signal: killed$/) });
    expect(lines.join('\n')).not.toContain('hello from log-me');
  });

  it('should write START, the handler output with the request id, END and REPORT lines', async () => {
    await make().invoke({ op: 'log-me' }, 'req-42');
    expect(lines[0]).toBe('START RequestId: req-42 Version: $LATEST');
    expect(lines.some((l) => /\treq-42\tINFO\thello from log-me$/.test(l))).toBe(true);
    expect(lines).toContain('END RequestId: req-42');
    expect(lines.at(-1)).toMatch(/^REPORT RequestId: req-42\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\t$/);
    const [, duration, billed] = /Duration: ([\d.]+) ms\tBilled Duration: (\d+) ms/.exec(lines.at(-1)!)!;
    expect(Number(billed)).toBe(Math.ceil(Number(duration)));
  });

  // Source: aws-lambda-ric 4.0.2 (the client nodejs24.x runs) index.mjs: loadModule (MODULE_NOT_FOUND → ImportModuleError), createRuntime (logs "Init Error" before the
  // request id exists, hence "-"), toFormatted's leading tab.
  it('should report a missing handler module as Runtime.ImportModuleError, as the Node.js runtime does', async () => {
    const outcome = await make({ fn: fn({ handler: 'missing.handler' }) }).invoke({});
    expect(outcome).toMatchObject({ ok: false, errorType: 'Runtime.ImportModuleError', errorMessage: expect.stringMatching(/^Error: Cannot find module 'missing'/) });
    expect(lines.some((l) => l.startsWith('INIT_REPORT') && l.includes('Error Type: Runtime.ImportModuleError'))).toBe(true);
    // The log line the client writes for it: `<time>\t-\tERROR\tInit Error \t{"errorType":…,"errorMessage":…,…,"stack":[…]}`.
    expect(lines.some((l) => /\t-\tERROR\tInit Error \t\{"errorType":"Runtime\.ImportModuleError"/.test(l))).toBe(true);
  });

  // Source: aws-lambda-ric 4.0.2 (the client nodejs24.x runs) index.mjs, resolveHandler ("${fullHandlerString} is undefined or not exported").
  it('should report an export that does not exist as Runtime.HandlerNotFound with the runtime\'s message', async () => {
    const outcome = await make({ fn: fn({ handler: 'index.nothing' }) }).invoke({});
    expect(outcome).toMatchObject({ ok: false, errorType: 'Runtime.HandlerNotFound', errorMessage: 'index.nothing is undefined or not exported' });
  });

  // Source: aws-lambda-ric 4.0.2 (the client nodejs24.x runs) index.mjs, ContextBuilder (the context's fields: no callbackWaitsForEmptyEventLoop since v4), and the developer guide's table of reserved variables
  // (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime).
  // Log stream name shape: https://docs.aws.amazon.com/lambda/latest/dg/nodejs-logging.html ("2019/06/07/[$LATEST]e6f4…").
  it('should give the context object and the environment variables Lambda defines', async () => {
    const rt = make();
    const env = ((await rt.invoke({ op: 'env' })) as { result: { env: Record<string, string> } }).result.env;
    expect(env).toMatchObject({
      _HANDLER: 'index.handler',
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      AWS_LAMBDA_FUNCTION_NAME: 'test-fn',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/test-fn',
      LAMBDA_TASK_ROOT: assetDir,
      TZ: ':UTC',
      LANG: 'en_US.UTF-8',
    });
    expect(env.AWS_LAMBDA_LOG_STREAM_NAME).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(env._X_AMZN_TRACE_ID).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    const context = ((await rt.invoke({ op: 'context' }, 'req-ctx')) as { result: Record<string, unknown> }).result;
    expect(context).toEqual({
      xRayTraceId: expect.stringMatching(/^Root=1-/),
      functionVersion: '$LATEST',
      functionName: 'test-fn',
      memoryLimitInMB: '128',
      logGroupName: '/aws/lambda/test-fn',
      logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:test-fn',
      awsRequestId: 'req-ctx',
    });
  });

  // Source: aws-lambda-ric 4.0.2 (the client nodejs24.x runs) index.mjs, formatError (a non-Error is reported as typeof, its String(), trace []).
  it('should report errors in the runtime\'s shape: name, message and stack lines; anything else thrown by its type', async () => {
    const rt = make();
    const error = await rt.invoke({ op: 'throw' });
    expect(error).toMatchObject({ errorType: 'TypeError', errorMessage: 'bad thing' });
    const trace = (error as { trace?: readonly string[] }).trace ?? [];
    expect(trace[0]).toBe('TypeError: bad thing');
    expect(trace[1]).toMatch(/^ {4}at /);
    expect(await rt.invoke({ op: 'throw-string' })).toMatchObject({ errorType: 'string', errorMessage: 'plain string', trace: [] });
  });

  // Source: aws-lambda-ric 4.0.2 (the client nodejs24.x runs) index.mjs: v4 installs no unhandledRejection handler (v3 reported Runtime.UnhandledPromiseRejection and
  // exited 128), so Node's default ends the process with exit status 1 and the invocation fails with Runtime.ExitError.
  it('should fail the invocation with Runtime.ExitError on an unhandled rejection and replace the environment, as the v4 client does', async () => {
    const rt = make();
    const first = await rt.invoke({ op: 'pid' });
    expect(await rt.invoke({ op: 'stray-rejection' }, 'req-stray')).toMatchObject({
      ok: false,
      errorType: 'Runtime.ExitError',
      errorMessage: 'RequestId: req-stray Error: Runtime exited with error: exit status 1',
    });
    const next = await rt.invoke({ op: 'pid' });
    expect((next as { result: { pid: number } }).result.pid).not.toBe((first as { result: { pid: number } }).result.pid);
  });

  // See harness/targets/local/conformance/sources.ts: NODE_RUNTIME (src/RAPIDClient.js, _trySerializeResponse).
  it('should post an undefined result as null, as the runtime serializes it', async () => {
    expect(await make().invoke({ op: 'undefined' })).toMatchObject({ ok: true, result: null, payload: 'null' });
  });

  // See harness/targets/local/conformance/sources.ts: LAMBDA_RESPONSE_LIMIT (getmoto/moto tests/test_awslambda/test_lambda_invoke.py
  // @75330e9c2252cb8e374f89bb04bf757e13ed840f records the Invoke API's error payload).
  it("should refuse a response over Lambda's 6 MB limit with Function.ResponseSizeTooLarge", async () => {
    const rt = make({ fn: fn({ memoryMb: 256 }) });
    // The payload is the JSON string: two quotes plus the characters.
    expect(await rt.invoke({ op: 'big', bytes: 6_291_556 - 2 })).toMatchObject({ ok: true });
    expect(await rt.invoke({ op: 'big', bytes: 6_291_556 - 1 })).toEqual({
      ok: false,
      errorType: 'Function.ResponseSizeTooLarge',
      errorMessage: 'Response payload size exceeded maximum allowed payload size (6291556 bytes).',
      durationMs: expect.any(Number),
    });
  });

  // "File descriptors: 1,024" (Source: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
  it("should run each environment with Lambda's 1,024 open files", async () => {
    expect(await make().invoke({ op: 'nofile' })).toMatchObject({ ok: true, result: '1024' });
  });

  // An EFS access point applies its POSIX user to every request (Source: https://docs.aws.amazon.com/efs/latest/ug/efs-access-points.html).
  it.skipIf(process.getuid?.() !== 0)("should run as the access point's POSIX user when the harness runs as root", async () => {
    chmodSync(assetDir, 0o755); // mkdtemp makes it private to root; Lambda's task root is readable by the function
    runtime = new FunctionRuntime({ fn: fn(), environment: {}, region: 'us-east-1', accountId: '000000000000', log: (l) => lines.push(l), runAs: { uid: 1001, gid: 1001 } });
    expect(await runtime.invoke({ op: 'ids' })).toMatchObject({ ok: true, result: { uid: 1001, gid: 1001 } });
  });
});

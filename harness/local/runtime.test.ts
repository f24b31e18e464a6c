import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { FunctionModel } from '../assembly.ts';
import { FunctionRuntime, splitHandler } from './runtime.ts';

// A stand-in bundle: the runtime must treat it exactly as it treats the CDK asset.
const assetDir = mkdtempSync(path.join(os.tmpdir(), 'runtime-test-'));
writeFileSync(
  path.join(assetDir, 'index.mjs'),
  `export async function handler(event, context) {
    if (event.op === 'env') return { env: process.env, remaining: context.getRemainingTimeInMillis(), requestId: context.awsRequestId };
    if (event.op === 'sleep') { await new Promise((r) => setTimeout(r, event.ms)); return { slept: event.ms, pid: process.pid }; }
    if (event.op === 'throw') throw new TypeError('bad thing');
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
  memoryMb: 128,
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

  it('should report an unhandled error with its type and message', async () => {
    const outcome = await make().invoke({ op: 'throw' });
    expect(outcome).toMatchObject({ ok: false, errorType: 'TypeError', errorMessage: 'bad thing' });
  });

  it('should report a process that exits mid-invocation as Runtime.ExitError, and start a fresh one next time', async () => {
    const rt = make();
    expect(await rt.invoke({ op: 'exit' })).toMatchObject({ ok: false, errorType: 'Runtime.ExitError', errorMessage: expect.stringContaining('exit status 3') });
    expect(await rt.invoke({ op: 'pid' })).toMatchObject({ ok: true });
  });

  it("should kill an invocation that runs past the function's timeout", async () => {
    const rt = make({ fn: fn({ timeoutSeconds: 1 }) });
    const started = Date.now();
    const outcome = await rt.invoke({ op: 'sleep', ms: 5_000 });
    expect(outcome).toMatchObject({ ok: false, errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 1.00 seconds' });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(rt.size).toBe(0);
  });

  it('should crash on demand (injected fault) without running the handler', async () => {
    const rt = make();
    rt.fault = 'crash';
    expect(await rt.invoke({ op: 'log-me' })).toMatchObject({ ok: false, errorType: 'Runtime.ExitError', errorMessage: expect.stringContaining('signal: kill') });
    expect(lines.join('\n')).not.toContain('hello from log-me');
  });

  it('should write START, the handler output with the request id, END and REPORT lines', async () => {
    await make().invoke({ op: 'log-me' }, 'req-42');
    expect(lines[0]).toBe('START RequestId: req-42 Version: $LATEST');
    expect(lines.some((l) => /\treq-42\tINFO\thello from log-me$/.test(l))).toBe(true);
    expect(lines).toContain('END RequestId: req-42');
    expect(lines.at(-1)).toMatch(/^REPORT RequestId: req-42\tDuration: [\d.]+ ms\tMemory Size: 128 MB$/);
  });

  it('should fail the invocation clearly when the handler file is missing', async () => {
    const outcome = await make({ fn: fn({ handler: 'missing.handler' }) }).invoke({});
    expect(outcome).toMatchObject({ ok: false, errorType: 'Runtime.InitError', errorMessage: expect.stringContaining('no missing.mjs/.js/.cjs in') });
  });

  it('should fail the invocation clearly when the handler module does not export the handler', async () => {
    const outcome = await make({ fn: fn({ handler: 'index.nothing' }) }).invoke({});
    expect(outcome).toMatchObject({ ok: false, errorType: 'Runtime.InitError', errorMessage: expect.stringContaining('does not export a function named "nothing"') });
  });
});

describe('splitHandler', () => {
  it('should split module and export at the last dot', () => {
    expect(splitHandler('index.handler')).toEqual(['index', 'handler']);
    expect(splitHandler('src/app.main')).toEqual(['src/app', 'main']);
  });
});

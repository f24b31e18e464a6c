import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { builtRuntimeClient } from '../../dev/runtime-client.ts';
import { RuntimeApi, type RuntimeApiInvocation, RuntimeInitError } from './runtime-api.ts';

// The harness's Runtime API against the real Node.js runtime interface client, aws-lambda-ric 4.0.2 (the client
// nodejs24.x runs), started as a plain process the way the Lambda image's bootstrap starts it. `npm run images`
// builds the client (Linux: make, cmake, g++); on macOS it does not build, and these checks run in the Lambda image
// instead (the differential test, npm run test:docker).
const client = builtRuntimeClient();
const reason = 'entry' in client ? '' : ` (skipped: ${client.missing})`;

const taskRoot = mkdtempSync(path.join(os.tmpdir(), 'ric-'));
chmodSync(taskRoot, 0o755);
writeFileSync(
  path.join(taskRoot, 'fn.mjs'),
  `export const handler = async (event, context) => ({
    event,
    clientContext: context.clientContext,
    identity: context.identity,
    trace: process.env._X_AMZN_TRACE_ID,
    remaining: context.getRemainingTimeInMillis() > 0,
  });
  export const streams = awslambda.streamifyResponse(async (event, stream) => { stream.write('a,'); stream.write('b,'); stream.end('c'); });
  export const big = async () => 'x'.repeat(6_291_556);
  export const fails = async () => { throw new RangeError('out of range'); };`,
);
afterAll(() => rmSync(taskRoot, { recursive: true, force: true }));

let api: RuntimeApi | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  child?.kill('SIGKILL');
  await api?.close();
  api = child = undefined;
});

async function start(handler: string): Promise<{ api: RuntimeApi; lines: string[]; exited: Promise<number | null> }> {
  api = await RuntimeApi.start();
  const lines: string[] = [];
  child = spawn(process.execPath, [(client as { entry: string }).entry], {
    env: {
      AWS_LAMBDA_RUNTIME_API: api.address,
      _HANDLER: handler,
      LAMBDA_TASK_ROOT: taskRoot,
      AWS_LAMBDA_FUNCTION_NAME: 'ric-test',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
      AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/ric-test',
      AWS_LAMBDA_LOG_STREAM_NAME: '2026/12/04/[$LATEST]0123456789abcdef0123456789abcdef',
      PATH: process.env.PATH ?? '/usr/bin:/bin',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (c: Buffer) => lines.push(...c.toString().split('\n').filter(Boolean)));
  const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
  return { api, lines, exited };
}

const invocation = (requestId: string, extra: Partial<RuntimeApiInvocation> = {}): RuntimeApiInvocation => ({
  requestId,
  event: JSON.stringify({ n: requestId }),
  deadlineMs: Date.now() + 10_000,
  functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:ric-test',
  traceId: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
  ...extra,
});

describe.skipIf(!('entry' in client))(`the Runtime API with the real runtime client${reason}`, () => {
  it('should serve invocations one after another, with the headers the client turns into the context', async () => {
    const { api } = await start('fn.handler');
    await api.initialized;
    const first = await api.invoke(invocation('req-1', { clientContext: '{"custom":{"k":"v"}}', cognitoIdentity: '{"cognitoIdentityId":"id-1","cognitoIdentityPoolId":"pool"}' }));
    expect(first.ok).toBe(true);
    expect(JSON.parse((first as { payload: Buffer }).payload.toString())).toEqual({
      event: { n: 'req-1' },
      clientContext: { custom: { k: 'v' } },
      identity: { cognitoIdentityId: 'id-1', cognitoIdentityPoolId: 'pool' },
      trace: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
      remaining: true,
    });
    const second = await api.invoke(invocation('req-2'));
    expect(JSON.parse((second as { payload: Buffer }).payload.toString())).toMatchObject({ event: { n: 'req-2' } });
  });

  it("should take the client's error document and its Invoke Error log line", async () => {
    const { api, lines } = await start('fn.fails');
    await api.initialized;
    expect(await api.invoke(invocation('req-err'))).toMatchObject({ ok: false, errorType: 'RangeError', errorMessage: 'out of range', trace: expect.arrayContaining(['RangeError: out of range']) });
    await expect.poll(() => lines.join('\n')).toMatch(/\treq-err\tERROR\tInvoke Error \t\{"errorType":"RangeError"/);
  });

  it('should take a streamed response (Lambda-Runtime-Function-Response-Mode: streaming)', async () => {
    const { api } = await start('fn.streams');
    await api.initialized;
    expect(await api.invoke(invocation('req-stream'))).toEqual({ ok: true, payload: Buffer.from('a,b,c'), streamed: true });
  });

  it('should refuse a result over 6 MB, as RAPID does, and keep the invocation failed', async () => {
    const { api } = await start('fn.big');
    await api.initialized;
    expect(await api.invoke(invocation('req-big'))).toMatchObject({ ok: false, errorType: 'Function.ResponseSizeTooLarge' });
  });

  it("should receive the client's init error, after which the client exits", async () => {
    const { api, exited } = await start('fn.missing');
    const error = await api.initialized.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuntimeInitError);
    expect((error as RuntimeInitError).lambdaError).toMatchObject({ errorType: 'Runtime.HandlerNotFound', errorMessage: 'fn.missing is undefined or not exported' });
    expect(await exited).toBe(1);
  });
});

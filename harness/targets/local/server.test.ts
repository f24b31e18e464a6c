import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FunctionModel, RouteModel } from '../../model/assembly.ts';
import { FunctionRuntime } from './runtime.ts';
import { type LocalServer, startApiServer, startControlServer } from './server.ts';

// A stand-in bundle whose behaviour each request chooses, to check the gateway's side of every outcome.
const assetDir = mkdtempSync(path.join(os.tmpdir(), 'server-test-'));
writeFileSync(
  path.join(assetDir, 'index.mjs'),
  `export async function handler(event) {
    const mode = event.queryStringParameters?.mode ?? event.mode;
    if (mode === 'throw') throw new Error('boom');
    if (mode === 'sleep') await new Promise((r) => setTimeout(r, 3000));
    if (mode === 'string') return 'plain words';
    if (mode === 'echo') return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) };
    return { statusCode: 201, headers: { 'x-mode': 'default' }, cookies: ['a=1', 'b=2'], body: 'made' };
  }`,
);

const fn: FunctionModel = {
  logicalId: 'Fn',
  functionName: 'server-test-fn',
  handler: 'index.handler',
  runtime: 'nodejs24.x',
  timeoutSeconds: 10,
  memoryMb: 128, ephemeralStorageMb: 512,
  environment: {},
  assetDir,
};
const routes: RouteModel[] = ['ANY /things', 'GET /things/{id}'].map((routeKey) => {
  const [method = '', p = ''] = routeKey.split(' ');
  return { routeKey, method, path: p, functionLogicalId: 'Fn', payloadFormatVersion: '2.0' };
});

let runtime: FunctionRuntime;
let api: LocalServer;
let control: LocalServer;
const logs: string[] = [];
beforeAll(async () => {
  runtime = new FunctionRuntime({ fn, environment: {}, region: 'us-east-1', accountId: '000000000000', log: (l) => logs.push(l) });
  api = await startApiServer({ routes, runtimes: new Map([['Fn', runtime]]), apiId: 'local', accountId: '000000000000', integrationTimeoutMs: 1_000 });
  control = await startControlServer({
    functions: new Map([[fn.functionName, runtime]]),
    logs: () => logs,
    faults: {},
    region: 'us-east-1',
    accountId: '000000000000',
  });
});
afterAll(async () => {
  await Promise.all([api.close(), control.close(), runtime.close()]);
  rmSync(assetDir, { recursive: true, force: true });
});

// The gateway's side, from harness/targets/local/conformance/sources.ts unless said otherwise: the event and the response
// mapping (DOC_PAYLOAD, https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html:
// cookies become set-cookie headers, duplicate query values are joined with commas, a plain string result is a 200
// application/json), the failing integration's 500 (DOC_TROUBLESHOOTING), the apigw-requestid shape (dotnetSnapshot,
// GO_NO_AUTHORIZER). The other gateway answers cite their captures in harness/targets/local/http-api.ts GATEWAY_RESPONSES.
describe('local HTTP API server', () => {
  it("should return the function's status, headers, cookies and body", async () => {
    const res = await fetch(`${api.url}/things`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-mode')).toBe('default');
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(res.headers.get('apigw-requestid')).toMatch(/^[A-Za-z0-9_-]{15}=$/);
    expect(await res.text()).toBe('made');
  });

  it('should pass path parameters, query and body in the 2.0 event', async () => {
    const res = await fetch(`${api.url}/things/42?mode=echo&x=1&x=2`);
    const event = (await res.json()) as Record<string, unknown>;
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'GET /things/{id}',
      rawPath: '/things/42',
      pathParameters: { id: '42' },
      queryStringParameters: { mode: 'echo', x: '1,2' },
    });
  });

  it('should answer a string result with 200 application/json and the string as body', async () => {
    const res = await fetch(`${api.url}/things?mode=string`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.text()).toBe('plain words');
  });

  it("should answer API Gateway's 500 when the function throws, and log the error", async () => {
    const res = await fetch(`${api.url}/things?mode=throw`);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ message: 'Internal Server Error' });
    expect(logs.join('\n')).toContain('boom');
  });

  // Source: live capture of an HTTP API timing out, cortexlabs/cortex#1225 (13 Aug 2020).
  it("should answer API Gateway's 503 when the integration runs past the gateway's limit", async () => {
    const res = await fetch(`${api.url}/things?mode=sleep`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ message: 'Service Unavailable' });
  });

  // Source: aws/aws-lambda-dotnet@0923e6af4f8c242be036b6ea2c055aa023cb288d LambdaTestTool-v2 Extensions/ResultExtensions.cs (RouteNotFound).
  it("should answer unmatched routes with API Gateway's 404 without calling the function", async () => {
    const before = logs.length;
    const res = await fetch(`${api.url}/nothing`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ message: 'Not Found' });
    expect(logs.length).toBe(before);
  });

  // Source: HTTP_API_QUOTAS for the limit; the answer as live captures show it (koki-develop/lgtm-generator#10, 2021;
  // chroma-core/chroma#1458, 2023).
  it('should answer 413 in plain text for a body over 10 MB', async () => {
    const res = await fetch(`${api.url}/things`, { method: 'POST', body: Buffer.alloc(10 * 1024 * 1024 + 1, 97) });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toBe('text; charset=utf-8');
    expect(await res.text()).toBe('HTTP content length exceeded 10485760 bytes.');
  });
});

// The Invoke API: https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html (X-Amz-Function-Error "Unhandled",
// RequestEntityTooLargeException, ResourceNotFoundException); the oversized request's message is the one
// harness/targets/local/server.ts cites (aws/aws-lambda-dotnet LambdaTestTool-v2's tests), its limit LAMBDA_LIMITS (limits.ts).
describe('control server: the Lambda Invoke API for @aws-sdk/client-lambda', () => {
  const client = () =>
    new LambdaClient({ region: 'us-east-1', endpoint: control.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });

  it('should invoke the function and return its payload', async () => {
    const out = await client().send(new InvokeCommand({ FunctionName: fn.functionName, Payload: Buffer.from('{"mode":"string"}') }));
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBeUndefined();
    expect(JSON.parse(Buffer.from(out.Payload!).toString())).toBe('plain words');
  });

  it('should report a failing function with FunctionError Unhandled and the error payload', async () => {
    const out = await client().send(new InvokeCommand({ FunctionName: fn.functionName, Payload: Buffer.from('{"mode":"throw"}') }));
    expect(out.FunctionError).toBe('Unhandled');
    expect(JSON.parse(Buffer.from(out.Payload!).toString())).toMatchObject({ errorType: 'Error', errorMessage: 'boom' });
  });

  it('should accept a function ARN as the name', async () => {
    const arn = `arn:aws:lambda:us-east-1:000000000000:function:${fn.functionName}`;
    const out = await client().send(new InvokeCommand({ FunctionName: arn, Payload: Buffer.from('{"mode":"string"}') }));
    expect(out.FunctionError).toBeUndefined();
  });

  it("should refuse a payload over Lambda's 6 MB request limit as AWS does, without invoking", async () => {
    const before = logs.length;
    const payload = Buffer.from(JSON.stringify({ mode: 'string', pad: 'x'.repeat(6_291_456) }));
    await expect(client().send(new InvokeCommand({ FunctionName: fn.functionName, Payload: payload }))).rejects.toMatchObject({
      name: 'RequestEntityTooLargeException',
      message: 'Request must be smaller than 6291456 bytes for the InvokeFunction operation',
    });
    expect(logs.length).toBe(before);
  });

  it('should answer ResourceNotFoundException for an unknown function', async () => {
    await expect(client().send(new InvokeCommand({ FunctionName: 'nope' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('should say which faults exist when asked for one it cannot inject', async () => {
    const res = await fetch(`${control.url}/__harness/faults/mount-missing`, { method: 'PUT' });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { message: string }).message).toContain('cannot be injected here');
  });
});

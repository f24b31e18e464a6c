import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { RuntimeApi, type RuntimeApiInvocation, RuntimeInitError } from './runtime-api.ts';

// The Runtime API as AWS documents it (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html; response
// streaming: .../runtimes-custom.html) and as aws-lambda-ric 4.0.2 calls it (index.mjs RAPIDClient,
// createResponseStream, ContextBuilder's header names). Here a plain HTTP client plays the runtime; the same server
// against the real client is runtime-api.ric.test.ts.

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(api: RuntimeApi, method: string, path: string, body?: string | Buffer, headers: Record<string, string | string[]> = {}, trailers?: Record<string, string>): Promise<Answer> {
  const [host, port] = api.address.split(':');
  return new Promise((resolve, reject) => {
    const req = request({ host, port: Number(port), method, path: `/2018-06-01/runtime${path}`, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    if (trailers) {
      req.write(body ?? '');
      req.addTrailers(trailers);
      req.end();
    } else req.end(body);
  });
}

const invocation = (requestId: string, extra: Partial<RuntimeApiInvocation> = {}): RuntimeApiInvocation => ({
  requestId,
  event: JSON.stringify({ hello: requestId }),
  deadlineMs: 1_900_000_000_000,
  functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:f',
  traceId: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0',
  ...extra,
});

let api: RuntimeApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

describe('RuntimeApi', () => {
  it('should end init at the first next and hand over the event with the headers the client reads', async () => {
    api = await RuntimeApi.start();
    const next = call(api, 'GET', '/invocation/next');
    await api.initialized;
    const result = api.invoke(invocation('req-1', { clientContext: '{"custom":{"a":1}}', cognitoIdentity: '{"cognitoIdentityId":"id"}' }));
    const delivered = await next;
    expect(delivered.status).toBe(200);
    expect(JSON.parse(delivered.body)).toEqual({ hello: 'req-1' });
    expect(delivered.headers).toMatchObject({
      'lambda-runtime-aws-request-id': 'req-1',
      'lambda-runtime-deadline-ms': '1900000000000',
      'lambda-runtime-invoked-function-arn': 'arn:aws:lambda:us-east-1:000000000000:function:f',
      'lambda-runtime-trace-id': 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0',
      'lambda-runtime-client-context': '{"custom":{"a":1}}',
      'lambda-runtime-cognito-identity': '{"cognitoIdentityId":"id"}',
    });
    const posted = await call(api, 'POST', '/invocation/req-1/response', '{"ok":true}');
    expect(posted.status).toBe(202);
    const outcome = await result;
    expect(outcome.ok && outcome.payload.toString()).toBe('{"ok":true}');
  });

  it('should hold next until an invocation arrives (long poll)', async () => {
    api = await RuntimeApi.start();
    let answered = false;
    const next = call(api, 'GET', '/invocation/next').then((a) => {
      answered = true;
      return a;
    });
    await api.initialized;
    await new Promise((r) => setTimeout(r, 100));
    expect(answered).toBe(false);
    void api.invoke(invocation('req-late'));
    expect((await next).headers['lambda-runtime-aws-request-id']).toBe('req-late');
  });

  it('should take an error with its type, and refuse a result for any other request id', async () => {
    api = await RuntimeApi.start();
    const next = call(api, 'GET', '/invocation/next');
    const result = api.invoke(invocation('req-2'));
    await next;
    const wrong = await call(api, 'POST', '/invocation/someone-else/response', '{}');
    expect(wrong.status).toBe(400);
    expect(JSON.parse(wrong.body)).toEqual({ errorMessage: 'Invalid request ID', errorType: 'InvalidRequestID' });
    const error = { errorType: 'TypeError', errorMessage: 'bad thing', trace: ['TypeError: bad thing', '    at x'] };
    const posted = await call(api, 'POST', '/invocation/req-2/error', JSON.stringify(error), { 'Lambda-Runtime-Function-Error-Type': 'TypeError' });
    expect(posted.status).toBe(202);
    expect(await result).toEqual({ ok: false, ...error });
  });

  it('should refuse a second invocation while one is in flight: one at a time per environment', async () => {
    api = await RuntimeApi.start();
    void api.invoke(invocation('req-a'));
    expect(() => api!.invoke(invocation('req-b'))).toThrow(/busy with req-a: one invocation at a time/);
  });

  it('should report an init error to whoever waits for init', async () => {
    api = await RuntimeApi.start();
    const body = { errorType: 'Runtime.HandlerNotFound', errorMessage: 'index.nope is undefined or not exported', trace: [] };
    expect((await call(api, 'POST', '/init/error', JSON.stringify(body), { 'Lambda-Runtime-Function-Error-Type': 'Runtime.HandlerNotFound' })).status).toBe(202);
    const error = await api.initialized.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuntimeInitError);
    expect((error as RuntimeInitError).lambdaError).toEqual(body);
  });

  it('should take a streamed response, and a stream that failed midway as the error in its trailers', async () => {
    api = await RuntimeApi.start();
    let next = call(api, 'GET', '/invocation/next');
    let result = api.invoke(invocation('req-s1'));
    await next;
    const streamHeaders = { 'Lambda-Runtime-Function-Response-Mode': 'streaming', 'Transfer-Encoding': 'chunked', Trailer: ['Lambda-Runtime-Function-Error-Type', 'Lambda-Runtime-Function-Error-Body'] };
    await call(api, 'POST', '/invocation/req-s1/response', 'part one, part two', streamHeaders, {});
    expect(await result).toEqual({ ok: true, payload: Buffer.from('part one, part two'), streamed: true });

    next = call(api, 'GET', '/invocation/next');
    result = api.invoke(invocation('req-s2'));
    await next;
    const error = { errorType: 'Error', errorMessage: 'stream broke', trace: [] };
    await call(api, 'POST', '/invocation/req-s2/response', 'half', streamHeaders, {
      'Lambda-Runtime-Function-Error-Type': 'Error',
      'Lambda-Runtime-Function-Error-Body': Buffer.from(JSON.stringify(error)).toString('base64'),
    });
    expect(await result).toEqual({ ok: false, ...error });
  });

  it("should refuse a buffered response over Lambda's 6 MB limit with 413 and fail the invocation", async () => {
    api = await RuntimeApi.start();
    const next = call(api, 'GET', '/invocation/next');
    const result = api.invoke(invocation('req-big'));
    await next;
    const posted = await call(api, 'POST', '/invocation/req-big/response', Buffer.alloc(6_291_557, 'x'));
    expect(posted.status).toBe(413);
    expect(await result).toEqual({
      ok: false,
      errorType: 'Function.ResponseSizeTooLarge',
      errorMessage: 'Response payload size exceeded maximum allowed payload size (6291556 bytes).',
    });
  });
});

import { describe, expect, it } from 'vitest';
import { call, env, storedFiles } from './support/env.ts';

// The console walkthrough's function answers exactly this (a JSON string, quotes included).
const GREETING = JSON.stringify('こんにちは!はじめてのVPC Lambda!!');

describe('greeting route: ANY /myHelloVPCLambda', () => {
  it('should answer 200 with the walkthrough greeting as a JSON string', async () => {
    const reply = await call('GET', '/myHelloVPCLambda');
    expect(reply.status).toBe(200);
    expect(reply.text).toBe(GREETING);
    expect(reply.headers['content-type']).toMatch(/^application\/json/);
  });

  it.each(['POST', 'PUT', 'PATCH', 'DELETE'])('should answer %s the same way, since the route is ANY', async (method) => {
    const reply = await call(method, '/myHelloVPCLambda', { body: '{}' });
    expect(reply.status).toBe(200);
    expect(reply.text).toBe(GREETING);
  });

  it('should write nothing to the file system', async () => {
    const before = await storedFiles();
    await call('GET', '/myHelloVPCLambda');
    expect(await storedFiles()).toEqual(before);
  });

  it('should answer the same payload when the function is invoked directly', async () => {
    const result = await env.invoke({
      version: '2.0',
      routeKey: 'ANY /myHelloVPCLambda',
      rawPath: '/myHelloVPCLambda',
      rawQueryString: '',
      headers: {},
      requestContext: { http: { method: 'GET', path: '/myHelloVPCLambda' }, routeKey: 'ANY /myHelloVPCLambda', stage: '$default' },
      isBase64Encoded: false,
    });
    expect(result.functionError).toBeUndefined();
    expect(result.payload).toMatchObject({ statusCode: 200, body: GREETING });
  });
});

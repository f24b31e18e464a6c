import { describe, expect, it } from 'vitest';
import { call } from './support/env.ts';

// An HTTP API answers requests that match no route itself, without calling the function.
const NOT_FOUND = { message: 'Not Found' };

describe('routing by the HTTP API', () => {
  it.each([
    ['GET', '/'],
    ['GET', '/nope'],
    ['DELETE', '/messages'],
    ['GET', '/myHelloVPCLambda/extra'],
    ['GET', '/MYHELLOVPCLAMBDA'],
  ])('should answer %s %s with API Gateway\'s own 404', async (method, path) => {
    const reply = await call(method, path);
    expect(reply.status).toBe(404);
    expect(reply.json()).toEqual(NOT_FOUND);
  });
});

import { describe, expect, it } from 'vitest';
import type { RouteModel } from '../../model/assembly.ts';
import { formatRequestTime, GATEWAY_RESPONSES, matchRoute, toEvent, toHttpResponse } from './http-api.ts';

// Behaviour follows AWS's documentation of HTTP APIs:
// routes: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html
// payload format 2.0: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html

const route = (routeKey: string): RouteModel => {
  const [method = '', path = ''] = routeKey.split(' ');
  return { routeKey, method, path, functionLogicalId: 'Fn', payloadFormatVersion: '2.0' };
};
const ROUTES = ['ANY /myHelloVPCLambda', 'POST /messages', 'GET /messages', 'GET /messages/{id}', 'GET /health'].map(route);

describe('matchRoute', () => {
  it('should match ANY for every method', () => {
    for (const method of ['GET', 'POST', 'DELETE', 'PATCH']) {
      expect(matchRoute(ROUTES, method, '/myHelloVPCLambda')?.route.routeKey).toBe('ANY /myHelloVPCLambda');
    }
  });

  it('should take path parameters from {name} segments, URL-decoded', () => {
    expect(matchRoute(ROUTES, 'GET', '/messages/a%20b')).toEqual({ route: ROUTES[3], pathParameters: { id: 'a b' } });
  });

  it('should not match a method the route does not have', () => {
    expect(matchRoute(ROUTES, 'DELETE', '/messages')).toBeUndefined();
  });

  it('should match paths case-sensitively and segment by segment', () => {
    expect(matchRoute(ROUTES, 'GET', '/Health')).toBeUndefined();
    expect(matchRoute(ROUTES, 'GET', '/health/')).toBeUndefined();
    expect(matchRoute(ROUTES, 'GET', '/messages/a/b')).toBeUndefined();
    expect(matchRoute(ROUTES, 'GET', '/messages/')).toBeUndefined();
  });

  it('should prefer the most specific route: literal over {param} over {proxy+}, exact method over ANY', () => {
    const routes = ['GET /pets/{proxy+}', 'GET /pets/{id}', 'GET /pets/dog', 'ANY /pets/dog'].map(route);
    expect(matchRoute(routes, 'GET', '/pets/dog')?.route.routeKey).toBe('GET /pets/dog');
    expect(matchRoute(routes, 'POST', '/pets/dog')?.route.routeKey).toBe('ANY /pets/dog');
    expect(matchRoute(routes, 'GET', '/pets/cat')?.route.routeKey).toBe('GET /pets/{id}');
    expect(matchRoute(routes, 'GET', '/pets/cat/1')).toEqual({ route: routes[0], pathParameters: { proxy: 'cat/1' } });
  });
});

describe('toEvent', () => {
  const now = new Date(Date.UTC(2020, 2, 12, 19, 3, 58, 390));
  const event = toEvent(
    {
      method: 'POST',
      url: '/my/path?parameter1=value1&parameter1=value2&parameter2=value',
      rawHeaders: ['Header1', 'value1', 'Header2', 'value1', 'header2', 'value2', 'Cookie', 'cookie1; cookie2', 'User-Agent', 'agent'],
      body: Buffer.from('Hello from Lambda'),
      sourceIp: '127.0.0.1',
      protocol: 'HTTP/1.1',
    },
    { route: route('POST /my/path') },
    { apiId: 'api-id', accountId: '123456789012', domainName: 'id.execute-api.us-east-1.amazonaws.com', now, requestId: 'id', traceId: 'Root=1-5e6a880e-000000000000000000000000' },
  );

  // The documented example lacks the headers the gateway adds; live captures have them (see conformance/).
  it("should shape the event like AWS's documented 2.0 example, plus the gateway's own headers", () => {
    expect(event).toEqual({
      version: '2.0',
      routeKey: 'POST /my/path',
      rawPath: '/my/path',
      rawQueryString: 'parameter1=value1&parameter1=value2&parameter2=value',
      cookies: ['cookie1', 'cookie2'],
      headers: {
        header1: 'value1',
        header2: 'value1,value2',
        'user-agent': 'agent',
        'content-length': '17',
        'x-amzn-trace-id': 'Root=1-5e6a880e-000000000000000000000000',
        'x-forwarded-for': '127.0.0.1',
        'x-forwarded-port': '443',
        'x-forwarded-proto': 'https',
      },
      queryStringParameters: { parameter1: 'value1,value2', parameter2: 'value' },
      requestContext: {
        accountId: '123456789012',
        apiId: 'api-id',
        domainName: 'id.execute-api.us-east-1.amazonaws.com',
        domainPrefix: 'id',
        http: { method: 'POST', path: '/my/path', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'agent' },
        requestId: 'id',
        routeKey: 'POST /my/path',
        stage: '$default',
        time: '12/Mar/2020:19:03:58 +0000',
        timeEpoch: now.getTime(),
      },
      body: 'Hello from Lambda',
      isBase64Encoded: false,
    });
  });

  it('should base64-encode a body whose content type is not text', () => {
    const binary = toEvent(
      { method: 'POST', url: '/x', rawHeaders: ['Content-Type', 'application/octet-stream'], body: Buffer.from([0, 255, 1]), sourceIp: '::1', protocol: 'HTTP/1.1' },
      { route: route('POST /x') },
      { apiId: 'a', accountId: '1', domainName: 'localhost' },
    );
    expect(binary).toMatchObject({ body: 'AP8B', isBase64Encoded: true });
  });

  it('should pass JSON bodies as text and leave out absent parts', () => {
    const json = toEvent(
      { method: 'GET', url: '/x', rawHeaders: ['content-type', 'application/json; charset=utf-8'], body: Buffer.alloc(0), sourceIp: '::1', protocol: 'HTTP/1.1' },
      { route: route('GET /x') },
      { apiId: 'a', accountId: '1', domainName: 'localhost' },
    );
    expect(json).not.toHaveProperty('body');
    expect(json).not.toHaveProperty('cookies');
    expect(json).not.toHaveProperty('queryStringParameters');
    expect(json).not.toHaveProperty('pathParameters');
    expect(json).toMatchObject({ isBase64Encoded: false });
  });

  it('should append the client to an x-forwarded-for the client sent, as a proxy does', () => {
    const forwarded = toEvent(
      { method: 'GET', url: '/x', rawHeaders: ['X-Forwarded-For', '203.0.113.7'], body: Buffer.alloc(0), sourceIp: '192.0.2.1', protocol: 'HTTP/1.1' },
      { route: route('GET /x') },
      { apiId: 'a', accountId: '1', domainName: 'localhost' },
    );
    expect(forwarded.headers['x-forwarded-for']).toBe('203.0.113.7, 192.0.2.1');
  });

  it('should format the request time as in the documented example', () => {
    expect(formatRequestTime(new Date(Date.UTC(2020, 2, 2, 9, 3, 8)))).toBe('02/Mar/2020:09:03:08 +0000');
  });
});

describe('toHttpResponse', () => {
  const text = (r: ReturnType<typeof toHttpResponse>) => r.body.toString('utf8');

  it('should use a result with statusCode as given', () => {
    const r = toHttpResponse({ statusCode: 201, headers: { 'Content-Type': 'text/plain', 'X-N': '1' }, body: 'made' });
    expect(r.statusCode).toBe(201);
    expect(r.headers).toEqual({ 'content-type': ['text/plain'], 'x-n': ['1'] });
    expect(text(r)).toBe('made');
  });

  it('should turn cookies into one set-cookie header each', () => {
    expect(toHttpResponse({ statusCode: 200, cookies: ['a=1', 'b=2'] }).headers['set-cookie']).toEqual(['a=1', 'b=2']);
  });

  it('should decode a base64 body when isBase64Encoded is true', () => {
    expect(toHttpResponse({ statusCode: 200, body: 'AP8B', isBase64Encoded: true }).body).toEqual(Buffer.from([0, 255, 1]));
  });

  it('should infer 200 application/json with the string as body for a string result (documented example)', () => {
    const r = toHttpResponse('Hello from Lambda!');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toEqual(['application/json']);
    expect(text(r)).toBe('Hello from Lambda!');
  });

  it('should infer 200 with the JSON of an object result that has no statusCode (documented example)', () => {
    const r = toHttpResponse({ message: 'Hello from Lambda!' });
    expect(r.statusCode).toBe(200);
    expect(JSON.parse(text(r))).toEqual({ message: 'Hello from Lambda!' });
  });

  it('should answer 500 for a statusCode API Gateway cannot use', () => {
    expect(toHttpResponse({ statusCode: 'soon' }).statusCode).toBe(GATEWAY_RESPONSES.functionError.statusCode);
    expect(toHttpResponse({ statusCode: 42 }).statusCode).toBe(500);
  });
});

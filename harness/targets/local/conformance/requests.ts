import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import {
  DOC_PAYLOAD,
  DOC_ROUTES,
  dotnetSnapshot,
  GO_IAM,
  GO_NO_AUTHORIZER,
  POWERTOOLS_NO_AUTH,
  type Source,
} from './sources.ts';

/**
 * Requests from real HTTP API captures and AWS's documentation, and the event the function must receive.
 * Values that differ per run or per API are written as tokens, and suite.ts normalises the local
 * event the same way after checking their format: `ACCOUNT`, `API`, `DOMAIN`, `PREFIX`, `REQUEST_ID`, `TIME`,
 * `EPOCH` (0), `IP` (client address and `x-forwarded-for`), `HOST`, `PORT`, `PROTO`, `TRACE`.
 * Not compared: `requestContext.authorizer` and `authentication` (no authorizers or mutual TLS locally) and
 * `stageVariables` (none in this pattern's `$default` stage).
 */
export interface RequestCase {
  readonly name: string;
  readonly source: Source;
  /** The route of the captured API: `METHOD /path`, `ANY /path` or `$default`. */
  readonly route: string;
  readonly request: {
    readonly method: string;
    /** Path and query exactly as sent on the wire (percent-encoded). */
    readonly target: string;
    /** Header lines as sent (a name may repeat). */
    readonly headers: readonly (readonly [string, string])[];
    readonly body?: Buffer;
  };
  readonly event: APIGatewayProxyEventV2;
}

const context = (method: string, path: string, userAgent: string, routeKey: string): APIGatewayProxyEventV2['requestContext'] => ({
  accountId: 'ACCOUNT',
  apiId: 'API',
  domainName: 'DOMAIN',
  domainPrefix: 'PREFIX',
  http: { method, path, protocol: 'HTTP/1.1', sourceIp: 'IP', userAgent },
  requestId: 'REQUEST_ID',
  routeKey,
  stage: '$default',
  time: 'TIME',
  timeEpoch: 0,
});

/** What the gateway adds to every request (all captures). */
const GATEWAY_HEADERS = { host: 'HOST', 'x-amzn-trace-id': 'TRACE', 'x-forwarded-for': 'IP', 'x-forwarded-port': 'PORT', 'x-forwarded-proto': 'PROTO' };

export const REQUEST_CASES: readonly RequestCase[] = [
  {
    name: 'query with repeated keys, cookies, header case, a {param} route',
    source: dotnetSnapshot('V2_SimpleGetRequest'),
    route: 'POST /test9/api/users/{userId}/orders',
    request: {
      method: 'POST',
      target: '/test9/api/users/123/orders?status=pending&tag=important&tag=urgent',
      headers: [
        ['user-agent', 'TestAgent'],
        ['accept', 'text/html, application/json'],
        ['cookie', 'session=abc123; theme=dark'],
        ['x-custom-Header', 'value1'],
        ['content-type', 'text/plain; charset=utf-8'],
      ],
    },
    event: {
      version: '2.0',
      routeKey: 'POST /test9/api/users/{userId}/orders',
      rawPath: '/test9/api/users/123/orders',
      rawQueryString: 'status=pending&tag=important&tag=urgent',
      cookies: ['session=abc123', 'theme=dark'],
      headers: {
        accept: 'text/html, application/json',
        'content-length': '0',
        'content-type': 'text/plain; charset=utf-8',
        'user-agent': 'TestAgent',
        'x-custom-header': 'value1',
        ...GATEWAY_HEADERS,
      },
      queryStringParameters: { status: 'pending', tag: 'important,urgent' },
      requestContext: context('POST', '/test9/api/users/123/orders', 'TestAgent', 'POST /test9/api/users/{userId}/orders'),
      pathParameters: { userId: '123' },
      isBase64Encoded: false,
    },
  },
  {
    name: 'binary body arrives base64-encoded, content-length from the gateway, empty user agent',
    source: dotnetSnapshot('V2_BinaryContent'),
    route: 'POST /test11/api/users/{userId}/avatar',
    request: {
      method: 'POST',
      target: '/test11/api/users/123/avatar',
      headers: [['content-type', 'application/octet-stream']],
      body: Buffer.from([1, 2, 3, 4, 5]),
    },
    event: {
      version: '2.0',
      routeKey: 'POST /test11/api/users/{userId}/avatar',
      rawPath: '/test11/api/users/123/avatar',
      rawQueryString: '',
      headers: { 'content-length': '5', 'content-type': 'application/octet-stream', ...GATEWAY_HEADERS },
      requestContext: context('POST', '/test11/api/users/123/avatar', '', 'POST /test11/api/users/{userId}/avatar'),
      body: 'AQIDBAU=',
      pathParameters: { userId: '123' },
      isBase64Encoded: true,
    },
  },
  {
    name: 'rawQueryString stays encoded, queryStringParameters are decoded',
    source: dotnetSnapshot('V2_UrlEncodedQueryString'),
    route: 'POST /test12/api/search',
    request: { method: 'POST', target: '/test12/api/search?q=Hello%20World&tag=C%23%20Programming&tag=.NET%20Core', headers: [] },
    event: {
      version: '2.0',
      routeKey: 'POST /test12/api/search',
      rawPath: '/test12/api/search',
      rawQueryString: 'q=Hello%20World&tag=C%23%20Programming&tag=.NET%20Core',
      headers: { 'content-length': '0', ...GATEWAY_HEADERS },
      queryStringParameters: { q: 'Hello World', tag: 'C# Programming,.NET Core' },
      requestContext: context('POST', '/test12/api/search', '', 'POST /test12/api/search'),
      isBase64Encoded: false,
    },
  },
  {
    name: 'percent-encoded path: rawPath, http.path and path parameters decoded (capture beats the name "raw")',
    source: dotnetSnapshot('V2_SpecialCharactersInPath'),
    route: 'POST /test13/api/users/{username}/orders/{orderName}',
    request: { method: 'POST', target: '/test13/api/users/****%20Doe/orders/Summer%20Sale%202023', headers: [] },
    event: {
      version: '2.0',
      routeKey: 'POST /test13/api/users/{username}/orders/{orderName}',
      rawPath: '/test13/api/users/**** Doe/orders/Summer Sale 2023',
      rawQueryString: '',
      headers: { 'content-length': '0', ...GATEWAY_HEADERS },
      requestContext: context('POST', '/test13/api/users/**** Doe/orders/Summer Sale 2023', '', 'POST /test13/api/users/{username}/orders/{orderName}'),
      pathParameters: { username: '**** Doe', orderName: 'Summer Sale 2023' },
      isBase64Encoded: false,
    },
  },
  {
    name: 'non-ASCII path segments decoded as UTF-8',
    source: dotnetSnapshot('V2_UnicodeCharactersInPath'),
    route: 'POST /test14/api/products/{productName}/reviews/{reviewTitle}',
    request: { method: 'POST', target: '/test14/api/products/%E2%98%95%20Coffee/reviews/%F0%9F%98%8A%20Happy', headers: [] },
    event: {
      version: '2.0',
      routeKey: 'POST /test14/api/products/{productName}/reviews/{reviewTitle}',
      rawPath: '/test14/api/products/☕ Coffee/reviews/😊 Happy',
      rawQueryString: '',
      headers: { 'content-length': '0', ...GATEWAY_HEADERS },
      requestContext: context('POST', '/test14/api/products/☕ Coffee/reviews/😊 Happy', '', 'POST /test14/api/products/{productName}/reviews/{reviewTitle}'),
      pathParameters: { productName: '☕ Coffee', reviewTitle: '😊 Happy' },
      isBase64Encoded: false,
    },
  },
  {
    name: 'GET on the $default route: content-length 0 added, no body, no optional parts',
    source: GO_NO_AUTHORIZER,
    route: '$default',
    request: { method: 'GET', target: '/', headers: [['accept', '*/*'], ['user-agent', 'curl/7.58.0']] },
    event: {
      version: '2.0',
      routeKey: '$default',
      rawPath: '/',
      rawQueryString: '',
      headers: { accept: '*/*', 'content-length': '0', 'user-agent': 'curl/7.58.0', ...GATEWAY_HEADERS },
      requestContext: context('GET', '/', 'curl/7.58.0', '$default'),
      isBase64Encoded: false,
    },
  },
  {
    // python-requests (under HTTPie) sends `Connection: keep-alive`; the capture has no such header.
    name: 'POST without a body: no body field; hop-by-hop headers dropped',
    source: POWERTOOLS_NO_AUTH,
    route: 'POST /lambda',
    request: {
      method: 'POST',
      target: '/lambda',
      headers: [
        ['accept', '*/*'],
        ['accept-encoding', 'gzip, deflate'],
        ['authorization', 'Bearer foo'],
        ['user-agent', 'HTTPie/3.2.2'],
        ['connection', 'keep-alive'],
      ],
    },
    event: {
      version: '2.0',
      routeKey: 'POST /lambda',
      rawPath: '/lambda',
      rawQueryString: '',
      headers: {
        accept: '*/*',
        'accept-encoding': 'gzip, deflate',
        authorization: 'Bearer foo',
        'content-length': '0',
        'user-agent': 'HTTPie/3.2.2',
        ...GATEWAY_HEADERS,
      },
      requestContext: context('POST', '/lambda', 'HTTPie/3.2.2', 'POST /lambda'),
      isBase64Encoded: false,
    },
  },
  {
    name: 'repeated headers joined with commas, every cookie header into cookies, text body',
    source: DOC_PAYLOAD,
    route: 'POST /my/path',
    request: {
      method: 'POST',
      target: '/my/path?parameter1=value1&parameter1=value2&parameter2=value',
      headers: [
        ['Header1', 'value1'],
        ['Header2', 'value1'],
        ['Header2', 'value2'],
        ['Cookie', 'cookie1'],
        ['Cookie', 'cookie2'],
        ['Content-Type', 'text/plain'],
      ],
      body: Buffer.from('Hello from Lambda'),
    },
    event: {
      version: '2.0',
      routeKey: 'POST /my/path',
      rawPath: '/my/path',
      rawQueryString: 'parameter1=value1&parameter1=value2&parameter2=value',
      cookies: ['cookie1', 'cookie2'],
      headers: { header1: 'value1', header2: 'value1,value2', 'content-type': 'text/plain', 'content-length': '17', ...GATEWAY_HEADERS },
      queryStringParameters: { parameter1: 'value1,value2', parameter2: 'value' },
      requestContext: context('POST', '/my/path', '', 'POST /my/path'),
      body: 'Hello from Lambda',
      isBase64Encoded: false,
    },
  },
  {
    name: 'JSON body arrives as text, byte for byte',
    source: GO_IAM,
    route: 'POST /json',
    request: { method: 'POST', target: '/json', headers: [['content-type', 'application/json']], body: Buffer.from('{\r\n\t"a": 1\r\n}') },
    event: {
      version: '2.0',
      routeKey: 'POST /json',
      rawPath: '/json',
      rawQueryString: '',
      headers: { 'content-type': 'application/json', 'content-length': '13', ...GATEWAY_HEADERS },
      requestContext: context('POST', '/json', '', 'POST /json'),
      body: '{\r\n\t"a": 1\r\n}',
      isBase64Encoded: false,
    },
  },
  {
    name: 'ANY route: routeKey is the route, http.method the request',
    source: DOC_ROUTES,
    route: 'ANY /things/{id}',
    request: { method: 'DELETE', target: '/things/42', headers: [] },
    event: {
      version: '2.0',
      routeKey: 'ANY /things/{id}',
      rawPath: '/things/42',
      rawQueryString: '',
      headers: { 'content-length': '0', ...GATEWAY_HEADERS },
      requestContext: context('DELETE', '/things/42', '', 'ANY /things/{id}'),
      pathParameters: { id: '42' },
      isBase64Encoded: false,
    },
  },
  {
    name: 'greedy {proxy+} route takes the rest of the path, decoded',
    source: DOC_ROUTES,
    route: 'GET /files/{proxy+}',
    request: { method: 'GET', target: '/files/a/b%20c', headers: [] },
    event: {
      version: '2.0',
      routeKey: 'GET /files/{proxy+}',
      rawPath: '/files/a/b c',
      rawQueryString: '',
      headers: { 'content-length': '0', ...GATEWAY_HEADERS },
      requestContext: context('GET', '/files/a/b c', '', 'GET /files/{proxy+}'),
      pathParameters: { proxy: 'a/b c' },
      isBase64Encoded: false,
    },
  },
];

import { DOC_PAYLOAD, DOC_TROUBLESHOOTING, DOTNET_EMULATOR, dotnetSnapshot, LAMBDA_RESPONSE_LIMIT, NODE_RUNTIME, type Source } from './sources.ts';

/**
 * What the function returns, and the HTTP response the client must get. Headers the gateway always adds
 * (`date`, `connection`, `apigw-requestid`, `content-length` = body bytes) are checked by the test itself;
 * `headers` lists every other header, so an extra one fails too.
 */
export interface ResultCase {
  readonly name: string;
  readonly source: Source;
  /** The handler's return value (JSON); `undefined` for a handler that returns nothing. */
  readonly result: unknown;
  readonly response: { readonly statusCode: number; readonly headers: Readonly<Record<string, string | readonly string[]>>; readonly body: string };
}

/** Result cases whose source behaviour the Node.js runtime cannot produce, with the reason. */
export const UNREPRODUCIBLE_RESULTS: readonly { name: string; source: Source; reason: string }[] = [
  {
    name: 'a payload that is not JSON (e.g. a partial object) is sent as the body with 200',
    source: dotnetSnapshot('ToApiGatewayProxyResponse_ValidResponse_MatchesDirectConversionInvalid_JSON_Partial_Object'),
    reason: 'the Node.js runtime always posts JSON.stringify(result) (RAPIDClient.js), so a Node function cannot return invalid JSON',
  },
];

const SERVER_ERROR = { statusCode: 500, headers: { 'content-type': 'application/json' }, body: '{"message":"Internal Server Error"}' } as const;
const JSON_TYPE = { 'content-type': 'application/json' } as const;
const TEXT_TYPE = { 'content-type': 'text/plain; charset=utf-8' } as const;

export const RESULT_CASES: readonly ResultCase[] = [
  {
    name: 'structured result with its own content type',
    source: dotnetSnapshot('V2_SimpleJsonResponse'),
    result: { statusCode: 200, body: '{"message":"Hello, World!"}', headers: { 'Content-Type': 'application/json' } },
    response: { statusCode: 200, headers: JSON_TYPE, body: '{"message":"Hello, World!"}' },
  },
  {
    name: 'structured result without headers gets text/plain; charset=utf-8',
    source: dotnetSnapshot('V2_SetsCorrectStatusCode'),
    result: { statusCode: 201, body: '{"message":"Created"}' },
    response: { statusCode: 201, headers: TEXT_TYPE, body: '{"message":"Created"}' },
  },
  {
    name: 'isBase64Encoded false: body as given',
    source: dotnetSnapshot('V2_SetsBodyNonBase64'),
    result: { statusCode: 200, body: '{"message":"Hello, API Gateway v2!"}', isBase64Encoded: false },
    response: { statusCode: 200, headers: TEXT_TYPE, body: '{"message":"Hello, API Gateway v2!"}' },
  },
  {
    name: 'isBase64Encoded true: body decoded',
    source: dotnetSnapshot('V2_SetsBodyBase64'),
    result: { statusCode: 200, body: Buffer.from('{"message":"Hello, API Gateway v2!"}').toString('base64'), isBase64Encoded: true },
    response: { statusCode: 200, headers: TEXT_TYPE, body: '{"message":"Hello, API Gateway v2!"}' },
  },
  {
    name: 'plain text body, no content type named',
    source: dotnetSnapshot('V2_DefaultsToTextPlainContentType'),
    result: { statusCode: 200, body: 'Hello, World!' },
    response: { statusCode: 200, headers: TEXT_TYPE, body: 'Hello, World!' },
  },
  {
    name: 'custom headers passed on',
    source: dotnetSnapshot('V2_SetsHeaders'),
    result: { statusCode: 200, headers: { 'Content-Type': 'application/json', 'X-Custom-Header': 'CustomValue' }, body: '{"message":"With Headers"}' },
    response: { statusCode: 200, headers: { ...JSON_TYPE, 'x-custom-header': 'CustomValue' }, body: '{"message":"With Headers"}' },
  },
  {
    name: 'a header value with commas is one value',
    source: dotnetSnapshot('V2_HandlesHeadersCorrectly'),
    result: {
      statusCode: 200,
      headers: { 'Content-Type': 'application/json', myheader: 'test,shouldhavesecondvalue', anotherheader: 'secondvalue' },
      body: '{"message":"With Headers"}',
    },
    response: { statusCode: 200, headers: { ...JSON_TYPE, myheader: 'test,shouldhavesecondvalue', anotherheader: 'secondvalue' }, body: '{"message":"With Headers"}' },
  },
  {
    name: 'the function\'s content type is kept',
    source: dotnetSnapshot('V2_DoesNotOverrideExplicitValues'),
    result: { statusCode: 201, body: '{"key":"value"}', headers: { 'Content-Type': 'application/xml' } },
    response: { statusCode: 201, headers: { 'content-type': 'application/xml' }, body: '{"key":"value"}' },
  },
  {
    name: 'cookies become one set-cookie header each',
    source: DOC_PAYLOAD,
    result: { statusCode: 200, cookies: ['cookie1=a', 'cookie2=b; Secure'], body: 'ok' },
    response: { statusCode: 200, headers: { ...TEXT_TYPE, 'set-cookie': ['cookie1=a', 'cookie2=b; Secure'] }, body: 'ok' },
  },
  { name: 'status code 0 is a 500', source: dotnetSnapshot('V2_HandlesZeroStatusCode'), result: { statusCode: 0, body: '{"key":"This body should be replaced"}' }, response: SERVER_ERROR },
  {
    name: 'a status code that is not an integer is a 500',
    source: dotnetSnapshot('ToApiGatewayHttpApiV2ProxyResponse_StatusCodeAsFloat_ReturnsInternalServerError'),
    result: { statusCode: 200.5, body: 'Hello', headers: { 'Content-Type': 'text/plain' } },
    response: SERVER_ERROR,
  },
  { name: 'malformed: statusCode as a string', source: DOTNET_EMULATOR, result: { statusCode: '200', body: 'x' }, response: SERVER_ERROR },
  { name: 'malformed: a header value that is not a string', source: DOTNET_EMULATOR, result: { statusCode: 200, headers: { 'x-n': 1 }, body: 'x' }, response: SERVER_ERROR },
  { name: 'malformed: body that is not a string', source: DOTNET_EMULATOR, result: { statusCode: 200, body: { a: 1 } }, response: SERVER_ERROR },
  { name: 'malformed: cookies that are not a list of strings', source: DOTNET_EMULATOR, result: { statusCode: 200, cookies: 'a=1' }, response: SERVER_ERROR },
  { name: 'malformed: isBase64Encoded that is not a boolean', source: DOTNET_EMULATOR, result: { statusCode: 200, body: 'eA==', isBase64Encoded: 'true' }, response: SERVER_ERROR },
  {
    name: 'a string result is the body, 200 application/json (documented table)',
    source: DOC_PAYLOAD,
    result: 'Hello from Lambda!',
    response: { statusCode: 200, headers: JSON_TYPE, body: 'Hello from Lambda!' },
  },
  {
    name: 'an object without statusCode is the JSON body (documented table; Node posts JSON.stringify)',
    source: DOC_PAYLOAD,
    result: { message: 'Hello from Lambda!' },
    response: { statusCode: 200, headers: JSON_TYPE, body: '{"message":"Hello from Lambda!"}' },
  },
  {
    name: 'a JSON array is the body',
    source: dotnetSnapshot('ToApiGatewayProxyResponse_ValidResponse_MatchesDirectConversionJSON_Array'),
    result: [1, 2, 3, 4, 5],
    response: { statusCode: 200, headers: JSON_TYPE, body: '[1,2,3,4,5]' },
  },
  { name: 'a number is the body', source: dotnetSnapshot('ToApiGatewayProxyResponse_ValidResponse_MatchesDirectConversionnumber'), result: 42, response: { statusCode: 200, headers: JSON_TYPE, body: '42' } },
  { name: 'a boolean is the body', source: dotnetSnapshot('ToApiGatewayProxyResponse_ValidResponse_MatchesDirectConversionboolean'), result: true, response: { statusCode: 200, headers: JSON_TYPE, body: 'true' } },
  { name: 'an empty string is an empty body', source: dotnetSnapshot('ToApiGatewayProxyResponse_ValidResponse_MatchesDirectConversionempty_string'), result: '', response: { statusCode: 200, headers: JSON_TYPE, body: '' } },
  {
    name: 'a string with quotes is unescaped',
    source: dotnetSnapshot('ToApiGatewayProxyResponse_ValidResponse_MatchesDirectConversionjson_special'),
    result: 'Special "quoted" text',
    response: { statusCode: 200, headers: JSON_TYPE, body: 'Special "quoted" text' },
  },
  { name: 'no result at all is posted as null and sent as the body', source: NODE_RUNTIME, result: undefined, response: { statusCode: 200, headers: JSON_TYPE, body: 'null' } },
];

/** Failures of the function itself, each answered by the gateway. */
export const FAILURE_CASES: readonly { name: string; source: Source; mode: 'throw' | 'too-large' }[] = [
  { name: 'the function throws', source: DOC_TROUBLESHOOTING, mode: 'throw' },
  { name: 'the result is over Lambda\'s 6 MB response limit', source: LAMBDA_RESPONSE_LIMIT, mode: 'too-large' },
];

/**
 * Where each conformance fixture comes from. The fixtures are our own, written from these sources (never
 * copied files): captures of live HTTP APIs first, then AWS's documentation, then AWS's own emulator.
 * Where they disagree the newest live capture wins, and the fixture says so.
 */
export interface Source {
  /** `owner/repo path@commit` of a capture or source file, or a documentation URL. */
  readonly ref: string;
  /** What it is: `live capture (date)`, `AWS documentation`, `AWS emulator`, … */
  readonly kind: string;
}

const DOTNET = 'aws/aws-lambda-dotnet Tools/LambdaTestTool-v2/tests/Amazon.Lambda.TestTool.UnitTests';
const DOTNET_COMMIT = '831492165a694825e0e762d68ec74f3e36b628c0';

/** Requests and responses recorded from a live HTTP API on 14 Apr 2025 by AWS's own test tool. */
export const dotnetSnapshot = (name: string): Source => ({
  ref: `${DOTNET}/Snapshots/${name}.json@${DOTNET_COMMIT}`,
  kind: 'live capture, 14 Apr 2025 (request sent: Extensions/HttpContextTestCases.cs or ApiGatewayResponseTestCases.cs, same commit)',
});

/** AWS's own HTTP API emulator, where no capture covers a case. */
export const DOTNET_EMULATOR: Source = {
  ref: `aws/aws-lambda-dotnet Tools/LambdaTestTool-v2/src/Amazon.Lambda.TestTool/Extensions/InvokeResponseExtensions.cs (ToHttpApiV2Response)@${DOTNET_COMMIT}`,
  kind: 'AWS emulator: a result with statusCode that does not deserialize is answered with a 500',
};

export const GO_NO_AUTHORIZER: Source = {
  ref: 'aws/aws-lambda-go events/testdata/apigw-v2-request-no-authorizer.json@815d21f4176907c97cc6a77465ece6a1d2bbbac4',
  kind: 'live capture, 21 Apr 2020 (curl GET on the $default route)',
};

export const GO_IAM: Source = {
  ref: 'aws/aws-lambda-go events/testdata/apigw-v2-request-iam.json@815d21f4176907c97cc6a77465ece6a1d2bbbac4',
  kind: 'sample event (body kept byte for byte, CRLF and tab included)',
};

export const POWERTOOLS_NO_AUTH: Source = {
  ref: 'aws-powertools/powertools-lambda-typescript packages/parser/tests/events/apigw-http/no-auth.json@1e5fe1b497003615377ceb8e03b4321ce6260815',
  kind: 'live capture, 17 Jun 2024 (HTTPie POST without a body)',
};

export const DOC_PAYLOAD: Source = {
  ref: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html',
  kind: 'AWS documentation: payload format 2.0 and the response mapping table',
};

export const DOC_ROUTES: Source = {
  ref: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html',
  kind: 'AWS documentation: routes, ANY, {param}, $default, "API Gateway decodes URL-encoded request parameters"',
};

export const DOC_TROUBLESHOOTING: Source = {
  ref: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-lambda.html',
  kind: 'AWS documentation: a failing Lambda integration answers {"message":"Internal Server Error"}',
};

export const NODE_RUNTIME: Source = {
  ref: 'aws-lambda-ric 4.0.2 (npm; the client nodejs24.x runs) index.mjs serializeToJSON',
  kind: 'the Node.js runtime posts JSON.stringify(result), undefined as null',
};

export const LAMBDA_RESPONSE_LIMIT: Source = {
  ref: 'getmoto/moto tests/test_awslambda/test_lambda_invoke.py@75330e9c2252cb8e374f89bb04bf757e13ed840f; DataBiosphere/azul#8258',
  kind: 'Lambda refuses results over 6291556 bytes (Function.ResponseSizeTooLarge); API Gateway then reports an integration failure',
};

export const HTTP_API_QUOTAS: Source = {
  ref: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html; https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html',
  kind: 'AWS documentation: 10 MB request payloads for HTTP APIs, 6 MB for a synchronous Lambda invocation, 30 s integration timeout',
};

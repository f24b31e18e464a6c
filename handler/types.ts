import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';

/**
 * Lambda's contract for this function, from `@types/aws-lambda` (types only: the bundle still needs nothing
 * beyond Node's standard library). HTTP APIs, payload format 2.0:
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 */

/** The request as an HTTP API hands it to the function. */
export type HttpApiEvent = APIGatewayProxyEventV2;

/**
 * The structured response, narrower than `@types/aws-lambda`'s on purpose: this function always names a
 * status code, and header values are strings because a result whose header values are not is refused with
 * a 500 (AWS's emulator, aws/aws-lambda-dotnet LambdaTestTool-v2 `ToHttpApiV2Response`; see
 * harness/targets/local/conformance/results.ts).
 */
export type HttpApiResult = Omit<APIGatewayProxyStructuredResultV2, 'statusCode' | 'headers'> & {
  readonly statusCode: number;
  readonly headers?: Readonly<Record<string, string>>;
};

/** The invocation context Lambda passes as the second argument (only the fields this function reads). */
export type LambdaContext = Pick<Context, 'awsRequestId' | 'functionName'>;

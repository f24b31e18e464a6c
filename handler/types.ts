/**
 * The parts of Lambda's contract this function uses, declared here so that the bundle needs no package
 * beyond Node's standard library. Shapes as AWS documents them for HTTP APIs, payload format 2.0:
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 */

/** The request as an HTTP API hands it to the function. */
export interface HttpApiEvent {
  readonly version: '2.0';
  /** `METHOD /path` of the matched route, e.g. `GET /messages/{id}` (`$default` for the catch-all route). */
  readonly routeKey: string;
  readonly rawPath: string;
  readonly rawQueryString: string;
  readonly cookies?: readonly string[];
  /** Lower-case names; repeated headers joined with commas. */
  readonly headers: Readonly<Record<string, string>>;
  readonly queryStringParameters?: Readonly<Record<string, string>>;
  /** Values of `{name}` segments, already URL-decoded. */
  readonly pathParameters?: Readonly<Record<string, string>>;
  readonly stageVariables?: Readonly<Record<string, string>>;
  readonly requestContext: HttpApiRequestContext;
  /** Absent when the request has no body. */
  readonly body?: string;
  /** True when API Gateway base64-encoded `body` (any content type it does not treat as text). */
  readonly isBase64Encoded: boolean;
}

export interface HttpApiRequestContext {
  readonly accountId: string;
  readonly apiId: string;
  readonly domainName: string;
  readonly domainPrefix: string;
  readonly http: {
    readonly method: string;
    readonly path: string;
    readonly protocol: string;
    readonly sourceIp: string;
    readonly userAgent: string;
  };
  readonly requestId: string;
  readonly routeKey: string;
  readonly stage: string;
  readonly time: string;
  readonly timeEpoch: number;
}

/** The structured response format: API Gateway sends `body` as given (decoded first if `isBase64Encoded`). */
export interface HttpApiResult {
  readonly statusCode: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly cookies?: readonly string[];
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
}

/** The invocation context Lambda passes as the second argument (only the fields this function reads). */
export interface LambdaContext {
  readonly awsRequestId: string;
  readonly functionName: string;
}

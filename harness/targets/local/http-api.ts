import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { RouteModel } from '../../model/assembly.ts';

/**
 * The parts of an API Gateway HTTP API (`$default` stage, Lambda proxy integration, payload format 2.0)
 * that the local target plays, as AWS documents them and as real HTTP APIs were seen to behave:
 * - routes: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html
 * - event and response: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 * - captures of live HTTP APIs (the conformance corpus in ./conformance/ cites each one): where they
 *   differ from the guide, the newest capture wins.
 * Pure functions: the server in server.ts does the I/O.
 */

/** API Gateway's own answers, not the function's (bodies as HTTP APIs send them, JSON unless said otherwise). */
export const GATEWAY_RESPONSES = {
  /** aws/aws-lambda-dotnet@0923e6af4f8c242be036b6ea2c055aa023cb288d LambdaTestTool-v2 Extensions/ResultExtensions.cs (RouteNotFound). */
  notFound: { statusCode: 404, body: '{"message":"Not Found"}' },
  /**
   * A body over 10 MB is refused before any route, in plain text: live captures koki-develop/lgtm-generator#10
   * (12 Sep 2021: 413, `content-type: text; charset=utf-8`, this body) and chroma-core/chroma#1458 (2023, an
   * HTTP API with a VPC link, same body).
   */
  tooLarge: { statusCode: 413, body: 'HTTP content length exceeded 10485760 bytes.', contentType: 'text; charset=utf-8' },
  /** The function failed: an unhandled error, a crash, its own timeout, or a response API Gateway can't read. */
  functionError: { statusCode: 500, body: '{"message":"Internal Server Error"}' },
  /** The integration ran past API Gateway's own 30 s limit (live capture: cortexlabs/cortex#1225, 13 Aug 2020). */
  integrationTimeout: { statusCode: 503, body: '{"message":"Service Unavailable"}' },
} as const;

/** HTTP APIs accept request payloads up to 10 MB. */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/** HTTP APIs give an integration at most 30 s. */
export const INTEGRATION_TIMEOUT_MS = 30_000;
/**
 * Content type API Gateway puts on a structured result that names none. Live capture, 14 Apr 2025:
 * aws/aws-lambda-dotnet Tools/LambdaTestTool-v2/tests/Amazon.Lambda.TestTool.UnitTests/Snapshots/V2_SetsCorrectStatusCode.json
 */
export const DEFAULT_RESULT_CONTENT_TYPE = 'text/plain; charset=utf-8';

export interface RouteMatch {
  readonly route: RouteModel;
  readonly pathParameters?: Record<string, string>;
}

/**
 * Picks the route for a request: the most specific path wins (literal segments before `{param}`, before
 * `{proxy+}`), a route for the exact method wins over `ANY`, and the `$default` route takes what nothing
 * else matched. Paths match case-sensitively, segment by segment, after percent-decoding.
 */
export function matchRoute(routes: readonly RouteModel[], method: string, rawPath: string): RouteMatch | undefined {
  const segments = splitPath(rawPath).map(decodeSegment);
  let best: { match: RouteMatch; score: number[] } | undefined;
  for (const route of routes) {
    if (route.method !== 'ANY' && route.method !== method.toUpperCase()) continue;
    const result = matchPath(splitPath(route.path), segments);
    if (!result) continue;
    const score = [...result.score, route.method === 'ANY' ? 0 : 1];
    if (!best || compareScores(score, best.score) > 0) {
      const pathParameters = Object.keys(result.params).length > 0 ? result.params : undefined;
      best = { match: { route, ...(pathParameters ? { pathParameters } : {}) }, score };
    }
  }
  if (best) return best.match;
  const fallback = routes.find((r) => r.routeKey === '$default');
  return fallback ? { route: fallback } : undefined;
}

function splitPath(p: string): string[] {
  return p.split('/').slice(1);
}

function matchPath(pattern: string[], segments: string[]): { params: Record<string, string>; score: number[] } | undefined {
  const params: Record<string, string> = {};
  const score: number[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const part = pattern[i]!;
    const greedy = /^\{(.+)\+\}$/.exec(part);
    if (greedy) {
      const rest = segments.slice(i);
      if (rest.length === 0 || rest.join('/') === '') return undefined;
      params[greedy[1]!] = rest.join('/');
      score.push(0);
      return { params, score };
    }
    const segment = segments[i];
    if (segment === undefined) return undefined;
    const param = /^\{(.+)\}$/.exec(part);
    if (param) {
      if (segment === '') return undefined;
      params[param[1]!] = segment;
      score.push(1);
    } else if (part === segment) {
      score.push(2);
    } else {
      return undefined;
    }
  }
  return segments.length === pattern.length ? { params, score } : undefined;
}

/** Percent-decoded; a malformed escape is left as sent rather than failing the request. */
function decodeSegment(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The path as HTTP APIs hand it on: each segment percent-decoded (captures V2_SpecialCharactersInPath, V2_UnicodeCharactersInPath). */
export function decodePath(rawPath: string): string {
  return rawPath.split('/').map(decodeSegment).join('/');
}

function compareScores(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? -1) - (b[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

export interface IncomingRequest {
  readonly method: string;
  /** Path and query as received, e.g. `/messages?x=1`. */
  readonly url: string;
  /** Raw header pairs as Node gives them (`req.rawHeaders`): duplicates kept, case as sent. */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
  readonly sourceIp: string;
  readonly protocol: string;
}

export interface EventContext {
  readonly apiId: string;
  readonly accountId: string;
  readonly domainName: string;
  readonly now?: Date;
  /** @default a new id in API Gateway's format ({@link newRequestId}) */
  readonly requestId?: string;
  /** `x-amzn-trace-id` the gateway adds. @default a new X-Ray root ({@link newTraceId}) */
  readonly traceId?: string;
  /** Port and scheme the client reached the API on (`x-forwarded-port`, `x-forwarded-proto`). @default 443, https */
  readonly port?: number;
  readonly scheme?: 'http' | 'https';
}

/**
 * Builds the payload format 2.0 event for a matched request, as live HTTP APIs send it (conformance corpus):
 * lower-case header names, repeated headers joined with commas, `cookie` headers moved to `cookies`, the
 * gateway's own `content-length`, `x-amzn-trace-id` and `x-forwarded-*` headers added, `rawPath` and
 * `requestContext.http.path` percent-decoded while `rawQueryString` stays as sent, optional parts absent.
 */
export function toEvent(request: IncomingRequest, match: RouteMatch, context: EventContext): APIGatewayProxyEventV2 {
  const [rawTarget = '/', rawQueryString = ''] = splitOnce(request.url, '?');
  const path = decodePath(rawTarget);
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i]!.toLowerCase();
    const value = request.rawHeaders[i + 1] ?? '';
    // Hop-by-hop headers stay with the connection (RFC 9110 §7.6.1): the HTTPie capture has no `connection`.
    if (HOP_BY_HOP.has(name)) continue;
    // Cookie headers go to `cookies`, one entry per cookie; other duplicates are joined with commas.
    if (name === 'cookie') cookies.push(...value.split(';').map((c) => c.trim()).filter(Boolean));
    else headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  // What the gateway itself adds (every capture has them; a curl GET without a body still shows content-length 0).
  headers['content-length'] = String(request.body.length);
  headers['x-amzn-trace-id'] = context.traceId ?? newTraceId(context.now);
  headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${request.sourceIp}` : request.sourceIp;
  headers['x-forwarded-port'] = String(context.port ?? 443);
  headers['x-forwarded-proto'] = context.scheme ?? 'https';
  const query: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(rawQueryString)) {
    query[key] = key in query ? `${query[key]},${value}` : value;
  }
  const now = context.now ?? new Date();
  const hasBody = request.body.length > 0;
  const textual = isTextual(headers['content-type']);
  return {
    version: '2.0',
    routeKey: match.route.routeKey,
    rawPath: path,
    rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: context.accountId,
      apiId: context.apiId,
      domainName: context.domainName,
      domainPrefix: context.domainName.split('.')[0]!,
      http: {
        method: request.method.toUpperCase(),
        path,
        protocol: request.protocol,
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: context.requestId ?? newRequestId(),
      routeKey: match.route.routeKey,
      stage: '$default',
      time: formatRequestTime(now),
      timeEpoch: now.getTime(),
    },
    ...(match.pathParameters ? { pathParameters: match.pathParameters } : {}),
    ...(hasBody ? { body: textual ? request.body.toString('utf8') : request.body.toString('base64') } : {}),
    isBase64Encoded: hasBody && !textual,
  };
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'transfer-encoding', 'upgrade']);

/**
 * An id in the shape HTTP APIs give `apigw-requestid` and `requestContext.requestId`: 16 characters of
 * URL-safe base64, e.g. `JCJp2jd_vHcEPSQ=` (Snapshots/*.json of aws/aws-lambda-dotnet, 2025), `LV7fzho-PHcEJPw=`
 * (aws/aws-lambda-go events/testdata/apigw-v2-request-no-authorizer.json). Not a UUID: that is Lambda's request id.
 */
export function newRequestId(): string {
  return `${randomBytes(11).toString('base64url')}=`;
}

/** An X-Ray root id as the gateway adds it: `Root=1-<epoch seconds, 8 hex>-<24 hex>`. */
export function newTraceId(now: Date = new Date()): string {
  return `Root=1-${Math.floor(now.getTime() / 1000).toString(16).padStart(8, '0')}-${randomBytes(12).toString('hex')}`;
}

/** Bodies of these types reach the function as text; anything else arrives base64-encoded. */
function isTextual(contentType: string | undefined): boolean {
  if (contentType === undefined) return true;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return (
    type.startsWith('text/') ||
    /^application\/(json|xml|javascript|x-www-form-urlencoded|graphql)$/.test(type) ||
    /\+(json|xml)$/.test(type)
  );
}

function splitOnce(value: string, separator: string): [string, string] {
  const index = value.indexOf(separator);
  return index === -1 ? [value, ''] : [value.slice(0, index), value.slice(index + 1)];
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `12/Mar/2020:19:03:58 +0000`, as in AWS's example event. */
export function formatRequestTime(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

export interface HttpResponse {
  readonly statusCode: number;
  /** Header name → values; `set-cookie` may repeat. */
  readonly headers: Record<string, string[]>;
  readonly body: Buffer;
}

/**
 * Turns the function's result (the JSON the runtime posted, parsed) into the client's response by the 2.0
 * rules. An object with `statusCode` is a structured response: headers as given (plus
 * `text/plain; charset=utf-8` when it names no content type), `cookies` → one `set-cookie` each, the body
 * base64-decoded when `isBase64Encoded`. Any other result is a 200 `application/json` response whose body is
 * the result: a string as-is, anything else as JSON. A structured response API Gateway can't read (a status
 * code that is not an integer from 100 to 599, fields of the wrong type) is its 500.
 */
export function toHttpResponse(result: unknown): HttpResponse {
  if (!isObject(result) || !('statusCode' in result)) {
    const body = typeof result === 'string' ? result : JSON.stringify(result ?? null);
    return { statusCode: 200, headers: { 'content-type': ['application/json'] }, body: Buffer.from(body, 'utf8') };
  }
  const { statusCode, headers: rawHeaders, cookies, body: rawBody, isBase64Encoded } = result;
  // Field types as AWS's own emulator reads them (aws/aws-lambda-dotnet LambdaTestTool-v2
  // InvokeResponseExtensions.ToHttpApiV2Response: a result that does not deserialize is a 500).
  const wellFormed =
    typeof statusCode === 'number' &&
    Number.isInteger(statusCode) &&
    statusCode >= 100 &&
    statusCode <= 599 &&
    (rawHeaders === undefined || rawHeaders === null || (isObject(rawHeaders) && Object.values(rawHeaders).every(isOptionalString))) &&
    (cookies === undefined || cookies === null || (Array.isArray(cookies) && cookies.every((c) => typeof c === 'string'))) &&
    isOptionalString(rawBody) &&
    (isBase64Encoded === undefined || isBase64Encoded === null || typeof isBase64Encoded === 'boolean');
  if (!wellFormed) return gatewayResponse(GATEWAY_RESPONSES.functionError);
  const headers: Record<string, string[]> = {};
  for (const [name, value] of Object.entries((rawHeaders ?? {}) as Record<string, string | null | undefined>)) {
    if (typeof value === 'string') headers[name.toLowerCase()] = [value];
  }
  headers['content-type'] ??= [DEFAULT_RESULT_CONTENT_TYPE];
  if (Array.isArray(cookies) && cookies.length > 0) headers['set-cookie'] = [...(headers['set-cookie'] ?? []), ...(cookies as string[])];
  const text = typeof rawBody === 'string' ? rawBody : '';
  return { statusCode, headers, body: Buffer.from(text, isBase64Encoded === true ? 'base64' : 'utf8') };
}

export function gatewayResponse(response: { statusCode: number; body: string; contentType?: string }): HttpResponse {
  return {
    statusCode: response.statusCode,
    headers: { 'content-type': [response.contentType ?? 'application/json'] },
    body: Buffer.from(response.body, 'utf8'),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isOptionalString(value: unknown): boolean {
  return value === undefined || value === null || typeof value === 'string';
}

import { randomUUID } from 'node:crypto';
import type { RouteModel } from '../assembly.ts';

/**
 * The parts of an API Gateway HTTP API (`$default` stage, Lambda proxy integration, payload format 2.0)
 * that the local target plays, as AWS documents them:
 * - routes: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html
 * - event and response: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 * Pure functions: the server in server.ts does the I/O.
 */

/** API Gateway's own answers, not the function's (bodies as HTTP APIs send them). */
export const GATEWAY_RESPONSES = {
  notFound: { statusCode: 404, body: '{"message":"Not Found"}' },
  tooLarge: { statusCode: 413, body: '{"message":"Request Entity Too Large"}' },
  /** The function failed: an unhandled error, a crash, its own timeout, or a response API Gateway can't read. */
  functionError: { statusCode: 500, body: '{"message":"Internal Server Error"}' },
  /** The integration ran past API Gateway's own 30 s limit. */
  integrationTimeout: { statusCode: 503, body: '{"message":"Service Unavailable"}' },
} as const;

/** HTTP APIs accept request payloads up to 10 MB. */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/** HTTP APIs give an integration at most 30 s. */
export const INTEGRATION_TIMEOUT_MS = 30_000;

export interface RouteMatch {
  readonly route: RouteModel;
  readonly pathParameters?: Record<string, string>;
}

/**
 * Picks the route for a request: the most specific path wins (literal segments before `{param}`, before
 * `{proxy+}`), and a route for the exact method wins over `ANY`. Paths match case-sensitively.
 */
export function matchRoute(routes: readonly RouteModel[], method: string, rawPath: string): RouteMatch | undefined {
  const segments = splitPath(rawPath);
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
  return best?.match;
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
      params[greedy[1]!] = decodeSegment(rest.join('/'));
      score.push(0);
      return { params, score };
    }
    const segment = segments[i];
    if (segment === undefined) return undefined;
    const param = /^\{(.+)\}$/.exec(part);
    if (param) {
      if (segment === '') return undefined;
      params[param[1]!] = decodeSegment(segment);
      score.push(1);
    } else if (part === segment) {
      score.push(2);
    } else {
      return undefined;
    }
  }
  return segments.length === pattern.length ? { params, score } : undefined;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
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
  readonly requestId?: string;
}

/** Builds the payload format 2.0 event for a matched request. */
export function toEvent(request: IncomingRequest, match: RouteMatch, context: EventContext): Record<string, unknown> {
  const [rawPath = '/', rawQueryString = ''] = splitOnce(request.url, '?');
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i]!.toLowerCase();
    const value = request.rawHeaders[i + 1] ?? '';
    // Cookie headers go to `cookies`, one entry per cookie; other duplicates are joined with commas.
    if (name === 'cookie') cookies.push(...value.split(';').map((c) => c.trim()).filter(Boolean));
    else headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  const query: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(rawQueryString)) {
    query[key] = key in query ? `${query[key]},${value}` : value;
  }
  const now = context.now ?? new Date();
  const requestId = context.requestId ?? randomUUID();
  const hasBody = request.body.length > 0;
  const textual = isTextual(headers['content-type']);
  return {
    version: '2.0',
    routeKey: match.route.routeKey,
    rawPath,
    rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: context.accountId,
      apiId: context.apiId,
      domainName: context.domainName,
      domainPrefix: context.domainName.split('.')[0],
      http: {
        method: request.method.toUpperCase(),
        path: rawPath,
        protocol: request.protocol,
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
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
 * Turns the function's result into the client's response by the 2.0 rules: an object with `statusCode` is
 * used as given (headers, `cookies` → one `set-cookie` each, `isBase64Encoded`); any other valid JSON
 * result is a 200 `application/json` response whose body is the result (a string as-is, anything else
 * as JSON). A result API Gateway can't read is a 500.
 */
export function toHttpResponse(result: unknown): HttpResponse {
  if (isObject(result) && 'statusCode' in result) {
    const statusCode = Number(result.statusCode);
    if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) return gatewayResponse(GATEWAY_RESPONSES.functionError);
    const headers: Record<string, string[]> = {};
    if (isObject(result.headers)) {
      for (const [name, value] of Object.entries(result.headers)) {
        if (value !== undefined && value !== null) headers[name.toLowerCase()] = [String(value)];
      }
    }
    if (Array.isArray(result.cookies) && result.cookies.length > 0) {
      headers['set-cookie'] = result.cookies.map(String);
    }
    const rawBody = result.body === undefined || result.body === null ? '' : String(result.body);
    const body = result.isBase64Encoded === true ? Buffer.from(rawBody, 'base64') : Buffer.from(rawBody, 'utf8');
    return { statusCode, headers, body };
  }
  if (result === undefined) return { statusCode: 200, headers: { 'content-type': ['application/json'] }, body: Buffer.from('null') };
  const body = typeof result === 'string' ? result : JSON.stringify(result);
  return { statusCode: 200, headers: { 'content-type': ['application/json'] }, body: Buffer.from(body, 'utf8') };
}

export function gatewayResponse(response: { statusCode: number; body: string }): HttpResponse {
  return {
    statusCode: response.statusCode,
    headers: { 'content-type': ['application/json'] },
    body: Buffer.from(response.body, 'utf8'),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

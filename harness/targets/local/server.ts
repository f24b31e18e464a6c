import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RouteModel } from '../../model/assembly.ts';
import type { FaultName } from '../../core/environment.ts';
import {
  GATEWAY_RESPONSES,
  gatewayResponse,
  type HttpResponse,
  INTEGRATION_TIMEOUT_MS,
  MAX_REQUEST_BYTES,
  matchRoute,
  newRequestId,
  newTraceId,
  toEvent,
  toHttpResponse,
} from './http-api.ts';
import { LAMBDA_LIMITS } from './limits.ts';
import type { FunctionRuntime, InvokeOutcome } from './runtime.ts';

/** A started HTTP server on loopback. */
export interface LocalServer {
  readonly url: string;
  close(): Promise<void>;
}

export interface ApiServerOptions {
  readonly routes: readonly RouteModel[];
  /** Runtimes by the logical id of the function a route targets. */
  readonly runtimes: ReadonlyMap<string, FunctionRuntime>;
  readonly apiId: string;
  readonly accountId: string;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** API Gateway's integration limit. @default INTEGRATION_TIMEOUT_MS */
  readonly integrationTimeoutMs?: number;
}

/** Plays the HTTP API's `$default` stage on 127.0.0.1. */
export function startApiServer(options: ApiServerOptions): Promise<LocalServer> {
  return listen(options.port ?? 0, async (req, res) => {
    const requestId = newRequestId();
    const response = await answerApiRequest(req, options, requestId);
    res.setHeader('apigw-requestid', requestId);
    send(res, response);
  });
}

async function answerApiRequest(req: IncomingMessage, options: ApiServerOptions, requestId: string): Promise<HttpResponse> {
  const body = await readBody(req, MAX_REQUEST_BYTES);
  if (body === undefined) return gatewayResponse(GATEWAY_RESPONSES.tooLarge);
  const url = req.url ?? '/';
  const match = matchRoute(options.routes, req.method ?? 'GET', url.split('?')[0]!);
  if (!match) return gatewayResponse(GATEWAY_RESPONSES.notFound);
  const runtime = options.runtimes.get(match.route.functionLogicalId);
  if (!runtime) return gatewayResponse(GATEWAY_RESPONSES.functionError);
  const traceId = newTraceId();
  const event = toEvent(
    {
      method: req.method ?? 'GET',
      url,
      rawHeaders: req.rawHeaders,
      body,
      sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
      protocol: `HTTP/${req.httpVersion}`,
    },
    match,
    {
      apiId: options.apiId,
      accountId: options.accountId,
      domainName: req.headers.host ?? 'localhost',
      requestId,
      traceId,
      port: req.socket.localPort ?? 0,
      scheme: 'http',
    },
  );
  // An event over Lambda's request limit fails the invocation (HTTP APIs accept bodies up to 10 MB, Lambda 6 MB).
  if (Buffer.byteLength(JSON.stringify(event)) > LAMBDA_LIMITS.maxRequestBytes) return gatewayResponse(GATEWAY_RESPONSES.functionError);
  const timeoutMs = options.integrationTimeoutMs ?? INTEGRATION_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    runtime.invoke(event, undefined, traceId),
    new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
  if (outcome === 'timeout') return gatewayResponse(GATEWAY_RESPONSES.integrationTimeout);
  if (!outcome.ok) return gatewayResponse(GATEWAY_RESPONSES.functionError);
  return toHttpResponse(outcome.result);
}

export interface FaultControl {
  inject(): Promise<void>;
  clear(): Promise<void>;
}

export interface ControlServerOptions {
  /** Runtimes by physical function name (what the Lambda Invoke API addresses). */
  readonly functions: ReadonlyMap<string, FunctionRuntime>;
  readonly logs: (functionName: string) => readonly string[];
  readonly faults: Partial<Record<FaultName, FaultControl>>;
  readonly region: string;
  readonly accountId: string;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
const FAULT_PATH = /^\/__harness\/faults\/([a-z-]+)$/;

/**
 * The harness's side door on 127.0.0.1: the Lambda Invoke API (so `@aws-sdk/client-lambda` invokes local
 * functions exactly as it invokes LocalStack's or AWS's), the functions' log lines, and fault injection.
 */
export function startControlServer(options: ControlServerOptions): Promise<LocalServer> {
  return listen(0, async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const invoke = INVOKE_PATH.exec(url.pathname);
    if (invoke && req.method === 'POST') return answerInvoke(req, res, decodeURIComponent(invoke[1]!), options);
    if (url.pathname === '/__harness/logs' && req.method === 'GET') {
      const name = url.searchParams.get('function') ?? '';
      if (!options.functions.has(name)) return sendJson(res, 404, { message: `No function named "${name}"` });
      return sendJson(res, 200, { lines: options.logs(name) });
    }
    const fault = FAULT_PATH.exec(url.pathname);
    if (fault && (req.method === 'PUT' || req.method === 'DELETE')) {
      const control = options.faults[fault[1] as FaultName];
      if (!control) {
        return sendJson(res, 404, { message: `Fault "${fault[1]}" cannot be injected here; available: ${Object.keys(options.faults).join(', ')}` });
      }
      await (req.method === 'PUT' ? control.inject() : control.clear());
      return sendJson(res, 200, { fault: fault[1], active: req.method === 'PUT' });
    }
    return sendJson(res, 404, { message: `No control route ${req.method} ${url.pathname}` });
  });
}

async function answerInvoke(req: IncomingMessage, res: ServerResponse, name: string, options: ControlServerOptions): Promise<void> {
  // The SDK may address a function by name or by ARN.
  const functionName = name.split(':').at(-1) === '$LATEST' ? name.split(':').at(-2)! : name.split(':').at(-1)!;
  const runtime = options.functions.get(functionName);
  if (!runtime) {
    res.setHeader('x-amzn-errortype', 'ResourceNotFoundException');
    return sendJson(res, 404, {
      Type: 'User',
      message: `Function not found: arn:aws:lambda:${options.region}:${options.accountId}:function:${functionName}`,
    });
  }
  const body = await readBody(req, LAMBDA_LIMITS.maxRequestBytes);
  if (body === undefined) {
    // The Invoke API's answer to an oversized request, as AWS words it (asserted by aws/aws-lambda-dotnet
    // LambdaTestTool-v2's tests; users' captures show the `Message` key and the error type header).
    res.setHeader('x-amzn-errortype', 'RequestEntityTooLargeException');
    return sendJson(res, 413, { Message: `Request must be smaller than ${LAMBDA_LIMITS.maxRequestBytes} bytes for the InvokeFunction operation` });
  }
  let event: unknown;
  try {
    event = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch {
    res.setHeader('x-amzn-errortype', 'InvalidRequestContentException');
    return sendJson(res, 400, { Type: 'User', message: 'Could not parse request body into json' });
  }
  const outcome: InvokeOutcome = await runtime.invoke(event);
  res.setHeader('x-amz-executed-version', '$LATEST');
  if (outcome.ok) return send(res, { statusCode: 200, headers: { 'content-type': ['application/json'] }, body: Buffer.from(outcome.payload) });
  res.setHeader('x-amz-function-error', 'Unhandled');
  const { durationMs: _durationMs, ok: _ok, ...error } = outcome;
  return sendJson(res, 200, error);
}

function listen(port: number, handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<LocalServer> {
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => {
      if (!res.headersSent) sendJson(res, 500, { message: `harness error: ${error.message}` });
      else res.destroy(error);
    });
  });
  // Keep-alive sockets would hold close() open; the harness closes them itself.
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: actual } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${actual}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/** The body, or undefined when it exceeds `limit` bytes (the rest is drained, not buffered). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, response: HttpResponse): void {
  for (const [name, values] of Object.entries(response.headers)) res.setHeader(name, values.length === 1 ? values[0]! : values);
  res.setHeader('content-length', response.body.length);
  res.writeHead(response.statusCode);
  res.end(response.body);
}

function sendJson(res: ServerResponse, statusCode: number, value: unknown): void {
  send(res, { statusCode, headers: { 'content-type': ['application/json'] }, body: Buffer.from(JSON.stringify(value)) });
}

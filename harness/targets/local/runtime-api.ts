import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { LAMBDA_LIMITS } from './limits.ts';
import type { LambdaError } from './sandbox.ts';

/**
 * The Lambda Runtime API (version 2018-06-01) for one execution environment, as AWS documents it
 * (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html, .../runtimes-custom.html for response
 * streaming) and as the real client calls it (aws-lambda-ric 4.0.2 index.mjs: RAPIDClient, createResponseStream,
 * ContextBuilder; its native part is aws-lambda-cpp). One listener per environment: the client takes
 * `AWS_LAMBDA_RUNTIME_API` as `host:port` only, and every container on the host network connects from 127.0.0.1,
 * so the address is what tells environments apart.
 *
 * The environment's first `GET …/invocation/next` ends its init phase; each later one hands in the previous
 * invocation's result. One invocation at a time: the harness (runtime.ts) owns timeouts, logs and limits, as the
 * process mode does.
 */

const PREFIX = '/2018-06-01/runtime';
const NEXT = `${PREFIX}/invocation/next`;
const INIT_ERROR = `${PREFIX}/init/error`;
const INVOCATION = new RegExp(`^${PREFIX}/invocation/([^/]+)/(response|error)$`);

export interface RuntimeApiInvocation {
  readonly requestId: string;
  /** The event as JSON text (what the client parses). */
  readonly event: string;
  /** Epoch milliseconds. */
  readonly deadlineMs: number;
  readonly functionArn: string;
  /** `Root=…;Parent=…;Sampled=…` */
  readonly traceId: string;
  /** JSON text, when the caller sent one. */
  readonly clientContext?: string;
  readonly cognitoIdentity?: string;
}

export type RuntimeApiResult =
  /** `payload`: the bytes the runtime posted (JSON for a buffered response; a streamed body as it came). */
  | { readonly ok: true; readonly payload: Buffer; readonly streamed: boolean }
  | ({ readonly ok: false } & LambdaError);

/** The error a runtime reported from its init phase (`POST /runtime/init/error`). */
export class RuntimeInitError extends Error {
  readonly lambdaError: LambdaError;
  constructor(error: LambdaError) {
    super(error.errorMessage);
    this.lambdaError = error;
  }
}

interface Pending {
  readonly invocation: RuntimeApiInvocation;
  readonly resolve: (result: RuntimeApiResult) => void;
  delivered: boolean;
}

export class RuntimeApi {
  /** `127.0.0.1:port`, for `AWS_LAMBDA_RUNTIME_API`. */
  readonly address: string;
  /** Resolves at the runtime's first `next` (init done); rejects with {@link RuntimeInitError} on an init error. */
  readonly initialized: Promise<void>;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private settleInit!: { resolve: () => void; reject: (error: Error) => void };
  private initDone = false;
  /** An answer to the current invocation is arriving. */
  private receiving = false;
  private waiting: ServerResponse | undefined;
  private pending: Pending | undefined;

  private constructor(server: Server, address: string) {
    this.server = server;
    this.address = address;
    this.initialized = new Promise<void>((resolve, reject) => {
      this.settleInit = { resolve, reject };
    });
    this.initialized.catch(() => {});
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    server.on('request', (req, res) => this.route(req, res));
  }

  /** Listens on `host` (127.0.0.1: containers on the host network and processes reach it there). */
  static start(host = '127.0.0.1'): Promise<RuntimeApi> {
    const server = createServer();
    // The runtime's `next` is a long poll that may wait for minutes between invocations.
    server.requestTimeout = 0;
    server.headersTimeout = 0;
    server.keepAliveTimeout = 0;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => {
        const { port } = server.address() as AddressInfo;
        resolve(new RuntimeApi(server, `${host}:${port}`));
      });
    });
  }

  /**
   * Hands one invocation to the runtime; resolves with what it posts back. Never resolves when the runtime dies
   * first: the caller races it against the environment's exit and its deadline.
   */
  invoke(invocation: RuntimeApiInvocation): Promise<RuntimeApiResult> {
    if (this.pending) throw new Error(`Execution environment ${this.address} is busy with ${this.pending.invocation.requestId}: one invocation at a time.`);
    return new Promise((resolve) => {
      this.pending = { invocation, resolve, delivered: false };
      if (this.waiting) this.deliver(this.waiting);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    const url = (req.url ?? '/').split('?')[0]!;
    if (req.method === 'GET' && url === NEXT) return this.next(res);
    if (req.method === 'POST' && url === INIT_ERROR) return void this.initError(req, res);
    const match = INVOCATION.exec(url);
    if (req.method === 'POST' && match) return void this.result(req, res, decodeURIComponent(match[1]!), match[2] as 'response' | 'error');
    req.resume();
    reply(res, 404, { errorMessage: `No Runtime API route ${req.method} ${url}`, errorType: 'InvalidRequest' });
  }

  private next(res: ServerResponse): void {
    if (!this.initDone) {
      this.initDone = true;
      this.settleInit.resolve();
    }
    // A `next` while an invocation is delivered and unanswered, with no answer on its way: the runtime moved on
    // without a result. (A streamed answer may still be arriving on its own connection: the client asks for the
    // next invocation as soon as it has sent the end of the stream.)
    if (this.pending?.delivered && !this.receiving) {
      this.finish({ ok: false, errorType: 'Runtime.InvalidResponse', errorMessage: 'The runtime asked for the next invocation without answering the current one.' });
    }
    this.waiting = res;
    res.once('close', () => {
      if (this.waiting === res) this.waiting = undefined;
    });
    if (this.pending) this.deliver(res);
  }

  private deliver(res: ServerResponse): void {
    const pending = this.pending!;
    const inv = pending.invocation;
    this.waiting = undefined;
    pending.delivered = true;
    const body = Buffer.from(inv.event);
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': body.length,
      'lambda-runtime-aws-request-id': inv.requestId,
      'lambda-runtime-deadline-ms': String(inv.deadlineMs),
      'lambda-runtime-invoked-function-arn': inv.functionArn,
      'lambda-runtime-trace-id': inv.traceId,
      ...(inv.clientContext ? { 'lambda-runtime-client-context': inv.clientContext } : {}),
      ...(inv.cognitoIdentity ? { 'lambda-runtime-cognito-identity': inv.cognitoIdentity } : {}),
    });
    res.end(body);
  }

  private async initError(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readAll(req, LAMBDA_LIMITS.maxResponseBytes);
    const { ok: _ok, ...error } = parseError(body.bytes, req.headers['lambda-runtime-function-error-type']);
    reply(res, 202, { status: 'OK' });
    this.initDone = true;
    this.settleInit.reject(new RuntimeInitError(error));
  }

  private async result(req: IncomingMessage, res: ServerResponse, requestId: string, kind: 'response' | 'error'): Promise<void> {
    const pending = this.pending;
    if (!pending?.delivered || pending.invocation.requestId !== requestId) {
      req.resume();
      // What RAPID answers for a request id that is not the current invocation's.
      return reply(res, 400, { errorMessage: 'Invalid request ID', errorType: 'InvalidRequestID' });
    }
    this.receiving = true;
    const result = await this.receive(req, res, kind);
    this.receiving = false;
    this.finish(result);
  }

  /** What the runtime's answer means for the invocation; the answer to the runtime (202, or 413 over the limit) is sent here. */
  private async receive(req: IncomingMessage, res: ServerResponse, kind: 'response' | 'error'): Promise<RuntimeApiResult> {
    const streaming = kind === 'response' && String(req.headers['lambda-runtime-function-response-mode'] ?? '').toLowerCase() === 'streaming';
    const limit = streaming ? LAMBDA_LIMITS.maxStreamedResponseBytes : LAMBDA_LIMITS.maxResponseBytes;
    const body = await readAll(req, limit);
    if (body.aborted) return { ok: false, errorType: 'Runtime.TruncatedResponse', errorMessage: 'The runtime closed its response before it was complete.' };
    if (body.tooLarge) {
      reply(res, 413, { errorMessage: `Exceeded maximum allowed payload size (${limit} bytes).`, errorType: 'RequestEntityTooLarge' });
      return { ok: false, errorType: 'Function.ResponseSizeTooLarge', errorMessage: `Response payload size exceeded maximum allowed payload size (${limit} bytes).` };
    }
    reply(res, 202, { status: 'OK' });
    if (kind === 'error') return parseError(body.bytes, req.headers['lambda-runtime-function-error-type']);
    // A stream that failed midway carries the error in its trailers (the client's hookWeakFailProps).
    const trailerType = req.trailers['lambda-runtime-function-error-type'];
    if (streaming && trailerType) {
      const encoded = req.trailers['lambda-runtime-function-error-body'];
      return parseError(encoded ? Buffer.from(encoded, 'base64') : Buffer.alloc(0), trailerType);
    }
    return { ok: true, payload: body.bytes, streamed: streaming };
  }

  private finish(result: RuntimeApiResult): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.resolve(result);
  }
}

/** A runtime's error document (`{errorType, errorMessage, trace}`), or what the header says when the body is not one. */
function parseError(bytes: Buffer, headerType: string | string[] | undefined): { ok: false } & LambdaError {
  const fallbackType = (Array.isArray(headerType) ? headerType[0] : headerType) ?? 'Runtime.Unknown';
  try {
    const value = JSON.parse(bytes.toString('utf8')) as { errorType?: unknown; errorMessage?: unknown; trace?: unknown };
    return {
      ok: false,
      errorType: typeof value.errorType === 'string' ? value.errorType : fallbackType,
      errorMessage: typeof value.errorMessage === 'string' ? value.errorMessage : '',
      ...(Array.isArray(value.trace) ? { trace: value.trace.map(String) } : {}),
    };
  } catch {
    return { ok: false, errorType: fallbackType, errorMessage: bytes.toString('utf8') };
  }
}

function readAll(req: IncomingMessage, limit: number): Promise<{ bytes: Buffer; tooLarge: boolean; aborted: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve({ bytes: Buffer.concat(chunks), tooLarge: size > limit, aborted: false }));
    // Settles once: a runtime that dies mid-body closes the request before it is complete.
    req.on('close', () => {
      if (!req.complete) resolve({ bytes: Buffer.concat(chunks), tooLarge: false, aborted: true });
    });
    req.on('error', () => undefined);
  });
}

function reply(res: ServerResponse, status: number, value: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

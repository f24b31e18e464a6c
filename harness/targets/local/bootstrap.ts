/**
 * One Lambda execution environment in process mode: a plain Node process that loads the bundled handler once
 * (the init phase) and then runs one invocation at a time, as Lambda does. The parent (process-sandbox.ts)
 * talks to it over IPC and owns timeouts and START/END/REPORT.
 *
 * Everything the function can observe follows the real Node.js runtime interface client that nodejs24.x runs,
 * aws-lambda-ric 4.0.2 (its index.mjs: UserFunctionLoader, loadModule, resolveHandler, errorOnDeprecatedCallback,
 * ContextBuilder, LogPatch/StdoutLogger, formatError, toFormatted, setupGlobals, StreamingInvokeProcessor), and
 * the differential test (harness/targets/local/differential.docker.test.ts) runs the same probe handler here and
 * in that client to prove it. Like that client, this one installs no uncaughtException or unhandledRejection
 * handler: such an error ends the process, and the invocation fails with Runtime.ExitError.
 *
 * Environment: `_HANDLER`, `LAMBDA_TASK_ROOT` and the rest from lambda-environment.ts. argv: [<uid>:<gid> to run as]
 */
import { InvokeStore, InvokeStoreBase } from '@aws/lambda-invoke-store';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Writable } from 'node:stream';
import { format } from 'node:util';
import { LAMBDA_LIMITS } from './limits.ts';
import type { ChildMessage, ParentMessage } from './process-sandbox.ts';
import type { LambdaError } from './sandbox.ts';

const [runAs] = process.argv.slice(2);
const send = (message: ChildMessage, then?: () => void): void => {
  process.send?.(message, undefined, undefined, then);
};

// Drop to the access point's user before any user code runs, as Lambda never runs it as root.
if (runAs) {
  const [uid, gid] = runAs.split(':').map(Number) as [number, number];
  process.setgroups?.([gid]);
  process.setgid?.(gid);
  process.setuid?.(uid);
}

/** The client's errors: the name is an own property set in the constructor, so it shows in logged JSON too. */
const runtimeError = (name: string) =>
  class extends Error {
    constructor(message: string) {
      super(message);
      this.name = name;
    }
  };
const HandlerNotFoundError = runtimeError('Runtime.HandlerNotFound');
const MalformedHandlerNameError = runtimeError('Runtime.MalformedHandlerName');
const JSONStringifyError = runtimeError('Runtime.JSONStringifyError');
const MalformedStreamingHandler = runtimeError('Runtime.MalformedStreamingHandler');
const CallbackHandlerDeprecatedError = runtimeError('Runtime.CallbackHandlerDeprecated');
const InvalidStreamingOperation = runtimeError('Runtime.InvalidStreamingOperation');
class ImportModuleError extends Error {
  constructor(original: unknown) {
    super(String(original));
    this.name = 'Runtime.ImportModuleError';
  }
}
class UserCodeSyntaxError extends Error {
  constructor(original: Error) {
    super(String(original));
    this.name = 'Runtime.UserCodeSyntaxError';
    this.stack = original.stack;
  }
}
const CALLBACK_ERROR_NODEJS24_ABOVE =
  'ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. You need to modify this function to use a supported handler signature to use Node.js 24 or later. For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.';
const CALLBACK_ERROR_NODEJS22 =
  'ERROR: AWS Lambda does not support callback-based function handlers when using Node.js 22 with Managed Instances. To use Managed Instances, modify this function to use a supported handler signature. For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.';

/** `formatError`: what is posted to the Runtime API. */
function formatError(error: unknown): LambdaError {
  if (error instanceof Error) {
    return { errorType: error.name.replaceAll('\x7F', '%7F'), errorMessage: error.message.replaceAll('\x7F', '%7F'), trace: error.stack?.replaceAll('\x7F', '%7F').split('\n') ?? [] };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

/** `toFormatted(intoError(e))`: what is logged after "Invoke Error" / "Init Error". */
function toFormatted(thrown: unknown): string {
  const error = thrown instanceof Error ? thrown : new Error(String(thrown));
  const withProperties = (_key: string, value: unknown): unknown => {
    if (!(value instanceof Error)) return value;
    const copy: Record<string, unknown> = Object.assign({ errorType: value.name, errorMessage: value.message, code: (value as { code?: unknown }).code }, value) as never;
    if (typeof value.stack === 'string') copy.stack = value.stack.split('\n');
    return copy;
  };
  try {
    return `\t${JSON.stringify(error, withProperties)}`;
  } catch {
    return `\t${JSON.stringify(formatError(error))}`;
  }
}

// `setupGlobals` and the invoke store, as the client installs them before it loads the handler.
const HANDLER_STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const HANDLER_HIGHWATERMARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');
const invokeStore = await InvokeStore.getInstanceAsync();
const noGlobal = ['1', 'true'].includes(process.env.AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA ?? '');
type StreamLike = Writable & { setContentType(type: string): void; _onBeforeFirstWrite?: (write: (chunk: unknown) => void) => void };
if (!noGlobal) {
  const global = globalThis as { awslambda?: Record<string, unknown> };
  global.awslambda = {
    ...global.awslambda,
    streamifyResponse: (handler: Record<symbol, unknown>, options?: { highWaterMark?: number }) => {
      handler[HANDLER_STREAMING] = 'response';
      if (typeof options?.highWaterMark === 'number') handler[HANDLER_HIGHWATERMARK] = Number.parseInt(String(options.highWaterMark));
      return handler;
    },
    HttpResponseStream: class HttpResponseStream {
      static from(stream: StreamLike, prelude: unknown): StreamLike {
        stream.setContentType('application/vnd.awslambda.http-integration-response');
        const metadata = JSON.stringify(prelude);
        stream._onBeforeFirstWrite = (write) => {
          write(metadata);
          write(new Uint8Array(8));
        };
        return stream;
      }
    },
  };
}

// `LogPatch.patchConsole` with the StdoutLogger: `<ISO time>\t<request id or ->\t<LEVEL>\t<message>`, newlines as \r.
const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;
const minLevel = Math.max(0, LEVELS.indexOf((process.env.AWS_LAMBDA_LOG_LEVEL?.toUpperCase() ?? 'TRACE') as (typeof LEVELS)[number]));
const patched = console as unknown as Record<string, (...args: unknown[]) => void>;
for (const [index, level] of LEVELS.entries()) {
  patched[level.toLowerCase()] =
    index < minLevel
      ? () => {}
      : (message: unknown, ...params: unknown[]) => {
          const line = [new Date().toISOString(), invokeStore.getRequestId(), level, format(message, ...params)].join('\t').replace(/\n/g, '\r');
          process.stdout.write(`${line}\n`);
        };
}
console.log = console.info;
const logError = (label: string, error: unknown): void => console.error(label, toFormatted(error));

type Handler = ((event: unknown, second: unknown, third?: unknown) => unknown) & Record<symbol, unknown>;

/** `UserFunctionLoader.load`: `[<module root>/]<module>.<export path>` from the task root. */
async function loadHandler(appRoot: string, fullHandlerString: string): Promise<Handler> {
  if (fullHandlerString.includes('..')) {
    throw new MalformedHandlerNameError(`'${fullHandlerString}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`);
  }
  const handlerString = path.basename(fullHandlerString);
  const moduleRoot = fullHandlerString.substring(0, fullHandlerString.indexOf(handlerString)).replace(/\/$/, '');
  const match = /^([^.]*)\.(.*)$/.exec(handlerString);
  if (!match) throw new MalformedHandlerNameError('Bad handler');
  const [, moduleName, handlerName] = match as unknown as [string, string, string];
  let loaded: unknown;
  try {
    const base = path.resolve(appRoot, moduleRoot, moduleName);
    for (const extension of ['', '.js', '.mjs', '.cjs']) {
      if (existsSync(`${base}${extension}`)) {
        loaded = await import(`${base}${extension}`);
        break;
      }
    }
    if (!loaded) {
      // Made from this file, as the client's is from its own (its "Require stack" names the runtime's file).
      const require = createRequire(import.meta.url);
      loaded = require(require.resolve(moduleName, { paths: [appRoot, path.join(appRoot, moduleRoot)] }));
    }
  } catch (error) {
    if (error instanceof SyntaxError) throw new UserCodeSyntaxError(error);
    if (error instanceof Error && (error as { code?: string }).code === 'MODULE_NOT_FOUND') throw new ImportModuleError(error);
    throw error;
  }
  const findIn = (from: unknown): unknown =>
    handlerName.split('.').reduce<unknown>((nested, key) => (nested && typeof nested === 'object' ? (nested as Record<string, unknown>)[key] : undefined), from);
  let handler = findIn(loaded);
  if (!handler && typeof loaded === 'object' && loaded !== null && 'default' in loaded) handler = findIn((loaded as { default: unknown }).default);
  if (!handler) throw new HandlerNotFoundError(`${fullHandlerString} is undefined or not exported`);
  if (typeof handler !== 'function') throw new HandlerNotFoundError(`${fullHandlerString} is not a function`);
  return handler as Handler;
}

function isStreaming(handler: Handler): boolean {
  const value = handler[HANDLER_STREAMING];
  if (!value) return false;
  if (value === 'response') return true;
  throw new MalformedStreamingHandler('Only response streaming is supported.');
}

let handler: Handler;
let streaming: boolean;
try {
  handler = await loadHandler(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), process.env._HANDLER ?? '');
  streaming = isStreaming(handler);
  if (handler.length >= 3 && !streaming) {
    throw new CallbackHandlerDeprecatedError(process.env.AWS_EXECUTION_ENV === 'AWS_Lambda_nodejs22.x' ? CALLBACK_ERROR_NODEJS22 : CALLBACK_ERROR_NODEJS24_ABOVE);
  }
} catch (error) {
  logError('Init Error', error);
  // The client then lets the error escape: Node prints it and exits 1.
  send({ type: 'init-error', ...formatError(error) }, () => void Promise.reject(error));
  await new Promise(() => {});
}

/** The result as the runtime posts it: JSON (undefined → null); above Lambda's response limit RAPID refuses it. */
function serialize(result: unknown): string {
  try {
    return JSON.stringify(result === undefined ? null : result);
  } catch {
    throw new JSONStringifyError('Unable to stringify response body');
  }
}

/** A response stream that keeps what the handler writes (neither HTTP APIs nor Invoke stream it on). */
function collectingStream(): { stream: StreamLike; body: () => string } {
  const chunks: Buffer[] = [];
  let started = false;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  }) as StreamLike;
  const write = sink.write.bind(sink) as (chunk: unknown) => boolean;
  sink.setContentType = () => {
    if (started) throw new InvalidStreamingOperation('Cannot set content-type, too late.');
  };
  sink.write = ((chunk: unknown, ...rest: unknown[]) => {
    const data = typeof chunk === 'string' || Buffer.isBuffer(chunk) || chunk instanceof Uint8Array ? chunk : JSON.stringify(chunk);
    if (!started && typeof sink._onBeforeFirstWrite === 'function') sink._onBeforeFirstWrite((c) => write(c));
    started = true;
    return (write as (...args: unknown[]) => boolean)(data, ...rest);
  }) as typeof sink.write;
  return { stream: sink, body: () => Buffer.concat(chunks).toString('utf8') };
}

const maxRssKb = (): number => process.resourceUsage().maxRSS;
const afterTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The handler is called as a method of an object of the client's class (BufferedInvokeProcessor or
 * StreamingInvokeProcessor), so that stack traces name its frame as they do in Lambda: "at BufferedInvokeProcessor.handler".
 */
class BufferedInvokeProcessor {
  readonly handler: Handler;
  constructor(handler: Handler) {
    this.handler = handler;
  }
}
class StreamingInvokeProcessor extends BufferedInvokeProcessor {}

async function invoke(message: ParentMessage): Promise<void> {
  // Injected faults act before the handler runs, so they never half-do its work.
  if (message.fault === 'crash') process.kill(process.pid, 'SIGKILL');
  if (message.fault === 'hang') await new Promise(() => {});
  // `ContextBuilder.build`: header fields first, then the environment's; `moveXRayHeaderToEnv`.
  if (message.traceId) process.env._X_AMZN_TRACE_ID = message.traceId;
  else delete process.env._X_AMZN_TRACE_ID;
  const deadline = message.deadline;
  const context = {
    clientContext: undefined,
    identity: undefined,
    invokedFunctionArn: message.functionArn,
    awsRequestId: message.requestId,
    tenantId: undefined,
    xRayTraceId: message.traceId,
    getRemainingTimeInMillis: () => deadline - Date.now(),
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
  };
  const fail = async (error: unknown): Promise<void> => {
    await afterTick();
    logError('Invoke Error', error);
    send({ type: 'result', id: message.id, ok: false, ...formatError(error), maxRssKb: maxRssKb() });
  };
  try {
    let payload: string;
    if (streaming) {
      const { stream, body } = collectingStream();
      const returned = streamingProcessor.handler(message.event, stream, context);
      if (!(typeof returned === 'object' && returned !== null && typeof (returned as Promise<unknown>).then === 'function')) {
        throw new Error('Streaming does not support non-async handlers.');
      }
      if ((await returned) !== undefined) console.warn('Streaming handlers ignore return values.');
      if (!stream.writableFinished) await new Promise<void>((resolve) => stream.once('finish', () => resolve()));
      payload = body();
    } else {
      const result = await bufferedProcessor.handler(message.event, context);
      await afterTick();
      payload = serialize(result);
    }
    if (Buffer.byteLength(payload) > (streaming ? LAMBDA_LIMITS.maxStreamedResponseBytes : LAMBDA_LIMITS.maxResponseBytes)) {
      const limit = streaming ? LAMBDA_LIMITS.maxStreamedResponseBytes : LAMBDA_LIMITS.maxResponseBytes;
      const error = { errorType: 'Function.ResponseSizeTooLarge', errorMessage: `Response payload size exceeded maximum allowed payload size (${limit} bytes).` };
      send({ type: 'result', id: message.id, ok: false, ...error, maxRssKb: maxRssKb() });
      return;
    }
    send({ type: 'result', id: message.id, ok: true, payload, maxRssKb: maxRssKb() });
  } catch (error) {
    await fail(error);
  }
}

const bufferedProcessor = new BufferedInvokeProcessor(handler!);
const streamingProcessor = new StreamingInvokeProcessor(handler!);

process.on('message', (message: ParentMessage) => {
  if (message.type !== 'invoke') return;
  void invokeStore.run(
    { [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: message.requestId, [InvokeStoreBase.PROTECTED_KEYS.X_RAY_TRACE_ID]: message.traceId },
    () => invoke(message),
  );
});

send({ type: 'ready' });

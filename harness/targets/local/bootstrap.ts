/**
 * One Lambda execution environment for the local target: a plain Node process that loads the bundled
 * handler from the cloud assembly once (the init phase) and then runs one invocation at a time, as Lambda
 * does. The parent (runtime.ts) talks to it over IPC and owns timeouts and logs.
 *
 * Loading, the context object and error shapes follow the Node.js runtime's own client,
 * aws/aws-lambda-nodejs-runtime-interface-client (commit da5777a8, src/UserFunction.js, src/InvokeContext.js,
 * src/Errors.js, src/RAPIDClient.js).
 *
 * argv: <task root> <handler, e.g. index.handler> [<uid>:<gid> to run as]
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { types } from 'node:util';
import { splitHandlerString } from './handler-string.ts';
import { LAMBDA_LIMITS } from './limits.ts';
import type { ChildMessage, LambdaError, ParentMessage } from './runtime.ts';

const [taskRoot = process.cwd(), handlerString = 'index.handler', runAs] = process.argv.slice(2);
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

/** Runtime.* errors, named as the runtime names them (prototype name, so the stack shows it too). */
class ImportModuleError extends Error {}
class HandlerNotFound extends Error {}
class UserCodeSyntaxError extends Error {}
class UnhandledPromiseRejection extends Error {}
UnhandledPromiseRejection.prototype.name = 'Runtime.UnhandledPromiseRejection';
ImportModuleError.prototype.name = 'Runtime.ImportModuleError';
HandlerNotFound.prototype.name = 'Runtime.HandlerNotFound';
UserCodeSyntaxError.prototype.name = 'Runtime.UserCodeSyntaxError';

/** `toRapidResponse`: an Error keeps its name, message and stack lines; anything else thrown becomes its type and text. */
function toLambdaError(error: unknown): LambdaError {
  if (types.isNativeError(error) || error instanceof Error) {
    return { errorType: error.name, errorMessage: error.message, trace: (error.stack ?? '').split('\n') };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

/** The error line the runtime writes to the function's log (`structuredConsole.logError`, `toFormatted`). */
function logError(label: 'Uncaught Exception' | 'Unhandled Promise Rejection' | 'Invoke Error', error: LambdaError): void {
  console.error(`${label} \t${JSON.stringify({ errorType: error.errorType, errorMessage: error.errorMessage, stack: error.trace ?? [] })}`);
}

type Handler = (event: unknown, context: unknown) => unknown;

/** `module.exports.load`: `<module>.<export path>`, the module looked up in the task root like the runtime does. */
async function loadHandler(): Promise<Handler> {
  const { moduleName, exportPath } = splitHandlerString(handlerString);
  let loaded: Record<string, unknown>;
  try {
    const base = path.resolve(taskRoot, moduleName);
    const file = ['.js', '.mjs', '.cjs'].map((ext) => base + ext).find((f) => existsSync(f)) ?? createRequire(path.join(taskRoot, 'index.js')).resolve(moduleName, { paths: [taskRoot] });
    loaded = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof SyntaxError) throw new UserCodeSyntaxError(String(error));
    if ((error as { code?: string }).code === 'MODULE_NOT_FOUND') throw new ImportModuleError(String(error));
    throw error;
  }
  const candidate = exportPath.reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], loaded);
  if (!candidate) throw new HandlerNotFound(`${handlerString} is undefined or not exported`);
  if (typeof candidate !== 'function') throw new HandlerNotFound(`${handlerString} is not a function`);
  return candidate as Handler;
}

let handler: Handler;
try {
  handler = await loadHandler();
} catch (error) {
  const lambdaError = toLambdaError(error);
  logError('Uncaught Exception', lambdaError);
  send({ type: 'init-error', ...lambdaError });
  process.exit(1);
}

/** The result as the runtime posts it: JSON (undefined → null), refused above Lambda's response limit. */
function serialize(result: unknown): { ok: true; payload: string } | ({ ok: false } & LambdaError) {
  let payload: string;
  try {
    payload = JSON.stringify(result === undefined ? null : result);
  } catch {
    return { ok: false, ...toLambdaError(new Error('Unable to stringify response body')) };
  }
  if (Buffer.byteLength(payload) > LAMBDA_LIMITS.maxResponseBytes) {
    return {
      ok: false,
      errorType: 'Function.ResponseSizeTooLarge',
      errorMessage: `Response payload size exceeded maximum allowed payload size (${LAMBDA_LIMITS.maxResponseBytes} bytes).`,
    };
  }
  return { ok: true, payload };
}

/** The invocation in flight, which an error escaping the handler fails (`Runtime._setErrorCallbacks`). */
let current: number | undefined;

/** An error outside the handler's promise ends the invocation and the environment (index.mjs: exit 128 / 129). */
function failEnvironment(label: 'Uncaught Exception' | 'Unhandled Promise Rejection', error: LambdaError, exitCode: number): void {
  logError(label, error);
  if (current === undefined) process.exit(exitCode);
  send({ type: 'result', id: current, ok: false, fatal: true, ...error, maxRssKb: process.resourceUsage().maxRSS }, () => process.exit(exitCode));
}
process.on('uncaughtException', (error) => failEnvironment('Uncaught Exception', toLambdaError(error), 129));
process.on('unhandledRejection', (reason) => {
  const error = new UnhandledPromiseRejection(String(reason));
  failEnvironment('Unhandled Promise Rejection', toLambdaError(error), 128);
});

process.on('message', (message: ParentMessage) => {
  if (message.type !== 'invoke') return;
  current = message.id;
  void (async () => {
    // Injected faults act before the handler runs, so they never half-do its work.
    if (message.fault === 'crash') process.kill(process.pid, 'SIGKILL');
    if (message.fault === 'hang') await new Promise(() => {});
    process.env._X_AMZN_TRACE_ID = message.traceId;
    const context = {
      callbackWaitsForEmptyEventLoop: true,
      functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
      invokedFunctionArn: message.functionArn,
      awsRequestId: message.requestId,
      getRemainingTimeInMillis: () => message.deadline - Date.now(),
    };
    try {
      const outcome = serialize(await handler(message.event, context));
      if (!outcome.ok) logError('Invoke Error', outcome);
      current = undefined;
      send({ type: 'result', id: message.id, ...outcome, maxRssKb: process.resourceUsage().maxRSS });
    } catch (error) {
      const lambdaError = toLambdaError(error);
      logError('Invoke Error', lambdaError);
      current = undefined;
      send({ type: 'result', id: message.id, ok: false, ...lambdaError, maxRssKb: process.resourceUsage().maxRSS });
    }
  })();
});

send({ type: 'ready' });

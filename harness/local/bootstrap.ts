/**
 * One Lambda execution environment for the local target: a plain Node process that imports the bundled
 * handler from the cloud assembly once (the init phase) and then runs one invocation at a time, as Lambda
 * does. The parent (runtime.ts) talks to it over IPC and owns timeouts and logs.
 */
import { pathToFileURL } from 'node:url';
import type { ParentMessage } from './runtime.ts';

const file = process.env.HARNESS_HANDLER_FILE;
const exportName = process.env.HARNESS_HANDLER_EXPORT ?? 'handler';
const send = (message: unknown): void => {
  process.send?.(message);
};

function errorFields(error: unknown): { errorType: string; errorMessage: string; stackTrace: string[] } {
  const e = error instanceof Error ? error : new Error(String(error));
  return { errorType: e.name, errorMessage: e.message, stackTrace: (e.stack ?? '').split('\n').slice(1).map((l) => l.trim()) };
}

type Handler = (event: unknown, context: unknown) => Promise<unknown>;
let handler: Handler;
try {
  if (!file) throw new Error('HARNESS_HANDLER_FILE is not set');
  const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const candidate = module[exportName];
  if (typeof candidate !== 'function') throw new Error(`${file} does not export a function named "${exportName}"`);
  handler = candidate as Handler;
} catch (error) {
  send({ type: 'init-error', ...errorFields(error), errorType: 'Runtime.ImportModuleError' });
  process.exit(1);
}

process.on('message', (message: ParentMessage) => {
  if (message.type !== 'invoke') return;
  void (async () => {
    // Injected faults act before the handler runs, so they never half-do its work.
    if (message.fault === 'crash') process.kill(process.pid, 'SIGKILL');
    if (message.fault === 'hang') await new Promise(() => {});
    const context = {
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      awsRequestId: message.requestId,
      invokedFunctionArn: message.functionArn,
      logGroupName: `/aws/lambda/${process.env.AWS_LAMBDA_FUNCTION_NAME}`,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
    };
    try {
      const result = await handler(message.event, context);
      send({ type: 'result', id: message.id, ok: true, result });
    } catch (error) {
      console.error(error);
      send({ type: 'result', id: message.id, ok: false, ...errorFields(error) });
    }
  })();
});

send({ type: 'ready' });

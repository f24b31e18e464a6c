import { ApiError, errorBody, errorResponse, jsonResponse, parseJsonBody, quoteInput } from './http.ts';
import { isMessageId } from './message-ids.ts';
import { listPage, readMessage, writeMessage } from './messages.ts';
import { decodeCursor, encodeCursor, pageLimit } from './paging.ts';
import { isFileSystemFailure, mountUnavailable, probeWritable, requireMount } from './mount.ts';
import type { HttpApiEvent, HttpApiResult, LambdaContext } from './types.ts';

/**
 * The function behind the HTTP API: API Gateway (payload format 2.0) → this function in a VPC → EFS
 * mounted at `EFS_MOUNT_PATH`. API Gateway picks the route; this file maps its `routeKey` to the code.
 */

export { MAX_BODY_BYTES } from './http.ts';

/** What the console walkthrough's function answers, sent as a JSON string (quotes included). */
export const GREETING = 'こんにちは!はじめてのVPC Lambda!!';

/**
 * Largest text, counted as stored: UTF-8 bytes inside the JSON string, escapes included. A full page,
 * 1,000 such messages with their ids and times, is about 4.2 MB of JSON, well under Lambda's 6 MB.
 */
export const MAX_TEXT_BYTES = 4096;

type Route = (event: HttpApiEvent) => Promise<HttpApiResult>;

const routes = new Map<string, Route>([
  ['ANY /myHelloVPCLambda', async () => jsonResponse(200, GREETING)],
  ['POST /messages', postMessage],
  ['GET /messages', listMessages],
  ['GET /messages/{id}', getMessage],
  ['GET /health', health],
]);

export async function handler(event: HttpApiEvent, context?: LambdaContext): Promise<HttpApiResult> {
  const started = performance.now();
  const routeKey = String(event.routeKey);
  const route = routes.get(routeKey);
  let result: HttpApiResult;
  try {
    // API Gateway only sends routes it has, so an unknown one means a direct invocation with a wrong event.
    result = route ? await route(event) : errorResponse(new ApiError(404, 'not_found', `No route ${quoteInput(routeKey)}; routes: ${[...routes.keys()].join(', ')}.`));
  } catch (error) {
    result = toErrorResponse(error);
  }
  console.log(
    JSON.stringify({
      route: routeKey,
      method: event.requestContext?.http?.method,
      status: result.statusCode,
      ms: Math.round(performance.now() - started),
      requestId: context?.awsRequestId,
    }),
  );
  return result;
}

async function postMessage(event: HttpApiEvent): Promise<HttpApiResult> {
  const text = messageText(parseJsonBody(event));
  const mountPath = await requireMount();
  const message = await writeMessage(mountPath, text);
  return jsonResponse(201, { id: message.id, createdAt: message.createdAt }, { location: `/messages/${message.id}` });
}

function messageText(body: unknown): string {
  const expected = 'expected a JSON object with a non-empty string "text", like {"text": "hello"}';
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError(400, 'invalid_text', `Request body is ${kindOf(body)}; ${expected}.`);
  }
  const { text } = body as { text?: unknown };
  if (typeof text !== 'string') {
    throw new ApiError(400, 'invalid_text', `"text" is ${text === undefined ? 'missing' : `${kindOf(text)}, not a string`}; ${expected}.`);
  }
  if (text === '') throw new ApiError(400, 'invalid_text', `"text" is empty; ${expected}.`);
  const stored = Buffer.byteLength(JSON.stringify(text)) - 2;
  if (stored > MAX_TEXT_BYTES) {
    throw new ApiError(
      400,
      'text_too_long',
      `"text" takes ${stored} bytes as stored (UTF-8, JSON escapes included); the limit is ${MAX_TEXT_BYTES} bytes, so that a page of 1,000 messages stays well under Lambda's 6 MB response limit. Split it into several messages.`,
    );
  }
  return text;
}

/** `an array`, `null`, `a number`…: what a JSON value is, for error messages (never the value itself). */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/** `GET /messages?limit=&cursor=`: one page, oldest first; the query is checked before anything is read. */
async function listMessages(event: HttpApiEvent): Promise<HttpApiResult> {
  const query = event.queryStringParameters ?? {};
  const limit = pageLimit(query.limit);
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  const page = await listPage(await requireMount(), { limit, ...(after !== undefined ? { after } : {}) });
  return jsonResponse(200, {
    messages: page.messages,
    skipped: page.skipped,
    ...(page.next !== undefined ? { next: encodeCursor(page.next) } : {}),
  });
}

async function getMessage(event: HttpApiEvent): Promise<HttpApiResult> {
  const id = event.pathParameters?.id ?? '';
  if (!isMessageId(id)) {
    throw new ApiError(
      400,
      'invalid_id',
      `Message id ${quoteInput(id)} is not an id this API issues: expected a lower-case UUID v7 as POST /messages returns, like "019ac7d2-5e1f-7a3b-9c4d-2e8f6a1b0c3d" (or a UUID v4 of a message stored before v7 ids).`,
    );
  }
  const message = await readMessage(await requireMount(), id);
  if (!message) throw new ApiError(404, 'not_found', `No message with id ${id}.`);
  return jsonResponse(200, message);
}

/** 200 only when the mount takes a real write; the 503 body names the path and the reason. */
async function health(): Promise<HttpApiResult> {
  try {
    const mountPath = await requireMount();
    await probeWritable(mountPath);
    return jsonResponse(200, { status: 'ok', mountPath });
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return jsonResponse(error.status, { status: 'unavailable', ...errorBody(error.code, error.message) });
  }
}

/** Errors a route threw: its own `ApiError`s as they are; other file system failures are the mount's (503), anything else is a bug (500). */
function toErrorResponse(error: unknown): HttpApiResult {
  if (error instanceof ApiError) return errorResponse(error);
  console.error(error);
  if (isFileSystemFailure(error)) return errorResponse(mountUnavailable(`File system error: ${error.message}`));
  return errorResponse(new ApiError(500, 'internal', "Internal error; the details are in the function's log."));
}

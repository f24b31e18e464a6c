import type { HttpApiEvent, HttpApiResult } from './types.ts';

/**
 * Largest request body accepted by `POST /messages`, counted in bytes after base64 decoding: a message is
 * short text, and a small cap keeps one request from filling the file system or the function's memory.
 */
export const MAX_BODY_BYTES = 64 * 1024;

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** A failure the client is told about: a stable `code` to branch on, and a message a person can act on. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpApiResult {
  return {
    statusCode,
    headers: { 'content-type': JSON_CONTENT_TYPE, ...headers },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
}

/** The one error body shape every route answers with. */
export function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

export function errorResponse(error: ApiError): HttpApiResult {
  return jsonResponse(error.status, errorBody(error.code, error.message));
}

/** Quotes a client-supplied value for an error message, cut short so that a huge input is never echoed back. */
export function quoteInput(value: string, maxChars = 64): string {
  return value.length > maxChars ? `${JSON.stringify(value.slice(0, maxChars))}…` : JSON.stringify(value);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The request body parsed as JSON. The size is checked on the decoded bytes before anything is parsed, so an
 * oversized body costs no parsing; base64 bodies (API Gateway encodes non-text content types) are decoded.
 */
export function parseJsonBody(event: Pick<HttpApiEvent, 'body' | 'isBase64Encoded'>): unknown {
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > MAX_BODY_BYTES) {
    throw new ApiError(413, 'body_too_large', `Request body is ${bytes.length} bytes; the limit is ${MAX_BODY_BYTES} bytes (64 KiB).`);
  }
  if (bytes.length === 0) {
    throw new ApiError(400, 'invalid_json', 'Request body is empty; expected a JSON object like {"text": "hello"}.');
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new ApiError(400, 'invalid_json', 'Request body is not valid UTF-8; expected a JSON object like {"text": "hello"}.');
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ApiError(400, 'invalid_json', `Request body is not valid JSON (${(error as Error).message}); expected a JSON object like {"text": "hello"}.`);
  }
}

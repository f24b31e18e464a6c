import { inject } from 'vitest';
import { request } from 'undici';
import { connect } from '../../harness/connect.ts';

/** The one environment every scenario file talks to, whatever the target. */
export const env = connect(inject('environment'));

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  /** The body parsed as JSON (throws with the body in the message when it is not JSON). */
  json<T = unknown>(): T;
}

/** Requests and responses of the running scenario, for its failure artifacts (reset before each). */
export const exchanges: { request: { method: string; path: string; headers: Record<string, string>; body?: string }; response?: unknown }[] = [];

/** One HTTP request to the API (path relative to the `$default` stage). */
export async function call(
  method: string,
  path: string,
  options: { body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers = options.headers ?? (options.body !== undefined ? { 'content-type': 'application/json' } : {});
  const exchange: (typeof exchanges)[number] = {
    request: { method, path, headers, ...(options.body !== undefined ? { body: options.body.toString().slice(0, 4096) } : {}) },
  };
  exchanges.push(exchange);
  const res = await request(`${env.apiUrl}${path}`, {
    method: method as 'GET',
    headers,
    ...(options.body !== undefined ? { body: options.body } : {}),
  });
  const text = await res.body.text();
  exchange.response = { status: res.statusCode, headers: res.headers, body: text.slice(0, 4096) };
  return {
    status: res.statusCode,
    headers: res.headers,
    text,
    json: <T>() => {
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new Error(`Expected JSON from ${method} ${path} (HTTP ${res.statusCode}), got: ${text.slice(0, 500)}`);
      }
    },
  };
}

/** Names of stored messages on the file system, as the function sees it (`<mount>/messages`). */
export async function storedFiles(): Promise<string[]> {
  return env.files.list('messages');
}

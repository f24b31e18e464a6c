import { inject } from 'vitest';
import { request } from 'undici';
import { connect } from '../../harness/launch/connect.ts';
import { BUCKET_NAME, messagePath } from '../../handler/message-ids.ts';
import { PENDING_FOLDER } from '../../handler/messages.ts';

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

/** Every file under `<mount>/messages` as the function sees it (time folders and `.pending/` walked), as paths relative to the mount. */
export async function storedFiles(dir = 'messages'): Promise<string[]> {
  const files: string[] = [];
  for (const name of await env.files.list(dir)) {
    const entry = `${dir}/${name}`;
    if (BUCKET_NAME.test(name) || name === PENDING_FOLDER) files.push(...(await storedFiles(entry)));
    else files.push(entry);
  }
  return files;
}

/** Where the message with this id is stored, relative to the mount (the handler's own rule, tested in handler/). */
export const messageFile = messagePath;

/**
 * How many messages the volume scenarios write: `HARNESS_SCALE` times their size on `local`. Unset, it is
 * 1 on `local` and 0.1 elsewhere, where every request is a real (and billed, on AWS) invocation.
 */
export const scale = (() => {
  const raw = process.env.HARNESS_SCALE;
  if (raw === undefined || raw === '') return env.info.target === 'local' ? 1 : 0.1;
  const value = Number(raw);
  if (!(value > 0 && value <= 100)) throw new Error(`HARNESS_SCALE=${JSON.stringify(raw)} is not a number above 0 and up to 100; unset it for the default (1 on local, 0.1 elsewhere).`);
  return value;
})();

/** Every message, paging through `GET /messages` from the start with `limit`; each page's reply is checked. */
export async function listAll(limit = 1000, between: () => Promise<void> = async () => {}): Promise<{ messages: { id: string; text: string; createdAt: string }[]; pages: number }> {
  const messages: { id: string; text: string; createdAt: string }[] = [];
  let pages = 0;
  let cursor: string | undefined;
  do {
    const reply = await call('GET', `/messages?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (reply.status !== 200) throw new Error(`GET /messages page ${pages + 1} answered ${reply.status}: ${reply.text.slice(0, 500)}`);
    const page = reply.json<{ messages: typeof messages; skipped: number; next?: string }>();
    messages.push(...page.messages);
    pages++;
    cursor = page.next;
    // An empty page with next: the rest is younger than a moment ago, or still being written.
    if (cursor && page.messages.length === 0) await new Promise((resolve) => setTimeout(resolve, 250));
    if (cursor) await between();
  } while (cursor);
  return { messages, pages };
}

import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GREETING, handler, MAX_BODY_BYTES, MAX_TEXT_BYTES } from './index.ts';
import { messageIdAt, messagePath, newMessageId } from './message-ids.ts';
import { createTempMount, httpEvent, snapshotTree, type TempMount } from './test-support.ts';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const JSON_TYPE = 'application/json; charset=utf-8';

let mount: TempMount;
let messagesDir: string;
let logs: string[];
let errors: unknown[];

beforeEach(async () => {
  mount = await createTempMount();
  messagesDir = path.join(mount.mountPath, 'messages');
  process.env.EFS_MOUNT_PATH = mount.mountPath;
  logs = [];
  errors = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => void logs.push(line));
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void errors.push(args));
});

afterEach(async () => {
  vi.restoreAllMocks();
  delete process.env.EFS_MOUNT_PATH;
  await chmod(mount.mountPath, 0o755).catch(() => {});
  await mount.remove();
});

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly json: Record<string, any>;
}

/**
 * Invokes the handler as an HTTP API would: a payload 2.0 event (built by httpEvent, which names its source) and the
 * two context fields the handler reads (Source: https://docs.aws.amazon.com/lambda/latest/dg/nodejs-context.html).
 */
async function call(...args: Parameters<typeof httpEvent>): Promise<Reply> {
  const result = await handler(httpEvent(...args), { awsRequestId: 'test-request', functionName: 'myHelloVPCLambda' });
  const body = result.body ?? '';
  return { status: result.statusCode, headers: { ...result.headers }, body, json: JSON.parse(body) };
}

const postText = (text: unknown) => call('POST /messages', { body: JSON.stringify({ text }) });

/** Paths of the files under `<mount>/messages`, relative to the mount, dotfiles included; [] when the folder does not exist. */
async function storedNames(): Promise<string[]> {
  const entries = await readdir(messagesDir, { recursive: true, withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(mount.mountPath, path.join(entry.parentPath, entry.name)));
}

async function storedMessage(id: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path.join(mount.mountPath, messagePath(id)), 'utf8'));
}

function expectError(reply: Reply, status: number, code: string): void {
  expect(reply.status, reply.body).toBe(status);
  expect(reply.headers['content-type']).toBe(JSON_TYPE);
  expect(reply.json).toEqual({ error: { code, message: expect.any(String) } });
  expect(reply.json.error.message.length).toBeGreaterThan(10);
}

/** Writes a message file directly where its id puts it, as another function instance (or the first layout) would have. */
async function plant(message: { id: string; text: string; createdAt: string }): Promise<void> {
  const file = path.join(mount.mountPath, messagePath(message.id));
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(message));
}

/** A message with a time id of `ms`, as POST /messages would have stored it then. */
function timed(ms: number, text: string, sequence?: number): { id: string; text: string; createdAt: string } {
  const id = messageIdAt(ms, sequence);
  return { id, text, createdAt: new Date(ms).toISOString() };
}

/** The three ways a mount can be missing; each leaves the temporary folder for afterEach to remove. */
const missingMounts: [string, () => Promise<void>][] = [
  ['EFS_MOUNT_PATH is unset', async () => void delete process.env.EFS_MOUNT_PATH],
  ['the mount folder does not exist', () => rm(mount.mountPath, { recursive: true })],
  [
    'the mount path is a file',
    async () => {
      await rm(mount.mountPath, { recursive: true });
      await writeFile(mount.mountPath, 'not a directory');
    },
  ],
];

describe('ANY /myHelloVPCLambda', () => {
  it('should answer 200 with the greeting as a JSON string', async () => {
    const reply = await call('ANY /myHelloVPCLambda');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe(JSON_TYPE);
    expect(reply.body).toBe(JSON.stringify('こんにちは!はじめてのVPC Lambda!!'));
    expect(reply.json).toBe(GREETING);
  });

  it('should touch no file', async () => {
    const before = await snapshotTree(mount.root);
    await call('ANY /myHelloVPCLambda', { body: '{"text": "ignored"}' });
    expect(await snapshotTree(mount.root)).toEqual(before);
  });

  it('should answer even without a mount', async () => {
    delete process.env.EFS_MOUNT_PATH;
    expect((await call('ANY /myHelloVPCLambda')).status).toBe(200);
  });
});

describe('routing', () => {
  // `$default` is the route key API Gateway sends for its catch-all route, which this API does not define
  // (Source: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html).
  it.each(['GET /nope', 'DELETE /messages', '$default', 'constructor', ''])('should answer the unknown route key %j with 404 not_found', async (routeKey) => {
    expectError(await call(routeKey), 404, 'not_found');
  });

  it('should answer an event without a route key with 404 not_found', async () => {
    const result = await handler({} as Parameters<typeof handler>[0]);
    expect(result.statusCode).toBe(404);
    expect(JSON.parse(result.body!)).toMatchObject({ error: { code: 'not_found' } });
  });

  it('should not echo a huge route key back', async () => {
    const reply = await call(`GET /${'x'.repeat(100_000)}`);
    expect(reply.status).toBe(404);
    expect(reply.body.length).toBeLessThan(1_000);
  });
});

describe('POST /messages', () => {
  it('should store the message as its own file with exactly the JSON bytes, and answer 201 with its location', async () => {
    const text = 'hello EFS ✓';
    const before = Date.now();
    const reply = await postText(text);

    expect(reply.status, reply.body).toBe(201);
    expect(reply.headers['content-type']).toBe(JSON_TYPE);
    const { id, createdAt } = reply.json;
    expect(Object.keys(reply.json).sort()).toEqual(['createdAt', 'id']);
    expect(id).toMatch(UUID_V7);
    expect(new Date(createdAt).toISOString()).toBe(createdAt);
    expect(Date.parse(createdAt)).toBeGreaterThanOrEqual(before - 1);
    // The id carries its millisecond (RFC 9562 UUID v7: the first 48 bits).
    expect(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(Date.parse(createdAt));
    expect(reply.headers.location).toBe(`/messages/${id}`);

    // messages/<3 hex>/<3 hex>/<3 hex>/<id>.json: the id's first nine hex digits of time.
    const hex = id.slice(0, 8) + id.slice(9, 13);
    const file = `messages/${hex.slice(0, 3)}/${hex.slice(3, 6)}/${hex.slice(6, 9)}/${id}.json`;
    expect(await storedNames()).toEqual([file]);
    const bytes = await readFile(path.join(mount.mountPath, file));
    expect(bytes.equals(Buffer.from(JSON.stringify({ id, text, createdAt }), 'utf8'))).toBe(true);
  });

  it('should keep non-ASCII, quotes, backslashes and newlines intact', async () => {
    const text = 'こんにちは, EFS! 🚀 "quotes" \\ backslash\nnewline\u2028';
    const { id } = (await postText(text)).json;
    expect((await storedMessage(id)).text).toBe(text);
    expect((await call('GET /messages/{id}', { pathParameters: { id } })).json.text).toBe(text);
  });

  it('should ignore extra properties', async () => {
    const reply = await call('POST /messages', { body: JSON.stringify({ text: 'kept', extra: 'dropped', id: 'forged' }) });
    expect(reply.status).toBe(201);
    expect(await storedMessage(reply.json.id)).toEqual({ id: reply.json.id, text: 'kept', createdAt: reply.json.createdAt });
  });

  // API Gateway base64-encodes a body it does not take as text and sets isBase64Encoded (see
  // harness/targets/local/conformance/sources.ts: DOC_PAYLOAD, https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html).
  it('should decode a base64 body', async () => {
    const body = Buffer.from(JSON.stringify({ text: 'sent as octets ✓' })).toString('base64');
    const reply = await call('POST /messages', { body, isBase64Encoded: true });
    expect(reply.status, reply.body).toBe(201);
    expect((await storedMessage(reply.json.id)).text).toBe('sent as octets ✓');
  });

  it('should create the messages folder inside an existing mount, and reuse it', async () => {
    expect((await postText('first')).status).toBe(201);
    expect((await postText('second')).status).toBe(201);
    expect(await storedNames()).toHaveLength(2);
  });

  describe('body size limit', () => {
    /** A valid message body of exactly `bytes` bytes (UTF-8): a short text, then JSON whitespace up to the size. */
    const bodyOf = (bytes: number, fill = 'x') => {
      const body = JSON.stringify({ text: fill.repeat(100) });
      return `${body.slice(0, -1)}${' '.repeat(bytes - Buffer.byteLength(body))}}`;
    };

    it('should be 64 KiB', () => {
      expect(MAX_BODY_BYTES).toBe(65_536);
    });

    it('should accept a body of exactly the limit', async () => {
      const body = bodyOf(MAX_BODY_BYTES);
      expect(Buffer.byteLength(body)).toBe(MAX_BODY_BYTES);
      expect((await call('POST /messages', { body })).status).toBe(201);
    });

    it('should reject a body one byte over the limit with 413 body_too_large, writing nothing', async () => {
      const body = bodyOf(MAX_BODY_BYTES + 1);
      expect(Buffer.byteLength(body)).toBe(MAX_BODY_BYTES + 1);
      const reply = await call('POST /messages', { body });
      expectError(reply, 413, 'body_too_large');
      expect(reply.json.error.message).toContain(String(MAX_BODY_BYTES));
      expect(await storedNames()).toEqual([]);
    });

    it('should count bytes, not characters', async () => {
      const body = bodyOf(MAX_BODY_BYTES + 2, 'あ');
      expect(body.length).toBeLessThan(MAX_BODY_BYTES);
      expectError(await call('POST /messages', { body }), 413, 'body_too_large');
    });

    it('should count the decoded bytes of a base64 body', async () => {
      const atLimit = Buffer.from(bodyOf(MAX_BODY_BYTES)).toString('base64');
      expect(atLimit.length).toBeGreaterThan(MAX_BODY_BYTES);
      expect((await call('POST /messages', { body: atLimit, isBase64Encoded: true })).status).toBe(201);

      const overLimit = Buffer.from(bodyOf(MAX_BODY_BYTES + 1)).toString('base64');
      expectError(await call('POST /messages', { body: overLimit, isBase64Encoded: true }), 413, 'body_too_large');
      expect(await storedNames()).toHaveLength(1);
    });

    it('should check the size before parsing', async () => {
      expectError(await call('POST /messages', { body: `{${'x'.repeat(MAX_BODY_BYTES)}` }), 413, 'body_too_large');
    });
  });

  // Lambda's 6 MB limit on a synchronous invocation's response (see harness/targets/local/conformance/sources.ts: HTTP_API_QUOTAS,
  // https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
  describe('text size limit', () => {
    it('should be 4 KiB as stored, so that a page of 1,000 stays well under 6 MB', () => {
      expect(MAX_TEXT_BYTES).toBe(4096);
    });

    it('should accept a text of exactly the limit', async () => {
      expect((await postText('x'.repeat(MAX_TEXT_BYTES))).status).toBe(201);
    });

    it.each([
      ['one byte over', 'x'.repeat(MAX_TEXT_BYTES + 1), MAX_TEXT_BYTES + 1],
      ['UTF-8 bytes, not characters', 'あ'.repeat(1366), 4098],
      ['JSON escapes as stored', '\u0001'.repeat(683), 4098],
    ])('should reject a text %s with 400 text_too_long that names the size, the limit and why, writing nothing', async (_, text, size) => {
      const reply = await postText(text);
      expectError(reply, 400, 'text_too_long');
      expect(reply.json.error.message).toContain(`takes ${size} bytes`);
      expect(reply.json.error.message).toContain(`limit is ${MAX_TEXT_BYTES} bytes`);
      expect(reply.json.error.message).toContain("Lambda's 6 MB response limit");
      expect(await snapshotTree(mount.mountPath)).toEqual({});
    });
  });

  it.each([
    ['invalid JSON', '{"text": ', 'invalid_json'],
    ['an empty body', '', 'invalid_json'],
    ['no body at all', undefined, 'invalid_json'],
    ['a body without text', '{"message": "hi"}', 'invalid_text'],
    ['a number text', '{"text": 42}', 'invalid_text'],
    ['a null text', '{"text": null}', 'invalid_text'],
    ['an object text', '{"text": {"nested": "x"}}', 'invalid_text'],
    ['an empty text', '{"text": ""}', 'invalid_text'],
    ['a JSON array', '["text"]', 'invalid_text'],
    ['a JSON string', '"text"', 'invalid_text'],
    ['JSON null', 'null', 'invalid_text'],
  ])('should reject %s with 400 and write nothing', async (_, body, code) => {
    expectError(await call('POST /messages', body === undefined ? {} : { body }), 400, code);
    expect(await snapshotTree(mount.mountPath)).toEqual({});
  });

  it('should reject a base64 body that is not UTF-8 with 400 invalid_json', async () => {
    const body = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]).toString('base64');
    expectError(await call('POST /messages', { body, isBase64Encoded: true }), 400, 'invalid_json');
    expect(await storedNames()).toEqual([]);
  });

  it('should not echo a large invalid body back', async () => {
    const reply = await call('POST /messages', { body: `{"text": "${'y'.repeat(60_000)}` });
    expectError(reply, 400, 'invalid_json');
    expect(reply.body.length).toBeLessThan(500);
  });

  it.each(missingMounts)('should answer 503 mount_unavailable and write nothing when %s', async (_, breakMount) => {
    await breakMount();
    const before = await snapshotTree(mount.root);
    expectError(await postText('lost?'), 503, 'mount_unavailable');
    expect(await snapshotTree(mount.root)).toEqual(before);
  });

  it('should say that EFS_MOUNT_PATH is not set', async () => {
    delete process.env.EFS_MOUNT_PATH;
    expect((await postText('x')).json.error.message).toContain('EFS_MOUNT_PATH is not set');
  });

  it('should answer 503 mount_unavailable and leave no temporary file when the messages path is a file', async () => {
    await writeFile(messagesDir, 'in the way');
    expectError(await postText('blocked'), 503, 'mount_unavailable');
    expect(await readdir(mount.mountPath)).toEqual(['messages']);
  });

  it('should keep 200 concurrent messages intact and distinct, leaving no temporary file', async () => {
    const texts = Array.from({ length: 200 }, (_, i) => `concurrent #${i} ${'·'.repeat(i)}`);
    const replies = await Promise.all(texts.map((text) => postText(text)));
    expect(replies.map((r) => r.status)).toEqual(texts.map(() => 201));
    const ids = replies.map((r) => r.json.id as string);
    expect(new Set(ids).size).toBe(200);

    const names = await storedNames();
    expect(names.sort()).toEqual(ids.map(messagePath).sort());
    for (const [i, id] of ids.entries()) {
      expect(await storedMessage(id)).toEqual({ id, text: texts[i], createdAt: replies[i]!.json.createdAt });
    }
    const listed = (await call('GET /messages', { query: { limit: '1000' } })).json.messages as { text: string }[];
    expect(listed.map((m) => m.text).sort()).toEqual([...texts].sort());
  });
});

describe('GET /messages', () => {
  const list = (query?: Record<string, string>) => call('GET /messages', query ? { query } : {});

  it('should answer an empty page when nothing was written yet, without creating the folder', async () => {
    const reply = await list();
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe(JSON_TYPE);
    expect(reply.json).toEqual({ messages: [], skipped: 0 });
    expect(await snapshotTree(mount.mountPath)).toEqual({});
  });

  it('should list first-layout messages first (by id: their ids carry no time), then time ids oldest first', async () => {
    const early = timed(Date.parse('2026-01-01T00:00:01.000Z'), 'early', 7);
    const sameMs = timed(Date.parse('2026-01-01T00:00:01.000Z'), 'same millisecond, taken later', 8);
    const late = timed(Date.parse('2026-03-01T12:00:00.000Z'), 'late');
    const legacyB = { id: 'bbbbbbbb-0000-4000-8000-000000000000', text: 'legacy b', createdAt: '2025-01-01T00:00:00.000Z' };
    const legacyA = { id: 'aaaaaaaa-0000-4000-8000-000000000000', text: 'legacy a', createdAt: '2025-06-01T00:00:00.000Z' };
    for (const message of [late, legacyB, sameMs, early, legacyA]) await plant(message);
    expect((await list()).json).toEqual({ messages: [legacyA, legacyB, early, sameMs, late], skipped: 0 });
  });

  it('should list what POST /messages stored, in the order it was posted', async () => {
    const texts = Array.from({ length: 20 }, (_, i) => `posted #${i}`);
    const ids: string[] = [];
    for (const text of texts) ids.push((await postText(text)).json.id);
    const { messages } = (await list()).json;
    expect(messages.map((m: { id: string }) => m.id)).toEqual(ids);
    expect(messages.map((m: { text: string }) => m.text)).toEqual(texts);
  });

  it('should page through every message exactly once, in order, limit at a time', async () => {
    const base = Date.parse('2026-02-03T04:05:06.000Z');
    // 2.5 s apart: the 250 messages span several 4-second folders and a 4.7-hour one.
    const stored = Array.from({ length: 250 }, (_, i) => timed(base + i * 2_500, `m${i}`));
    for (const message of stored) await plant(message);
    const pages: unknown[][] = [];
    let cursor: string | undefined;
    do {
      const reply = await list({ limit: '60', ...(cursor ? { cursor } : {}) });
      expect(reply.status, reply.body).toBe(200);
      pages.push(reply.json.messages);
      cursor = reply.json.next;
    } while (cursor);
    expect(pages.map((page) => page.length)).toEqual([60, 60, 60, 60, 10]);
    expect(pages.flat()).toEqual(stored);
  });

  it('should default to 100 per page and answer next only while more remain', async () => {
    for (let i = 0; i < 101; i++) await plant(timed(Date.parse('2026-01-01T00:00:00.000Z') + i, `m${i}`));
    const first = await list();
    expect(first.json.messages).toHaveLength(100);
    expect(typeof first.json.next).toBe('string');
    const last = await list({ cursor: first.json.next });
    expect(last.json.messages).toHaveLength(1);
    expect(last.json).not.toHaveProperty('next');
  });

  it.each([
    ['0', 'not a whole number from 1 to 1000'],
    ['1001', 'not a whole number from 1 to 1000'],
    ['-1', ''],
    ['1.5', ''],
    ['ten', ''],
    ['', ''],
    ['1e2', ''],
    ['100,200', ''],
  ])('should reject limit=%j with 400 invalid_limit, reading nothing', async (limit, text) => {
    await plant(timed(Date.now() - 60_000, 'unread'));
    const reply = await list({ limit });
    expectError(reply, 400, 'invalid_limit');
    expect(reply.json.error.message).toContain(text);
    expect(reply.body).not.toContain('unread');
  });

  it.each([
    ['not base64url', '!!!'],
    ['base64url of something else', Buffer.from('hello').toString('base64url')],
    ['a raw id', newMessageId()],
    ['a non-canonical encoding', `${Buffer.from(`T${newMessageId()}`).toString('base64url')}=`],
    ['empty', ''],
  ])('should reject a cursor that is %s with 400 invalid_cursor, reading nothing', async (_, cursor) => {
    await plant(timed(Date.now() - 60_000, 'unread'));
    const reply = await list({ cursor });
    expectError(reply, 400, 'invalid_cursor');
    expect(reply.json.error.message).toContain('"next" of the previous page');
    expect(reply.body).not.toContain('unread');
  });

  it('should ignore temporary files, dotfiles and foreign names, and skip (count and log) files that are not messages', async () => {
    const good = timed(Date.parse('2026-01-01T00:00:00.000Z'), 'good');
    await plant(good);
    const bucket = path.dirname(path.join(mount.mountPath, messagePath(good.id)));
    const corrupt = messageIdAt(Date.parse('2026-01-01T00:00:00.500Z'));
    const wrongId = messageIdAt(Date.parse('2026-01-01T00:00:00.600Z'));
    const legacyCorrupt = randomUUID();
    const foreign: [string, string][] = [
      [path.join(bucket, `.${newMessageId()}.abc123.tmp`), '{"partial'],
      [path.join(bucket, `.${good.id}.json`), JSON.stringify(good)],
      [path.join(bucket, 'notes.txt'), 'hello'],
      [path.join(bucket, `${good.id.toUpperCase()}.json`), JSON.stringify(good)],
      [path.join(bucket, `${newMessageId()}.json.bak`), JSON.stringify(good)],
      [path.join(bucket, `${corrupt}.json`), '{"id": "torn'],
      [path.join(bucket, `${wrongId}.json`), JSON.stringify({ ...good, id: newMessageId() })],
      [path.join(messagesDir, `${legacyCorrupt}.json`), '[]'],
      [path.join(messagesDir, 'README'), 'not a message'],
    ];
    for (const [file, content] of foreign) await writeFile(file, content);
    await mkdir(path.join(messagesDir, 'zzz'));

    const reply = await list();
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ messages: [good], skipped: 3 });
    for (const id of [corrupt, wrongId, legacyCorrupt]) expect(String(errors)).toContain(id);
  });

  it.each(missingMounts)('should answer 503 mount_unavailable when %s', async (_, breakMount) => {
    await breakMount();
    const before = await snapshotTree(mount.root);
    expectError(await list(), 503, 'mount_unavailable');
    expect(await snapshotTree(mount.root)).toEqual(before);
  });
});

describe('GET /messages/{id}', () => {
  it('should answer 200 with the stored message', async () => {
    const { id, createdAt } = (await postText('read me')).json;
    const reply = await call('GET /messages/{id}', { pathParameters: { id } });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe(JSON_TYPE);
    expect(reply.json).toEqual({ id, text: 'read me', createdAt });
  });

  it('should answer 404 not_found for a well-formed id that was never written', async () => {
    expectError(await call('GET /messages/{id}', { pathParameters: { id: randomUUID() } }), 404, 'not_found');
    await postText('something else');
    expectError(await call('GET /messages/{id}', { pathParameters: { id: randomUUID() } }), 404, 'not_found');
  });

  // API Gateway decodes URL-encoded path parameters (DOC_ROUTES in harness/targets/local/conformance/sources.ts), so `..`
  // and `/` arrive decoded; the encoded forms stand for a caller that double-encodes.
  it.each([
    '..',
    '../../etc/passwd',
    '../secret',
    '%2e%2e',
    '..%2F..%2Fetc%2Fpasswd',
    'not-an-id',
    '',
    `${randomUUID()}/x`,
    `${randomUUID()}.json`,
    `.${randomUUID()}`,
    randomUUID().toUpperCase(),
    `${randomUUID()}\0`,
    '\0',
    ` ${randomUUID()}`,
    '00000000-0000-1000-8000-000000000000',
    '00000000-0000-4000-c000-000000000000',
    '00000000-0000-4000-8000-00000000000g',
  ])('should reject the id %j with 400 invalid_id', async (id) => {
    // A file the hostile ids would reach if they were used as paths.
    await writeFile(path.join(mount.root, 'secret.json'), '{"id":"secret","text":"secret","createdAt":"x"}');
    const reply = await call('GET /messages/{id}', { pathParameters: { id } });
    expectError(reply, 400, 'invalid_id');
    expect(reply.body).not.toContain('"text":"secret"');
    expect(await snapshotTree(mount.mountPath)).toEqual({});
  });

  it('should reject an event without path parameters with 400 invalid_id', async () => {
    expectError(await call('GET /messages/{id}'), 400, 'invalid_id');
  });

  it.each(missingMounts)('should answer 503 mount_unavailable when %s', async (_, breakMount) => {
    await breakMount();
    expectError(await call('GET /messages/{id}', { pathParameters: { id: randomUUID() } }), 503, 'mount_unavailable');
  });

  it('should answer 500 internal without details when a stored file is not a message, and log it', async () => {
    const id = randomUUID();
    await mkdir(messagesDir);
    await writeFile(path.join(messagesDir, `${id}.json`), '{"torn');
    const reply = await call('GET /messages/{id}', { pathParameters: { id } });
    expectError(reply, 500, 'internal');
    expect(reply.body).not.toContain(messagesDir);
    expect(reply.body).not.toMatch(/\bat .*:\d+/);
    expect(String(errors)).toContain(id);
  });
});

describe('GET /health', () => {
  it('should answer 200 with the mount path and leave no probe file behind', async () => {
    const reply = await call('GET /health');
    expect(reply.status, reply.body).toBe(200);
    expect(reply.headers['content-type']).toBe(JSON_TYPE);
    expect(reply.json).toEqual({ status: 'ok', mountPath: mount.mountPath });
    expect(await readdir(mount.mountPath)).toEqual([]);
  });

  it.each(missingMounts)('should answer 503 unavailable when %s, creating nothing', async (_, breakMount) => {
    await breakMount();
    const before = await snapshotTree(mount.root);
    const reply = await call('GET /health');
    expect(reply.status).toBe(503);
    expect(reply.headers['content-type']).toBe(JSON_TYPE);
    expect(reply.json).toEqual({ status: 'unavailable', error: { code: 'mount_unavailable', message: expect.any(String) } });
    expect(await snapshotTree(mount.root)).toEqual(before);
  });

  it('should name the reason: the unset variable or the path', async () => {
    await rm(mount.mountPath, { recursive: true });
    expect((await call('GET /health')).json.error.message).toMatch(new RegExp(`${mount.mountPath}.*does not exist`));
    delete process.env.EFS_MOUNT_PATH;
    expect((await call('GET /health')).json.error.message).toContain('EFS_MOUNT_PATH is not set');
  });

  const isRoot = process.getuid?.() === 0;
  it.skipIf(isRoot)(
    `should answer 503 when the mount is not writable${isRoot ? ' (skipped: running as root, which chmod does not stop from writing)' : ''}`,
    async () => {
      await chmod(mount.mountPath, 0o500);
      const reply = await call('GET /health');
      expect(reply.status).toBe(503);
      expect(reply.json).toMatchObject({ status: 'unavailable', error: { code: 'mount_unavailable' } });
      expect(reply.json.error.message).toContain(`${mount.mountPath} is not writable`);
      expect(reply.json.error.message).toContain('EACCES');
    },
  );
});

describe('logging', () => {
  it('should log one JSON line per request with the route, status and duration', async () => {
    await call('GET /health');
    await call('GET /nope');
    expect(logs).toHaveLength(2);
    expect(JSON.parse(logs[0]!)).toEqual({ route: 'GET /health', method: 'GET', status: 200, ms: expect.any(Number), requestId: 'test-request' });
    expect(logs[0]).toContain('GET /health');
    expect(JSON.parse(logs[1]!)).toMatchObject({ route: 'GET /nope', status: 404 });
  });
});

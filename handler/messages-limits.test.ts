import { execFile } from 'node:child_process';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from './index.ts';
import { messageIdAt, messagePath } from './message-ids.ts';
import { listPage, type Position } from './messages.ts';
import { createTempMount, httpEvent, type TempMount } from './test-support.ts';

/**
 * GET /messages under the limits Lambda sets: 1,024 open files per execution environment (AWS Lambda
 * quotas, "File descriptors": https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html), and
 * transient file system failures, which must give 503, never a short 200.
 */

const failures = vi.hoisted(() => ({
  open: undefined as string | undefined,
  readdir: undefined as string | undefined,
  opensBeforeFailure: 0,
  /** Runs once, just before the next listing of `messages/.pending`: a write landing between two listings of one page. */
  beforePendingListing: undefined as (() => Promise<void>) | undefined,
}));

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const errno = (code: string, syscall: string, file: unknown) =>
    Object.assign(new Error(`${code}: injected failure, ${syscall} '${String(file)}'`), { code, syscall, path: String(file) });
  return {
    ...actual,
    open: (async (file: string, flags?: string) => {
      if (failures.open && flags === 'r' && failures.opensBeforeFailure-- <= 0) throw errno(failures.open, 'open', file);
      return actual.open(file, flags);
    }) as typeof actual.open,
    readdir: (async (dir: string, options?: unknown) => {
      if (failures.readdir) throw errno(failures.readdir, 'scandir', dir);
      const hook = failures.beforePendingListing;
      if (hook && String(dir).endsWith('.pending')) {
        failures.beforePendingListing = undefined;
        await hook();
      }
      return actual.readdir(dir, options as undefined);
    }) as typeof actual.readdir,
  };
});

let mount: TempMount;
let errors: string[];

beforeEach(async () => {
  mount = await createTempMount();
  process.env.EFS_MOUNT_PATH = mount.mountPath;
  errors = [];
  vi.spyOn(console, 'log').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void errors.push(args.join(' ')));
});

afterEach(async () => {
  Object.assign(failures, { open: undefined, readdir: undefined, opensBeforeFailure: 0, beforePendingListing: undefined });
  vi.restoreAllMocks();
  delete process.env.EFS_MOUNT_PATH;
  await mount.remove();
});

/** `count` stored messages, one every 10 ms an hour ago, written straight to disk; their ids in order. */
async function seed(count: number): Promise<string[]> {
  const start = Date.now() - 3_600_000;
  const messages = Array.from({ length: count }, (_, i) => ({ id: messageIdAt(start + i * 10), text: `seeded ${i}`, createdAt: new Date(start + i * 10).toISOString() }));
  for (const folder of new Set(messages.map((m) => path.dirname(messagePath(m.id))))) await mkdir(path.join(mount.mountPath, folder), { recursive: true });
  for (let i = 0; i < count; i += 100) {
    await Promise.all(messages.slice(i, i + 100).map((m) => writeFile(path.join(mount.mountPath, messagePath(m.id)), JSON.stringify(m))));
  }
  return messages.map((m) => m.id);
}

async function list(query: Record<string, string> = {}): Promise<{ status: number; json: Record<string, any> }> {
  const result = await handler(httpEvent('GET /messages', { query }));
  return { status: result.statusCode, json: JSON.parse(result.body!) };
}

describe('GET /messages when the file system fails transiently', () => {
  it.each(['EMFILE', 'ENFILE', 'EIO', 'ETIMEDOUT', 'ESTALE'])('should answer 503 storage_unavailable, not a short list, when opening a file fails with %s', async (code) => {
    await seed(50);
    failures.open = code;
    failures.opensBeforeFailure = 20;
    const reply = await list();
    expect(reply.status).toBe(503);
    expect(reply.json).toEqual({ error: { code: 'storage_unavailable', message: expect.stringContaining(`(${code})`) } });
    expect(reply.json.error.message).toContain('Retry the same request');
    expect(reply.json).not.toHaveProperty('messages');
    expect(errors.join('\n')).toContain(`Listing messages failed, answering 503 instead of a partial page: ${code}`);
  });

  it('should answer 503 when listing a folder fails', async () => {
    await seed(5);
    failures.readdir = 'EIO';
    const reply = await list();
    expect(reply.status).toBe(503);
    expect(reply.json.error.code).toBe('storage_unavailable');
  });

  it('should answer the full page once the failure is gone', async () => {
    const ids = await seed(50);
    failures.open = 'EMFILE';
    expect((await list()).status).toBe(503);
    failures.open = undefined;
    const reply = await list();
    expect(reply.status).toBe(200);
    expect(reply.json.messages.map((m: { id: string }) => m.id)).toEqual(ids);
  });
});

describe('a write that lands while a page is being listed', () => {
  it('should still be returned: .pending/ is listed before the time folders', async () => {
    const now = Date.now();
    // 150 settled messages from 40 s to 2.75 s ago, and one write announced 6 s ago whose id is 5 s old:
    // the first page (145) covers its time and ends past it.
    const start = now - 40_000;
    for (let i = 0; i < 150; i++) {
      const ms = start + i * 250;
      const id = messageIdAt(ms);
      const file = path.join(mount.mountPath, messagePath(id));
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, JSON.stringify({ id, text: `settled ${i}`, createdAt: new Date(ms).toISOString() }));
    }
    const late = { id: messageIdAt(now - 5_000), text: 'landed between the listings', createdAt: new Date(now - 5_000).toISOString() };
    const pending = path.join(mount.mountPath, 'messages', '.pending', `${(now - 6_000).toString(16).padStart(12, '0')}-0123456789ab.tmp`);
    await mkdir(path.dirname(pending), { recursive: true });
    await writeFile(pending, JSON.stringify(late));
    failures.beforePendingListing = async () => {
      const final = path.join(mount.mountPath, messagePath(late.id));
      await mkdir(path.dirname(final), { recursive: true });
      await rename(pending, final);
    };

    const ids: string[] = [];
    let after: Position | undefined;
    do {
      const page = await listPage(mount.mountPath, { limit: 145, now, ...(after ? { after } : {}) });
      ids.push(...page.messages.map((m) => m.id));
      after = page.next;
    } while (after);
    expect(ids).toContain(late.id);
    expect(ids).toHaveLength(151);
  });
});

describe('GET /messages with 1,024 open files (Lambda\'s limit), in a process of its own', () => {
  it('should page through 3,000 stored messages, every one exactly once, in order', async () => {
    const ids = await seed(3_000);
    const indexUrl = pathToFileURL(fileURLToPath(new URL('./index.ts', import.meta.url))).href;
    const script = `
      import { readFileSync } from 'node:fs';
      const { handler } = await import(${JSON.stringify(indexUrl)});
      console.log = () => {};
      const limits = readFileSync('/proc/self/limits', 'utf8').split('\\n').find((line) => line.startsWith('Max open files'));
      const ids = []; const statuses = []; let cursor;
      do {
        const query = { limit: '1000', ...(cursor ? { cursor } : {}) };
        const result = await handler({ routeKey: 'GET /messages', rawPath: '/messages', queryStringParameters: query, requestContext: { http: { method: 'GET' } } });
        statuses.push(result.statusCode);
        const body = JSON.parse(result.body);
        if (result.statusCode !== 200) { process.stdout.write(JSON.stringify({ limits, statuses, body })); process.exit(0); }
        ids.push(...body.messages.map((m) => m.id));
        cursor = body.next;
      } while (cursor);
      process.stdout.write(JSON.stringify({ limits, statuses, ids }));
    `;
    const { stdout } = await promisify(execFile)('sh', ['-c', 'ulimit -n 1024 && exec "$0" --input-type=module -e "$1"', process.execPath, script], {
      env: { ...process.env, EFS_MOUNT_PATH: mount.mountPath },
      maxBuffer: 64 * 1024 * 1024,
    });
    const result = JSON.parse(stdout) as { limits: string; statuses: number[]; ids?: string[] };
    expect(result.limits).toMatch(/^Max open files\s+1024\s+1024\s+files/);
    expect(result.statuses).toEqual([200, 200, 200]);
    expect(result.ids).toEqual(ids);
  });
});

import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { bucketsOf, idTimeMs, isMessageId, messageIdAt, messagePath, newMessageId } from './message-ids.ts';
import { CLOCK_SKEW_MS, listPage, PENDING_EXPIRY_MS, writeMessage, type Message, type Position } from './messages.ts';
import { createTempMount, snapshotTree, type TempMount } from './test-support.ts';

let mount: TempMount;

beforeEach(async () => {
  mount = await createTempMount();
});

afterEach(async () => {
  vi.restoreAllMocks();
  await mount.remove();
});

const messageAt = (ms: number, text = `at ${ms}`): Message => {
  const id = messageIdAt(ms);
  return { id, text, createdAt: new Date(ms).toISOString() };
};

/** Puts the message's file in place at once, as a rename landing does. */
async function land(message: Message): Promise<void> {
  const file = path.join(mount.mountPath, messagePath(message.id));
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(message));
}

/** Pages from the start until a page has no `next`; the ids in the order they came, and every cursor handed out. */
async function pageThrough(limit: number, now: () => number, between: () => Promise<void> = async () => {}): Promise<{ ids: string[]; cursors: Position[] }> {
  const ids: string[] = [];
  const cursors: Position[] = [];
  let after: Position | undefined;
  for (let pages = 0; pages < 10_000; pages++) {
    const page = await listPage(mount.mountPath, { limit, now: now(), ...(after !== undefined ? { after } : {}) });
    ids.push(...page.messages.map((m) => m.id));
    if (page.next === undefined) return { ids, cursors };
    cursors.push(page.next);
    after = page.next;
    await between();
  }
  throw new Error('paging did not end');
}

/** Announces a write in flight as `writeMessage` does: a temporary file in `.pending/` named by its millisecond. */
async function announce(ms: number): Promise<string> {
  const file = path.join(mount.mountPath, 'messages', '.pending', `${ms.toString(16).padStart(12, '0')}-${randomUUID().slice(-12)}.tmp`);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, '');
  return file;
}

const pendingFiles = () => readdir(path.join(mount.mountPath, 'messages', '.pending'));

describe('writeMessage', () => {
  it('should store the exact bytes under its id, take an id no older than its announcement, and leave no temporary file', async () => {
    const before = Date.now();
    const message = await writeMessage(mount.mountPath, 'stored ✓');
    expect(idTimeMs(message.id)).toBeGreaterThanOrEqual(before);
    expect(message.createdAt).toBe(new Date(idTimeMs(message.id)).toISOString());
    expect(await readFile(path.join(mount.mountPath, messagePath(message.id)), 'utf8')).toBe(JSON.stringify({ id: message.id, text: 'stored ✓', createdAt: message.createdAt }));
    expect(await pendingFiles()).toEqual([]);
  });

  it('should remove its temporary file when the final rename fails', async () => {
    // A file where the id's first folder belongs makes the rename fail after the bytes were written and fsync'ed.
    const [first] = bucketsOf(messageIdAt(Date.now()));
    await mkdir(path.join(mount.mountPath, 'messages'));
    await writeFile(path.join(mount.mountPath, 'messages', first), 'in the way');

    await expect(writeMessage(mount.mountPath, 'never lands')).rejects.toMatchObject({ code: 'ENOTDIR' });
    expect(await pendingFiles()).toEqual([]);
  });

  it('should never create the mount root', async () => {
    await rm(mount.mountPath, { recursive: true });
    await expect(writeMessage(mount.mountPath, 'x')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await snapshotTree(mount.root)).toEqual({});
  });

  it('should refuse (503) and leave nothing when it could not rename within the write budget of its announcement', async () => {
    // Announced 6 s ago, as if the file system had stalled since.
    vi.spyOn(Date, 'now').mockReturnValueOnce(Date.now() - 6_000);
    await expect(writeMessage(mount.mountPath, 'too slow')).rejects.toMatchObject({ status: 503, code: 'write_too_slow' });
    expect(Object.entries(await snapshotTree(mount.mountPath)).filter(([, kind]) => kind.startsWith('file'))).toEqual([]);
  });
});

describe('message ids', () => {
  it('should accept what newMessageId and the first layout (crypto.randomUUID) generate', () => {
    for (let i = 0; i < 1_000; i++) {
      expect(isMessageId(newMessageId())).toBe(true);
      expect(isMessageId(randomUUID())).toBe(true);
    }
  });

  it('should make strictly increasing ids that carry the current millisecond', () => {
    const before = Date.now();
    const ids = Array.from({ length: 10_000 }, () => newMessageId());
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(idTimeMs(ids[0]!)).toBeGreaterThanOrEqual(before);
    expect(idTimeMs(ids.at(-1)!)).toBeLessThanOrEqual(Date.now() + 3);
  });

  it('should put a time id in three folders of its timestamp, and a first-layout id where it always was', () => {
    // 0x019ac7d25e1f ms = 2025-11-27T…; folders 019 / ac7 / d25.
    expect(messagePath('019ac7d2-5e1f-7a3b-9c4d-2e8f6a1b0c3d')).toBe('messages/019/ac7/d25/019ac7d2-5e1f-7a3b-9c4d-2e8f6a1b0c3d.json');
    expect(messagePath('3b241101-e2bb-4255-8caf-4136c566a962')).toBe('messages/3b241101-e2bb-4255-8caf-4136c566a962.json');
  });

  it.each(['', '..', 'a/b', `${randomUUID()}\n`, `${randomUUID()}.json`, randomUUID().toUpperCase(), '00000000-0000-0000-0000-000000000000', '019ac7d2-5e1f-1a3b-9c4d-2e8f6a1b0c3d'])(
    'should reject %j',
    (value) => {
      expect(isMessageId(value)).toBe(false);
    },
  );
});

describe('listPage', () => {
  const NOW = Date.parse('2026-06-01T00:00:00.000Z');

  it('should page across the first layout and the time folders exactly once, in order', async () => {
    const legacy = Array.from({ length: 5 }, (_, i) => ({ id: randomUUID(), text: `legacy ${i}`, createdAt: '2025-01-01T00:00:00.000Z' }));
    for (const message of legacy) await land(message);
    // One every 3 hours over 10 days: many 4.7-hour and 4-second folders.
    const timed = Array.from({ length: 80 }, (_, i) => messageAt(NOW - 10 * 86_400_000 + i * 3 * 3_600_000));
    for (const message of timed) await land(message);
    const { ids } = await pageThrough(7, () => NOW);
    expect(ids).toEqual([...legacy.map((m) => m.id).sort(), ...timed.map((m) => m.id)]);
  });

  it('should end a page that does not reach the end before messages younger than the clock skew, and give next', async () => {
    const recent = Array.from({ length: 150 }, (_, i) => messageAt(NOW - 1_000 + i));
    for (const message of recent) await land(message);
    const first = await listPage(mount.mountPath, { limit: 100, now: NOW });
    expect(first.messages).toEqual([]);
    expect(first.next).toBeDefined();
    // Once they settle, the same cursor gives them.
    const later = await listPage(mount.mountPath, { limit: 100, now: NOW + CLOCK_SKEW_MS, after: first.next! });
    expect(later.messages).toEqual(recent.slice(0, 100));
  });

  it('should end such a page before the oldest write still in flight, until it expires', async () => {
    const stored = Array.from({ length: 150 }, (_, i) => messageAt(NOW - 12_000 + i * 10));
    for (const message of stored) await land(message);
    await announce(NOW - 11_000);
    const held = await listPage(mount.mountPath, { limit: 100, now: NOW });
    expect(held.messages).toEqual(stored.slice(0, 100).filter((m) => idTimeMs(m.id) < NOW - 11_000));
    expect(held.messages).toHaveLength(100);
    // The next page stops at the announcement, until it is older than the expiry.
    const past = await listPage(mount.mountPath, { limit: 10, now: NOW, after: held.next! });
    expect(past.messages).toEqual([]);
    const expired = await listPage(mount.mountPath, { limit: 10, now: NOW - 11_000 + PENDING_EXPIRY_MS + 1, after: held.next! });
    expect(expired.messages).toEqual(stored.slice(100, 110));
  });

  it('should return recent messages on a page that reaches the end, without next', async () => {
    const recent = [messageAt(NOW - 2), messageAt(NOW - 1)];
    for (const message of recent) await land(message);
    await announce(NOW - 5);
    expect(await listPage(mount.mountPath, { limit: 100, now: NOW })).toEqual({ messages: recent, skipped: 0 });
  });

  it('should never pass over a write that lands late, nor return any message twice, while writers race the reader', async () => {
    // A virtual clock, 40 ms a step: for 300 steps three writers a step announce themselves, take ids "now"
    // and land up to 10 s later (the function's timeout); the reader reads one page of 5 per step, so it
    // falls behind, catches up with the writes in flight, and drains once the writers stop.
    let clock = NOW;
    let seed = 42;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const inFlight: { message: Message; pending: string; landsAt: number }[] = [];
    const landed: string[] = [];
    for (let i = 0; i < 200; i++) {
      const message = messageAt(NOW - 60_000 + i * 100);
      await land(message);
      landed.push(message.id);
    }
    let steps = 0;
    const step = async (): Promise<void> => {
      clock += 40;
      if (++steps <= 300) {
        for (let w = 0; w < 3; w++) inFlight.push({ pending: await announce(clock), message: messageAt(clock), landsAt: clock + Math.floor(random() * 10_000) });
      }
      for (const write of inFlight.filter((w) => w.landsAt <= clock)) {
        await land(write.message);
        await rm(write.pending);
        landed.push(write.message.id);
        inFlight.splice(inFlight.indexOf(write), 1);
      }
    };
    const { ids } = await pageThrough(5, () => clock, step);

    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    // Every message that had landed when the last page was read was returned.
    expect(landed.filter((id) => !ids.includes(id))).toEqual([]);
    expect(ids.length).toBe(landed.length);
    expect(landed.length).toBeGreaterThan(1_000);
  });

  it('should stop a page before it grows past the response budget and give next', async () => {
    // First-layout messages could hold 64 KiB: 100 of them would pass 6 MB.
    const big = Array.from({ length: 100 }, () => ({ id: randomUUID(), text: 'x'.repeat(60_000), createdAt: '2025-01-01T00:00:00.000Z' }));
    for (const message of big) await land(message);
    const page = await listPage(mount.mountPath, { limit: 100, now: NOW });
    expect(page.messages.length).toBe(83);
    expect(page.next).toBe(`L${page.messages.at(-1)!.id}`);
  });
});

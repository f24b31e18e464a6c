import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isMessageId, writeMessage } from './messages.ts';
import { createTempMount, snapshotTree, type TempMount } from './test-support.ts';

let mount: TempMount;

beforeEach(async () => {
  mount = await createTempMount();
});

afterEach(async () => {
  await mount.remove();
});

describe('writeMessage', () => {
  it('should remove its temporary file when the final rename fails', async () => {
    const id = randomUUID();
    // A non-empty folder under the final name makes the rename fail after the bytes were written and fsync'ed.
    const blocker = path.join(mount.mountPath, 'messages', `${id}.json`);
    await mkdir(blocker, { recursive: true });
    await writeFile(path.join(blocker, 'keep'), '');

    await expect(writeMessage(mount.mountPath, { id, text: 'never lands', createdAt: new Date().toISOString() })).rejects.toThrow();
    expect(await readdir(path.join(mount.mountPath, 'messages'))).toEqual([`${id}.json`]);
  });

  it('should never create the mount root', async () => {
    await rm(mount.mountPath, { recursive: true });
    await expect(writeMessage(mount.mountPath, { id: randomUUID(), text: 'x', createdAt: new Date().toISOString() })).rejects.toMatchObject({
      code: 'ENOENT',
    });
    expect(await snapshotTree(mount.root)).toEqual({});
  });
});

describe('isMessageId', () => {
  it('should accept what crypto.randomUUID generates', () => {
    for (let i = 0; i < 1_000; i++) expect(isMessageId(randomUUID())).toBe(true);
  });

  it.each(['', '..', 'a/b', `${randomUUID()}\n`, `${randomUUID()}.json`, randomUUID().toUpperCase(), '00000000-0000-0000-0000-000000000000'])(
    'should reject %j',
    (value) => {
      expect(isMessageId(value)).toBe(false);
    },
  );
});

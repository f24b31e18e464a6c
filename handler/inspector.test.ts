import { mkdir, open, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler as inspect, type InspectorEvent, MAX_READ_BYTES } from './inspector.ts';
import { createTempMount, snapshotTree, type TempMount } from './test-support.ts';

let mount: TempMount;
let outside: string;

beforeEach(async () => {
  mount = await createTempMount();
  process.env.EFS_MOUNT_PATH = mount.mountPath;
  vi.spyOn(console, 'log').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation(() => {});
  await mkdir(path.join(mount.mountPath, 'messages'));
  await writeFile(path.join(mount.mountPath, 'messages', 'b.json'), '{"b":1}');
  await writeFile(path.join(mount.mountPath, 'messages', 'a.json'), 'こんにちは');
  await writeFile(path.join(mount.mountPath, 'messages', '.a.tmp'), 'partial');
  // Next to the mount, not in it: what escaping paths would reach.
  outside = path.join(mount.root, 'outside');
  await mkdir(outside);
  await writeFile(path.join(outside, 'secret.json'), 'secret');
});

afterEach(async () => {
  vi.restoreAllMocks();
  delete process.env.EFS_MOUNT_PATH;
  await mount.remove();
});

const list = (p: string) => inspect({ op: 'list', path: p });
const read = (p: string) => inspect({ op: 'read', path: p });

describe('inspector: list', () => {
  it('should list the names in a folder, sorted, dotfiles included', async () => {
    expect(await list('messages')).toEqual({ entries: ['.a.tmp', 'a.json', 'b.json'] });
    expect(await list('messages/')).toEqual({ entries: ['.a.tmp', 'a.json', 'b.json'] });
  });

  it.each(['.', '', './'])('should list the mount root for %j', async (p) => {
    expect(await list(p)).toEqual({ entries: ['messages'] });
  });

  it('should list a folder that does not exist as empty, without creating it', async () => {
    await rm(path.join(mount.mountPath, 'messages'), { recursive: true });
    expect(await list('messages')).toEqual({ entries: [] });
    expect(await list('missing/deeper')).toEqual({ entries: [] });
    expect(await snapshotTree(mount.mountPath)).toEqual({});
  });

  it('should refuse to list a file', async () => {
    expect(await list('messages/a.json')).toMatchObject({ error: { code: 'not_a_directory' } });
  });
});

describe('inspector: read', () => {
  it('should return the exact bytes, base64-encoded', async () => {
    const result = await read('messages/a.json');
    expect(result).toEqual({ base64: Buffer.from('こんにちは').toString('base64') });
  });

  it('should answer not_found for a missing file', async () => {
    const result = await read('messages/missing.json');
    expect(result).toEqual({ error: { code: 'not_found', message: expect.stringContaining('messages/missing.json') } });
  });

  it('should refuse to read a folder', async () => {
    expect(await read('messages')).toMatchObject({ error: { code: 'not_a_file' } });
  });

  it('should refuse a file too large for a Lambda response', async () => {
    const file = await open(path.join(mount.mountPath, 'big.bin'), 'w');
    await file.truncate(MAX_READ_BYTES + 1);
    await file.close();
    expect(await read('big.bin')).toMatchObject({ error: { code: 'too_large' } });
  });

  it('should follow a symlink that stays inside the mount', async () => {
    await symlink('messages/a.json', path.join(mount.mountPath, 'alias.json'));
    expect(await read('alias.json')).toEqual({ base64: Buffer.from('こんにちは').toString('base64') });
  });
});

describe('inspector: paths that leave the mount', () => {
  beforeEach(async () => {
    await symlink(path.join(outside, 'secret.json'), path.join(mount.mountPath, 'messages', 'link.json'));
    await symlink(outside, path.join(mount.mountPath, 'escape'));
    await symlink('../../outside', path.join(mount.mountPath, 'messages', 'relative-escape'));
  });

  it.each([
    ['an absolute path', '/etc/passwd'],
    ['an absolute path shaped like the mount path', '/mnt/msg/messages/a.json'],
    ['a ".." segment', '../outside/secret.json'],
    ['a ".." segment in the middle', 'messages/../../outside/secret.json'],
    ['a ".." segment that stays inside', 'messages/../messages/a.json'],
    ['a lone ".."', '..'],
    ['a NUL byte', 'messages/a.json\0'],
    ['a symlink to a file outside', 'messages/link.json'],
    ['a symlink to a folder outside', 'escape/secret.json'],
    ['a relative symlink to a folder outside', 'messages/relative-escape/secret.json'],
    ['a missing file under a symlink to outside', 'escape/missing.json'],
  ])('should refuse %s with invalid_path', async (_, p) => {
    for (const op of ['list', 'read'] as const) {
      const result = await inspect({ op, path: p });
      expect(result, `${op} ${p}`).toEqual({ error: { code: 'invalid_path', message: expect.any(String) } });
    }
  });

  it('should refuse a symlinked folder outside when listing', async () => {
    expect(await list('escape')).toMatchObject({ error: { code: 'invalid_path' } });
  });

  it.each([42, null, undefined, ['messages']])('should refuse the path %j with invalid_path', async (p) => {
    expect(await inspect({ op: 'list', path: p } as unknown as InspectorEvent)).toMatchObject({ error: { code: 'invalid_path' } });
  });
});

describe('inspector: bad events and missing mounts', () => {
  it.each([{ op: 'write', path: 'x' }, { path: 'messages' }, null, 'list'])('should refuse the event %j with invalid_op', async (event) => {
    expect(await inspect(event as unknown as InspectorEvent)).toMatchObject({ error: { code: 'invalid_op' } });
  });

  it('should answer mount_unavailable when EFS_MOUNT_PATH is unset', async () => {
    delete process.env.EFS_MOUNT_PATH;
    expect(await list('messages')).toEqual({ error: { code: 'mount_unavailable', message: expect.stringContaining('EFS_MOUNT_PATH is not set') } });
  });

  it('should answer mount_unavailable when the mount folder does not exist, without creating it', async () => {
    await rm(mount.mountPath, { recursive: true });
    expect(await list('messages')).toMatchObject({ error: { code: 'mount_unavailable' } });
    expect(await read('messages/a.json')).toMatchObject({ error: { code: 'mount_unavailable' } });
    expect(await snapshotTree(mount.root)).toEqual({ outside: expect.any(String), 'outside/secret.json': expect.any(String) });
  });
});

describe('inspector: read-only', () => {
  it('should change nothing on the file system, whatever it is asked', async () => {
    await symlink(outside, path.join(mount.mountPath, 'escape'));
    const before = await snapshotTree(mount.root);
    const events: unknown[] = [
      { op: 'list', path: 'messages' },
      { op: 'list', path: '.' },
      { op: 'list', path: 'not-yet/created' },
      { op: 'read', path: 'messages/a.json' },
      { op: 'read', path: 'messages/missing.json' },
      { op: 'read', path: 'escape/secret.json' },
      { op: 'read', path: '../outside/secret.json' },
      { op: 'write', path: 'messages/new.json' },
    ];
    for (const event of events) await inspect(event as InspectorEvent);
    expect(await snapshotTree(mount.root)).toEqual(before);
  });
});

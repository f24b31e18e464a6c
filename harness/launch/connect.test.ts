import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connect, hostFolderView, inspectorView } from './connect.ts';
import type { EnvironmentInfo } from '../core/environment.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'connect-test-'));
const mount = path.join(root, 'fs', 'lambda');
mkdirSync(path.join(mount, 'messages'), { recursive: true });
writeFileSync(path.join(mount, 'messages', 'b.json'), 'B');
writeFileSync(path.join(mount, 'messages', 'a.json'), 'A');
writeFileSync(path.join(root, 'secret.txt'), 'outside');
symlinkSync(path.join(root, 'secret.txt'), path.join(mount, 'link'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('hostFolderView', () => {
  const view = hostFolderView(mount);

  it('should list a folder sorted and read bytes', async () => {
    expect(await view.list('messages')).toEqual(['a.json', 'b.json']);
    expect((await view.read('messages/a.json')).toString()).toBe('A');
  });

  it('should list an absent folder as empty', async () => {
    expect(await view.list('nothing-here')).toEqual([]);
  });

  it('should refuse paths that leave the mount, directly or through a symlink', async () => {
    await expect(view.read('../../secret.txt')).rejects.toThrow('outside the mount path');
    await expect(view.list('..')).rejects.toThrow('outside the mount path');
    await expect(view.read('link')).rejects.toThrow('resolves outside the mount path');
  });
});

describe('inspectorView', () => {
  it('should list and decode files through the inspector function', async () => {
    const view = inspectorView(async (event) => {
      const { op } = event as { op: string };
      return { payload: op === 'list' ? { entries: ['b', 'a'] } : { base64: Buffer.from('bytes').toString('base64') } };
    });
    expect(await view.list('messages')).toEqual(['a', 'b']);
    expect((await view.read('messages/a')).toString()).toBe('bytes');
  });

  it("should surface the inspector's error with the path", async () => {
    const view = inspectorView(async () => ({ payload: { error: { code: 'not_found', message: 'no such file' } } }));
    await expect(view.read('messages/x.json')).rejects.toThrow('Reading "messages/x.json" failed: {"code":"not_found"');
  });

  it('should fail clearly when the inspector itself fails', async () => {
    const view = inspectorView(async () => ({ payload: { errorMessage: 'Task timed out' }, functionError: 'Unhandled' }));
    await expect(view.list()).rejects.toThrow('The EFS inspector failed');
  });
});

describe('connect', () => {
  const info: EnvironmentInfo = {
    target: 'aws',
    apiUrl: 'https://example.execute-api.eu-west-1.amazonaws.com',
    mountPath: '/mnt/msg',
    functionName: 'f',
    functionTimeoutSeconds: 10,
    region: 'eu-west-1',
    faults: [],
    runDir: root,
    runId: 'r',
  };

  it('should refuse to inject a fault the target cannot inject, naming what it can', async () => {
    const env = connect(info);
    expect(env.canInject('mount-missing')).toBe(false);
    await expect(env.inject('mount-missing')).rejects.toThrow('The aws target cannot inject "mount-missing"; it can inject: nothing.');
  });

  it('should say so when a target gives no view of the files', async () => {
    await expect(connect(info).files.list()).rejects.toThrow('gives no view of the files');
  });
});

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { containerFolderView, type Exec } from './volume-view.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'volume-view-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/**
 * The container, played by this machine: the very commands run here (GNU find and base64, as in the Debian-based
 * LocalStack image), with the volume's mount point `/efs` mapped to a local folder. No Docker engine runs here.
 * Source: localstack/localstack@8b9a79f05846835cf4dff63ab7eefdde9df83783, Dockerfile (`FROM python:3.13.12-slim-trixie`,
 * whose Debian base has coreutils and findutils). The output is decoded as Testcontainers decodes an exec's
 * (testcontainers 12.2.0 in node_modules, build/container-runtime/clients/container/docker-container-client.js
 * `exec`: `chunk.toString()`, UTF-8).
 */
function localExec(volumeDir: string, calls: string[][]): Exec {
  return (command) => {
    calls.push(command);
    const mapped = command.map((arg) => (arg === '/efs' || arg.startsWith('/efs/') ? volumeDir + arg.slice(4) : arg));
    return new Promise((resolve) => {
      execFile(mapped[0]!, mapped.slice(1), { encoding: 'buffer' }, (error, stdout, stderr) => {
        const code = error ? ((error as { code?: number }).code ?? 1) : 0;
        resolve({ exitCode: typeof code === 'number' ? code : 1, stdout: stdout.toString(), stderr: stderr.toString() });
      });
    });
  };
}

describe('containerFolderView', () => {
  const volume = path.join(root, 'volume');
  mkdirSync(path.join(volume, 'messages'), { recursive: true });
  writeFileSync(path.join(volume, 'messages', 'b.json'), '{"text":"こんにちは"}');
  writeFileSync(path.join(volume, 'messages', 'a name with spaces.json'), '{}');
  writeFileSync(path.join(volume, 'messages', 'メモ.json'), '{}');
  writeFileSync(path.join(volume, 'blob.bin'), Buffer.from([0, 255, 10, 13, 128]));
  const calls: string[][] = [];
  const view = containerFolderView('/efs', localExec(volume, calls));

  it('should list a folder sorted, names with spaces whole, and an absent folder as empty', async () => {
    expect(await view.list()).toEqual(['blob.bin', 'messages']);
    expect(await view.list('messages')).toEqual(['a name with spaces.json', 'b.json', 'メモ.json']);
    expect(await view.list('nope')).toEqual([]);
    expect(calls[0]).toEqual(['find', '/efs', '-mindepth', '1', '-maxdepth', '1', '-printf', '%f\\0']);
  });

  it('should read bytes exactly, text and binary', async () => {
    expect((await view.read('messages/b.json')).toString('utf8')).toBe('{"text":"こんにちは"}');
    expect(await view.read('blob.bin')).toEqual(Buffer.from([0, 255, 10, 13, 128]));
  });

  it('should reject an absent file naming it, and paths outside the mount path without asking the container', async () => {
    await expect(view.read('messages/missing.json')).rejects.toThrow(/^Reading "messages\/missing.json" in the EFS volume failed \(exit 1\): .*No such file or directory/);
    const before = calls.length;
    await expect(view.read('../etc/passwd')).rejects.toThrow('"../etc/passwd" is outside the mount path.');
    await expect(view.list('/etc')).rejects.toThrow('"/etc" is outside the mount path.');
    expect(calls.length).toBe(before);
  });
});

import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MountModel } from '../../model/assembly.ts';
import { MOUNT } from '../../test-support/localstack-fixtures.ts';
import { applyAccessPointIdentity } from './identity.ts';
import { FunctionRuntime } from './runtime.ts';

// The access point of infra/stack.ts: POSIX user 1001:1001, root /lambda created 1001:1001 mode 750.
// What EFS does with it: every request through the access point runs as its POSIX user, and a missing root
// directory is created with CreationInfo's owner and mode (Source: https://docs.aws.amazon.com/efs/latest/ug/efs-access-points.html
// and https://docs.aws.amazon.com/efs/latest/ug/API_CreationInfo.html); the rest is POSIX permission checks.
// The template's access point (infra/stack.ts: uid/gid 1001, root /lambda created 1001:1001 0750), as the LocalStack tests model it.
const mount = (overrides: Partial<MountModel> = {}): MountModel => ({ ...MOUNT, ...overrides });

const made: string[] = [];
const layout = () => {
  const efsRoot = mkdtempSync(path.join(os.tmpdir(), 'identity-test-'));
  made.push(efsRoot);
  const rootDir = path.join(efsRoot, MOUNT.fileSystemLogicalId, MOUNT.rootPath);
  mkdirSync(rootDir, { recursive: true });
  return { efsRoot, rootDir };
};
afterEach(() => {
  vi.restoreAllMocks();
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const asRoot = process.getuid?.() === 0;

describe('applyAccessPointIdentity', () => {
  it.skipIf(!asRoot)("should give the root folder the template's owner and mode and return the POSIX user, as root", () => {
    const { efsRoot, rootDir } = layout();
    const lines: string[] = [];
    expect(applyAccessPointIdentity(efsRoot, rootDir, mount(), (l) => lines.push(l))).toEqual({ uid: 1001, gid: 1001 });
    const info = statSync(rootDir);
    expect([info.uid, info.gid, info.mode & 0o777]).toEqual([1001, 1001, 0o750]);
    expect(statSync(efsRoot).mode & 0o777).toBe(0o755);
    expect(lines).toHaveLength(1);
  });

  /** A function that writes one file and answers "written" or the error code. */
  const writeAs = async (runAs: { uid: number; gid: number } | undefined, file: string): Promise<unknown> => {
    const assetDir = mkdtempSync(path.join(os.tmpdir(), 'identity-fn-'));
    made.push(assetDir);
    chmodSync(assetDir, 0o755); // mkdtemp makes it private to root; Lambda's task root is readable by the function
    writeFileSync(
      path.join(assetDir, 'index.mjs'),
      `import { writeFile } from 'node:fs/promises';
       export const handler = async (event) => writeFile(event.file, 'x').then(() => 'written', (e) => e.code);`,
    );
    const runtime = new FunctionRuntime({
      fn: { logicalId: 'Fn', functionName: 'identity-fn', handler: 'index.handler', runtime: 'nodejs24.x', timeoutSeconds: 5, memoryMb: 128, ephemeralStorageMb: 512, environment: {}, assetDir },
      environment: {},
      region: 'us-east-1',
      accountId: '000000000000',
      log: () => {},
      ...(runAs ? { runAs } : {}),
    });
    try {
      const outcome = await runtime.invoke({ file });
      return outcome.ok ? outcome.result : outcome;
    } finally {
      await runtime.close();
    }
  };

  it.skipIf(!asRoot)("should leave what the function writes owned by the access point's user", async () => {
    const { efsRoot, rootDir } = layout();
    const runAs = applyAccessPointIdentity(efsRoot, rootDir, mount(), () => {});
    expect(await writeAs(runAs, path.join(rootDir, 'm.txt'))).toBe('written');
    const info = statSync(path.join(rootDir, 'm.txt'));
    expect([info.uid, info.gid]).toEqual([1001, 1001]);
  });

  it.skipIf(!asRoot)('should make a permission mistake fail locally: the function cannot write a root it does not own', async () => {
    const { efsRoot, rootDir } = layout();
    // The mistake: the access point creates its root for another owner than the POSIX user it applies.
    const runAs = applyAccessPointIdentity(efsRoot, rootDir, mount({ ownerUid: 0, ownerGid: 0 }), () => {});
    expect(await writeAs(runAs, path.join(rootDir, 'm.txt'))).toBe('EACCES');
  });

  it.skipIf(!asRoot)('should not enforce it, and say which folder, when the user could not reach the bundle', () => {
    const { efsRoot, rootDir } = layout();
    const closed = mkdtempSync(path.join(os.tmpdir(), 'identity-closed-')); // mode 700, owned by root
    made.push(closed);
    mkdirSync(path.join(closed, 'asset'));
    const lines: string[] = [];
    expect(applyAccessPointIdentity(efsRoot, rootDir, mount(), (l) => lines.push(l), [path.join(closed, 'asset')])).toBeUndefined();
    expect(lines).toEqual([expect.stringContaining(`${closed} cannot be entered by that user`)]);
  });

  it('should say once that the identity is not enforced when not running as root, and change nothing', () => {
    vi.spyOn(process, 'getuid').mockReturnValue(1000);
    const { efsRoot, rootDir } = layout();
    const before = statSync(rootDir);
    const lines: string[] = [];
    expect(applyAccessPointIdentity(efsRoot, rootDir, mount(), (l) => lines.push(l))).toBeUndefined();
    expect(lines).toEqual([expect.stringContaining('Access point identity not enforced')]);
    expect(lines[0]).toContain('uid 1001, gid 1001');
    const after = statSync(rootDir);
    expect([after.uid, after.mode]).toEqual([before.uid, before.mode]);
  });
});

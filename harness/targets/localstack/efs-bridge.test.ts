import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bridgedMounts, lambdaDockerFlags, prepareHostDir, shellQuote } from './efs-bridge.ts';
import { fakeModel, MOUNT, shlexSplit } from '../../test-support/localstack-fixtures.ts';

function localstackVolumes(flags: string): [string, string][] {
  const words = shlexSplit(flags);
  const volumes: [string, string][] = [];
  for (let i = 0; i < words.length; i++) {
    if (words[i] !== '-v' && words[i] !== '--volume') continue;
    const match = /^(?<host>[\p{L}\p{N}_\s\\/:.-]+?):(?<container>[\p{L}\p{N}_\s/.-]+)(?::(?:ro|rw|z|Z))?/u.exec(words[++i]!);
    if (match) volumes.push([match.groups!.host!, match.groups!.container!]);
  }
  return volumes;
}

describe('bridgedMounts', () => {
  it('should put the access point root of each file system at the mount path, one bind for functions that share it', () => {
    const model = fakeModel();
    const inspector = { ...model.apiFunction, logicalId: 'InspectorFunction', functionName: 'HelloVpcLambda-efs-inspector' };
    const mounts = bridgedMounts({ ...model, functions: [model.apiFunction, inspector] }, '/tmp/efs');
    expect(mounts).toEqual([
      {
        hostDir: '/tmp/efs/MyFileSystem8A1B2C3D/lambda',
        mountPath: '/mnt/msg',
        mount: MOUNT,
        functionNames: ['HelloVpcLambda-myHelloVPCLambda', 'HelloVpcLambda-efs-inspector'],
      },
    ]);
  });
});

describe('lambdaDockerFlags', () => {
  const mount = (source: string, mountPath = '/mnt/msg') => ({ source, mountPath });

  it('should write a plain -v flag for a plain path', () => {
    const flags = lambdaDockerFlags([mount('/tmp/harness-efs-x1/MyFs/lambda')]);
    expect(flags).toBe('-v /tmp/harness-efs-x1/MyFs/lambda:/mnt/msg');
    expect(localstackVolumes(flags)).toEqual([['/tmp/harness-efs-x1/MyFs/lambda', '/mnt/msg']]);
  });

  it('should quote a path with spaces so that LocalStack reads it whole', () => {
    const flags = lambdaDockerFlags([mount('/Users/Ada Lovelace/my project/.efs/lambda'), mount('/tmp/two/x', '/mnt/other')]);
    expect(flags).toBe("-v '/Users/Ada Lovelace/my project/.efs/lambda:/mnt/msg' -v /tmp/two/x:/mnt/other");
    expect(localstackVolumes(flags)).toEqual([
      ['/Users/Ada Lovelace/my project/.efs/lambda', '/mnt/msg'],
      ['/tmp/two/x', '/mnt/other'],
    ]);
  });

  it('should name a Docker volume as the source in volume mode, which LocalStack reads like a path', () => {
    const flags = lambdaDockerFlags([mount('harness-efs-20261126-101500-ab12')]);
    expect(flags).toBe('-v harness-efs-20261126-101500-ab12:/mnt/msg');
    expect(localstackVolumes(flags)).toEqual([['harness-efs-20261126-101500-ab12', '/mnt/msg']]);
  });

  it('should keep working after the Ryuk label that Testcontainers appends', () => {
    const flags = `${lambdaDockerFlags([mount('/tmp/a b/lambda')])} -l org.testcontainers.session-id=0f1e`;
    expect(localstackVolumes(flags)).toEqual([['/tmp/a b/lambda', '/mnt/msg']]);
  });

  it('should refuse paths LocalStack would cut short, naming the path and the fix', () => {
    expect(() => lambdaDockerFlags([mount('/tmp/c++ (copy)/lambda')])).toThrow(
      /"\/tmp\/c\+\+ \(copy\)\/lambda" has characters LocalStack cannot read.*TMPDIR/,
    );
    expect(() => lambdaDockerFlags([mount('/tmp/a:b/lambda')])).toThrow(/cannot read/);
    expect(() => lambdaDockerFlags([mount('relative/lambda')])).toThrow(/cannot read/);
  });

  it('should quote like Python shlex.quote', () => {
    expect(shellQuote('/a/b-c_d.e:f')).toBe('/a/b-c_d.e:f');
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's")).toBe(`'it'"'"'s'`);
    expect(shellQuote('')).toBe("''");
  });
});

describe('prepareHostDir', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'bridge-test-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const own = { ...MOUNT, posixUid: process.getuid!(), posixGid: process.getgid!() };

  it('should create the folder and open it to every user, saying why', async () => {
    const dir = path.join(root, 'a', 'Fs', 'lambda');
    const prepared = await prepareHostDir(dir, MOUNT, { isRoot: false });
    expect(statSync(dir).mode & 0o777).toBe(0o777);
    expect(prepared.how).toBe("mode 0777 so that the function's user in LocalStack (uid 993) can write");
  });

  it("should give the folder to the access point's POSIX user when root on Linux", async () => {
    const dir = path.join(root, 'b');
    const prepared = await prepareHostDir(dir, own, { isRoot: true, platform: 'linux' });
    expect(prepared.how).toContain(`owner set to ${own.posixUid}:${own.posixGid} (the access point's POSIX user)`);
    expect(statSync(dir).uid).toBe(own.posixUid);
  });

  it('should keep the owner of a folder someone else set up', async () => {
    const prepared = await prepareHostDir(path.join(root, 'c'), own, { isRoot: true, platform: 'linux', giveToPosixUser: false });
    expect(prepared.how).not.toContain('owner');
  });
});

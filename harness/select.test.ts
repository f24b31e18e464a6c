import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dockerEngineAnswers, dockerSocketCandidates, selectTarget } from './select.ts';

const yes = async () => true;
const no = async () => false;

describe('selectTarget', () => {
  it('should take HARNESS_TARGET as given, without asking Docker', async () => {
    const ask = async () => {
      throw new Error('must not be asked');
    };
    await expect(selectTarget({ HARNESS_TARGET: 'aws' }, ask)).resolves.toEqual({ target: 'aws', reason: 'HARNESS_TARGET=aws' });
  });

  it('should never fall back from a named target, even when nothing for it is there', async () => {
    await expect(selectTarget({ HARNESS_TARGET: 'localstack' }, no)).resolves.toMatchObject({ target: 'localstack' });
  });

  it('should reject an unknown target, listing the valid ones', async () => {
    await expect(selectTarget({ HARNESS_TARGET: 'lokal' }, yes)).rejects.toThrow(
      'HARNESS_TARGET="lokal" is not a target. Valid targets: local, localstack, endpoint, aws.',
    );
  });

  it('should pick localstack when unset, Docker answers and a token is set', async () => {
    await expect(selectTarget({ LOCALSTACK_AUTH_TOKEN: 'ls-abcd-1234' }, yes)).resolves.toMatchObject({ target: 'localstack' });
  });

  it('should pick local with the reason when no token is set', async () => {
    await expect(selectTarget({}, yes)).resolves.toEqual({
      target: 'local',
      reason: 'HARNESS_TARGET is unset and LOCALSTACK_AUTH_TOKEN is not set',
    });
  });

  it('should pick local with the reason when Docker does not answer', async () => {
    await expect(selectTarget({ LOCALSTACK_AUTH_TOKEN: 'ls-abcd-1234' }, no)).resolves.toEqual({
      target: 'local',
      reason: 'HARNESS_TARGET is unset and no Docker engine answers',
    });
  });

  it('should not print the token in its reason', async () => {
    const choice = await selectTarget({ LOCALSTACK_AUTH_TOKEN: 'ls-secret-token-value' }, yes);
    expect(choice.reason).not.toContain('ls-secret-token-value');
  });
});

describe('Docker detection', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'select-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('should use DOCKER_HOST when it names a unix socket or a TCP address', () => {
    expect(dockerSocketCandidates({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' })).toEqual([{ socketPath: '/run/user/1000/docker.sock' }]);
    expect(dockerSocketCandidates({ DOCKER_HOST: 'tcp://10.0.0.5:2376' })).toEqual([{ host: '10.0.0.5', port: 2376 }]);
  });

  it('should report no engine when the socket does not exist', async () => {
    await expect(dockerEngineAnswers({ DOCKER_HOST: `unix://${path.join(dir, 'missing.sock')}` })).resolves.toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import {
  createLocalstackContainer,
  DEFAULT_LOCALSTACK_IMAGE,
  localstackContainerConfig,
  localstackImage,
  requireAuthToken,
} from './container.ts';

const TOKEN = 'ls-AbCd1234-EfGh-5678-IjKl-9012MnOp3456';

describe('requireAuthToken', () => {
  it('should return the token when it is set', () => {
    expect(requireAuthToken({ LOCALSTACK_AUTH_TOKEN: ` ${TOKEN} ` })).toBe(TOKEN);
  });

  it('should say which plans the pattern needs and how to get and set a token when it is missing', () => {
    for (const env of [{}, { LOCALSTACK_AUTH_TOKEN: '  ' }]) {
      let message = '';
      try {
        requireAuthToken(env);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toContain('LOCALSTACK_AUTH_TOKEN is not set');
      expect(message).toContain('Base plan for HTTP APIs (apigatewayv2');
      expect(message).toContain('The EFS API (Ultimate plan) is optional');
      expect(message).toContain('CI Auth Token');
      expect(message).toContain('export LOCALSTACK_AUTH_TOKEN=');
      expect(message).toContain('HARNESS_TARGET=local');
    }
  });
});

describe('localstackImage', () => {
  it('should default to a pinned calendar-versioned tag', () => {
    expect(localstackImage({})).toBe(DEFAULT_LOCALSTACK_IMAGE);
    expect(DEFAULT_LOCALSTACK_IMAGE).toMatch(/^localstack\/localstack:\d{4}\.\d{2}\.\d+$/);
  });

  it('should take HARNESS_LOCALSTACK_IMAGE, also from a registry with a port', () => {
    expect(localstackImage({ HARNESS_LOCALSTACK_IMAGE: 'localstack/localstack:2026.07.0' })).toBe('localstack/localstack:2026.07.0');
    expect(localstackImage({ HARNESS_LOCALSTACK_IMAGE: 'mirror:5000/localstack/localstack:2026.07.0' })).toBe(
      'mirror:5000/localstack/localstack:2026.07.0',
    );
  });

  it('should refuse latest and untagged images', () => {
    expect(() => localstackImage({ HARNESS_LOCALSTACK_IMAGE: 'localstack/localstack:latest' })).toThrow(/has no pinned tag/);
    expect(() => localstackImage({ HARNESS_LOCALSTACK_IMAGE: 'mirror:5000/localstack/localstack' })).toThrow(/has no pinned tag/);
  });
});

describe('localstackContainerConfig', () => {
  const base = {
    image: DEFAULT_LOCALSTACK_IMAGE,
    authToken: TOKEN,
    dockerSocketPath: '/run/user/1000/docker.sock',
    lambdaDockerFlags: "-v '/tmp/my efs/Fs/lambda:/mnt/msg'",
    efsMounts: [{ source: '/tmp/my efs', target: '/var/lib/harness-efs' }],
  };

  it('should describe the whole container: token, bridge flags, timeout, network, socket and EFS binds', () => {
    expect(localstackContainerConfig({ ...base, network: 'tc-net-1', reuse: false })).toEqual({
      image: DEFAULT_LOCALSTACK_IMAGE,
      environment: {
        LOCALSTACK_AUTH_TOKEN: TOKEN,
        LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT: '60',
        LOCALSTACK_HOST: 'localhost',
        DEBUG: '0',
        LAMBDA_DOCKER_NETWORK: 'tc-net-1',
      },
      lambdaDockerFlags: "-v '/tmp/my efs/Fs/lambda:/mnt/msg'",
      bindMounts: [
        { source: '/run/user/1000/docker.sock', target: '/var/run/docker.sock' },
        { source: '/tmp/my efs', target: '/var/lib/harness-efs' },
      ],
      network: 'tc-net-1',
      reuse: false,
    });
  });

  it('should leave out the network on reuse, so that the settings (and so the reuse hash) are the same every run', () => {
    const config = localstackContainerConfig({ ...base, reuse: true });
    expect(config.network).toBeUndefined();
    expect(config.environment).not.toHaveProperty('LAMBDA_DOCKER_NETWORK');
    expect(config.reuse).toBe(true);
    expect(localstackContainerConfig({ ...base, reuse: true })).toEqual(config);
  });
});

describe('createLocalstackContainer', () => {
  // Testcontainers keeps the settings in protected fields; reading them is the only way to check them without Docker.
  type Internals = {
    environment: Record<string, string>;
    createOpts: { Env?: string[] };
    hostConfig: { Binds?: string[] };
    networkMode?: string;
    reuse: boolean;
    beforeContainerCreated(): Promise<void>;
  };
  const config = localstackContainerConfig({
    image: DEFAULT_LOCALSTACK_IMAGE,
    authToken: TOKEN,
    dockerSocketPath: '/var/run/docker.sock',
    lambdaDockerFlags: '-v /tmp/efs/Fs/lambda:/mnt/msg',
    efsMounts: [{ source: '/tmp/efs', target: '/var/lib/harness-efs' }],
    network: 'tc-net-1',
    reuse: false,
  });
  const flagEntries = (c: Internals) => (c.createOpts.Env ?? []).filter((e) => e.startsWith('LAMBDA_DOCKER_FLAGS='));

  it('should apply the environment, the binds and the network', () => {
    const container = createLocalstackContainer(config) as unknown as Internals;
    expect(container.environment).toMatchObject(config.environment);
    expect(container.environment).not.toHaveProperty('LAMBDA_DOCKER_FLAGS');
    expect(container.hostConfig.Binds).toEqual(['/var/run/docker.sock:/var/run/docker.sock:rw', '/tmp/efs:/var/lib/harness-efs:rw']);
    expect(container.networkMode).toBe('tc-net-1');
    expect(container.reuse).toBe(false);
  });

  it('should set LAMBDA_DOCKER_FLAGS exactly once, the bridge followed by the Ryuk session label', async () => {
    const container = createLocalstackContainer(config, async () => 'session-1') as unknown as Internals;
    expect(flagEntries(container)).toEqual([]);
    await container.beforeContainerCreated();
    expect(flagEntries(container)).toEqual(['LAMBDA_DOCKER_FLAGS=-v /tmp/efs/Fs/lambda:/mnt/msg -l org.testcontainers.session-id=session-1']);
  });

  it("should show why: the module's own hook would put a second LAMBDA_DOCKER_FLAGS entry into the container's Env", async () => {
    // @testcontainers/localstack 12.1.0 flagLambdaSessionId + testcontainers 12.2.0 withEnvironment, run as they are.
    const { LocalstackContainer } = await import('@testcontainers/localstack');
    const plain = new LocalstackContainer(DEFAULT_LOCALSTACK_IMAGE).withEnvironment({ LAMBDA_DOCKER_FLAGS: '-v /a:/mnt/msg' }) as unknown as Internals;
    (plain as unknown as { withEnvironment(e: Record<string, string>): void }).withEnvironment({ LAMBDA_DOCKER_FLAGS: '-v /a:/mnt/msg -l x=y' });
    expect(flagEntries(plain)).toHaveLength(2);
  });

  it('should not add the per-session Ryuk label on reuse (it would change the reuse hash every run), and not ask Docker', async () => {
    const container = createLocalstackContainer({ ...config, reuse: true }, async () => {
      throw new Error('no Ryuk on reuse');
    }) as unknown as Internals;
    expect(container.reuse).toBe(true);
    await container.beforeContainerCreated();
    expect(flagEntries(container)).toEqual(['LAMBDA_DOCKER_FLAGS=-v /tmp/efs/Fs/lambda:/mnt/msg']);
  });
});

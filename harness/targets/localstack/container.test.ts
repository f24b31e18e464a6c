import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../core/run.ts';
import {
  createLocalstackContainer,
  DEFAULT_LOCALSTACK_IMAGE,
  explainStartFailure,
  hostNetworkPort,
  localstackContainerConfig,
  localstackImage,
  requireAuthToken,
  startupTimeoutMs,
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
    labels: { 'dev.harness.run-id': 'r1' },
    startupTimeoutMs: 120_000,
  };

  it('should describe the whole container: token, bridge flags, timeout, network, socket and EFS binds', () => {
    expect(localstackContainerConfig({ ...base, network: 'tc-net-1', reuse: false })).toEqual({
      image: DEFAULT_LOCALSTACK_IMAGE,
      environment: {
        LOCALSTACK_AUTH_TOKEN: TOKEN,
        LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT: '60',
        LOCALSTACK_HOST: 'localhost',
        DEBUG: '0',
        CFN_IGNORE_UNSUPPORTED_RESOURCE_TYPES: '1',
        LAMBDA_IGNORE_ARCHITECTURE: '1',
        LAMBDA_DOCKER_NETWORK: 'tc-net-1',
      },
      lambdaDockerFlags: "-v '/tmp/my efs/Fs/lambda:/mnt/msg' -l dev.harness.run-id=r1",
      bindMounts: [
        { source: '/run/user/1000/docker.sock', target: '/var/run/docker.sock' },
        { source: '/tmp/my efs', target: '/var/lib/harness-efs' },
      ],
      network: 'tc-net-1',
      labels: { 'dev.harness.run-id': 'r1' },
      startupTimeoutMs: 120_000,
      reuse: false,
    });
  });

  it('should put LocalStack and its functions on the host network, listening on loopback at the given port', () => {
    const config = localstackContainerConfig({ ...base, hostNetworkPort: 4599, reuse: false });
    expect(config.network).toBe('host');
    expect(config.hostPort).toBe(4599);
    expect(config.environment).toMatchObject({ LAMBDA_DOCKER_NETWORK: 'host', GATEWAY_LISTEN: '127.0.0.1:4599' });
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
    hostConfig: { Binds?: string[]; PortBindings?: unknown };
    createOptsPorts?: unknown;
    exposedPorts: unknown[];
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
    labels: {},
    startupTimeoutMs: 120_000,
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
    const container = createLocalstackContainer(config, undefined, async () => 'session-1') as unknown as Internals;
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
    const container = createLocalstackContainer({ ...config, reuse: true }, undefined, async () => {
      throw new Error('no Ryuk on reuse');
    }) as unknown as Internals;
    expect(container.reuse).toBe(true);
    await container.beforeContainerCreated();
    expect(flagEntries(container)).toEqual(['LAMBDA_DOCKER_FLAGS=-v /tmp/efs/Fs/lambda:/mnt/msg']);
  });
});

describe('createLocalstackContainer on the host network', () => {
  // Pinned: testcontainers 12.2.0 keeps the port settings in these protected fields. If an update renames them,
  // this fails, instead of a start that waits 10 s for a port binding that the host network never reports.
  it("should clear the module's exposed port 4566 from every field Testcontainers reads it from", async () => {
    const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'node_modules', 'testcontainers', 'package.json'), 'utf8')) as { version: string };
    expect(pkg.version).toBe('12.2.0');
    const { LocalstackContainer } = await import('@testcontainers/localstack');
    type Ports = { exposedPorts: unknown[]; createOpts: { ExposedPorts?: object }; hostConfig: { PortBindings?: object } };
    const plain = new LocalstackContainer(DEFAULT_LOCALSTACK_IMAGE) as unknown as Ports;
    expect(plain.exposedPorts).toEqual([4566]);
    expect(plain.createOpts.ExposedPorts).toHaveProperty('4566/tcp');
    expect(plain.hostConfig.PortBindings).toHaveProperty('4566/tcp');
    const config = localstackContainerConfig({
      image: DEFAULT_LOCALSTACK_IMAGE,
      authToken: TOKEN,
      dockerSocketPath: '/var/run/docker.sock',
      lambdaDockerFlags: '',
      efsMounts: [],
      hostNetworkPort: 4566,
      labels: {},
      startupTimeoutMs: 5_000,
      reuse: false,
    });
    const container = createLocalstackContainer(config) as unknown as Ports & { networkMode?: string; startupTimeoutMs?: number };
    expect(container.networkMode).toBe('host');
    expect(container.exposedPorts).toEqual([]);
    expect(container.createOpts.ExposedPorts).toBeUndefined();
    expect(container.hostConfig.PortBindings).toBeUndefined();
    expect(container.startupTimeoutMs).toBe(5_000);
  });
});

describe('explainStartFailure', () => {
  const base = { image: 'localstack/localstack:2026.08.0', imagePresent: true, ryukDisabled: false, startupTimeoutMs: 120_000 };
  // The engine's answer to a pull with no registry reachable, as dockerd 20.10 gave it here with HTTP(S)_PROXY on a
  // closed port (captured on this machine, December 2026), wrapped by dockerode as Testcontainers reports it.
  const pullError = '(HTTP code 500) server error - Get "https://registry-1.docker.io/v2/": proxyconnect tcp: dial tcp 127.0.0.1:9: connect: connection refused';

  it('should name the image and docker load when the LocalStack image is missing and cannot be pulled', () => {
    const text = explainStartFailure({ ...base, imagePresent: false, message: pullError });
    expect(text).toContain('The image localstack/localstack:2026.08.0 is not on this Docker engine and could not be pulled');
    expect(text).toContain('docker load');
    expect(text).toContain('HARNESS_LOCALSTACK_IMAGE');
  });

  it('should name Ryuk and TESTCONTAINERS_RYUK_DISABLED when the image is there and the pull that failed was Ryuk\'s', () => {
    const text = explainStartFailure({ ...base, message: pullError });
    expect(text).toContain('Ryuk');
    expect(text).toContain('TESTCONTAINERS_RYUK_DISABLED=true');
  });

  it('should say what the runtime strategy search tried and the host override', () => {
    const text = explainStartFailure({ ...base, message: 'Could not find a working container runtime strategy' });
    expect(text).toContain('TESTCONTAINERS_HOST_OVERRIDE=localhost');
    expect(text).toContain('bridge');
  });

  it("should explain Testcontainers' fixed 10 s port wait and the readiness time-out with their settings", () => {
    expect(explainStartFailure({ ...base, message: 'Timed out after 10000ms while waiting for container ports to be bound to the host' })).toContain('testcontainers-node#1446');
    expect(explainStartFailure({ ...base, startupTimeoutMs: 2_000, message: 'Log message "Ready" not received after 2000ms' })).toContain(
      'HARNESS_LOCALSTACK_START_TIMEOUT',
    );
  });

  it('should parse its settings and refuse nonsense', () => {
    expect(startupTimeoutMs({})).toBe(120_000);
    expect(startupTimeoutMs({ HARNESS_LOCALSTACK_START_TIMEOUT: '2.5' })).toBe(2_500);
    expect(() => startupTimeoutMs({ HARNESS_LOCALSTACK_START_TIMEOUT: 'soon' })).toThrow(/not a positive number/);
    expect(hostNetworkPort({})).toBe(4566);
    expect(() => hostNetworkPort({ HARNESS_LOCALSTACK_PORT: '70000' })).toThrow(/not a TCP port/);
  });
});

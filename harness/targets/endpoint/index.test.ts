import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type PatternModel, synthesize } from '../../model/assembly.ts';
import { type FakeLocalstack, startFakeLocalstack } from '../../test-support/fake-localstack.ts';
import { fakeApi, fakeCdk, fakeModel, OUTPUTS } from '../../test-support/localstack-fixtures.ts';
import { Progress } from '../../core/progress.ts';
import { PROJECT_ROOT } from '../../core/run.ts';
import { deployToEndpoint, endpointSettings } from './index.ts';
import { GATEWAY_RESPONSES } from '../local/http-api.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'endpoint-target-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A health endpoint on 127.0.0.1 answering like the given emulator (bodies as in harness/targets/localstack/detect.test.ts). */
async function emulator(routes: Record<string, unknown>): Promise<string> {
  server = createServer((req, res) => {
    const body = routes[req.url ?? ''];
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? { error: 'not found' }));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let fake: FakeLocalstack | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function context(env: NodeJS.ProcessEnv) {
  return {
    runId: 'r1',
    runDir: mkdtempSync(path.join(root, 'run-')),
    env,
    progress: new Progress({ quiet: true }),
    synth: async (o: { stackName: string; outdir: string }) => fakeModel({ stackName: o.stackName, assemblyDir: o.outdir }),
  };
}

const NOT_IN_CONTAINER = { placement: {} };

describe('endpointSettings', () => {
  it("should default to LocalStack's port, the project's .efs folder, the app's own stack name and the volume harness-efs", () => {
    expect(endpointSettings({})).toEqual({
      endpoint: 'http://localhost:4566',
      efsRoot: path.join(PROJECT_ROOT, '.efs'),
      stackName: 'HelloVpcLambda',
      volume: 'harness-efs',
    });
  });

  it('should take HARNESS_ENDPOINT, HARNESS_EFS_DIR, HARNESS_STACK_NAME and HARNESS_EFS_VOLUME', () => {
    expect(
      endpointSettings({ HARNESS_ENDPOINT: 'http://localstack:4566/', HARNESS_EFS_DIR: '/data/efs', HARNESS_STACK_NAME: 'Mine', HARNESS_EFS_VOLUME: 'my-efs' }),
    ).toEqual({
      endpoint: 'http://localstack:4566',
      efsRoot: '/data/efs',
      stackName: 'Mine',
      volume: 'my-efs',
    });
    expect(() => endpointSettings({ HARNESS_ENDPOINT: 'localhost:4566' })).toThrow('HARNESS_ENDPOINT="localhost:4566" is not an emulator\'s base URL');
  });
});

describe('deployToEndpoint', () => {
  it('should tell how to start LocalStack when nothing answers', async () => {
    const endpoint = await emulator({});
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    await expect(deployToEndpoint(context({ HARNESS_ENDPOINT: endpoint }))).rejects.toThrow(
      `Nothing answers at ${endpoint} (ECONNREFUSED). Start LocalStack with \`docker compose up\``,
    );
  });

  it('should stop at Floci with what it cannot host, before synthesizing or deploying', async () => {
    const endpoint = await emulator({ '/_floci/health': { services: {}, edition: 'floci-always-free', version: '1.5.2' } });
    let synthesized = false;
    const ctx = { ...context({ HARNESS_ENDPOINT: endpoint }), synth: async () => ((synthesized = true), fakeModel()) };
    await expect(deployToEndpoint(ctx)).rejects.toThrow(/is Floci 1\.5\.2, which cannot host this pattern: it stubs AWS::EFS::\*/);
    expect(synthesized).toBe(false);
  });

  it('should deploy into the endpoint and give the scenarios its folder layout: HARNESS_EFS_DIR/<access point root>', async () => {
    fake = await startFakeLocalstack({ efsApi: true });
    const endpoint = fake.endpoint;
    const efsRoot = path.join(root, 'my efs');
    const cdk = fakeCdk();
    const commands = cdk.commands;
    const { info, stackName } = await deployToEndpoint(
      context({ HARNESS_ENDPOINT: endpoint, HARNESS_EFS_DIR: efsRoot }),
      { api: fakeApi(), runCdk: cdk.run, healthWaitSeconds: 0 },
      NOT_IN_CONTAINER,
    );
    expect(stackName).toBe('HelloVpcLambda');
    expect(info).toMatchObject({
      target: 'endpoint',
      apiUrl: `${endpoint}/_aws/execute-api/abc123/$default`,
      efsDir: path.join(efsRoot, 'lambda'),
      awsEndpoint: endpoint,
      faults: [],
    });
    expect(statSync(path.join(efsRoot, 'lambda')).mode & 0o777).toBe(0o777);
    expect(commands.map((c) => c.args[1])).toEqual(['bootstrap', 'deploy']);
    expect(commands[1]!.env.AWS_ENDPOINT_URL).toBe(endpoint);
  });

  it('should keep a stack deployed from the same template', async () => {
    fake = await startFakeLocalstack({ efsApi: true });
    const runCdk = async (): Promise<string> => {
      throw new Error('cdklocal must not run');
    };
    const api = fakeApi({ describeStack: async () => ({ status: 'CREATE_COMPLETE', hash: 'a'.repeat(64), outputs: OUTPUTS }) });
    const { info } = await deployToEndpoint(
      context({ HARNESS_ENDPOINT: fake.endpoint, HARNESS_EFS_DIR: path.join(root, 'kept') }),
      { api, runCdk, healthWaitSeconds: 0 },
      NOT_IN_CONTAINER,
    );
    expect(info.functionName).toBe('HelloVpcLambda-myHelloVPCLambda');
  });
});

describe('endpoint target against a LocalStack that answers as LocalStack does', () => {
  let model: PatternModel;
  beforeAll(async () => {
    model = await synthesize({ stackName: 'HelloVpcLambda', outdir: path.join(root, 'cdk.out') });
  }, 120_000);
  const ctx = (env: NodeJS.ProcessEnv) => ({ ...context({ HARNESS_EFS_DIR: path.join(root, 'efs'), ...env }), synth: async () => model });

  it('should reach the scenarios with the EFS API (Ultimate plan), deploying the full template', async () => {
    fake = await startFakeLocalstack({ efsApi: true });
    const cdk = fakeCdk();
    const { info } = await deployToEndpoint(ctx({ HARNESS_ENDPOINT: fake.endpoint }), { runCdk: cdk.run, healthWaitSeconds: 0 }, NOT_IN_CONTAINER);
    expect(info).toMatchObject({ target: 'endpoint', apiUrl: `${fake.endpoint}/_aws/execute-api/abc123/$default`, efsDir: path.join(root, 'efs', 'lambda') });
    expect(cdk.commands[1]!.args).toContain(model.assemblyDir);
  });

  it('should reach the scenarios without the EFS API (Base plan), deploying the bridge-only variant', async () => {
    fake = await startFakeLocalstack({ efsApi: false });
    const cdk = fakeCdk();
    const c = ctx({ HARNESS_ENDPOINT: fake.endpoint });
    const { info } = await deployToEndpoint(c, { runCdk: cdk.run, healthWaitSeconds: 0 }, NOT_IN_CONTAINER);
    expect(info.apiUrl).toBe(`${fake.endpoint}/_aws/execute-api/abc123/$default`);
    expect(cdk.commands[1]!.args).toContain(path.join(c.runDir, 'cdk.out.bridge-only'));
  });

  it('should fail with the diagnosis when /health is not 200', async () => {
    // API Gateway's answer for a route the API does not have (harness/targets/local/http-api.ts GATEWAY_RESPONSES cites it).
    fake = await startFakeLocalstack({ efsApi: false, health: [{ status: GATEWAY_RESPONSES.notFound.statusCode, body: GATEWAY_RESPONSES.notFound.body }] });
    await expect(deployToEndpoint(ctx({ HARNESS_ENDPOINT: fake.endpoint }), { runCdk: fakeCdk().run, healthWaitSeconds: 0 }, NOT_IN_CONTAINER)).rejects.toThrow(
      /answered HTTP 404 \{"message":"Not Found"\}; it must answer 200[\s\S]*The HTTP API does not serve GET \/health/,
    );
  });

  it('should read a bridge volume through a reader container in volume mode, and stop it when the deploy fails', async () => {
    fake = await startFakeLocalstack({ efsApi: false });
    const started: string[] = [];
    const volumeReader = async (image: string, volume: string) => {
      started.push(`${image} ${volume}`);
      return { location: { containerId: 'reader1', path: '/efs' }, stop: async () => void started.push('stopped') };
    };
    const { info, reader } = await deployToEndpoint(
      ctx({ HARNESS_ENDPOINT: fake.endpoint, HARNESS_EFS_BRIDGE: 'volume', HARNESS_EFS_VOLUME: 'team-efs' }),
      { runCdk: fakeCdk().run, healthWaitSeconds: 0 },
      { placement: {}, volumeReader },
    );
    expect(started).toEqual(['localstack/localstack:2026.08.0 team-efs']);
    expect(info.efsDir).toBeUndefined();
    expect(info.efsVolume).toEqual({ containerId: 'reader1', path: '/efs' });
    await reader!.stop();

    await deployToEndpoint(
      ctx({ HARNESS_ENDPOINT: fake.endpoint, HARNESS_EFS_BRIDGE: 'volume' }),
      { runCdk: fakeCdk({ verb: 'deploy', error: new Error('deploy failed') }).run, healthWaitSeconds: 0 },
      { placement: {}, volumeReader },
    ).catch(() => undefined);
    expect(started.slice(2)).toEqual(['localstack/localstack:2026.08.0 harness-efs', 'stopped']);

    // The target registers the reader with its cleanup the moment it exists; the cleanup then removes it.
    const registered: string[] = [];
    await deployToEndpoint(
      ctx({ HARNESS_ENDPOINT: fake.endpoint, HARNESS_EFS_BRIDGE: 'volume' }),
      { runCdk: fakeCdk({ verb: 'deploy', error: new Error('deploy failed') }).run, healthWaitSeconds: 0 },
      { placement: {}, volumeReader, registerReader: (r) => void registered.push(r.location.containerId) },
    ).catch(() => undefined);
    expect(registered).toEqual(['reader1']);
    expect(started.slice(4)).toEqual(['localstack/localstack:2026.08.0 harness-efs']);
  });

  it('should keep bind in a container, as docker compose sets it up, and say what to do if the LocalStack uses a volume', async () => {
    fake = await startFakeLocalstack({ efsApi: true });
    const lines: string[] = [];
    const c = ctx({ HARNESS_ENDPOINT: fake.endpoint });
    c.progress.info = (line: string) => void lines.push(line);
    await deployToEndpoint(c, { runCdk: fakeCdk().run, healthWaitSeconds: 0 }, { placement: { inContainer: '/.dockerenv exists' } });
    expect(lines).toContain('EFS bridge: bind (HARNESS_EFS_BRIDGE is unset)');
    expect(lines.find((l) => l.startsWith('warning: '))).toContain('set HARNESS_EFS_BRIDGE=volume and HARNESS_EFS_VOLUME=<volume>');
  });
});

describe('npm deploy CLI (harness/cli/deploy.ts)', () => {
  it('should exit 1 with the reason when no emulator answers', async () => {
    const endpoint = await emulator({});
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    const run = promisify(execFile)(process.execPath, [path.join(PROJECT_ROOT, 'harness/cli/deploy.ts'), '--target', 'endpoint', '--json'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, HARNESS_ENDPOINT: endpoint },
    });
    const failure = (await run.then(
      () => undefined,
      (e: unknown) => e,
    )) as { code: number; stdout: string; stderr: string };
    expect(failure.code).toBe(1);
    expect(failure.stdout).toBe('');
    expect(failure.stderr).toContain(`Nothing answers at ${endpoint} (ECONNREFUSED). Start LocalStack with \`docker compose up\``);
  });

  it('should refuse other targets', async () => {
    const failure = (await promisify(execFile)(process.execPath, [path.join(PROJECT_ROOT, 'harness/cli/deploy.ts'), '--target', 'aws'], { cwd: PROJECT_ROOT }).then(
      () => undefined,
      (e: unknown) => e,
    )) as { code: number; stderr: string };
    expect(failure.code).toBe(1);
    expect(failure.stderr).toContain('deploy supports --target endpoint only (got "aws")');
  });
});

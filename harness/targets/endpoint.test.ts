import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { CdkCommand } from '../cdk.ts';
import { fakeApi, fakeModel, OUTPUTS } from '../localstack/test-fixtures.ts';
import { Progress } from '../progress.ts';
import { PROJECT_ROOT } from '../run.ts';
import { deployToEndpoint, endpointSettings } from './endpoint.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'endpoint-target-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A health endpoint on 127.0.0.1 answering like the given emulator. */
async function emulator(routes: Record<string, unknown>): Promise<string> {
  server = createServer((req, res) => {
    const body = routes[req.url ?? ''];
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? { error: 'not found' }));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const LOCALSTACK = { services: { cloudformation: 'available', lambda: 'available', apigatewayv2: 'available', efs: 'available' }, edition: 'pro', version: '2026.8.0' };

function context(env: NodeJS.ProcessEnv) {
  return {
    runId: 'r1',
    runDir: mkdtempSync(path.join(root, 'run-')),
    env,
    progress: new Progress({ quiet: true }),
    synth: async (o: { stackName: string; outdir: string }) => fakeModel({ stackName: o.stackName, assemblyDir: o.outdir }),
  };
}

describe('endpointSettings', () => {
  it("should default to LocalStack's port, the project's .efs folder and the app's own stack name", () => {
    expect(endpointSettings({})).toEqual({ endpoint: 'http://localhost:4566', efsRoot: path.join(PROJECT_ROOT, '.efs'), stackName: 'HelloVpcLambda' });
  });

  it('should take HARNESS_ENDPOINT, HARNESS_EFS_DIR and HARNESS_STACK_NAME', () => {
    expect(endpointSettings({ HARNESS_ENDPOINT: 'http://localstack:4566/', HARNESS_EFS_DIR: '/data/efs', HARNESS_STACK_NAME: 'Mine' })).toEqual({
      endpoint: 'http://localstack:4566',
      efsRoot: '/data/efs',
      stackName: 'Mine',
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
    const endpoint = await emulator({ '/_localstack/health': LOCALSTACK });
    const efsRoot = path.join(root, 'my efs');
    const commands: CdkCommand[] = [];
    const runCdk = async (cmd: CdkCommand) => {
      commands.push(cmd);
      if (cmd.args[1] === 'deploy') writeFileSync(cmd.args[cmd.args.indexOf('--outputs-file') + 1]!, JSON.stringify({ HelloVpcLambda: OUTPUTS }));
      return '';
    };
    const { info, stackName } = await deployToEndpoint(context({ HARNESS_ENDPOINT: endpoint, HARNESS_EFS_DIR: efsRoot }), { api: fakeApi(), runCdk });
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
    const endpoint = await emulator({ '/_localstack/health': LOCALSTACK });
    const runCdk = async (): Promise<string> => {
      throw new Error('cdklocal must not run');
    };
    const api = fakeApi({ describeStack: async () => ({ status: 'CREATE_COMPLETE', hash: 'a'.repeat(64), outputs: OUTPUTS }) });
    const { info } = await deployToEndpoint(context({ HARNESS_ENDPOINT: endpoint, HARNESS_EFS_DIR: path.join(root, 'kept') }), { api, runCdk });
    expect(info.functionName).toBe('HelloVpcLambda-myHelloVPCLambda');
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

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CfnTemplate, type PatternModel, synthesize } from '../../model/assembly.ts';
import { CdkError } from '../../model/cdk.ts';
import { GATEWAY_RESPONSES } from '../local/http-api.ts';
import { Progress } from '../../core/progress.ts';
import { apiUrlFor, decideDeploy, deployPattern, describeRedeploy, environmentInfo, localstackConcurrency, stackNameFor } from './deploy.ts';
import { type FakeLocalstack, type FakeLocalstackOptions, HEALTH_OK, notInLicense, startFakeLocalstack } from '../../test-support/fake-localstack.ts';
import { fakeApi, fakeCdk, fakeModel, OUTPUTS } from '../../test-support/localstack-fixtures.ts';

const TOKEN = 'ls-AbCd1234-EfGh-5678-IjKl-9012MnOp3456';
const ENV = { PATH: '/usr/bin', LOCALSTACK_AUTH_TOKEN: TOKEN };
const ENDPOINT = 'http://localhost:32771';
const root = mkdtempSync(path.join(os.tmpdir(), 'deploy-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('stackNameFor', () => {
  it('should make a run id into a CloudFormation stack name short enough for the function names', () => {
    expect(stackNameFor('20261126-101500-ab12')).toBe('harness-20261126-101500-ab12');
    expect(stackNameFor('my run/Ω 7')).toBe('harness-my-run-7');
    const long = stackNameFor('x'.repeat(100));
    expect(long.length).toBeLessThanOrEqual(40);
    expect(`${long}-myHelloVPCLambda`.length).toBeLessThanOrEqual(64);
    for (const name of [stackNameFor('--9'), stackNameFor('a', '9x'), long]) expect(name).toMatch(/^[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]$/);
  });
});

describe('apiUrlFor', () => {
  it("should build the path-style $default stage URL from the API id and the container's mapped port", () => {
    expect(apiUrlFor('http://localhost:32771/', 'abc123')).toBe('http://localhost:32771/_aws/execute-api/abc123/$default');
    expect(apiUrlFor('http://127.0.0.1:4566', 'abc123')).toBe('http://127.0.0.1:4566/_aws/execute-api/abc123/$default');
  });
});

describe('decideDeploy', () => {
  const hash = 'a'.repeat(64);

  it('should deploy when there is no stack', () => {
    expect(decideDeploy(undefined, hash).action).toBe('deploy');
  });

  it('should keep a complete stack deployed from the same template', () => {
    for (const status of ['CREATE_COMPLETE', 'UPDATE_COMPLETE']) {
      expect(decideDeploy({ status, hash, outputs: {} }, hash)).toEqual({ action: 'skip', reason: `deployed from the same template (hash aaaaaaaaaaaa), ${status}` });
    }
  });

  it('should re-create a stack from another template, without a hash, or in a failed state', () => {
    expect(decideDeploy({ status: 'CREATE_COMPLETE', hash: 'b'.repeat(64), outputs: {} }, hash)).toEqual({
      action: 'recreate',
      reason: 'deployed from another template (hash bbbbbbbbbbbb, now aaaaaaaaaaaa)',
    });
    expect(decideDeploy({ status: 'CREATE_COMPLETE', outputs: {} }, hash).action).toBe('recreate');
    expect(decideDeploy({ status: 'ROLLBACK_COMPLETE', hash, outputs: {} }, hash)).toEqual({ action: 'recreate', reason: 'same template but the stack is ROLLBACK_COMPLETE' });
  });
});

// LocalStack's answers come from harness/test-support/fake-localstack.ts, each with its source (localstack/localstack@8b9a79f0,
// docs/localstack-behaviour.md). The answers below that the tests supply themselves name theirs.

// The handler's own answer (handler/index.ts `health`, handler/mount.ts), not a service's.
const HEALTH_503 = {
  status: 503,
  body: JSON.stringify({ status: 'unavailable', error: { code: 'mount_unavailable', message: 'Mount path /mnt/msg does not exist (is the file system mounted?)' } }),
};

// How the emulator API reports LocalStack's answer for a service outside the plan (`HTTP <status> <body>`,
// emulator-api.ts), the body as harness/test-support/fake-localstack.ts `notInLicense` cites it.
const EFS_NOT_IN_PLAN = `HTTP 501 ${notInLicense('efs')}`;

let fake: FakeLocalstack;
let model: PatternModel;
beforeAll(async () => {
  // The real synthesized template: the bridge-only variant is made from it.
  model = await synthesize({ stackName: 'HelloVpcLambda', outdir: path.join(root, 'cdk.out') });
}, 120_000);
afterEach(async () => fake?.close());

async function localstack(options: FakeLocalstackOptions = {}) {
  fake = await startFakeLocalstack(options);
  return fake.endpoint;
}

function options(runDir: string, endpoint: string, overrides: Partial<Parameters<typeof deployPattern>[0]> = {}) {
  return {
    endpoint,
    stackName: 'HelloVpcLambda',
    model,
    runDir,
    env: ENV,
    progress: new Progress({ quiet: true }),
    bridge: 'bind',
    healthWaitSeconds: 0,
    ...overrides,
  };
}

const runDir = () => mkdtempSync(path.join(root, 'run-'));

describe('deployPattern', () => {
  it('should bootstrap then deploy with cdklocal against the endpoint, tag the hash, check the resources, wait for Active and prove /health', async () => {
    const dir = runDir();
    const endpoint = await localstack({ efsApi: true });
    const cdk = fakeCdk(undefined, `running with ${TOKEN}`);
    const api = fakeApi();
    const deployment = await deployPattern(options(dir, endpoint, { api, runCdk: cdk.run }));
    expect(deployment).toEqual({
      stackName: 'HelloVpcLambda',
      apiId: 'abc123',
      apiUrl: `${endpoint}/_aws/execute-api/abc123/$default`,
      functionName: 'HelloVpcLambda-myHelloVPCLambda',
      deployed: true,
      efs: { mode: 'api', reason: 'the EFS API answers (HARNESS_LOCALSTACK_EFS=auto)' },
    });
    expect(cdk.verbs()).toEqual(['bootstrap', 'deploy']);
    expect(cdk.commands[0]!.args).toContain('aws://000000000000/us-east-1');
    expect(cdk.commands[1]!.args).toEqual(
      expect.arrayContaining(['--app', model.assemblyDir, '--tags', `harness:assembly-hash=${model.hash}`, '--outputs-file', path.join(dir, 'outputs.json')]),
    );
    for (const cmd of cdk.commands) {
      expect(cmd.args[0]).toMatch(/cdklocal$/);
      expect(cmd.env).toMatchObject({ AWS_ENDPOINT_URL: endpoint, AWS_ENDPOINT_URL_S3: endpoint, AWS_REGION: 'us-east-1' });
      expect(cmd.env.LOCALSTACK_AUTH_TOKEN).toBeUndefined();
    }
    expect(api.waited).toEqual(['HelloVpcLambda-myHelloVPCLambda']);
    expect(fake.requests).toContain('GET /_aws/execute-api/abc123/$default/health');
  });

  it("should pass against LocalStack's own answers, whose GetFunction reports no mount (a required mount fails this test)", async () => {
    // The real emulator API against the fake: GetFunction without FileSystemConfigs, as LocalStack answers.
    const endpoint = await localstack({ efsApi: true });
    const deployment = await deployPattern(options(runDir(), endpoint, { runCdk: fakeCdk().run }));
    expect(deployment.efs.mode).toBe('api');
    expect(fake.requests).toEqual(
      expect.arrayContaining([
        'GET /2015-02-01/file-systems',
        'GET /v2/apis/abc123/routes',
        'GET /2015-03-31/functions/HelloVpcLambda-myHelloVPCLambda',
        'GET /2015-02-01/file-systems?FileSystemId=fs-12345678',
        'GET /_aws/execute-api/abc123/$default/health',
      ]),
    );
  });

  it('should deploy the bridge-only variant when the EFS API is not in the plan, and say once what it left out', async () => {
    const dir = runDir();
    const endpoint = await localstack({ efsApi: false });
    const lines: string[] = [];
    const progress = new Progress({ quiet: true });
    progress.info = (line: string) => void lines.push(line);
    const cdk = fakeCdk();
    const deployment = await deployPattern(options(dir, endpoint, { runCdk: cdk.run, progress }));
    expect(deployment.efs).toEqual({
      mode: 'bridge-only',
      reason: expect.stringMatching(/^the EFS API is not available \(DescribeFileSystems answered HTTP 501 .*not included within your LocalStack license/),
    });
    const variantDir = path.join(dir, 'cdk.out.bridge-only');
    expect(cdk.commands[1]!.args).toEqual(expect.arrayContaining(['--app', variantDir]));
    const deployed = JSON.parse(readFileSync(path.join(variantDir, 'HelloVpcLambda.template.json'), 'utf8')) as CfnTemplate;
    expect(Object.values(deployed.Resources).filter((r) => r.Type.startsWith('AWS::EFS::'))).toEqual([]);
    const said = lines.filter((l) => l.startsWith('EFS: '));
    expect(said).toHaveLength(1);
    expect(said[0]).toContain("LocalStack's Base plan is enough. Left out:\n  - FileSystem8A8E25C0 (AWS::EFS::FileSystem)");
    expect(said[0]).toContain('FileSystemConfigs of HelloFunctionD909AE8C (mount at /mnt/msg)');
    // The file system is not looked for: the variant has no FileSystemId output.
    expect(fake.requests.filter((r) => r.includes('FileSystemId='))).toEqual([]);
  });

  it('should refuse HARNESS_LOCALSTACK_EFS=api without the EFS API, before running cdklocal', async () => {
    const endpoint = await localstack({ efsApi: false });
    const cdk = fakeCdk();
    await expect(deployPattern(options(runDir(), endpoint, { runCdk: cdk.run, env: { ...ENV, HARNESS_LOCALSTACK_EFS: 'api' } }))).rejects.toThrow(
      /HARNESS_LOCALSTACK_EFS=api, but the EFS API is not available \(DescribeFileSystems answered HTTP 501 .*Ultimate plan.*set it to bridge-only/,
    );
    expect(cdk.commands).toEqual([]);
  });

  it('should not ask the EFS API with HARNESS_LOCALSTACK_EFS=bridge-only', async () => {
    const endpoint = await localstack({ efsApi: true });
    const deployment = await deployPattern(options(runDir(), endpoint, { runCdk: fakeCdk().run, env: { ...ENV, HARNESS_LOCALSTACK_EFS: 'bridge-only' } }));
    expect(deployment.efs).toEqual({ mode: 'bridge-only', reason: 'HARNESS_LOCALSTACK_EFS=bridge-only' });
    expect(fake.requests.filter((r) => r.includes('file-systems'))).toEqual([]);
  });

  it('should fail the start with a diagnosis when /health does not answer 200: the answer, the likely causes and the log lines', async () => {
    // LocalStack's function logs carry the runtime's INIT_START line (its own test helper skips such lines: source:
    // localstack/localstack@8b9a79f0, localstack-core/localstack/utils/testutil.py `get_lambda_log_events`).
    const endpoint = await localstack({ efsApi: false, health: [HEALTH_503], functionLog: ['INIT_START Runtime Version: nodejs:24', `token ${TOKEN}`] });
    const error = await deployPattern(options(runDir(), endpoint, { runCdk: fakeCdk().run })).catch((e: Error) => e);
    const message = (error as Error).message;
    expect(message).toContain(`GET ${endpoint}/_aws/execute-api/abc123/$default/health answered HTTP 503 ${HEALTH_503.body}; it must answer 200`);
    expect(message).toContain("LocalStack did not put the bridge at /mnt/msg in the function's container");
    expect(message).toContain('Unable to parse volume mount Docker flags');
    expect(message).toContain('Log of function HelloVpcLambda-myHelloVPCLambda (last 50 lines):\n  INIT_START Runtime Version: nodejs:24\n  token ***');
    expect(message).not.toContain(TOKEN);
  });

  it('should wait out answers of a function that is still starting, then pass on 200', async () => {
    // What the HTTP API answers while the function fails (GATEWAY_RESPONSES.functionError, source:
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-lambda.html).
    const { statusCode: status, body } = GATEWAY_RESPONSES.functionError;
    const endpoint = await localstack({ efsApi: true, health: [{ status, body }, HEALTH_OK] });
    await deployPattern(options(runDir(), endpoint, { runCdk: fakeCdk().run, healthWaitSeconds: 10 }));
    expect(fake.requests.filter((r) => r.endsWith('/health'))).toHaveLength(2);
  });

  it('should keep a stack deployed from the same template without running cdklocal', async () => {
    const endpoint = await localstack({ efsApi: true });
    const cdk = fakeCdk();
    const api = fakeApi({ describeStack: async () => ({ status: 'UPDATE_COMPLETE', hash: model.hash, outputs: OUTPUTS }) });
    const deployment = await deployPattern(options(runDir(), endpoint, { api, runCdk: cdk.run, keepCurrent: true }));
    expect(cdk.commands).toEqual([]);
    expect(deployment).toMatchObject({ deployed: false, apiId: 'abc123' });
    expect(api.waited).toHaveLength(1);
  });

  it('should destroy and deploy again a stack from another template, e.g. the full one when now the variant is deployed', async () => {
    const endpoint = await localstack({ efsApi: false });
    const cdk = fakeCdk();
    const api = fakeApi({ efsApi: async () => ({ available: false, detail: EFS_NOT_IN_PLAN }), describeStack: async () => ({ status: 'CREATE_COMPLETE', hash: model.hash, outputs: OUTPUTS }) });
    await deployPattern(options(runDir(), endpoint, { api, runCdk: cdk.run, keepCurrent: true }));
    expect(cdk.verbs()).toEqual(['destroy', 'bootstrap', 'deploy']);
  });

  it("should update a complete stack from another template in place in watch mode, keeping the API's URL", async () => {
    const endpoint = await localstack({ efsApi: true });
    const cdk = fakeCdk();
    const api = fakeApi({ describeStack: async () => ({ status: 'UPDATE_COMPLETE', hash: 'b'.repeat(64), outputs: OUTPUTS }) });
    const deployment = await deployPattern(options(runDir(), endpoint, { api, runCdk: cdk.run, keepCurrent: true, updateInPlace: true }));
    expect(cdk.verbs()).toEqual(['bootstrap', 'deploy']);
    expect(describeRedeploy(deployment, `${endpoint}/_aws/execute-api/abc123/$default`)).toBe('stack HelloVpcLambda updated');
    expect(describeRedeploy(deployment, `${endpoint}/_aws/execute-api/old999/$default`)).toBe(
      `stack HelloVpcLambda updated; the API URL changed to ${endpoint}/_aws/execute-api/abc123/$default`,
    );
  });

  it('should still re-create a failed stack in watch mode', async () => {
    const endpoint = await localstack({ efsApi: true });
    const cdk = fakeCdk();
    const api = fakeApi({ describeStack: async () => ({ status: 'ROLLBACK_COMPLETE', hash: 'b'.repeat(64), outputs: OUTPUTS }) });
    await deployPattern(options(runDir(), endpoint, { api, runCdk: cdk.run, keepCurrent: true, updateInPlace: true }));
    expect(cdk.verbs()).toEqual(['destroy', 'bootstrap', 'deploy']);
  });

  it('should attach failed stack events, function log lines and container log lines to a failed deploy, never the token', async () => {
    const dir = runDir();
    const endpoint = await localstack({ efsApi: true });
    // The CDK CLI's line for a failed deploy (aws-cdk 2.1148.1 in node_modules, lib/cli/cdk-toolkit.js `deploy`).
    const cdk = fakeCdk({ verb: 'deploy', error: new CdkError('`cdklocal deploy` exited with code 1', 1, ['❌  HelloVpcLambda failed to deploy']) });
    const api = fakeApi({
      // The status reason LocalStack gives a resource it has no provider for, with CFN_IGNORE_UNSUPPORTED_RESOURCE_TYPES off.
      // Source: localstack/localstack@8b9a79f0, localstack-core/localstack/services/cloudformation/engine/v2/change_set_model_executor.py
      // ("Resource type {resource_type} not supported", made the ResourceStatusReason of the *_FAILED resource).
      failedEvents: async () => [
        'HttpApiF5A9A8A7 (AWS::ApiGatewayV2::Api) CREATE_FAILED: Resource type AWS::ApiGatewayV2::Api not supported',
        'HelloVpcLambda (AWS::CloudFormation::Stack) ROLLBACK_FAILED: rollback failed',
      ],
      functionLogs: async () => [`INIT_START token=${TOKEN}`],
    });
    // "Ready." is what LocalStack prints once it serves (source: localstack/localstack@8b9a79f0, localstack-core/localstack/
    // runtime/runtime.py, constants.py READY_MARKER_OUTPUT).
    const error = await deployPattern(options(dir, endpoint, { api, runCdk: cdk.run, containerLog: () => ['Ready.', `LOCALSTACK_AUTH_TOKEN=${TOKEN}`] })).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toContain('`cdklocal deploy` exited with code 1');
    expect(error?.message).toContain('Failed events of stack HelloVpcLambda:\n  HttpApiF5A9A8A7 (AWS::ApiGatewayV2::Api) CREATE_FAILED: Resource type');
    expect(error?.message).toContain('Log of function HelloVpcLambda-myHelloVPCLambda (last 50 lines):\n  INIT_START token=***');
    expect(error?.message).toContain('LocalStack container log (last 50 lines):\n  Ready.\n  LOCALSTACK_AUTH_TOKEN=***');
    expect(error?.message).toContain(`CDK output: ${path.join(dir, 'deploy.log')}`);
    expect(error?.message).not.toContain(TOKEN);
  });

  it('should still fail with the cause when the diagnostics themselves are unavailable', async () => {
    const endpoint = await localstack({ efsApi: true });
    const cdk = fakeCdk({ verb: 'bootstrap', error: new CdkError('`cdklocal bootstrap` exited with code 1', 1, []) });
    const api = fakeApi({
      // LocalStack's DescribeStacks error for a missing stack (docs/localstack-behaviour.md #9, source:
      // localstack/localstack@8b9a79f0, localstack-core/localstack/services/cloudformation/v2/provider.py).
      failedEvents: async () => {
        throw new Error('Stack with id HelloVpcLambda does not exist');
      },
    });
    await expect(deployPattern(options(runDir(), endpoint, { api, runCdk: cdk.run }))).rejects.toThrow(
      /`cdklocal bootstrap` exited with code 1[\s\S]*Failed events of stack HelloVpcLambda: unavailable \(Stack with id HelloVpcLambda does not exist\)/,
    );
  });

  it('should name the Base plan when CloudFormation reported success but the HTTP API is not there', async () => {
    const endpoint = await localstack({ efsApi: true });
    const api = fakeApi({ httpApi: async () => ({ found: false, detail: `HTTP 501 ${notInLicense('apigatewayv2')}`, routeKeys: [] }) });
    await expect(deployPattern(options(runDir(), endpoint, { api, runCdk: fakeCdk().run }))).rejects.toThrow(
      /Stack HelloVpcLambda reports success, but HTTP API abc123 does not exist \(HTTP 501 .*apigatewayv2 service is not included.*\): HTTP APIs \(apigatewayv2\) need the Base plan\. .*CFN_IGNORE_UNSUPPORTED_RESOURCE_TYPES/,
    );
  });

  it('should name the Ultimate plan when the full template deployed but the file system is not there, and list missing routes', async () => {
    const endpoint = await localstack({ efsApi: true });
    const api = fakeApi({
      fileSystem: async () => ({ found: false, detail: EFS_NOT_IN_PLAN }),
      httpApi: async () => ({ found: true, routeKeys: ['ANY /myHelloVPCLambda'] }),
    });
    const error = await deployPattern(options(runDir(), endpoint, { api, runCdk: fakeCdk().run })).catch((e: Error) => e);
    expect((error as Error).message).toContain(
      `EFS file system fs-12345678 does not exist (${EFS_NOT_IN_PLAN}): the EFS API needs the Ultimate plan, or set HARNESS_LOCALSTACK_EFS=bridge-only`,
    );
    expect((error as Error).message).toContain('lacks the routes GET /health, GET /messages, GET /messages/{id}, POST /messages');
    expect(api.waited).toEqual([]);
  });

  it('should stream the CDK output through progress, redacted, and read the outputs file the CLI wrote', async () => {
    const dir = runDir();
    const endpoint = await localstack({ efsApi: true });
    const lines: string[] = [];
    const progress = new Progress({ quiet: true });
    progress.info = (line: string) => void lines.push(line);
    await deployPattern(options(dir, endpoint, { api: fakeApi(), runCdk: fakeCdk(undefined, `running with ${TOKEN}`).run, progress }));
    expect(lines).toContain('  deploy running with ***');
    expect(lines.join('\n')).not.toContain(TOKEN);
    expect(readFileSync(path.join(dir, 'outputs.json'), 'utf8')).toContain('abc123');
  });
});

describe('environmentInfo', () => {
  it('should give scenarios the built API URL, the host EFS folder, the endpoint and no faults', () => {
    const model = fakeModel();
    const deployment = {
      stackName: 'HelloVpcLambda',
      apiId: 'abc123',
      apiUrl: apiUrlFor(ENDPOINT, 'abc123'),
      functionName: OUTPUTS.FunctionName,
      deployed: true,
      efs: { mode: 'api', reason: 'r' } as const,
    };
    const info = { target: 'endpoint', endpoint: `${ENDPOINT}/`, model, deployment, files: { efsDir: '/p/.efs/lambda' }, runDir: '/r', runId: 'id' } as const;
    expect(environmentInfo({ ...info, concurrencyLimit: localstackConcurrency({}) })).toEqual({
      target: 'endpoint',
      apiUrl: `${ENDPOINT}/_aws/execute-api/abc123/$default`,
      mountPath: '/mnt/msg',
      efsDir: '/p/.efs/lambda',
      functionName: 'HelloVpcLambda-myHelloVPCLambda',
      functionTimeoutSeconds: 10,
      region: 'us-east-1',
      awsEndpoint: ENDPOINT,
      faults: [],
      concurrencyLimit: 10,
      runDir: '/r',
      runId: 'id',
    });
    expect(localstackConcurrency({ HARNESS_LOCALSTACK_CONCURRENCY: '25' })).toBe(25);
    expect(() => localstackConcurrency({ HARNESS_LOCALSTACK_CONCURRENCY: 'many' })).toThrow(/not a whole number/);
  });
});

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CdkError, type CdkCommand } from '../cdk.ts';
import { Progress } from '../progress.ts';
import { apiUrlFor, decideDeploy, deployPattern, describeRedeploy, environmentInfo, stackNameFor } from './deploy.ts';
import { fakeApi, fakeModel, OUTPUTS } from './test-fixtures.ts';

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

/** A cdklocal that records its commands and, on deploy, writes the outputs file like the real CLI. */
function fakeCdk(fail?: { verb: string; error: Error }) {
  const commands: CdkCommand[] = [];
  const run = async (cmd: CdkCommand, options?: { onLine?: (line: string) => void }): Promise<string> => {
    commands.push(cmd);
    const verb = cmd.args[1]!;
    options?.onLine?.(`${verb} running with ${TOKEN}`);
    if (fail?.verb === verb) throw fail.error;
    if (verb === 'deploy') {
      const file = cmd.args[cmd.args.indexOf('--outputs-file') + 1]!;
      writeFileSync(file, JSON.stringify({ [cmd.args[2]!]: OUTPUTS }));
    }
    return '';
  };
  return { run, commands, verbs: () => commands.map((c) => c.args[1]) };
}

function options(runDir: string, overrides: Partial<Parameters<typeof deployPattern>[0]> = {}) {
  return {
    endpoint: ENDPOINT,
    stackName: 'HelloVpcLambda',
    model: fakeModel(),
    runDir,
    env: ENV,
    progress: new Progress({ quiet: true }),
    ...overrides,
  };
}

describe('deployPattern', () => {
  it('should bootstrap then deploy with cdklocal against the endpoint, tag the hash, check the resources and wait for Active', async () => {
    const runDir = mkdtempSync(path.join(root, 'run-'));
    const cdk = fakeCdk();
    const api = fakeApi();
    const deployment = await deployPattern(options(runDir, { api, runCdk: cdk.run }));
    expect(deployment).toEqual({
      stackName: 'HelloVpcLambda',
      apiId: 'abc123',
      apiUrl: `${ENDPOINT}/_aws/execute-api/abc123/$default`,
      functionName: 'HelloVpcLambda-myHelloVPCLambda',
      deployed: true,
    });
    expect(cdk.verbs()).toEqual(['bootstrap', 'deploy']);
    expect(cdk.commands[0]!.args).toContain('aws://000000000000/us-east-1');
    expect(cdk.commands[1]!.args).toEqual(expect.arrayContaining(['--tags', `harness:assembly-hash=${'a'.repeat(64)}`, '--outputs-file', path.join(runDir, 'outputs.json')]));
    for (const cmd of cdk.commands) {
      expect(cmd.args[0]).toMatch(/cdklocal$/);
      // S3 through the host's address, so that bucket URLs are path style (see cdklocal-env.ts).
      expect(cmd.env).toMatchObject({ AWS_ENDPOINT_URL: ENDPOINT, AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:32771', AWS_REGION: 'us-east-1' });
      expect(cmd.env.LOCALSTACK_AUTH_TOKEN).toBeUndefined();
    }
    expect(api.waited).toEqual(['HelloVpcLambda-myHelloVPCLambda']);
  });

  it('should keep a stack deployed from the same template without running cdklocal', async () => {
    const cdk = fakeCdk();
    const api = fakeApi({ describeStack: async () => ({ status: 'UPDATE_COMPLETE', hash: 'a'.repeat(64), outputs: OUTPUTS }) });
    const deployment = await deployPattern(options(mkdtempSync(path.join(root, 'run-')), { api, runCdk: cdk.run, keepCurrent: true }));
    expect(cdk.commands).toEqual([]);
    expect(deployment).toMatchObject({ deployed: false, apiId: 'abc123' });
    expect(api.waited).toHaveLength(1);
  });

  it('should destroy and deploy again a stack from another template', async () => {
    const cdk = fakeCdk();
    const api = fakeApi({ describeStack: async () => ({ status: 'CREATE_COMPLETE', hash: 'b'.repeat(64), outputs: OUTPUTS }) });
    await deployPattern(options(mkdtempSync(path.join(root, 'run-')), { api, runCdk: cdk.run, keepCurrent: true }));
    expect(cdk.verbs()).toEqual(['destroy', 'bootstrap', 'deploy']);
  });

  it("should update a complete stack from another template in place in watch mode, keeping the API's URL", async () => {
    const cdk = fakeCdk();
    const api = fakeApi({ describeStack: async () => ({ status: 'UPDATE_COMPLETE', hash: 'b'.repeat(64), outputs: OUTPUTS }) });
    const deployment = await deployPattern(options(mkdtempSync(path.join(root, 'run-')), { api, runCdk: cdk.run, keepCurrent: true, updateInPlace: true }));
    expect(cdk.verbs()).toEqual(['bootstrap', 'deploy']);
    expect(describeRedeploy(deployment, `${ENDPOINT}/_aws/execute-api/abc123/$default`)).toBe('stack HelloVpcLambda updated');
    expect(describeRedeploy(deployment, `${ENDPOINT}/_aws/execute-api/old999/$default`)).toBe(
      `stack HelloVpcLambda updated; the API URL changed to ${ENDPOINT}/_aws/execute-api/abc123/$default`,
    );
  });

  it('should still re-create a failed stack in watch mode', async () => {
    const cdk = fakeCdk();
    const api = fakeApi({ describeStack: async () => ({ status: 'ROLLBACK_COMPLETE', hash: 'b'.repeat(64), outputs: OUTPUTS }) });
    await deployPattern(options(mkdtempSync(path.join(root, 'run-')), { api, runCdk: cdk.run, keepCurrent: true, updateInPlace: true }));
    expect(cdk.verbs()).toEqual(['destroy', 'bootstrap', 'deploy']);
  });

  it('should attach failed stack events, function log lines and container log lines to a failed deploy, never the token', async () => {
    const runDir = mkdtempSync(path.join(root, 'run-'));
    const cdk = fakeCdk({ verb: 'deploy', error: new CdkError('`cdklocal deploy` exited with code 1', 1, ['❌ HelloVpcLambda failed']) });
    const api = fakeApi({
      failedEvents: async () => [
        'AccessPointE936DE82 (AWS::EFS::AccessPoint) CREATE_FAILED: Resource type AWS::EFS::AccessPoint is not supported',
        'HelloVpcLambda (AWS::CloudFormation::Stack) ROLLBACK_FAILED: rollback failed',
      ],
      functionLogs: async () => [`INIT_START token=${TOKEN}`],
    });
    const error = await deployPattern(options(runDir, { api, runCdk: cdk.run, containerLog: () => ['Ready.', `LOCALSTACK_AUTH_TOKEN=${TOKEN}`] })).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toContain('`cdklocal deploy` exited with code 1');
    expect(error?.message).toContain('Failed events of stack HelloVpcLambda:\n  AccessPointE936DE82 (AWS::EFS::AccessPoint) CREATE_FAILED: Resource type');
    expect(error?.message).toContain('Log of function HelloVpcLambda-myHelloVPCLambda (last 50 lines):\n  INIT_START token=***');
    expect(error?.message).toContain('LocalStack container log (last 50 lines):\n  Ready.\n  LOCALSTACK_AUTH_TOKEN=***');
    expect(error?.message).toContain(`CDK output: ${path.join(runDir, 'deploy.log')}`);
    expect(error?.message).not.toContain(TOKEN);
  });

  it('should still fail with the cause when the diagnostics themselves are unavailable', async () => {
    const cdk = fakeCdk({ verb: 'bootstrap', error: new CdkError('`cdklocal bootstrap` exited with code 1', 1, []) });
    const api = fakeApi({
      failedEvents: async () => {
        throw new Error('Stack with id HelloVpcLambda does not exist');
      },
    });
    await expect(deployPattern(options(mkdtempSync(path.join(root, 'run-')), { api, runCdk: cdk.run }))).rejects.toThrow(
      /`cdklocal bootstrap` exited with code 1[\s\S]*Failed events of stack HelloVpcLambda: unavailable \(Stack with id HelloVpcLambda does not exist\)/,
    );
  });

  it('should name the Base plan when CloudFormation reported success but the HTTP API is not there', async () => {
    const api = fakeApi({ httpApi: async () => ({ found: false, detail: 'HTTP 501 not implemented', routeKeys: [] }) });
    await expect(deployPattern(options(mkdtempSync(path.join(root, 'run-')), { api, runCdk: fakeCdk().run }))).rejects.toThrow(
      /Stack HelloVpcLambda reports success, but HTTP API abc123 does not exist \(HTTP 501 not implemented\): HTTP APIs \(apigatewayv2\) need the Base plan\. .*CFN_IGNORE_UNSUPPORTED_RESOURCE_TYPES/,
    );
  });

  it('should name the Ultimate plan when the file system is not there, and list missing routes and mounts', async () => {
    const api = fakeApi({
      fileSystem: async () => ({ found: false, detail: 'HTTP 501' }),
      httpApi: async () => ({ found: true, routeKeys: ['ANY /myHelloVPCLambda'] }),
      lambdaFunction: async () => ({ found: true, mountPaths: [] }),
    });
    const error = await deployPattern(options(mkdtempSync(path.join(root, 'run-')), { api, runCdk: fakeCdk().run })).catch((e: Error) => e);
    expect((error as Error).message).toContain('EFS file system fs-12345678 does not exist (HTTP 501): the EFS API needs the Ultimate plan');
    expect((error as Error).message).toContain('lacks the routes GET /health, GET /messages, GET /messages/{id}, POST /messages');
    expect((error as Error).message).toContain('has no file system mounted at /mnt/msg');
    expect(api.waited).toEqual([]);
  });

  it('should stream the CDK output through progress, redacted, and read the outputs file the CLI wrote', async () => {
    const runDir = mkdtempSync(path.join(root, 'run-'));
    const lines: string[] = [];
    const progress = new Progress({ quiet: true });
    progress.info = (line: string) => void lines.push(line);
    await deployPattern(options(runDir, { api: fakeApi(), runCdk: fakeCdk().run, progress }));
    expect(lines).toContain('  deploy running with ***');
    expect(lines.join('\n')).not.toContain(TOKEN);
    expect(readFileSync(path.join(runDir, 'outputs.json'), 'utf8')).toContain('abc123');
  });
});

describe('environmentInfo', () => {
  it('should give scenarios the built API URL, the host EFS folder, the endpoint and no faults', () => {
    const model = fakeModel();
    const deployment = { stackName: 'HelloVpcLambda', apiId: 'abc123', apiUrl: apiUrlFor(ENDPOINT, 'abc123'), functionName: OUTPUTS.FunctionName, deployed: true };
    expect(environmentInfo({ target: 'endpoint', endpoint: `${ENDPOINT}/`, model, deployment, efsDir: '/p/.efs/lambda', runDir: '/r', runId: 'id' })).toEqual({
      target: 'endpoint',
      apiUrl: `${ENDPOINT}/_aws/execute-api/abc123/$default`,
      mountPath: '/mnt/msg',
      efsDir: '/p/.efs/lambda',
      functionName: 'HelloVpcLambda-myHelloVPCLambda',
      functionTimeoutSeconds: 10,
      region: 'us-east-1',
      awsEndpoint: ENDPOINT,
      faults: [],
      runDir: '/r',
      runId: 'id',
    });
  });
});

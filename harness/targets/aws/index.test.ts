import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PatternModel, SynthOptions } from '../../model/assembly.ts';
import type { AwsApi, StackSummary, WaitOutcome } from './api.ts';
import type { AccountConcurrency } from './concurrency.ts';
import { CdkError, type CdkCommand, type RunCdkOptions } from '../../model/cdk.ts';
import { Cleanup } from '../../core/cleanup.ts';
import { connect } from '../../launch/connect.ts';
import type { EnvironmentInfo } from '../../core/environment.ts';
import { Progress } from '../../core/progress.ts';
import { startTarget } from '../../launch/start.ts';
import type { TargetContext } from '../../model/target.ts';
import { type AwsTargetOverrides, createAwsTarget, greetingPath, keepStack, normalizeApiUrl, reservedConcurrencyOf, throttleOf } from './index.ts';

// The aws target against fakes of AWS and of the CDK CLI: the order of deploy and teardown, the waits and
// the messages, everything but the network.

const tmp = mkdtempSync(path.join(os.tmpdir(), 'harness-aws-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const RUN_ID = '20261125-033200-ab12';
const STACK = `harness-${RUN_ID}`;
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const ENV = { PATH: process.env.PATH, HARNESS_AWS_ACCOUNT: '123456789012', AWS_REGION: 'eu-west-1', AWS_SECRET_ACCESS_KEY: SECRET };

/** The part of the template model the target reads. */
function fakeModel(assemblyDir: string): PatternModel {
  const mount = { mountPath: '/mnt/msg', accessPointLogicalId: 'Ap', fileSystemLogicalId: 'Fs', rootPath: '/lambda', posixUid: 1001, posixGid: 1001 };
  const fn = (name: string) => ({ logicalId: name, functionName: `${STACK}-${name}`, handler: 'index.handler', runtime: 'nodejs24.x', timeoutSeconds: 10, memoryMb: 256, ephemeralStorageMb: 512, environment: {}, assetDir: assemblyDir, mount });
  return {
    stackName: STACK,
    assemblyDir,
    templatePath: path.join(assemblyDir, `${STACK}.template.json`),
    template: { Resources: {} },
    routes: [
      { routeKey: 'ANY /myHelloVPCLambda', method: 'ANY', path: '/myHelloVPCLambda', functionLogicalId: 'Hello', payloadFormatVersion: '2.0' },
      { routeKey: 'GET /health', method: 'GET', path: '/health', functionLogicalId: 'Hello', payloadFormatVersion: '2.0' },
    ],
    functions: [fn('myHelloVPCLambda'), fn('efs-inspector')],
    apiFunction: fn('myHelloVPCLambda'),
    inspectorFunction: fn('efs-inspector'),
    hash: 'x',
  };
}

interface Harness {
  readonly ctx: TargetContext;
  /** Everything that happened, in order: CLI runs, AWS calls, aborts. */
  readonly calls: string[];
  /** The options of every synthesis. */
  readonly synths: SynthOptions[];
  readonly output: () => string;
  readonly start: () => Promise<{ info: EnvironmentInfo }>;
}

interface FakeOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** What `cdk deploy` does; by default it writes the outputs file and succeeds. */
  readonly deploy?: (cmd: CdkCommand, options: RunCdkOptions, writeOutputs: () => void) => Promise<string>;
  readonly destroy?: () => Promise<string>;
  readonly stackAfterDestroy?: StackSummary;
  readonly deleted?: () => Promise<WaitOutcome>;
  readonly active?: WaitOutcome;
  readonly answers?: number[];
  readonly logs?: string[];
  /** What Lambda's GetAccountSettings answers; by default a mature account's quota. */
  readonly accountConcurrency?: () => Promise<AccountConcurrency>;
  readonly overrides?: AwsTargetOverrides;
}

function fakeHarness(options: FakeOptions = {}): Harness {
  const runDir = mkdtempSync(path.join(tmp, 'run-'));
  const calls: string[] = [];
  const synths: SynthOptions[] = [];
  let out = '';
  const progress = new Progress({ stream: Object.assign({ write: (s: string) => ((out += s), true) }) as never, live: false });
  const cleanup = new Cleanup();
  const ctx: TargetContext = {
    runId: RUN_ID,
    runDir,
    env: options.env ?? ENV,
    progress,
    cleanup,
    synth: async (o) => {
      calls.push(`synth ${o.stackName} inspector=${o.inspector}`);
      synths.push(o);
      return fakeModel(o.outdir);
    },
  };
  const aws: AwsApi = {
    callerIdentity: async () => ({ account: '123456789012', arn: 'arn:aws:sts::123456789012:assumed-role/ci/run' }),
    stack: async () => options.stackAfterDestroy,
    listStacks: async () => [],
    failedStackEvents: async () => {
      calls.push('events');
      return [`2026-11-25T03:40:00.000Z HelloFunction (AWS::Lambda::Function) CREATE_FAILED: key ${SECRET} refused`];
    },
    deleteStack: async () => {},
    waitStackDeleted: async () => {
      calls.push('wait deleted');
      return options.deleted ? options.deleted() : { ok: true };
    },
    waitFunctionActive: async (name) => {
      calls.push(`wait active ${name}`);
      return options.active ?? { ok: true };
    },
    accountConcurrency: async () => {
      calls.push('account concurrency');
      return options.accountConcurrency ? options.accountConcurrency() : { limit: 1000, unreserved: 1000 };
    },
  };
  const answers = [...(options.answers ?? [200])];
  const target = createAwsTarget({
    aws: () => aws,
    runCdk: async (cmd, runOptions = {}) => {
      const verb = cmd.args[1]!;
      calls.push(`cdk ${verb} (${cleanup.size} removal(s) registered)`);
      if (verb === 'deploy') {
        const outputsFile = cmd.args[cmd.args.indexOf('--outputs-file') + 1]!;
        const writeOutputs = () =>
          writeFileSync(
            outputsFile,
            JSON.stringify({
              [STACK]: {
                ApiUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/',
                FunctionName: `${STACK}-myHelloVPCLambda`,
                InspectorFunctionName: `${STACK}-efs-inspector`,
              },
            }),
          );
        if (options.deploy) return options.deploy(cmd, runOptions, writeOutputs);
        writeOutputs();
        return '';
      }
      return options.destroy ? options.destroy() : '';
    },
    httpGet: async (url) => {
      calls.push(`GET ${url}`);
      return { status: answers.length > 1 ? answers.shift()! : answers[0]!, body: 'Service Unavailable' };
    },
    functionLogs: async (_info, name) => options.logs?.map((l) => `${name}: ${l}`) ?? [],
    now: () => new Date('2026-11-25T03:32:00Z'),
    ...options.overrides,
    timings: { pollIntervalMs: 1, firstAnswerMs: 200, tickMs: 10, ...options.overrides?.timings },
  });
  return { ctx, calls, synths, output: () => out, start: () => target(ctx) };
}

describe('aws target', () => {
  it('should deploy the tagged stack with the inspector and return where it runs', async () => {
    let deployCommand: CdkCommand | undefined;
    const h = fakeHarness({
      deploy: async (cmd, _o, writeOutputs) => {
        deployCommand = cmd;
        writeOutputs();
        return '';
      },
    });
    const { info } = await h.start();
    expect(info).toEqual({
      target: 'aws',
      apiUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com',
      mountPath: '/mnt/msg',
      functionName: `${STACK}-myHelloVPCLambda`,
      inspectorFunctionName: `${STACK}-efs-inspector`,
      functionTimeoutSeconds: 10,
      region: 'eu-west-1',
      faults: [],
      runDir: h.ctx.runDir,
      runId: RUN_ID,
      concurrencyLimit: 800,
    });
    expect(h.calls).toEqual([
      'account concurrency',
      `synth ${STACK} inspector=true`,
      'cdk deploy (2 removal(s) registered)',
      `wait active ${STACK}-myHelloVPCLambda`,
      `wait active ${STACK}-efs-inspector`,
      'GET https://abc123.execute-api.eu-west-1.amazonaws.com/myHelloVPCLambda',
    ]);
    expect(deployCommand!.args).toEqual(expect.arrayContaining(['deploy', STACK, '--outputs-file', path.join(h.ctx.runDir, 'outputs.json')]));
    expect(deployCommand!.args).toEqual(expect.arrayContaining(['harness=apigw-vpc-lambda-efs', `harness:run-id=${RUN_ID}`, 'harness:expires-at=2026-11-25T06:32:00.000Z']));
    expect(deployCommand!.env).toMatchObject({ AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'eu-west-1' });
  });

  it('should bind the synthesized stack to the checked account and region, so the CDK CLI refuses other credentials', async () => {
    const h = fakeHarness();
    await h.start();
    expect(h.synths).toEqual([{ stackName: STACK, inspector: true, outdir: path.join(h.ctx.runDir, 'cdk.out'), env: { account: '123456789012', region: 'eu-west-1' } }]);
  });

  it("should scale the concurrency scenario to a new account's low Lambda quota, and say so", async () => {
    // A new account: GetAccountSettings answers ConcurrentExecutions 10, all of it unreserved.
    const h = fakeHarness({ accountConcurrency: async () => ({ limit: 10, unreserved: 10 }) });
    const { info } = await h.start();
    expect(info.concurrencyLimit).toBe(8);
    expect(h.output()).toContain(
      'Lambda concurrency: account concurrency quota 10, unreserved 10: 80% of the unreserved pool is 8; the concurrency scenario sends 8 writes at once (100 on the other targets)',
    );
  });

  it('should reserve concurrency with HARNESS_AWS_RESERVED_CONCURRENCY and scale the writers to it', async () => {
    const h = fakeHarness({ env: { ...ENV, HARNESS_AWS_RESERVED_CONCURRENCY: '20' } });
    const { info } = await h.start();
    expect(h.synths[0]).toMatchObject({ reservedConcurrency: 20 });
    expect(info.concurrencyLimit).toBe(20);
    expect(h.output()).toContain("the function's reserved concurrency is 20 (account concurrency quota 1000, unreserved 1000); the concurrency scenario sends 20 writes at once");
  });

  it('should throttle the $default stage with HARNESS_AWS_THROTTLE and keep the writers within its burst', async () => {
    const h = fakeHarness({ env: { ...ENV, HARNESS_AWS_THROTTLE: '10/40' } });
    const { info } = await h.start();
    expect(h.synths[0]).toMatchObject({ throttle: { rateLimit: 10, burstLimit: 40 } });
    expect(info.concurrencyLimit).toBe(40);
    expect(h.output()).toContain('the $default stage allows bursts of 40; the concurrency scenario sends 40 writes at once (100 on the other targets)');
  });

  it('should fail before deploying when GetAccountSettings is not allowed, naming the permission', async () => {
    const denied = Object.assign(new Error('User is not authorized to perform: lambda:GetAccountSettings'), { name: 'AccessDeniedException' });
    const h = fakeHarness({ accountConcurrency: async () => Promise.reject(denied) });
    await expect(h.start()).rejects.toThrow(
      'Reading the Lambda concurrency quota of account 123456789012 in eu-west-1 failed (AccessDeniedException): User is not authorized to perform: lambda:GetAccountSettings. The role needs lambda:GetAccountSettings.',
    );
    expect(h.calls).toEqual(['account concurrency']);
    expect(h.ctx.cleanup.size).toBe(0);
  });

  it('should delete the stack at the end and wait until it is gone', async () => {
    const h = fakeHarness();
    await h.start();
    h.calls.length = 0;
    expect(await h.ctx.cleanup.run()).toEqual([]);
    expect(h.calls).toEqual(['cdk destroy (0 removal(s) registered)', 'wait deleted']);
  });

  it('should still delete the stack when the deploy fails, and report the failed events without secrets', async () => {
    const h = fakeHarness({
      deploy: async () => {
        throw new CdkError('`cdk deploy` exited with code 1; its last 1 lines:\n  ❌ harness failed: CREATE_FAILED', 1, ['❌ harness failed']);
      },
    });
    const error = await h.start().catch((e: Error) => e);
    expect((error as Error).message).toContain(`Deploying stack ${STACK} failed: \`cdk deploy\` exited with code 1`);
    expect((error as Error).message).toContain('Failed stack events (oldest first):\n  2026-11-25T03:40:00.000Z HelloFunction (AWS::Lambda::Function) CREATE_FAILED');
    expect((error as Error).message).not.toContain(SECRET);
    // The harness runs the cleanup after a failed start (harness/launch/start.ts).
    await h.ctx.cleanup.run();
    expect(h.calls).toEqual(['account concurrency', `synth ${STACK} inspector=true`, 'cdk deploy (2 removal(s) registered)', 'events', 'cdk destroy (0 removal(s) registered)', 'wait deleted']);
  });

  it('should say how to bootstrap when the account is not bootstrapped', async () => {
    const h = fakeHarness({
      deploy: async () => {
        throw new CdkError("`cdk deploy` exited with code 1: SSM parameter /cdk-bootstrap/hnb659fds/version not found. Has the environment been bootstrapped? Please run 'cdk bootstrap'", 1, []);
      },
    });
    await expect(h.start()).rejects.toThrow('Bootstrap the account once (as an administrator): npx cdk bootstrap aws://123456789012/eu-west-1');
  });

  it('should stop an interrupted deploy first, then delete the stack', async () => {
    const h = fakeHarness({
      deploy: (_cmd, runOptions) =>
        new Promise((_resolve, reject) =>
          runOptions.signal!.addEventListener('abort', () => {
            h.calls.push('deploy aborted');
            reject(new CdkError('`cdk deploy` was aborted', null, []));
          }),
        ),
    });
    const started = h.start().catch((e: Error) => e);
    while (!h.calls.some((c) => c.startsWith('cdk deploy'))) await new Promise((r) => setTimeout(r, 1));
    // What Ctrl-C does: the shared cleanup runs while the start is still in flight.
    await h.ctx.cleanup.run();
    expect(await started).toBeInstanceOf(CdkError);
    expect(h.calls.slice(-3)).toEqual(['deploy aborted', 'cdk destroy (0 removal(s) registered)', 'wait deleted']);
    expect(h.calls).not.toContain('events');
  });

  it('should keep the stack with HARNESS_KEEP=1 and print how to remove it', async () => {
    const h = fakeHarness({ env: { ...ENV, HARNESS_KEEP: '1' } });
    await h.start();
    await h.ctx.cleanup.run();
    expect(h.calls.some((c) => c.startsWith('cdk destroy'))).toBe(false);
    expect(h.output()).toContain(`AWS_REGION=eu-west-1 HARNESS_STACK_NAME=${STACK} HARNESS_INSPECTOR=1 npx cdk destroy ${STACK} --force`);
    expect(h.output()).toContain('after it expires at 2026-11-25T06:32:00.000Z (tag harness:expires-at): AWS_REGION=eu-west-1 npm run sweep -- --yes');
  });

  it('should wait for a slow deletion, saying that it is still running, rather than report it early', async () => {
    let finished = false;
    const h = fakeHarness({
      deleted: async () => {
        await new Promise((r) => setTimeout(r, 60));
        finished = true;
        return { ok: true };
      },
    });
    await h.start();
    expect(await h.ctx.cleanup.run()).toEqual([]);
    expect(finished).toBe(true);
    expect(h.output()).toMatch(new RegExp(`still deleting ${STACK} after`));
  });

  it('should fail the teardown on DELETE_FAILED, saying what to do', async () => {
    // CloudFormation ends the reason with ". " (the captured reasons cited in harness/targets/aws/sweep.test.ts).
    const h = fakeHarness({ deleted: async () => ({ ok: false, timedOut: false, detail: 'DELETE_FAILED: The following resource(s) failed to delete: [LambdaSg]. ' }) });
    await h.start();
    const [error] = await h.ctx.cleanup.run();
    expect(error!.message).toContain(`Stack ${STACK} in account 123456789012, eu-west-1 was not deleted: DELETE_FAILED: The following resource(s) failed to delete: [LambdaSg].`);
    expect(error!.message).not.toMatch(/\[LambdaSg\]\.\s*\./);
    expect(error!.message).toContain(`aws cloudformation delete-stack --stack-name ${STACK} --region eu-west-1`);
    expect(error!.message).not.toContain(SECRET);
  });

  it('should not wait 45 minutes when `cdk destroy` failed without starting the deletion', async () => {
    const h = fakeHarness({
      destroy: async () => {
        throw new CdkError('`cdk destroy` exited with code 1: ExpiredToken', 1, []);
      },
      stackAfterDestroy: { name: STACK, status: 'CREATE_COMPLETE', tags: {} },
    });
    await h.start();
    const [error] = await h.ctx.cleanup.run();
    expect(h.calls).not.toContain('wait deleted');
    expect(error!.message).toContain(`was not deleted: CREATE_COMPLETE.\ncdk destroy: \`cdk destroy\` exited with code 1: ExpiredToken`);
  });

  it('should refuse before synthesizing or deploying when the account is not named', async () => {
    const h = fakeHarness({ env: { AWS_REGION: 'eu-west-1' } });
    await expect(h.start()).rejects.toThrow('The aws target refuses to run: HARNESS_AWS_ACCOUNT is not set');
    expect(h.calls).toEqual([]);
    expect(h.ctx.cleanup.size).toBe(0);
  });

  it('should attach the functions\' log lines, redacted, when a function does not become Active', async () => {
    const h = fakeHarness({ active: { ok: false, timedOut: true, detail: 'State Pending' }, logs: ['INIT_START', `token ${SECRET}`] });
    const message = await h.start().catch((e: Error) => e.message);
    expect(message).toContain(`Function ${STACK}-myHelloVPCLambda did not become Active within 10 min 0 s (State Pending).`);
    expect(message).toContain(`Last log lines of ${STACK}-myHelloVPCLambda (CloudWatch Logs /aws/lambda/${STACK}-myHelloVPCLambda):\n  ${STACK}-myHelloVPCLambda: INIT_START`);
    expect(message).not.toContain(SECRET);
    await h.ctx.cleanup.run();
    expect(h.calls.at(-1)).toBe('wait deleted');
  });

  it('should poll until the first 200, and time out with the last answer', async () => {
    const patient = fakeHarness({ answers: [503, 502, 200] });
    await patient.start();
    expect(patient.calls.filter((c) => c.startsWith('GET'))).toHaveLength(3);

    const hopeless = fakeHarness({ answers: [503], overrides: { timings: { firstAnswerMs: 30 } } });
    await expect(hopeless.start()).rejects.toThrow(
      /GET https:\/\/abc123\.execute-api\.eu-west-1\.amazonaws\.com\/myHelloVPCLambda did not answer 200 within 30 ms; the last answer: HTTP 503 Service Unavailable\.\nLast log lines of .*: \(none in the last 15 min\)/,
    );
  });
});

describe('aws target helpers', () => {
  it('should drop the trailing slash of the ApiUrl output', () => {
    expect(normalizeApiUrl('https://abc123.execute-api.eu-west-1.amazonaws.com/')).toBe('https://abc123.execute-api.eu-west-1.amazonaws.com');
    expect(normalizeApiUrl('https://abc123.execute-api.eu-west-1.amazonaws.com')).toBe('https://abc123.execute-api.eu-west-1.amazonaws.com');
    expect(() => normalizeApiUrl('not a url')).toThrow('The stack\'s ApiUrl output "not a url" is not a URL.');
  });

  it('should send the first request to the greeting route from the template', () => {
    expect(greetingPath(fakeModel('/a'))).toBe('/myHelloVPCLambda');
    expect(() => greetingPath({ routes: [], templatePath: 't.json' })).toThrow('No ANY route without parameters in t.json');
  });

  it('should read HARNESS_AWS_RESERVED_CONCURRENCY strictly', () => {
    expect(reservedConcurrencyOf({})).toBeUndefined();
    expect(reservedConcurrencyOf({ HARNESS_AWS_RESERVED_CONCURRENCY: ' ' })).toBeUndefined();
    expect(reservedConcurrencyOf({ HARNESS_AWS_RESERVED_CONCURRENCY: '5' })).toBe(5);
    for (const bad of ['0', '-1', '2.5', 'lots']) {
      expect(() => reservedConcurrencyOf({ HARNESS_AWS_RESERVED_CONCURRENCY: bad })).toThrow(`HARNESS_AWS_RESERVED_CONCURRENCY="${bad}" is not a whole number of at least 1`);
    }
  });

  it('should read HARNESS_AWS_THROTTLE as <rate>/<burst>', () => {
    expect(throttleOf({})).toBeUndefined();
    expect(throttleOf({ HARNESS_AWS_THROTTLE: '50/200' })).toEqual({ rateLimit: 50, burstLimit: 200 });
    expect(throttleOf({ HARNESS_AWS_THROTTLE: '0.5/1' })).toEqual({ rateLimit: 0.5, burstLimit: 1 });
    for (const bad of ['50', '0/10', '10/0', '10/2.5', 'fast']) {
      expect(() => throttleOf({ HARNESS_AWS_THROTTLE: bad })).toThrow(`HARNESS_AWS_THROTTLE="${bad}" is not <requests per second>/<burst>`);
    }
  });

  it('should read HARNESS_KEEP strictly', () => {
    expect(keepStack({ HARNESS_KEEP: '1' })).toBe(true);
    expect(keepStack({})).toBe(false);
    expect(keepStack({ HARNESS_KEEP: '0' })).toBe(false);
    expect(() => keepStack({ HARNESS_KEEP: 'please' })).toThrow('HARNESS_KEEP="please" is not understood: set HARNESS_KEEP=1');
  });
});

// Deploys for real: only where someone asked for it and gave it an account and credentials.
const e = process.env;
const hasCredentials =
  Boolean(e.AWS_ACCESS_KEY_ID || e.AWS_PROFILE || e.AWS_WEB_IDENTITY_TOKEN_FILE || e.AWS_CONTAINER_CREDENTIALS_FULL_URI || e.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) ||
  existsSync(path.join(os.homedir(), '.aws', 'credentials')) ||
  existsSync(path.join(os.homedir(), '.aws', 'config'));
const e2e = e.HARNESS_AWS_E2E === '1' && Boolean(e.HARNESS_AWS_ACCOUNT) && hasCredentials;
describe.skipIf(!e2e)('aws target on real AWS (needs AWS credentials and HARNESS_AWS_ACCOUNT; not available here; set HARNESS_AWS_E2E=1)', () => {
  it('should deploy, answer the greeting, read EFS through the inspector, and delete everything', { timeout: 90 * 60_000 }, async () => {
    const run = await startTarget('aws');
    try {
      const res = await fetch(`${run.info.apiUrl}/myHelloVPCLambda`);
      expect(res.status).toBe(200);
      expect(await connect(run.info).files.list()).toBeInstanceOf(Array);
    } finally {
      await run.teardown();
    }
  });
});

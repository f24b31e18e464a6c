import { describe, expect, it } from 'vitest';
import type { AwsApi, StackSummary, WaitOutcome } from './api.ts';
import { formatDuration, formatTable, runSweep, selectExpired, selectRun } from './sweep.ts';

const NOW = new Date('2026-11-25T12:00:00Z');
const HARNESS = { harness: 'apigw-vpc-lambda-efs' };

// Statuses are CloudFormation's StackStatus values. Source: https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_Stack.html
// (and the StackStatus enum of the installed @aws-sdk/client-cloudformation 3.1169.0, dist-types/models/enums.d.ts).
function stack(name: string, tags: Record<string, string>, status = 'CREATE_COMPLETE'): StackSummary {
  return { name, status, tags };
}
const expired = (name: string, status?: string) => stack(name, { ...HARNESS, 'harness:expires-at': '2026-11-25T09:00:00.000Z' }, status);
const byName = (stacks: StackSummary[]) => Object.fromEntries(selectExpired(stacks, NOW).map((d) => [d.stack.name, d]));

describe('selectExpired', () => {
  it('should delete a harness stack whose expiry has passed', () => {
    const d = byName([expired('harness-20261125-060000-ab12')])['harness-20261125-060000-ab12']!;
    expect(d.delete).toBe(true);
    expect(d.reason).toBe('expired 3 h ago');
  });

  it('should never delete a stack without the harness tag, however it is named or tagged otherwise', () => {
    const decisions = byName([
      stack('CDKToolkit', {}),
      stack('harness-20261125-060000-ab12', { 'harness:expires-at': '2026-11-25T09:00:00.000Z' }),
      stack('harness-other', { harness: 'something-else', 'harness:expires-at': '2026-11-25T09:00:00.000Z' }),
    ]);
    expect(Object.values(decisions).map((d) => d.delete)).toEqual([false, false, false]);
    expect(decisions.CDKToolkit!.reason).toBe('not a harness stack (no harness=apigw-vpc-lambda-efs tag)');
  });

  it('should never delete a stack that has not expired yet', () => {
    const d = byName([stack('harness-a', { ...HARNESS, 'harness:expires-at': '2026-11-25T14:30:00.000Z' })])['harness-a']!;
    expect(d.delete).toBe(false);
    expect(d.reason).toBe('expires in 2 h 30 min');
  });

  it('should skip, with the reason, a stack whose expiry is missing or not an ISO time', () => {
    const decisions = byName([
      stack('harness-none', HARNESS),
      stack('harness-bad', { ...HARNESS, 'harness:expires-at': 'tomorrow' }),
      // Date.parse would read "1" as the year 2001 and delete the stack.
      stack('harness-lenient', { ...HARNESS, 'harness:expires-at': '1' }),
    ]);
    expect(Object.values(decisions).every((d) => !d.delete)).toBe(true);
    expect(decisions['harness-none']!.reason).toBe('no harness:expires-at tag: delete it by hand if it is yours');
    expect(decisions['harness-bad']!.reason).toBe('harness:expires-at="tomorrow" is not an ISO time: delete it by hand if it is yours');
    expect(decisions['harness-lenient']!.delete).toBe(false);
  });

  it('should leave a tagged stack alone that is not named harness-*', () => {
    expect(byName([expired('production-api')])['production-api']!.delete).toBe(false);
  });

  it('should skip stacks already being deleted or busy, and retry a failed deletion', () => {
    const decisions = byName([expired('harness-a', 'DELETE_IN_PROGRESS'), expired('harness-b', 'ROLLBACK_IN_PROGRESS'), expired('harness-c', 'DELETE_FAILED')]);
    expect(decisions['harness-a']).toMatchObject({ delete: false, reason: 'already being deleted' });
    expect(decisions['harness-b']).toMatchObject({ delete: false, reason: 'expired, but busy (ROLLBACK_IN_PROGRESS): the next sweep retries' });
    expect(decisions['harness-c']).toMatchObject({ delete: true, reason: 'expired 3 h ago; its last deletion failed, trying again' });
  });

  it('should delete an expired stack left in REVIEW_IN_PROGRESS, and keep one that has not expired', () => {
    // REVIEW_IN_PROGRESS: a stack whose CREATE change set was made but never executed (Source:
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_Stack.html, StackStatus);
    // `cdk deploy` killed between CreateChangeSet and ExecuteChangeSet leaves it.
    const decisions = byName([
      expired('harness-review', 'REVIEW_IN_PROGRESS'),
      stack('harness-fresh', { ...HARNESS, 'harness:expires-at': '2026-11-25T13:00:00.000Z' }, 'REVIEW_IN_PROGRESS'),
    ]);
    expect(decisions['harness-review']).toMatchObject({
      delete: true,
      reason: 'expired 3 h ago; a deploy stopped before executing its change set (REVIEW_IN_PROGRESS)',
    });
    expect(decisions['harness-fresh']).toMatchObject({ delete: false, reason: 'expires in 1 h' });
  });
});

describe('selectRun', () => {
  const RUN = 'gh-12345678901-1';
  const mine = (status = 'CREATE_IN_PROGRESS', tags: Record<string, string> = {}) =>
    stack(`harness-${RUN}`, { ...HARNESS, 'harness:run-id': RUN, 'harness:expires-at': '2026-11-25T14:00:00.000Z', ...tags }, status);

  it("should pick the run's own stack although it has not expired, whatever its state", () => {
    const decisions = selectRun([mine(), expired('harness-other')], RUN);
    expect(decisions.map((d) => [d.stack.name, d.delete, d.reason])).toEqual([
      [`harness-${RUN}`, true, `the stack of run ${RUN} (CREATE_IN_PROGRESS)`],
      ['harness-other', false, `not the stack of run ${RUN}`],
    ]);
  });

  it('should not pick a stack of that name without the harness tag or with another run id', () => {
    const untagged = stack(`harness-${RUN}`, { 'harness:run-id': RUN });
    const otherRun = mine('CREATE_COMPLETE', { 'harness:run-id': 'gh-1-1' });
    expect(selectRun([untagged, otherRun], RUN).map((d) => d.delete)).toEqual([false, false]);
  });

  it('should refuse a run id that makes no valid stack name', () => {
    expect(() => selectRun([], 'gh 1')).toThrow(/CloudFormation rejects/);
  });
});

describe('formatTable', () => {
  it('should list harness stacks with their action and count the others', () => {
    const table = formatTable(selectExpired([expired('harness-a'), stack('CDKToolkit', {}), stack('prod', {})], NOW));
    expect(table.split('\n')).toEqual([
      'STACK      STATUS           EXPIRES AT                ACTION  REASON',
      'harness-a  CREATE_COMPLETE  2026-11-25T09:00:00.000Z  delete  expired 3 h ago',
      '2 other stack(s) without the harness=apigw-vpc-lambda-efs tag left alone.',
    ]);
  });

  it('should format durations for people', () => {
    expect(formatDuration(30_000)).toBe('30 s');
    expect(formatDuration(40 * 60_000)).toBe('40 min');
    expect(formatDuration(26 * 60 * 60_000 + 60_000)).toBe('1 d 2 h 1 min');
  });
});

/**
 * A fake account: its stacks, what deleting each does, and a record of the calls. Its answers are AWS's, captured:
 * - DescribeStacks refused: code AccessDenied and IAM's message, as @aws-sdk/client-cloudformation throws it
 *   (https://github.com/runs-on/runs-on/issues/27; the stack/*\/* resource of a list: https://github.com/jogold/cloudstructs/pull/217).
 * - A security group's DELETE_FAILED reason: https://github.com/docker-archive/ecs-plugin/issues/203 (CloudFormation event).
 */
function fakeAws(stacks: StackSummary[], options: { account?: string; deleteOutcome?: (name: string) => WaitOutcome; listFails?: boolean } = {}) {
  const calls: string[] = [];
  const api: AwsApi = {
    callerIdentity: async () => ({ account: options.account ?? '123456789012', arn: 'arn:aws:sts::123456789012:assumed-role/ci/x' }),
    stack: async (name) => stacks.find((s) => s.name === name),
    listStacks: async () => {
      calls.push('list');
      if (options.listFails) throw Object.assign(new Error(ACCESS_DENIED), { name: 'AccessDenied' });
      return stacks;
    },
    failedStackEvents: async () => [`2026-11-25T12:10:00.000Z LambdaSg (AWS::EC2::SecurityGroup) DELETE_FAILED: ${SG_DEPENDENT_OBJECT}`],
    deleteStack: async (name) => void calls.push(`delete ${name}`),
    waitStackDeleted: async (name) => {
      calls.push(`wait ${name}`);
      return options.deleteOutcome?.(name) ?? { ok: true };
    },
    waitFunctionActive: async () => ({ ok: true }),
    accountConcurrency: async () => ({ limit: 1000, unreserved: 1000 }),
  };
  return { api, calls };
}

const ACCESS_DENIED =
  'User: arn:aws:sts::123456789012:assumed-role/ci/x is not authorized to perform: cloudformation:DescribeStacks on resource: ' +
  'arn:aws:cloudformation:eu-west-1:123456789012:stack/*/* because no identity-based policy allows the cloudformation:DescribeStacks action';
const SG_DEPENDENT_OBJECT =
  'resource sg-0123456789abcdef0 has a dependent object (Service: AmazonEC2; Status Code: 400; Error Code: DependencyViolation; ' +
  'Request ID: 00000000-0000-0000-0000-000000000000)';

async function sweep(args: string[], aws: ReturnType<typeof fakeAws>, env: NodeJS.ProcessEnv = { HARNESS_AWS_ACCOUNT: '123456789012', AWS_REGION: 'eu-west-1' }) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runSweep({ args, env, aws: () => aws.api, out: (l) => out.push(l), err: (l) => err.push(l), now: () => NOW });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('runSweep', () => {
  const account = () => fakeAws([expired('harness-old'), stack('harness-new', { ...HARNESS, 'harness:expires-at': '2026-11-25T13:00:00.000Z' }), stack('CDKToolkit', {})]);

  it('should only list without --yes', async () => {
    const aws = account();
    const { code, out } = await sweep([], aws);
    expect(code).toBe(0);
    expect(aws.calls).toEqual(['list']);
    expect(out).toContain('harness-old');
    expect(out).toContain('1 expired stack(s) would be deleted. Run `npm run sweep -- --yes` to delete them.');
  });

  it('should delete only the expired harness stacks with --yes, and wait until each is gone', async () => {
    const aws = account();
    const { code, out } = await sweep(['--yes'], aws);
    expect(code).toBe(0);
    expect(aws.calls).toEqual(['list', 'delete harness-old', 'wait harness-old']);
    expect(out).toContain('deleted harness-old');
  });

  it('should exit 1 with the failed resources when a deletion fails', async () => {
    // detail is `<StackStatus>: <StackStatusReason>` (api.ts). The reason as CloudFormation words it, trailing ". " included
    // (captured in eksctl's printout of a stack event: `AWS::CloudFormation::Stack/…: DELETE_FAILED – "The following
    // resource(s) failed to delete: [SG]. "`; the API reference gives no example).
    const detail = 'DELETE_FAILED: The following resource(s) failed to delete: [LambdaSg]. ';
    const aws = fakeAws([expired('harness-old')], { deleteOutcome: () => ({ ok: false, timedOut: false, detail }) });
    const { code, err } = await sweep(['--yes'], aws);
    expect(code).toBe(1);
    expect(err).toContain('harness-old: DELETE_FAILED: The following resource(s) failed to delete: [LambdaSg]. The next sweep tries again');
    expect(err).toContain('LambdaSg (AWS::EC2::SecurityGroup) DELETE_FAILED');
  });

  it('should refuse with exit 2 and touch nothing when the account does not match', async () => {
    const aws = fakeAws([expired('harness-old')], { account: '999999999999' });
    const { code, err } = await sweep(['--yes'], aws);
    expect(code).toBe(2);
    expect(aws.calls).toEqual([]);
    expect(err).toMatch(/^The sweep refuses to run: HARNESS_AWS_ACCOUNT=123456789012, but the credentials found/);
  });

  it('should refuse with exit 2 without a region', async () => {
    const { code, err } = await sweep([], account(), { HARNESS_AWS_ACCOUNT: '123456789012' });
    expect(code).toBe(2);
    expect(err).toContain('no AWS region: set AWS_REGION');
  });

  it('should exit 1 when listing fails, naming the permission', async () => {
    const { code, err } = await sweep([], fakeAws([], { listFails: true }));
    expect(code).toBe(1);
    expect(err).toContain('The role needs cloudformation:DescribeStacks');
  });

  it('should print its usage for --help and refuse unknown arguments', async () => {
    const help = await sweep(['--help'], account(), {});
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: npm run sweep -- [--yes]');
    const bad = await sweep(['--force'], account());
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("Unknown option '--force'");
  });

  it("should delete this run's stack with --run-id, before it expires, and wait until it is gone", async () => {
    const RUN = 'gh-12345678901-1';
    const own = stack(`harness-${RUN}`, { ...HARNESS, 'harness:run-id': RUN, 'harness:expires-at': '2026-11-25T14:00:00.000Z' }, 'CREATE_IN_PROGRESS');
    const aws = fakeAws([own, expired('harness-old')]);
    const { code, out } = await sweep(['--yes', '--run-id', RUN], aws);
    expect(code).toBe(0);
    expect(aws.calls).toEqual(['list', `delete harness-${RUN}`, `wait harness-${RUN}`]);
    expect(out).toContain(`deleted harness-${RUN}`);
  });

  it('should exit 0 with --run-id when the run left no stack, and 2 for a run id that names no stack', async () => {
    const none = await sweep(['--yes', '--run-id', 'gh-1-1'], fakeAws([expired('harness-old')]));
    expect(none.code).toBe(0);
    expect(none.out).toContain('Nothing to delete: no stack harness-gh-1-1 of run gh-1-1 is left.');
    const bad = await sweep(['--yes', '--run-id', 'gh_1'], fakeAws([]));
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('Run id "gh_1" makes the stack name "harness-gh_1", which CloudFormation rejects');
  });

  it('should say so when there is nothing to delete', async () => {
    const { code, out } = await sweep(['--yes'], fakeAws([stack('CDKToolkit', {})]));
    expect(code).toBe(0);
    expect(out).toContain('No harness stacks (tag harness=apigw-vpc-lambda-efs).');
    expect(out).toContain('Nothing to delete.');
  });
});
